// The contracts between the pieces of a neural-network task: data sets (plain typed arrays,
// no tfjs, so loaders are tested without a backend), models (tfjs variables with a
// hand-written backward pass where the model is known) and snapshot series. The loaders, the
// models, the trainer and the population rules each live in their own files and meet here.

import type * as tf from "@tensorflow/tfjs-core";
import type { PlanPopulationRule, PlanTaskModel } from "../../compiler/plan-tasks.js";

/** One split of a labelled data set, row-major. */
export interface Split {
  /** count × prod(inputShape) values: features (float) or token ids (int). */
  readonly x: Float32Array | Int32Array;
  /** Class ids in [0, classes). */
  readonly y: Int32Array;
  readonly count: number;
}

export interface Dataset {
  /** One line for reports, e.g. "mnist: 8000 train / 2000 test digits (seed 42)". */
  readonly description: string;
  /** Shape of one sample: [784], [32, 32, 3] (height, width, channels), [maxLength] for tokens. */
  readonly inputShape: readonly number[];
  /** "features": x is Float32Array; "tokens": x is Int32Array of ids in [0, vocabularySize). */
  readonly inputKind: "features" | "tokens";
  readonly classes: number;
  readonly classNames: readonly string[];
  /** Tokens only: ids are < vocabularySize (0 = padding, 1 = unknown word). */
  readonly vocabularySize?: number;
  readonly train: Split;
  readonly test: Split;
}

/** A user-facing data error: the message names the file, the expected layout and where to get the data. */
export class DataError extends Error {
  constructor(
    message: string,
    readonly file?: string,
  ) {
    super(message);
    this.name = "DataError";
  }
}

/** The models a task can declare: the plan's own description of them. */
export type ModelSpec = PlanTaskModel;

/**
 * A model under training: its parameters as tfjs variables (in a fixed order) and a loss with
 * gradients. Labels come one-hot (float32, batch × classes); the loss is the batch mean of the
 * softmax cross-entropy. Returned tensors belong to the caller (dispose them or call inside tf.tidy).
 */
export interface TrainableModel {
  readonly parameters: readonly tf.Variable[];
  /** Mean loss over the batch and its gradient for each parameter, in `parameters` order. */
  lossAndGradients(x: tf.Tensor, labels: tf.Tensor2D): { loss: tf.Scalar; gradients: tf.Tensor[] };
  /** Logits, batch × classes (no softmax). */
  logits(x: tf.Tensor): tf.Tensor2D;
  dispose(): void;
}

/** One snapshot of a trajectory: where it was and how good the model was there. */
export interface Snapshot {
  /** Updates done (iterations t). */
  readonly step: number;
  readonly gradientEvaluations: number;
  /** Mean loss on the fixed training subset. */
  readonly loss: number;
  /** The task's metric on the test split. */
  readonly metric: number;
}

/** How a population picks snapshots from each trajectory's series: the plan's rule. */
export type PopulationRule = PlanPopulationRule;
