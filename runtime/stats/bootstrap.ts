import { StatsError } from "./errors.js";
import { describeValue, requireSample } from "./validate.js";

export interface BootstrapOptions {
  /** Any finite number; the same seed and data always give the same interval. */
  seed: number;
  /** Number of bootstrap resamples (default 2000). */
  resamples?: number;
  /** Coverage of the interval, strictly between 0 and 1 (default 0.95). */
  confidence?: number;
}

export interface BootstrapInterval {
  /** The statistic on the original data. */
  estimate: number;
  lower: number;
  upper: number;
  confidence: number;
  resamples: number;
}

/** Seeded percentile-bootstrap confidence interval for the median of x. */
export function bootstrapMedianInterval(x: readonly number[], options: BootstrapOptions): BootstrapInterval {
  const fn = "bootstrapMedianInterval";
  const { seed, resamples, confidence } = requireOptions(fn, options);
  const sorted = [...requireSample(fn, "x", x, { emptyHint: "the median needs at least one value", allowInfinite: true })].sort(
    (a, b) => a - b,
  );
  const n = sorted.length;
  const random = seededUniform(seed);
  // Resampling indices into the sorted data and tallying them yields each resample's order
  // statistics in O(n), with no per-resample sort.
  const draws = new Uint32Array(n);
  const medians = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    draws.fill(0);
    for (let i = 0; i < n; i++) draws[Math.floor(random() * n)]!++;
    medians[r] = medianOfTally(sorted, draws);
  }
  return percentileInterval(medianOfSorted(sorted), medians, confidence, resamples);
}

/** Seeded percentile-bootstrap confidence interval for the mean of x (finite values only). */
export function bootstrapMeanInterval(x: readonly number[], options: BootstrapOptions): BootstrapInterval {
  const fn = "bootstrapMeanInterval";
  const { seed, resamples, confidence } = requireOptions(fn, options);
  const values = requireSample(fn, "x", x, { emptyHint: "the mean needs at least one value" });
  const n = values.length;
  const random = seededUniform(seed);
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += values[Math.floor(random() * n)]!;
    means[r] = sum / n;
  }
  return percentileInterval(values.reduce((a, b) => a + b, 0) / n, means, confidence, resamples);
}

/**
 * Seeded percentile-bootstrap confidence interval for the share of `true` entries, e.g. the share
 * of runs whose end point lies in the set of minima.
 */
export function bootstrapShareInterval(memberships: readonly boolean[], options: BootstrapOptions): BootstrapInterval {
  const fn = "bootstrapShareInterval";
  const { seed, resamples, confidence } = requireOptions(fn, options);
  if (!Array.isArray(memberships) || memberships.length === 0) {
    throw new StatsError(`${fn}: memberships is ${describeValue(memberships)}; pass one boolean per run (at least one)`);
  }
  memberships.forEach((member: unknown, i: number) => {
    if (typeof member !== "boolean") {
      throw new StatsError(`${fn}: memberships[${i}] is ${describeValue(member)}; every entry must be true or false`);
    }
  });
  const n = memberships.length;
  const estimate = memberships.filter(Boolean).length / n;
  // The number of members in a resample of n runs is Binomial(n, estimate): drawing it by
  // inverting its CDF gives the same bootstrap distribution in O(log n) per resample
  // instead of O(n).
  const cdf = binomialCdf(n, estimate);
  const random = seededUniform(seed);
  const draws = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) draws[r] = random();
  /** The share of the resample whose draw is u. */
  const share = (u: number) => {
    let low = 0;
    let high = n;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (cdf[mid]! > u) high = mid;
      else low = mid + 1;
    }
    return low / n;
  };
  // A resample's share grows with its draw, so the sorted shares are the shares of the sorted
  // draws: only the order statistics the interval reads are mapped to shares (the same
  // numbers as mapping and sorting them all, at a fraction of the cost).
  return percentileInterval(estimate, draws, confidence, resamples, share);
}

/** P(X <= k) for X ~ Binomial(n, p), k = 0..n (computed in log space, so large n cannot underflow). */
function binomialCdf(n: number, p: number): Float64Array {
  const cdf = new Float64Array(n + 1);
  if (p <= 0 || p >= 1) {
    cdf.fill(1, p <= 0 ? 0 : n);
    return cdf;
  }
  const logs = new Float64Array(n + 1);
  logs[0] = n * Math.log1p(-p);
  const ratio = Math.log(p) - Math.log1p(-p);
  let max = logs[0];
  for (let k = 0; k < n; k++) {
    logs[k + 1] = logs[k]! + Math.log(n - k) - Math.log(k + 1) + ratio;
    max = Math.max(max, logs[k + 1]!);
  }
  let total = 0;
  for (let k = 0; k <= n; k++) total += cdf[k] = Math.exp(logs[k]! - max);
  let running = 0;
  for (let k = 0; k <= n; k++) cdf[k] = Math.min(1, (running += cdf[k]!) / total);
  cdf[n] = 1;
  return cdf;
}

/** Deterministic uniform generator on [0, 1) (mulberry32) seeded from all 64 bits of a finite number. */
export function seededUniform(seed: number): () => number {
  const bits = new Uint32Array(new Float64Array([seed]).buffer);
  // Mixing both halves keeps seeds such as 1 and 1.5, or 2^40 and 2^40 + 1, distinct.
  let state = Math.imul(bits[0]! ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(bits[1]! ^ 0xc2b2ae35, 0x27d4eb2f);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function requireOptions(fn: string, options: BootstrapOptions): Required<BootstrapOptions> {
  if (typeof options !== "object" || options === null) {
    throw new StatsError(`${fn}: options is ${describeValue(options)}; pass { seed } (and optionally resamples, confidence)`);
  }
  const { seed, resamples = 2000, confidence = 0.95 } = options;
  if (typeof seed !== "number" || !Number.isFinite(seed)) {
    throw new StatsError(`${fn}: seed is ${describeValue(seed)}; pass a finite number so the interval is reproducible`);
  }
  if (!Number.isInteger(resamples) || resamples < 1) {
    throw new StatsError(`${fn}: resamples is ${describeValue(resamples)}; use a positive integer such as 2000`);
  }
  if (typeof confidence !== "number" || !(confidence > 0 && confidence < 1)) {
    throw new StatsError(`${fn}: confidence is ${describeValue(confidence)}; use a number strictly between 0 and 1, such as 0.95`);
  }
  return { seed, resamples, confidence };
}

/** The interval between the statistics' tail quantiles; with `map` (non-decreasing), of the mapped statistics. */
function percentileInterval(
  estimate: number,
  statistics: Float64Array,
  confidence: number,
  resamples: number,
  map?: (statistic: number) => number,
): BootstrapInterval {
  statistics.sort();
  const tail = (1 - confidence) / 2;
  return {
    estimate,
    lower: quantileOfSorted(statistics, tail, map),
    upper: quantileOfSorted(statistics, 1 - tail, map),
    confidence,
    resamples,
  };
}

/** Linear interpolation between order statistics (numpy's default, R type 7); with `map` (non-decreasing), of the mapped values. */
function quantileOfSorted(sorted: Float64Array, probability: number, map: (value: number) => number = (value) => value): number {
  const position = (sorted.length - 1) * probability;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  const fraction = position - below;
  const low = map(sorted[below]!);
  const high = map(sorted[above]!);
  return fraction === 0 || low === high ? low : low + (high - low) * fraction;
}

function medianOfSorted(sorted: readonly number[]): number {
  const n = sorted.length;
  const low = sorted[(n - 1) >> 1]!;
  const high = sorted[n >> 1]!;
  return low === high ? low : (low + high) / 2;
}

/** Median of the multiset holding sorted[i] draws[i] times. */
function medianOfTally(sorted: readonly number[], draws: Uint32Array): number {
  const n = sorted.length;
  const lowRank = (n - 1) >> 1;
  const highRank = n >> 1;
  let seen = 0;
  let low = NaN;
  for (let i = 0; i < n; i++) {
    seen += draws[i]!;
    if (Number.isNaN(low) && seen > lowRank) low = sorted[i]!;
    if (seen > highRank) {
      const high = sorted[i]!;
      return low === high ? low : (low + high) / 2;
    }
  }
  throw new Error("unreachable: the tally holds n draws");
}
