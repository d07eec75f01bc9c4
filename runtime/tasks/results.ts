// The results of experiments on tasks, as written in results JSON beside the landscape
// experiments': per (task, optimizer, trajectory) the snapshot series, and per population its
// members, so every hypothesis and report reads the same numbers.
import type { PlanPopulationRule, PlanTaskExperiment } from "../../compiler/plan-tasks.js";
import type { Snapshot } from "./types.js";

export interface TaskTrajectoryResult {
  readonly snapshots: readonly Snapshot[];
  readonly gradientEvaluations: number;
  readonly steps: number;
  /** The loss became non-finite; the trajectory stopped there. */
  readonly diverged: boolean;
}

/** A member of a population: snapshot `snapshot` of trajectory `trajectory`. */
export interface PopulationMemberRef {
  readonly trajectory: number;
  readonly snapshot: number;
}

export interface TaskRunResult {
  readonly task: string;
  readonly optimizer: string;
  readonly trajectories: readonly TaskTrajectoryResult[];
  readonly populations: Readonly<Record<string, readonly PopulationMemberRef[]>>;
  readonly wallSeconds: number;
}

export interface TaskSummary {
  readonly name: string;
  /** The data set in one line (loader, sizes, seed). */
  readonly data: string;
  readonly model: string;
  readonly metric: "accuracy" | "macro_f1";
  readonly batch: number;
  readonly batchesPerEpoch: number;
  readonly parameters: number;
  readonly classes: number;
  readonly train: number;
  readonly test: number;
}

export interface TaskExperimentResult {
  readonly name: string;
  readonly seed: number;
  readonly trajectories: number;
  readonly budget: PlanTaskExperiment["budget"];
  readonly snapshot: PlanTaskExperiment["snapshot"];
  readonly populations: readonly { readonly name: string; readonly rule: PlanPopulationRule }[];
  /** The tfjs backend that trained the models (`wasm`, `cpu`, `tensorflow`, ...). */
  readonly backend: string;
  /** Task worker threads that trained the trajectories (0: the main thread). */
  readonly workers?: number;
  readonly tasks: readonly TaskSummary[];
  readonly optimizers: readonly { readonly name: string; readonly declaration: string; readonly params: Readonly<Record<string, number>> }[];
  readonly runs: readonly TaskRunResult[];
}

/** The snapshots of one population of one run, in trajectory order then series order. */
export function populationSnapshots(run: TaskRunResult, population: string): Snapshot[] {
  const members = run.populations[population];
  if (!members) throw new Error(`the results have no population '${population}' for ${run.optimizer} on ${run.task}`);
  return members.map((m) => run.trajectories[m.trajectory]!.snapshots[m.snapshot]!);
}
