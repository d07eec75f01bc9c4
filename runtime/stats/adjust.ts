import { StatsError } from "./errors.js";
import { pairwiseSum } from "./numeric.js";
import { requireOneOf, requireSample } from "./validate.js";

/** "holm": family-wise error (Holm–Bonferroni); "bh": false discovery rate (Benjamini–Hochberg); "by": FDR under any dependence (Benjamini–Yekutieli). */
export type PValueAdjustment = "holm" | "bh" | "by";

const ADJUSTMENTS: readonly PValueAdjustment[] = ["holm", "bh", "by"];

/** Adjusted p-values in input order: Holm as R's p.adjust, BH/BY as scipy.stats.false_discovery_control. */
export function adjustPValues(pValues: readonly number[], method: PValueAdjustment): number[] {
  const fn = "adjustPValues";
  const adjustment = requireOneOf(fn, "method", method, ADJUSTMENTS);
  if (Array.isArray(pValues) && pValues.length === 0) return [];
  const ps = requireSample(fn, "pValues", pValues, { emptyHint: "pass the p-values of the family of tests" });
  ps.forEach((p, i) => {
    if (p < 0 || p > 1) throw new StatsError(`${fn}: pValues[${i}] is ${p}; p-values must lie in [0, 1]`);
  });

  const m = ps.length;
  // Stable ascending order; ties end up with equal adjusted values either way.
  const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => ps[a]! - ps[b]! || a - b);
  const adjusted = new Array<number>(m);
  if (adjustment === "holm") {
    let runningMax = 0;
    order.forEach((index, rank) => {
      runningMax = Math.max(runningMax, (m - rank) * ps[index]!);
      adjusted[index] = Math.min(1, runningMax);
    });
    return adjusted;
  }

  // Same operation order as scipy (p · m/i, then · Σ1/i for BY) so results agree to the last bit where possible.
  const harmonic = adjustment === "by" ? pairwiseSum(Array.from({ length: m }, (_, i) => 1 / (i + 1))) : 1;
  let runningMin = Infinity;
  for (let rank = m - 1; rank >= 0; rank--) {
    const index = order[rank]!;
    let scaled = ps[index]! * (m / (rank + 1));
    if (adjustment === "by") scaled *= harmonic;
    runningMin = Math.min(runningMin, scaled);
    adjusted[index] = Math.min(1, runningMin);
  }
  return adjusted;
}
