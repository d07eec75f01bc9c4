import { studentTPValue } from "./distributions.js";
import { mean, sampleVariance } from "./numeric.js";
import { ALTERNATIVES, type Alternative } from "./types.js";
import { requireBoolean, requireOneOf, requireSample } from "./validate.js";

export interface TTestOptions {
  /** true: Student's pooled-variance test; false: Welch's test. */
  equalVariance?: boolean;
  alternative?: Alternative;
}

export interface TTestResult {
  statistic: number;
  pValue: number;
  df: number;
}

/** Two-sample t-test of mean(x) against mean(y), matching scipy.stats.ttest_ind including its degenerate cases. */
export function tTest(x: readonly number[], y: readonly number[], options: TTestOptions = {}): TTestResult {
  const fn = "tTest";
  const equalVariance = requireBoolean(fn, "equalVariance", options.equalVariance ?? true);
  const alternative = requireOneOf(fn, "alternative", options.alternative ?? "two-sided", ALTERNATIVES);
  const rules = { emptyHint: "both samples need at least one value" };
  const xs = requireSample(fn, "x", x, rules);
  const ys = requireSample(fn, "y", y, rules);

  const n1 = xs.length;
  const n2 = ys.length;
  const mean1 = mean(xs);
  const mean2 = mean(ys);
  const variance1 = sampleVariance(xs, mean1);
  const variance2 = sampleVariance(ys, mean2);
  const { df, standardError } = equalVariance
    ? pooledStandardError(variance1, n1, variance2, n2)
    : welchStandardError(variance1, n1, variance2, n2);
  // Zero standard error (constant samples) yields ±Infinity or, for equal means, NaN, as scipy.
  const statistic = (mean1 - mean2) / standardError;
  return { statistic, pValue: studentTPValue(statistic, df, alternative), df };
}

function pooledStandardError(v1: number, n1: number, v2: number, n2: number) {
  // A single value has an undefined (NaN) variance but contributes zero squared deviations to the pool.
  const pooledSquares1 = n1 === 1 ? 0 : (n1 - 1) * v1;
  const pooledSquares2 = n2 === 1 ? 0 : (n2 - 1) * v2;
  const df = n1 + n2 - 2;
  const pooledVariance = (pooledSquares1 + pooledSquares2) / df;
  return { df, standardError: Math.sqrt(pooledVariance * (1 / n1 + 1 / n2)) };
}

function welchStandardError(v1: number, n1: number, v2: number, n2: number) {
  const vn1 = v1 / n1;
  const vn2 = v2 / n2;
  const sum = vn1 + vn2;
  const satterthwaite = (sum * sum) / ((vn1 * vn1) / (n1 - 1) + (vn2 * vn2) / (n2 - 1));
  // 0/0 happens only when both variances are zero (or undefined); the statistic is then
  // ±Infinity or NaN whatever df is, and scipy reports 1.
  const df = Number.isNaN(satterthwaite) ? 1 : satterthwaite;
  return { df, standardError: Math.sqrt(sum) };
}
