import { describe, expect, it } from "vitest";

import { StatsError, tTest } from "../../../runtime/stats/index.js";
import { expectMatchesScipy, vectors } from "./vectors.js";

const entries = vectors.cases.two_sample.flatMap((sample) =>
  sample.ttest_ind.map((vector) => ({
    name: `${sample.id} ${sample.kind} n=${sample.n_x}/${sample.n_y} ${vector.equal_var ? "pooled" : "welch"} ${vector.alternative}`,
    sample,
    vector,
  })),
);

describe("tTest against scipy.stats.ttest_ind", () => {
  it.each(entries)("$name", ({ sample, vector }) => {
    const result = tTest(sample.x, sample.y, { equalVariance: vector.equal_var, alternative: vector.alternative });
    expectMatchesScipy(result.statistic, vector.statistic, "statistic");
    expectMatchesScipy(result.pValue, vector.pvalue, "pValue");
    expectMatchesScipy(result.df, vector.df, "df");
  });
});

describe("tTest edge cases", () => {
  it("pools a size-1 sample as contributing no squared deviations", () => {
    // Pooled variance = ((3 − 1) · 1) / (1 + 3 − 2) = 1; t = (5 − 2) / sqrt(1 · (1 + 1/3)).
    const result = tTest([5], [1, 2, 3]);
    expect(result.df).toBe(2);
    expect(result.statistic).toBeCloseTo(3 / Math.sqrt(4 / 3), 14);
  });

  it("gives NaN for Welch with a size-1 sample, reporting df = 1", () => {
    const result = tTest([5], [1, 2, 3], { equalVariance: false });
    expect(result.statistic).toBeNaN();
    expect(result.pValue).toBeNaN();
    expect(result.df).toBe(1);
  });

  it("gives ±Infinity for constant samples with different means and NaN for equal ones", () => {
    expect(tTest([2, 2, 2], [1, 1], { alternative: "greater" })).toEqual({ statistic: Infinity, pValue: 0, df: 3 });
    expect(tTest([2, 2, 2], [1, 1], { alternative: "less" }).pValue).toBe(1);
    expect(tTest([2, 2], [2, 2, 2]).statistic).toBeNaN();
  });

  it("matches the hand-computed t = −2 (df 8) for x = 1..5, y = 3..7", () => {
    // Pooled variance 2.5, standard error sqrt(2.5 · (1/5 + 1/5)) = 1, mean difference −2.
    const result = tTest([1, 2, 3, 4, 5], [3, 4, 5, 6, 7]);
    expect(result.statistic).toBeCloseTo(-2, 14);
    expect(result.df).toBe(8);
    // 1 − sin θ · Σ_{k<4} ((2k−1)!!/(2k)!!) cos^{2k} θ with θ = atan(2/√8): the closed form for even df.
    expect(result.pValue).toBeCloseTo(0.0805162379572627, 12);
  });
});

describe("tTest input checks", () => {
  it.each([
    ["empty x", [], [1, 2], /tTest: x is empty/],
    ["NaN in y", [1, 2], [1, NaN], /y\[1\] is NaN/],
    ["Infinity in x", [Infinity, 2], [1, 2], /x\[0\] is Infinity; tTest needs finite values/],
  ])("rejects %s", (_name, x, y, message) => {
    expect(() => tTest(x, y)).toThrow(StatsError);
    expect(() => tTest(x, y)).toThrow(message);
  });

  it("rejects unknown options", () => {
    expect(() => tTest([1, 2], [3, 4], { alternative: "bigger" as never })).toThrow(StatsError);
    expect(() => tTest([1, 2], [3, 4], { equalVariance: "yes" as never })).toThrow(StatsError);
  });
});
