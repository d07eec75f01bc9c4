// The plan of experiments on neural-network tasks: which data, model and optimizers, for how
// long, when to snapshot and which snapshots form each population. Plain JSON; the runtime
// interprets each optimizer's step IR on tfjs (runtime/tasks/), so the IR travels in the plan.
import type { OptimizerIR } from "./lower/ir.js";

/** A value of a data or model argument as written in the spec. */
export type TaskArgumentValue = number | string | readonly number[];

/** `mnist(train = 8000, test = 2000)`: a loader and its arguments, checked against the loader's table. */
export interface PlanTaskData {
  readonly loader: "mnist" | "cifar10" | "cifar100" | "text" | "synthetic";
  readonly args: Readonly<Record<string, TaskArgumentValue>>;
}

export type PlanTaskModel =
  | { readonly kind: "mlp"; readonly hidden: readonly number[] }
  | { readonly kind: "cnn"; readonly channels: readonly number[]; readonly kernel: number; readonly dense: readonly number[] }
  | { readonly kind: "resnet"; readonly depth: number }
  | { readonly kind: "bag_of_embeddings"; readonly dimension: number; readonly hidden: readonly number[] }
  | { readonly kind: "tfjs"; readonly path: string };

export interface PlanTask {
  readonly name: string;
  /** Folder of the file declaring the task: relative data and model paths start there. */
  readonly baseDir: string;
  readonly data: PlanTaskData;
  readonly model: PlanTaskModel;
  readonly loss: "cross_entropy";
  readonly metric: "accuracy" | "macro_f1";
  readonly batch: number;
  /** Training samples in the fixed subset that snapshots and acceptance measure the loss on. */
  readonly evaluation: number;
}

export type PlanPopulationRule =
  | { readonly kind: "lowest" | "highest"; readonly count: number; readonly by: "loss" | "metric" }
  | { readonly kind: "last"; readonly count: number }
  | { readonly kind: "all" };

export interface PlanTaskExperiment {
  readonly name: string;
  readonly seed: number;
  readonly trajectories: number;
  /** A trajectory stops at the first limit reached; epochs are converted by the runtime (batches per epoch). */
  readonly budget: { readonly gradients: number | null; readonly iterations: number | null; readonly epochs: number | null };
  readonly snapshot: { readonly every: number; readonly unit: "iterations" | "epochs" | "gradients" };
  readonly populations: readonly { readonly name: string; readonly rule: PlanPopulationRule }[];
  readonly tasks: readonly PlanTask[];
  readonly optimizers: readonly OptimizerIR[];
}
