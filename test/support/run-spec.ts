// Test support: compile spec text in memory and run one cell's kernel on chosen inputs.
import { compileSpec, formatDiagnostic } from "../../compiler/index.js";
import { checkExperiments, type LoweredExperiment } from "../../compiler/check/rules/experiments.js";
import { checkLandscapes } from "../../compiler/check/rules/landscapes.js";
import { checkOptimizers } from "../../compiler/check/rules/optimizers.js";
import type { Diagnostic } from "../../compiler/diagnostics/diagnostic.js";
import { loadSpec } from "../../compiler/resolve/load.js";
import { buildSymbolTable } from "../../compiler/resolve/symbols.js";
import { memoryHost } from "../../compiler/source.js";
import { loadKernel, prepareCell, sliceJob, splitForCurves, type KernelJob } from "../../runtime/kernel.js";
import type { Plan, PlanExperiment } from "../../runtime/plan.js";

export interface Compiled {
  readonly plan: Plan;
  readonly kernels: ReadonlyMap<string, string>;
}

const PATH = "/virtual/test.optspec";

/** Compiles `text` (which may import the standard library); throws with the diagnostics on errors. */
export function compileText(text: string, backends: readonly ("js" | "wasm" | "gpujs")[] = ["js"]): Compiled {
  const result = compileSpec(PATH, { host: memoryHost({ [PATH]: text }), backends });
  if (!result.plan) throw new Error(result.diagnostics.map((d) => formatDiagnostic(d, () => text)).join("\n"));
  return { plan: result.plan, kernels: result.kernels };
}

/** Experiment `name` of `text` lowered (its optimizers' and landscapes' IR), and the diagnostics of checking it. */
export function lowerText(text: string, name = "E"): { lowered: LoweredExperiment; diagnostics: Diagnostic[] } {
  const loaded = loadSpec(PATH, memoryHost({ [PATH]: text }));
  const diagnostics: Diagnostic[] = [...loaded.diagnostics];
  const ctx = { files: loaded.files, symbols: buildSymbolTable(loaded.files, diagnostics), diagnostics };
  checkLandscapes(ctx);
  checkOptimizers(ctx);
  return { lowered: checkExperiments(ctx).find((e) => e.name === name)!, diagnostics };
}

/** Experiment E of `text`: its optimizers' and landscapes' IR, and its plan. */
export function lowerWithPlan(text: string): { readonly lowered: LoweredExperiment; readonly plan: PlanExperiment } {
  return { lowered: lowerText(text).lowered, plan: compileText(text).plan.experiments.find((e) => e.name === "E")! };
}

/** What a kernel wrote into a job, copied. */
export interface JobOutputs {
  end: Float64Array[];
  loss: Float64Array;
  evals: Float64Array;
  steps: Float64Array;
  curve: Float64Array | null;
}

export function snapshotJob(job: KernelJob): JobOutputs {
  return { end: job.end.map((c) => c.slice()), loss: job.loss.slice(), evals: job.evals.slice(), steps: job.steps.slice(), curve: job.curve && job.curve.slice() };
}

/**
 * Optimizers that use every other step kind between them: the noises, momentum (Nesterov too)
 * and Adam, guards on every state quantity, a guarded and a looped ascent, and a Metropolis hop.
 */
export const EVERY_STEP_KIND = `
optimizer Mix(lr = 1e-3) {
  perturb model sphere(0.01) when evals > 30 and not (gradnorm > 5)
  perturb gradient gaussian(1) when t < 50 or loss > 100
  descend lr with momentum(beta = 0.9, nesterov = 1)
}
optimizer Noisy(lr = 1e-3) {
  perturb gradient ball(2)
  perturb gradient sphere(0.5) when t > 3
  perturb model gaussian(0.01) when t > 7 and t < 12
  perturb model ball(0.01) when t == 20
  descend lr with momentum(beta = 0.5)
}
optimizer Maybe(lr = 1e-3) {
  ascend 0.05 normalized when t > 3 and t < 40
  descend lr
}
optimizer Hopper(lr = 1e-3) {
  hop {
    perturb model gaussian(0.3)
    repeat 10 { ascend 0.01; descend lr with adam(beta1 = 0.9, beta2 = 0.999, eps = 1e-8) } until gradnorm < 1e-3 or loss < 0.5
    accept metropolis(2)
  }
}`;

/**
 * Optimizers whose passes differ in cost, for the SIMT kernels' tests: a hop after a `start`,
 * local searches that stop early (on the gradient or the loss), conditional jumps, momentum.
 */
export const VARYING_PASSES = `
optimizer Restless(lr = 1e-3) {
  start {
    repeat 30 { descend lr with momentum(beta = 0.9) } until gradnorm < 0.5
    perturb model sphere(0.2)
  }
  hop {
    perturb model gaussian(0.4)
    repeat 3 { perturb gradient sphere(1); descend lr }
    perturb model ball(0.05) when loss > 1 and t > 10
    repeat 25 { descend lr with momentum(beta = 0.5, nesterov = 1) } until loss < 0.01 or gradnorm < 1e-2
    accept if lower
  }
}
optimizer Wander(lr = 1e-3) {
  perturb model ball(0.3) when gradnorm < 0.1 and evals > 20
  perturb gradient gaussian(2) when t > 5 or gradnorm > 100
  descend lr
  repeat 2 { descend lr } until t > 40 and gradnorm < 1
}
optimizer Calm(lr = 1e-2) {
  perturb model ball(0.5) when gradnorm < 0.05 and t > 30
  descend lr
}
`;

/**
 * `count` optimizers composed at random from a fixed stream (mulberry32 seeded with `seed`):
 * plain loops or a hop after an optional `start`, of descents (SGD or momentum), gradient and
 * model noise with and without guards, and repeats with and without `until`; every block
 * descends unguarded, so every pass spends a gradient. Named P0, P1, ...
 */
export function randomOptimizers(seed: number, count: number): string[] {
  let state = seed;
  const random = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const condition = (depth = 0): string => {
    const atoms = ["gradnorm < 0.5", "gradnorm > 20", "t > 15", "t < 40", "evals > 60", "loss < 1", "loss > 10"];
    if (depth > 0 || random() < 0.6) return pick(atoms);
    const op = pick(["and", "or"]);
    return random() < 0.2 ? `not (${condition(depth + 1)})` : `${condition(depth + 1)} ${op} ${condition(depth + 1)}`;
  };
  const noise = () => `${pick(["ball", "sphere", "gaussian"])}(${pick([0.05, 0.3, 2])})`;
  const descend = () => (random() < 0.3 ? `descend lr with momentum(beta = ${pick([0.5, 0.9])}${random() < 0.3 ? ", nesterov = 1" : ""})` : "descend lr");
  const step = (depth: number): string => {
    const r = random();
    if (r < 0.3) return descend();
    if (r < 0.5) return `perturb gradient ${noise()}${random() < 0.5 ? ` when ${condition()}` : ""}`;
    if (r < 0.7) return `perturb model ${noise()}${random() < 0.7 ? ` when ${condition()}` : ""}`;
    if (depth < 1) return `repeat ${pick([2, 5, 12])} { ${steps(depth + 1)} }${random() < 0.7 ? ` until ${condition()}` : ""}`;
    return descend();
  };
  const steps = (depth: number) => {
    const block = [...Array.from({ length: 1 + Math.floor(random() * 3) }, () => step(depth)), descend()];
    // Fisher-Yates, so the unguarded descent lands anywhere in the block.
    for (let i = block.length - 1; i > 0; i--) {
      const k = Math.floor(random() * (i + 1));
      [block[i], block[k]] = [block[k]!, block[i]!];
    }
    return block.join("; ");
  };
  return Array.from({ length: count }, (_, k) => {
    const body = random() < 0.5 ? steps(0) : `${random() < 0.5 ? `start { ${steps(1)} }\n  ` : ""}hop { ${steps(0)}; accept ${pick(["always", "if lower"])} }`;
    return `optimizer P${k}(lr = 1e-3) {\n  ${body}\n}`;
  });
}

export interface CellOutput {
  readonly end: number[][];
  readonly loss: number[];
  readonly evals: number[];
  readonly steps: number[];
  /** Recorded losses of the first restarts (one array per restart), when the budget is in gradients. */
  readonly curves: number[][] | null;
}

/**
 * Runs the kernel of (optimizer, landscape) in `experiment` (the first one by default) over
 * its restarts; `start` replaces the starting points (one array per restart); `oneAtATime`
 * runs the kernel once per restart.
 */
export function runCell(
  compiled: Compiled,
  optimizer: string,
  landscape: string,
  options: { experiment?: string; start?: number[][]; restarts?: number; budget?: number; oneAtATime?: boolean } = {},
): CellOutput {
  const base = options.experiment ? compiled.plan.experiments.find((e) => e.name === options.experiment)! : compiled.plan.experiments[0]!;
  const restarts = options.start?.length ?? options.restarts ?? base.restarts;
  const experiment: PlanExperiment = {
    ...base,
    restarts,
    ...(options.budget !== undefined ? { budget: { ...base.budget, gradients: options.budget } } : {}),
  };
  const cell = experiment.cells.find((c) => c.optimizer === optimizer && c.landscape === landscape);
  if (!cell) throw new Error(`no cell ${optimizer} on ${landscape}`);
  const plannedLandscape = experiment.landscapes.find((l) => l.name === landscape)!;
  const buffers = prepareCell(experiment, plannedLandscape, optimizer, restarts);
  if (options.start) options.start.forEach((point, r) => point.forEach((v, i) => (buffers.start[i]![r] = v)));
  const kernel = loadKernel(compiled.kernels.get(cell.kernel)!);
  // One restart per call never fills a lockstep group, so it exercises the general code.
  if (options.oneAtATime) for (let r = 0; r < restarts; r++) kernel(sliceJob(buffers, experiment, r, 1));
  else for (const [from, count] of splitForCurves(buffers, 0, restarts)) kernel(sliceJob(buffers, experiment, from, count));
  return {
    end: Array.from({ length: restarts }, (_, r) => buffers.end.map((c) => c[r]!)),
    loss: Array.from(buffers.loss),
    evals: Array.from(buffers.evals),
    steps: Array.from(buffers.steps),
    curves: buffers.curve && Array.from({ length: buffers.curve.restarts }, (_, r) => Array.from(buffers.curve!.values.subarray(r * buffers.curve!.points, (r + 1) * buffers.curve!.points))),
  };
}
