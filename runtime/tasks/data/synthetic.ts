// Synthetic classification data made by the code: Gaussian blobs and interleaved 2-D spirals,
// for tasks that must run in seconds (tests, examples, smoke runs of the trainer).

import { restartKey, uniform } from "../../rng.js";
import { DataError, type Dataset, type Split } from "../types.js";
import { checkCount, checkSeed } from "./shuffle.js";

export interface SyntheticOptions {
  readonly kind: "blobs" | "spirals";
  readonly train: number;
  readonly test: number;
  readonly classes: number;
  /** Blobs only (default 2); spirals are 2-D. */
  readonly dims?: number;
  /** Standard deviation of the Gaussian noise added to every coordinate. */
  readonly noise: number;
  readonly seed: number;
}

/** Full turns each spiral arm makes from the centre (radius 0) to radius 1. */
export const SPIRAL_TURNS = 1;

/** A stream of draws: `next()` returns consecutive uniform draws of one key. */
class Draws {
  private counter = 0;
  private readonly k0: number;
  private readonly k1: number;
  constructor(seed: number, stream: string) {
    [this.k0, this.k1] = restartKey(seed, stream, 0);
  }
  uniform(): number {
    return uniform(this.k0, this.k1, this.counter++);
  }
  /** A standard normal draw (Box–Muller, cosine branch; two uniforms, both in (0, 1) so the log is finite). */
  normal(): number {
    const u1 = this.uniform();
    const u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}

/**
 * Blobs: class k's centre is uniform in [-1, 1]^dims (stream "data/blobs/centers"), a sample is
 * its centre plus N(0, noise² I). Spirals: class k's arm is r ↦ r (cos θ, sin θ) with
 * θ = 2π (k / classes + SPIRAL_TURNS · r), r ~ U(0, 1), plus N(0, noise² I). Sample i has class
 * i mod classes (balanced: counts differ by at most one); train and test draw from separate streams.
 */
export function synthetic(options: SyntheticOptions): Dataset {
  const kind = options.kind;
  if (kind !== "blobs" && kind !== "spirals") throw new DataError(`synthetic: unknown kind "${String(kind)}"; expected blobs or spirals`);
  const train = checkCount(options.train, "train", kind);
  const test = checkCount(options.test, "test", kind);
  const classes = checkCount(options.classes, "classes", kind, 2);
  checkSeed(options.seed, kind);
  if (!(Number.isFinite(options.noise) && options.noise >= 0)) {
    throw new DataError(`${kind}: noise must be a finite number >= 0 (the standard deviation of the Gaussian noise), got ${options.noise}`);
  }
  const dims = kind === "spirals" ? 2 : checkCount(options.dims ?? 2, "dims", kind);
  if (kind === "spirals" && options.dims !== undefined && options.dims !== 2) {
    throw new DataError(`spirals: the spirals are 2-D; dims must be 2 or absent, got ${options.dims}`);
  }
  const noise = options.noise;
  const centers = new Float64Array(classes * dims);
  if (kind === "blobs") {
    const draws = new Draws(options.seed, "data/blobs/centers");
    for (let i = 0; i < centers.length; i++) centers[i] = 2 * draws.uniform() - 1;
  }
  const make = (count: number, split: string): Split => {
    const draws = new Draws(options.seed, `data/${kind}/${split}`);
    const x = new Float32Array(count * dims);
    const y = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const k = i % classes;
      y[i] = k;
      if (kind === "blobs") {
        for (let d = 0; d < dims; d++) x[i * dims + d] = centers[k * dims + d]! + noise * draws.normal();
      } else {
        const r = draws.uniform();
        const angle = 2 * Math.PI * (k / classes + SPIRAL_TURNS * r);
        x[i * 2] = r * Math.cos(angle) + noise * draws.normal();
        x[i * 2 + 1] = r * Math.sin(angle) + noise * draws.normal();
      }
    }
    return { x, y, count };
  };
  return {
    description: `${kind}: ${train} train / ${test} test points, ${classes} classes in ${dims}-D, noise ${noise} (seed ${options.seed})`,
    inputShape: [dims],
    inputKind: "features",
    classes,
    classNames: Array.from({ length: classes }, (_, k) => String(k)),
    train: make(train, "train"),
    test: make(test, "test"),
  };
}
