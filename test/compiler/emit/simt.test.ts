// The SIMT graph (compiler/emit/simt.ts): where lanes wait for gradients, and which optimizers
// cannot share a group's lanes. Bit-identity of the emitted code is tested in wasm.test.ts.
import { describe, expect, it } from "vitest";
import { NotSimt, simtGraph, uniformCycle } from "../../../compiler/emit/simt.js";
import type { OptimizerIR } from "../../../compiler/lower/ir.js";
import { lowerText } from "../../support/run-spec.js";

/** The lowered optimizers run by experiment E of `extra` (with the standard library). */
function optimizers(extra: string, run: string): Map<string, OptimizerIR> {
  const text = `import "std/landscapes"\nimport "std/optimizers"\n${extra}\nexperiment E { on Himmelblau run ${run} restarts 8 budget 100 gradients seed 1 }`;
  const { lowered, diagnostics } = lowerText(text);
  expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return new Map(lowered.optimizers.map((o) => [o.name, o]));
}

describe("SIMT graph", () => {
  const std = optimizers("", "GD, NiM_GD, SAM, NiG_BH, NiM_MBH");

  it("puts basin hopping's lanes at its two local searches' gradnorm tests, and NiG's hop at its noisy gradient", () => {
    const nim = simtGraph(std.get("NiM_MBH")!);
    // The start's local search and the hop's: each waits at its `until gradnorm < eps`.
    expect(nim.sites.map((key) => nim.places.get(key)!.kind)).toEqual(["until", "until"]);
    expect(nim.exits.map((e) => e.kind)).toEqual(["traj", "start", "hop"]);
    const nig = simtGraph(std.get("NiG_BH")!);
    expect(nig.sites.map((key) => nig.places.get(key)!.kind).sort()).toEqual(["step", "until", "until"]);
  });

  it("gives NiM-GD two sites: the flat-gradient test, and the descent after a jump", () => {
    const g = simtGraph(std.get("NiM_GD")!);
    expect(g.sites).toHaveLength(2);
    for (const site of g.sites) expect(g.flow(site)).toEqual({ kind: "park" });
    // From the test, lanes either jump (and wait at the descent) or descend and come back.
    expect(g.flow(g.resume(g.sites[0]!)).kind).toBe("split");
  });

  it("orders every place after the places that lead to it", () => {
    const g = simtGraph(std.get("NiM_MBH")!);
    const order = g.order(g.sites.map((s) => g.resume(s)));
    const position = new Map(order.map((key, i) => [key, i]));
    for (const key of order) {
      const f = g.flow(key);
      const next = f.kind === "next" ? [f.next] : f.kind === "split" ? [f.yes, f.no] : [];
      for (const n of next) expect(position.get(n)!, `${key} -> ${n}`).toBeGreaterThan(position.get(key)!);
    }
  });

  it("refuses what lanes cannot share: an ascent, Adam, a Metropolis acceptance, a pass that may spend nothing", () => {
    expect(() => simtGraph(std.get("SAM")!)).toThrow(NotSimt);
    const odd = optimizers(
      `optimizer Adamant(lr = 1e-3) { descend lr with adam(beta1 = 0.9, beta2 = 0.999, eps = 1e-8) }
optimizer Warm(lr = 1e-3) { hop { perturb model ball(1); repeat 5 { descend lr }; accept metropolis(1) } }
optimizer Idle(lr = 1e-3) { descend lr; repeat 3 { perturb model ball(0.1) when t > 5 } }`,
      "Adamant, Warm, Idle",
    );
    expect(() => simtGraph(odd.get("Adamant")!)).toThrow(/Adam/);
    expect(() => simtGraph(odd.get("Warm")!)).toThrow(/Metropolis/);
    expect(() => simtGraph(odd.get("Idle")!)).toThrow(/may need no gradient/);
    expect(simtGraph(std.get("GD")!).sites).toHaveLength(1);
  });

  it("finds the uniform cycles: a local search's pass, a loop whose guarded step is skipped; none where a pass does more", () => {
    const cycles = (name: string, g = simtGraph(all.get(name)!)) =>
      g.sites.map((site) => uniformCycle(g, site)).map((c) => c && { places: c.places.map((k) => g.places.get(k)!.kind), tests: [c.untils.length, c.ifs.length, c.counts.length], loopTop: c.loopTop });
    // A local search: its until test (before the descent), the descent, the body's end (count + 1), the count test.
    const local = { places: ["until", "step", "step", "top"], tests: [1, 0, 1], loopTop: false };
    // Both local searches of basin hopping, not NiG's noisy descent; GD's loop; NiM-GD's loop
    // where the jump is not taken (its `if` fails), not the descent after a jump.
    expect(cycles("NiM_MBH")).toEqual([local, local]);
    expect(cycles("NiG_BH")).toEqual([local, undefined, local]);
    expect(cycles("GD")).toEqual([{ places: ["step", "step", "loopTop"], tests: [0, 0, 0], loopTop: true }]);
    expect(cycles("NiM_GD")).toEqual([{ places: ["step", "step", "step", "loopTop"], tests: [0, 1, 0], loopTop: true }, undefined]);
    // After a descent that makes each loop pass cost a gradient (its site has no cycle: the repeat
    // restarts its count): a repeat without `until` (its count alone), one with momentum, one
    // whose guarded noise is skipped.
    expect(cycles("Counted")).toEqual([undefined, { places: ["step", "step", "top"], tests: [0, 0, 1], loopTop: false }]);
    expect(cycles("Heavy")).toEqual([undefined, local]);
    expect(cycles("Guarded")).toEqual([undefined, { places: ["until", "step", "step", "step", "top"], tests: [1, 1, 1], loopTop: false }]);
    // An until on the loss needs no gradient: lanes wait at the descent, and the test comes after it, on what it wrote.
    expect(cycles("Lossy")).toEqual([undefined, undefined]);
    // Two descents per pass (two sites, neither comes back to itself), noise in every pass: none.
    expect(cycles("Twice")).toEqual([undefined, undefined, undefined]);
    expect(cycles("Noisy")).toEqual([undefined, undefined]);
  });
});

const all = new Map([
  ...optimizers("", "GD, NiM_GD, NiG_BH, NiM_MBH"),
  ...optimizers(
    `optimizer Counted(lr = 1e-3) { descend lr; repeat 50 { descend lr } }
optimizer Heavy(lr = 1e-3) { descend lr; repeat 50 { descend lr with momentum(beta = 0.9) } until gradnorm < 1e-2 }
optimizer Lossy(lr = 1e-3) { descend lr; repeat 50 { descend lr } until loss < 1e-3 }
optimizer Twice(lr = 1e-3) { descend lr; repeat 50 { descend lr; descend lr } until gradnorm < 1e-2 }
optimizer Noisy(lr = 1e-3) { descend lr; repeat 50 { perturb gradient ball(1); descend lr } until gradnorm < 1e-2 }
optimizer Guarded(lr = 1e-3) { descend lr; repeat 50 { perturb gradient ball(1) when t > 10; descend lr } until gradnorm < 1e-2 }`,
    "Counted, Heavy, Lossy, Twice, Noisy, Guarded",
  ),
]);
