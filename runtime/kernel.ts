// Turning emitted kernel source into a callable, and the buffers a kernel reads and writes.
import { MAX_CURVE_POINTS, type PlanExperiment, type PlanLandscape } from "./plan.js";
import { initStream, noiseStream, restartKeys, uniform } from "./rng.js";

/** The job a kernel runs: restarts [0, count) of the given buffers. */
export interface KernelJob {
  readonly count: number;
  readonly budget: number;
  readonly iterations: number;
  readonly keys: Uint32Array;
  readonly start: readonly Float64Array[];
  readonly end: readonly Float64Array[];
  readonly loss: Float64Array;
  readonly evals: Float64Array;
  readonly steps: Float64Array;
  /** count x curvePoints losses along each trajectory, or null to record none. */
  readonly curve: Float64Array | null;
  readonly curveStride: number;
  readonly curvePoints: number;
}

export type Kernel = (job: KernelJob) => void;

/** Compiles kernel source (which declares `function kernel(job)`) into a function; `file` names it in errors. */
export function loadKernel(source: string, file = "kernel"): Kernel {
  let kernel: Kernel;
  try {
    kernel = new Function(`${source}\nreturn kernel;`)() as Kernel;
  } catch (error) {
    throw new Error(`kernel ${file} is not valid JavaScript (${error instanceof Error ? error.message : error}); compile the spec again`);
  }
  return (job) => {
    try {
      kernel(job);
    } catch (error) {
      throw new Error(`kernel ${file} failed: ${error instanceof Error ? error.message : error}`);
    }
  };
}

/** Inputs and outputs of one cell (experiment x landscape x optimizer) for restarts [from, from + count). */
export interface CellBuffers {
  readonly keys: Uint32Array;
  readonly start: Float64Array[];
  readonly end: Float64Array[];
  readonly loss: Float64Array;
  readonly evals: Float64Array;
  readonly steps: Float64Array;
  /** Losses along the first `curve.restarts` trajectories, or null (a budget in iterations). */
  readonly curve: { readonly values: Float64Array; readonly restarts: number; readonly stride: number; readonly points: number } | null;
}

/** Loss curves are kept for this many restarts per cell at most, so memory stays bounded. */
export const CURVE_RESTARTS = 256;

/** About this many points per loss curve. */
export const CURVE_POINTS = 50;

/**
 * Where the loss is recorded along a gradient budget: every `stride` gradients (the declared
 * one, else about CURVE_POINTS points), `points` values in all.
 */
export function curveLayout(gradients: number | null, declaredStride?: number): { stride: number; points: number } | null {
  if (gradients === null) return null;
  const stride = Math.max(declaredStride ?? Math.ceil(gradients / CURVE_POINTS), Math.ceil(gradients / MAX_CURVE_POINTS), 1);
  return { stride, points: Math.floor(gradients / stride) + 1 };
}

/** Allocates a cell's buffers (shared, so workers can fill them in place) and its inputs. */
export function prepareCell(experiment: PlanExperiment, landscape: PlanLandscape, optimizer: string, restarts: number, curves = true): CellBuffers {
  const shared = (n: number) => new Float64Array(new SharedArrayBuffer(8 * n));
  const keys = new Uint32Array(new SharedArrayBuffer(8 * restarts));
  keys.set(restartKeys(experiment.seed, noiseStream(experiment.name, optimizer, landscape.name), 0, restarts));
  const start = startingPoints(experiment, landscape, restarts, shared);
  const layout = curves ? curveLayout(experiment.budget.gradients, experiment.curveStride) : null;
  const curveRestarts = Math.min(restarts, CURVE_RESTARTS);
  const curve = layout && { values: shared(curveRestarts * layout.points).fill(NaN), restarts: curveRestarts, ...layout };
  return {
    keys,
    start,
    end: Array.from({ length: landscape.dims }, () => shared(restarts)),
    loss: shared(restarts),
    evals: shared(restarts),
    steps: shared(restarts),
    curve,
  };
}

/**
 * The starting point of every restart, coordinate by coordinate: uniform in the init box
 * from a stream that does not depend on the optimizer, so all optimizers on a landscape
 * start from the same R points.
 */
export function startingPoints(
  experiment: PlanExperiment,
  landscape: PlanLandscape,
  restarts: number,
  allocate: (n: number) => Float64Array = (n) => new Float64Array(n),
): Float64Array[] {
  const start = Array.from({ length: landscape.dims }, () => allocate(restarts));
  const init = landscape.init;
  if (init.mode === "point") {
    start.forEach((column, i) => column.fill(init.at[i]!));
    return start;
  }
  const keys = restartKeys(experiment.seed, initStream(experiment.name, landscape.name), 0, restarts);
  for (let r = 0; r < restarts; r++) {
    const k0 = keys[2 * r]!;
    const k1 = keys[2 * r + 1]!;
    for (let i = 0; i < landscape.dims; i++) start[i]![r] = init.lower[i]! + (init.upper[i]! - init.lower[i]!) * uniform(k0, k1, i);
  }
  return start;
}

/**
 * The job over restarts [from, from + count) of a cell's buffers (views, no copies). A job
 * either lies within the restarts that record curves or has none of them (see `splitForCurves`).
 */
export function sliceJob(cell: CellBuffers, experiment: PlanExperiment, from: number, count: number): KernelJob {
  const view = (a: Float64Array) => a.subarray(from, from + count);
  const curve = cell.curve;
  if (curve && from < curve.restarts && from + count > curve.restarts) throw new Error("internal: a job crosses the end of the recorded curves");
  const recording = curve && from < curve.restarts ? curve : null;
  return {
    curve: recording && recording.values.subarray(from * recording.points, (from + count) * recording.points),
    curveStride: recording?.stride ?? 1,
    curvePoints: recording?.points ?? 0,
    count,
    budget: experiment.budget.gradients ?? Infinity,
    iterations: experiment.budget.iterations ?? Infinity,
    keys: cell.keys.subarray(2 * from, 2 * (from + count)),
    start: cell.start.map(view),
    end: cell.end.map(view),
    loss: view(cell.loss),
    evals: view(cell.evals),
    steps: view(cell.steps),
  };
}

/** Splits restarts [from, from + count) where the recorded curves end, so no job crosses it. */
export function splitForCurves(cell: CellBuffers, from: number, count: number): [number, number][] {
  const boundary = cell.curve?.restarts;
  if (boundary === undefined || from >= boundary || from + count <= boundary) return [[from, count]];
  return [
    [from, boundary - from],
    [boundary, from + count - boundary],
  ];
}
