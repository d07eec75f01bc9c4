import { chiSquareSf } from "./distributions.js";
import { StatsError } from "./errors.js";
import { averageRanks, pairwiseSum } from "./numeric.js";
import { describeValue, requireSample } from "./validate.js";

export interface KruskalWallisResult {
  /** Tie-corrected H. */
  statistic: number;
  pValue: number;
  df: number;
}

/** Kruskal–Wallis H test that all groups come from the same distribution, matching scipy.stats.kruskal. */
export function kruskalWallis(groups: readonly (readonly number[])[]): KruskalWallisResult {
  const fn = "kruskalWallis";
  if (!Array.isArray(groups) || groups.length < 2) {
    throw new StatsError(`${fn}: groups is ${describeValue(groups)}; pass an array of at least two groups of values`);
  }
  const samples = groups.map((group: unknown, i: number) =>
    requireSample(fn, `groups[${i}]`, group, { emptyHint: "every group needs at least one value", allowInfinite: true }),
  );

  const { ranks, tieTerm } = averageRanks(samples.flat());
  const total = ranks.length;
  const df = samples.length - 1;
  if (tieTerm === total ** 3 - total) {
    // Every value identical: H is 0/0. scipy reports NaN rather than raising.
    return { statistic: NaN, pValue: NaN, df };
  }
  const tieCorrection = 1 - tieTerm / (total ** 3 - total);
  let start = 0;
  let rankSumSquaresOverSize = 0;
  for (const sample of samples) {
    const rankSum = pairwiseSum(ranks, start, sample.length);
    rankSumSquaresOverSize += (rankSum * rankSum) / sample.length;
    start += sample.length;
  }
  const uncorrected = (12 / (total * (total + 1))) * rankSumSquaresOverSize - 3 * (total + 1);
  const statistic = uncorrected / tieCorrection;
  return { statistic, pValue: chiSquareSf(statistic, df), df };
}
