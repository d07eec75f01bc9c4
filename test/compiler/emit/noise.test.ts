// The noise distributions the kernels draw (ball, sphere, gaussian in 1, 2, 3 and 5
// dimensions), checked against their known moments and symmetry. A flat landscape and one
// step of `perturb gradient DIST; descend 1` from the origin expose each draw: w = -zeta.
import { describe, expect, it } from "vitest";
import { chiSquareGoodnessOfFit } from "../../../runtime/stats/index.js";
import { compileText, runCell } from "../../support/run-spec.js";

const R = 20_000;

function draws(dims: number, distribution: string): number[][] {
  const compiled = compileText(`
landscape Flat(n = ${dims}) { vars x[n] in [-1, 1] f = 0 * x[1] }
optimizer Probe { perturb gradient ${distribution}; descend 1 }
experiment E { on Flat run Probe restarts ${R} budget 1 gradients init at all(0) seed 11 }`);
  return runCell(compiled, "Probe", "Flat").end.map((w) => w.map((v) => -v));
}

const norm = (z: number[]) => Math.hypot(...z);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Share of draws per orthant (sign pattern), tested for uniformity. */
function orthantPValue(zs: number[][], dims: number): number {
  const counts = new Array(2 ** dims).fill(0);
  for (const z of zs) counts[z.reduce((k, v, i) => k + (v > 0 ? 1 << i : 0), 0)]++;
  return chiSquareGoodnessOfFit(counts).pValue;
}

describe.each([1, 2, 3, 5])("in %i dimension(s)", (dims) => {
  it("ball(r): inside the ball, E|z|^2 = r^2 d/(d+2), symmetric", () => {
    const zs = draws(dims, "ball(2)");
    expect(Math.max(...zs.map(norm))).toBeLessThanOrEqual(2);
    const squared = zs.map((z) => norm(z) ** 2);
    const expected = (4 * dims) / (dims + 2);
    // Var |z|^2 for the uniform ball: r^4 d/(d+4) - (r^2 d/(d+2))^2.
    const sd = Math.sqrt((16 * dims) / (dims + 4) - expected ** 2);
    expect(Math.abs(mean(squared) - expected)).toBeLessThan((5 * sd) / Math.sqrt(R));
    for (let i = 0; i < dims; i++) expect(Math.abs(mean(zs.map((z) => z[i]!)))).toBeLessThan(0.05);
    expect(orthantPValue(zs, dims)).toBeGreaterThan(1e-4);
  });

  it("sphere(r): on the sphere, symmetric", () => {
    const zs = draws(dims, "sphere(0.5)");
    for (const z of zs.slice(0, 1000)) expect(norm(z)).toBeCloseTo(0.5, 12);
    expect(orthantPValue(zs, dims)).toBeGreaterThan(1e-4);
  });

  it("gaussian(s): each coordinate has mean 0 and variance s^2, uncorrelated", () => {
    const zs = draws(dims, "gaussian(3)");
    for (let i = 0; i < dims; i++) {
      const xs = zs.map((z) => z[i]!);
      expect(Math.abs(mean(xs))).toBeLessThan((5 * 3) / Math.sqrt(R));
      expect(Math.abs(mean(xs.map((x) => x * x)) / 9 - 1)).toBeLessThan(5 * Math.sqrt(2 / R));
    }
    if (dims > 1) expect(Math.abs(mean(zs.map((z) => z[0]! * z[1]!)) / 9)).toBeLessThan(5 / Math.sqrt(R));
  });
});

it("the radius of a 2-D ball draw is distributed as r sqrt(U): P(|z| < r/2) = 1/4", () => {
  const zs = draws(2, "ball(1)");
  const inner = zs.filter((z) => norm(z) < 0.5).length / R;
  expect(Math.abs(inner - 0.25)).toBeLessThan(5 * Math.sqrt((0.25 * 0.75) / R));
});
