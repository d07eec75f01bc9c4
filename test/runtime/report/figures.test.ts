// The report's figures on hand-made results: panels per optimizer, end points per panel,
// minima labels, contours only with a grid, bar heights in proportion to the counts, loss
// scales, determinism, and every landscape of a real run.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderFigures, type Figure } from "../../../runtime/report/figures/index.js";
import type { CellResult, ExperimentResult, Results } from "../../../runtime/results.js";
import { resultsToJson } from "../../../runtime/results.js";

// ---------------------------------------------------------------------------------------------
// A tiny XML reader: enough to prove the SVG well-formed and to walk vega's group structure.

interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decode(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, entity: string) => {
    if (entity.startsWith("#x") || entity.startsWith("#X")) return String.fromCodePoint(parseInt(entity.slice(2), 16));
    if (entity.startsWith("#")) return String.fromCodePoint(parseInt(entity.slice(1), 10));
    const decoded = ENTITIES[entity];
    if (decoded === undefined) throw new Error(`unknown entity ${whole}`);
    return decoded;
  });
}

/** Parses XML into its root element; throws on unbalanced or malformed tags, stray `<` or bare `&`. */
function parseXml(xml: string): XmlElement {
  const tag = /<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>/y;
  const attribute = /([\w:.-]+)="([^"]*)"/g;
  const root: XmlElement = { name: "#document", attributes: {}, children: [], text: "" };
  const stack: XmlElement[] = [root];
  let at = 0;
  while (at < xml.length) {
    const next = xml.indexOf("<", at);
    const text = xml.slice(at, next === -1 ? xml.length : next);
    if (/&(?!(#x[0-9a-f]+|#\d+|\w+);)/i.test(text)) throw new Error(`bare & in text at ${at}`);
    stack[stack.length - 1]!.text += decode(text);
    if (next === -1) break;
    tag.lastIndex = next;
    const match = tag.exec(xml);
    if (!match) throw new Error(`malformed tag at ${next}: ${xml.slice(next, next + 60)}`);
    const [whole, closing, name, attributeText, selfClosing] = match;
    if (closing) {
      const open = stack.pop();
      if (open?.name !== name || stack.length === 0) throw new Error(`</${name}> closes <${open?.name}> at ${next}`);
    } else {
      const attributes: Record<string, string> = {};
      for (const [, key, value] of attributeText!.matchAll(attribute)) {
        if (key! in attributes) throw new Error(`attribute ${key} twice on <${name}>`);
        attributes[key!] = decode(value!);
      }
      const element: XmlElement = { name: name!, attributes, children: [], text: "" };
      stack[stack.length - 1]!.children.push(element);
      if (!selfClosing) stack.push(element);
    }
    at = next + whole.length;
  }
  if (stack.length !== 1) throw new Error(`<${stack[stack.length - 1]!.name}> is never closed`);
  if (root.children.length !== 1 || root.text.trim() !== "") throw new Error("an XML document has exactly one root element");
  return root.children[0]!;
}

function descendants(element: XmlElement): XmlElement[] {
  return element.children.flatMap((child) => [child, ...descendants(child)]);
}

function classes(element: XmlElement): string[] {
  return (element.attributes["class"] ?? "").split(/\s+/);
}

/** Vega wraps the items of each mark in one `<g class="mark-{type} role-{role} {name}">`; these are those groups. */
function markGroups(element: XmlElement, name: string): XmlElement[] {
  return descendants(element).filter((e) => e.name === "g" && classes(e).includes(name));
}

/** The items of the single mark named `name` under `element`. */
function markItems(element: XmlElement, name: string): XmlElement[] {
  const groups = markGroups(element, name);
  expect(groups, `one mark named ${name}`).toHaveLength(1);
  return groups[0]!.children;
}

/** Vega's end-points panels: one group item per optimizer, named panel-0, panel-1, ... */
function panels(svg: XmlElement): XmlElement[] {
  return descendants(svg).filter((e) => e.name === "g" && classes(e).some((c) => /^panel-\d+$/.test(c)));
}

function panelTitle(panel: XmlElement): string {
  const titles = markGroups(panel, "role-title-text").flatMap((g) => g.children.map((t) => t.text));
  expect(titles).toHaveLength(1);
  return titles[0]!;
}

/** Vega writes a bar as `M x,y h width v height h -width Z`. */
function barHeight(bar: XmlElement): number {
  const match = /^M[-\d.e]+,[-\d.e]+h[-\d.e]+v([-\d.e]+)h[-\d.e]+Z$/.exec(bar.attributes["d"] ?? "");
  if (!match) throw new Error(`not a bar path: ${bar.attributes["d"]}`);
  return Number(match[1]);
}

/** The `key: value; key: value` pairs vega writes into an item's aria-label. */
function ariaFields(element: XmlElement): Record<string, string> {
  const label = element.attributes["aria-label"] ?? "";
  return Object.fromEntries(label.split("; ").map((pair) => [pair.slice(0, pair.indexOf(": ")), pair.slice(pair.indexOf(": ") + 2)]));
}

// ---------------------------------------------------------------------------------------------
// Hand-made results: two optimizers on a 2-D landscape with three minima (one name needs
// escaping), a 1-D and a 10-D landscape.

const MINIMA = [
  { name: "GM1", kind: "global" as const, at: [-1, 0] },
  { name: "GM2", kind: "global" as const, at: [1, 0] },
  { name: "L&M", kind: "local" as const, at: [0, 1.5] },
];
const BASIN_DEPTH = [0, 0, 0.5];

/** The nearest of three paraboloids: a landscape whose minima are known exactly. */
function threeWells(x: number, y: number): number {
  return Math.min(...MINIMA.map((m, i) => (x - m.at[0]!) ** 2 + (y - m.at[1]!) ** 2 + BASIN_DEPTH[i]!));
}

function gridOf(n: number, lower: number, upper: number) {
  const axis = Array.from({ length: n }, (_, i) => lower + ((upper - lower) * i) / (n - 1));
  return { x: axis, y: axis, f: axis.flatMap((y) => axis.map((x) => threeWells(x, y))) };
}

/** End points: restart r lands at minimum `assigned[r]` (-1: between the wells), NaN where it diverged. */
function cell(landscape: string, optimizer: string, assigned: readonly number[], options: { diverged?: number; dims?: number; curveLoss?: number[] } = {}): CellResult {
  const dims = options.dims ?? 2;
  const diverged = new Set(options.diverged === undefined ? [] : [options.diverged]);
  const minimum = assigned.map((m, r) => (diverged.has(r) ? -1 : m));
  const at = (r: number, d: number) => {
    if (diverged.has(r)) return NaN;
    const m = MINIMA[minimum[r]!];
    return dims === 2 && m ? m.at[d]! + 0.01 * ((r % 3) - 1) : 0.4 * d - 0.5;
  };
  const counts: Record<string, number> = { GM1: 0, GM2: 0, "L&M": 0, Else: 0 };
  for (const m of minimum) counts[MINIMA[m]?.name ?? "Else"]! += 1;
  const loss = minimum.map((m, r) => (diverged.has(r) ? NaN : (BASIN_DEPTH[m] ?? 0.7)));
  const curveLoss = options.curveLoss ?? [4, 1, 0.3, 0.1];
  return {
    landscape,
    optimizer,
    restarts: assigned.length,
    gradientEvaluations: 100 * assigned.length,
    diverged: diverged.size,
    counts,
    curve: {
      restarts: assigned.length,
      evals: curveLoss.map((_, i) => 10 * i),
      median: curveLoss,
      lower: curveLoss.map((v) => v / 2),
      upper: curveLoss.map((v) => v * 2),
    },
    trajectories: {
      minimum,
      loss,
      distance: loss.map(() => 0.01),
      gradientEvaluations: loss.map(() => 100),
      iterations: loss.map(() => 100),
      end: Array.from({ length: dims }, (_, d) => minimum.map((_, r) => at(r, d))),
    },
  };
}

// GD: 12 restarts, one diverged; SAM: 12 restarts, none diverged.
const GD_ENDS = [0, 0, 1, 2, 0, 1, -1, 0, 1, 0, 2, 0];
const SAM_ENDS = [1, 1, 1, 2, 0, 2, 2, 1, -1, -1, 1, 0];
const GD_DIVERGED = 3;

function experiment(overrides: Partial<ExperimentResult> = {}): ExperimentResult {
  const landscape = (name: string, dims: number) => ({
    name,
    declaration: name,
    params: {},
    coordinates: dims === 2 ? ["x", "y"] : Array.from({ length: dims }, (_, i) => `x[${i + 1}]`),
    minima: dims === 2 ? MINIMA : MINIMA.map((m) => ({ ...m, at: Array.from({ length: dims }, (_, d) => m.at[0]! + d) })),
    lower: Array.from({ length: dims }, () => -2),
    upper: Array.from({ length: dims }, () => 2),
  });
  return {
    name: "Exp A",
    seed: 7,
    restarts: 12,
    budget: { gradients: 100, iterations: null },
    radius: 0.1,
    landscapes: [{ ...landscape("Wells", 2), grid: gridOf(20, -2, 2) }, landscape("Line", 1), landscape("Ten", 10)],
    optimizers: [
      { name: "GD", declaration: "GD", params: {} },
      { name: "SAM", declaration: "SAM", params: {} },
    ],
    cells: [
      cell("Wells", "GD", GD_ENDS, { diverged: GD_DIVERGED }),
      cell("Wells", "SAM", SAM_ENDS, { curveLoss: [3, 0.5, -0.2, -0.4] }),
      cell("Line", "GD", GD_ENDS, { dims: 1 }),
      cell("Line", "SAM", SAM_ENDS, { dims: 1 }),
      cell("Ten", "GD", GD_ENDS, { dims: 10 }),
      cell("Ten", "SAM", SAM_ENDS, { dims: 10 }),
    ],
    ...overrides,
  };
}

function results(experiments: ExperimentResult[] = [experiment()]): Results {
  return {
    spec: "t.optspec",
    specHash: "",
    optspecVersion: "0",
    seed: 7,
    backend: "js",
    workers: 1,
    node: "v20",
    cpu: "test",
    wallSeconds: 1,
    experiments,
  };
}

function figure(figures: readonly Figure[], id: string): Figure {
  const found = figures.find((f) => f.id === id);
  if (!found) throw new Error(`no figure ${id} among ${figures.map((f) => f.id).join(", ")}`);
  return found;
}

// ---------------------------------------------------------------------------------------------

describe("renderFigures", () => {
  it("renders end points, stationary distributions and loss curves in report order, with unique file-name-safe ids", async () => {
    const figures = await renderFigures(results());
    expect(figures.map((f) => f.id)).toEqual([
      "Exp-A-Wells-endpoints",
      "Exp-A-Wells-shares",
      "Exp-A-Line-shares",
      "Exp-A-Ten-shares",
      "Exp-A-Wells-loss",
      "Exp-A-Line-loss",
      "Exp-A-Ten-loss",
    ]);
    for (const f of figures) {
      expect(f.id).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(f.title.length).toBeGreaterThan(0);
      expect(f.caption.length).toBeGreaterThan(0);
      const svg = parseXml(f.svg);
      expect(svg.name).toBe("svg");
      expect(f.svg).not.toMatch(/NaN|Infinity|undefined/);
      // Inlined in one HTML page, figures must not share element ids.
      for (const id of f.svg.matchAll(/\bid="([^"]+)"/g)) expect(id[1]!.startsWith(`${f.id}-`)).toBe(true);
    }
  });

  it("draws one end-points panel per optimizer, with min(sample, finite restarts) end points, labelled minima and contours", async () => {
    for (const sample of [5, 50]) {
      const f = figure(await renderFigures(results(), { sample }), "Exp-A-Wells-endpoints");
      const svg = parseXml(f.svg);
      const shown = panels(svg);
      expect(shown.map(panelTitle)).toEqual(["GD", "SAM"]);
      const finite = [GD_ENDS.length - 1, SAM_ENDS.length];
      shown.forEach((panel, i) => {
        expect(markItems(panel, "end-points")).toHaveLength(Math.min(sample, finite[i]!));
        expect(markItems(panel, "minimum-labels").map((t) => t.text)).toEqual(MINIMA.map((m) => m.name));
        expect(markItems(panel, "minimum-markers")).toHaveLength(MINIMA.length);
        const contours = markItems(panel, "contour-lines");
        expect(contours.length).toBeGreaterThan(5);
        expect(contours.filter((c) => /^M[\d.]/.test(c.attributes["d"] ?? "")).length).toBeGreaterThan(5);
      });
      expect(f.caption).toMatch(/GD 1 of 12/);
    }
  });

  it("colours end points by their minimum, Else in grey", async () => {
    const f = figure(await renderFigures(results()), "Exp-A-Wells-endpoints");
    const gd = panels(parseXml(f.svg))[0]!;
    const colours = markItems(gd, "end-points").map((p) => p.attributes["fill"]);
    const expected = GD_ENDS.filter((_, r) => r !== GD_DIVERGED);
    // Restarts of one minimum share a colour, different minima get different ones.
    const byMinimum = new Map<number, Set<string | undefined>>();
    expected.forEach((m, i) => byMinimum.set(m, (byMinimum.get(m) ?? new Set()).add(colours[i])));
    for (const set of byMinimum.values()) expect(set.size).toBe(1);
    expect(new Set([...byMinimum.values()].map((s) => [...s][0])).size).toBe(byMinimum.size);
    expect([...byMinimum.get(-1)!][0]).toBe("#9a9a9a");
  });

  it("places the contours around the minima they enclose", async () => {
    // Each well's innermost level sets are small rings centred on its minimum's marker.
    const f = figure(await renderFigures(results()), "Exp-A-Wells-endpoints");
    const panel = panels(parseXml(f.svg))[0]!;
    const markers = markItems(panel, "minimum-markers").map((m) => /translate\(([-\d.]+),([-\d.]+)\)/.exec(m.attributes["transform"]!)!.slice(1).map(Number));
    const rings = markItems(panel, "contour-lines").flatMap((c) =>
      c.attributes["d"]!.split("M").filter(Boolean).map((ring) => [...ring.matchAll(/([-\d.]+),([-\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])])),
    );
    for (const [mx, my] of markers) {
      const centred = rings.filter((ring) => {
        const cx = ring.reduce((sum, [x]) => sum + x!, 0) / ring.length;
        const cy = ring.reduce((sum, [, y]) => sum + y!, 0) / ring.length;
        return ring.length >= 4 && ring.every(([x, y]) => Math.hypot(x! - mx!, y! - my!) < 30) && Math.hypot(cx - mx!, cy - my!) < 3;
      });
      expect(centred.length).toBeGreaterThan(0);
    }
  });

  it("leaves contours out without a grid, but still draws the panels, points and minima", async () => {
    const e = experiment();
    const withoutGrid = { ...e, landscapes: e.landscapes.map(({ grid: _grid, ...rest }) => rest) };
    const f = figure(await renderFigures(results([withoutGrid])), "Exp-A-Wells-endpoints");
    const svg = parseXml(f.svg);
    expect(markGroups(svg, "contour-lines")).toHaveLength(0);
    expect(panels(svg)).toHaveLength(2);
    expect(panels(svg).map((p) => markItems(p, "end-points").length)).toEqual([11, 12]);
    expect(f.caption).toMatch(/no grid/);
  });

  it("draws one bar per optimizer and column, with heights in proportion to the counts and an interval each", async () => {
    const figures = await renderFigures(results());
    for (const id of ["Exp-A-Wells-shares", "Exp-A-Line-shares", "Exp-A-Ten-shares"]) {
      const svg = parseXml(figure(figures, id).svg);
      const bars = descendants(svg).filter((e) => e.attributes["aria-roledescription"] === "bar");
      expect(bars).toHaveLength(2 * (MINIMA.length + 1));
      const seen = bars.map((b) => `${ariaFields(b)["optimizer"]}/${ariaFields(b)["minimum"]}`).sort();
      expect(seen).toEqual(["GD", "SAM"].flatMap((o) => ["GM1", "GM2", "L&M", "Else"].map((m) => `${o}/${m}`)).sort());

      const experimentCells = experiment().cells;
      const pixelsPerShare = bars.map((b) => {
        const fields = ariaFields(b);
        const cellOf = experimentCells.find((c) => c.optimizer === fields["optimizer"] && c.landscape === id.split("-")[2])!;
        expect(Number(fields["count"])).toBe(cellOf.counts[fields["minimum"]!]);
        return { height: barHeight(b), share: Number(fields["count"]) / Number(fields["restarts"]) };
      });
      const scale = Math.max(...pixelsPerShare.map((p) => p.height)) / Math.max(...pixelsPerShare.map((p) => p.share));
      for (const { height, share } of pixelsPerShare) expect(Math.abs(height - scale * share)).toBeLessThan(0.2);
      expect(markItems(svg, "intervals_marks")).toHaveLength(bars.length);
    }
    expect(figure(figures, "Exp-A-Wells-shares").caption).toMatch(/GD 1 of 12/);
  });

  it("draws one loss panel per optimizer with a curve, on a log scale only when every loss is positive", async () => {
    const figures = await renderFigures(results());
    const axisScale = (svg: XmlElement) =>
      descendants(svg)
        .map((e) => e.attributes["aria-label"] ?? "")
        .filter((label) => label.startsWith("Y-axis"))
        .map((label) => /for a (\w+) scale/.exec(label)?.[1]);

    const wells = parseXml(figure(figures, "Exp-A-Wells-loss").svg);
    expect(markGroups(wells, "role-mark").filter((g) => classes(g).includes("mark-line"))).toHaveLength(2);
    expect(markGroups(wells, "role-mark").filter((g) => classes(g).includes("mark-area"))).toHaveLength(2);
    expect(new Set(axisScale(wells))).toEqual(new Set(["linear"]));

    const line = parseXml(figure(figures, "Exp-A-Line-loss").svg);
    expect(markGroups(line, "role-mark").filter((g) => classes(g).includes("mark-line"))).toHaveLength(2);
    expect(new Set(axisScale(line))).toEqual(new Set(["log"]));

    const e = experiment();
    const oneCurve = { ...e, cells: e.cells.map((c) => (c.optimizer === "SAM" || c.landscape !== "Wells" ? { ...c, curve: undefined } : c)) };
    const only = await renderFigures(results([oneCurve]));
    expect(only.filter((f) => f.id.endsWith("-loss")).map((f) => f.id)).toEqual(["Exp-A-Wells-loss"]);
    const single = parseXml(figure(only, "Exp-A-Wells-loss").svg);
    expect(markGroups(single, "role-mark").filter((g) => classes(g).includes("mark-line"))).toHaveLength(1);
  });

  it("plots the gap to the global minimum's value on a log axis when that value is known", async () => {
    // Losses that settle at f* = -1: a linear axis without f*, the gap f - f* on a log axis with it.
    const e = experiment();
    const negative = (c: ExperimentResult["cells"][number]) =>
      c.curve ? { ...c, curve: { ...c.curve, median: c.curve.median.map((v, i) => -1 + 2 ** -i), lower: c.curve.lower.map((v, i) => -1 + 2 ** -(i + 1)), upper: c.curve.upper.map((v, i) => -1 + 2 ** -(i - 1)) } } : c;
    const withOptimum = {
      ...e,
      landscapes: e.landscapes.map((l) => ({ ...l, minima: l.minima.map((m) => ({ ...m, value: m.kind === "global" ? -1 : 0.5 })) })),
      cells: e.cells.map(negative),
    };
    const withoutOptimum = { ...e, cells: e.cells.map(negative) };
    const axisTitle = (svg: string) => /aria-label="Y-axis titled '([^']*)' for a (\w+) scale/.exec(svg)?.slice(1, 3);
    const gap = figure(await renderFigures(results([withOptimum])), "Exp-A-Wells-loss");
    expect(axisTitle(gap.svg)).toEqual(["loss − f*", "log"]);
    expect(gap.caption).toMatch(/f\* = -1/);
    expect(axisTitle(figure(await renderFigures(results([withoutOptimum])), "Exp-A-Wells-loss").svg)).toEqual(["loss", "linear"]);
  });

  it("renders the same SVG for the same input, also when renders interleave", async () => {
    const first = await renderFigures(results());
    const [second, third] = await Promise.all([renderFigures(results()), renderFigures(results())]);
    expect(second).toEqual(first);
    expect(third).toEqual(first);
  });

  it("reads results as written to JSON, where diverged coordinates are strings", async () => {
    const parsed = JSON.parse(resultsToJson(results())) as Results;
    const figures = await renderFigures(parsed);
    const svg = parseXml(figure(figures, "Exp-A-Wells-endpoints").svg);
    expect(panels(svg).map((p) => markItems(p, "end-points").length)).toEqual([11, 12]);
    expect(figures.map((f) => f.svg)).toEqual((await renderFigures(results())).map((f) => f.svg));
  });

  it("keeps ids unique when names differ only in characters a file name cannot hold", async () => {
    const figures = await renderFigures(results([experiment({ name: "A/B" }), experiment({ name: "A B" })]));
    const ids = figures.map((f) => f.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain("A-B-Wells-endpoints-2");
  });

  it("rejects a sample that is not a non-negative integer", async () => {
    await expect(renderFigures(results(), { sample: -1 })).rejects.toThrow(/sample/);
    await expect(renderFigures(results(), { sample: 2.5 })).rejects.toThrow(/sample/);
  });
});

const CLI = join(import.meta.dirname, "../../../dist/optc.js");
const SPEC = join(import.meta.dirname, "../../../specs/paper/synthetic.optspec");

describe("renderFigures on a real run", () => {
  it.skipIf(!existsSync(CLI))("draws every landscape of the paper's synthetic study", async () => {
    const dir = mkdtempSync(join(tmpdir(), "optspec-figures-"));
    try {
      const file = join(dir, "results.json");
      // The run exits non-zero when a hypothesis fails; only the results file matters here.
      spawnSync(process.execPath, [CLI, "run", SPEC, "--restarts", "60", "--json", file, "--quiet"], { stdio: "ignore", timeout: 60_000 });
      expect(existsSync(file)).toBe(true);
      const parsed = JSON.parse(readFileSync(file, "utf8")) as Results;
      const figures = await renderFigures(parsed);
      for (const e of parsed.experiments) {
        for (const landscape of e.landscapes) {
          const prefix = `${e.name}-${landscape.name}`;
          expect(figures.map((f) => f.id)).toContain(`${prefix}-shares`);
          if (landscape.lower.length === 2) {
            const endPoints = parseXml(figure(figures, `${prefix}-endpoints`).svg);
            expect(panels(endPoints)).toHaveLength(e.optimizers.length);
            expect(markGroups(endPoints, "contour-lines").length).toBe(landscape.grid ? e.optimizers.length : 0);
          }
          if (e.cells.some((c) => c.landscape === landscape.name && c.curve)) expect(figures.map((f) => f.id)).toContain(`${prefix}-loss`);
        }
      }
      for (const f of figures) parseXml(f.svg);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
