// Seeded permutations for data splits and subsets, drawn from the project's counter-based
// generator so a split is a pure function of (seed, stream name, size): the same on every
// machine, every run, whatever else has drawn random numbers before.

import { restartKey, uniform } from "../../rng.js";
import { DataError } from "../types.js";

/**
 * A uniformly random permutation of 0..n-1 (Fisher–Yates, back to front): step i swaps position
 * i with j = floor(u_c * (i + 1)), u_c being draw c = n-1-i of the key restartKey(seed, stream, 0).
 * The draws have 32 bits, so the bias of the floor is below (i + 1) / 2^32 (negligible for data sets).
 */
export function seededPermutation(n: number, seed: number, stream: string): Int32Array {
  checkSeed(seed, stream);
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`seededPermutation: size must be a non-negative integer, got ${n}`);
  const [k0, k1] = restartKey(seed, stream, 0);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let counter = 0;
  for (let i = n - 1; i > 0; i--) {
    // uniform() lies strictly inside (0, 1), so j <= i.
    const j = Math.floor(uniform(k0, k1, counter++) * (i + 1));
    const swap = order[i]!;
    order[i] = order[j]!;
    order[j] = swap;
  }
  return order;
}

/** The seed must be what restartKey accepts: a non-negative integer below 2^53. */
export function checkSeed(seed: number, what: string): void {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new DataError(`${what}: the seed must be a non-negative integer below 2^53, got ${seed}`);
  }
}

/** A count from a spec: a non-negative (or, with `minimum` 1, positive) integer, else a DataError naming it. */
export function checkCount(value: number, name: string, what: string, minimum = 1): number {
  if (!Number.isSafeInteger(value) || value < minimum) {
    throw new DataError(`${what}: ${name} must be an integer >= ${minimum}, got ${value}`);
  }
  return value;
}
