import { describe, expect, it } from "vitest";

import { kruskalWallis, StatsError } from "../../../runtime/stats/index.js";
import { expectMatchesScipy, vectors } from "./vectors.js";

const cases = vectors.cases.kruskal.map((vector) => ({
  name: `${vector.id} ${vector.kind} sizes=${vector.sizes.join("/")}`,
  vector,
}));

describe("kruskalWallis against scipy.stats.kruskal", () => {
  it.each(cases)("$name", ({ vector }) => {
    const result = kruskalWallis(vector.groups);
    expectMatchesScipy(result.statistic, vector.statistic, "statistic");
    expectMatchesScipy(result.pValue, vector.pvalue, "pValue");
    expect(result.df).toBe(vector.df);
  });
});

describe("kruskalWallis edge cases", () => {
  it("returns NaN when every value is identical, as scipy", () => {
    const result = kruskalWallis([[3, 3], [3], [3, 3, 3]]);
    expect(result.statistic).toBeNaN();
    expect(result.pValue).toBeNaN();
    expect(result.df).toBe(2);
  });

  it("reproduces scipy's documented example kruskal([1,1,1],[2,2,2],[2,2]) = 7.0", () => {
    const result = kruskalWallis([[1, 1, 1], [2, 2, 2], [2, 2]]);
    expect(result.statistic).toBeCloseTo(7, 12);
    // Chi-square with 2 dof has survival exp(−x/2).
    expect(result.pValue).toBeCloseTo(Math.exp(-3.5), 14);
  });

  it("with two groups equals the squared z of the uncorrected Mann–Whitney test", () => {
    // H for two tie-free groups is (U − n1 n2/2)² / (n1 n2 (N+1)/12).
    const x = [1.5, 3.2, 4.8, 7.1];
    const y = [2.2, 5.5, 6.3, 8.4, 9.9];
    let uOfX = 0;
    for (const a of x) for (const b of y) if (a > b) uOfX++;
    const z2 = (uOfX - 10) ** 2 / ((4 * 5 * 10) / 12);
    expect(kruskalWallis([x, y]).statistic).toBeCloseTo(z2, 13);
  });
});

describe("kruskalWallis input checks", () => {
  it.each([
    ["a single group", [[1, 2, 3]], /at least two groups/],
    ["an empty group", [[1, 2], []], /groups\[1\] is empty; every group needs at least one value/],
    ["NaN", [[1, 2], [NaN]], /groups\[1\]\[0\] is NaN/],
    ["a non-array", "1,2" as never, /pass an array of at least two groups/],
  ])("rejects %s", (_name, groups, message) => {
    expect(() => kruskalWallis(groups as number[][])).toThrow(StatsError);
    expect(() => kruskalWallis(groups as number[][])).toThrow(message);
  });
});
