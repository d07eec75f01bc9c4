// The run plan: everything the runtime needs to execute a compiled spec, as plain JSON.
// runtime/ imports only these types (and never grammar/); kernels travel beside the plan
// as JavaScript files named by `PlanCell.kernel`.
import type { MinimumIR } from "./lower/landscape.js";

export const PLAN_FORMAT = "optspec-plan";
export const PLAN_VERSION = 1;

export interface Plan {
  readonly format: typeof PLAN_FORMAT;
  readonly version: typeof PLAN_VERSION;
  /** The spec file as given on the command line. */
  readonly spec: string;
  /** sha256 of the spec and every file it imports, in load order. */
  readonly specHash: string;
  readonly optspecVersion: string;
  readonly experiments: readonly PlanExperiment[];
}

export interface PlanExperiment {
  readonly name: string;
  readonly seed: number;
  readonly restarts: number;
  /** A trajectory stops when either limit is reached; null means no limit of that kind. */
  readonly budget: { readonly gradients: number | null; readonly iterations: number | null };
  /** An end point belongs to the nearest declared minimum within this distance. */
  readonly radius: number;
  readonly landscapes: readonly PlanLandscape[];
  readonly optimizers: readonly PlanOptimizer[];
  readonly cells: readonly PlanCell[];
}

export type PlanInit =
  | { readonly mode: "uniform"; readonly lower: readonly number[]; readonly upper: readonly number[] }
  | { readonly mode: "point"; readonly at: readonly number[] };

export interface PlanLandscape {
  readonly name: string;
  readonly declaration: string;
  readonly params: Readonly<Record<string, number>>;
  readonly dims: number;
  readonly coordinates: readonly string[];
  readonly lower: readonly number[];
  readonly upper: readonly number[];
  readonly init: PlanInit;
  readonly minima: readonly MinimumIR[];
}

export interface PlanOptimizer {
  readonly name: string;
  readonly declaration: string;
  readonly params: Readonly<Record<string, number>>;
}

export interface PlanCell {
  readonly landscape: string;
  readonly optimizer: string;
  /** File name of the kernel, relative to the plan. */
  readonly kernel: string;
  readonly lockstepPassCost: number | null;
  /** Rough time per gradient evaluation relative to lockstep GD (schedules costly cells first). */
  readonly relativeCost: number;
}

export type { MinimumIR };
