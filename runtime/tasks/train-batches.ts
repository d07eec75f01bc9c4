// Which training samples the trainer reads: the minibatches of each epoch and the fixed
// evaluation subset, both drawn from the trajectory's data key with the project's
// counter-based generator, so they are pure functions of the key (and of the epoch).
//
// The data key's stream gives sub-keys: draws 0 and 1 key the evaluation subset, draws
// 2e + 2 and 2e + 3 key the order of epoch e.

import * as tf from "@tensorflow/tfjs-core";
import { bits, mix32, uniform } from "../rng.js";
import type { Split } from "./types.js";

/**
 * The training split, in one of two forms: tensors (samples and one-hot labels), or host
 * arrays (the loaders' Split, with the shape of a sample and the class count). Either way
 * batches are cut on the host and uploaded: tf.gather of 128 MNIST rows takes 3.5 ms on the
 * wasm backend (a tenth of a step), a copy and an upload 0.1 ms. Tensors are read back once
 * per data set (cached), so the host form saves that copy.
 */
export type TrainingSamples = TrainingData | HostTrainingData;

export interface HostTrainingData {
  readonly split: Split;
  /** Shape of one sample (Dataset.inputShape). */
  readonly inputShape: readonly number[];
  readonly classes: number;
}

export interface TrainingData {
  /** count × inputShape: float32 features or int32 token ids. */
  readonly x: tf.Tensor;
  /** count × classes, one-hot (float32). */
  readonly labels: tf.Tensor2D;
  readonly count: number;
}

/** The samples on the host, row by row. */
interface HostSamples {
  readonly count: number;
  readonly inputShape: readonly number[];
  readonly x: Float32Array | Int32Array;
  readonly rowSize: number;
  readonly classes: number;
  /** Class ids, or null when `oneHot` holds the labels. */
  readonly ids: Int32Array | null;
  readonly oneHot: Float32Array | null;
}

const readBack = new WeakMap<tf.Tensor, HostSamples>();

function hostSamples(data: TrainingSamples): HostSamples {
  if ("split" in data) {
    const { split, inputShape, classes } = data;
    return { count: split.count, inputShape, x: split.x, rowSize: inputShape.reduce((a, b) => a * b, 1), classes, ids: split.y, oneHot: null };
  }
  let samples = readBack.get(data.x);
  if (!samples) {
    const x = data.x.dtype === "int32" ? Int32Array.from(data.x.dataSync() as Int32Array) : Float32Array.from(data.x.dataSync() as Float32Array);
    samples = { count: data.count, inputShape: data.x.shape.slice(1), x, rowSize: data.x.size / data.count, classes: data.labels.shape[1], ids: null, oneHot: Float32Array.from(data.labels.dataSync() as Float32Array) };
    readBack.set(data.x, samples);
  }
  return samples;
}

/** The number of samples in `data`. */
export function sampleCount(data: TrainingSamples): number {
  return "split" in data ? data.split.count : data.count;
}

/** Rows of the training split as tensors, copied on the host and uploaded. */
export class SampleSource {
  private readonly samples: HostSamples;
  private batchX: Float32Array | Int32Array | null = null;
  private batchLabels: Float32Array | null = null;

  constructor(data: TrainingSamples) {
    this.samples = hostSamples(data);
  }

  get count(): number {
    return this.samples.count;
  }

  /**
   * Rows `rows` as tensors. With `reuse`, the copies go to one pair of arrays kept for the
   * purpose (a fresh 400 KB array per MNIST batch costs more than the copy): the cpu backend
   * keeps the array a tensor is made from, so the caller disposes the previous tensors before
   * asking again. Without, the arrays are the tensors' own.
   */
  tensors(rows: Int32Array, reuse = false): { x: tf.Tensor; labels: tf.Tensor2D } {
    const { x, rowSize, classes, ids, oneHot, inputShape } = this.samples;
    const n = rows.length;
    const size = n * rowSize;
    const fresh = () => (x instanceof Int32Array ? new Int32Array(size) : new Float32Array(size));
    const batchX = reuse ? (this.batchX = this.batchX && this.batchX.length >= size ? this.batchX : fresh()).subarray(0, size) : fresh();
    const labels = reuse ? (this.batchLabels = this.batchLabels && this.batchLabels.length >= n * classes ? this.batchLabels : new Float32Array(n * classes)).subarray(0, n * classes) : new Float32Array(n * classes);
    if (ids) labels.fill(0);
    for (let i = 0; i < n; i++) {
      const r = rows[i]!;
      batchX.set(x.subarray(r * rowSize, (r + 1) * rowSize), i * rowSize);
      if (ids) labels[i * classes + ids[r]!] = 1;
      else labels.set(oneHot!.subarray(r * classes, (r + 1) * classes), i * classes);
    }
    return {
      x: tf.tensor(batchX, [n, ...inputShape], batchX instanceof Int32Array ? "int32" : "float32"),
      labels: tf.tensor2d(labels, [n, classes]),
    };
  }
}

/** Minibatches in one pass over the data: the last one holds the remainder. */
export function batchesPerEpoch(count: number, batch: number): number {
  return Math.ceil(count / batch);
}

/** A data key derived from a trajectory's noise key, for callers that do not pass their own. */
export function derivedDataKey(key: readonly [number, number]): [number, number] {
  // "data" in ASCII, so the derived stream differs from the noise stream of the same key.
  const k0 = mix32(key[0] ^ 0x64617461);
  return [k0 >>> 0, mix32(key[1] ^ k0 ^ 0x61746164) >>> 0];
}

/** Sub-key `index` of stream `key`: two draws of it. */
function subKey(key: readonly [number, number], index: number): [number, number] {
  return [bits(key[0], key[1], 2 * index), bits(key[0], key[1], 2 * index + 1)];
}

/**
 * The first `size` entries of a uniformly random permutation of 0..count-1 (Fisher–Yates,
 * front to back: position i swaps with i + floor(u_i * (count - i))), written into `into`.
 */
export function randomPrefix(count: number, size: number, key: readonly [number, number], into: Int32Array = new Int32Array(count)): Int32Array {
  for (let i = 0; i < count; i++) into[i] = i;
  const [k0, k1] = key;
  for (let i = 0; i < size && i < count - 1; i++) {
    // uniform() lies strictly inside (0, 1), so j < count.
    const j = i + Math.floor(uniform(k0, k1, i) * (count - i));
    const swap = into[i]!;
    into[i] = into[j]!;
    into[j] = swap;
  }
  return into.subarray(0, Math.min(size, count));
}

/** The sample indices of the evaluation subset: the first `size` of a permutation keyed by the data key. */
export function evaluationIndices(count: number, size: number, dataKey: readonly [number, number]): Int32Array {
  return randomPrefix(count, size, subKey(dataKey, 0)).slice();
}

/**
 * The minibatch stream of one trajectory: batch number b (counted from 0 over the whole
 * trajectory) is position b mod B of epoch floor(b / B), where B = batchesPerEpoch; each
 * epoch has its own permutation of the samples.
 */
export class BatchOrder {
  readonly perEpoch: number;
  private epoch = -1;
  private readonly order: Int32Array;

  constructor(
    readonly count: number,
    readonly batch: number,
    private readonly dataKey: readonly [number, number],
  ) {
    if (!Number.isSafeInteger(batch) || batch < 1) throw new RangeError(`the batch size must be a positive integer, got ${batch}`);
    if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`the training split must hold at least one sample, got ${count}`);
    this.perEpoch = batchesPerEpoch(count, batch);
    this.order = new Int32Array(count);
  }

  /** Sample indices of batch number `index` (a view, valid until another epoch is asked for). */
  indices(index: number): Int32Array {
    const epoch = Math.floor(index / this.perEpoch);
    if (epoch !== this.epoch) {
      randomPrefix(this.count, this.count, subKey(this.dataKey, epoch + 1), this.order);
      this.epoch = epoch;
    }
    const from = (index - epoch * this.perEpoch) * this.batch;
    return this.order.subarray(from, Math.min(from + this.batch, this.count));
  }
}

/**
 * The current minibatch as tensors, made once and kept until another batch is asked for, so
 * every gradient before an update (SAM's ascent, a gradnorm test) reads the same samples.
 */
export class BatchCache {
  private index = -1;
  private tensors: { x: tf.Tensor; labels: tf.Tensor2D } | null = null;

  constructor(
    private readonly source: SampleSource,
    private readonly order: BatchOrder,
  ) {}

  get(index: number): { x: tf.Tensor; labels: tf.Tensor2D } {
    if (this.tensors && index === this.index) return this.tensors;
    // Disposed first: the new batch reuses the arrays the old one was made from.
    this.dispose();
    this.tensors = this.source.tensors(this.order.indices(index), true);
    this.index = index;
    return this.tensors;
  }

  dispose(): void {
    if (this.tensors) tf.dispose([this.tensors.x, this.tensors.labels]);
    this.tensors = null;
    this.index = -1;
  }
}
