// The SIMT graph (compiler/emit/simt.ts): where lanes wait for gradients, and which optimizers
// cannot share a group's lanes. Bit-identity of the emitted code is tested in wasm.test.ts.
import { describe, expect, it } from "vitest";
import { NotSimt, simtGraph } from "../../../compiler/emit/simt.js";
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
});
