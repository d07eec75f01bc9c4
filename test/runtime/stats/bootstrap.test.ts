import { describe, expect, it } from "vitest";

import {
  bootstrapMedianInterval,
  bootstrapShareInterval,
  seededUniform,
  StatsError,
} from "../../../runtime/stats/index.js";

const sample = [3.2, 1.1, 4.8, 2.2, 9.7, 0.4, 5.5, 2.9, 3.3, 7.1, 1.8, 4.0, 2.5];

describe("seededUniform", () => {
  it("is deterministic per seed, distinguishes nearby seeds and stays in [0, 1)", () => {
    const draw = (seed: number) => {
      const random = seededUniform(seed);
      return Array.from({ length: 1000 }, () => random());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    expect(draw(1)).not.toEqual(draw(1.5));
    expect(draw(2 ** 40)).not.toEqual(draw(2 ** 40 + 1));
    const values = draw(7);
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    const average = values.reduce((a, b) => a + b, 0) / values.length;
    expect(average).toBeGreaterThan(0.45);
    expect(average).toBeLessThan(0.55);
  });
});

describe("bootstrapMedianInterval", () => {
  it("is deterministic for a seed and changes with the seed", () => {
    const first = bootstrapMedianInterval(sample, { seed: 11 });
    expect(bootstrapMedianInterval(sample, { seed: 11 })).toEqual(first);
    // With 13 distinct values the percentile endpoints are often the same order statistics,
    // so only a spread of seeds on few resamples is sure to move them.
    const endpoints = new Set(
      Array.from({ length: 10 }, (_, seed) => {
        const { lower, upper } = bootstrapMedianInterval(sample, { seed, resamples: 50 });
        return `${lower},${upper}`;
      }),
    );
    expect(endpoints.size).toBeGreaterThan(1);
    expect(first.resamples).toBe(2000);
    expect(first.confidence).toBe(0.95);
  });

  it("reports the sample median and an interval around it", () => {
    const interval = bootstrapMedianInterval(sample, { seed: 5 });
    expect(interval.estimate).toBe(3.2);
    expect(interval.lower).toBeLessThanOrEqual(interval.estimate);
    expect(interval.upper).toBeGreaterThanOrEqual(interval.estimate);
    expect(interval.lower).toBeGreaterThanOrEqual(Math.min(...sample));
    expect(interval.upper).toBeLessThanOrEqual(Math.max(...sample));
    const even = bootstrapMedianInterval([4, 1, 3, 2], { seed: 5 });
    expect(even.estimate).toBe(2.5);
  });

  it("narrows as the confidence level drops", () => {
    const wide = bootstrapMedianInterval(sample, { seed: 3, confidence: 0.99 });
    const narrow = bootstrapMedianInterval(sample, { seed: 3, confidence: 0.5 });
    expect(narrow.upper - narrow.lower).toBeLessThan(wide.upper - wide.lower);
  });

  it("covers the true median of an exponential distribution about 95% of the time", () => {
    const random = seededUniform(2024);
    const trueMedian = Math.LN2;
    const datasets = 300;
    let covered = 0;
    for (let d = 0; d < datasets; d++) {
      const data = Array.from({ length: 41 }, () => -Math.log(1 - random()));
      const interval = bootstrapMedianInterval(data, { seed: d, resamples: 400 });
      if (interval.lower <= trueMedian && trueMedian <= interval.upper) covered++;
    }
    expect(covered / datasets).toBeGreaterThan(0.88);
    expect(covered / datasets).toBeLessThan(0.99);
  });
});

describe("bootstrapShareInterval", () => {
  const memberships = Array.from({ length: 40 }, (_, i) => i % 4 === 0);

  it("is deterministic for a seed and contains the observed share", () => {
    const interval = bootstrapShareInterval(memberships, { seed: 9 });
    expect(bootstrapShareInterval(memberships, { seed: 9 })).toEqual(interval);
    expect(interval.estimate).toBe(0.25);
    expect(interval.lower).toBeLessThanOrEqual(0.25);
    expect(interval.upper).toBeGreaterThanOrEqual(0.25);
    expect(interval.lower).toBeGreaterThanOrEqual(0);
    expect(interval.upper).toBeLessThanOrEqual(1);
  });

  it("collapses to a point when every run (or none) reached the set", () => {
    expect(bootstrapShareInterval([true, true, true], { seed: 1 })).toMatchObject({ estimate: 1, lower: 1, upper: 1 });
    expect(bootstrapShareInterval([false, false], { seed: 1 })).toMatchObject({ estimate: 0, lower: 0, upper: 0 });
  });

  it("has the quantiles of the bootstrap distribution Binomial(n, share) / n", () => {
    // For n = 1000 and share 0.3, the 2.5% and 97.5% quantiles of Binomial(1000, 0.3) are 272 and 329.
    const runs = Array.from({ length: 1000 }, (_, i) => i % 10 < 3);
    const interval = bootstrapShareInterval(runs, { seed: 5, resamples: 20000 });
    expect(interval.lower).toBeCloseTo(0.272, 2);
    expect(interval.upper).toBeCloseTo(0.329, 2);
  });

  it("keeps the numbers of the plain percentile bootstrap (every resample's share, sorted), bit for bit", () => {
    // Pinned from the implementation that mapped every draw to its share and sorted the shares:
    // reading only the needed order statistics of the sorted draws must not move a bit,
    // interpolated quantiles (0.04205 lies between two shares) included.
    const runs = (n: number, members: number) => Array.from({ length: n }, (_, i) => i < members);
    const interval = (n: number, members: number, options: { seed: number; confidence?: number; resamples?: number }) => {
      const { lower, upper } = bootstrapShareInterval(runs(n, members), options);
      return [lower, upper];
    };
    expect(interval(500, 14, { seed: 23 })).toEqual([0.014, 0.042049999999999726]);
    expect(interval(500, 14, { seed: 52 })).toEqual([0.016, 0.042049999999999726]);
    expect(interval(500, 183, { seed: 7 })).toEqual([0.324, 0.41]);
    expect(interval(1000, 300, { seed: 5, confidence: 0.99, resamples: 20000 })).toEqual([0.264, 0.338]);
    expect(interval(13, 4, { seed: 0, confidence: 0.8, resamples: 10 })).toEqual([0.13846153846153844, 0.38461538461538464]);
  });

  it("covers the true share 0.3 about 95% of the time", () => {
    const random = seededUniform(77);
    const datasets = 300;
    let covered = 0;
    for (let d = 0; d < datasets; d++) {
      const runs = Array.from({ length: 60 }, () => random() < 0.3);
      const interval = bootstrapShareInterval(runs, { seed: 1000 + d, resamples: 400 });
      if (interval.lower <= 0.3 && 0.3 <= interval.upper) covered++;
    }
    expect(covered / datasets).toBeGreaterThan(0.88);
    expect(covered / datasets).toBeLessThan(0.99);
  });
});

describe("bootstrap input checks", () => {
  it.each([
    ["an empty sample", () => bootstrapMedianInterval([], { seed: 1 }), /x is empty; the median needs at least one value/],
    ["NaN", () => bootstrapMedianInterval([1, NaN], { seed: 1 }), /x\[1\] is NaN/],
    ["a missing seed", () => bootstrapMedianInterval([1], {} as never), /seed is undefined; pass a finite number/],
    ["a non-finite seed", () => bootstrapMedianInterval([1], { seed: NaN }), /seed is NaN/],
    ["zero resamples", () => bootstrapMedianInterval([1], { seed: 1, resamples: 0 }), /resamples is 0/],
    ["fractional resamples", () => bootstrapMedianInterval([1], { seed: 1, resamples: 10.5 }), /resamples is 10.5/],
    ["confidence 1", () => bootstrapMedianInterval([1], { seed: 1, confidence: 1 }), /confidence is 1; use a number strictly between 0 and 1/],
    ["no memberships", () => bootstrapShareInterval([], { seed: 1 }), /memberships is an array of length 0/],
    ["a non-boolean membership", () => bootstrapShareInterval([true, 1 as never], { seed: 1 }), /memberships\[1\] is 1/],
  ])("rejects %s", (_name, call, message) => {
    expect(call).toThrow(StatsError);
    expect(call).toThrow(message);
  });
});
