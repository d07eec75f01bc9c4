// End to end: the report folder `optc run` writes, `optc report` rebuilding it byte for byte
// from results.json, progress kept off stdout, --quiet, the GitHub step summary, and
// `optc report` on files that are not results.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  OPTC,
  PAPER_SPEC,
  REPO,
  ensureBuilt,
  expectExit,
  expectNoStackTrace,
  experimentSpec,
  optc,
  optcExpect,
  removeTemporaryFolders,
  temporaryFolder,
  writeSpec,
  type Run,
} from "./helpers.js";

beforeAll(ensureBuilt);
afterAll(removeTemporaryFolders);

const PASSING = `${experimentSpec({ name: "Small", on: "Himmelblau", run: "GD, NiG_GD", restarts: 30, gradients: 400, seed: 3 })}
hypothesis "GD ends somewhere" {
  expect share(Small.GD on Himmelblau, Else) < 0.5
  observe share(Small.NiG_GD on Himmelblau, GM1)
}
`;

/** Runs optc with extra environment variables (the helpers' `optc` clears GITHUB_STEP_SUMMARY). */
function optcWithEnv(args: readonly string[], env: Record<string, string>, cwd = REPO): Run {
  const result = spawnSync(process.execPath, [OPTC, ...args], { cwd, encoding: "utf8", timeout: 60_000, env: { ...process.env, NO_COLOR: "1", ...env } });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, command: `optc ${args.join(" ")}` };
}

function filesOf(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f), "utf8")]));
}

describe("optc run --report on the paper spec", () => {
  let dir = "";
  let report = "";
  let run: Run;

  beforeAll(() => {
    dir = temporaryFolder();
    report = join(dir, "report");
    run = optc(["run", PAPER_SPEC, "--restarts", "20", "--report", report, "--json", join(dir, "results.json")]);
    // Some of the paper's expectations fail on 20 restarts: exit 1 is a verdict, not an error.
    expect([0, 1], run.stderr).toContain(run.status);
    expectNoStackTrace(run);
  });

  it("writes index.html, report.md, results.json, junit.xml and every figure's SVG", () => {
    const files = readdirSync(report).sort();
    for (const name of ["index.html", "report.md", "results.json", "junit.xml"]) expect(files).toContain(name);
    const markdown = readFileSync(join(report, "report.md"), "utf8");
    const referenced = [...markdown.matchAll(/!\[[^\]]*\]\(([^)]+\.svg)\)/g)].map((m) => m[1]!);
    expect(referenced.length).toBeGreaterThan(0);
    expect(files.filter((f) => f.endsWith(".svg")).sort()).toEqual([...referenced].sort());
    for (const svg of referenced) expect(readFileSync(join(report, svg), "utf8")).toMatch(/<svg[\s>]/);
    // results.json is what --json writes.
    expect(readFileSync(join(report, "results.json"), "utf8")).toBe(readFileSync(join(dir, "results.json"), "utf8"));
    expect(readdirSync(dir).sort()).toEqual(["report", "results.json"]);
    expect(run.stderr).toContain(`report: ${join(report, "index.html")}`);
  });

  it("puts the reproducibility header, the tables and the hypotheses in the page", () => {
    const html = readFileSync(join(report, "index.html"), "utf8");
    const results = JSON.parse(readFileSync(join(report, "results.json"), "utf8"));
    for (const value of [results.spec, results.specHash, String(results.seed), results.optspecVersion, results.node, results.cpu, `${results.wallSeconds.toFixed(2)} s`]) expect(html).toContain(value);
    expect(html.match(/<table class="stationary">/g)).toHaveLength(3);
    expect(html.match(/<figure class="figure"/g)!.length).toBe(readdirSync(report).filter((f) => f.endsWith(".svg")).length);
    const checks = results.hypotheses.reduce((n: number, h: { checks: unknown[] }) => n + h.checks.length, 0);
    expect(html.match(/<td class="verdict (PASS|FAIL|OBS)">/g)).toHaveLength(checks);
    expect(html).not.toMatch(/<script|<link|src="http|@font-face/i);
    // The terminal table's numbers: GD's row on Himmelblau.
    const gd = run.stdout.split("Himmelblau")[1]!.split("\n").find((l) => l.startsWith("GD "))!.trim().split(/\s+/).slice(1);
    expect(html).toContain(`<tr><th scope="row">GD</th>${gd.map((v) => `<td class="num">${v}</td>`).join("")}</tr>`);
  });

  it("optc report rebuilds the same report from results.json without running", () => {
    const again = join(temporaryFolder(), "again");
    const rebuilt = optcExpect(["report", join(report, "results.json"), "--report", again], 0);
    expect(rebuilt.stdout).toBe("");
    expect(filesOf(again)).toEqual(filesOf(report));
  });

  it("optc report writes to reports/<spec name> by default", () => {
    const cwd = temporaryFolder();
    optcExpect(["report", join(report, "results.json")], 0, { cwd });
    expect(readFileSync(join(cwd, "reports", "synthetic", "report.md"), "utf8")).toBe(readFileSync(join(report, "report.md"), "utf8"));
  });
});

describe("optc run output streams", () => {
  it("keeps stdout pure JSON with --json - while progress goes to stderr", () => {
    const dir = temporaryFolder();
    const spec = writeSpec(dir, "small.optspec", PASSING);
    const run = optcExpect(["run", spec, "--json", "-"], 0, { cwd: dir });
    expect(run.stdout.trim().startsWith("{")).toBe(true);
    expect(JSON.parse(run.stdout).experiments[0].name).toBe("Small");
    expect(run.stderr).toMatch(/^Small: 2\/2 cells, [\d.]+[kMG]? trajectory-steps\/s, [\d.]+ s$/m);
    expect(run.stderr).toContain("Himmelblau");
    // The default folder: reports/<spec name> under the working directory.
    expect(readdirSync(join(dir, "reports", "small"))).toContain("index.html");
  });

  it("prints nothing on stderr with --quiet for a good run, and still writes the report", () => {
    const dir = temporaryFolder();
    const spec = writeSpec(dir, "small.optspec", PASSING);
    const run = optcExpect(["run", spec, "--quiet", "--report", join(dir, "r")], 0);
    expect(run.stderr).toBe("");
    expect(readdirSync(join(dir, "r")).sort()).toEqual(expect.arrayContaining(["index.html", "junit.xml", "report.md", "results.json"]));
  });

  it("--no-report writes none, and contradicts --report", () => {
    const dir = temporaryFolder();
    const spec = writeSpec(dir, "small.optspec", PASSING);
    optcExpect(["run", spec, "--quiet", "--no-report"], 0, { cwd: dir });
    expect(existsSync(join(dir, "reports"))).toBe(false);
    const both = optcExpect(["run", spec, "--no-report", "--report", join(dir, "r")], 2);
    expect(both.stderr).toContain("--report and --no-report");
  });

  it("appends the Markdown report, without images, to GITHUB_STEP_SUMMARY", () => {
    const dir = temporaryFolder();
    const spec = writeSpec(dir, "small.optspec", PASSING);
    const summary = join(dir, "summary.md");
    writeFileSync(summary, "# earlier step\n");
    const run = optcWithEnv(["run", spec, "--quiet", "--report", join(dir, "r")], { GITHUB_STEP_SUMMARY: summary });
    expectExit(run, 0);
    const text = readFileSync(summary, "utf8");
    expect(text.startsWith("# earlier step\n# optspec report: ")).toBe(true);
    expect(text).toContain("#### Himmelblau");
    expect(text).toContain("## Hypotheses");
    expect(text).toContain("**PASS**");
    expect(text).not.toContain("![");
    // The rest of report.md, figures aside, is the summary.
    const markdown = readFileSync(join(dir, "r", "report.md"), "utf8");
    expect(text).toContain(markdown.split("## Figures")[0]!);
  });

  it("refuses, before running, a report folder that holds other files", () => {
    const dir = temporaryFolder();
    const spec = writeSpec(dir, "small.optspec", PASSING);
    const target = join(dir, "mine");
    mkdirSync(target);
    writeFileSync(join(target, "thesis.tex"), "keep me");
    const run = optcExpect(["run", spec, "--report", target], 2);
    expect(run.stderr).toContain("thesis.tex");
    expect(run.stderr).not.toContain("Himmelblau");
    expect(readdirSync(target)).toEqual(["thesis.tex"]);
  });
});

describe("optc report on bad input", () => {
  const cases: [string, (dir: string) => string, RegExp][] = [
    ["a missing file", (dir) => join(dir, "nope.json"), /cannot read results '.*nope\.json'/],
    ["a file that is not JSON", (dir) => writeSpec(dir, "bad.json", "{ not json"), /is not valid JSON/],
    ["JSON that is not results", (dir) => writeSpec(dir, "plan.json", JSON.stringify({ format: "optspec-plan", version: 1 })), /is not optspec results \(no 'spec'\)/],
    ["truncated results", (dir) => writeSpec(dir, "cut.json", JSON.stringify({ spec: "a", specHash: "b", optspecVersion: "0", backend: "js", node: "v", cpu: "c", workers: 0, wallSeconds: 1 })), /no experiments list/],
  ];
  for (const [what, make, message] of cases)
    it(`exits 2 with a clear message on ${what}`, () => {
      const dir = temporaryFolder();
      const run = optcExpect(["report", make(dir), "--report", join(dir, "out")], 2);
      expect(run.stderr).toMatch(/^optc: /);
      expect(run.stderr).toMatch(message);
      expect(existsSync(join(dir, "out"))).toBe(false);
    });

  it("is in the usage text", () => {
    const help = optcExpect(["--help"], 0).stdout;
    for (const text of ["optc report RESULTS.json", "--report DIR", "--no-report"]) expect(help).toContain(text);
  });

  it("exits 2 without a results file", () => {
    expect(optcExpect(["report"], 2).stderr).toContain("missing results file");
  });
});
