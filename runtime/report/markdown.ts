// The run report as Markdown (report.md, and the GitHub step summary), and the report's
// content shared with the HTML report: the reproducibility facts, the stationary-distribution
// tables (the numbers of table.ts) and one row per hypothesis check.
import { tallyChecks, type CheckResult, type HypothesisResult, type SummaryValue } from "../hypotheses.js";
import type { ExperimentResult, Results } from "../results.js";
import type { Figure } from "./figures/index.js";
import { describeEffect, formatNumber } from "./hypotheses.js";
import { describeTaskExperiment, taskTables } from "./table.js";

/** What reproduces the run, as (label, value) pairs in reading order. */
export function reproducibilityFacts(results: Results): [label: string, value: string][] {
  const seeds = results.seed !== null ? String(results.seed) : results.experiments.map((e) => `${e.name} ${e.seed}`).join(", ");
  return [
    ["spec", results.spec],
    ["spec hash", results.specHash],
    [results.seed !== null ? "seed" : "seeds", seeds],
    ["optspec", results.optspecVersion],
    ["backend", results.backend],
    ["precision", results.precision ?? "f64"],
    ["Node", results.node],
    ["CPU", results.cpu],
    ["workers", results.workers === 0 ? "0 (main thread)" : String(results.workers)],
    ["wall time", `${results.wallSeconds.toFixed(2)} s`],
  ];
}

export interface StationaryTable {
  readonly landscape: string;
  /** The minima's names then `Else`, each with `global`, `local` or "" (for Else). */
  readonly columns: readonly { readonly name: string; readonly kind: string }[];
  /** Per optimizer: percent per column, diverged count, gradient evaluations per restart. */
  readonly rows: readonly { readonly optimizer: string; readonly percents: readonly string[]; readonly diverged: string; readonly gradients: string }[];
}

/** An experiment's one-line description, as in the terminal table's heading. */
export function describeExperiment(e: ExperimentResult): string {
  const budget = e.budget.gradients !== null ? `${e.budget.gradients} gradient evaluations` : `${e.budget.iterations} iterations`;
  return `${e.restarts} restarts, budget ${budget}, seed ${e.seed}, assignment radius ${e.radius} (percent of restarts per minimum)`;
}

/** One table per landscape of `e`, with the terminal table's numbers (runtime/report/table.ts). */
export function stationaryTables(e: ExperimentResult): StationaryTable[] {
  return e.landscapes.map((landscape) => {
    const columns = [...landscape.minima.map((m) => ({ name: m.name, kind: m.kind === "global" ? "global" : "local" })), { name: "Else", kind: "" }];
    const rows = e.cells
      .filter((c) => c.landscape === landscape.name)
      .map((c) => ({
        optimizer: c.optimizer,
        percents: columns.map(({ name }) => ((100 * (c.counts[name] ?? 0)) / c.restarts).toFixed(1)),
        diverged: String(c.diverged),
        gradients: (c.gradientEvaluations / c.restarts).toFixed(0),
      }));
    return { landscape: landscape.name, columns, rows };
  });
}

export type Verdict = "PASS" | "FAIL" | "OBS";

/** A check's cells in the hypothesis table, each already formatted. */
export interface CheckRow {
  readonly verdict: Verdict;
  /** For observations: whether the stated outcome is true of the data. */
  readonly observed: string;
  readonly claim: string;
  readonly test: string;
  readonly statistic: string;
  readonly p: string;
  readonly pAdjusted: string;
  readonly effect: string;
  readonly interval: string;
  readonly expected: string;
  readonly error: string;
}

/** The row of the hypothesis table for `c`. */
export function checkRow(c: CheckResult): CheckRow {
  const side = (s: SummaryValue | undefined) => (s ? `${formatNumber(s.value)}${s.lower !== undefined && s.upper !== undefined ? ` [${formatNumber(s.lower)}, ${formatNumber(s.upper)}]` : ""}` : "");
  const test = c.kind === "test" ? `${c.test}${c.df !== null ? ` (df ${formatNumber(c.df)})` : ""}` : c.kind === "compare" ? `comparison ${c.test}` : c.test;
  const interval = c.kind === "compare" ? `${side(c.left)} ${c.test} ${side(c.right)}` : c.kind === "value" ? side(c.left) : "";
  return {
    verdict: c.passed === null ? "OBS" : c.passed ? "PASS" : "FAIL",
    observed: c.passed === null && c.holds !== null ? (c.holds ? "holds" : "does not hold") : "",
    claim: c.text,
    test,
    statistic: c.statistic === null ? "" : formatNumber(c.statistic),
    p: formatP(c.pValue),
    pAdjusted: formatP(c.adjustedPValue),
    effect: describeEffect(c),
    interval: interval.trim(),
    expected: c.expected ?? "",
    error: c.error ?? "",
  };
}

/** A hypothesis's heading: its verdict, name and p-value adjustment. */
export function describeHypothesis(h: HypothesisResult): { verdict: "holds" | "fails" | "observed"; title: string } {
  const verdict = h.checks.every((c) => c.passed === null) ? "observed" : h.passed ? "holds" : "fails";
  return { verdict, title: `"${h.name}"${h.adjust !== "none" ? ` (p adjusted: ${h.adjust})` : ""}` };
}

/** The closing tally, as the terminal prints it. */
export function tallyLine(hypotheses: readonly HypothesisResult[]): string {
  const { passed, failed, observed } = tallyChecks(hypotheses);
  return `${passed} passed, ${failed} failed${observed ? `, ${observed} observed` : ""}`;
}

function formatP(v: number | null): string {
  if (v === null) return "";
  return v < 1e-4 && v > 0 ? v.toExponential(2) : formatNumber(v);
}

/** Text safe in a Markdown table cell or heading: no pipes, newlines or HTML tags. */
function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/<(?=[A-Za-z/!?])/g, "&lt;").replace(/\s*\n\s*/g, " ");
}

/** Spec text (a claim) as a code span, so its operators and underscores stay as written. */
function code(text: string): string {
  const fence = "`".repeat(Math.max(0, ...(text.match(/`+/g) ?? []).map((m) => m.length)) + 1);
  const padded = text.startsWith("`") || text.endsWith("`") ? ` ${text} ` : text;
  return `${fence}${padded.replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ")}${fence}`;
}

function table(header: readonly string[], align: readonly ("l" | "r")[], rows: readonly (readonly string[])[]): string[] {
  const line = (r: readonly string[]) => `| ${r.join(" | ")} |`;
  return [line(header), line(align.map((a) => (a === "r" ? "---:" : "---"))), ...rows.map(line)];
}

/** The Markdown report: header, tables, figures as `![title](id.svg)` (none without `figures`: a step summary) and hypotheses. */
export function formatMarkdownReport(results: Results, figures?: readonly Figure[]): string {
  const lines = [`# optspec report: ${cell(results.spec)}`, ""];
  lines.push(...table(["run", ""], ["l", "l"], reproducibilityFacts(results).map(([label, value]) => [label, cell(value)])), "");
  if (results.hypotheses?.length) lines.push(`Hypotheses: **${tallyLine(results.hypotheses)}**`, "");
  if (results.experiments.length > 0) lines.push("## Stationary distributions", "");
  for (const e of results.experiments) {
    lines.push(`### Experiment ${cell(e.name)}`, "", cell(describeExperiment(e)), "");
    for (const t of stationaryTables(e)) {
      lines.push(`#### ${cell(t.landscape)}`, "");
      const header = ["optimizer", ...t.columns.map((c) => (c.kind ? `${cell(c.name)} (${c.kind})` : cell(c.name))), "diverged", "grad/restart"];
      const rows = t.rows.map((r) => [cell(r.optimizer), ...r.percents, r.diverged, r.gradients]);
      lines.push(...table(header, ["l", ...header.slice(1).map(() => "r" as const)], rows), "");
    }
  }
  if (results.taskExperiments?.length) lines.push("## Populations on tasks", "");
  for (const e of results.taskExperiments ?? []) {
    lines.push(`### Experiment ${cell(e.name)}`, "", cell(describeTaskExperiment(e)), "");
    for (const t of taskTables(e)) {
      lines.push(cell(t.caption), "");
      lines.push(...table(["optimizer", ...t.header.slice(1).map(cell)], ["l", ...t.header.slice(1).map(() => "r" as const)], t.rows.map((r) => [cell(r[0]!), ...r.slice(1)])), "");
    }
  }
  if (figures?.length) {
    lines.push("## Figures", "");
    for (const f of figures) lines.push(`### ${cell(f.title)}`, "", `![${cell(f.title).replace(/[[\]]/g, "\\$&")}](${f.id}.svg)`, "", cell(f.caption), "");
  }
  if (results.hypotheses?.length) {
    lines.push("## Hypotheses", "");
    for (const h of results.hypotheses) {
      const { verdict, title } = describeHypothesis(h);
      lines.push(`### ${verdict}: ${cell(title)}`, "");
      const header = ["", "claim", "test", "statistic", "p", "p adjusted", "effect size", "interval", "expected"];
      const rows = h.checks.map(checkRow).map((r) => [
        `**${r.verdict}**`,
        `${code(r.claim)}${r.observed ? ` (${r.observed})` : ""}${r.error ? ` (could not be computed: ${cell(r.error)})` : ""}`,
        cell(r.test),
        r.statistic,
        r.p,
        r.pAdjusted,
        cell(r.effect),
        cell(r.interval),
        cell(r.expected),
      ]);
      lines.push(...table(header, ["l", "l", "l", "r", "r", "r", "l", "l", "l"], rows), "");
    }
  }
  return `${lines.join("\n").trimEnd()}\n`;
}
