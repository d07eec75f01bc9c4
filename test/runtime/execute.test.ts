// Running plans: identical numbers whatever the number of worker threads, paired starting
// points across optimizers, and end points assigned to the nearest minimum within the radius.
import { describe, expect, it } from "vitest";
import { assignToMinimum } from "../../runtime/assign.js";
import { runPlan } from "../../runtime/execute.js";
import { compileText } from "../support/run-spec.js";

const SPEC = `
import "std/landscapes"
import "std/optimizers"
landscape Steep { vars x in [-1, 1] f = x^2 minima { M global at (0) } }
optimizer Wild = GD(lr = 5)
experiment Small {
  on Himmelblau, SixHumpCamel, Rastrigin(n = 3) as R3
  run GD, NiG_GD, NiM_BH, SAM, NiM_MBH
  restarts 37
  budget 400 gradients
  seed 5
}
experiment Diverging { on Steep run Wild restarts 8 budget 500 gradients init uniform in [0.5, 1] }`;

describe("runPlan", () => {
  const compiled = compileText(SPEC);
  const source = (file: string) => compiled.kernels.get(file)!;

  it("gives the same bits on the WebAssembly backend, in this thread and on workers", async () => {
    const both = compileText(SPEC, ["js", "wasm"]);
    const run = (backend: "js" | "wasm", workers: number) => runPlan(both.plan, (f) => both.kernels.get(f)!, { workers, backend, restarts: 9 });
    const reference = await run("js", 0);
    for (const workers of [0, 2]) {
      const wasm = await run("wasm", workers);
      expect(wasm.backend).toBe("wasm");
      expect(JSON.stringify(wasm.experiments)).toBe(JSON.stringify(reference.experiments));
    }
    await expect(runPlan(compiled.plan, source, { backend: "wasm" })).rejects.toThrow(/no WebAssembly kernel/);
  });

  it("gives bit-identical results for 0, 1, 2 and 3 worker threads", async () => {
    const strip = (r: Awaited<ReturnType<typeof runPlan>>) => JSON.stringify(r.experiments);
    const reference = strip(await runPlan(compiled.plan, source, { workers: 0 }));
    for (const workers of [1, 2, 3]) expect(strip(await runPlan(compiled.plan, source, { workers }))).toBe(reference);
  });

  it("starts every optimizer on a landscape from the same points (a paired design)", async () => {
    const paired = compileText(`import "std/landscapes"\nimport "std/optimizers"\noptimizer GD2 = GD\noptimizer NiG2 = NiG_GD
experiment P { on SixHumpCamel run GD, GD2, NiG_GD, NiG2 restarts 16 budget 300 gradients seed 3 }`);
    const results = await runPlan(paired.plan, (f) => paired.kernels.get(f)!, { workers: 0 });
    const cell = (name: string) => results.experiments[0]!.cells.find((c) => c.optimizer === name)!.trajectories;
    // The same deterministic optimizer under two names ends at the same points ...
    expect(cell("GD2")).toEqual(cell("GD"));
    // ... while noise comes from a stream of each optimizer's own.
    expect(cell("NiG2").end).not.toEqual(cell("NiG_GD").end);
    const reseeded = await runPlan(paired.plan, (f) => paired.kernels.get(f)!, { workers: 0, seed: 4 });
    expect(reseeded.experiments[0]!.cells[0]!.trajectories.end).not.toEqual(cell("GD").end);
  });

  it("counts diverged trajectories in Else and reports the gradients spent", async () => {
    const results = await runPlan(compiled.plan, source, { workers: 0 });
    const cell = results.experiments[1]!.cells[0]!;
    expect(cell.diverged).toBe(8);
    expect(cell.counts).toEqual({ M: 0, Else: 8 });
    const small = results.experiments[0]!;
    for (const c of small.cells) {
      expect(c.gradientEvaluations).toBe(37 * 400);
      expect(Object.values(c.counts).reduce((a, b) => a + b, 0)).toBe(37);
    }
  });
});

describe("assignToMinimum", () => {
  const minima = [
    { name: "A", kind: "global" as const, at: [0, 0] },
    { name: "B", kind: "local" as const, at: [1, 0] },
  ];
  it("picks the nearest minimum within the radius, else -1", () => {
    expect(assignToMinimum([0.05, 0], minima, 0.1)).toBe(0);
    expect(assignToMinimum([0.95, 0.05], minima, 0.1)).toBe(1);
    expect(assignToMinimum([0.5, 0], minima, 0.1)).toBe(-1);
    expect(assignToMinimum([0.1, 0], minima, 0.1)).toBe(0); // the radius is inclusive
    expect(assignToMinimum([0.5, 0], minima, 0.6)).toBe(0); // a tie goes to the first declared
    expect(assignToMinimum([0.6, 0], minima, 0.7)).toBe(1);
  });
});
