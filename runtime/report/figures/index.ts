// The figures of a run report, rendered to standalone SVG.
import type { Results } from "../../results.js";
import { endPointsFigure } from "./endpoints.js";
import { lossesFigure } from "./losses.js";
import { renderVega, renderVegaLite } from "./render.js";
import { sharesFigure } from "./shares.js";
import { snapshotsFigure } from "./snapshots.js";

export interface Figure {
  /** A file-name-safe slug, unique within a report (`Table1-Himmelblau-endpoints`). */
  readonly id: string;
  readonly title: string;
  readonly caption: string;
  readonly svg: string;
}

export interface FigureOptions {
  /** End points drawn per panel of the end-points figures (default 50). */
  readonly sample?: number;
  /** Mixed into the seeds of the bootstrap intervals (by default they derive from the names alone). */
  readonly seed?: number;
}

/** Every figure of a run, in report order: per experiment and landscape the end points over contours and the stationary distribution; per experiment and landscape the loss curves; all as standalone SVG. */
export async function renderFigures(results: Results, options: FigureOptions = {}): Promise<Figure[]> {
  const sample = options.sample ?? 50;
  if (!Number.isInteger(sample) || sample < 0) throw new RangeError(`renderFigures: sample is ${sample}; pass a non-negative integer such as 50`);
  if (options.seed !== undefined && !Number.isFinite(options.seed)) throw new RangeError(`renderFigures: seed is ${options.seed}; pass a finite number`);

  const ids = new Set<string>();
  const uniqueId = (...parts: string[]) => {
    const base = parts.map(slug).join("-");
    // Compared without case: on macOS and Windows `a.svg` and `A.svg` are one file.
    let id = base;
    for (let n = 2; ids.has(id.toLowerCase()); n++) id = `${base}-${n}`;
    ids.add(id.toLowerCase());
    return id;
  };
  // Rendering one at a time keeps memory flat; vega's own work is synchronous anyway.
  const figures: Figure[] = [];
  for (const experiment of results.experiments) {
    for (const landscape of experiment.landscapes) {
      const where = `${landscape.name} (${experiment.name})`;
      const endPoints = endPointsFigure(experiment, landscape, sample);
      if (endPoints) {
        const id = uniqueId(experiment.name, landscape.name, "endpoints");
        figures.push({ id, title: `End points on ${where}`, caption: endPoints.caption, svg: await renderVega(endPoints.spec, id) });
      }
      const shares = sharesFigure(experiment, landscape, options.seed);
      if (shares) {
        const id = uniqueId(experiment.name, landscape.name, "shares");
        figures.push({ id, title: `Stationary distribution on ${where}`, caption: shares.caption, svg: await renderVegaLite(shares.spec, id) });
      }
    }
  }
  for (const experiment of results.experiments) {
    for (const landscape of experiment.landscapes) {
      const losses = lossesFigure(experiment, landscape);
      if (losses) {
        const id = uniqueId(experiment.name, landscape.name, "loss");
        figures.push({ id, title: `Loss curves on ${landscape.name} (${experiment.name})`, caption: losses.caption, svg: await renderVegaLite(losses.spec, id) });
      }
    }
  }
  for (const experiment of results.taskExperiments ?? []) {
    for (const task of experiment.tasks) {
      const snapshots = snapshotsFigure(experiment, task.name);
      if (snapshots) {
        const id = uniqueId(experiment.name, task.name, "snapshots");
        figures.push({ id, title: `Snapshots on ${task.name} (${experiment.name})`, caption: snapshots.caption, svg: await renderVegaLite(snapshots.spec, id) });
      }
    }
  }
  return figures;
}

function slug(name: string): string {
  return name.replace(/[^A-Za-z0-9_]+/g, "-").replace(/^-+|-+$/g, "") || "figure";
}
