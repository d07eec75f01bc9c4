// Every hypothesis of the spec names experiments the spec runs, optimizers, landscapes and
// minima of those experiments, applies each test to the kind of population it takes, and
// uses levels in (0, 1); several tests come with a p-value adjustment. Lowers each
// hypothesis to the plan's resolved form, with `for each` loops expanded.
import type * as ast from "../../../grammar/index.js";
import { diagnostic, type Diagnostic } from "../../diagnostics/diagnostic.js";
import { didYouMean } from "../../diagnostics/suggest.js";
import type {
  AdjustMethod,
  Alternative,
  PlanCheck,
  PlanHypothesis,
  PlanPopulation,
  PlanSample,
  PlanSummary,
  PlanTest,
  SampleAttribute,
} from "../../plan.js";
import type { CheckContext } from "../context.js";
import type { LoweredExperiment } from "./experiments.js";
import type { PlanTaskExperiment } from "../../plan-tasks.js";

const attributes: readonly SampleAttribute[] = ["f", "distance", "evals"];
const taskAttributes: readonly SampleAttribute[] = ["loss", "metric", "step", "evals"];

/**
 * What a hypothesis sees of an experiment: its optimizers and its targets (landscapes with
 * their minima, or tasks); an experiment on tasks also names its populations.
 */
interface ExperimentView {
  readonly name: string;
  readonly optimizers: readonly { readonly name: string }[];
  readonly landscapes: readonly { readonly ir: { readonly name: string; readonly minima: readonly { readonly name: string }[] } }[];
  readonly populations?: readonly string[];
}

function taskView(e: PlanTaskExperiment): ExperimentView {
  return { name: e.name, optimizers: e.optimizers, landscapes: e.tasks.map((t) => ({ ir: { name: t.name, minima: [] } })), populations: e.populations.map((p) => p.name) };
}
const tests = ["mannwhitney", "ttest", "welch", "kruskal", "chisquare"] as const;
const summaries = ["share", "median", "mean"] as const;
const adjustMethods: readonly AdjustMethod[] = ["holm", "bh", "by", "none"];

interface Bindings {
  readonly optimizer?: { readonly name: string; readonly experiment: string };
  readonly landscape?: { readonly name: string; readonly experiment: string };
}

class Failed extends Error {}

/** Checks and lowers the hypotheses of the root file against the experiments it runs. */
export function checkHypotheses(ctx: CheckContext, landscapeExperiments: readonly LoweredExperiment[], taskExperiments: readonly PlanTaskExperiment[] = []): PlanHypothesis[] {
  const experiments: ExperimentView[] = [...landscapeExperiments, ...taskExperiments.map(taskView)];
  const root = ctx.files.find((f) => f.isRoot);
  if (!root) return [];
  const lowered: PlanHypothesis[] = [];
  const seen = new Map<string, ast.HypothesisDecl>();
  for (const decl of root.program.declarations) {
    if (decl.kind !== "Hypothesis") continue;
    const first = seen.get(decl.name);
    if (first) {
      ctx.diagnostics.push(diagnostic("DuplicateHypothesis", decl.nameSpan, `a hypothesis named "${decl.name}" already exists`, { related: [{ message: "first here", span: first.nameSpan }], suggestion: "give each hypothesis its own name: results and JUnit reports are keyed by it" }));
      continue;
    }
    seen.set(decl.name, decl);
    const hypothesis = new HypothesisLowering(ctx, experiments, root.text).lower(decl);
    if (hypothesis) lowered.push(hypothesis);
  }
  return lowered;
}

class HypothesisLowering {
  private readonly before: number;

  constructor(
    private readonly ctx: CheckContext,
    private readonly experiments: readonly ExperimentView[],
    private readonly text: string,
  ) {
    this.before = ctx.diagnostics.length;
  }

  private get diagnostics(): Diagnostic[] {
    return this.ctx.diagnostics;
  }

  lower(decl: ast.HypothesisDecl): PlanHypothesis | undefined {
    const checks: PlanCheck[] = [];
    for (const claim of decl.claims) checks.push(...this.claim(claim, {}));
    let adjust: AdjustMethod = "none";
    if (decl.adjust) {
      const method = decl.adjust.method.name;
      if ((adjustMethods as readonly string[]).includes(method)) adjust = method as AdjustMethod;
      else this.diagnostics.push(diagnostic("BadStatOption", decl.adjust.method.span, `unknown adjustment '${method}'`, { suggestion: didYouMean(method, adjustMethods) ?? `use one of ${adjustMethods.join(", ")}` }));
    }
    const testCount = checks.filter((c) => c.kind === "test").length;
    if (!decl.adjust && testCount > 1)
      this.diagnostics.push(
        diagnostic("MissingAdjustment", decl.nameSpan, `hypothesis "${decl.name}" makes ${testCount} tests but names no p-value adjustment`, {
          suggestion: "add 'adjust holm' (or 'adjust bh', 'adjust by'; 'adjust none' tests each at its own level)",
        }),
      );
    if (this.diagnostics.length > this.before) return undefined;
    return { name: decl.name, location: location(decl.nameSpan), adjust, checks };
  }

  private claim(claim: ast.Claim, bindings: Bindings): PlanCheck[] {
    try {
      switch (claim.kind) {
        case "ForEach":
          return this.forEach(claim, bindings);
        case "TestClaim": {
          const test = this.test(claim.test, bindings);
          const outcome = claim.outcome && { significant: claim.outcome.significant, alpha: this.level(claim.outcome.alpha, "significance level") };
          if (claim.mode === "expect" && !outcome) throw this.fail(diagnostic("UnknownStatistic", claim.span, "an 'expect' test needs an outcome", { suggestion: "add 'significant at 0.05' or 'not significant at 0.05'" }));
          return [{ kind: "test", mode: claim.mode, test, ...(outcome ? { expected: outcome } : {}), ...this.source(claim, bindings) }];
        }
        case "ComparisonClaim": {
          const left = this.summaryOperand(claim.left, bindings);
          const right = this.summaryOperand(claim.right, bindings);
          const confidence = claim.confidence && this.level(claim.confidence, "confidence");
          return [{ kind: "compare", mode: claim.mode, left, operator: claim.operator, right, ...(confidence !== undefined ? { confidence } : {}), ...this.source(claim, bindings) }];
        }
        case "ValueObservation":
          // `observe TEST(...)` without an outcome reports the test; `observe SUMMARY(...)` its value.
          if ((tests as readonly string[]).includes(claim.value.callee.name))
            return [{ kind: "test", mode: "observe", test: this.test(claim.value, bindings), ...this.source(claim, bindings) }];
          return [{ kind: "value", summary: this.summary(claim.value, bindings), ...this.source(claim, bindings) }];
      }
    } catch (error) {
      if (error instanceof Failed) return [];
      throw error;
    }
  }

  private forEach(claim: ast.ForEachClaim, bindings: Bindings): PlanCheck[] {
    const experiment = this.experiment(claim.experiment);
    // `task` loops over an experiment's tasks as `landscape` loops over its landscapes.
    const onTasks = experiment.populations !== undefined;
    if (claim.variable !== "optimizer" && (claim.variable === "task") !== onTasks)
      throw this.fail(diagnostic("WrongPopulationKind", claim.span, `experiment '${experiment.name}' ${onTasks ? "trains on tasks" : "runs on landscapes"}: loop with 'for each ${onTasks ? "task" : "landscape"} in ${experiment.name}'`));
    const key = claim.variable === "optimizer" ? "optimizer" : "landscape";
    const names = key === "optimizer" ? experiment.optimizers.map((o) => o.name) : experiment.landscapes.map((l) => l.ir.name);
    return names.flatMap((name) => claim.body.flatMap((inner) => this.claim(inner, { ...bindings, [key]: { name, experiment: experiment.name } })));
  }

  /** Maps every item, so each reports its own errors, then gives up if any failed. */
  private each<T, U>(items: readonly T[], f: (item: T) => U): U[] {
    let failed = false;
    const results = items.map((item) => {
      try {
        return f(item);
      } catch (error) {
        if (!(error instanceof Failed)) throw error;
        failed = true;
        return undefined as U;
      }
    });
    if (failed) throw new Failed();
    return results;
  }

  private fail(d: Diagnostic): Failed {
    this.diagnostics.push(d);
    return new Failed();
  }

  private level(n: ast.NumberLiteral, what: string): number {
    if (!(n.value > 0 && n.value < 1)) throw this.fail(diagnostic("BadSignificanceLevel", n.span, `the ${what} is ${n.value}, but it must lie strictly between 0 and 1`, { suggestion: what === "confidence" ? "e.g. 'with confidence 0.95'" : "e.g. 'significant at 0.05'" }));
    return n.value;
  }

  private experiment(name: ast.Identifier): ExperimentView {
    const found = this.experiments.find((e) => e.name === name.name);
    if (found) return found;
    if (this.ctx.symbols.experiments.has(name.name))
      throw this.fail(diagnostic("ExperimentNotRun", name.span, `experiment '${name.name}' is not run by this spec (experiments of imported files do not run, and one with errors cannot)`, { suggestion: "declare the experiment in this file, or fix its errors" }));
    const hint = didYouMean(name.name, this.experiments.map((e) => e.name));
    throw this.fail(diagnostic("UnknownName", name.span, `unknown experiment '${name.name}'`, { suggestion: hint ?? `experiments run by this spec: ${this.experiments.map((e) => e.name).join(", ") || "none"}` }));
  }

  private population(ref: ast.PopulationRef, bindings: Bindings): { population: PlanPopulation; minima: readonly string[] } {
    const experiment = this.experiment(ref.experiment);
    // Both names are checked before giving up, so one claim can report both.
    const attempt = (resolve: () => string) => {
      try {
        return resolve();
      } catch (error) {
        if (error instanceof Failed) return undefined;
        throw error;
      }
    };
    const optimizer = attempt(() => this.member(ref.optimizer, "optimizer", bindings.optimizer, experiment.name, experiment.optimizers.map((o) => o.name)));
    const landscapeName = attempt(() => this.member(ref.landscape, experiment.populations ? "task" : "landscape", bindings.landscape, experiment.name, experiment.landscapes.map((l) => l.ir.name)));
    if (optimizer === undefined || landscapeName === undefined) throw new Failed();
    const landscape = experiment.landscapes.find((l) => l.ir.name === landscapeName)!;
    return { population: { experiment: experiment.name, optimizer, landscape: landscapeName }, minima: landscape.ir.minima.map((m) => m.name) };
  }

  /** The optimizer or landscape a population names, resolving the loop variable. */
  private member(name: ast.Identifier, variable: "optimizer" | "landscape" | "task", bound: Bindings["optimizer"], experiment: string, candidates: readonly string[]): string {
    let resolved = name.name;
    if (name.name === variable) {
      if (!bound) throw this.fail(diagnostic("LoopVariableOutsideLoop", name.span, `'${variable}' means the current ${variable} only inside 'for each ${variable} in EXPERIMENT'`, { suggestion: `name the ${variable}, or wrap the claim in 'for each ${variable} in ${experiment}:'` }));
      resolved = bound.name;
    }
    if (!candidates.includes(resolved)) {
      const hint = didYouMean(resolved, candidates);
      throw this.fail(diagnostic("UnknownName", name.span, `experiment '${experiment}' has no ${variable} '${resolved}'`, { suggestion: hint ?? `its ${variable}s: ${candidates.join(", ")}` }));
    }
    return resolved;
  }

  private sample(arg: ast.StatArgument | undefined, call: ast.StatCall, bindings: Bindings): PlanSample {
    if (arg?.kind === "SetRef") return this.setSample(arg, bindings);
    if (arg?.kind === "Population" && this.experiment(arg.experiment).populations) return this.taskSample(arg, bindings);
    if (arg?.kind !== "Population" || !arg.attribute)
      throw this.fail(
        diagnostic("WrongPopulationKind", (arg ?? call).span, `'${call.callee.name}' compares samples of numbers, one per restart`, {
          suggestion: "add an attribute to the population: '.f' (final loss), '.distance' (to the nearest minimum) or '.evals' (gradients spent)",
        }),
      );
    const attribute = arg.attribute.name;
    if (!(attributes as readonly string[]).includes(attribute))
      throw this.fail(diagnostic("UnknownName", arg.attribute.span, `unknown attribute '${attribute}'`, { suggestion: didYouMean(attribute, attributes) ?? `use ${attributes.join(", ")}` }));
    return { ...this.population(arg, bindings).population, attribute: attribute as SampleAttribute };
  }

  /** `E.O on T.SetA.metric`: one number per snapshot of population SetA. */
  private taskSample(ref: ast.PopulationRef, bindings: Bindings): PlanSample {
    const experiment = this.experiment(ref.experiment);
    const { population } = this.population(ref, bindings);
    if (!ref.population || !ref.attribute)
      throw this.fail(
        diagnostic("WrongPopulationKind", ref.span, `experiment '${experiment.name}' trains on tasks: name one of its populations and an attribute`, {
          suggestion: `write e.g. '${ref.experiment.name}.${ref.optimizer.name} on ${ref.landscape.name}.${experiment.populations![0] ?? "SetA"}.metric'`,
        }),
      );
    return { ...population, ...this.taskMembers(experiment, ref.population, ref.attribute) };
  }

  /** `SetA.metric` inside `for each optimizer in E`: E's one task, the loop's optimizer. */
  private setSample(ref: ast.SetRef, bindings: Bindings): PlanSample {
    const bound = bindings.optimizer;
    if (!bound)
      throw this.fail(diagnostic("LoopVariableOutsideLoop", ref.span, `'${ref.population.name}.${ref.attribute.name}' names a population of the current optimizer, so it needs 'for each optimizer in EXPERIMENT'`, { suggestion: `write it in full: 'EXPERIMENT.OPTIMIZER on TASK.${ref.population.name}.${ref.attribute.name}'` }));
    const experiment = this.experiments.find((e) => e.name === bound.experiment)!;
    if (!experiment.populations)
      throw this.fail(diagnostic("WrongPopulationKind", ref.span, `experiment '${experiment.name}' runs on landscapes, which have no named populations`, { suggestion: `write e.g. '${experiment.name}.optimizer on LANDSCAPE.f'` }));
    const task = bindings.landscape?.experiment === experiment.name ? bindings.landscape.name : experiment.landscapes.length === 1 ? experiment.landscapes[0]!.ir.name : undefined;
    if (task === undefined)
      throw this.fail(diagnostic("WrongPopulationKind", ref.span, `experiment '${experiment.name}' trains on several tasks; say which`, { suggestion: `write '${experiment.name}.optimizer on TASK.${ref.population.name}.${ref.attribute.name}', or loop with 'for each landscape in ${experiment.name}'` }));
    return { experiment: experiment.name, optimizer: bound.name, landscape: task, ...this.taskMembers(experiment, ref.population, ref.attribute) };
  }

  private taskMembers(experiment: ExperimentView, population: ast.Identifier, attribute: ast.Identifier): { population: string; attribute: SampleAttribute } {
    const populations = experiment.populations!;
    if (!populations.includes(population.name))
      throw this.fail(diagnostic("UnknownName", population.span, `experiment '${experiment.name}' has no population '${population.name}'`, { suggestion: didYouMean(population.name, populations) ?? (populations.length ? `its populations: ${populations.join(", ")}` : "define one with 'population SetA = lowest 10 by loss per trajectory'") }));
    if (!(taskAttributes as readonly string[]).includes(attribute.name))
      throw this.fail(diagnostic("UnknownName", attribute.span, `unknown attribute '${attribute.name}' of a task population`, { suggestion: didYouMean(attribute.name, taskAttributes) ?? `use ${taskAttributes.join(", ")}` }));
    return { population: population.name, attribute: attribute.name as SampleAttribute };
  }

  private wholePopulation(arg: ast.StatArgument | undefined, call: ast.StatCall, bindings: Bindings) {
    if (arg?.kind === "Population" && this.experiment(arg.experiment).populations)
      throw this.fail(diagnostic("WrongPopulationKind", arg.span, `'${call.callee.name}' counts end points per minimum; a task has no minima`, { suggestion: "compare task populations with mannwhitney, ttest, welch, kruskal, median or mean of '.metric' or '.loss'" }));
    if (arg?.kind !== "Population" || arg.attribute)
      throw this.fail(
        diagnostic("WrongPopulationKind", (arg ?? call).span, `'${call.callee.name}' takes a population of end points (counted per minimum), without an attribute`, {
          suggestion: arg?.kind === "Population" ? `drop '.${arg.attribute!.name}'` : "write e.g. 'Table1.GD on Himmelblau'",
        }),
      );
    return this.population(arg, bindings);
  }

  private minimaNames(args: readonly ast.StatArgument[], minima: readonly string[], call: ast.StatCall): string[] {
    if (args.length === 0) throw this.fail(diagnostic("WrongPopulationKind", call.span, `'${call.callee.name}' needs at least one minimum`, { suggestion: `e.g. ${minima.slice(0, 2).join(", ")}` }));
    return args.map((a) => {
      if (a.kind !== "StatName") throw this.fail(diagnostic("WrongPopulationKind", a.span, "expected the name of a minimum (or Else)"));
      const name = a.name.name;
      if (name !== "Else" && !minima.includes(name))
        throw this.fail(diagnostic("UnknownName", a.name.span, `the landscape has no minimum '${name}'`, { suggestion: didYouMean(name, [...minima, "Else"]) ?? `its minima: ${[...minima, "Else"].join(", ")}` }));
      return name;
    });
  }

  private options(call: ast.StatCall, allowed: Record<string, readonly string[]>): Map<string, string> {
    const values = new Map<string, string>();
    for (const arg of call.args) {
      if (arg.kind !== "StatOption") continue;
      const name = arg.name.name;
      const choices = allowed[name];
      if (!choices) throw this.fail(diagnostic("BadStatOption", arg.name.span, `'${call.callee.name}' has no option '${name}'`, { suggestion: didYouMean(name, Object.keys(allowed)) ?? (Object.keys(allowed).length ? `its options: ${Object.keys(allowed).join(", ")}` : "it takes no options") }));
      const value = arg.value.kind === "Number" ? String(arg.value.value) : arg.value.name;
      if (!choices.includes(value)) throw this.fail(diagnostic("BadStatOption", arg.value.span, `'${value}' is not a value of '${name}'`, { suggestion: `use one of ${choices.join(", ")}` }));
      values.set(name, value);
    }
    return values;
  }

  private test(call: ast.StatCall, bindings: Bindings): PlanTest {
    const name = call.callee.name;
    const positional = call.args.filter((a) => a.kind !== "StatOption");
    const alternatives = { alternative: ["two_sided", "less", "greater"] };
    const alternative = (o: Map<string, string>): Alternative => (o.get("alternative") === "less" ? "less" : o.get("alternative") === "greater" ? "greater" : "two-sided");
    switch (name) {
      case "mannwhitney": {
        const o = this.options(call, { ...alternatives, method: ["auto", "exact", "asymptotic"], continuity: ["1", "0", "true", "false"] });
        this.arity(call, positional, 2, 2);
        const method = (o.get("method") ?? "auto") as "auto" | "exact" | "asymptotic";
        const [x, y] = this.each(positional, (a) => this.sample(a, call, bindings));
        return { test: "mannwhitney", x: x!, y: y!, alternative: alternative(o), method, continuity: !["0", "false"].includes(o.get("continuity") ?? "1") };
      }
      case "ttest":
      case "welch": {
        const o = this.options(call, alternatives);
        this.arity(call, positional, 2, 2);
        const [x, y] = this.each(positional, (a) => this.sample(a, call, bindings));
        return { test: name, x: x!, y: y!, alternative: alternative(o) };
      }
      case "kruskal":
        this.options(call, {});
        this.arity(call, positional, 2, Infinity);
        return { test: "kruskal", groups: this.each(positional, (a) => this.sample(a, call, bindings)) };
      case "chisquare": {
        this.options(call, {});
        const last = positional[positional.length - 1];
        if (last?.kind === "StatCall") {
          this.arity(call, positional, 2, 2);
          const { population, minima } = this.wholePopulation(positional[0], call, bindings);
          return { test: "chisquare-fit", population, ...this.expectedShares(last, minima) };
        }
        this.arity(call, positional, 2, Infinity);
        const populations = this.each(positional, (a) => this.wholePopulation(a, call, bindings));
        if (new Set(populations.map((p) => p.minima.join(","))).size > 1)
          throw this.fail(diagnostic("WrongPopulationKind", call.span, "'chisquare' compares populations counted over the same minima", { suggestion: "compare optimizers on one landscape" }));
        return { test: "chisquare", populations: populations.map((p) => p.population) };
      }
      default: {
        const known = [...tests, ...summaries];
        throw this.fail(
          diagnostic("UnknownStatistic", call.callee.span, (summaries as readonly string[]).includes(name) ? `'${name}' is a summary value, not a test: compare it ('<', '>') instead` : `unknown test '${name}'`, {
            suggestion: didYouMean(name, known) ?? `tests: ${tests.join(", ")}`,
          }),
        );
      }
    }
  }

  /** `uniform(M1, M2, ...)` or `shares(M1 = 0.5, M2 = 0.5)`. */
  private expectedShares(call: ast.StatCall, minima: readonly string[]): { minima: string[]; shares: number[] } {
    if (call.callee.name === "uniform") {
      const names = this.minimaNames(call.args, minima, call);
      return { minima: names, shares: names.map(() => 1 / names.length) };
    }
    if (call.callee.name === "shares") {
      const names: string[] = [];
      const shares: number[] = [];
      for (const arg of call.args) {
        if (arg.kind !== "StatOption" || arg.value.kind !== "Number") throw this.fail(diagnostic("WrongPopulationKind", arg.span, "expected 'MINIMUM = share'"));
        names.push(...this.minimaNames([{ kind: "StatName", name: arg.name, span: arg.name.span }], minima, call));
        shares.push(arg.value.value);
      }
      const total = shares.reduce((a, b) => a + b, 0);
      if (shares.some((s) => !(s > 0)) || Math.abs(total - 1) > 1e-6) throw this.fail(diagnostic("BadStatOption", call.span, `the shares must be positive and sum to 1 (they sum to ${total})`));
      return { minima: names, shares };
    }
    throw this.fail(diagnostic("UnknownStatistic", call.callee.span, `unknown expected distribution '${call.callee.name}'`, { suggestion: "use 'uniform(M1, M2, ...)' or 'shares(M1 = 0.5, M2 = 0.5)'" }));
  }

  private arity(call: ast.StatCall, args: readonly ast.StatArgument[], min: number, max: number) {
    if (args.length < min || args.length > max)
      throw this.fail(diagnostic("ArgumentCount", call.span, `'${call.callee.name}' takes ${min === max ? min : max === Infinity ? `at least ${min}` : `${min} to ${max}`} populations, not ${args.length}`));
  }

  private summaryOperand(operand: ast.SummaryOperand, bindings: Bindings): PlanSummary {
    return operand.kind === "Number" ? { summary: "constant", value: operand.value } : this.summary(operand, bindings);
  }

  private summary(call: ast.StatCall, bindings: Bindings): PlanSummary {
    const name = call.callee.name;
    this.options(call, {});
    if (name === "share") {
      const [first, ...rest] = call.args;
      const { population, minima } = this.wholePopulation(first, call, bindings);
      return { summary: "share", population, minima: this.minimaNames(rest, minima, call) };
    }
    if (name === "median" || name === "mean") {
      this.arity(call, call.args, 1, 1);
      return { summary: name, sample: this.sample(call.args[0], call, bindings) };
    }
    throw this.fail(
      diagnostic("UnknownStatistic", call.callee.span, (tests as readonly string[]).includes(name) ? `'${name}' is a test: write 'expect ${name}(...) significant at 0.05'` : `unknown summary '${name}'`, {
        suggestion: didYouMean(name, [...summaries, ...tests]) ?? `summaries: ${summaries.join(", ")}`,
      }),
    );
  }

  /** The claim's own text with loop variables replaced, and where it stands. */
  private source(claim: ast.Claim, bindings: Bindings): { text: string; location: string } {
    let text = this.text.slice(claim.span.start.offset, claim.span.end.offset).replace(/\s+/g, " ").trim();
    const replace = (variable: "optimizer" | "landscape") => {
      const bound = bindings[variable];
      if (bound) text = text.replace(new RegExp(variable === "optimizer" ? "\\.optimizer\\b" : "\\bon (landscape|task)\\b", "g"), variable === "optimizer" ? `.${bound.name}` : `on ${bound.name}`);
    };
    const written = text;
    replace("optimizer");
    replace("landscape");
    // A shorthand (`SetA.metric`) names no loop variable: say which pass of the loop this is.
    if (text === written && (bindings.optimizer || bindings.landscape)) {
      const names = [bindings.optimizer && `optimizer ${bindings.optimizer.name}`, bindings.landscape && `landscape ${bindings.landscape.name}`].filter(Boolean);
      text = `${text} [${names.join(", ")}]`;
    }
    return { text, location: location(claim.span) };
  }
}

function location(span: ast.Span): string {
  return `${span.file}:${span.start.line}:${span.start.column}`;
}
