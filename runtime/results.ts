// The results of a run, as written by `optc run --json`.
import type { HypothesisResult } from "./hypotheses.js";
import type { MinimumIR, PlanOptimizer } from "./plan.js";

export interface Results {
  readonly spec: string;
  readonly specHash: string;
  readonly optspecVersion: string;
  /** The seed of every experiment when they share one, else null. */
  readonly seed: number | null;
  readonly backend: string;
  readonly workers: number;
  readonly node: string;
  readonly cpu: string;
  readonly wallSeconds: number;
  readonly experiments: readonly ExperimentResult[];
  /** Present when the plan has hypotheses and they were evaluated. */
  readonly hypotheses?: readonly HypothesisResult[];
}

export interface ExperimentResult {
  readonly name: string;
  readonly seed: number;
  readonly restarts: number;
  readonly budget: { readonly gradients: number | null; readonly iterations: number | null };
  readonly radius: number;
  readonly landscapes: readonly {
    readonly name: string;
    readonly declaration: string;
    readonly params: Readonly<Record<string, number>>;
    readonly coordinates: readonly string[];
    readonly minima: readonly MinimumIR[];
  }[];
  readonly optimizers: readonly PlanOptimizer[];
  readonly cells: readonly CellResult[];
}

export interface CellResult {
  readonly landscape: string;
  readonly optimizer: string;
  readonly restarts: number;
  /** Gradient evaluations spent, summed over restarts. */
  readonly gradientEvaluations: number;
  /** End points with a non-finite coordinate or loss (counted in Else too). */
  readonly diverged: number;
  /** End points per declared minimum, and `Else`. */
  readonly counts: Readonly<Record<string, number>>;
  /** Per restart, in restart order. */
  readonly trajectories: {
    /** Index into the landscape's minima, or -1 for Else. */
    readonly minimum: readonly number[];
    readonly loss: readonly number[];
    /** Euclidean distance to the nearest declared minimum (Infinity without minima or when diverged). */
    readonly distance: readonly number[];
    readonly gradientEvaluations: readonly number[];
    readonly iterations: readonly number[];
    /** End points, one array per coordinate. */
    readonly end: readonly (readonly number[])[];
  };
}

/** JSON text of results; non-finite numbers (diverged end points) are written as strings. */
export function resultsToJson(results: Results): string {
  return JSON.stringify(results, (_key, value) => (typeof value === "number" && !Number.isFinite(value) ? String(value) : value));
}
