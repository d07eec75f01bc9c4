// The wasm backend against the JS kernel (the reference): on the same job, end points,
// losses, evaluation counts, steps and loss curves must be bit-identical.
import { describe, expect, it } from "vitest";
import { emitKernel } from "../../../compiler/emit/emit-js.js";
import { emitWasmKernel, type WasmOptions } from "../../../compiler/emit/emit-wasm.js";
import { loadKernel, prepareCell, sliceJob, type KernelJob } from "../../../runtime/kernel.js";
import { loadWasmKernel } from "../../../runtime/backends/wasm.js";
import type { PlanExperiment } from "../../../runtime/plan.js";
import { bits, noiseStream, restartKeys } from "../../../runtime/rng.js";
import { EVERY_STEP_KIND, lowerWithPlan, snapshotJob, randomOptimizers, VARYING_PASSES, type JobOutputs } from "../../support/run-spec.js";

/** Runs the JS and the wasm kernel of a cell on the same fresh job; returns both outputs. */
async function both(spec: ReturnType<typeof lowerWithPlan>, optimizer: string, landscape: string, budget?: number, options: WasmOptions = {}) {
  const experiment: PlanExperiment = budget === undefined ? spec.plan : { ...spec.plan, budget: { ...spec.plan.budget, gradients: budget } };
  const optimizerIR = spec.lowered.optimizers.find((o) => o.name === optimizer)!;
  const landscapeIR = spec.lowered.landscapes.find((l) => l.ir.name === landscape)!.ir;
  const planned = experiment.landscapes.find((l) => l.name === landscape)!;
  const run = async (kernel: (job: KernelJob) => void) => {
    const cell = prepareCell(experiment, planned, optimizer, experiment.restarts);
    const job = sliceJob(cell, experiment, 0, experiment.restarts);
    kernel(job);
    return snapshotJob(job);
  };
  const js = await run(loadKernel(emitKernel(optimizerIR, landscapeIR, "test").source));
  const wasm = await run(await loadWasmKernel(emitWasmKernel(optimizerIR, landscapeIR, "f64", options).wat));
  return { js, wasm };
}

const STD = ["GD", "NiG_GD", "NiM_GD", "SAM", "NiG_BH", "NiM_BH", "NiG_MBH", "NiM_MBH"];
const LANDSCAPES = ["Himmelblau", "ThreeHumpCamel", "SixHumpCamel", "Rastrigin3"];

const std = (budget: string, run = STD.join(", "), extra = "", on = "Himmelblau, ThreeHumpCamel, SixHumpCamel, Rastrigin(n = 3) as Rastrigin3") =>
  lowerWithPlan(`import "std/landscapes"\nimport "std/optimizers"\n${extra}\nexperiment E {\n on ${on}\n run ${run}\n restarts 33\n budget ${budget}\n seed 11\n}`);

describe("wasm backend", () => {
  // Small tau so that the basin hoppers hop many times within the budget.
  const spec = std("300 gradients", [...STD.filter((o) => !o.includes("BH")), ...STD.filter((o) => o.includes("BH")).map((o) => `${o}(tau = 20, rho = 2)`)].join(", "));

  for (const landscape of LANDSCAPES)
    it(`matches the JS kernel bit for bit on ${landscape} for the standard optimizers`, async () => {
      for (const optimizer of STD) {
        const { js, wasm } = await both(spec, optimizer, landscape);
        expect(wasm, `${optimizer} on ${landscape}`).toEqual(js);
        expect(js.curve).not.toBeNull();
      }
    });

  it("matches on a budget that is not a multiple of any pass or stride", async () => {
    for (const optimizer of STD)
      for (const landscape of ["Himmelblau", "Rastrigin3"]) {
        const { js, wasm } = await both(spec, optimizer, landscape, 257);
        expect(wasm, `${optimizer} on ${landscape}`).toEqual(js);
      }
  });

  it("matches when the learning rate diverges (non-finite end points)", async () => {
    const diverging = std("200 gradients", "GD(lr = 0.5), SAM(lr = 0.5), NiM_MBH(lr = 0.5, tau = 10)");
    for (const optimizer of ["GD", "SAM", "NiM_MBH"]) {
      const { js, wasm } = await both(diverging, optimizer, "Himmelblau");
      expect(js.end.some((c) => c.some((v) => !Number.isFinite(v)))).toBe(true);
      expect(wasm, optimizer).toEqual(js);
    }
  });

  it("matches on the other noises, update methods, conditions and acceptance rules, in 1 to 5 dimensions", async () => {
    const extra = `
landscape Line { vars x in [-3, 3] f = x^4 - 2*x^2 + 0.3*x }
${EVERY_STEP_KIND}`;
    const mixed = std("250 gradients", "Mix, Noisy, Maybe, Hopper", extra, "Line, Himmelblau, Rastrigin(n = 3) as Rastrigin3, Rastrigin(n = 5) as Rastrigin5");
    for (const optimizer of ["Mix", "Noisy", "Maybe", "Hopper"])
      for (const landscape of ["Line", "Himmelblau", "Rastrigin3", "Rastrigin5"]) {
        const { js, wasm } = await both(mixed, optimizer, landscape);
        expect(wasm, `${optimizer} on ${landscape}`).toEqual(js);
      }
  });

  it("runs lockstep kernels in f64x2 (sixteen lanes), passes of varying cost as SIMT lanes, and the others one trajectory at a time", () => {
    const wat = (optimizer: string, landscape = "Himmelblau") => emitWasmKernel(spec.lowered.optimizers.find((o) => o.name === optimizer)!, spec.lowered.landscapes.find((l) => l.ir.name === landscape)!.ir).wat;
    for (const optimizer of ["GD", "NiG_GD", "SAM"]) {
      expect(wat(optimizer), optimizer).toContain("f64x2");
      expect(wat(optimizer), optimizer).toContain("after 16 trajectories in lockstep (f64x2; 8 in jobs under 10000000 trajectory-steps)");
    }
    // NiG_GD's 2-D noise draws four lanes' bits at once.
    expect(wat("NiG_GD")).toContain("i32x4.mul");
    for (const optimizer of ["NiM_GD", "NiG_BH", "NiM_BH", "NiG_MBH", "NiM_MBH"]) {
      expect(wat(optimizer), optimizer).toContain("8 trajectories at a time as SIMT lanes (f64x2; 4 in jobs under 10000000 trajectory-steps)");
      expect(wat(optimizer), optimizer).toContain("(func $simt");
      // SIMT needs the 2-D noise in vectors: in three dimensions they run one at a time.
      expect(wat(optimizer, "Rastrigin3"), optimizer).not.toContain("f64x2");
    }
  });

  it("matches as SIMT lanes: hops, local searches that stop early, conditional jumps, momentum, loss conditions, the budget ending anywhere", async () => {
    const extra = `${VARYING_PASSES}
optimizer Twofold(lr = 1e-3) {
  hop {
    perturb gradient ball(3)
    descend lr
    repeat 10 { perturb model sphere(0.01) when gradnorm > 20; descend lr } until gradnorm < 0.5
    accept always
  }
}`;
    const mixed = std("240 gradients", "Restless, Wander, Calm, Twofold, NiM_BH(tau = 9, rho = 1), NiG_MBH(tau = 6)", extra, "Himmelblau, SixHumpCamel");
    for (const optimizer of ["Restless", "Wander", "Calm", "Twofold", "NiM_BH", "NiG_MBH"])
      for (const landscape of ["Himmelblau", "SixHumpCamel"]) {
        const optimizerIR = mixed.lowered.optimizers.find((o) => o.name === optimizer)!;
        const landscapeIR = mixed.lowered.landscapes.find((l) => l.ir.name === landscape)!.ir;
        expect(emitWasmKernel(optimizerIR, landscapeIR).wat, `${optimizer} runs as SIMT`).toContain("(func $simt");
        // The narrow groups (small jobs) and the wide ones.
        for (const narrowGroupsBelow of [Infinity, 0])
          for (const budget of [undefined, 1, 2, 9, 10, 31, 101]) {
            const { js, wasm } = await both(mixed, optimizer, landscape, budget, { narrowGroupsBelow });
            expect(wasm, `${optimizer} on ${landscape}, budget ${budget}, ${narrowGroupsBelow ? "narrow" : "wide"} groups`).toEqual(js);
          }
      }
  });

  it("matches on randomly composed optimizers (most of them SIMT): 40 programs from a seeded generator", async () => {
    const programs = randomOptimizers(20261128, 40);
    const names = programs.map((_, k) => `P${k}`);
    const random40 = std("150 gradients", names.join(", "), programs.join("\n"), "Himmelblau");
    let simt = 0;
    for (const [k, optimizer] of names.entries()) {
      const optimizerIR = random40.lowered.optimizers.find((o) => o.name === optimizer)!;
      const landscapeIR = random40.lowered.landscapes.find((l) => l.ir.name === "Himmelblau")!.ir;
      if (emitWasmKernel(optimizerIR, landscapeIR).wat.includes("(func $simt")) simt++;
      for (const [budget, narrowGroupsBelow] of [[undefined, Infinity], [23, 0]] as const) {
        const { js, wasm } = await both(random40, optimizer, "Himmelblau", budget, { narrowGroupsBelow });
        expect(wasm, `${programs[k]}\nbudget ${budget}, ${narrowGroupsBelow ? "narrow" : "wide"} groups`).toEqual(js);
      }
    }
    expect(simt).toBeGreaterThanOrEqual(20);
  });

  it("matches in lockstep with momentum, Adam, repeats, conditional noise and an unnormalized ascent", async () => {
    const extra = `
landscape Line { vars x in [-3, 3] f = x^4 - 2*x^2 + 0.3*x }
optimizer Heavy(lr = 1e-3) {
  perturb gradient gaussian(1) when t > 5 and gradnorm < 50
  descend lr with momentum(beta = 0.9, nesterov = 1)
}
optimizer Jumpy(lr = 1e-3) {
  perturb model sphere(0.01) when t > 20 and evals < 100
  perturb gradient ball(1)
  descend lr with adam(beta1 = 0.9, beta2 = 0.999, eps = 1e-8)
}
optimizer Twice(lr = 1e-3) {
  repeat 2 { ascend 0.01; descend lr with momentum(beta = 0.5) }
}
optimizer Shaken(lr = 1e-3) {
  perturb model sphere(0.01)
  perturb gradient ball(0.5)
  perturb gradient gaussian(0.3)
  perturb gradient sphere(0.001) when t > 9
  descend lr
}`;
    const mixed = std("250 gradients", "Heavy, Jumpy, Twice, Shaken", extra, "Line, Himmelblau, Rastrigin(n = 3) as Rastrigin3, Rastrigin(n = 5) as Rastrigin5");
    for (const optimizer of ["Heavy", "Jumpy", "Twice", "Shaken"])
      for (const landscape of ["Line", "Himmelblau", "Rastrigin3", "Rastrigin5"]) {
        const optimizerIR = mixed.lowered.optimizers.find((o) => o.name === optimizer)!;
        const landscapeIR = mixed.lowered.landscapes.find((l) => l.ir.name === landscape)!.ir;
        expect(emitKernel(optimizerIR, landscapeIR, "test").lockstepPassCost, `${optimizer} runs in lockstep`).toBeDefined();
        expect(emitWasmKernel(optimizerIR, landscapeIR).wat).toContain("f64x2");
        // The narrow groups (small jobs) and the wide ones.
        for (const narrowGroupsBelow of [Infinity, 0])
          for (const budget of [undefined, 7, 101]) {
            const { js, wasm } = await both(mixed, optimizer, landscape, budget, { narrowGroupsBelow });
            expect(wasm, `${optimizer} on ${landscape}, budget ${budget}, ${narrowGroupsBelow ? "narrow" : "wide"} groups`).toEqual(js);
          }
      }
  });

  it("draws 2-D noise in the direction 2 pi (h + 0.5) / 2^32 of each draw h (unsigned), within 2e-15", async () => {
    const probe = lowerWithPlan(`
landscape Flat { vars x in [-1, 1], y in [-1, 1] f = 0 * x }
optimizer Probe { perturb gradient sphere(1); descend 1 }
experiment E { on Flat run Probe restarts 256 budget 1 gradients init at (0, 0) seed 13 }`);
    const { js, wasm } = await both(probe, "Probe", "Flat");
    const keys = restartKeys(13, noiseStream("E", "Probe", "Flat"), 0, 256);
    for (let r = 0; r < 256; r++) {
      // descend 1 from the origin on a flat landscape: w = -zeta.
      const theta = (2 * Math.PI * ((bits(keys[2 * r]!, keys[2 * r + 1]!, 0) >>> 0) + 0.5)) / 2 ** 32;
      expect(Math.abs(-js.end[0]![r]! - Math.cos(theta))).toBeLessThan(2e-15);
      expect(Math.abs(-js.end[1]![r]! - Math.sin(theta))).toBeLessThan(2e-15);
    }
    expect(wasm).toEqual(js);
  });

  it("matches on a budget in iterations (no gradient budget, no curves)", async () => {
    // Hops of varying cost: SIMT lanes reach the cap at different times.
    const iterations = std("60 iterations", "NiM_GD(tau = 5, eps = 1), SAM, NiM_MBH(tau = 7), NiG_BH(tau = 9, eps = 0.5)");
    for (const optimizer of ["NiM_GD", "SAM", "NiM_MBH", "NiG_BH"])
      for (const narrowGroupsBelow of [Infinity, 0]) {
        const { js, wasm } = await both(iterations, optimizer, "SixHumpCamel", undefined, { narrowGroupsBelow });
        expect(js.curve).toBeNull();
        expect(wasm, optimizer).toEqual(js);
      }
  });
});
