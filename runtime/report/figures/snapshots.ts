// The snapshots of an experiment on a task, one panel per optimizer: the test metric against
// gradient evaluations along each trajectory (a line per trajectory), with the members of
// the first two populations (SetA, SetB in the paper's protocol) marked.
import type { TopLevelSpec } from "vega-lite";
import type { TaskExperimentResult } from "../../tasks/results.js";
import { OPTIMIZER_SCHEME, PANEL_COLUMNS } from "./common.js";

export interface SnapshotsDraft {
  readonly caption: string;
  readonly spec: TopLevelSpec;
}

interface SnapshotRow {
  readonly optimizer: string;
  readonly trajectory: number;
  readonly evaluations: number;
  readonly metric: number | null;
}

interface MemberRow {
  readonly optimizer: string;
  readonly population: string;
  readonly evaluations: number;
  readonly metric: number | null;
}

/** The snapshots figure of a task in an experiment, or null when no trajectory has a snapshot. */
export function snapshotsFigure(experiment: TaskExperimentResult, task: string): SnapshotsDraft | null {
  const runs = experiment.runs.filter((r) => r.task === task);
  const finite = (v: number) => (Number.isFinite(v) ? v : null);
  const rows: SnapshotRow[] = runs.flatMap((run) =>
    run.trajectories.flatMap((t, trajectory) => t.snapshots.map((s) => ({ optimizer: run.optimizer, trajectory, evaluations: s.gradientEvaluations, metric: finite(s.metric) }))),
  );
  if (rows.length === 0) return null;
  const shown = experiment.populations.slice(0, 2).map((p) => p.name);
  const members: MemberRow[] = runs.flatMap((run) =>
    shown.flatMap((population) =>
      (run.populations[population] ?? []).map((m) => {
        const s = run.trajectories[m.trajectory]!.snapshots[m.snapshot]!;
        return { optimizer: run.optimizer, population, evaluations: s.gradientEvaluations, metric: finite(s.metric) };
      }),
    ),
  );
  const optimizers = runs.map((r) => r.optimizer);
  const metricName = experiment.tasks.find((t) => t.name === task)?.metric === "macro_f1" ? "test macro-F1" : "test accuracy";
  const spec: TopLevelSpec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    description: `Snapshots on ${task}`,
    background: "white",
    // One data set for both layers: a layer with data of its own would not be split by the facet.
    data: { values: [...rows.map((r) => ({ ...r, population: null })), ...members.map((m) => ({ ...m, trajectory: null }))] },
    columns: Math.min(PANEL_COLUMNS, optimizers.length),
    facet: { field: "optimizer", type: "nominal", sort: optimizers, title: null, header: { labelFontSize: 11 } },
    spec: {
      width: 180,
      height: 120,
      layer: [
        {
          transform: [{ filter: "datum.population === null" }],
          mark: { type: "line", strokeWidth: 1, opacity: 0.7 },
          encoding: {
            x: { field: "evaluations", type: "quantitative", title: "gradient evaluations" },
            y: { field: "metric", type: "quantitative", scale: { zero: false }, title: metricName },
            detail: { field: "trajectory", type: "nominal" },
            color: { field: "optimizer", type: "nominal", scale: { domain: optimizers, scheme: OPTIMIZER_SCHEME }, legend: null },
          },
        },
        {
          transform: [{ filter: "datum.population !== null" }],
          mark: { type: "point", size: 18, filled: false },
          encoding: {
            x: { field: "evaluations", type: "quantitative" },
            y: { field: "metric", type: "quantitative" },
            shape: { field: "population", type: "nominal", scale: { domain: shown }, legend: { title: null, orient: "bottom" } },
            color: { value: "#333" },
          },
        },
      ],
    },
    config: { axis: { labelFontSize: 9, titleFontSize: 10 } },
  };
  const caption = `The ${metricName} of every snapshot along each of the ${experiment.trajectories} trajectories (a line each) of every optimizer on ${task} (experiment ${experiment.name})${shown.length ? `; marks: the members of ${shown.join(" and ")}` : ""}.`;
  return { spec, caption };
}
