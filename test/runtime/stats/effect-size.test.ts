import { describe, expect, it } from "vitest";

import {
  cliffsDelta,
  cohensD,
  countPairOrderings,
  StatsError,
  tTest,
  varghaDelaneyA12,
} from "../../../runtime/stats/index.js";
import { expectMatchesScipy, vectors } from "./vectors.js";

const cases = vectors.cases.two_sample.map((sample) => ({
  name: `${sample.id} ${sample.kind} n=${sample.n_x}/${sample.n_y}`,
  sample,
}));

describe("effect sizes against the reference vectors", () => {
  it.each(cases)("$name", ({ sample }) => {
    expect(countPairOrderings(sample.x, sample.y)).toEqual({
      xGreater: sample.pair_counts.x_gt_y,
      xLess: sample.pair_counts.x_lt_y,
      tied: sample.pair_counts.x_eq_y,
    });
    expectMatchesScipy(cliffsDelta(sample.x, sample.y), sample.cliffs_delta, "cliffsDelta");
    expectMatchesScipy(varghaDelaneyA12(sample.x, sample.y), sample.vargha_delaney_a12, "varghaDelaneyA12");
  });
});

describe("cliffsDelta and varghaDelaneyA12", () => {
  it("hand case with ties", () => {
    // Pairs of [1, 2, 3] vs [2, 4]: x > y once (3 > 2), ties once (2 = 2), x < y four times.
    expect(countPairOrderings([1, 2, 3], [2, 4])).toEqual({ xGreater: 1, xLess: 4, tied: 1 });
    expect(cliffsDelta([1, 2, 3], [2, 4])).toBe(-3 / 6);
    expect(varghaDelaneyA12([1, 2, 3], [2, 4])).toBe(1.5 / 6);
  });

  it("are related by delta = 2·A12 − 1 and are antisymmetric", () => {
    const x = [0.3, 1.2, -0.4, 2.2, 1.2];
    const y = [1.2, 0.1, 0.9];
    expect(cliffsDelta(x, y)).toBeCloseTo(2 * varghaDelaneyA12(x, y) - 1, 15);
    expect(cliffsDelta(y, x)).toBeCloseTo(-cliffsDelta(x, y), 15);
  });

  it("treats infinities as extreme values", () => {
    expect(cliffsDelta([Infinity], [1e308, -Infinity])).toBe(1);
    expect(varghaDelaneyA12([-Infinity], [-Infinity])).toBe(0.5);
  });

  it("rejects empty samples and NaN", () => {
    expect(() => cliffsDelta([], [1])).toThrow(/cliffsDelta: x is empty; both samples need at least one value/);
    expect(() => varghaDelaneyA12([1], [NaN])).toThrow(StatsError);
  });
});

describe("cohensD", () => {
  it("hand case: equal variances 2.5, mean difference −2", () => {
    expect(cohensD([1, 2, 3, 4, 5], [3, 4, 5, 6, 7])).toBeCloseTo(-2 / Math.sqrt(2.5), 15);
  });

  it("hand case with unequal sizes: pooled SD sqrt((8 + 12) / 5) = 2, difference 2", () => {
    // x = [2, 4, 6]: mean 4, squared deviations 8; y = [1, 1, 1, 5]: mean 2, squared deviations 12.
    expect(cohensD([2, 4, 6], [1, 1, 1, 5])).toBeCloseTo(1, 15);
  });

  it("equals the pooled t statistic times sqrt(1/n_x + 1/n_y)", () => {
    const x = [3.1, 2.7, 4.4, 3.9, 3.0, 2.2];
    const y = [2.0, 2.9, 1.7, 2.4];
    const t = tTest(x, y).statistic;
    expect(cohensD(x, y)).toBeCloseTo(t * Math.sqrt(1 / 6 + 1 / 4), 14);
  });

  it("gives ±Infinity for separated constant samples and NaN for identical ones", () => {
    expect(cohensD([2, 2], [1, 1, 1])).toBe(Infinity);
    expect(cohensD([2, 2], [2, 2])).toBeNaN();
  });

  it("rejects inputs where the pooled SD cannot exist", () => {
    expect(() => cohensD([1], [2])).toThrow(/one value each, so the pooled standard deviation is undefined/);
    expect(() => cohensD([], [2, 3])).toThrow(StatsError);
    expect(() => cohensD([1, Infinity], [2, 3])).toThrow(/x\[1\] is Infinity/);
  });
});
