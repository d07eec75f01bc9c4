// What the figures share: how results are read, the order of panels, and the colours.
import type { CellResult, ExperimentResult } from "../../results.js";

export type Landscape = ExperimentResult["landscapes"][number];

/** The column of end points at no declared minimum. */
export const ELSE = "Else";

/** Grey, so that Else reads as "nowhere" next to the minima's colours. */
export const ELSE_COLOUR = "#9a9a9a";

// Vega's tableau10 without its last entry, a grey that Else would be confused with.
const MINIMUM_COLOURS = ["#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b", "#eeca3b", "#b279a2", "#ff9da6", "#9d755d"];

/** The colour of each minimum in declared order, then Else's grey. */
export function minimumColours(minimumNames: readonly string[]): string[] {
  return [...minimumNames.map((_, i) => MINIMUM_COLOURS[i % MINIMUM_COLOURS.length]!), ELSE_COLOUR];
}

/** Fills optimizers' colours from this scheme in declared order, so every figure gives an optimizer the same colour. */
export const OPTIMIZER_SCHEME = "tableau10";

/** A number from results, where JSON files write non-finite numbers as strings ("NaN", "Infinity"). */
export function numberOf(value: number | string | null | undefined): number {
  return typeof value === "number" ? value : value === null || value === undefined ? Number.NaN : Number(value);
}

/** The columns of the stationary distribution: the landscape's minima in declared order, then Else. */
export function columnNames(landscape: Landscape): string[] {
  return [...landscape.minima.map((m) => m.name), ELSE];
}

/** The column an end point was assigned to, from its index into the minima (-1 for Else). */
export function columnOf(landscape: Landscape, minimumIndex: number): string {
  return landscape.minima[minimumIndex]?.name ?? ELSE;
}

/** The landscape's cells in the experiment's optimizer order (cells of undeclared optimizers last, in results order). */
export function cellsOf(experiment: ExperimentResult, landscape: Landscape): CellResult[] {
  const cells = experiment.cells.filter((c) => c.landscape === landscape.name);
  const rank = new Map(experiment.optimizers.map((o, i) => [o.name, i]));
  const rankOf = (c: CellResult) => rank.get(c.optimizer) ?? experiment.optimizers.length;
  return cells.map((c, i) => ({ c, i })).sort((a, b) => rankOf(a.c) - rankOf(b.c) || a.i - b.i).map(({ c }) => c);
}

/** Every optimizer that has a cell in the experiment, in declared order: the domain of the optimizer colours. */
export function optimizerNames(experiment: ExperimentResult): string[] {
  const names = experiment.optimizers.map((o) => o.name);
  for (const cell of experiment.cells) if (!names.includes(cell.optimizer)) names.push(cell.optimizer);
  return names;
}

/** Panels per row of a small-multiple figure. */
export const PANEL_COLUMNS = 4;

/** "a, b and c". */
export function listInWords(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}
