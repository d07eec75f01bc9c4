// Evaluating hypotheses on hand-made results: verdicts, p-value adjustment within a
// hypothesis, counts per minimum, shares and their intervals, diverged restarts.
import { describe, expect, it } from "vitest";
import { evaluateHypotheses, tallyChecks } from "../../runtime/hypotheses.js";
import type { PlanCheck, PlanHypothesis, PlanPopulation, PlanSample } from "../../runtime/plan.js";
import type { CellResult, Results } from "../../runtime/results.js";
import { adjustPValues, chiSquareGoodnessOfFit, chiSquareIndependence, cliffsDelta, mannWhitneyU, tTest } from "../../runtime/stats/index.js";

const MINIMA = [
  { name: "A", kind: "global" as const, at: [0, 0] },
  { name: "B", kind: "local" as const, at: [1, 1] },
];

/** A cell whose restarts end at the given minima indices (-1 = Else) with the given losses. */
function cell(optimizer: string, minimum: number[], loss: number[]): CellResult {
  const counts: Record<string, number> = { A: 0, B: 0, Else: 0 };
  for (const m of minimum) counts[m < 0 ? "Else" : MINIMA[m]!.name]! += 1;
  return {
    landscape: "L",
    optimizer,
    restarts: minimum.length,
    gradientEvaluations: 10 * minimum.length,
    diverged: loss.filter((l) => !Number.isFinite(l)).length,
    counts,
    trajectories: { minimum, loss, distance: loss.map(() => 0), gradientEvaluations: loss.map(() => 10), iterations: loss.map(() => 10), end: [loss.map(() => 0), loss.map(() => 0)] },
  };
}

const lossP = [0.1, 0.4, 0.35, 0.8, 0.2, 0.6, 0.05, 0.3, 0.45, 0.7, 0.15, 0.25];
const lossQ = [1.1, 0.9, 1.4, 0.95, 1.2, 1.05, 0.85, 1.3, 1.15, 0.99, 1.25, 0.92];
const lossR = lossP.map((v, i) => (i === 3 ? NaN : v + 0.01));
const minimaP = [0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, -1];
const minimaQ = [1, 1, 1, 0, 1, 1, 1, 0, 1, -1, 1, 1];

const results: Results = {
  spec: "t.optspec",
  specHash: "",
  optspecVersion: "0",
  seed: 1,
  backend: "js",
  workers: 0,
  node: "",
  cpu: "",
  wallSeconds: 0,
  experiments: [
    {
      name: "E",
      seed: 1,
      restarts: 12,
      budget: { gradients: 10, iterations: null },
      radius: 0.1,
      landscapes: [{ name: "L", declaration: "L", params: {}, coordinates: ["x", "y"], minima: MINIMA, lower: [-1, -1], upper: [2, 2] }],
      optimizers: [],
      cells: [cell("P", minimaP, lossP), cell("Q", minimaQ, lossQ), cell("R", minimaP, lossR)],
    },
  ],
};

const pop = (optimizer: string): PlanPopulation => ({ experiment: "E", optimizer, landscape: "L" });
const f = (optimizer: string): PlanSample => ({ ...pop(optimizer), attribute: "f" });
const source = { text: "claim", location: "t.optspec:1:1" };
const hypothesis = (checks: PlanCheck[], adjust: PlanHypothesis["adjust"] = "none"): PlanHypothesis => ({ name: "h", location: "t.optspec:1:1", adjust, checks });
const evaluate = (h: PlanHypothesis) => evaluateHypotheses([h], results)[0]!;

describe("tests with an expected outcome", () => {
  it("computes Mann-Whitney U with Cliff's delta and passes when significant as expected", () => {
    const h = evaluate(hypothesis([{ kind: "test", mode: "expect", test: { test: "mannwhitney", x: f("P"), y: f("Q"), alternative: "less", method: "auto", continuity: true }, expected: { significant: true, alpha: 0.05 }, ...source }]));
    const reference = mannWhitneyU(lossP, lossQ, { alternative: "less" });
    expect(h.checks[0]).toMatchObject({ statistic: reference.statistic, pValue: reference.pValue, adjustedPValue: reference.pValue, effectSize: cliffsDelta(lossP, lossQ), passed: true });
    expect(h.passed).toBe(true);
  });

  it("fails a claim of no significant difference when the difference is significant", () => {
    const h = evaluate(hypothesis([{ kind: "test", mode: "expect", test: { test: "welch", x: f("P"), y: f("Q"), alternative: "two-sided" }, expected: { significant: false, alpha: 0.05 }, ...source }]));
    expect(h.checks[0]!.pValue).toBe(tTest(lossP, lossQ, { equalVariance: false }).pValue);
    expect(h.checks[0]!.passed).toBe(false);
    expect(h.passed).toBe(false);
  });

  it("adjusts the p-values of a hypothesis's tests together", () => {
    const checks: PlanCheck[] = [
      { kind: "test", mode: "expect", test: { test: "mannwhitney", x: f("P"), y: f("Q"), alternative: "two-sided", method: "auto", continuity: true }, expected: { significant: true, alpha: 0.05 }, ...source },
      { kind: "test", mode: "expect", test: { test: "mannwhitney", x: f("P"), y: f("R"), alternative: "two-sided", method: "auto", continuity: true }, expected: { significant: false, alpha: 0.05 }, ...source },
    ];
    const h = evaluate(hypothesis(checks, "holm"));
    const raw = h.checks.map((c) => c.pValue!);
    expect(h.checks.map((c) => c.adjustedPValue)).toEqual(adjustPValues(raw, "holm"));
    expect(h.checks.map((c) => c.passed)).toEqual([true, true]);
  });

  it("ranks a diverged restart last in Mann-Whitney, and refuses it in a t-test", () => {
    const h = evaluate(hypothesis([
      { kind: "test", mode: "observe", test: { test: "mannwhitney", x: f("R"), y: f("P"), alternative: "two-sided", method: "auto", continuity: true }, ...source },
      { kind: "test", mode: "expect", test: { test: "ttest", x: f("R"), y: f("P"), alternative: "two-sided" }, expected: { significant: false, alpha: 0.05 }, ...source },
    ], "none"));
    expect(h.checks[0]!.statistic).toBe(mannWhitneyU(lossR.map((v) => (Number.isNaN(v) ? Infinity : v)), lossP).statistic);
    expect(h.checks[0]!.passed).toBeNull();
    expect(h.checks[1]!.passed).toBe(false);
    expect(h.checks[1]!.error).toMatch(/1 diverged restart; a t-test needs finite values/);
  });

  it("compares stationary distributions by a chi-square test on the counts per minimum and Else", () => {
    const h = evaluate(hypothesis([{ kind: "test", mode: "expect", test: { test: "chisquare", populations: [pop("P"), pop("Q")] }, expected: { significant: true, alpha: 0.05 }, ...source }]));
    // P: A 9, B 2, Else 1; Q: A 2, B 9, Else 1.
    const reference = chiSquareIndependence([[9, 2, 1], [2, 9, 1]]);
    expect(h.checks[0]).toMatchObject({ statistic: reference.statistic, pValue: reference.pValue, df: 2 });
  });

  it("tests the spread over chosen minima against given shares", () => {
    const h = evaluate(hypothesis([{ kind: "test", mode: "expect", test: { test: "chisquare-fit", population: pop("P"), minima: ["A", "B"], shares: [0.5, 0.5] }, expected: { significant: false, alpha: 0.05 }, ...source }]));
    const reference = chiSquareGoodnessOfFit([9, 2], [0.5, 0.5]);
    expect(h.checks[0]).toMatchObject({ statistic: reference.statistic, pValue: reference.pValue });
    expect(h.checks[0]!.passed).toBe(reference.pValue >= 0.05);
  });
});

describe("comparisons of summary values", () => {
  const share = (optimizer: string, minima: string[]) => ({ summary: "share" as const, population: pop(optimizer), minima });

  it("compares shares of restarts in a set of minima", () => {
    const h = evaluate(hypothesis([{ kind: "compare", mode: "expect", left: share("P", ["B", "Else"]), operator: "<", right: share("Q", ["B", "Else"]), ...source }]));
    expect(h.checks[0]!.left!.value).toBeCloseTo(3 / 12, 15);
    expect(h.checks[0]!.right!.value).toBeCloseTo(10 / 12, 15);
    expect(h.checks[0]!.passed).toBe(true);
  });

  it("with a confidence, requires the bootstrap intervals to lie apart", () => {
    const claim = (confidence: number): PlanCheck => ({ kind: "compare", mode: "expect", left: { summary: "median", sample: f("P") }, operator: "<", right: { summary: "median", sample: f("Q") }, confidence, ...source });
    const h = evaluate(hypothesis([claim(0.9)]));
    const c = h.checks[0]!;
    expect(c.left!.lower).toBeLessThanOrEqual(c.left!.value);
    expect(c.left!.upper).toBeGreaterThanOrEqual(c.left!.value);
    expect(c.passed).toBe(c.left!.upper! < c.right!.lower!);
    expect(c.passed).toBe(true);
    // Medians of overlapping samples: the point values order, the intervals do not.
    const close = evaluate(hypothesis([{ kind: "compare", mode: "expect", left: { summary: "median", sample: f("P") }, operator: "<", right: { summary: "median", sample: f("R") }, confidence: 0.95, ...source }]));
    expect(close.checks[0]!.left!.value).toBeLessThan(close.checks[0]!.right!.value);
    expect(close.checks[0]!.passed).toBe(false);
  });

  it("reports observations without a verdict, and tallies only expectations", () => {
    const results2 = evaluateHypotheses(
      [
        hypothesis([
          { kind: "value", summary: share("P", ["A"]), ...source },
          { kind: "compare", mode: "observe", left: share("P", ["A"]), operator: ">", right: { summary: "constant", value: 0.9 }, ...source },
          { kind: "compare", mode: "expect", left: share("P", ["A"]), operator: ">", right: { summary: "constant", value: 0.5 }, ...source },
        ]),
      ],
      results,
    );
    expect(results2[0]!.checks.map((c) => c.passed)).toEqual([null, null, true]);
    expect(tallyChecks(results2)).toEqual({ passed: 1, failed: 0, observed: 2 });
  });
});
