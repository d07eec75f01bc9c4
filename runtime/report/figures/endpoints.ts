// The paper's Figure 3: per optimizer, where end points land over the contour lines of f, with
// the declared minima marked and named. Written in vega, not vega-lite, for its isocontour transform.
import type { Axis, Data, GroupMark, Mark, Spec } from "vega";
import type { CellResult, ExperimentResult, LandscapeGrid } from "../../results.js";
import { cellsOf, columnNames, columnOf, listInWords, minimumColours, numberOf, PANEL_COLUMNS, type Landscape } from "./common.js";

const PANEL_WIDTH = 200;
const CONTOUR_LEVELS = 12;

export interface EndPointsDraft {
  readonly caption: string;
  readonly spec: Spec;
}

interface EndPoint {
  readonly x: number;
  readonly y: number;
  readonly assigned: string;
}

/** The end-points figure of a two-dimensional landscape, or null for other dimensions or without cells. */
export function endPointsFigure(experiment: ExperimentResult, landscape: Landscape, sample: number): EndPointsDraft | null {
  if (landscape.lower.length !== 2 || landscape.upper.length !== 2) return null;
  const cells = cellsOf(experiment, landscape);
  if (cells.length === 0) return null;

  const grid = usableGrid(landscape.grid);
  const box = plotBox(landscape, grid);
  const width = PANEL_WIDTH;
  const height = Math.round(Math.min(260, Math.max(100, (width * (box.y[1] - box.y[0])) / (box.x[1] - box.x[0]))));
  const levels = grid ? contourLevels(grid.f) : [];
  const panels = cells.map((cell) => ({ cell, points: sampleEndPoints(landscape, cell, sample) }));
  const columns = Math.min(PANEL_COLUMNS, cells.length);

  const data: Data[] = [
    {
      name: "minima",
      values: landscape.minima
        .map((m) => ({ name: m.name, kind: m.kind, x: numberOf(m.at[0]), y: numberOf(m.at[1]) }))
        .filter((m) => Number.isFinite(m.x) && Number.isFinite(m.y)),
    },
  ];
  if (grid && levels.length > 0) {
    data.push(
      // Isocontour outlines super-level sets, closing them along the grid's edge, where f is
      // mostly high; outlining the sub-level sets of f (super-level sets of -f) instead gives
      // closed basins inside the grid and far shorter paths.
      { name: "grid", values: [{ width: grid.x.length, height: grid.y.length, values: grid.f.map((v) => -v) }] },
      {
        name: "contours",
        source: "grid",
        // A level below every grid value has no outline, and would still leave an empty path.
        transform: [contourTransform(grid, box, width, height, levels), { type: "filter", expr: "length(datum.contour.coordinates) > 0" }],
      },
    );
  }
  const coordinates = [landscape.coordinates[0] ?? "x", landscape.coordinates[1] ?? "y"];
  const spec: Spec = {
    $schema: "https://vega.github.io/schema/vega/v6.json",
    description: `End points on ${landscape.name}`,
    background: "white",
    padding: 5,
    autosize: "pad",
    config: { title: { fontSize: 11, fontWeight: "normal", offset: 4 }, axis: { labelFontSize: 9, titleFontSize: 10 } },
    data,
    scales: [
      // Clamped, so an end point that left the domain still shows, on its edge.
      { name: "x", type: "linear", domain: box.x, range: [0, width], zero: false, nice: false, clamp: true },
      { name: "y", type: "linear", domain: box.y, range: [height, 0], zero: false, nice: false, clamp: true },
      { name: "assigned", type: "ordinal", domain: columnNames(landscape), range: minimumColours(landscape.minima.map((m) => m.name)) },
    ],
    layout: { columns, padding: { row: 12, column: 12 }, bounds: "full", align: "all" },
    marks: panels.map(({ cell, points }, i) =>
      panel(i, cell.optimizer, points.points, { width, height, grid: levels.length > 0, coordinates, columns, count: panels.length }),
    ),
    legends: [{ fill: "assigned", title: "assigned to", symbolType: "circle", orient: "right" }],
  };
  return { spec, caption: caption(experiment, landscape, panels, sample, levels.length) };
}

interface PanelShape {
  readonly width: number;
  readonly height: number;
  readonly grid: boolean;
  readonly coordinates: readonly string[];
  readonly columns: number;
  readonly count: number;
}

function panel(index: number, optimizer: string, points: readonly EndPoint[], shape: PanelShape): GroupMark {
  // Axis titles only on the outer panels: inside the grid they would repeat the same words.
  const firstColumn = index % shape.columns === 0;
  const bottomRow = index + shape.columns >= shape.count;
  const axes: Axis[] = [
    { scale: "x", orient: "bottom", tickCount: 5, ...(bottomRow ? { title: shape.coordinates[0]! } : {}) },
    { scale: "y", orient: "left", tickCount: 5, ...(firstColumn ? { title: shape.coordinates[1]! } : {}) },
  ];
  const marks: Mark[] = [];
  if (shape.grid) {
    marks.push({
      type: "shape",
      name: "contour-lines",
      from: { data: "contours" },
      encode: { enter: { stroke: { value: "#c4c4c4" }, strokeWidth: { value: 0.7 }, fill: { value: null } } },
      transform: [{ type: "geoshape", field: "datum.contour" }],
    });
  }
  marks.push(
    {
      type: "symbol",
      name: "end-points",
      from: { data: "ends" },
      encode: {
        enter: {
          x: { scale: "x", field: "x" },
          y: { scale: "y", field: "y" },
          fill: { scale: "assigned", field: "assigned" },
          size: { value: 18 },
          opacity: { value: 0.85 },
        },
      },
    },
    {
      type: "symbol",
      // Hollow, so the end points that converged onto a minimum stay visible inside its marker.
      name: "minimum-markers",
      from: { data: "minima" },
      encode: {
        enter: {
          x: { scale: "x", field: "x" },
          y: { scale: "y", field: "y" },
          shape: [{ test: "datum.kind === 'global'", value: "diamond" }, { value: "square" }],
          size: { value: 90 },
          fill: { value: null },
          stroke: { value: "black" },
          strokeWidth: { value: 1.2 },
        },
      },
    },
    {
      type: "text",
      name: "minimum-labels",
      from: { data: "minima" },
      encode: {
        enter: {
          x: { scale: "x", field: "x", offset: 7 },
          y: { scale: "y", field: "y", offset: -6 },
          text: { field: "name" },
          fontSize: { value: 9 },
          fontWeight: { value: "bold" },
          fill: { value: "black" },
        },
      },
    },
  );
  return {
    type: "group",
    name: `panel-${index}`,
    title: { text: optimizer },
    encode: {
      enter: { width: { value: shape.width }, height: { value: shape.height }, stroke: { value: "#999" }, fill: { value: "white" } },
    },
    data: [{ name: "ends", values: points }],
    axes,
    marks,
  };
}

interface SampledEndPoints {
  readonly points: EndPoint[];
  /** Finite end points outside the domain box, drawn on its edge. */
  readonly outside: number;
}

/** The first `sample` end points of a cell that did not diverge, in restart order. */
function sampleEndPoints(landscape: Landscape, cell: CellResult, sample: number): SampledEndPoints {
  const [xs = [], ys = []] = cell.trajectories.end;
  const points: EndPoint[] = [];
  let outside = 0;
  for (let r = 0; r < cell.trajectories.minimum.length && points.length < sample; r++) {
    const x = numberOf(xs[r]);
    const y = numberOf(ys[r]);
    const loss = numberOf(cell.trajectories.loss[r] ?? 0);
    // The same test as `diverged`, which counts a non-finite loss too.
    if (!Number.isFinite(x) || !Number.isFinite(y) || !Number.isFinite(loss)) continue;
    if (x < landscape.lower[0]! || x > landscape.upper[0]! || y < landscape.lower[1]! || y > landscape.upper[1]!) outside++;
    points.push({ x, y, assigned: columnOf(landscape, cell.trajectories.minimum[r]!) });
  }
  return { points, outside };
}

interface Grid {
  readonly x: readonly number[];
  readonly y: readonly number[];
  readonly f: number[];
}

/** The grid with non-finite values raised to the highest finite one, or null when it cannot be contoured. */
function usableGrid(grid: LandscapeGrid | undefined): Grid | null {
  if (!grid || grid.x.length < 2 || grid.y.length < 2 || grid.f.length !== grid.x.length * grid.y.length) return null;
  const x = grid.x.map(numberOf);
  const y = grid.y.map(numberOf);
  if (![...x, ...y].every(Number.isFinite)) return null;
  const f = grid.f.map(numberOf);
  const finite = f.filter(Number.isFinite);
  if (finite.length === 0) return null;
  // A non-finite value marks a wall of the landscape: the top of the scale draws it as one.
  const highest = finite.reduce((a, b) => Math.max(a, b));
  return { x, y, f: f.map((v) => (Number.isFinite(v) ? v : highest)) };
}

interface PlotBox {
  readonly x: [number, number];
  readonly y: [number, number];
}

/**
 * The plotted ranges: the domain box, widened to the grid's cells. Isocontour treats each grid
 * value as the centre of a cell and closes the outer level sets along the cells' outer edges,
 * half a cell beyond the outer values; those edges then fall on the panel's frame.
 */
function plotBox(landscape: Landscape, grid: Grid | null): PlotBox {
  const range = (axis: 0 | 1, values: readonly number[] | undefined): [number, number] => {
    let low = numberOf(landscape.lower[axis]);
    let high = numberOf(landscape.upper[axis]);
    if (values) {
      const half = (values[values.length - 1]! - values[0]!) / (values.length - 1) / 2;
      low = Math.min(low, values[0]! - half);
      high = Math.max(high, values[values.length - 1]! + half);
    }
    return high > low ? [low, high] : [low - 1, low + 1];
  };
  return { x: range(0, grid?.x), y: range(1, grid?.y) };
}

/** Maps isocontour's cell coordinates (value i at i + 0.5) onto the panel's pixels, y pointing down. */
function contourTransform(grid: Grid, box: PlotBox, width: number, height: number, levels: readonly number[]) {
  const dx = (grid.x[grid.x.length - 1]! - grid.x[0]!) / (grid.x.length - 1);
  const dy = (grid.y[grid.y.length - 1]! - grid.y[0]!) / (grid.y.length - 1);
  const px = width / (box.x[1] - box.x[0]);
  const py = height / (box.y[1] - box.y[0]);
  const scaleX = dx * px;
  const scaleY = -dy * py;
  const translateX = (grid.x[0]! - dx / 2 - box.x[0]) * px;
  const translateY = height - (grid.y[0]! - dy / 2 - box.y[0]) * py;
  return {
    type: "isocontour" as const,
    thresholds: levels.map((level) => -level),
    // The transform's typings take one scale factor; vega also reads [x, y], which the flip needs.
    scale: { signal: `[${scaleX}, ${scaleY}]` },
    translate: [translateX, translateY],
  };
}

/**
 * Levels of f spaced geometrically in f - min f, from the height above the minimum of the lowest
 * 1% of the grid to the top: landscapes span orders of magnitude (Himmelblau 0 to ~900, the
 * three-hump camel 0 to ~2600 with basins 0.3 deep), and evenly spaced levels would all lie on the walls.
 */
function contourLevels(values: readonly number[], count = CONTOUR_LEVELS): number[] {
  const heights = values.map((v) => v - values.reduce((a, b) => Math.min(a, b), Infinity)).sort((a, b) => a - b);
  const top = heights[heights.length - 1]!;
  if (!(top > 0) || !Number.isFinite(top)) return [];
  // Heights within rounding of zero (a minimum shared by several grid points) would put the
  // lowest levels a few ulps apart.
  const above = heights.filter((h) => h > top * 1e-9);
  const lowest = above[Math.min(above.length - 1, Math.floor(0.01 * heights.length))]!;
  const bottom = values.reduce((a, b) => Math.min(a, b), Infinity);
  return Array.from({ length: count }, (_, k) => bottom + lowest * (top / lowest) ** (k / count));
}

function caption(
  experiment: ExperimentResult,
  landscape: Landscape,
  panels: readonly { cell: CellResult; points: SampledEndPoints }[],
  sample: number,
  levels: number,
): string {
  const parts = [
    `End points on ${landscape.name} (experiment ${experiment.name}): per optimizer, the end points of its first ${sample} restarts that did not diverge (all, when fewer), coloured by the minimum they were assigned to (Else grey).`,
    "The declared minima are marked and named: diamonds are global minima, squares local ones.",
    levels > 0
      ? `Grey lines are ${levels} level sets of f, spaced geometrically in height above its minimum on the grid.`
      : "The results hold no grid of f, so no contour lines are drawn.",
  ];
  const diverged = panels.filter((p) => p.cell.diverged > 0).map((p) => `${p.cell.optimizer} ${p.cell.diverged} of ${p.cell.restarts}`);
  parts.push(diverged.length > 0 ? `Diverged end points, left out: ${listInWords(diverged)}.` : "No end point diverged.");
  const outside = panels.filter((p) => p.points.outside > 0).map((p) => `${p.cell.optimizer} ${p.points.outside}`);
  if (outside.length > 0) parts.push(`Shown end points outside the domain, drawn on its edge: ${listInWords(outside)}.`);
  return parts.join(" ");
}
