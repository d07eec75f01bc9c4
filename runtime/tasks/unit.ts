// One unit of an experiment on a task: one optimizer trained along one trajectory, a pure
// function of (experiment, task, optimizer, trajectory) on a given tfjs backend. Shared by the
// in-thread runner (run.ts) and the task worker threads (worker.ts), so both compute the same
// numbers by the same code.
import * as tf from "@tensorflow/tfjs-core";
import type { PlanTask, PlanTaskData, PlanTaskExperiment } from "../../compiler/plan-tasks.js";
import { restartKey, mix32 } from "../rng.js";
import { loadDataset, type DataSpec } from "./data/index.js";
import { accuracy, argmaxRows, macroF1 } from "./metrics.js";
import type { TaskTrajectoryResult } from "./results.js";
import { buildModel } from "./tf/models.js";
import { trainTrajectory } from "./train.js";
import { batchesPerEpoch } from "./train-batches.js";
import type { Dataset, TrainableModel } from "./types.js";

/** A task's data set loaded, its test split uploaded: what every unit of the task reads. */
export interface PreparedTask {
  readonly dataset: Dataset;
  readonly perEpoch: number;
  readonly metric: (model: TrainableModel) => number;
  /** Frees the uploaded test split. */
  dispose(): void;
}

/** What a unit gives back (plain JSON, so it crosses from a worker thread unchanged). */
export interface UnitResult {
  readonly trajectory: TaskTrajectoryResult;
  /** The model's parameter count. */
  readonly parameters: number;
  /** Seconds the unit took to build and train. */
  readonly seconds: number;
  /** The data set, for the task's summary. */
  readonly data: { readonly description: string; readonly classes: number; readonly train: number; readonly test: number };
}

/** Loads the task's data set with the experiment's seed and uploads its test split. */
export function prepareTask(experiment: PlanTaskExperiment, task: PlanTask): PreparedTask {
  const dataset = loadDataset(dataSpec(task.data), experiment.seed, task.baseDir);
  const testX = uploadTest(dataset);
  return { dataset, perEpoch: batchesPerEpoch(dataset.train.count, task.batch), metric: metricOf(task, dataset, testX), dispose: () => testX.dispose() };
}

/** Trains optimizer `optimizerIndex` of the experiment along trajectory `trajectory` of `task`. */
export async function trainUnit(experiment: PlanTaskExperiment, task: PlanTask, prepared: PreparedTask, optimizerIndex: number, trajectory: number): Promise<UnitResult> {
  const started = performance.now();
  const { dataset, perEpoch, metric } = prepared;
  const optimizer = experiment.optimizers[optimizerIndex]!;
  const model = await buildModel(task.model, dataset.inputShape, dataset.classes, initSeed(experiment, task.name, trajectory), dataset.vocabularySize, task.baseDir);
  const parameters = model.parameters.reduce((sum, p) => sum + p.size, 0);
  try {
    const result = trainTrajectory({
      model,
      optimizer,
      // The trainer cuts batches from the host arrays: no upload and read-back of the split.
      data: { split: dataset.train, inputShape: dataset.inputShape, classes: dataset.classes },
      batch: task.batch,
      budget: budgetInGradients(experiment.budget, perEpoch),
      snapshot: snapshotStride(experiment.snapshot, perEpoch),
      key: restartKey(experiment.seed, `noise/${experiment.name}/${optimizer.name}/${task.name}`, trajectory),
      dataKey: restartKey(experiment.seed, `data/${experiment.name}/${task.name}`, trajectory),
      evaluationSize: task.evaluation,
      metric: () => metric(model),
    });
    return {
      trajectory: { snapshots: result.snapshots, gradientEvaluations: result.gradientEvaluations, steps: result.steps, diverged: result.diverged },
      parameters,
      seconds: (performance.now() - started) / 1000,
      data: { description: dataset.description, classes: dataset.classes, train: dataset.train.count, test: dataset.test.count },
    };
  } finally {
    model.dispose();
  }
}

/** The plan's `data` (the language's names) as the loaders' options. */
export function dataSpec(data: PlanTaskData): DataSpec {
  const a = data.args as Record<string, number | string | number[] | undefined>;
  const count = (name: string) => a[name] as number | undefined;
  switch (data.loader) {
    case "mnist":
      return { kind: "mnist", train: count("train")!, test: count("test")! };
    case "cifar10":
    case "cifar100":
      return { kind: "cifar", dir: a["dir"] as string, classes: data.loader === "cifar10" ? 10 : 100, ...(a["train"] !== undefined ? { train: count("train")! } : {}), ...(a["test"] !== undefined ? { test: count("test")! } : {}) };
    case "text":
      return {
        kind: "text",
        path: a["path"] as string,
        ...(a["test_path"] !== undefined ? { testPath: a["test_path"] as string } : {}),
        ...(a["format"] !== undefined ? { format: a["format"] as "csv" | "tsv" | "jsonl" } : {}),
        textField: a["text"] as string | number,
        labelField: a["label"] as string | number,
        maxLength: count("max_length")!,
        vocabularySize: count("vocabulary")!,
        testShare: count("test_share")!,
      };
    case "synthetic":
      return { kind: a["kind"] as "blobs" | "spirals", train: count("train")!, test: count("test")!, classes: count("classes")!, dims: count("dims")!, noise: count("noise")! };
  }
}

/** The seed of a trajectory's initial weights: shared by every optimizer (paired design). */
function initSeed(experiment: PlanTaskExperiment, task: string, trajectory: number): number {
  const [k0, k1] = restartKey(experiment.seed, `init/${experiment.name}/${task}`, trajectory);
  return (mix32(k0 ^ k1) >>> 0) % 2 ** 31;
}

/** The budget in gradient evaluations and iterations (an epoch is one pass of minibatches). */
export function budgetInGradients(budget: PlanTaskExperiment["budget"], perEpoch: number): { gradients: number | null; iterations: number | null } {
  return { gradients: budget.epochs !== null ? budget.epochs * perEpoch : budget.gradients, iterations: budget.iterations };
}

/** The snapshot interval in the trainer's units (epochs become gradient evaluations). */
export function snapshotStride(snapshot: PlanTaskExperiment["snapshot"], perEpoch: number): { every: number; unit: "gradients" | "steps" } {
  if (snapshot.unit === "epochs") return { every: snapshot.every * perEpoch, unit: "gradients" };
  return { every: snapshot.every, unit: snapshot.unit === "iterations" ? "steps" : "gradients" };
}

function uploadTest(dataset: Dataset): tf.Tensor {
  const { x, count } = dataset.test;
  return tf.tensor(x, [count, ...dataset.inputShape], x instanceof Int32Array ? "int32" : "float32");
}

/** The task's metric of a model on the test split (forward passes in chunks). */
function metricOf(task: PlanTask, dataset: Dataset, testX: tf.Tensor): (model: TrainableModel) => number {
  const count = dataset.test.count;
  const chunk = 1024;
  return (model) => {
    const predicted = new Int32Array(count);
    for (let from = 0; from < count; from += chunk) {
      const rows = Math.min(chunk, count - from);
      const logits = tf.tidy(() => model.logits(tf.slice(testX, from, rows)).dataSync() as Float32Array);
      predicted.set(argmaxRows(logits, rows, dataset.classes), from);
    }
    return task.metric === "accuracy" ? accuracy(predicted, dataset.test.y) : macroF1(predicted, dataset.test.y, dataset.classes);
  };
}
