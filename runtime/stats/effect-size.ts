import { StatsError } from "./errors.js";
import { mean, sampleVariance } from "./numeric.js";
import { requireSample } from "./validate.js";

export interface PairOrderingCounts {
  /** Pairs (x_i, y_j) with x_i > y_j. */
  xGreater: number;
  /** Pairs with x_i < y_j. */
  xLess: number;
  /** Pairs with x_i = y_j. */
  tied: number;
}

/** Counts, over all n_x·n_y pairs, how often x beats, loses to and ties y (O((n_x + n_y) log n_y)). */
export function countPairOrderings(x: readonly number[], y: readonly number[]): PairOrderingCounts {
  return pairOrderings("countPairOrderings", x, y);
}

/** Cliff's delta = (#{x > y} − #{x < y}) / (n_x n_y), in [−1, 1]; positive when x tends to be larger. */
export function cliffsDelta(x: readonly number[], y: readonly number[]): number {
  const { xGreater, xLess } = pairOrderings("cliffsDelta", x, y);
  return (xGreater - xLess) / (x.length * y.length);
}

/** Vargha–Delaney A12 = P(X > Y) + ½ P(X = Y), in [0, 1]; 0.5 means no tendency either way. */
export function varghaDelaneyA12(x: readonly number[], y: readonly number[]): number {
  const { xGreater, tied } = pairOrderings("varghaDelaneyA12", x, y);
  return (xGreater + 0.5 * tied) / (x.length * y.length);
}

/**
 * Cohen's d = (mean(x) − mean(y)) / pooled SD with n − 1 denominators; like the pooled t-test,
 * a single-value sample adds no squared deviations, and zero pooled SD gives ±Infinity (or NaN for equal means).
 */
export function cohensD(x: readonly number[], y: readonly number[]): number {
  const fn = "cohensD";
  const xs = requireSample(fn, "x", x, { emptyHint: "both samples need at least one value" });
  const ys = requireSample(fn, "y", y, { emptyHint: "both samples need at least one value" });
  const df = xs.length + ys.length - 2;
  if (df === 0) {
    // Leaves the pooled SD as 0/0; asking for more data is more useful than returning NaN.
    throw new StatsError(
      `${fn}: x and y have one value each, so the pooled standard deviation is undefined; at least one sample needs two or more values`,
    );
  }
  const meanX = mean(xs);
  const meanY = mean(ys);
  const squaresX = xs.length === 1 ? 0 : (xs.length - 1) * sampleVariance(xs, meanX);
  const squaresY = ys.length === 1 ? 0 : (ys.length - 1) * sampleVariance(ys, meanY);
  return (meanX - meanY) / Math.sqrt((squaresX + squaresY) / df);
}

function pairOrderings(fn: string, x: readonly number[], y: readonly number[]): PairOrderingCounts {
  const rules = { emptyHint: "both samples need at least one value", allowInfinite: true };
  const xs = requireSample(fn, "x", x, rules);
  const sortedY = [...requireSample(fn, "y", y, rules)].sort((a, b) => a - b);
  let xGreater = 0;
  let xLess = 0;
  for (const value of xs) {
    const below = firstIndexWhere(sortedY, (candidate) => candidate >= value);
    const notAbove = firstIndexWhere(sortedY, (candidate) => candidate > value);
    xGreater += below;
    xLess += sortedY.length - notAbove;
  }
  return { xGreater, xLess, tied: xs.length * sortedY.length - xGreater - xLess };
}

/** Binary search in a sorted array for the first index satisfying a monotone predicate (length if none). */
function firstIndexWhere(sorted: readonly number[], predicate: (value: number) => boolean): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (predicate(sorted[middle]!)) high = middle;
    else low = middle + 1;
  }
  return low;
}
