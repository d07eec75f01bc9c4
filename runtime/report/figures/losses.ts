// Loss against gradient evaluations, one panel per optimizer: the median over restarts as a
// line and the interquartile range as a band.
import type { TopLevelSpec } from "vega-lite";
import type { ExperimentResult, LossCurve } from "../../results.js";
import { cellsOf, numberOf, OPTIMIZER_SCHEME, optimizerNames, PANEL_COLUMNS, type Landscape } from "./common.js";

export interface LossesDraft {
  readonly caption: string;
  readonly spec: TopLevelSpec;
}

interface CurveRow {
  readonly optimizer: string;
  readonly evaluations: number;
  readonly median: number | null;
  readonly lower: number | null;
  readonly upper: number | null;
}

/** The loss-curves figure of a landscape, or null when none of its cells has a curve. */
export function lossesFigure(experiment: ExperimentResult, landscape: Landscape): LossesDraft | null {
  const curves = cellsOf(experiment, landscape).flatMap((c) => (c.curve && c.curve.evals.length > 0 ? [{ optimizer: c.optimizer, curve: c.curve }] : []));
  if (curves.length === 0) return null;
  // With the value at the declared global minima known, plot the gap to it, f - f*, on a log
  // axis: losses that settle near a negative minimum (the six-hump camel) stay readable.
  const optimum = globalOptimum(landscape);
  const rows = curves.flatMap(({ optimizer, curve }) => curveRows(optimizer, curve, optimum));
  const values = rows.flatMap((r) => [r.median, r.lower, r.upper]).filter((v): v is number => v !== null);
  const logarithmic = values.length > 0 && values.every((v) => v > 0);
  const optimizers = curves.map((c) => c.optimizer);
  const colour = {
    field: "optimizer",
    type: "nominal",
    scale: { domain: optimizerNames(experiment), scheme: OPTIMIZER_SCHEME },
    legend: null,
  } as const;
  const spec: TopLevelSpec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    description: `Loss curves on ${landscape.name}`,
    background: "white",
    data: { values: rows },
    columns: Math.min(PANEL_COLUMNS, curves.length),
    facet: { field: "optimizer", type: "nominal", sort: optimizers, title: null, header: { labelFontSize: 11 } },
    spec: {
      width: 180,
      height: 120,
      encoding: { x: { field: "evaluations", type: "quantitative", title: "gradient evaluations" } },
      layer: [
        {
          mark: { type: "area", opacity: 0.3 },
          encoding: {
            y: { field: "lower", type: "quantitative", scale: logarithmic ? { type: "log" } : { zero: false }, title: optimum === undefined ? "loss" : "loss − f*" },
            y2: { field: "upper" },
            color: colour,
          },
        },
        { mark: { type: "line", strokeWidth: 1.5 }, encoding: { y: { field: "median", type: "quantitative" }, color: colour } },
      ],
    },
    config: { axis: { labelFontSize: 9, titleFontSize: 10 } },
  };
  const sizes = [...new Set(curves.map((c) => c.curve.restarts))].sort((a, b) => a - b);
  const over = sizes.length === 1 ? `the first ${sizes[0]} restarts` : `the first ${sizes[0]} to ${sizes[sizes.length - 1]} restarts`;
  const caption = [
    `Loss against gradient evaluations on ${landscape.name} (experiment ${experiment.name}): per optimizer, the median (line) and interquartile range (band) over ${over}`,
    optimum === undefined ? "" : `of the gap to the global minimum's value f* = ${Number(optimum.toPrecision(10))}, floored at ${GAP_FLOOR}`,
    logarithmic ? "(logarithmic axis)." : "(linear axis: some values are not positive).",
  ]
    .filter(Boolean)
    .join(" ");
  return { spec, caption };
}

/** Gaps to f* below this are drawn at it: a converged run reaches f* up to rounding. */
const GAP_FLOOR = 1e-16;

/** The smallest value at the landscape's declared global minima, when known. */
function globalOptimum(landscape: Landscape): number | undefined {
  const values = landscape.minima.filter((m) => m.kind === "global").map((m) => numberOf(m.value));
  return values.length > 0 && values.every(Number.isFinite) ? Math.min(...values) : undefined;
}

function curveRows(optimizer: string, curve: LossCurve, optimum: number | undefined): CurveRow[] {
  // A non-finite loss (a diverged restart in the quartiles) becomes a gap, not a point at infinity.
  const finiteOrNull = (v: number | undefined) => {
    const value = numberOf(v);
    if (!Number.isFinite(value)) return null;
    return optimum === undefined ? value : Math.max(value - optimum, GAP_FLOOR);
  };
  return curve.evals.flatMap((e, i) => {
    const evaluations = numberOf(e);
    if (!Number.isFinite(evaluations)) return [];
    return [{ optimizer, evaluations, median: finiteOrNull(curve.median[i]), lower: finiteOrNull(curve.lower[i]), upper: finiteOrNull(curve.upper[i]) }];
  });
}
