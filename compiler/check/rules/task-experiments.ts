// Every experiment on tasks names checked tasks and optimizers, trains a positive number of
// trajectories for a positive budget, snapshots at a positive interval, and defines each
// population once with a valid rule; landscape-only clauses are refused. Lowers each to the plan.
import type { ExperimentClause, ExperimentDecl, PopulationClause } from "../../../grammar/index.js";
import { diagnostic, relocateToCall } from "../../diagnostics/diagnostic.js";
import { didYouMean } from "../../diagnostics/suggest.js";
import { evaluateChecked } from "../../resolve/constants.js";
import { lowerOptimizer } from "../../lower/optimizer.js";
import { loopPassCost } from "../../lower/cost.js";
import type { OptimizerIR } from "../../lower/ir.js";
import type { PlanPopulationRule, PlanTask, PlanTaskExperiment } from "../../plan-tasks.js";
import type { CheckContext } from "../context.js";
import { clausesOnce, clauseWords, DEFAULT_SEED, isTaskExperiment } from "./experiments.js";

const required: readonly ExperimentClause["kind"][] = ["On", "Run", "Trajectories", "Budget"];
const landscapeOnly: ReadonlySet<ExperimentClause["kind"]> = new Set(["Restarts", "Init", "Assign", "Record"]);
const exampleClause: Partial<Record<ExperimentClause["kind"], string>> = {
  On: "add e.g. 'on MnistMLP'",
  Run: "add e.g. 'run GD, SAM'",
  Trajectories: "add e.g. 'trajectories 5'",
  Budget: "add e.g. 'budget 10 epochs' or 'budget 2000 gradients'",
};
const snapshotUnits: Readonly<Record<string, PlanTaskExperiment["snapshot"]["unit"]>> = {
  step: "iterations", steps: "iterations", iterations: "iterations", epoch: "epochs", epochs: "epochs", gradients: "gradients",
};

/** Checks and lowers every experiment that trains on tasks; returns those without errors. */
export function checkTaskExperiments(ctx: CheckContext, tasks: ReadonlyMap<string, PlanTask>): PlanTaskExperiment[] {
  const lowered: PlanTaskExperiment[] = [];
  for (const decl of ctx.symbols.experiments.values()) {
    if (!isTaskExperiment(decl, ctx)) continue;
    const result = checkTaskExperiment(decl, ctx, tasks);
    if (result) lowered.push(result);
  }
  return lowered;
}

function checkTaskExperiment(decl: ExperimentDecl, ctx: CheckContext, tasks: ReadonlyMap<string, PlanTask>): PlanTaskExperiment | undefined {
  const before = ctx.diagnostics.length;
  const name = decl.name.name;
  const populationClauses: PopulationClause[] = [];
  const get = clausesOnce(decl, ctx, required, exampleClause, (clause) => {
    if (landscapeOnly.has(clause.kind)) {
      ctx.diagnostics.push(diagnostic("ClauseForOtherKind", clause.span, `'${clauseWords[clause.kind]}' belongs to experiments on landscapes; '${name}' trains on tasks`, { suggestion: clause.kind === "Restarts" ? "use 'trajectories N'" : "remove it" }));
      return false;
    }
    if (clause.kind !== "PopulationRule") return true;
    // Populations are many, one per name.
    const first = populationClauses.find((p) => p.name.name === clause.name.name);
    if (first) ctx.diagnostics.push(diagnostic("DuplicateName", clause.name.span, `population '${clause.name.name}' is defined twice in experiment '${name}'`, { related: [{ message: "first defined here", span: first.span }], suggestion: "rename one of them" }));
    else populationClauses.push(clause);
    return false;
  });
  const scope = new Map<string, number>();
  const positive = (what: string, code: "NonPositiveRestarts" | "NonPositiveBudget" | "BadHyperparameter") => ({ what, valid: (v: number) => Number.isInteger(v) && v >= 1, code, explain: "it must be a positive integer" });

  const trajectoriesClause = get("Trajectories");
  const trajectories = trajectoriesClause && evaluateChecked(trajectoriesClause.count, scope, ctx.diagnostics, positive("the number of trajectories", "NonPositiveRestarts"));
  const budgetClause = get("Budget");
  const amount = budgetClause && evaluateChecked(budgetClause.amount, scope, ctx.diagnostics, positive("the budget", "NonPositiveBudget"));
  const seedClause = get("Seed");
  const seed = seedClause ? evaluateChecked(seedClause.value, scope, ctx.diagnostics, { what: "the seed", valid: (v) => Number.isSafeInteger(v) && v >= 0, code: "BadSeed", explain: "it must be a non-negative integer below 2^53" }) : DEFAULT_SEED;

  const snapshotClause = get("Snapshot");
  let snapshot: PlanTaskExperiment["snapshot"] | undefined = { every: 1, unit: "epochs" };
  if (snapshotClause) {
    const every = evaluateChecked(snapshotClause.every, scope, ctx.diagnostics, positive("the snapshot interval", "BadHyperparameter"));
    const unit = snapshotUnits[snapshotClause.unit.name];
    if (!unit)
      ctx.diagnostics.push(diagnostic("BadHyperparameter", snapshotClause.unit.span, `unknown snapshot unit '${snapshotClause.unit.name}'`, { suggestion: didYouMean(snapshotClause.unit.name, Object.keys(snapshotUnits)) ?? "use steps, epochs or gradients" }));
    snapshot = every !== undefined && unit ? { every, unit } : undefined;
  }

  const populations: PlanTaskExperiment["populations"][number][] = [];
  for (const clause of populationClauses) {
    const rule = lowerPopulationRule(clause, ctx);
    if (rule) populations.push({ name: clause.name.name, rule });
  }

  const taskList: PlanTask[] = [];
  for (const target of get("On")?.targets ?? []) {
    const task = tasks.get(target.callee.name);
    if (task) {
      if (target.args || target.alias)
        ctx.diagnostics.push(diagnostic("BadTaskValue", target.span, `a task takes no arguments or alias in 'on'`, { suggestion: `write '${target.callee.name}'` }));
      else if (taskList.some((t) => t.name === task.name)) ctx.diagnostics.push(diagnostic("DuplicateName", target.span, `task '${task.name}' appears twice in this experiment`, { suggestion: "keep one" }));
      else taskList.push(task);
      continue;
    }
    if (ctx.symbols.tasks.has(target.callee.name)) continue; // the task has errors of its own
    if (ctx.symbols.landscapes.has(target.callee.name)) {
      ctx.diagnostics.push(diagnostic("MixedTargets", target.span, `'${target.callee.name}' is a landscape, but experiment '${name}' trains on tasks`, { suggestion: "put landscapes and tasks in separate experiments" }));
      continue;
    }
    ctx.diagnostics.push(diagnostic("UnknownName", target.callee.span, `unknown task '${target.callee.name}'`, { suggestion: didYouMean(target.callee.name, [...ctx.symbols.tasks.keys()]) ?? `declared tasks: ${[...ctx.symbols.tasks.keys()].join(", ")}` }));
  }

  const optimizers: OptimizerIR[] = [];
  for (const target of get("Run")?.optimizers ?? []) {
    const resultName = target.alias?.name ?? target.callee.name;
    if (optimizers.some((o) => o.name === resultName)) {
      ctx.diagnostics.push(diagnostic("DuplicateName", (target.alias ?? target.callee).span, `optimizer '${resultName}' appears twice in this experiment`, { suggestion: `give one of them another name with 'as'` }));
      continue;
    }
    const start = ctx.diagnostics.length;
    const ir = lowerOptimizer(target, ctx.symbols, ctx.diagnostics);
    relocateToCall(ctx.diagnostics, start, target.span, `optimizer '${target.callee.name}' with these arguments`);
    if (!ir) continue;
    if (loopPassCost(ir.loop).min < 1 && budgetClause && budgetClause.unit !== "iterations")
      ctx.diagnostics.push(diagnostic("CannotSpendBudget", target.span, `a pass of '${ir.name}' can end without evaluating a gradient, so a budget in ${budgetClause.unit} may never run out`, { suggestion: "budget the experiment in iterations, or make every pass use the gradient" }));
    optimizers.push(ir);
  }

  if (ctx.diagnostics.slice(before).some((d) => d.severity === "error") || !snapshot) return undefined;
  const unit = budgetClause!.unit;
  return {
    name,
    seed: seed!,
    trajectories: trajectories!,
    budget: { gradients: unit === "gradients" ? amount! : null, iterations: unit === "iterations" ? amount! : null, epochs: unit === "epochs" ? amount! : null },
    snapshot,
    populations,
    tasks: taskList,
    optimizers,
  };
}

/** `lowest 10 by loss per trajectory`, `highest 5 by metric`, `last 3`, `all`. */
function lowerPopulationRule(clause: PopulationClause, ctx: CheckContext): PlanPopulationRule | undefined {
  const selector = clause.selector.name;
  const selectors = ["lowest", "highest", "last", "all"];
  const fail = (span: PopulationClause["span"], message: string, suggestion: string) => {
    ctx.diagnostics.push(diagnostic("BadPopulationRule", span, message, { suggestion }));
    return undefined;
  };
  if (!selectors.includes(selector))
    return fail(clause.selector.span, `unknown population rule '${selector}'`, didYouMean(selector, selectors) ?? "use lowest N by loss|metric, highest N by loss|metric, last N or all");
  let by: "loss" | "metric" | undefined;
  for (const { word, value } of clause.modifiers) {
    if (word.name === "by") {
      if (value.name !== "loss" && value.name !== "metric") return fail(value.span, `a population is chosen by 'loss' or 'metric', not '${value.name}'`, "write 'by loss' or 'by metric'");
      if (selector !== "lowest" && selector !== "highest") return fail(word.span, `'${selector}' takes no 'by'`, "remove it, or use lowest/highest");
      by = value.name;
    } else if (word.name === "per") {
      // Populations are always chosen per trajectory (the paper's protocol); the words say so.
      if (value.name !== "trajectory") return fail(value.span, `populations are chosen per trajectory, not per '${value.name}'`, "write 'per trajectory' or leave it out");
    } else return fail(word.span, `unexpected '${word.name}' in a population rule`, didYouMean(word.name, ["by", "per"]) ?? "write e.g. 'lowest 10 by loss per trajectory'");
  }
  if (selector === "all") return { kind: "all" };
  const count = evaluateChecked(clause.count!, new Map(), ctx.diagnostics, { what: "the population size", valid: (v) => Number.isInteger(v) && v >= 1, code: "BadPopulationRule", explain: "it must be a positive integer" });
  if (count === undefined) return undefined;
  if (selector === "last") return { kind: "last", count };
  if (!by) return fail(clause.span, `'${selector} ${count}' needs 'by loss' or 'by metric'`, `write '${selector} ${count} by ${selector === "lowest" ? "loss" : "metric"} per trajectory'`);
  return { kind: selector as "lowest" | "highest", count, by };
}
