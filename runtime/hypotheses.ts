// Evaluating a plan's hypotheses on the results of a run: every check's statistic, p-value
// (raw and adjusted within its hypothesis), effect size and verdict.
import type { PlanHypothesis, PlanPopulation, PlanSample, PlanSummary, PlanTest } from "./plan.js";
import type { CellResult, Results } from "./results.js";
import {
  adjustPValues,
  bootstrapMeanInterval,
  bootstrapMedianInterval,
  bootstrapShareInterval,
  chiSquareGoodnessOfFit,
  chiSquareIndependence,
  cliffsDelta,
  cohensD,
  kruskalWallis,
  mannWhitneyU,
  tTest,
  type BootstrapInterval,
} from "./stats/index.js";
import { hashString } from "./rng.js";
import { populationSnapshots } from "./tasks/results.js";
import type { Snapshot } from "./tasks/types.js";

export interface SummaryValue {
  readonly value: number;
  /** The bootstrap interval, when the claim asks for a confidence. */
  readonly lower?: number;
  readonly upper?: number;
}

export interface CheckResult {
  readonly text: string;
  readonly location: string;
  readonly mode: "expect" | "observe";
  readonly kind: "test" | "compare" | "value";
  /** The test (`mannwhitney`, `chisquare`, ...) or, for comparisons, the operator. */
  readonly test: string;
  readonly statistic: number | null;
  readonly pValue: number | null;
  readonly adjustedPValue: number | null;
  readonly alpha: number | null;
  readonly df: number | null;
  /** What was expected, in words (`not significant at 0.05`, `left < right (95% intervals apart)`). */
  readonly expected: string | null;
  readonly effectSize: number | null;
  readonly effectSizeName: string | null;
  readonly left?: SummaryValue;
  readonly right?: SummaryValue;
  /** null for observations, which never fail. */
  readonly passed: boolean | null;
  /** Whether the stated outcome or comparison is true of the data (also for observations); null without one. */
  readonly holds: boolean | null;
  /** Why the check could not be computed (it then fails when it is an expectation). */
  readonly error?: string;
}

export interface HypothesisResult {
  readonly name: string;
  readonly location: string;
  readonly adjust: string;
  readonly passed: boolean;
  readonly checks: readonly CheckResult[];
}

/** Evaluates every hypothesis on `results`. */
export function evaluateHypotheses(hypotheses: readonly PlanHypothesis[], results: Results): HypothesisResult[] {
  return hypotheses.map((h) => evaluateHypothesis(h, results));
}

interface RawTest {
  readonly statistic: number;
  readonly pValue: number;
  readonly df: number | null;
  readonly effectSize: number | null;
  readonly effectSizeName: string | null;
}

function evaluateHypothesis(hypothesis: PlanHypothesis, results: Results): HypothesisResult {
  const data = new PopulationData(results);
  const raw = hypothesis.checks.map((check): { value?: RawTest; error?: string } => {
    if (check.kind !== "test") return {};
    try {
      return { value: runTest(check.test, data) };
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
  });
  // Adjust the p-values of the hypothesis's computable tests together.
  const testIndices = hypothesis.checks.flatMap((c, i) => (c.kind === "test" && raw[i]!.value && Number.isFinite(raw[i]!.value!.pValue) ? [i] : []));
  const adjusted = new Map<number, number>();
  const ps = testIndices.map((i) => raw[i]!.value!.pValue);
  const adjustedPs = hypothesis.adjust === "none" || ps.length === 0 ? ps : adjustPValues(ps, hypothesis.adjust);
  testIndices.forEach((i, k) => adjusted.set(i, adjustedPs[k]!));

  const checks = hypothesis.checks.map((check, index): CheckResult => {
    const base = { text: check.text, location: check.location, mode: check.kind === "value" ? ("observe" as const) : check.mode, kind: check.kind };
    const empty = { statistic: null, pValue: null, adjustedPValue: null, alpha: null, df: null, expected: null, effectSize: null, effectSizeName: null, holds: null };
    const failure = raw[index]!.error;
    if (check.kind === "test") {
      const expected = check.expected ? `${check.expected.significant ? "significant" : "not significant"} at ${check.expected.alpha}` : null;
      if (failure || !raw[index]!.value)
        return { ...base, test: check.test.test, ...empty, alpha: check.expected?.alpha ?? null, expected, passed: check.mode === "observe" ? null : false, error: failure ?? "not computed" };
      const t = raw[index]!.value!;
      const adjustedPValue = adjusted.get(index) ?? t.pValue;
      const holds = check.expected ? Number.isFinite(adjustedPValue) && adjustedPValue < check.expected.alpha === check.expected.significant : null;
      const passed = check.mode === "observe" ? null : holds;
      return { ...base, test: check.test.test, statistic: t.statistic, pValue: t.pValue, adjustedPValue, alpha: check.expected?.alpha ?? null, df: t.df, expected, effectSize: t.effectSize, effectSizeName: t.effectSizeName, passed, holds };
    }
    try {
      const seed = seedFor(hypothesis.name, index, results);
      if (check.kind === "value") {
        const value = summarize(check.summary, data, undefined, seed);
        return { ...base, test: check.summary.summary, ...empty, left: value, passed: null };
      }
      const left = summarize(check.left, data, check.confidence, seed);
      const right = summarize(check.right, data, check.confidence, seed + 1);
      const holds = compareSummaries(left, check.operator, right, check.confidence !== undefined);
      const expected = `left ${check.operator} right${check.confidence !== undefined ? ` (${100 * check.confidence}% bootstrap intervals apart)` : ""}`;
      return { ...base, test: check.operator, ...empty, expected, left, right, passed: check.mode === "observe" ? null : holds, holds };
    } catch (error) {
      return { ...base, test: check.kind === "value" ? check.summary.summary : check.operator, ...empty, passed: check.kind === "value" || check.mode === "observe" ? null : false, error: error instanceof Error ? error.message : String(error) };
    }
  });
  return { name: hypothesis.name, location: hypothesis.location, adjust: hypothesis.adjust, passed: checks.every((c) => c.passed !== false), checks };
}

/** A bootstrap seed fixed by the run's seed, the hypothesis and the check. */
function seedFor(name: string, index: number, results: Results): number {
  return (hashString(`${name}#${index}`) ^ (results.seed ?? 0)) >>> 0;
}

function compareSummaries(left: SummaryValue, operator: "<" | "<=" | ">" | ">=", right: SummaryValue, withConfidence: boolean): boolean {
  // With a confidence, the intervals must lie on the claimed sides of each other.
  const [l, r] = withConfidence
    ? operator === "<" || operator === "<="
      ? [left.upper ?? left.value, right.lower ?? right.value]
      : [left.lower ?? left.value, right.upper ?? right.value]
    : [left.value, right.value];
  switch (operator) {
    case "<":
      return l < r;
    case "<=":
      return l <= r;
    case ">":
      return l > r;
    case ">=":
      return l >= r;
  }
}

/** Per-restart values of the populations in a run. */
class PopulationData {
  constructor(private readonly results: Results) {}

  cell(p: PlanPopulation): { cell: CellResult; minima: readonly string[] } {
    const experiment = this.results.experiments.find((e) => e.name === p.experiment);
    const cell = experiment?.cells.find((c) => c.optimizer === p.optimizer && c.landscape === p.landscape);
    const landscape = experiment?.landscapes.find((l) => l.name === p.landscape);
    if (!cell || !landscape) throw new Error(`the results have no population ${p.experiment}.${p.optimizer} on ${p.landscape}`);
    return { cell, minima: landscape.minima.map((m) => m.name) };
  }

  /**
   * One number per restart. A diverged restart has no finite loss or distance: it counts as
   * +Infinity (worse than any finite value), which rank-based tests handle and t-tests refuse.
   */
  sample(s: PlanSample): number[] {
    if (s.population !== undefined) return this.taskSample(s, s.population);
    const { cell } = this.cell(s);
    const values = s.attribute === "f" ? cell.trajectories.loss : s.attribute === "distance" ? cell.trajectories.distance : cell.trajectories.gradientEvaluations;
    return values.map((v) => (Number.isNaN(v) ? Infinity : v));
  }

  /** One number per snapshot of a task population (a diverged model's loss counts as +Infinity). */
  private taskSample(s: PlanSample, population: string): number[] {
    const experiment = this.results.taskExperiments?.find((e) => e.name === s.experiment);
    const run = experiment?.runs.find((r) => r.optimizer === s.optimizer && r.task === s.landscape);
    if (!run) throw new Error(`the results have no runs of ${s.experiment}.${s.optimizer} on ${s.landscape}`);
    const snapshots = populationSnapshots(run, population);
    const value = (snapshot: Snapshot) => (s.attribute === "loss" ? snapshot.loss : s.attribute === "metric" ? snapshot.metric : s.attribute === "step" ? snapshot.step : snapshot.gradientEvaluations);
    return snapshots.map((snapshot) => {
      const v = value(snapshot);
      return Number.isNaN(v) ? Infinity : v;
    });
  }

  /** Restarts per minimum in the landscape's order, then Else. */
  counts(p: PlanPopulation): { names: string[]; counts: number[] } {
    const { cell, minima } = this.cell(p);
    const names = [...minima, "Else"];
    return { names, counts: names.map((n) => cell.counts[n] ?? 0) };
  }

  memberships(p: PlanPopulation, minima: readonly string[]): boolean[] {
    const { cell, minima: all } = this.cell(p);
    const wanted = new Set(minima.map((m) => (m === "Else" ? -1 : all.indexOf(m))));
    return cell.trajectories.minimum.map((m) => wanted.has(m));
  }
}

function label(s: PlanSample): string {
  return `${s.experiment}.${s.optimizer} on ${s.landscape}${s.population !== undefined ? `.${s.population}` : ""}.${s.attribute}`;
}

function finiteSample(s: PlanSample, data: PopulationData, test: string): number[] {
  const values = data.sample(s);
  const diverged = values.filter((v) => !Number.isFinite(v)).length;
  if (diverged) throw new Error(`${label(s)} has ${diverged} diverged restart${diverged === 1 ? "" : "s"}; ${test} needs finite values (use mannwhitney, which ranks them last)`);
  return values;
}

function runTest(test: PlanTest, data: PopulationData): RawTest {
  switch (test.test) {
    case "mannwhitney": {
      const x = data.sample(test.x);
      const y = data.sample(test.y);
      const r = mannWhitneyU(x, y, { alternative: test.alternative, method: test.method, continuity: test.continuity });
      return { statistic: r.statistic, pValue: r.pValue, df: null, effectSize: cliffsDelta(x, y), effectSizeName: "Cliff's delta" };
    }
    case "ttest":
    case "welch": {
      const x = finiteSample(test.x, data, "a t-test");
      const y = finiteSample(test.y, data, "a t-test");
      const r = tTest(x, y, { equalVariance: test.test === "ttest", alternative: test.alternative });
      return { statistic: r.statistic, pValue: r.pValue, df: r.df, effectSize: cohensD(x, y), effectSizeName: "Cohen's d" };
    }
    case "kruskal": {
      const groups = test.groups.map((g) => data.sample(g));
      const r = kruskalWallis(groups);
      const n = groups.reduce((a, g) => a + g.length, 0);
      return { statistic: r.statistic, pValue: r.pValue, df: r.df, effectSize: r.statistic / (n - 1), effectSizeName: "epsilon squared" };
    }
    case "chisquare": {
      const rows = test.populations.map((p) => data.counts(p).counts);
      // A minimum no population reached has no expected count: leave its column out.
      const kept = rows[0]!.map((_, j) => j).filter((j) => rows.some((r) => r[j]! > 0));
      const table = rows.map((r) => kept.map((j) => r[j]!));
      const n = table.flat().reduce((a, b) => a + b, 0);
      if (kept.length < 2) return { statistic: 0, pValue: 1, df: 0, effectSize: 0, effectSizeName: "Cramér's V" };
      const r = chiSquareIndependence(table);
      const v = Math.sqrt(r.statistic / (n * (Math.min(table.length, kept.length) - 1)));
      return { statistic: r.statistic, pValue: r.pValue, df: r.dof, effectSize: v, effectSizeName: "Cramér's V" };
    }
    case "chisquare-fit": {
      const { names, counts } = data.counts(test.population);
      const observed = test.minima.map((m) => counts[names.indexOf(m)]!);
      const n = observed.reduce((a, b) => a + b, 0);
      if (n === 0) throw new Error(`no end point of ${test.population.experiment}.${test.population.optimizer} on ${test.population.landscape} reached ${test.minima.join(", ")}`);
      const r = chiSquareGoodnessOfFit(observed, [...test.shares]);
      return { statistic: r.statistic, pValue: r.pValue, df: r.dof, effectSize: Math.sqrt(r.statistic / n), effectSizeName: "Cohen's w" };
    }
  }
}

function summarize(summary: PlanSummary, data: PopulationData, confidence: number | undefined, seed: number): SummaryValue {
  const withInterval = (interval: BootstrapInterval): SummaryValue => ({ value: interval.estimate, lower: interval.lower, upper: interval.upper });
  switch (summary.summary) {
    case "constant":
      return { value: summary.value };
    case "share": {
      const memberships = data.memberships(summary.population, summary.minima);
      if (confidence !== undefined) return withInterval(bootstrapShareInterval(memberships, { seed, confidence }));
      return { value: memberships.filter(Boolean).length / memberships.length };
    }
    case "median": {
      const values = data.sample(summary.sample);
      if (confidence !== undefined) return withInterval(bootstrapMedianInterval(values, { seed, confidence }));
      const sorted = [...values].sort((a, b) => a - b);
      const n = sorted.length;
      return { value: n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2 };
    }
    case "mean": {
      const values = finiteSample(summary.sample, data, "a mean");
      if (confidence !== undefined) return withInterval(bootstrapMeanInterval(values, { seed, confidence }));
      return { value: values.reduce((a, b) => a + b, 0) / values.length };
    }
  }
}

/** Counts the expectations that held and failed, over all hypotheses. */
export function tallyChecks(hypotheses: readonly HypothesisResult[]): { passed: number; failed: number; observed: number } {
  const all = hypotheses.flatMap((h) => h.checks);
  return { passed: all.filter((c) => c.passed === true).length, failed: all.filter((c) => c.passed === false).length, observed: all.filter((c) => c.passed === null).length };
}

