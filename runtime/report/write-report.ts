// Writing a run's report folder (index.html, report.md, one SVG per figure, results.json and,
// with hypotheses, junit.xml) as a whole: every file goes into a temporary sibling folder,
// which then replaces the old report by renames. A reader sees the old report or the new
// one, never a mix, and a failure leaves the old one as it was.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { resultsToJson, type Results } from "../results.js";
import type { Figure } from "./figures/index.js";
import { renderHtmlReport } from "./html.js";
import { formatJUnit } from "./junit.js";
import { formatMarkdownReport } from "./markdown.js";
import { checkReportFolder, ReportError } from "./folder.js";

export { checkReportFolder, defaultReportDir, ReportError } from "./folder.js";

/** A figure's id names its SVG file. */
const FIGURE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export interface ReportOptions {
  /** Makes the figures (tests replace the real renderer). */
  readonly renderFigures?: (results: Results) => Promise<readonly Figure[]>;
  /** Writes one file (tests inject failures here). */
  readonly writeFile?: (path: string, content: string) => void;
}

/** The report's files, by name, for `results` (built from their JSON, exactly as `optc report` reads them back). */
export async function buildReportFiles(results: Results, options: ReportOptions = {}): Promise<Map<string, string>> {
  const json = resultsToJson(results);
  // The JSON round trip makes a report of a fresh run byte-identical to one rebuilt from its results.json.
  const data = resultsFromJson(json);
  // vega is large: it is loaded only when a report is drawn, not by every optc command.
  const render = options.renderFigures ?? (await import("./figures/index.js")).renderFigures;
  const figures = await render(data);
  const files = new Map<string, string>();
  for (const f of figures) {
    if (!FIGURE_ID.test(f.id)) throw new ReportError(`figure id '${f.id}' cannot name a file`);
    if (files.has(`${f.id}.svg`)) throw new ReportError(`two figures have the id '${f.id}'`);
    files.set(`${f.id}.svg`, f.svg.endsWith("\n") ? f.svg : `${f.svg}\n`);
  }
  files.set("results.json", `${json}\n`);
  if (data.hypotheses?.length) files.set("junit.xml", formatJUnit(data.hypotheses, data.spec, data.wallSeconds));
  files.set("report.md", formatMarkdownReport(data, figures));
  files.set("index.html", renderHtmlReport(data, figures));
  return files;
}

/** Writes the report of `results` into `dir` as a whole, replacing an earlier report; returns the folder's absolute path. */
export async function writeReport(dir: string, results: Results, options: ReportOptions = {}): Promise<string> {
  const target = resolve(dir);
  recoverLeftovers(target);
  checkReportFolder(target);
  const files = await buildReportFiles(results, options);
  const write = options.writeFile ?? ((path: string, content: string) => writeFileSync(path, content));
  const temporary = `${target}.tmp-${process.pid}`;
  try {
    mkdirSync(dirname(target), { recursive: true });
    rmSync(temporary, { recursive: true, force: true });
    mkdirSync(temporary);
    for (const [name, content] of files) write(join(temporary, name), content);
    replaceFolder(temporary, target);
  } catch (error) {
    rmSync(temporary, { recursive: true, force: true });
    throw new ReportError(`cannot write the report to '${dir}': ${error instanceof Error ? error.message : error}`);
  }
  return target;
}

/**
 * Tidies what a killed optc left beside `target`: its half-written `.tmp-<pid>` folders are
 * removed, and when it died between its two renames (no `target`, an `.old-<pid>-<n>` aside),
 * the last complete report is put back. Folders of optc processes still running are left alone.
 */
export function recoverLeftovers(target: string): void {
  const parent = dirname(target);
  if (!existsSync(parent)) return;
  const prefix = `${basename(target)}.`;
  const leftover = /^(tmp-(\d+)|old-(\d+)-(\d+))$/;
  const olds: string[] = [];
  for (const entry of readdirSync(parent)) {
    const m = entry.startsWith(prefix) ? leftover.exec(entry.slice(prefix.length)) : null;
    if (!m || isRunning(Number(m[2] ?? m[3]))) continue;
    if (m[2] !== undefined) rmSync(join(parent, entry), { recursive: true, force: true });
    else olds.push(join(parent, entry));
  }
  if (olds.length && !existsSync(target)) renameSync(olds.pop()!, target);
  for (const old of olds) rmSync(old, { recursive: true, force: true });
}

function isRunning(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Moves the complete folder `source` to `target`. A folder cannot be renamed over a non-empty
 * one, so the old report is first renamed aside and removed only once the new one is in place
 * (put back if that fails). Another optc writing the same report at the same time can take
 * the place in between; then the move is tried again over its report.
 */
function replaceFolder(source: string, target: string): void {
  const aside: string[] = [];
  try {
    for (let attempt = 0; ; attempt++) {
      const old = `${target}.old-${process.pid}-${attempt}`;
      try {
        renameSync(target, old);
        aside.push(old);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      }
      try {
        renameSync(source, target);
        break;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (attempt >= 5 || (code !== "ENOTEMPTY" && code !== "EEXIST")) throw error;
      }
    }
  } catch (error) {
    if (aside.length && !existsSync(target)) renameSync(aside.pop()!, target);
    for (const old of aside) rmSync(old, { recursive: true, force: true });
    throw error;
  }
  for (const old of aside) rmSync(old, { recursive: true, force: true });
}

const NON_FINITE = new Set(["NaN", "Infinity", "-Infinity"]);
// Keys whose values are text, so a name that reads "NaN" stays a name.
const TEXT_KEYS = new Set([
  "spec", "specHash", "optspecVersion", "backend", "precision", "node", "cpu", "name", "declaration", "kind", "landscape", "optimizer",
  "text", "location", "mode", "test", "expected", "effectSizeName", "adjust", "error",
]);

/** Results from the text `optc run --json` writes (non-finite numbers revived); throws a ReportError naming what is wrong. */
export function resultsFromJson(text: string): Results {
  let value: unknown;
  try {
    value = JSON.parse(text, (key, v) => (typeof v === "string" && NON_FINITE.has(v) && !TEXT_KEYS.has(key) ? Number(v) : v));
  } catch (error) {
    throw new ReportError(`not valid JSON (${error instanceof Error ? error.message : error})`);
  }
  const problem = resultsProblem(value);
  if (problem) throw new ReportError(`not optspec results (${problem})`);
  const results = value as Results;
  // Coordinate names sit in arrays, where the reviver cannot tell them from numbers.
  for (const e of results.experiments) for (const l of e.landscapes) (l as { coordinates: readonly unknown[] }).coordinates = l.coordinates.map(String);
  return results;
}

/** What is structurally wrong with parsed results, if anything (another file, a truncated or hand-edited one). */
function resultsProblem(r: unknown): string | undefined {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isObject(r)) return "not an object";
  for (const key of ["spec", "specHash", "optspecVersion", "backend", "node", "cpu"]) if (typeof r[key] !== "string") return `no '${key}'`;
  for (const key of ["workers", "wallSeconds"]) if (typeof r[key] !== "number") return `no '${key}'`;
  if (r.precision !== undefined && typeof r.precision !== "string") return "a precision that is not text";
  if (!Array.isArray(r.experiments)) return "no experiments list";
  for (const [i, e] of r.experiments.entries()) {
    const where = `experiment ${i + 1}`;
    if (!isObject(e) || typeof e.name !== "string") return `${where} has no name`;
    if (!Number.isInteger(e.restarts) || (e.restarts as number) < 1 || typeof e.seed !== "number") return `${where} has no valid restarts or seed`;
    if (!isObject(e.budget) || typeof e.radius !== "number") return `${where} has no budget or radius`;
    if (!Array.isArray(e.landscapes) || !Array.isArray(e.optimizers) || !Array.isArray(e.cells)) return `${where} lacks landscapes, optimizers or cells`;
    for (const l of e.landscapes)
      if (!isObject(l) || typeof l.name !== "string" || !Array.isArray(l.minima) || !Array.isArray(l.coordinates)) return `${where} has an incomplete landscape`;
    for (const c of e.cells) {
      if (!isObject(c) || typeof c.optimizer !== "string" || typeof c.landscape !== "string") return `${where} has a cell without optimizer or landscape`;
      if (!e.landscapes.some((l) => (l as { name: string }).name === c.landscape)) return `${where} has a cell on an unknown landscape '${c.landscape}'`;
      if (!Number.isInteger(c.restarts) || (c.restarts as number) < 1 || typeof c.gradientEvaluations !== "number" || typeof c.diverged !== "number")
        return `${where} has a cell without restarts, gradient evaluations or diverged count`;
      if (!isObject(c.counts) || !isObject(c.trajectories)) return `${where} has a cell without counts or trajectories`;
    }
  }
  if (r.hypotheses !== undefined) {
    if (!Array.isArray(r.hypotheses)) return "hypotheses is not a list";
    for (const h of r.hypotheses) if (!isObject(h) || typeof h.name !== "string" || !Array.isArray(h.checks)) return "a hypothesis without name or checks";
  }
  return undefined;
}
