// Assigning end points to declared minima: the stationary distribution of an optimizer.
import type { MinimumIR } from "./plan.js";

/** Index of the nearest minimum within `radius` of `point` (Euclidean), or -1 (`Else`). */
export function assignToMinimum(point: ArrayLike<number>, minima: readonly MinimumIR[], radius: number): number {
  let best = -1;
  let bestDistance = Infinity;
  for (let m = 0; m < minima.length; m++) {
    const at = minima[m]!.at;
    let sum = 0;
    for (let i = 0; i < at.length; i++) {
      const delta = point[i]! - at[i]!;
      sum += delta * delta;
    }
    const distance = Math.sqrt(sum);
    // Strictly nearer only: on an exact tie the minimum declared first wins.
    if (distance <= radius && distance < bestDistance) {
      best = m;
      bestDistance = distance;
    }
  }
  return best;
}

/** Euclidean distance from `point` to the nearest of `minima` (Infinity when there are none). */
export function distanceToNearestMinimum(point: ArrayLike<number>, minima: readonly MinimumIR[]): number {
  let best = Infinity;
  for (const m of minima) {
    let sum = 0;
    for (let i = 0; i < m.at.length; i++) sum += (point[i]! - m.at[i]!) ** 2;
    best = Math.min(best, Math.sqrt(sum));
  }
  return best;
}

/** True when every coordinate and the loss are finite. */
export function isFinitePoint(point: ArrayLike<number>, loss: number): boolean {
  if (!Number.isFinite(loss)) return false;
  for (let i = 0; i < point.length; i++) if (!Number.isFinite(point[i]!)) return false;
  return true;
}
