// Where a report goes: the default folder of a spec, and the check that a folder may be
// replaced by a report. Kept apart from write-report.ts, which loads the report's renderers
// (and through them the statistics): `optc run` checks the folder before a run that may never
// write it (`--no-report`), and should not load those for it.
import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";

/** A report folder could not be written; the old report, if any, is unchanged. */
export class ReportError extends Error {}

/** The default report folder of a spec: `reports/<spec file name without .optspec>`. */
export function defaultReportDir(spec: string): string {
  return join("reports", basename(spec).replace(/\.optspec$/, "").replace(/\.json$/, "") || "report");
}

// What a report folder holds; a folder with anything else is not replaced, so a mistyped
// `--report .` cannot delete someone's work.
const REPORT_FILE = /^(index\.html|report\.md|results\.json|junit\.xml|[A-Za-z0-9][A-Za-z0-9_.-]*\.svg)$/;

/** Throws a ReportError when `dir` exists but is not a folder a report may replace. */
export function checkReportFolder(dir: string): void {
  const target = resolve(dir);
  if (!existsSync(target)) return;
  if (!statSync(target).isDirectory()) throw new ReportError(`report folder '${dir}' is a file; give a folder (it is created if missing)`);
  const foreign = readdirSync(target, { withFileTypes: true }).filter((e) => !e.isFile() || !REPORT_FILE.test(e.name));
  if (foreign.length)
    throw new ReportError(
      `report folder '${dir}' holds ${foreign.map((e) => `'${e.name}'`).slice(0, 3).join(", ")}${foreign.length > 3 ? ", ..." : ""}, which an optspec report does not; give a new or empty folder, or one an earlier report wrote`,
    );
}
