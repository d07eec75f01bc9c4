// The stationary-distribution table, shaped like the paper's Table 1: per landscape, a row
// per optimizer with the percentage of end points at each declared minimum and in Else.
import type { ExperimentResult, Results } from "../results.js";

/** Formats every experiment's tables as plain text. */
export function formatStationaryTables(results: Results): string {
  return results.experiments.map(formatExperiment).join("\n\n");
}

function formatExperiment(e: ExperimentResult): string {
  const budget = e.budget.gradients !== null ? `${e.budget.gradients} gradient evaluations` : `${e.budget.iterations} iterations`;
  const blocks = [`Experiment ${e.name}: ${e.restarts} restarts, budget ${budget}, seed ${e.seed}, assignment radius ${e.radius} (percent of restarts per minimum)`];
  for (const landscape of e.landscapes) {
    const cells = e.cells.filter((c) => c.landscape === landscape.name);
    const columns = [...landscape.minima.map((m) => m.name), "Else"];
    const header = ["", ...columns, "diverged", "grad/restart"];
    const rows = cells.map((c) => [
      c.optimizer,
      ...columns.map((name) => percent(c.counts[name] ?? 0, c.restarts)),
      String(c.diverged),
      (c.gradientEvaluations / c.restarts).toFixed(0),
    ]);
    const kinds = ["", ...landscape.minima.map((m) => (m.kind === "global" ? "global" : "local")), "", "", ""];
    blocks.push(formatGrid(landscape.name, [header, kinds, ...rows]));
  }
  return blocks.join("\n\n");
}

function percent(count: number, total: number): string {
  return ((100 * count) / total).toFixed(1);
}

function formatGrid(title: string, rows: string[][]): string {
  const widths = rows[0]!.map((_, j) => Math.max(...rows.map((r) => r[j]!.length)));
  const line = (r: string[]) => r.map((cell, j) => (j === 0 ? cell.padEnd(widths[j]!) : cell.padStart(widths[j]!))).join("  ").trimEnd();
  const rule = "-".repeat(widths.reduce((a, b) => a + b + 2, -2));
  return [title, rule, line(rows[0]!), line(rows[1]!), rule, ...rows.slice(2).map(line), rule].join("\n");
}
