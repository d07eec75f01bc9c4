// The compiler's entry point: spec file -> diagnostics, run plan and kernels.
import { createHash } from "node:crypto";
import { checkExperiments, type LoweredExperiment } from "./check/rules/experiments.js";
import { checkHypotheses } from "./check/rules/hypotheses.js";
import { checkTaskExperiments } from "./check/rules/task-experiments.js";
import { checkTasks } from "./check/rules/tasks.js";
import { checkLandscapes } from "./check/rules/landscapes.js";
import { checkOptimizers } from "./check/rules/optimizers.js";
import { checkReservedNames } from "./check/rules/reserved-names.js";
import { checkUnused } from "./check/rules/unused.js";
import type { CheckContext } from "./check/context.js";
import { Codes } from "./diagnostics/codes.js";
import { hasErrors, sortDiagnostics, type Diagnostic } from "./diagnostics/diagnostic.js";
import { emitKernel } from "./emit/emit-js.js";
import { emitWasmKernel } from "./emit/emit-wasm.js";
import { emitGpujsKernelIfSupported } from "./emit/emit-gpujs.js";
import type { LandscapeIR } from "./lower/landscape.js";
import { emitStraightLine } from "./symbolic/index.js";
import { PLAN_FORMAT, PLAN_VERSION, type Plan, type PlanExperiment, type Precision } from "./plan.js";
import { loadSpec, type LoadedFile } from "./resolve/load.js";
import { buildSymbolTable } from "./resolve/symbols.js";
import { diskHost, type SourceHost } from "./source.js";
import { OPTSPEC_VERSION } from "./version.js";

export interface CompileResult {
  /** Undefined when there are errors. */
  readonly plan?: Plan;
  /** Kernel file name -> JavaScript source. */
  readonly kernels: ReadonlyMap<string, string>;
  readonly diagnostics: readonly Diagnostic[];
  readonly files: readonly LoadedFile[];
}

export type Backend = "js" | "wasm" | "gpujs";

export interface CompileOptions {
  readonly host?: SourceHost;
  /** The spec's text, when it does not come from the host. */
  readonly text?: string;
  /**
   * Which kernels to emit (default: JavaScript only; the JavaScript kernel is always emitted).
   * "gpujs" adds a `.gpujs.js` kernel per cell that gpu.js can express (single precision).
   */
  readonly backends?: readonly Backend[];
  /**
   * The precisions of the WebAssembly kernels (default: double only). Single precision adds a
   * `.f32.wat` kernel per cell; JavaScript kernels are double precision only.
   */
  readonly precisions?: readonly Precision[];
}

/** Parses, checks and lowers `specPath`, and emits a kernel per experiment cell. */
export function compileSpec(specPath: string, options: CompileOptions = {}): CompileResult {
  const host = options.host ?? diskHost;
  const loaded = loadSpec(specPath, host, options.text);
  const diagnostics: Diagnostic[] = [...loaded.diagnostics];
  const symbols = buildSymbolTable(loaded.files, diagnostics);
  const ctx: CheckContext = { files: loaded.files, symbols, diagnostics };
  checkReservedNames(ctx);
  checkLandscapes(ctx);
  checkOptimizers(ctx);
  // Only the spec's own experiments run: an imported file lends its declarations, not its runs.
  const rootNames = new Set(symbols.rootDeclarations.filter((d) => d.kind === "Experiment").map((d) => d.name.name));
  const experiments = checkExperiments(ctx).filter((e) => rootNames.has(e.name));
  const taskExperiments = checkTaskExperiments(ctx, checkTasks(ctx)).filter((e) => rootNames.has(e.name));
  const hypotheses = checkHypotheses(ctx, experiments, taskExperiments);
  checkUnused(ctx);
  const unique = deduplicate(withoutFollowOns(diagnostics, loaded.files));
  if (hasErrors(unique)) return { kernels: new Map(), diagnostics: unique, files: loaded.files };
  const kernels = new Map<string, string>();
  const backends = options.backends ?? ["js"];
  const single = backends.includes("wasm") && (options.precisions ?? []).includes("f32");
  const plan: Plan = {
    format: PLAN_FORMAT,
    version: PLAN_VERSION,
    precisions: single ? ["f64", "f32"] : ["f64"],
    spec: specPath,
    specHash: hashFiles(loaded.files),
    optspecVersion: OPTSPEC_VERSION,
    experiments: experiments.map((e) => planExperiment(e, kernels, backends, single)),
    ...(taskExperiments.length > 0 ? { taskExperiments } : {}),
    hypotheses,
  };
  return { plan, kernels, diagnostics: unique, files: loaded.files };
}

function planExperiment(e: LoweredExperiment, kernels: Map<string, string>, backends: readonly Backend[], single: boolean): PlanExperiment {
  const cells = e.landscapes.flatMap(({ ir: landscape }) =>
    e.optimizers.map((optimizer) => {
      const base = `${e.name}.${optimizer.name}.${landscape.name}`;
      // The JS kernel is always emitted: it is the reference, and its analysis fills the plan.
      const kernel = emitKernel(optimizer, landscape, `optspec kernel: experiment ${e.name}, ${optimizer.name} on ${landscape.name}`);
      kernels.set(`${base}.js`, kernel.source);
      // A kernel the wasm emitter cannot make (thousands of coordinates) simply has none: runs use JS.
      const wat = backends.includes("wasm") ? wasmKernelText(optimizer, landscape, "f64") : undefined;
      if (wat !== undefined) kernels.set(`${base}.wat`, wat);
      const wat32 = single ? wasmKernelText(optimizer, landscape, "f32") : undefined;
      if (wat32 !== undefined) kernels.set(`${base}.f32.wat`, wat32);
      // A cell gpu.js cannot express (too many coordinates, ...) has none: runs fall back.
      const gpujs = backends.includes("gpujs") ? emitGpujsKernelIfSupported(optimizer, landscape, `optspec gpu.js kernel: experiment ${e.name}, ${optimizer.name} on ${landscape.name}`) : undefined;
      if (gpujs !== undefined) kernels.set(`${base}.gpujs.js`, gpujs.source);
      return {
        landscape: landscape.name,
        optimizer: optimizer.name,
        kernel: `${base}.js`,
        ...(wat !== undefined ? { wasmKernel: `${base}.wat` } : {}),
        ...(wat32 !== undefined ? { wasmKernelF32: `${base}.f32.wat` } : {}),
        ...(gpujs !== undefined ? { gpujsKernel: `${base}.gpujs.js` } : {}),
        lockstepPassCost: kernel.lockstepPassCost ?? null,
        relativeCost: kernel.relativeCost,
      };
    }),
  );
  return {
    name: e.name,
    seed: e.seed,
    restarts: e.restarts,
    budget: e.budget,
    radius: e.radius,
    ...(e.curveStride !== undefined ? { curveStride: e.curveStride } : {}),
    landscapes: e.landscapes.map(({ ir, init }) => ({
      name: ir.name,
      declaration: ir.declaration,
      params: ir.params,
      dims: ir.dims,
      coordinates: ir.coordinates,
      lower: ir.lower,
      upper: ir.upper,
      init,
      minima: ir.minima,
      ...(ir.dims === 2 ? { grid: landscapeGrid(ir) } : {}),
    })),
    optimizers: e.optimizers.map((o) => ({ name: o.name, declaration: o.declaration, params: o.params })),
    cells,
  };
}

function wasmKernelText(optimizer: Parameters<typeof emitWasmKernel>[0], landscape: LandscapeIR, precision: Precision): string | undefined {
  try {
    return emitWasmKernel(optimizer, landscape, precision).wat;
  } catch (error) {
    if (error instanceof Error && error.message.startsWith("wasm backend:")) return undefined;
    throw error;
  }
}

/** Points per side of the grid of f that reports draw contours from. */
export const GRID_SIZE = 64;

/** f on a GRID_SIZE x GRID_SIZE grid over a two-dimensional landscape's domain (row j is y[j]). */
function landscapeGrid(ir: LandscapeIR): { x: number[]; y: number[]; f: number[] } {
  const axis = (i: number) => Array.from({ length: GRID_SIZE }, (_, k) => ir.lower[i]! + ((ir.upper[i]! - ir.lower[i]!) * k) / (GRID_SIZE - 1));
  const x = axis(0);
  const y = axis(1);
  // The formula as straight-line JavaScript: thousands of points, where walking the tree is slow.
  const { statements, results } = emitStraightLine([ir.objective], ["x", "y"], "q");
  const objective = new Function("x", "y", `${statements.join("\n")}\nreturn ${results[0]};`) as (x: number, y: number) => number;
  const f: number[] = [];
  for (const yj of y) for (const xi of x) f.push(objective(xi, yj));
  return { x, y, f };
}

/**
 * A declaration with a syntax error was rebuilt from what could be parsed: what the checker
 * says about it is mostly an echo of that error, so only the syntax error is reported.
 */
function withoutFollowOns(diagnostics: readonly Diagnostic[], files: readonly LoadedFile[]): Diagnostic[] {
  const syntax = diagnostics.filter((d) => d.code === Codes.LexicalError.code || d.code === Codes.SyntaxError.code);
  if (syntax.length === 0) return [...diagnostics];
  const broken = files.flatMap((f) =>
    f.program.declarations.filter((decl) => syntax.some((d) => d.span.file === f.path && d.span.start.offset >= decl.span.start.offset && d.span.start.offset <= decl.span.end.offset)).map((decl) => decl.span),
  );
  const inside = (d: Diagnostic) => broken.some((b) => b.file === d.span.file && d.span.start.offset >= b.start.offset && d.span.start.offset <= b.end.offset);
  return diagnostics.filter((d) => syntax.includes(d) || !inside(d));
}

/** The same problem found by two passes (a landscape checked alone and in an experiment) is reported once. */
function deduplicate(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return sortDiagnostics(diagnostics).filter((d) => {
    const key = `${d.code}|${d.span.file}|${d.span.start.offset}|${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function hashFiles(files: readonly LoadedFile[]): string {
  const hash = createHash("sha256");
  for (const f of files) hash.update(f.path).update("\0").update(f.text).update("\0");
  return hash.digest("hex");
}

export { formatDiagnostic } from "./diagnostics/code-frame.js";
export { hasErrors, type Diagnostic } from "./diagnostics/diagnostic.js";
export { Codes };
export type { Plan, Precision } from "./plan.js";
