// The stationary distribution as grouped bars: per column (each declared minimum, then Else)
// one bar per optimizer, the share of its restarts that ended there, with a 95% bootstrap interval.
import type { TopLevelSpec } from "vega-lite";
import type { ExperimentResult } from "../../results.js";
import { hashString } from "../../rng.js";
import { bootstrapShareInterval } from "../../stats/index.js";
import { cellsOf, columnNames, listInWords, OPTIMIZER_SCHEME, optimizerNames, type Landscape } from "./common.js";

const CONFIDENCE = 0.95;
const BAR_WIDTH = 8;

export interface SharesDraft {
  readonly caption: string;
  readonly spec: TopLevelSpec;
}

interface ShareRow {
  readonly optimizer: string;
  readonly minimum: string;
  readonly count: number;
  readonly restarts: number;
  readonly share: number;
  readonly lower: number;
  readonly upper: number;
}

/** The stationary-distribution figure of a landscape, or null when no cell has restarts. */
export function sharesFigure(experiment: ExperimentResult, landscape: Landscape, seed: number | undefined): SharesDraft | null {
  const cells = cellsOf(experiment, landscape).filter((c) => c.restarts > 0);
  if (cells.length === 0) return null;
  const columns = columnNames(landscape);
  const rows: ShareRow[] = cells.flatMap((cell) =>
    columns.map((minimum) => {
      const count = cell.counts[minimum] ?? 0;
      // The interval depends only on how many restarts ended there, so the memberships are rebuilt from the count.
      const memberships = Array.from({ length: cell.restarts }, (_, i) => i < count);
      const names = [experiment.name, landscape.name, cell.optimizer, minimum].join("\u0000");
      const interval = bootstrapShareInterval(memberships, {
        seed: hashString(seed === undefined ? names : `${seed}\u0000${names}`),
        confidence: CONFIDENCE,
      });
      return { optimizer: cell.optimizer, minimum, count, restarts: cell.restarts, share: interval.estimate, lower: interval.lower, upper: interval.upper };
    }),
  );
  const optimizers = cells.map((c) => c.optimizer);
  const spec: TopLevelSpec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    description: `Stationary distribution on ${landscape.name}`,
    background: "white",
    data: { values: rows },
    width: Math.max(200, columns.length * (optimizers.length * BAR_WIDTH + 12)),
    height: 180,
    config: { axis: { labelFontSize: 9, titleFontSize: 10 }, legend: { labelFontSize: 9, titleFontSize: 10 } },
    encoding: {
      x: { field: "minimum", type: "nominal", scale: { domain: columns }, axis: { labelAngle: 0, title: null } },
      xOffset: { field: "optimizer", type: "nominal", scale: { domain: optimizers } },
      y: { field: "share", type: "quantitative", axis: { format: "%", title: "share of restarts" } },
    },
    layer: [
      {
        name: "bars",
        mark: { type: "bar" },
        encoding: {
          // The colour domain is every optimizer of the experiment, so colours match the loss curves'.
          color: { field: "optimizer", type: "nominal", scale: { domain: optimizerNames(experiment), scheme: OPTIMIZER_SCHEME }, title: "optimizer" },
          // Also what vega writes into each bar's aria-label, so the SVG carries the counts.
          tooltip: [
            { field: "optimizer", type: "nominal" },
            { field: "minimum", type: "nominal" },
            { field: "count", type: "quantitative" },
            { field: "restarts", type: "quantitative" },
            { field: "share", type: "quantitative", format: ".1%" },
            { field: "lower", type: "quantitative", format: ".1%" },
            { field: "upper", type: "quantitative", format: ".1%" },
          ],
        },
      },
      {
        name: "intervals",
        mark: { type: "rule", color: "black", strokeWidth: 1 },
        encoding: { y: { field: "lower", type: "quantitative" }, y2: { field: "upper" } },
      },
    ],
  };
  const diverged = cells.filter((c) => c.diverged > 0).map((c) => `${c.optimizer} ${c.diverged} of ${c.restarts}`);
  const caption = [
    `Stationary distribution on ${landscape.name} (experiment ${experiment.name}): the share of each optimizer's restarts that ended at each declared minimum or elsewhere (Else),`,
    `with ${CONFIDENCE * 100}% percentile-bootstrap intervals (seeded from the names, so reproducible).`,
    diverged.length > 0 ? `Diverged end points, counted in Else: ${listInWords(diverged)}.` : "No end point diverged.",
  ].join(" ");
  return { spec, caption };
}
