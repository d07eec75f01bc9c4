// runPlan on the gpu.js backend (webasm here: no GPU): the same minima as the JavaScript
// kernels (gpu.js computes in f32, so end points agree up to rounding, not bit for bit),
// `gpujs:<mode>` and f32 recorded, no loss curves for gpu.js cells, and a cell gpu.js cannot
// express (more than MAX_GPUJS_COORDINATES coordinates) falling back with a warning.
import { describe, expect, it } from "vitest";
import { runPlan, RunOptionsError, type RunOptions } from "../../runtime/execute.js";
import type { CellResult, Results } from "../../runtime/results.js";
import { compileText } from "../support/run-spec.js";

const SPEC = `
import "std/landscapes"
import "std/optimizers"
experiment Small {
  on Himmelblau, SixHumpCamel
  run GD, SAM, NiG_GD
  restarts 40
  budget 300 gradients
  seed 3
  assign nearest minimum within 0.1
}`;

const WIDE = `
import "std/landscapes"
import "std/optimizers"
experiment Wide {
  on Himmelblau, Rastrigin(n = 31) as R31
  run GD
  restarts 8
  budget 50 gradients
  seed 1
}`;

const cellsOf = (r: Results): CellResult[] => r.experiments.flatMap((e) => e.cells);

describe("runPlan on gpu.js", () => {
  const compiled = compileText(SPEC, ["js", "wasm", "gpujs"]);
  const source = (file: string) => compiled.kernels.get(file)!;
  const run = (options: RunOptions) => runPlan(compiled.plan, source, { workers: 0, ...options });

  it("emits a gpu.js kernel per cell when asked, and none otherwise", () => {
    for (const cell of compiled.plan.experiments[0]!.cells) {
      expect(cell.gpujsKernel).toBe(`Small.${cell.optimizer}.${cell.landscape}.gpujs.js`);
      expect(source(cell.gpujsKernel!)).toContain("optspec-gpujs/1");
    }
    expect(compileText(SPEC, ["js", "wasm"]).plan.experiments[0]!.cells.every((c) => c.gpujsKernel === undefined)).toBe(true);
  });

  it("reaches the same minima as JavaScript, records gpujs:webasm and f32, and records no curves", async () => {
    const warnings: string[] = [];
    const reference = await run({ backend: "js" });
    const gpujs = await run({ backend: "gpujs", onWarning: (m) => warnings.push(m) });
    expect(warnings).toEqual([]);
    expect(gpujs.backend).toBe("gpujs:webasm");
    expect(gpujs.precision).toBe("f32");
    const ref = cellsOf(reference);
    const got = cellsOf(gpujs);
    expect(got).toHaveLength(6);
    got.forEach((cell, i) => {
      expect(ref[i]!.curve).toBeDefined();
      expect(cell.curve, `${cell.optimizer} on ${cell.landscape}`).toBeUndefined();
      expect(cell.trajectories.minimum, `${cell.optimizer} on ${cell.landscape}`).toEqual(ref[i]!.trajectories.minimum);
      expect(cell.counts).toEqual(ref[i]!.counts);
      // GD, SAM and NiG-GD spend their budgets exactly, in f32 as in f64.
      expect(cell.trajectories.gradientEvaluations).toEqual(ref[i]!.trajectories.gradientEvaluations);
      // Plain GD draws no noise: its end points differ by f32 rounding only (the noisy
      // optimizers' draws are 23-bit uniforms in gpu.js, 32-bit in JS: close, not equal).
      if (cell.optimizer === "GD")
        for (let r = 0; r < cell.restarts; r++)
          for (let d = 0; d < 2; d++) expect(Math.abs(cell.trajectories.end[d]![r]! - ref[i]!.trajectories.end[d]![r]!)).toBeLessThan(1e-3);
    });
  });

  it("runs its cells in this thread while other cells run on workers", async () => {
    const plan = compileText(WIDE, ["js", "wasm", "gpujs"]);
    const warnings: string[] = [];
    const results = await runPlan(plan.plan, (f) => plan.kernels.get(f)!, { workers: 2, backend: "gpujs", onWarning: (m) => warnings.push(m) });
    expect(results.backend).toBe("gpujs:webasm+wasm");
    expect(results.precision).toBe("f32+f64");
    expect(warnings).toEqual(["gpu.js cannot express this cell's kernel (the plan has no gpu.js kernel for it); GD on R31 runs in WebAssembly"]);
    const [himmelblau, wide] = cellsOf(results);
    expect(himmelblau!.curve).toBeUndefined();
    expect(wide!.curve).toBeDefined();
    const reference = cellsOf(await runPlan(plan.plan, (f) => plan.kernels.get(f)!, { workers: 0, backend: "js" }));
    expect(wide!.trajectories).toEqual(reference[1]!.trajectories);
    expect(himmelblau!.trajectories.minimum).toEqual(reference[0]!.trajectories.minimum);
  });

  it("falls back to JavaScript with a warning for a cell without a kernel, or whose kernel does not load", async () => {
    const plan = compileText(WIDE, ["js", "gpujs"]);
    const warnings: string[] = [];
    const broken = (f: string) => (f.endsWith(".gpujs.js") ? "return { format: 'optspec-gpujs/0' };" : plan.kernels.get(f)!);
    const results = await runPlan(plan.plan, broken, { workers: 0, backend: "gpujs", onWarning: (m) => warnings.push(m) });
    expect(results.backend).toBe("js");
    expect(results.precision).toBe("f64");
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^the gpu.js kernel did not load \(Wide\.GD\.Himmelblau\.gpujs\.js has format "optspec-gpujs\/0".*\); GD on Himmelblau runs in JavaScript$/);
    expect(warnings[1]).toBe("gpu.js cannot express this cell's kernel (the plan has no gpu.js kernel for it); GD on R31 runs in JavaScript");
    // A plan compiled without gpu.js kernels: one warning for the whole plan.
    const none = compileText(WIDE, ["js", "wasm"]);
    const told: string[] = [];
    const all = await runPlan(none.plan, (f) => none.kernels.get(f)!, { workers: 0, backend: "gpujs", onWarning: (m) => told.push(m) });
    expect(all.backend).toBe("wasm");
    expect(told).toEqual([expect.stringMatching(/^the plan has no gpu.js kernels .* compile it again with 'optc compile --backend gpujs'$/)]);
  });

  it("rejects double precision, which gpu.js cannot compute (unset, the cells it cannot run run in double)", async () => {
    await expect(run({ backend: "gpujs", precision: "f64" })).rejects.toThrow(/^double precision \(f64\) cannot run on gpu.js: its kernels compute in single precision only/);
    await expect(run({ backend: "gpujs", precision: "f64" })).rejects.toBeInstanceOf(RunOptionsError);
  });

  it("auto considers gpu.js only for a large run, and only in the modes it is given (a GPU by default)", async () => {
    const warnings: string[] = [];
    const onWarning = (m: string) => warnings.push(m);
    // Small: never probes.
    expect((await run({ backend: "auto", onWarning, gpujsAutoModes: ["webasm"] })).backend).toBe("wasm");
    // Large (threshold lowered), GPU modes only: none here, so auto runs as without gpu.js, silently.
    expect((await run({ backend: "auto", onWarning, gpujsAutoSteps: 0 })).backend).toBe("wasm");
    // Large, with webasm standing in for a GPU mode: the cells run on gpu.js.
    const large = await run({ backend: "auto", onWarning, gpujsAutoSteps: 0, gpujsAutoModes: ["webasm"] });
    expect(large.backend).toBe("gpujs:webasm");
    expect(large.precision).toBe("f32");
    expect(warnings).toEqual([]);
  });
});
