// Runs a plan's experiments on tasks: for each task, its data set loaded once; for each
// optimizer and trajectory, a model initialised from the trajectory's seed (the same start for
// every optimizer: a paired design, as restarts share starting points on landscapes), trained
// by the optimizer's step IR with snapshots along the way; then each population's members.
// The units (optimizer x trajectory, unit.ts) run in this thread or on a pool of worker
// threads (pool.ts) that take them from a queue; either way the results are put back in plan
// order, and each unit is a pure function of its inputs, so the output is the same for any
// number of workers.
import { statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { isAbsolute, resolve } from "node:path";
import type { PlanTask, PlanTaskExperiment } from "../../compiler/plan-tasks.js";
import { TaskWorkerPool } from "./pool.js";
import { selectPositions } from "./populations.js";
import type { TaskExperimentResult, TaskRunResult, TaskSummary, TaskTrajectoryResult } from "./results.js";
import { selectBackend, type BackendRequest } from "./tf/backend.js";
import { batchesPerEpoch } from "./train-batches.js";
import { prepareTask, trainUnit, type UnitResult } from "./unit.js";

export { budgetInGradients, dataSpec, snapshotStride } from "./unit.js";

export interface TaskRunOptions {
  /** Which tfjs backend trains the models (default `auto`). */
  readonly backend?: BackendRequest;
  readonly trajectories?: number;
  readonly seed?: number;
  /**
   * Worker threads that train the units (optimizer x trajectory): 0 trains them in this
   * thread; K > 0 on K workers (dist/task-worker.js, built by `npm run build`), each on the
   * backend this thread selected. Results are bit-identical for every K. Default: see
   * `defaultTaskWorkers`.
   */
  readonly workers?: number;
  /** Called after every trajectory. */
  readonly onProgress?: (event: { readonly experiment: string; readonly done: number; readonly total: number }) => void;
}

/** Training samples (minibatch rows) a unit must process, at least, before workers pay for their start. */
export const WORKER_UNIT_SAMPLES = 20_000;

/**
 * The default number of task workers: every core when the backend trains on one thread
 * (wasm, cpu), some experiment has at least two units, and an experiment's units each
 * process at least WORKER_UNIT_SAMPLES training samples (a worker takes about a second to
 * load tfjs and its data set); else 0. tfjs-node runs its own threads: 0.
 */
export function defaultTaskWorkers(experiments: readonly PlanTaskExperiment[], backend: string): number {
  if (backend !== "wasm" && backend !== "cpu") return 0;
  const cores = availableParallelism();
  if (cores < 2) return 0;
  const worth = experiments.some((e) => e.optimizers.length * e.trajectories >= 2 && e.tasks.every((task) => unitSamples(e, task) >= WORKER_UNIT_SAMPLES));
  return worth ? cores : 0;
}

/** An estimate of the training samples one unit processes (the data set is not loaded yet). */
function unitSamples(experiment: PlanTaskExperiment, task: PlanTask): number {
  const { budget } = experiment;
  const limits: number[] = [];
  if (budget.gradients !== null) limits.push(budget.gradients * task.batch);
  if (budget.iterations !== null) limits.push(budget.iterations * task.batch);
  if (budget.epochs !== null) limits.push(budget.epochs * estimatedTrain(task));
  return limits.length > 0 ? Math.min(...limits) : 0;
}

/** The training split's size as the plan says it, or guessed (text: ~64 bytes a row, 80% kept). */
function estimatedTrain(task: PlanTask): number {
  const a = task.data.args as Record<string, unknown>;
  if (typeof a["train"] === "number") return a["train"];
  if (task.data.loader === "cifar10" || task.data.loader === "cifar100") return 50_000;
  if (task.data.loader === "text" && typeof a["path"] === "string") {
    const path = isAbsolute(a["path"]) ? a["path"] : resolve(task.baseDir, a["path"]);
    const bytes = statSync(path, { throwIfNoEntry: false })?.size ?? 0;
    return (bytes / 64) * (a["test_path"] !== undefined ? 1 : 0.8);
  }
  return 0;
}

/** Runs every experiment on tasks in `experiments`; the backend is chosen once for all. */
export async function runTaskExperiments(experiments: readonly PlanTaskExperiment[], options: TaskRunOptions = {}): Promise<TaskExperimentResult[]> {
  if (experiments.length === 0) return [];
  const backend = await selectBackend(options.backend ?? "auto");
  const resolved = experiments.map((original) => ({ ...original, trajectories: options.trajectories ?? original.trajectories, seed: options.seed ?? original.seed }));
  const requested = options.workers ?? defaultTaskWorkers(resolved, backend.name);
  if (!Number.isInteger(requested) || requested < 0) throw new Error(`workers must be a whole number from 0, got ${requested}`);
  // No more workers than the largest experiment has units.
  const workers = Math.min(requested, Math.max(...resolved.map((e) => e.tasks.length * e.optimizers.length * e.trajectories)));
  const pool = workers > 0 ? await TaskWorkerPool.start(workers, backend.name) : undefined;
  try {
    const results: TaskExperimentResult[] = [];
    for (const experiment of resolved) results.push({ ...(await runExperiment(experiment, backend.name, options, pool)), workers });
    return results;
  } finally {
    await pool?.close();
  }
}

async function runExperiment(experiment: PlanTaskExperiment, backend: string, options: TaskRunOptions, pool: TaskWorkerPool | undefined): Promise<TaskExperimentResult> {
  const total = experiment.tasks.length * experiment.optimizers.length * experiment.trajectories;
  let done = 0;
  // units[task][optimizer][trajectory], filled in whatever order they end.
  const units: (UnitResult | undefined)[][][] = experiment.tasks.map(() => experiment.optimizers.map(() => new Array<UnitResult | undefined>(experiment.trajectories)));
  const finished = (task: number, optimizer: number, trajectory: number, result: UnitResult) => {
    units[task]![optimizer]![trajectory] = result;
    options.onProgress?.({ experiment: experiment.name, done: ++done, total });
  };
  if (pool) {
    const requests = experiment.tasks.flatMap((_, task) => experiment.optimizers.flatMap((_, optimizer) => Array.from({ length: experiment.trajectories }, (_, trajectory) => ({ experiment, task, optimizer, trajectory }))));
    await pool.run(requests, (index, result) => {
      const { task, optimizer, trajectory } = requests[index]!;
      finished(task, optimizer, trajectory, result);
    });
  } else {
    for (const [t, task] of experiment.tasks.entries()) {
      const prepared = prepareTask(experiment, task);
      try {
        for (let o = 0; o < experiment.optimizers.length; o++)
          for (let trajectory = 0; trajectory < experiment.trajectories; trajectory++) finished(t, o, trajectory, await trainUnit(experiment, task, prepared, o, trajectory));
      } finally {
        prepared.dispose();
      }
    }
  }
  const runs: TaskRunResult[] = [];
  const tasks: TaskSummary[] = [];
  for (const [t, task] of experiment.tasks.entries()) {
    for (const [o, optimizer] of experiment.optimizers.entries()) {
      const results = units[t]![o]! as UnitResult[];
      const trajectories: TaskTrajectoryResult[] = results.map((u) => u.trajectory);
      runs.push({
        task: task.name,
        optimizer: optimizer.name,
        trajectories,
        populations: Object.fromEntries(
          experiment.populations.map(({ name, rule }) => [
            name,
            trajectories.flatMap((tr, trajectory) => selectPositions(tr.snapshots, rule).map((snapshot) => ({ trajectory, snapshot }))),
          ]),
        ),
        // Seconds spent training this optimizer's trajectories (on whichever threads).
        wallSeconds: results.reduce((sum, u) => sum + u.seconds, 0),
      });
    }
    const first = units[t]![0]?.[0];
    tasks.push({
      name: task.name,
      data: first?.data.description ?? "",
      model: describeModel(task),
      metric: task.metric,
      batch: task.batch,
      batchesPerEpoch: first ? batchesPerEpoch(first.data.train, task.batch) : 0,
      parameters: first?.parameters ?? 0,
      classes: first?.data.classes ?? 0,
      train: first?.data.train ?? 0,
      test: first?.data.test ?? 0,
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
