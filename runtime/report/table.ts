// The stationary-distribution table, shaped like the paper's Table 1: per landscape, a row
// per optimizer with the percentage of end points at each declared minimum and in Else.
import type { ExperimentResult, Results } from "../results.js";
import { populationSnapshots, type TaskExperimentResult } from "../tasks/results.js";

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

/**
 * One table per experiment on tasks: per optimizer, the trajectories, how many diverged, the
 * gradients spent, the final snapshot's metric and, per population, the mean metric and loss
 * of its members.
 */
export function formatTaskTables(results: Results): string {
  return (results.taskExperiments ?? []).map(formatTaskExperiment).join("\n\n");
}

/** What a task table shows: a caption and, per optimizer, one row of numbers (as text). */
export interface TaskTable {
  readonly caption: string;
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/** The headline of an experiment on tasks, in one line. */
export function describeTaskExperiment(e: TaskExperimentResult): string {
  const budget = e.budget.epochs !== null ? `${e.budget.epochs} epochs` : e.budget.gradients !== null ? `${e.budget.gradients} gradient evaluations` : `${e.budget.iterations} iterations`;
  const unit = e.snapshot.unit === "iterations" ? "steps" : e.snapshot.unit;
  const threads = e.workers ? `, ${e.workers} worker threads` : "";
  return `${e.trajectories} trajectories, budget ${budget}, snapshot every ${e.snapshot.every} ${unit}, seed ${e.seed}, tfjs backend ${e.backend}${threads}`;
}

/** Per task, a row per optimizer: diverged trajectories, gradients, the final metric and each population's mean metric and loss. */
export function taskTables(e: TaskExperimentResult): TaskTable[] {
  return e.tasks.map((task) => {
    const metric = task.metric === "accuracy" ? "acc" : "F1";
    const header = ["", "diverged", "grad/traj", `final ${metric}`, ...e.populations.flatMap((p) => [`${p.name} ${metric}`, `${p.name} loss`])];
    const rows = e.runs
      .filter((r) => r.task === task.name)
      .map((run) => [
        run.optimizer,
        String(run.trajectories.filter((t) => t.diverged).length),
        (run.trajectories.reduce((sum, t) => sum + t.gradientEvaluations, 0) / run.trajectories.length).toFixed(0),
        mean(run.trajectories.map((t) => t.snapshots.at(-1)?.metric ?? NaN)).toFixed(4),
        ...e.populations.flatMap((p) => {
          const members = populationSnapshots(run, p.name);
          return [mean(members.map((m) => m.metric)).toFixed(4), lossText(mean(members.map((m) => m.loss)))];
        }),
      ]);
    return { caption: `${task.name}: ${task.model} on ${task.data} (${task.parameters} parameters, batch ${task.batch}, ${task.batchesPerEpoch} steps per epoch; means over trajectories and members)`, header, rows };
  });
}

function formatTaskExperiment(e: TaskExperimentResult): string {
  const blocks = [`Experiment ${e.name}: ${describeTaskExperiment(e)}`];
  for (const t of taskTables(e)) blocks.push(formatGrid(t.caption, [[...t.header], t.header.map((h, i) => (i >= 3 ? "mean" : "")), ...t.rows.map((r) => [...r])]));
  return blocks.join("\n\n");
}

/** A mean loss: four decimals, or four significant digits when it has blown up (a diverging lr). */
function lossText(v: number): string {
  return Number.isFinite(v) && Math.abs(v) >= 1e4 ? v.toPrecision(4) : v.toFixed(4);
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

function formatGrid(title: string, rows: string[][]): string {
  const widths = rows[0]!.map((_, j) => Math.max(...rows.map((r) => r[j]!.length)));
  const line = (r: string[]) => r.map((cell, j) => (j === 0 ? cell.padEnd(widths[j]!) : cell.padStart(widths[j]!))).join("  ").trimEnd();
  const rule = "-".repeat(widths.reduce((a, b) => a + b + 2, -2));
  return [title, rule, line(rows[0]!), line(rows[1]!), rule, ...rows.slice(2).map(line), rule].join("\n");
}
