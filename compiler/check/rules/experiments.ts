// Every experiment names existing landscapes and optimizers with valid arguments, has the
// clauses it needs once each, and positive restarts, budget and radius. Lowers what it
// checks, so the plan builder does not do the work twice.
import type { Argument, ExperimentClause, ExperimentDecl, Invocation } from "../../../grammar/index.js";
import { diagnostic, relocateToCall } from "../../diagnostics/diagnostic.js";
import { checkMinima } from "./landscapes.js";
import { didYouMean } from "../../diagnostics/suggest.js";
import { evaluateChecked } from "../../resolve/constants.js";
import type { OptimizerIR } from "../../lower/ir.js";
import { lowerLandscape, pointCoordinates, type LandscapeIR } from "../../lower/landscape.js";
import { lowerOptimizer } from "../../lower/optimizer.js";
import { loopPassCost } from "../../lower/cost.js";
import { MAX_CURVE_POINTS, type PlanInit } from "../../plan.js";
import { kindWithArticle } from "../../resolve/symbols.js";
import type { CheckContext } from "../context.js";

export interface LoweredExperiment {
  readonly name: string;
  readonly seed: number;
  readonly restarts: number;
  readonly budget: { readonly gradients: number | null; readonly iterations: number | null };
  readonly radius: number;
  /** Gradients between two recorded losses of the report's curves, when the spec sets it. */
  readonly curveStride?: number;
  readonly landscapes: readonly { readonly ir: LandscapeIR; readonly init: PlanInit }[];
  readonly optimizers: readonly OptimizerIR[];
}

export const DEFAULT_SEED = 0;
export const DEFAULT_RADIUS = 0.1;

const required: readonly ExperimentClause["kind"][] = ["On", "Run", "Restarts", "Budget"];
export const clauseWords: Record<ExperimentClause["kind"], string> = {
  On: "on", Run: "run", Restarts: "restarts", Budget: "budget", Init: "init", Seed: "seed", Assign: "assign", Record: "record",
  Trajectories: "trajectories", Snapshot: "snapshot", PopulationRule: "population",
};

/** Clauses only experiments on tasks take. */
const taskOnly: ReadonlySet<ExperimentClause["kind"]> = new Set(["Trajectories", "Snapshot", "PopulationRule"]);

/** True when the experiment trains on tasks (its `on` names a task), so checkTaskExperiments takes it. */
export function isTaskExperiment(decl: ExperimentDecl, ctx: CheckContext): boolean {
  const on = decl.clauses.find((c) => c.kind === "On");
  return on?.kind === "On" && on.targets.some((t) => ctx.symbols.tasks.has(t.callee.name));
}

/** Checks and lowers every experiment; returns those without errors. */
export function checkExperiments(ctx: CheckContext): LoweredExperiment[] {
  const lowered: LoweredExperiment[] = [];
  for (const decl of ctx.symbols.experiments.values()) {
    if (isTaskExperiment(decl, ctx)) continue;
    const result = checkExperiment(decl, ctx);
    if (result) lowered.push(result);
  }
  return lowered;
}

function checkExperiment(decl: ExperimentDecl, ctx: CheckContext): LoweredExperiment | undefined {
  const before = ctx.diagnostics.length;
  const get = clausesOnce(decl, ctx, required, exampleClause, (clause) => {
    if (taskOnly.has(clause.kind)) {
      ctx.diagnostics.push(diagnostic("ClauseForOtherKind", clause.span, `'${clauseWords[clause.kind]}' belongs to experiments on tasks; '${decl.name.name}' runs on landscapes`, { suggestion: clause.kind === "Trajectories" ? "use 'restarts N'" : "remove it" }));
      return false;
    }
    if (clause.kind === "Budget" && clause.unit === "epochs")
      ctx.diagnostics.push(diagnostic("ClauseForOtherKind", clause.span, `a landscape has no epochs: experiment '${decl.name.name}' runs on landscapes`, { suggestion: "budget it in gradients or iterations" }));
    return true;
  });
  const scope = new Map<string, number>();

  const restartsClause = get("Restarts");
  const restarts = restartsClause && evaluateChecked(restartsClause.count, scope, ctx.diagnostics, { what: "the number of restarts", valid: (v) => Number.isInteger(v) && v >= 1, code: "NonPositiveRestarts", explain: "it must be a positive integer" });
  const budgetClause = get("Budget");
  const amount = budgetClause && evaluateChecked(budgetClause.amount, scope, ctx.diagnostics, { what: "the budget", valid: (v) => Number.isInteger(v) && v >= 1, code: "NonPositiveBudget", explain: "it must be a positive integer" });
  const seedClause = get("Seed");
  const seed = seedClause ? evaluateChecked(seedClause.value, scope, ctx.diagnostics, { what: "the seed", valid: (v) => Number.isSafeInteger(v) && v >= 0, code: "BadSeed", explain: "it must be a non-negative integer below 2^53" }) : DEFAULT_SEED;
  const assignClause = get("Assign");
  const radius = assignClause ? evaluateChecked(assignClause.radius, scope, ctx.diagnostics, { what: "the assignment radius", valid: (v) => v > 0, code: "BadRadius", explain: "it must be positive" }) : DEFAULT_RADIUS;

  const recordClause = get("Record");
  const curveStride = recordClause && evaluateChecked(recordClause.every, scope, ctx.diagnostics, { what: "the recording stride", valid: (v) => Number.isInteger(v) && v >= 1, code: "BadHyperparameter", explain: "it must be a positive integer number of gradients" });
  if (curveStride !== undefined && budgetClause?.unit === "gradients" && amount !== undefined && Math.floor(amount / curveStride) + 1 > MAX_CURVE_POINTS)
    ctx.diagnostics.push(
      diagnostic("BadHyperparameter", recordClause!.every.span, `recording every ${curveStride} gradients of ${amount} makes ${Math.floor(amount / curveStride) + 1} points per curve; at most ${MAX_CURVE_POINTS} are kept`, {
        suggestion: `record every ${Math.ceil(amount / (MAX_CURVE_POINTS - 1))} gradients or more`,
      }),
    );
  if (recordClause && budgetClause && budgetClause.unit !== "gradients")
    ctx.diagnostics.push(diagnostic("BadHyperparameter", recordClause.span, "loss curves are recorded along a budget in gradients; this experiment counts iterations", { suggestion: "budget it in gradients, or remove 'record'" }));
  const landscapes: { ir: LandscapeIR; init: PlanInit }[] = [];
  const initClause = get("Init");
  for (const target of uniqueTargets(get("On")?.targets ?? [], "landscape", ctx)) {
    const decl2 = ctx.symbols.landscapes.get(target.callee.name);
    if (!decl2) {
      reportUnknownTarget(target, "landscape", [...ctx.symbols.landscapes.keys()], ctx);
      continue;
    }
    const before = ctx.diagnostics.length;
    const ir = lowerLandscape(decl2, target.args ?? ([] as Argument[]), target.span, target.alias?.name ?? target.callee.name, ctx.diagnostics);
    if (ir) checkMinima(decl2, ir, ctx);
    relocateToCall(ctx.diagnostics, before, target.span, `landscape '${target.callee.name}' with these arguments`);
    if (!ir) continue;
    const init = lowerInit(initClause, ir, ctx);
    if (init) landscapes.push({ ir, init });
  }
  const optimizers: OptimizerIR[] = [];
  for (const target of uniqueTargets(get("Run")?.optimizers ?? [], "optimizer", ctx)) {
    const before = ctx.diagnostics.length;
    const ir = lowerOptimizer(target, ctx.symbols, ctx.diagnostics);
    relocateToCall(ctx.diagnostics, before, target.span, `optimizer '${target.callee.name}' with these arguments`);
    if (!ir) continue;
    if (loopPassCost(ir.loop).min < 1 && budgetClause?.unit === "gradients")
      ctx.diagnostics.push(
        diagnostic("CannotSpendBudget", target.span, ir.loop.length === 0 ? `optimizer '${ir.name}' has an empty loop, so it never spends its gradient budget` : `a pass of '${ir.name}' can end without evaluating a gradient, so its gradient budget may never run out`, {
          suggestion: "budget the experiment in iterations, or make every pass use the gradient (e.g. 'descend lr' outside any 'when' guard)",
        }),
      );
    optimizers.push(ir);
  }
  if (ctx.diagnostics.slice(before).some((d) => d.severity === "error")) return undefined;
  return {
    name: decl.name.name,
    seed: seed!,
    restarts: restarts!,
    budget: { gradients: budgetClause!.unit === "gradients" ? amount! : null, iterations: budgetClause!.unit === "iterations" ? amount! : null },
    radius: radius!,
    ...(curveStride !== undefined ? { curveStride } : {}),
    landscapes,
    optimizers,
  };
}

const exampleClause: Partial<Record<ExperimentClause["kind"], string>> = {
  On: "add e.g. 'on Himmelblau, SixHumpCamel'",
  Run: "add e.g. 'run GD, SAM'",
  Restarts: "add e.g. 'restarts 500'",
  Budget: "add e.g. 'budget 5000 gradients' or 'budget 1000 iterations'",
};

/** The clause of kind K, when the experiment gives it. */
export type ClauseGetter = <K extends ExperimentClause["kind"]>(kind: K) => Extract<ExperimentClause, { kind: K }> | undefined;

/**
 * An experiment's clauses by kind, each taken once: a repeated one and a missing required one
 * are reported. `admit` sees every clause first and returns false for one it handles itself
 * (a clause of the other kind of experiment, a repeatable one).
 */
export function clausesOnce(decl: ExperimentDecl, ctx: CheckContext, required: readonly ExperimentClause["kind"][], examples: Partial<Record<ExperimentClause["kind"], string>>, admit: (clause: ExperimentClause) => boolean): ClauseGetter {
  const clauses = new Map<ExperimentClause["kind"], ExperimentClause>();
  for (const clause of decl.clauses) {
    if (!admit(clause)) continue;
    const first = clauses.get(clause.kind);
    if (first) {
      ctx.diagnostics.push(diagnostic("DuplicateClause", clause.span, `'${clauseWords[clause.kind]}' is given twice in experiment '${decl.name.name}'`, { related: [{ message: "first given here", span: first.span }], suggestion: clause.kind === "On" || clause.kind === "Run" ? "list all of them in one clause, separated by commas" : "keep one" }));
      continue;
    }
    clauses.set(clause.kind, clause);
  }
  for (const kind of required)
    if (!clauses.has(kind))
      ctx.diagnostics.push(diagnostic("MissingClause", decl.name.span, `experiment '${decl.name.name}' has no '${clauseWords[kind]}' clause`, { suggestion: examples[kind] }));
  return <K extends ExperimentClause["kind"]>(kind: K) => clauses.get(kind) as Extract<ExperimentClause, { kind: K }> | undefined;
}

/** Targets with distinct result names (alias or callee); repeated names are reported. */
function uniqueTargets(targets: readonly Invocation[], what: string, ctx: CheckContext): Invocation[] {
  const seen = new Map<string, Invocation>();
  for (const target of targets) {
    const name = target.alias?.name ?? target.callee.name;
    const first = seen.get(name);
    if (first) {
      ctx.diagnostics.push(diagnostic("DuplicateName", (target.alias ?? target.callee).span, `${what} '${name}' appears twice in this experiment`, { related: [{ message: "first here", span: first.span }], suggestion: `give one of them another name with 'as', e.g. '${target.callee.name}(...) as ${name}2'` }));
      continue;
    }
    seen.set(name, target);
  }
  return [...seen.values()];
}

function reportUnknownTarget(target: Invocation, kind: string, candidates: string[], ctx: CheckContext) {
  const other = ctx.symbols.all.get(target.callee.name);
  if (other) {
    ctx.diagnostics.push(diagnostic("WrongKind", target.callee.span, `'${target.callee.name}' is ${kindWithArticle(other)}, not ${kind === "optimizer" ? "an" : "a"} ${kind}`, { suggestion: `'${clauseWords.On}' lists landscapes and '${clauseWords.Run}' lists optimizers` }));
    return;
  }
  const hint = didYouMean(target.callee.name, candidates);
  ctx.diagnostics.push(diagnostic("UnknownName", target.callee.span, `unknown ${kind} '${target.callee.name}'`, { suggestion: hint ?? (candidates.length ? `declared ${kind}s: ${candidates.join(", ")}` : `declare one, or import "std/${kind}s"`) }));
}

function lowerInit(clause: Extract<ExperimentClause, { kind: "Init" }> | undefined, landscape: LandscapeIR, ctx: CheckContext): PlanInit | undefined {
  if (!clause || (clause.mode === "uniform" && !clause.box)) return { mode: "uniform", lower: landscape.lower, upper: landscape.upper };
  const scope = new Map<string, number>();
  if (clause.mode === "point") {
    const at = clause.point && pointCoordinates(clause.point, landscape.dims, scope, ctx.diagnostics, `the initial point on '${landscape.name}'`, "InitDimension");
    return at ? { mode: "point", at } : undefined;
  }
  const box = clause.box!;
  if (box.length !== 1 && box.length !== landscape.dims) {
    ctx.diagnostics.push(diagnostic("InitDimension", clause.span, `the initial box has ${box.length} intervals, but '${landscape.name}' has ${landscape.dims} coordinates`, { suggestion: "give one interval for every coordinate, or a single interval for all of them" }));
    return undefined;
  }
  const lower: number[] = [];
  const upper: number[] = [];
  for (let i = 0; i < landscape.dims; i++) {
    const interval = box[box.length === 1 ? 0 : i]!;
    const lo = evaluateChecked(interval.lo, scope, ctx.diagnostics, { what: "a bound of the initial box", valid: () => true, code: "EmptyDomain", explain: "" });
    const hi = evaluateChecked(interval.hi, scope, ctx.diagnostics, { what: "a bound of the initial box", valid: () => true, code: "EmptyDomain", explain: "" });
    if (lo === undefined || hi === undefined) return undefined;
    if (!(lo <= hi)) {
      ctx.diagnostics.push(diagnostic("EmptyDomain", interval.span, `the initial interval [${lo}, ${hi}] is reversed`, { suggestion: `write [${hi}, ${lo}]` }));
      return undefined;
    }
    lower.push(lo);
    upper.push(hi);
  }
  return { mode: "uniform", lower, upper };
}
