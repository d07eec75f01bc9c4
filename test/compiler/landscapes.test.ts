// The standard library's landscapes: symbolic gradients agree with finite differences, and
// every declared minimum is a true local minimum located to 1e-6, verified by Newton's
// method on finite-difference derivatives (an oracle that shares no code with the compiler).
import { describe, expect, it } from "vitest";
import type { Argument } from "../../grammar/index.js";
import { lowerLandscape, type LandscapeIR } from "../../compiler/lower/landscape.js";
import { loadSpec } from "../../compiler/resolve/load.js";
import { buildSymbolTable } from "../../compiler/resolve/symbols.js";
import { diskHost, resolveImportPath } from "../../compiler/source.js";
import { evaluate } from "../../compiler/symbolic/index.js";

function standardLandscape(name: string, n?: number): LandscapeIR {
  const path = resolveImportPath("std/landscapes", "/");
  const { files, diagnostics } = loadSpec(path, diskHost);
  const symbols = buildSymbolTable(files, []);
  expect(diagnostics).toEqual([]);
  const decl = symbols.landscapes.get(name)!;
  const span = decl.name.span;
  const args: Argument[] = n === undefined ? [] : [{ kind: "Argument", name: { kind: "Identifier", name: "n", span }, value: { kind: "Number", value: n, span }, span }];
  const problems: Parameters<typeof lowerLandscape>[4] = [];
  const ir = lowerLandscape(decl, args, span, name, problems);
  expect(problems).toEqual([]);
  return ir!;
}

/** A seeded generator for test points (mulberry32). */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const f = (l: LandscapeIR, p: number[]) => evaluate(l.objective, p);

function finiteGradient(l: LandscapeIR, p: number[]): number[] {
  return p.map((_, i) => {
    const h = 1e-6 * Math.max(1, Math.abs(p[i]!));
    const up = [...p];
    const down = [...p];
    up[i]! += h;
    down[i]! -= h;
    return (f(l, up) - f(l, down)) / (2 * h);
  });
}

function finiteHessian(l: LandscapeIR, p: number[]): number[][] {
  const h = 1e-4;
  return p.map((_, i) =>
    p.map((_, j) => {
      const at = (di: number, dj: number) => {
        const q = [...p];
        q[i]! += di;
        q[j]! += dj;
        return f(l, q);
      };
      return (at(h, h) - at(h, -h) - at(-h, h) + at(-h, -h)) / (4 * h * h);
    }),
  );
}

/** Newton's method on finite-difference derivatives (2-D), from `p`. */
function newton(l: LandscapeIR, p: number[]): number[] {
  let [x, y] = p as [number, number];
  for (let k = 0; k < 30; k++) {
    const [gx, gy] = finiteGradient(l, [x, y]) as [number, number];
    const [[a, b], [, d]] = finiteHessian(l, [x, y]) as [[number, number], [number, number]];
    const det = a * d - b * b;
    x -= (d * gx - b * gy) / det;
    y -= (a * gy - b * gx) / det;
  }
  return [x, y];
}

const cases: [string, number | undefined][] = [
  ["Himmelblau", undefined],
  ["ThreeHumpCamel", undefined],
  ["SixHumpCamel", undefined],
  ["Rastrigin", 2],
  ["Rastrigin", 5],
  ["Rastrigin", 10],
  ["Rosenbrock", 2],
  ["Rosenbrock", 5],
  ["Rosenbrock", 10],
  ["Ackley", 2],
  ["Ackley", 5],
  ["Ackley", 10],
];

describe.each(cases)("%s (n = %s)", (name, n) => {
  const landscape = standardLandscape(name, n);

  it("has a symbolic gradient equal to central finite differences at random points", () => {
    const next = random(n ?? 3);
    for (let k = 0; k < 40; k++) {
      const p = landscape.lower.map((lo, i) => lo + (landscape.upper[i]! - lo) * next());
      const symbolic = landscape.gradient.map((g) => evaluate(g, p));
      const numeric = finiteGradient(landscape, p);
      const scale = Math.max(1, Math.abs(f(landscape, p)), ...numeric.map(Math.abs));
      symbolic.forEach((g, i) => expect(Math.abs(g - numeric[i]!)).toBeLessThan(1e-6 * scale));
    }
  });

  it("declares minima inside the domain", () => {
    for (const m of landscape.minima) m.at.forEach((c, i) => expect(c >= landscape.lower[i]! && c <= landscape.upper[i]!).toBe(true));
  });
});

describe.each(["Himmelblau", "ThreeHumpCamel", "SixHumpCamel"])("the paper's %s", (name) => {
  const landscape = standardLandscape(name);

  it("lists every minimum to 1e-6, each a strict local minimum with a vanishing gradient", () => {
    for (const m of landscape.minima) {
      const refined = newton(landscape, [...m.at]);
      refined.forEach((c, i) => expect(Math.abs(c - m.at[i]!), `${m.name}`).toBeLessThan(1e-6));
      expect(Math.hypot(...landscape.gradient.map((g) => evaluate(g, m.at)))).toBeLessThan(1e-6);
      const [[a, b], [, d]] = finiteHessian(landscape, [...m.at]) as [[number, number], [number, number]];
      expect(a).toBeGreaterThan(0);
      expect(a * d - b * b).toBeGreaterThan(0);
    }
  });

  it("lists the minima with the values and labels of the literature", () => {
    const values: Record<string, number[]> = {
      Himmelblau: [0, 0, 0, 0],
      ThreeHumpCamel: [0, 0.298638442, 0.298638442],
      SixHumpCamel: [-1.031628453, -1.031628453, 2.10425031, 2.10425031, -0.215463824, -0.215463824],
    };
    landscape.minima.forEach((m, k) => expect(f(landscape, [...m.at])).toBeCloseTo(values[name]![k]!, 8));
    const globals = landscape.minima.filter((m) => m.kind === "global").map((m) => f(landscape, [...m.at]));
    const locals = landscape.minima.filter((m) => m.kind === "local").map((m) => f(landscape, [...m.at]));
    for (const l of locals) expect(l).toBeGreaterThan(Math.max(...globals) + 1e-6);
  });
});

it("orders the six-hump camel's local minima from flat to sharp (LM3, LM4 are the sharpest)", () => {
  const landscape = standardLandscape("SixHumpCamel");
  const sharpness = (name: string) => {
    const [[a, b], [, d]] = finiteHessian(landscape, [...landscape.minima.find((m) => m.name === name)!.at]) as [[number, number], [number, number]];
    return a * d - b * b;
  };
  expect(sharpness("LM1")).toBeCloseTo(sharpness("LM2"), 3);
  expect(sharpness("LM3")).toBeCloseTo(sharpness("LM4"), 3);
  expect(sharpness("LM3")).toBeGreaterThan(4 * sharpness("LM1"));
});
