// Populations of snapshots (the paper's SetA and SetB): a rule picks snapshots from each
// trajectory's series, and the picks of all trajectories together form the population.

import type { PopulationRule, Snapshot } from "./types.js";

/** A snapshot picked into a population, with where it came from. */
export interface PopulationMember {
  /** Index of the trajectory (its series) in the input. */
  readonly trajectory: number;
  /** Index of the snapshot within its trajectory's series. */
  readonly position: number;
  readonly snapshot: Snapshot;
}

/**
 * Positions in `series` picked by `rule`, in series (chronological) order. lowest/highest: the
 * `count` best by the rule's key, ties going to the earlier snapshot; a non-finite key (a
 * diverged model) ranks after every finite one in both directions, so it is picked only when
 * fewer than `count` finite snapshots exist. last: the final `count`. A count above the series
 * length picks the whole series.
 */
export function selectPositions(series: readonly Snapshot[], rule: PopulationRule): number[] {
  const n = series.length;
  if (rule.kind === "all") return Array.from({ length: n }, (_, i) => i);
  if (!Number.isSafeInteger(rule.count) || rule.count < 0) {
    throw new RangeError(`population rule "${rule.kind}": count must be a non-negative integer, got ${rule.count}`);
  }
  const count = Math.min(rule.count, n);
  if (rule.kind === "last") return Array.from({ length: count }, (_, i) => n - count + i);
  const key = (i: number) => series[i]![rule.by];
  const sign = rule.kind === "lowest" ? 1 : -1;
  const ranked = Array.from({ length: n }, (_, i) => i).sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    const fa = Number.isFinite(ka);
    const fb = Number.isFinite(kb);
    if (fa !== fb) return fa ? -1 : 1;
    if (fa && ka !== kb) return sign * (ka - kb);
    return a - b;
  });
  return ranked.slice(0, count).sort((a, b) => a - b);
}

/** The snapshots of one trajectory's series that `rule` picks, in series order (see selectPositions). */
export function selectPopulation(series: readonly Snapshot[], rule: PopulationRule): Snapshot[] {
  return selectPositions(series, rule).map((i) => series[i]!);
}

/** `rule` applied to every trajectory: the members in trajectory order, then series order. */
export function selectPopulationMembers(trajectories: readonly (readonly Snapshot[])[], rule: PopulationRule): PopulationMember[] {
  return trajectories.flatMap((series, trajectory) => selectPositions(series, rule).map((position) => ({ trajectory, position, snapshot: series[position]! })));
}
