// Executes a plan: every cell's kernel over all restarts (in this thread or on workers),
// then each end point assigned to a minimum.
import { availableParallelism, cpus } from "node:os";
import { assignToMinimum, distanceToNearestMinimum, isFinitePoint } from "./assign.js";
import { loadKernel, prepareCell, sliceJob, splitForCurves, type CellBuffers } from "./kernel.js";
import type { Plan, PlanCell, PlanExperiment, PlanLandscape } from "./plan.js";
import type { CellResult, ExperimentResult, LossCurve, Results } from "./results.js";
import { WorkerPool, type PoolTask } from "./workers.js";
import { assembleWat, instantiateWasmKernel } from "./backends/wasm.js";
import { GPUJS_GPU_MODES, GPUJS_MAX_COUNT, GPUJS_MODE_ORDER, loadGpujsKernel, type GpujsKernel, type GpujsMode } from "./backends/gpujs.js";

export interface RunOptions {
  /** Worker threads; 0 runs in this thread; undefined chooses by the amount of work. */
  readonly workers?: number;
  /** Record loss curves along the first restarts (default true; they cost some speed). */
  readonly curves?: boolean;
  /** A pool started earlier (its size is the worker count); the caller closes it. */
  readonly pool?: WorkerPool;
  /** Close `pool` as soon as its jobs are done (for a caller with no further use for it). */
  readonly closePool?: boolean;
  readonly restarts?: number;
  readonly seed?: number;
  /** Called each time a cell, or a worker's piece of one, finishes. */
  readonly onProgress?: (event: RunProgress) => void;
  /**
   * Which kernels run (default "js", or "auto" with `precision` f32): "wasm" needs the plan's
   * `.wat` kernels; "auto" runs wasm where the plan has it and the runtime can assemble it, JS
   * elsewhere. In double precision, results are the same bits. "gpujs" runs the plan's gpu.js
   * kernels (single precision, no loss curves) in this thread, in the first gpu.js mode that
   * works; a cell without one, or whose kernel does not load, runs in wasm, else JS, with a
   * warning. "auto" considers gpu.js only for a run of at least GPUJS_AUTO_STEPS
   * trajectory-steps, and only in a GPU mode (see `gpujsAutoSteps`).
   */
  readonly backend?: Backend;
  /** Told why `auto` or `gpujs` fell back (to JavaScript, or from gpu.js) for a cell. */
  readonly onWarning?: (message: string) => void;
  /** The run size from which `auto` considers gpu.js (default GPUJS_AUTO_STEPS; tests lower it). */
  readonly gpujsAutoSteps?: number;
  /** The gpu.js modes `auto` tries (default GPUJS_GPU_MODES: a GPU only; tests add webasm). */
  readonly gpujsAutoModes?: readonly GpujsMode[];
  /**
   * The arithmetic (default "f64"): "f32" runs the plan's single-precision WebAssembly kernels
   * (`auto`, the backend it defaults to, picks them; the JavaScript backend is double precision only).
   * With gpu.js (single precision only) it is that of the cells gpu.js cannot run: unset or "f32", not "f64".
   */
  readonly precision?: Precision;
  /**
   * The assembled binary of a WAT kernel (by its file name in the plan) when the caller has
   * one: a cached compilation's, or the `.wasm` that `optc compile` wrote beside the text.
   * Undefined (or no function) and the runtime assembles the text.
   */
  readonly assembled?: AssembledKernel;
}

/** The arithmetic of the kernels: double precision (every backend) or single (WebAssembly only). */
export type Precision = NonNullable<Plan["precisions"]>[number];

/** Thrown when the options ask for what the plan or the backend cannot do (a usage error). */
export class RunOptionsError extends Error {}

export type Backend = "js" | "wasm" | "gpujs" | "auto";

/** An experiment's progress: cells finished of all its cells, trajectory-steps (restarts x budget) finished. */
export interface RunProgress {
  readonly experiment: string;
  readonly cellsDone: number;
  readonly cells: number;
  readonly steps: number;
}

/** Below this many trajectory-steps in a run, workers cost more than they save (see `npm run bench`). */
export const WORKER_THRESHOLD_STEPS = 1e7;

/**
 * From this many trajectory-steps (restarts x budget, summed over cells) `auto` looks for a
 * GPU through gpu.js. Loading gpu.js and checking a kernel in a mode takes a few hundred
 * milliseconds per cell, while the whole paper table (about 2e8 steps) runs in ~0.7 s on the
 * CPU: below 1e9 steps a GPU cannot win that back, and normal runs never import gpu.js.
 */
export const GPUJS_AUTO_STEPS = 1e9;

/** Reads a kernel's source by its file name in the plan. */
export type KernelSource = (file: string) => string;

/** A WAT kernel's assembled binary by its file name in the plan, when one is at hand (see RunOptions.assembled). */
export type AssembledKernel = (file: string) => Uint8Array | undefined;

/** The worker count `--workers` defaults to for a plan. */
export function defaultWorkers(plan: Plan): number {
  const steps = planSteps(plan);
  const cells = plan.experiments.reduce((sum, e) => sum + e.cells.length, 0);
  return steps < WORKER_THRESHOLD_STEPS || availableParallelism() < 2 ? 0 : Math.min(availableParallelism(), Math.max(cells, 1) * 4);
}

/** Trajectory-steps of a plan: restarts x budget, summed over every cell. */
function planSteps(plan: Plan): number {
  return plan.experiments.reduce((sum, e) => sum + e.cells.length * e.restarts * (e.budget.gradients ?? e.budget.iterations ?? 0), 0);
}

/** The plan with `--restarts` / `--seed` applied to every experiment. */
export function withOverrides(plan: Plan, options: RunOptions): Plan {
  return {
    ...plan,
    experiments: plan.experiments.map((e) => ({ ...e, restarts: options.restarts ?? e.restarts, seed: options.seed ?? e.seed })),
  };
}

/** Runs every cell of every experiment and returns the results. */
export async function runPlan(original: Plan, kernelSource: KernelSource, options: RunOptions = {}): Promise<Results> {
  const plan = withOverrides(original, options);
  const workers = options.pool?.size ?? options.workers ?? defaultWorkers(plan);
  const started = performance.now();
  const precision = options.precision ?? "f64";
  const backend = options.backend ?? (precision === "f32" ? "auto" : "js");
  if (precision === "f32" && backend === "js") throw new RunOptionsError("single precision (f32) needs the WebAssembly backend: the JavaScript kernels are double precision only; use the wasm or auto backend");
  // Unset, the precision with gpu.js is that of the cells it cannot run (double).
  if (options.precision === "f64" && backend === "gpujs")
    throw new RunOptionsError("double precision (f64) cannot run on gpu.js: its kernels compute in single precision only; leave the precision unset (the cells gpu.js cannot run still run in double precision), or use the wasm or auto backend");
  if (precision === "f32" && backend !== "gpujs" && !(plan.precisions ?? ["f64"]).includes("f32"))
    throw new RunOptionsError("the plan has no single-precision (f32) kernels; compile it again with 'optc compile --precision f32'");
  const gpujs = await loadGpujsKernels(plan, backend, kernelSource, options);
  try {
    // A cell that does not run on gpu.js runs as `auto` would run it (with gpujs: in single precision where the plan allows).
    const fallbackBackend: Backend = backend === "gpujs" ? "auto" : backend;
    const fallbackPrecision: Precision = backend === "gpujs" ? (precision === "f32" && (plan.precisions ?? []).includes("f32") ? "f32" : "f64") : precision;
    // Each cell's kernel first, in the plan's order (so are any warnings); its buffers are
    // prepared later, as the workers are ready to take the cell.
    const coded = await Promise.all(
      plan.experiments.map(async (experiment) => ({
        experiment,
        cells: await Promise.all(
          experiment.cells.map(async (cell) => {
            const landscape = experiment.landscapes.find((l) => l.name === cell.landscape)!;
            const loaded = gpujs.get(cell);
            const g = typeof loaded === "object" ? loaded : undefined;
            const code: CellCode = g ? { gpujs: g, file: cell.gpujsKernel!, precision: "f32" as const } : await kernelCode(cell, fallbackBackend, fallbackPrecision, kernelSource, options);
            if (typeof loaded === "string") options.onWarning?.(`${loaded}; ${cell.optimizer} on ${cell.landscape} runs in ${code.binary ? "WebAssembly" : "JavaScript"}${code.precision === "f32" ? ", in single precision" : ""}`);
            return { cell, landscape, experiment, ...code };
          }),
        ),
      })),
    );
    const all = coded.flatMap((p) => p.cells);
    type Cell = (typeof all)[number];
    const buffers = new Map<Cell, CellBuffers>();
    /** Allocates a cell's buffers and draws its keys and starting points. */
    const prepare = (c: Cell): CellBuffers => {
      // gpu.js records no loss curves: its cells have none (like a budget in iterations).
      const b = prepareCell(c.experiment, c.landscape, c.cell.optimizer, c.experiment.restarts, (options.curves ?? true) && !c.gpujs);
      buffers.set(c, b);
      return b;
    };
    const summaries = new Map<Cell, CellResult>();
    const summarize = (c: Cell) => summarizeCell(c.cell, c.landscape, c.experiment, buffers.get(c)!);
    const finished = progressCounter(options.onProgress);
    /** gpu.js cells run in this thread, a whole cell per call (the loader splits it only where f32 indices need it). */
    const runGpujsCells = async () => {
      for (const c of all) {
        if (!c.gpujs) continue;
        await c.gpujs.run(sliceJob(buffers.get(c)!, c.experiment, 0, c.experiment.restarts));
        finished(c.experiment, c.cell, c.experiment.restarts);
        // Let the worker pool's messages through between cells (webasm and cpu modes run synchronously).
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const pooled = all.filter((c) => !c.gpujs);
    if (workers <= 0 || pooled.length === 0) {
      for (const c of all) prepare(c);
      for (const c of pooled) {
        const kernel = c.binary ? instantiateWasmKernel(c.binary) : loadKernel(c.source!, c.cell.kernel);
        const b = buffers.get(c)!;
        for (const [from, count] of splitForCurves(b, 0, c.experiment.restarts)) kernel(sliceJob(b, c.experiment, from, count));
        finished(c.experiment, c.cell, c.experiment.restarts);
      }
      await runGpujsCells();
    } else {
      // Each worker compiles every kernel it meets, and a kernel's first run is mostly JIT
      // warm-up: so a cell is split only when there are too few cells to keep workers busy.
      // The costliest cells go first, so no worker is left with a long one at the end.
      const owner = new Map<PoolTask, Cell>();
      const remaining = new Map<Cell, number>(pooled.map((c) => [c, c.experiment.restarts]));
      const pieces = Math.ceil((2 * workers) / pooled.length);
      const byCost = [...pooled].sort((a, b) => b.cell.relativeCost * b.experiment.restarts - a.cell.relativeCost * a.experiment.restarts);
      const pool = options.pool ?? new WorkerPool(workers);
      try {
        const run = pool.start((task) => {
          const c = owner.get(task)!;
          const restarts = task.jobs.reduce((sum, job) => sum + job.count, 0);
          finished(c.experiment, c.cell, restarts);
          // A finished cell is summarized while the workers run the others.
          const left = remaining.get(c)! - restarts;
          remaining.set(c, left);
          if (left === 0) {
            try {
              summaries.set(c, summarize(c));
            } catch {
              // Summarized again below, where the error reaches the caller.
            }
          }
        });
        // A failure is reported by awaiting `done` below; until then it must not count as unhandled.
        run.done.catch(() => {});
        try {
          // The workers take each cell as soon as it is prepared, while this thread prepares the next.
          for (const c of byCost) {
            const b = prepare(c);
            const restarts = c.experiment.restarts;
            const chunk = Math.max(64, Math.ceil(restarts / pieces));
            for (let from = 0; from < restarts; from += chunk) {
              const task: PoolTask = {
                ...(c.binary ? { binary: c.binary } : { source: c.source! }),
                file: c.file,
                jobs: splitForCurves(b, from, Math.min(chunk, restarts - from)).map(([start, count]) => sliceJob(b, c.experiment, start, count)),
              };
              owner.set(task, c);
              run.add(task);
            }
            // Let the workers' messages through, so one that finished a task takes the next.
            await new Promise((resolve) => setImmediate(resolve));
          }
          for (const c of all) if (c.gpujs) prepare(c);
        } finally {
          run.end();
        }
        // The gpu.js cells run here meanwhile.
        await Promise.all([run.done, runGpujsCells()]);
      } finally {
        if (!options.pool) await pool.close();
        // Not awaited: the threads shut down while this one summarizes the results.
        else if (options.closePool) void pool.close();
      }
    }
    const experiments: ExperimentResult[] = coded.map(({ experiment, cells }) => ({
      name: experiment.name,
      seed: experiment.seed,
      restarts: experiment.restarts,
      budget: experiment.budget,
      radius: experiment.radius,
      landscapes: experiment.landscapes.map((l) => ({
        name: l.name,
        declaration: l.declaration,
        params: l.params,
        coordinates: l.coordinates,
        minima: l.minima,
        lower: l.lower,
        upper: l.upper,
        ...(l.grid ? { grid: l.grid } : {}),
      })),
      optimizers: experiment.optimizers,
      cells: cells.map((c) => summaries.get(c) ?? summarize(c)),
    }));
    const seeds = new Set(plan.experiments.map((e) => e.seed));
    return {
      spec: plan.spec,
      specHash: plan.specHash,
      optspecVersion: plan.optspecVersion,
      seed: seeds.size === 1 ? [...seeds][0]! : null,
      backend: backendsUsed(all),
      precision: precisionsUsed(all),
      workers,
      node: process.version,
      cpu: cpus()[0]?.model ?? "unknown",
      wallSeconds: (performance.now() - started) / 1000,
      experiments,
    };
  } finally {
    for (const g of gpujs.values()) if (typeof g === "object") g.destroy();
  }
}

/** Counts per minimum, divergence and spent budget of one cell, plus its per-restart values. */
export function summarizeCell(cell: PlanCell, landscape: PlanLandscape, experiment: PlanExperiment, buffers: CellBuffers): CellResult {
  const restarts = experiment.restarts;
  const names = landscape.minima.map((m) => m.name);
  const counts: Record<string, number> = Object.fromEntries([...names, "Else"].map((n) => [n, 0]));
  const minimum: number[] = new Array(restarts);
  const distance: number[] = new Array(restarts);
  const point = new Float64Array(landscape.dims);
  let diverged = 0;
  let gradientEvaluations = 0;
  for (let r = 0; r < restarts; r++) {
    for (let i = 0; i < landscape.dims; i++) point[i] = buffers.end[i]![r]!;
    const loss = buffers.loss[r]!;
    gradientEvaluations += buffers.evals[r]!;
    const finite = isFinitePoint(point, loss);
    if (!finite) diverged++;
    const m = finite ? assignToMinimum(point, landscape.minima, experiment.radius) : -1;
    minimum[r] = m;
    distance[r] = finite ? distanceToNearestMinimum(point, landscape.minima) : Infinity;
    counts[m < 0 ? "Else" : names[m]!]! += 1;
  }
  return {
    landscape: cell.landscape,
    optimizer: cell.optimizer,
    restarts,
    gradientEvaluations,
    diverged,
    counts,
    ...(buffers.curve ? { curve: lossCurve(buffers.curve) } : {}),
    trajectories: {
      minimum,
      loss: Array.from(buffers.loss),
      distance,
      gradientEvaluations: Array.from(buffers.evals),
      iterations: Array.from(buffers.steps),
      end: buffers.end.map((c) => Array.from(c)),
    },
  };
}

/** What runs a cell: JavaScript source, a wasm binary or a loaded gpu.js kernel; `file` names it. */
interface CellCode {
  readonly source?: string;
  readonly binary?: Uint8Array;
  readonly gpujs?: GpujsKernel;
  readonly file: string;
  readonly precision: Precision;
}

/** A cell's kernel for `backend` and `precision`: JavaScript source, or a wasm binary assembled from its WAT; `file` names it. */
async function kernelCode(
  cell: PlanCell,
  backend: Backend,
  precision: Precision,
  kernelSource: KernelSource,
  { onWarning, assembled }: Pick<RunOptions, "onWarning" | "assembled">,
): Promise<{ source?: string; binary?: Uint8Array; file: string; precision: Precision }> {
  const javascript = () => ({ source: kernelSource(cell.kernel), file: cell.kernel, precision: "f64" as const });
  const wat = precision === "f32" ? cell.wasmKernelF32 : cell.wasmKernel;
  const what = precision === "f32" ? "single-precision WebAssembly kernel" : "WebAssembly kernel";
  // Single precision falls back too, with the warning saying the cell runs in double precision.
  const fallback = precision === "f32" ? "runs in JavaScript, in double precision" : "runs in JavaScript";
  if (backend === "js") return javascript();
  if (!wat) {
    if (backend === "auto") {
      if (precision === "f32") onWarning?.(`the plan has no ${what} for ${cell.optimizer} on ${cell.landscape}; it ${fallback}`);
      return javascript();
    }
    throw new Error(`the plan has no ${what} for ${cell.optimizer} on ${cell.landscape}; compile it with 'optc compile${precision === "f32" ? " --precision f32" : ""}', which writes it`);
  }
  try {
    return { binary: assembled?.(wat) ?? (await assembleWat(kernelSource(wat), wat)), file: wat, precision };
  } catch (error) {
    if (backend === "wasm") throw error;
    onWarning?.(`the ${what} ${wat} did not load (${error instanceof Error ? error.message : error}); ${cell.optimizer} on ${cell.landscape} ${fallback}`);
    return javascript();
  }
}

/** What arithmetic ran: "f64", "f32", or "f32+f64" when single precision fell back to JavaScript for some cells. */
function precisionsUsed(cells: readonly { precision: Precision }[]): string {
  const single = cells.filter((c) => c.precision === "f32").length;
  return single === 0 ? "f64" : single === cells.length ? "f32" : "f32+f64";
}

/**
 * What ran: "js", "wasm", "gpujs:<mode>" (the gpu.js mode, e.g. gpujs:webasm), or those that
 * ran joined by "+" (gpu.js modes first, then wasm, then js: "wasm+js", "gpujs:webgpu+wasm").
 */
function backendsUsed(cells: readonly { binary?: Uint8Array; gpujs?: GpujsKernel }[]): string {
  const gpujs = [...new Set(cells.flatMap((c) => (c.gpujs ? [`gpujs:${c.gpujs.mode}`] : [])))];
  const wasm = cells.some((c) => !c.gpujs && c.binary) ? ["wasm"] : [];
  const js = cells.some((c) => !c.gpujs && !c.binary) || cells.length === 0 ? ["js"] : [];
  return [...gpujs, ...wasm, ...js].join("+");
}

/**
 * The gpu.js kernel of each cell that runs on gpu.js, or why a cell that was to run on it
 * does not (a message for the warning). With `gpujs` every cell is tried, in the first mode
 * that works (later cells start from that mode); with `auto`, only a run of at least
 * GPUJS_AUTO_STEPS steps probes, and only GPU modes: when the first kernel finds none, auto
 * runs as it does without gpu.js, silently.
 */
async function loadGpujsKernels(plan: Plan, backend: Backend, kernelSource: KernelSource, options: RunOptions): Promise<Map<PlanCell, GpujsKernel | string>> {
  const kernels = new Map<PlanCell, GpujsKernel | string>();
  if (backend !== "gpujs" && backend !== "auto") return kernels;
  const cells = plan.experiments.flatMap((e) => e.cells);
  const some = cells.some((c) => c.gpujsKernel);
  // gpu.js is single precision: `auto` leaves it out when double precision was asked for.
  if (backend === "auto" && (!some || options.precision === "f64" || planSteps(plan) < (options.gpujsAutoSteps ?? GPUJS_AUTO_STEPS))) return kernels;
  if (!some) {
    options.onWarning?.("the plan has no gpu.js kernels (it was compiled without them); every cell runs in WebAssembly or JavaScript: compile it again with 'optc compile --backend gpujs'");
    return kernels;
  }
  let modes = backend === "auto" ? (options.gpujsAutoModes ?? GPUJS_GPU_MODES) : GPUJS_MODE_ORDER;
  let loaded = 0;
  try {
    for (const { experiment, cell } of plan.experiments.flatMap((e) => e.cells.map((c) => ({ experiment: e, cell: c })))) {
      const { gradients, iterations } = experiment.budget;
      if (Math.max(gradients ?? 0, iterations ?? 0) > GPUJS_MAX_COUNT) {
        if (backend === "gpujs") kernels.set(cell, `a budget of more than 2^24 is more than the gpu.js kernel's f32 counters hold exactly`);
        continue;
      }
      if (!cell.gpujsKernel) {
        if (backend === "gpujs") kernels.set(cell, "gpu.js cannot express this cell's kernel (the plan has no gpu.js kernel for it)");
        continue;
      }
      try {
        const g = await loadGpujsKernel(kernelSource(cell.gpujsKernel), { modes, file: cell.gpujsKernel });
        kernels.set(cell, g);
        loaded++;
        // The modes before the one that worked were unavailable (or failed): later cells skip them.
        modes = modes.slice(modes.indexOf(g.mode));
      } catch (error) {
        // auto's probe: no GPU mode for the first kernel means no GPU here.
        if (backend === "auto" && loaded === 0) return kernels;
        kernels.set(cell, `the gpu.js kernel did not load (${error instanceof Error ? error.message : error})`);
      }
    }
  } catch (error) {
    for (const g of kernels.values()) if (typeof g === "object") g.destroy();
    throw error;
  }
  return kernels;
}

/** Median and quartiles of the recorded losses at each checkpoint (a diverged loss counts as +Infinity). */
function lossCurve(curve: NonNullable<CellBuffers["curve"]>): LossCurve {
  const { values, restarts, stride, points } = curve;
  const evals: number[] = [];
  const median: number[] = [];
  const lower: number[] = [];
  const upper: number[] = [];
  const column = new Float64Array(restarts);
  for (let p = 0; p < points; p++) {
    let n = 0;
    for (let r = 0; r < restarts; r++) {
      const v = values[r * points + p]!;
      // NaN marks a checkpoint the trajectory never reached (it cannot: budgets are spent exactly) or a diverged loss.
      column[n++] = Number.isNaN(v) ? Infinity : v;
    }
    const sorted = column.subarray(0, n).sort();
    evals.push(p * stride);
    median.push(quantile(sorted, 0.5));
    lower.push(quantile(sorted, 0.25));
    upper.push(quantile(sorted, 0.75));
  }
  return { restarts, evals, median, lower, upper };
}

/** Linear interpolation between order statistics (numpy's default). */
function quantile(sorted: Float64Array, probability: number): number {
  const position = (sorted.length - 1) * probability;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  const low = sorted[below]!;
  const high = sorted[above]!;
  return low === high ? low : low + (high - low) * (position - below);
}

/** Counts finished restarts per cell and reports the experiment's progress after each piece. */
function progressCounter(onProgress: RunOptions["onProgress"]): (experiment: PlanExperiment, cell: PlanCell, restarts: number) => void {
  const restartsDone = new Map<PlanCell, number>();
  const byExperiment = new Map<PlanExperiment, { cellsDone: number; steps: number }>();
  return (experiment, cell, restarts) => {
    if (!onProgress) return;
    const done = (restartsDone.get(cell) ?? 0) + restarts;
    restartsDone.set(cell, done);
    const state = byExperiment.get(experiment) ?? { cellsDone: 0, steps: 0 };
    byExperiment.set(experiment, state);
    if (done === experiment.restarts) state.cellsDone++;
    state.steps += restarts * (experiment.budget.gradients ?? experiment.budget.iterations ?? 0);
    onProgress({ experiment: experiment.name, cellsDone: state.cellsDone, cells: experiment.cells.length, steps: state.steps });
  };
}
