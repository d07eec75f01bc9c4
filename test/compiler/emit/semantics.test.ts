// The canonical semantics of DESIGN.md, checked on small cases computed by hand (or by a
// few lines of plain arithmetic here) against the emitted kernels.
import { describe, expect, it } from "vitest";
import { compileText, runCell } from "../../support/run-spec.js";

const BOWL = `
landscape Bowl { vars x in [-10, 10] f = x^2 / 2 }           // gradient x
landscape Bowl2 { vars x in [-10, 10], y in [-10, 10] f = (x^2 + 4*y^2) / 2 }
`;

function spec(optimizers: string, run: string, budget: string, extra = "") {
  return `import "std/landscapes"\nimport "std/optimizers"\n${BOWL}\n${optimizers}\nexperiment E {\n on Bowl, Bowl2, Himmelblau, SixHumpCamel\n run ${run}\n restarts 4\n budget ${budget}\n seed 7\n ${extra}\n}`;
}

describe("gradient descent", () => {
  it("takes exactly T steps of w -= lr * g and spends T gradients", () => {
    const compiled = compileText(spec("", "GD(lr = 0.1)", "25 gradients"));
    const out = runCell(compiled, "GD", "Bowl", { start: [[1], [-3], [0.5], [7]] });
    [1, -3, 0.5, 7].forEach((x0, r) => {
      let x = x0;
      for (let t = 0; t < 25; t++) x -= 0.1 * x;
      expect(out.end[r]![0]).toBeCloseTo(x, 14);
      expect(out.evals[r]).toBe(25);
      expect(out.steps[r]).toBe(25);
      expect(out.loss[r]).toBeCloseTo((x * x) / 2, 14);
    });
  });

  it("gives bit-identical trajectories in lockstep and one at a time", () => {
    const compiled = compileText(spec("", "GD, NiG_GD, SAM", "301 gradients"));
    const starts = [[1, 2], [-3, 1], [0.5, -4], [4, 4], [-2, -2], [3.5, 0.1], [-4.9, 4.9]];
    for (const optimizer of ["GD", "NiG_GD", "SAM"]) {
      const together = runCell(compiled, optimizer, "Himmelblau", { start: starts });
      const alone = runCell(compiled, optimizer, "Himmelblau", { start: starts, oneAtATime: true });
      expect(together).toEqual(alone);
    }
  });
});

describe("sharpness-aware minimization", () => {
  it("spends two gradients per step, takes the gradient at w + rho g/|g| and restores w", () => {
    const compiled = compileText(spec("", "SAM(lr = 0.1, rho = 0.05)", "7 gradients"));
    const out = runCell(compiled, "SAM", "Bowl", { start: [[1], [-2], [0.3], [5]] });
    [1, -2, 0.3, 5].forEach((x0, r) => {
      let x = x0;
      // 7 evaluations: 3 full steps; the 7th is spent on an ascent that is dropped.
      for (let t = 0; t < 3; t++) {
        const e = (0.05 * x) / Math.abs(x);
        x -= 0.1 * (x + e);
      }
      expect(out.end[r]![0]).toBeCloseTo(x, 14);
      expect(out.evals[r]).toBe(7);
      expect(out.steps[r]).toBe(3);
    });
  });

  it("stays put where the gradient vanishes instead of dividing by zero", () => {
    const compiled = compileText(spec("", "SAM", "10 gradients"));
    const out = runCell(compiled, "SAM", "Bowl", { start: [[0]] });
    expect(out.end[0]).toEqual([0]);
  });
});

describe("repeat ... until (local search)", () => {
  it("stops when |g| < eps; a search stopped after k steps costs k + 1 gradients", () => {
    const compiled = compileText(spec("optimizer Search { repeat 50 { descend 0.5 } until gradnorm < 0.1 }", "Search", "5 gradients"));
    // |g| = |x|: 1, .5, .25, .125 pass the test; .0625 stops the search after 4 steps.
    const out = runCell(compiled, "Search", "Bowl", { start: [[1]] });
    expect(out.end[0]).toEqual([0.0625]);
    expect(out.evals[0]).toBe(5);
    expect(out.steps[0]).toBe(4);
    // Later passes only check (one gradient each) and never move.
    const longer = runCell(compiled, "Search", "Bowl", { start: [[1]], budget: 9 });
    expect(longer.end[0]).toEqual([0.0625]);
    expect(longer.evals[0]).toBe(9);
    expect(longer.steps[0]).toBe(4);
  });

  it("a full search of tau steps costs tau gradients", () => {
    const compiled = compileText(spec("optimizer Search { repeat 3 { descend 0.1 } until gradnorm < 1e-9 }", "Search", "6 gradients"));
    const out = runCell(compiled, "Search", "Bowl", { start: [[1]] });
    let x = 1;
    for (let t = 0; t < 6; t++) x -= 0.1 * x;
    expect(out.end[0]![0]).toBeCloseTo(x, 14);
    expect(out.steps[0]).toBe(6);
    expect(out.evals[0]).toBe(6);
  });
});

describe("noise in the model (NiM-GD)", () => {
  const compiled = compileText(spec("", "NiM_GD(lr = 0.1, rho = 0.001, eps = 1, tau = 2)", "10 gradients"));

  it("does not perturb while t <= tau", () => {
    const out = runCell(compiled, "NiM_GD", "Bowl", { start: [[0.01]], budget: 3 });
    expect(out.end[0]![0]).toBeCloseTo(0.01 * 0.9 ** 3, 15);
    expect(out.steps[0]).toBe(3);
  });

  it("perturbs when |g| < eps and t > tau, counting the gradient after the jump", () => {
    // 3 plain iterations (3 gradients), then 3 perturbed ones (2 gradients each); the 10th
    // gradient triggers a jump with no budget left, so the trajectory stops unperturbed.
    const out = runCell(compiled, "NiM_GD", "Bowl", { start: [[0.01]] });
    expect(out.evals[0]).toBe(10);
    expect(out.steps[0]).toBe(6);
    expect(out.end[0]![0]).not.toBeCloseTo(0.01 * 0.9 ** 6, 8);
    expect(Math.abs(out.end[0]![0]! - 0.01 * 0.9 ** 6)).toBeLessThan(3 * 0.001);
  });

  it("never perturbs while the gradient is steep", () => {
    const out = runCell(compiled, "NiM_GD", "Bowl", { start: [[5]] });
    // |g| = |x| stays above eps = 1 for 10 steps of x *= 0.9 from 5 (5 * 0.9^10 = 1.74).
    expect(out.end[0]![0]).toBeCloseTo(5 * 0.9 ** 10, 13);
    expect(out.steps[0]).toBe(10);
  });
});

describe("basin hopping", () => {
  const hopping = `
optimizer MBH { start LocalSearch(1e-3, 50, 1e-2) hop { perturb model ball(1.5) LocalSearch(1e-3, 50, 1e-2) accept if lower } }
optimizer BH  { start LocalSearch(1e-3, 50, 1e-2) hop { perturb model ball(1.5) LocalSearch(1e-3, 50, 1e-2) accept always } }`;
  const starts = Array.from({ length: 16 }, (_, r) => [-4.5 + (9 * r) / 15, 4 - r / 3]);

  function lossesByHops(optimizer: string) {
    // With a budget in iterations (hops), a longer run repeats a shorter one and goes on.
    return [1, 2, 3, 4, 5, 6, 8, 12].map((hops) => {
      const compiled = compileText(spec(hopping, "MBH, BH", `${hops} iterations`));
      return runCell(compiled, optimizer, "Himmelblau", { start: starts }).loss;
    });
  }

  it("monotonic hopping never increases f", () => {
    const losses = lossesByHops("MBH");
    for (let k = 1; k < losses.length; k++) starts.forEach((_, r) => expect(losses[k]![r]).toBeLessThanOrEqual(losses[k - 1]![r]!));
  });

  it("plain hopping accepts every candidate, so f does go up sometimes", () => {
    const losses = lossesByHops("BH");
    const increases = losses.slice(1).flatMap((l, k) => l.filter((v, r) => v > losses[k]![r]!)).length;
    expect(increases).toBeGreaterThan(0);
  });

  it("a new hop starts only while budget remains, and every budget is spent exactly", () => {
    const compiled = compileText(spec("", "GD, NiG_GD, NiM_GD, SAM, NiG_BH, NiM_BH, NiG_MBH, NiM_MBH", "777 gradients"));
    for (const optimizer of ["GD", "NiG_GD", "NiM_GD", "SAM", "NiG_BH", "NiM_BH", "NiG_MBH", "NiM_MBH"]) {
      const out = runCell(compiled, optimizer, "SixHumpCamel", { restarts: 40, experiment: "E" }) ;
      expect(out.evals.every((e) => e === 777), optimizer).toBe(true);
    }
  });
});

describe("loss curves", () => {
  it("record f every `stride` gradients from the start to the end of the budget", () => {
    const compiled = compileText(spec("", "GD(lr = 0.1)", "25 gradients"));
    const out = runCell(compiled, "GD", "Bowl", { start: [[1], [-3]] });
    // 25 gradients, about 50 points: a stride of 1, so f after every step, 26 values.
    [1, -3].forEach((x0, r) => {
      const expected = Array.from({ length: 26 }, (_, k) => (x0 * 0.9 ** k) ** 2 / 2);
      out.curves![r]!.forEach((v, k) => expect(v).toBeCloseTo(expected[k]!, 13));
      expect(out.curves![r]).toHaveLength(26);
    });
  });

  it("record the accepted loss inside hops, which monotonic hopping never raises", () => {
    const compiled = compileText(spec(`optimizer MBH { start LocalSearch(1e-3, 50, 1e-2) hop { perturb model ball(1.5) LocalSearch(1e-3, 50, 1e-2) accept if lower } }`, "MBH", "2000 gradients"));
    const out = runCell(compiled, "MBH", "Himmelblau", { restarts: 12 });
    for (const curve of out.curves!) {
      expect(curve).toHaveLength(51);
      // Stride 40: from the third point on, every record is taken inside a hop.
      for (let k = 3; k < curve.length; k++) expect(curve[k]).toBeLessThanOrEqual(curve[k - 1]!);
      expect(curve[50]).toBe(out.loss[out.curves!.indexOf(curve)]);
    }
  });

  it("are not recorded for a budget in iterations", () => {
    const compiled = compileText(spec("", "GD", "10 iterations"));
    expect(runCell(compiled, "GD", "Bowl", { restarts: 3 }).curves).toBeNull();
  });
});

describe("record every N gradients", () => {
  it("sets the stride of the loss curves", () => {
    const compiled = compileText(spec("", "GD(lr = 0.1)", "30 gradients", "record every 10 gradients"));
    expect(compiled.plan.experiments[0]!.curveStride).toBe(10);
    const out = runCell(compiled, "GD", "Bowl", { start: [[2]] });
    expect(out.curves![0]!.map((v) => Number(v.toPrecision(12)))).toEqual([0, 10, 20, 30].map((k) => Number(((2 * 0.9 ** k) ** 2 / 2).toPrecision(12))));
  });
});
