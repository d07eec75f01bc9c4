// The loss f on the fixed evaluation subset of the training split: what snapshots record and
// what basin hopping's acceptance compares. It costs no gradient evaluation (a forward pass).

import * as tf from "@tensorflow/tfjs-core";
import type { TrainableModel } from "./types.js";
import type { SampleSource } from "./train-batches.js";

/** Rows per forward pass, so a large subset does not need one huge activation tensor. */
const CHUNK = 1024;

export class EvaluationSet {
  private readonly chunks: { x: tf.Tensor; labels: tf.Tensor2D }[];

  constructor(
    source: SampleSource,
    readonly indices: Int32Array,
  ) {
    this.chunks = [];
    for (let from = 0; from < indices.length; from += CHUNK) this.chunks.push(source.tensors(indices.subarray(from, Math.min(from + CHUNK, indices.length))));
  }

  get size(): number {
    return this.indices.length;
  }

  /** Mean softmax cross-entropy of `model` over the subset (NaN or Infinity when it diverged). */
  meanLoss(model: TrainableModel): number {
    let total = 0;
    for (const chunk of this.chunks) {
      total += tf.tidy(() => {
        const logProbabilities = tf.logSoftmax(model.logits(chunk.x));
        return tf.neg(tf.sum(tf.mul(chunk.labels, logProbabilities))).dataSync()[0]!;
      });
    }
    return total / this.size;
  }

  dispose(): void {
    for (const chunk of this.chunks) tf.dispose([chunk.x, chunk.labels]);
    this.chunks.length = 0;
  }
}
