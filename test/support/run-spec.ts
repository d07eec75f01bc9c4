// Test support: compile spec text in memory and run one cell's kernel on chosen inputs.
import { compileSpec, formatDiagnostic } from "../../compiler/index.js";
import { checkExperiments, type LoweredExperiment } from "../../compiler/check/rules/experiments.js";
import { checkLandscapes } from "../../compiler/check/rules/landscapes.js";
import { checkOptimizers } from "../../compiler/check/rules/optimizers.js";
import type { Diagnostic } from "../../compiler/diagnostics/diagnostic.js";
import { loadSpec } from "../../compiler/resolve/load.js";
import { buildSymbolTable } from "../../compiler/resolve/symbols.js";
import { memoryHost } from "../../compiler/source.js";
import { loadKernel, prepareCell, sliceJob, splitForCurves } from "../../runtime/kernel.js";
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
`;

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
