// The results of a run, as written by `optc run --json`.
import type { HypothesisResult } from "./hypotheses.js";
import type { MinimumIR, PlanOptimizer } from "./plan.js";
import type { TaskExperimentResult } from "./tasks/results.js";

export interface Results {
  readonly spec: string;
  readonly specHash: string;
  readonly optspecVersion: string;
  /** The seed of every experiment when they share one, else null. */
  readonly seed: number | null;
  /** What ran: the kernels' backend (`wasm`, `js`, `gpujs:webasm`, ...), and `tfjs:<backend>` for tasks, joined by `+`. */
  readonly backend: string;
  /**
   * The kernels' arithmetic: "f64", "f32" (single-precision WebAssembly), or "f32+f64" when
   * some cells fell back to JavaScript; tasks train in f32 on tfjs ("f32" for tasks alone,
   * "f32+f64" beside double-precision landscapes). Absent in results written before single precision: f64.
   */
  readonly precision?: string;
  readonly workers: number;
  readonly node: string;
  readonly cpu: string;
  readonly wallSeconds: number;
  readonly experiments: readonly ExperimentResult[];
  /** Experiments that trained models on tasks (absent when the spec has none). */
  readonly taskExperiments?: readonly TaskExperimentResult[];
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
    /** The domain box. */
    readonly lower: readonly number[];
    readonly upper: readonly number[];
    /** f on a regular grid over the domain, for contour plots (two-dimensional landscapes only). */
    readonly grid?: LandscapeGrid;
  }[];
  readonly optimizers: readonly PlanOptimizer[];
  readonly cells: readonly CellResult[];
}

/** f at x[i], y[j] is f[j * x.length + i]. */
export interface LandscapeGrid {
  readonly x: readonly number[];
  readonly y: readonly number[];
  readonly f: readonly number[];
}

/**
 * The loss along trajectories: at 0, stride, 2 stride, ... gradient evaluations, the median
 * and quartiles over the first restarts (at most CURVE_RESTARTS, so memory stays bounded).
 * The loss of a hopping optimizer is that of its accepted point.
 */
export interface LossCurve {
  readonly restarts: number;
  readonly evals: readonly number[];
  readonly median: readonly number[];
  readonly lower: readonly number[];
  readonly upper: readonly number[];
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
  /** Absent when the run recorded no curves (a budget in iterations). */
  readonly curve?: LossCurve;
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
