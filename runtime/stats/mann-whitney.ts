import { normalSf } from "./distributions.js";
import { StatsError } from "./errors.js";
import { averageRanks, pairwiseSum } from "./numeric.js";
import { ALTERNATIVES, type Alternative } from "./types.js";
import { requireBoolean, requireOneOf, requireSample } from "./validate.js";

export type MannWhitneyMethod = "auto" | "exact" | "asymptotic";

export interface MannWhitneyOptions {
  alternative?: Alternative;
  /** "auto" picks "exact" when there are no ties and the smaller sample has at most 8 values. */
  method?: MannWhitneyMethod;
  /** Continuity correction of the asymptotic method; the exact method ignores it. */
  continuity?: boolean;
}

export interface MannWhitneyResult {
  /** U of x: the number of (x, y) pairs with x > y, ties counting one half. */
  statistic: number;
  pValue: number;
  /** The method actually used, after resolving "auto". */
  method: "exact" | "asymptotic";
}

const METHODS: readonly MannWhitneyMethod[] = ["auto", "exact", "asymptotic"];
const EXACT_MAX_SMALLER_SAMPLE = 8;
// Inner-loop steps of the exact distribution (about a second); beyond it the normal approximation is excellent anyway.
const EXACT_MAX_WORK = 1e9;

/** Mann–Whitney U test of x against y, matching scipy.stats.mannwhitneyu (statistic is U of x). */
export function mannWhitneyU(
  x: readonly number[],
  y: readonly number[],
  options: MannWhitneyOptions = {},
): MannWhitneyResult {
  const fn = "mannWhitneyU";
  const alternative = requireOneOf(fn, "alternative", options.alternative ?? "two-sided", ALTERNATIVES);
  const method = requireOneOf(fn, "method", options.method ?? "auto", METHODS);
  const continuity = requireBoolean(fn, "continuity", options.continuity ?? true);
  const rules = { emptyHint: "both samples need at least one value", allowInfinite: true };
  const xs = requireSample(fn, "x", x, rules);
  const ys = requireSample(fn, "y", y, rules);

  const n1 = xs.length;
  const n2 = ys.length;
  const { ranks, tieTerm } = averageRanks([...xs, ...ys]);
  const u1 = pairwiseSum(ranks, 0, n1) - (n1 * (n1 + 1)) / 2;
  const u2 = n1 * n2 - u1;
  // scipy evaluates every alternative as an upper tail: "less" through U2 by symmetry.
  const [u, tails] = alternative === "greater" ? [u1, 1] : alternative === "less" ? [u2, 1] : [Math.max(u1, u2), 2];

  const resolved =
    method !== "auto"
      ? method
      : (n1 > EXACT_MAX_SMALLER_SAMPLE && n2 > EXACT_MAX_SMALLER_SAMPLE) || tieTerm > 0
        ? "asymptotic"
        : "exact";
  const upperTail =
    resolved === "exact"
      ? // Like scipy, the exact null distribution assumes no ties; a tied (half-integer) U is truncated.
        exactUpperTail(Math.trunc(u), n1, n2)
      : normalSf(standardizedU(u, n1, n2, tieTerm, continuity));
  // Doubling a tail exceeds 1 when U sits at the centre, whose probability mass both tails include.
  const pValue = Math.min(1, Math.max(0, upperTail * tails));
  return { statistic: u1, pValue, method: resolved };
}

function standardizedU(u: number, n1: number, n2: number, tieTerm: number, continuity: boolean): number {
  const n = n1 + n2;
  const sd = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  // Subtracting 0.5 is right for every alternative because the p-value is always an upper tail.
  // With all values tied sd is 0: -0.5/0 = -Infinity gives p = 1, and without correction 0/0 gives NaN, as scipy.
  const numerator = u - (n1 * n2) / 2 - (continuity ? 0.5 : 0);
  return numerator / sd;
}

/** P(U ≥ k) under the no-ties null distribution of U for sample sizes n1 and n2. */
function exactUpperTail(k: number, n1: number, n2: number): number {
  const complement = n1 * n2 - k;
  // Summing whichever side of the symmetric distribution is shorter, as scipy's _MWU.sf does.
  if (k < complement) {
    const pmf = exactDistributionOfU(n1, n2, k);
    return 1 - cumulativeSum(pmf, k) + pmf[k]!;
  }
  return cumulativeSum(exactDistributionOfU(n1, n2, complement), complement);
}

function cumulativeSum(values: Float64Array, through: number): number {
  let total = 0;
  for (let i = 0; i <= through; i++) total += values[i]!;
  return total;
}

/**
 * P(U = u) for u = 0..maxU. The counts of U are the coefficients of the Gaussian binomial
 * [m+n choose m]_q = Π_{i=1..m} (1 − q^{n+i}) / (1 − q^i); building it one factor at a time,
 * rescaled by i/(n+i) so it stays a probability vector, costs O(m · maxU) and never overflows,
 * where the integer counts would pass 2^53 (and later the double range) for moderate samples.
 */
function exactDistributionOfU(n1: number, n2: number, maxU: number): Float64Array {
  const m = Math.min(n1, n2);
  const n = Math.max(n1, n2);
  if (m * (maxU + 1) > EXACT_MAX_WORK) {
    throw new StatsError(
      `mannWhitneyU: the exact method for samples of ${n1} and ${n2} values would take too long; use method "asymptotic" (or "auto")`,
    );
  }
  const probability = new Float64Array(maxU + 1);
  probability[0] = 1;
  for (let i = 1; i <= m; i++) {
    for (let u = i; u <= maxU; u++) probability[u]! += probability[u - i]!;
    for (let u = maxU; u >= n + i; u--) probability[u]! -= probability[u - n - i]!;
    const scale = i / (n + i);
    for (let u = 0; u <= maxU; u++) probability[u]! *= scale;
  }
  return probability;
}
