// Runs a plan's experiments on tasks: for each task, its data set loaded once; for each
// optimizer and trajectory, a model initialised from the trajectory's seed (the same start for
// every optimizer: a paired design, as restarts share starting points on landscapes), trained
// by the optimizer's step IR with snapshots along the way; then each population's members.
import * as tf from "@tensorflow/tfjs-core";
import type { PlanTask, PlanTaskData, PlanTaskExperiment } from "../../compiler/plan-tasks.js";
import { restartKey, mix32 } from "../rng.js";
import { loadDataset, type DataSpec } from "./data/index.js";
import { accuracy, argmaxRows, macroF1 } from "./metrics.js";
import { selectPositions } from "./populations.js";
import type { TaskExperimentResult, TaskRunResult, TaskSummary, TaskTrajectoryResult } from "./results.js";
import { selectBackend, type BackendRequest } from "./tf/backend.js";
import { buildModel } from "./tf/models.js";
import { trainTrajectory } from "./train.js";
import { batchesPerEpoch } from "./train-batches.js";
import type { Dataset, PopulationRule, TrainableModel } from "./types.js";

export interface TaskRunOptions {
  /** Which tfjs backend trains the models (default `auto`). */
  readonly backend?: BackendRequest;
  readonly trajectories?: number;
  readonly seed?: number;
  /** Called after every trajectory. */
  readonly onProgress?: (event: { readonly experiment: string; readonly done: number; readonly total: number }) => void;
}

/** Runs every experiment on tasks in `experiments`; the backend is chosen once for all. */
export async function runTaskExperiments(experiments: readonly PlanTaskExperiment[], options: TaskRunOptions = {}): Promise<TaskExperimentResult[]> {
  if (experiments.length === 0) return [];
  const backend = await selectBackend(options.backend ?? "auto");
  const results: TaskExperimentResult[] = [];
  for (const original of experiments) {
    const experiment = { ...original, trajectories: options.trajectories ?? original.trajectories, seed: options.seed ?? original.seed };
    results.push(await runExperiment(experiment, backend.name, options));
  }
  return results;
}

async function runExperiment(experiment: PlanTaskExperiment, backend: string, options: TaskRunOptions): Promise<TaskExperimentResult> {
  const runs: TaskRunResult[] = [];
  const tasks: TaskSummary[] = [];
  const total = experiment.tasks.length * experiment.optimizers.length * experiment.trajectories;
  let done = 0;
  for (const task of experiment.tasks) {
    const dataset = loadDataset(dataSpec(task.data), experiment.seed, task.baseDir);
    const testX = uploadTest(dataset);
    const perEpoch = batchesPerEpoch(dataset.train.count, task.batch);
    const metric = metricOf(task, dataset, testX);
    let parameters = 0;
    try {
      for (const optimizer of experiment.optimizers) {
        const started = performance.now();
        const trajectories: TaskTrajectoryResult[] = [];
        for (let trajectory = 0; trajectory < experiment.trajectories; trajectory++) {
          const model = await buildModel(task.model, dataset.inputShape, dataset.classes, initSeed(experiment, task.name, trajectory), dataset.vocabularySize, task.baseDir);
          parameters = model.parameters.reduce((sum, p) => sum + p.size, 0);
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
            trajectories.push({ snapshots: result.snapshots, gradientEvaluations: result.gradientEvaluations, steps: result.steps, diverged: result.diverged });
          } finally {
            model.dispose();
          }
          options.onProgress?.({ experiment: experiment.name, done: ++done, total });
        }
        runs.push({
          task: task.name,
          optimizer: optimizer.name,
          trajectories,
          populations: Object.fromEntries(
            experiment.populations.map(({ name, rule }) => [
              name,
              trajectories.flatMap((t, trajectory) => selectPositions(t.snapshots, rule as PopulationRule).map((snapshot) => ({ trajectory, snapshot }))),
            ]),
          ),
          wallSeconds: (performance.now() - started) / 1000,
        });
      }
    } finally {
      testX.dispose();
    }
    tasks.push({
      name: task.name,
      data: dataset.description,
      model: describeModel(task),
      metric: task.metric,
      batch: task.batch,
      batchesPerEpoch: perEpoch,
      parameters,
      classes: dataset.classes,
      train: dataset.train.count,
      test: dataset.test.count,
    });
  }
  return {
    name: experiment.name,
    seed: experiment.seed,
    trajectories: experiment.trajectories,
    budget: experiment.budget,
    snapshot: experiment.snapshot,
    populations: experiment.populations,
    backend,
    tasks,
    optimizers: experiment.optimizers.map((o) => ({ name: o.name, declaration: o.declaration, params: o.params })),
    runs,
  };
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

function describeModel(task: PlanTask): string {
  const m = task.model;
  switch (m.kind) {
    case "mlp":
      return `mlp(hidden = [${m.hidden.join(", ")}])`;
    case "cnn":
      return `cnn(channels = [${m.channels.join(", ")}], kernel = ${m.kernel}, dense = [${m.dense.join(", ")}])`;
    case "resnet":
      return `resnet(depth = ${m.depth})`;
    case "bag_of_embeddings":
      return `bag_of_embeddings(dimension = ${m.dimension}, hidden = [${m.hidden.join(", ")}])`;
    case "tfjs":
      return `tfjs("${m.path}")`;
  }
}
