/**
 * Sum of values[start, start + count) in numpy's pairwise order; scipy sums with numpy, so
 * rounding the same way keeps borderline statistics identical rather than merely close.
 */
export function pairwiseSum(values: ArrayLike<number>, start = 0, count = values.length - start): number {
  if (count < 8) {
    let total = 0;
    for (let i = start; i < start + count; i++) total += values[i]!;
    return total;
  }
  // numpy's 128-element block: eight interleaved accumulators, then a fixed reduction tree.
  if (count <= 128) {
    const acc = [0, 0, 0, 0, 0, 0, 0, 0];
    for (let j = 0; j < 8; j++) acc[j] = values[start + j]!;
    const unrolledEnd = count - (count % 8);
    let i = 8;
    for (; i < unrolledEnd; i += 8) {
      for (let j = 0; j < 8; j++) acc[j]! += values[start + i + j]!;
    }
    let total = (acc[0]! + acc[1]! + (acc[2]! + acc[3]!)) + (acc[4]! + acc[5]! + (acc[6]! + acc[7]!));
    for (; i < count; i++) total += values[start + i]!;
    return total;
  }
  let half = Math.floor(count / 2);
  half -= half % 8;
  return pairwiseSum(values, start, half) + pairwiseSum(values, start + half, count - half);
}

/** Arithmetic mean as numpy computes it (pairwise sum, then one division). */
export function mean(values: ArrayLike<number>): number {
  return pairwiseSum(values) / values.length;
}

/** Variance with n − 1 denominator as scipy's `_var(ddof=1)` computes it; NaN for a single value. */
export function sampleVariance(values: ArrayLike<number>, center: number = mean(values)): number {
  const n = values.length;
  const squaredDeviations = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const deviation = values[i]! - center;
    squaredDeviations[i] = deviation * deviation;
  }
  return (pairwiseSum(squaredDeviations) / n) * (n / (n - 1));
}

export interface AverageRanks {
  /** 1-based ranks in input order; tied values share the mean of the ranks they span. */
  ranks: Float64Array;
  /** Σ (t³ − t) over groups of t tied values: the quantity every tie correction is built from. */
  tieTerm: number;
}

/** Average ranks of `values` plus the tie term, as scipy's `_rankdata(method="average")`. */
export function averageRanks(values: readonly number[]): AverageRanks {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a]! - values[b]! || a - b);
  const ranks = new Float64Array(n);
  let tieTerm = 0;
  let groupStart = 0;
  while (groupStart < n) {
    let groupEnd = groupStart + 1;
    while (groupEnd < n && values[order[groupEnd]!] === values[order[groupStart]!]) groupEnd++;
    const size = groupEnd - groupStart;
    const rank = groupStart + (size + 1) / 2;
    for (let i = groupStart; i < groupEnd; i++) ranks[order[i]!] = rank;
    tieTerm += size * size * size - size;
    groupStart = groupEnd;
  }
  return { ranks, tieTerm };
}
