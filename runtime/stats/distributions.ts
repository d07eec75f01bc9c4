import betainc from "@stdlib/math-base-special-betainc";
import erfc from "@stdlib/math-base-special-erfc";
import gammainc from "@stdlib/math-base-special-gammainc";

import type { Alternative } from "./types.js";

/** P(Z ≥ z) for a standard normal Z, accurate in the far upper tail. */
export function normalSf(z: number): number {
  return 0.5 * erfc(z * Math.SQRT1_2);
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom, as Boost (and so scipy's `stdtr`) evaluates it. */
export function studentTCdf(t: number, df: number): number {
  if (Number.isNaN(t) || Number.isNaN(df) || df <= 0) return NaN;
  if (t === 0) return 0.5;
  if (!Number.isFinite(t)) return t < 0 ? 0 : 1;
  if (df > 1 / Number.EPSILON) return 1 - normalSf(t);
  const t2 = t * t;
  // Returns the tail beyond |t|; when t² is small next to df, df/(df+t²) rounds to ~1 and
  // would lose the information, so the complementary form on t²/(df+t²) is used instead.
  const tail =
    df > 2 * t2
      ? betainc(t2 / (df + t2), 0.5, df / 2, true, true) / 2
      : betainc(df / (df + t2), df / 2, 0.5, true, false) / 2;
  return t > 0 ? 1 - tail : tail;
}

/** P(X ≥ x) for a chi-square X with `dof` degrees of freedom (scipy's `chdtrc`). */
export function chiSquareSf(x: number, dof: number): number {
  if (Number.isNaN(x) || Number.isNaN(dof)) return NaN;
  if (x <= 0) return 1;
  if (x === Infinity) return 0;
  return gammainc(x / 2, dof / 2, true, true);
}

/** p-value of a t statistic for the given alternative, in the order scipy's `_get_pvalue` combines tails. */
export function studentTPValue(t: number, df: number, alternative: Alternative): number {
  switch (alternative) {
    case "less":
      return studentTCdf(t, df);
    case "greater":
      return studentTCdf(-t, df);
    case "two-sided":
      return 2 * studentTCdf(-Math.abs(t), df);
  }
}
