import { describe, expect, it } from "vitest";

import { mannWhitneyU, StatsError } from "../../../runtime/stats/index.js";
import { expectMatchesScipy, vectors } from "./vectors.js";

const entries = vectors.cases.two_sample.flatMap((sample) =>
  sample.mannwhitneyu.map((vector) => ({
    name: `${sample.id} ${sample.kind} n=${sample.n_x}/${sample.n_y} ${vector.alternative} ${vector.method}${vector.use_continuity ? "" : " no-continuity"}`,
    sample,
    vector,
  })),
);

describe("mannWhitneyU against scipy.stats.mannwhitneyu", () => {
  it.each(entries)("$name", ({ sample, vector }) => {
    const result = mannWhitneyU(sample.x, sample.y, {
      alternative: vector.alternative,
      method: vector.method,
      continuity: vector.use_continuity,
    });
    expectMatchesScipy(result.statistic, vector.statistic, "statistic");
    expectMatchesScipy(result.pValue, vector.pvalue, "pValue");
    expect(result.method).toBe(vector.method_resolved ?? vector.method);
  });
});

describe("mannWhitneyU exact null distribution", () => {
  it("matches an independent BigInt count of U for 11 vs 13 values at every U", () => {
    const n1 = 11;
    const n2 = 13;
    const counts = exactCountsOfU(n1, n2);
    const total = counts.reduce((a, b) => a + b, 0n);
    // Samples whose U of x is exactly k: x takes k wins over y's smallest values.
    for (let k = 0; k <= n1 * n2; k++) {
      const [x, y] = samplesWithU(n1, n2, k);
      const upper = mannWhitneyU(x, y, { alternative: "greater", method: "exact" });
      expect(upper.statistic).toBe(k);
      const tail = counts.slice(k).reduce((a, b) => a + b, 0n);
      const expected = Number((tail * 10n ** 18n) / total) / 1e18;
      expect(Math.abs(upper.pValue - expected)).toBeLessThanOrEqual(1e-12 * expected + 1e-17);
    }
  });

  it("stays finite and accurate where the counts overflow doubles (100 vs 200, U near the centre)", () => {
    const [x, y] = samplesWithU(100, 200, 10_000);
    const exact = mannWhitneyU(x, y, { method: "exact" });
    const asymptotic = mannWhitneyU(x, y, { method: "asymptotic", continuity: true });
    expect(exact.pValue).toBe(1);
    const [x2, y2] = samplesWithU(100, 200, 8_000);
    const exactTail = mannWhitneyU(x2, y2, { method: "exact" }).pValue;
    const normalTail = mannWhitneyU(x2, y2, { method: "asymptotic" }).pValue;
    expect(Number.isFinite(exactTail)).toBe(true);
    expect(Math.abs(exactTail - normalTail) / normalTail).toBeLessThan(0.05);
    expect(asymptotic.pValue).toBeCloseTo(1, 2);
  });

  it("follows scipy for requested exact with ties: the distribution ignores ties and U is truncated", () => {
    const tied = mannWhitneyU([1, 2, 3, 5], [3, 4, 6], { method: "exact", alternative: "greater" });
    expect(tied.statistic).toBe(2.5);
    expect(tied.method).toBe("exact");
    // scipy evaluates the tie-free distribution at int(U) = 2, i.e. as for tie-free samples with U = 2.
    const roundedDown = mannWhitneyU([1, 2, 2.5, 5], [3, 4, 6], { method: "exact", alternative: "greater" });
    expect(roundedDown.statistic).toBe(2);
    expect(tied.pValue).toBe(roundedDown.pValue);
    const roundedUp = mannWhitneyU([1, 2, 3.5, 5], [3, 4, 6], { method: "exact", alternative: "greater" });
    expect(roundedUp.statistic).toBe(3);
    expect(tied.pValue).not.toBe(roundedUp.pValue);
  });

  it("auto switches to asymptotic when both samples exceed 8 values or the pooled sample has ties", () => {
    const nine = Array.from({ length: 9 }, (_, i) => i);
    const nineShifted = nine.map((v) => v + 0.5);
    expect(mannWhitneyU(nine, nineShifted).method).toBe("asymptotic");
    expect(mannWhitneyU(nine.slice(0, 8), nineShifted).method).toBe("exact");
    expect(mannWhitneyU([1, 2, 3], [3, 4]).method).toBe("asymptotic");
  });
});

describe("mannWhitneyU input checks", () => {
  it.each([
    ["x empty", [], [1], /mannWhitneyU: x is empty; both samples need at least one value/],
    ["y empty", [1], [], /y is empty/],
    ["NaN in x", [1, NaN], [2], /x\[1\] is NaN/],
    ["non-number in y", [1], ["2"], /y\[0\] is "2"/],
  ])("rejects %s", (_name, x, y, message) => {
    expect(() => mannWhitneyU(x as number[], y as number[])).toThrow(StatsError);
    expect(() => mannWhitneyU(x as number[], y as number[])).toThrow(message);
  });

  it("rejects unknown options", () => {
    expect(() => mannWhitneyU([1], [2], { alternative: "two_sided" as never })).toThrow(/alternative is "two_sided"/);
    expect(() => mannWhitneyU([1], [2], { method: "permutation" as never })).toThrow(StatsError);
    expect(() => mannWhitneyU([1], [2], { continuity: 1 as never })).toThrow(StatsError);
  });

  it("ranks infinities as ordinary extreme values", () => {
    const result = mannWhitneyU([Infinity, 5], [-Infinity, 1], { alternative: "greater" });
    expect(result.statistic).toBe(4);
    expect(result.pValue).toBeCloseTo(1 / 6, 15);
  });
});

/** Counts of U for every k by the textbook recurrence f(m, n, k) = f(m−1, n, k−n) + f(m, n−1, k). */
function exactCountsOfU(n1: number, n2: number): bigint[] {
  const memo = new Map<string, bigint[]>();
  const counts = (m: number, n: number): bigint[] => {
    if (m === 0 || n === 0) return [1n];
    const key = `${m},${n}`;
    const cached = memo.get(key);
    if (cached) return cached;
    const withoutX = counts(m - 1, n);
    const withoutY = counts(m, n - 1);
    const result = Array.from({ length: m * n + 1 }, (_, k) => (withoutX[k - n] ?? 0n) + (withoutY[k] ?? 0n));
    memo.set(key, result);
    return result;
  };
  return counts(n1, n2);
}

/** Tie-free samples of sizes n1, n2 whose U of x equals k. */
function samplesWithU(n1: number, n2: number, k: number): [number[], number[]] {
  const y = Array.from({ length: n2 }, (_, j) => j);
  // Each x value beats as many y values as it sits above; spread k wins over the x values.
  const x = Array.from({ length: n1 }, (_, i) => {
    const wins = Math.min(n2, Math.max(0, k - i * n2));
    return wins - 0.5;
  });
  return [x, y];
}
