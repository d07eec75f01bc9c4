// Turning emitted kernel source into a callable, and the buffers a kernel reads and writes.
import type { PlanExperiment, PlanLandscape } from "./plan.js";
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
}

/** Allocates a cell's buffers (shared, so workers can fill them in place) and its inputs. */
export function prepareCell(experiment: PlanExperiment, landscape: PlanLandscape, optimizer: string, restarts: number): CellBuffers {
  const shared = (n: number) => new Float64Array(new SharedArrayBuffer(8 * n));
  const keys = new Uint32Array(new SharedArrayBuffer(8 * restarts));
  keys.set(restartKeys(experiment.seed, noiseStream(experiment.name, optimizer, landscape.name), 0, restarts));
  const start = startingPoints(experiment, landscape, restarts, shared);
  return {
    keys,
    start,
    end: Array.from({ length: landscape.dims }, () => shared(restarts)),
    loss: shared(restarts),
    evals: shared(restarts),
    steps: shared(restarts),
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

/** The job over restarts [from, from + count) of a cell's buffers (views, no copies). */
export function sliceJob(cell: CellBuffers, experiment: PlanExperiment, from: number, count: number): KernelJob {
  const view = (a: Float64Array) => a.subarray(from, from + count);
  return {
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
