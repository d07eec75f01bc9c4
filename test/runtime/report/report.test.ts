// The run report from hand-made results: the reproducibility header, the stationary tables
// (the terminal table's numbers), every hypothesis check with its numbers, in HTML and in
// Markdown; writing the report folder as a whole; reading results back from JSON; progress.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runPlan, type RunProgress } from "../../../runtime/execute.js";
import type { CheckResult, HypothesisResult } from "../../../runtime/hypotheses.js";
import { createProgress } from "../../../runtime/progress.js";
import type { Figure } from "../../../runtime/report/figures/index.js";
import { renderHtmlReport } from "../../../runtime/report/html.js";
import { formatMarkdownReport } from "../../../runtime/report/markdown.js";
import { formatStationaryTables } from "../../../runtime/report/table.js";
import { buildReportFiles, checkReportFolder, recoverLeftovers, ReportError, resultsFromJson, writeReport } from "../../../runtime/report/write-report.js";
import { resultsToJson, type CellResult, type Results } from "../../../runtime/results.js";
import { compileText } from "../../support/run-spec.js";

const TWO = [
  { name: "A", kind: "global" as const, at: [0, 0] },
  { name: "B", kind: "local" as const, at: [1, 1] },
];
const THREE = [
  { name: "GM", kind: "global" as const, at: [0, 0] },
  { name: "LM1", kind: "local" as const, at: [1, 0] },
  { name: "LM2", kind: "local" as const, at: [0, 1] },
];

/** A cell with the given counts per column (Else included) and `gradients` evaluations per restart. */
function cell(landscape: string, optimizer: string, counts: Record<string, number>, diverged: number, gradients: number): CellResult {
  const restarts = Object.values(counts).reduce((a, b) => a + b, 0);
  const zeros = () => new Array<number>(restarts).fill(0);
  return {
    landscape,
    optimizer,
    restarts,
    gradientEvaluations: gradients * restarts,
    diverged,
    counts,
    trajectories: { minimum: zeros(), loss: zeros(), distance: zeros(), gradientEvaluations: zeros(), iterations: zeros(), end: [zeros(), zeros()] },
  };
}

function check(over: Partial<CheckResult> & Pick<CheckResult, "text" | "kind" | "test">): CheckResult {
  return {
    location: "t.optspec:1:1",
    mode: "expect",
    statistic: null,
    pValue: null,
    adjustedPValue: null,
    alpha: null,
    df: null,
    expected: null,
    effectSize: null,
    effectSizeName: null,
    passed: true,
    holds: true,
    ...over,
  };
}

const HYPOTHESES: HypothesisResult[] = [
  {
    name: "P beats Q",
    location: "t.optspec:10:1",
    adjust: "holm",
    passed: false,
    checks: [
      check({
        text: "expect mannwhitney(E.P on L, E.Q on L) significant at 0.05",
        kind: "test",
        test: "mannwhitney",
        statistic: 12.5,
        pValue: 0.0123,
        adjustedPValue: 0.0246,
        alpha: 0.05,
        expected: "significant at 0.05",
        effectSize: -0.625,
        effectSizeName: "Cliff's delta",
      }),
      check({
        text: "expect chisquare(E.P on L, E.Q on L) not significant at 0.05",
        kind: "test",
        test: "chisquare",
        statistic: 7.8125,
        pValue: 0.0201,
        adjustedPValue: 0.0402,
        alpha: 0.05,
        df: 2,
        expected: "not significant at 0.05",
        effectSize: 0.4,
        effectSizeName: "Cramer's V",
        passed: false,
        holds: false,
      }),
      check({
        text: "expect share(E.P on L, Else) < share(E.Q on L, Else) with confidence 0.95",
        kind: "compare",
        test: "<",
        expected: "left < right (95% intervals apart)",
        left: { value: 0.25, lower: 0.1, upper: 0.4 },
        right: { value: 0.5, lower: 0.45, upper: 0.55 },
      }),
    ],
  },
  {
    name: "what Q does",
    location: "t.optspec:20:1",
    adjust: "none",
    passed: true,
    checks: [
      check({ text: "observe median(E.Q on L, f)", kind: "value", mode: "observe", test: "median", left: { value: 0.0375 }, passed: null, holds: null }),
      check({
        text: "observe share(E.Q on L, A) > share(E.P on L, A)",
        kind: "compare",
        mode: "observe",
        test: ">",
        left: { value: 0.125 },
        right: { value: 0.5 },
        expected: "left > right",
        passed: null,
        holds: false,
      }),
      check({ text: "observe ttest(E.Q on L, E.P on K)", kind: "test", mode: "observe", test: "ttest", passed: null, holds: null, error: "no common landscape" }),
    ],
  },
];

const RESULTS: Results = {
  spec: "specs/t.optspec",
  specHash: "9f8e7d6c5b4a3210",
  optspecVersion: "0.1.0",
  seed: 42,
  backend: "js",
  workers: 3,
  node: "v20.11.1",
  cpu: "Test CPU @ 3.00GHz",
  wallSeconds: 12.3456,
  experiments: [
    {
      name: "E",
      seed: 42,
      restarts: 8,
      budget: { gradients: 100, iterations: null },
      radius: 0.1,
      landscapes: [
        { name: "L", declaration: "L", params: {}, coordinates: ["x", "y"], minima: TWO, lower: [-1, -1], upper: [2, 2] },
        { name: "K", declaration: "K", params: {}, coordinates: ["x", "y"], minima: THREE, lower: [-1, -1], upper: [2, 2] },
      ],
      optimizers: [
        { name: "P", declaration: "P", params: {} },
        { name: "Q", declaration: "Q", params: {} },
      ] as unknown as Results["experiments"][number]["optimizers"],
      cells: [
        cell("L", "P", { A: 4, B: 2, Else: 2 }, 1, 100),
        cell("L", "Q", { A: 1, B: 3, Else: 4 }, 0, 98),
        cell("K", "P", { GM: 8, LM1: 0, LM2: 0, Else: 0 }, 0, 100),
        cell("K", "Q", { GM: 3, LM1: 3, LM2: 1, Else: 1 }, 0, 77),
      ],
    },
  ],
  hypotheses: HYPOTHESES,
};

// Per landscape and optimizer: percent per minimum then Else, diverged, gradients per restart.
const EXPECTED: Record<string, Record<string, string[]>> = {
  L: { P: ["50.0", "25.0", "25.0", "1", "100"], Q: ["12.5", "37.5", "50.0", "0", "98"] },
  K: { P: ["100.0", "0.0", "0.0", "0.0", "0", "100"], Q: ["37.5", "37.5", "12.5", "12.5", "0", "77"] },
};

const FIGURES: Figure[] = [
  {
    id: "E-L-shares",
    title: "Stationary distribution on L (E)",
    caption: "Share of end points per minimum <and Else>.",
    svg: '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="200" height="100" viewBox="0 0 200 100"><defs><clipPath id="c1"><rect width="10" height="10"/></clipPath></defs><rect width="200" height="100" fill="#4c78a8" clip-path="url(#c1)"/></svg>',
  },
  { id: "E-K-loss", title: "Loss curves on K (E)", caption: "Median loss.", svg: '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100"><clipPath id="E-K-loss-1"><rect width="9" height="9"/></clipPath><circle cx="50" cy="50" r="40" clip-path="url(#E-K-loss-1)"/></svg>' },
];

const figures = async () => FIGURES;

const temporary: string[] = [];
afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});
function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), "optspec-report-"));
  temporary.push(dir);
  return dir;
}

/** The data rows of the HTML table captioned `landscape`, as arrays of cell texts. */
function htmlRows(html: string, landscape: string): Record<string, string[]> {
  const table = html.match(new RegExp(`<caption>${landscape}</caption>([\\s\\S]*?)</table>`))?.[1];
  expect(table, `table of ${landscape}`).toBeDefined();
  const rows: Record<string, string[]> = {};
  for (const [, name, cells] of table!.matchAll(/<tr><th scope="row">([^<]*)<\/th>(.*?)<\/tr>/g)) rows[name!] = [...cells!.matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((m) => m[1]!);
  return rows;
}

/** The data rows of the Markdown table under `#### landscape`. */
function markdownRows(markdown: string, landscape: string): Record<string, string[]> {
  const section = markdown.split(`#### ${landscape}\n\n`)[1]!.split("\n\n")[0]!;
  const rows: Record<string, string[]> = {};
  for (const line of section.split("\n").slice(2)) {
    const [name, ...cells] = line.slice(2, -2).split(" | ");
    rows[name!] = cells;
  }
  return rows;
}

describe("the HTML report", () => {
  const html = renderHtmlReport(RESULTS, FIGURES);

  it("records what reproduces the run", () => {
    for (const text of ["specs/t.optspec", "9f8e7d6c5b4a3210", "<dt>seed</dt>", "42", "0.1.0", "js", "v20.11.1", "Test CPU @ 3.00GHz", "12.35 s"]) expect(html).toContain(text);
    expect(html).toMatch(/<dt>workers<\/dt><dd[^>]*>3<\/dd>/);
  });

  it("has every landscape's table with the terminal table's percentages", () => {
    for (const [landscape, rows] of Object.entries(EXPECTED)) expect(htmlRows(html, landscape)).toEqual(rows);
    // The same numbers as runtime/report/table.ts prints.
    const text = formatStationaryTables(RESULTS);
    for (const rows of Object.values(EXPECTED)) for (const [optimizer, cells] of Object.entries(rows)) expect(text).toMatch(new RegExp(`^${optimizer}\\s+${cells.join("\\s+")}$`, "m"));
    expect(html).toContain('<th scope="col">LM1<span class="kind">local</span></th>');
  });

  it("has each hypothesis check with its verdict and numbers", () => {
    const rows = [...html.matchAll(/<tr><td class="verdict (\w+)">.*?<\/tr>/g)].map((m) => m[0]);
    expect(rows).toHaveLength(6);
    expect(rows.map((r) => r.match(/verdict (\w+)/)![1])).toEqual(["PASS", "FAIL", "PASS", "OBS", "OBS", "OBS"]);
    const texts = rows.map((r) => [...r.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((m) => m[1]));
    expect(texts[0]).toEqual([
      "PASS",
      "<code>expect mannwhitney(E.P on L, E.Q on L) significant at 0.05</code>",
      "mannwhitney",
      "12.5",
      "0.0123",
      "0.0246",
      "Cliff&#39;s delta -0.625 (A12 0.1875)",
      "",
      "significant at 0.05",
    ]);
    expect(texts[1]!.slice(2, 9)).toEqual(["chisquare (df 2)", "7.813", "0.0201", "0.0402", "Cramer&#39;s V 0.4", "", "not significant at 0.05"]);
    expect(texts[2]!.slice(1)).toEqual([
      "<code>expect share(E.P on L, Else) &lt; share(E.Q on L, Else) with confidence 0.95</code>",
      "comparison &lt;",
      "",
      "",
      "",
      "",
      "0.25 [0.1, 0.4] &lt; 0.5 [0.45, 0.55]",
      "left &lt; right (95% intervals apart)",
    ]);
    expect(texts[3]![2]).toBe("median");
    expect(texts[3]![7]).toBe("0.0375");
    expect(texts[4]![1]).toContain("(does not hold)");
    expect(texts[5]![1]).toContain("could not be computed: no common landscape");
    expect(html).toContain('<span class="fails">fails</span> &quot;P beats Q&quot; (p adjusted: holm)');
    expect(html).toContain('<span class="observed">observed</span> &quot;what Q does&quot;');
    expect(html).toContain("Hypotheses: 2 passed, 1 failed, 3 observed");
  });

  it("inlines every figure with its title and caption, and nothing that fetches or runs", () => {
    for (const f of FIGURES) {
      expect(html).toContain(`<figure class="figure" id="figure-${f.id}">`);
      expect(html).toContain(`<h3>${f.title}</h3>`);
    }
    expect(html).toContain("Share of end points per minimum &lt;and Else&gt;.");
    expect(html).not.toContain("<?xml");
    // Ids are scoped by figure, so two plots never share a clip path.
    expect(html).toContain('id="E-L-shares-c1"');
    expect(html).toContain('clip-path="url(#E-L-shares-c1)"');
    expect(html).toContain('clip-path="url(#E-K-loss-1)"');
    expect(html).not.toMatch(/<script|<link|@import|url\(http|src="http|@font-face/i);
    expect(html).toContain("default-src 'none'");
  });

  it("leaves out the sections the run has nothing for", () => {
    const bare = renderHtmlReport({ ...RESULTS, hypotheses: undefined }, []);
    expect(bare).not.toContain('id="figures"');
    expect(bare).not.toContain('id="hypotheses"');
    expect(bare).toContain('id="tables"');
  });
});

describe("the Markdown report", () => {
  const markdown = formatMarkdownReport(RESULTS, FIGURES);

  it("records what reproduces the run", () => {
    for (const line of ["| spec | specs/t.optspec |", "| spec hash | 9f8e7d6c5b4a3210 |", "| seed | 42 |", "| optspec | 0.1.0 |", "| backend | js |", "| Node | v20.11.1 |", "| CPU | Test CPU @ 3.00GHz |", "| workers | 3 |", "| wall time | 12.35 s |"])
      expect(markdown).toContain(line);
  });

  it("names the seeds of every experiment when they differ", () => {
    const two = { ...RESULTS, seed: null, experiments: [RESULTS.experiments[0]!, { ...RESULTS.experiments[0]!, name: "F", seed: 7 }] };
    expect(formatMarkdownReport(two)).toContain("| seeds | E 42, F 7 |");
  });

  it("has every landscape's table with the terminal table's percentages", () => {
    for (const [landscape, rows] of Object.entries(EXPECTED)) expect(markdownRows(markdown, landscape)).toEqual(rows);
    expect(markdown).toContain("| optimizer | GM (global) | LM1 (local) | LM2 (local) | Else | diverged | grad/restart |");
  });

  it("has each hypothesis check with its verdict and numbers", () => {
    expect(markdown).toContain("| **PASS** | `expect mannwhitney(E.P on L, E.Q on L) significant at 0.05` | mannwhitney | 12.5 | 0.0123 | 0.0246 | Cliff's delta -0.625 (A12 0.1875) |  | significant at 0.05 |");
    expect(markdown).toContain("| **FAIL** | `expect chisquare(E.P on L, E.Q on L) not significant at 0.05` | chisquare (df 2) | 7.813 | 0.0201 | 0.0402 | Cramer's V 0.4 |  | not significant at 0.05 |");
    expect(markdown).toContain(
      "| **PASS** | `expect share(E.P on L, Else) < share(E.Q on L, Else) with confidence 0.95` | comparison < |  |  |  |  | 0.25 [0.1, 0.4] < 0.5 [0.45, 0.55] | left < right (95% intervals apart) |",
    );
    expect(markdown).toContain("| **OBS** | `observe median(E.Q on L, f)` | median |  |  |  |  | 0.0375 |  |");
    expect(markdown).toContain("`observe share(E.Q on L, A) > share(E.P on L, A)` (does not hold)");
    expect(markdown).toContain("(could not be computed: no common landscape)");
    expect(markdown).toContain('### fails: "P beats Q" (p adjusted: holm)');
    expect(markdown).toContain("Hypotheses: **2 passed, 1 failed, 3 observed**");
  });

  it("refers to figures by their SVG files, and leaves them out of a step summary", () => {
    for (const f of FIGURES) expect(markdown).toContain(`![${f.title}](${f.id}.svg)`);
    expect(markdown).toContain("Share of end points per minimum &lt;and Else>.");
    const summary = formatMarkdownReport(RESULTS);
    expect(summary).not.toContain("![");
    expect(summary).not.toContain("## Figures");
    expect(summary).toContain("## Hypotheses");
  });
});

describe("writing the report folder", () => {
  it("writes every file, and junit.xml only when there are hypotheses", async () => {
    const dir = join(folder(), "reports", "t");
    await writeReport(dir, RESULTS, { renderFigures: figures });
    expect(readdirSync(dir).sort()).toEqual(["E-K-loss.svg", "E-L-shares.svg", "index.html", "junit.xml", "report.md", "results.json"]);
    expect(readFileSync(join(dir, "results.json"), "utf8")).toBe(`${resultsToJson(RESULTS)}\n`);
    expect(readFileSync(join(dir, "junit.xml"), "utf8")).toContain('<testsuite name="P beats Q" tests="3" failures="1"');
    const bare = join(folder(), "bare");
    await writeReport(bare, { ...RESULTS, hypotheses: undefined }, { renderFigures: async () => [] });
    expect(readdirSync(bare).sort()).toEqual(["index.html", "report.md", "results.json"]);
  });

  it("tidies what a killed run left: removes its temporary folder and puts back a report it had set aside", () => {
    // A pid no process has: the leftovers are a dead run's.
    const dead = 2 ** 22 + 12345;
    const parent = folder();
    const dir = join(parent, "t");
    mkdirSync(`${dir}.tmp-${dead}`);
    writeFileSync(join(`${dir}.tmp-${dead}`, "index.html"), "half");
    mkdirSync(`${dir}.old-${dead}-0`);
    writeFileSync(join(`${dir}.old-${dead}-0`, "report.md"), "complete");
    mkdirSync(`${dir}.tmp-${process.pid}`); // this process's own: left alone
    recoverLeftovers(dir);
    expect(readdirSync(parent).sort()).toEqual(["t", `t.tmp-${process.pid}`]);
    expect(readFileSync(join(dir, "report.md"), "utf8")).toBe("complete");
  });

  it("replaces an earlier report as a whole, leaving no temporary folder", async () => {
    const parent = folder();
    const dir = join(parent, "t");
    await writeReport(dir, RESULTS, { renderFigures: figures });
    await writeReport(dir, { ...RESULTS, hypotheses: undefined, wallSeconds: 1 }, { renderFigures: async () => [FIGURES[1]!] });
    expect(readdirSync(dir).sort()).toEqual(["E-K-loss.svg", "index.html", "report.md", "results.json"]);
    expect(readFileSync(join(dir, "report.md"), "utf8")).toContain("| wall time | 1.00 s |");
    expect(readdirSync(parent)).toEqual(["t"]);
  });

  it("leaves the earlier report untouched when a write fails midway", async () => {
    const parent = folder();
    const dir = join(parent, "t");
    await writeReport(dir, RESULTS, { renderFigures: figures });
    const before = Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), "utf8")]));
    const written: string[] = [];
    const failing = (path: string, content: string) => {
      if (path.endsWith("E-K-loss.svg")) throw new Error("disk full");
      writeFileSync(path, content);
      written.push(path);
    };
    const other = { ...RESULTS, wallSeconds: 99, hypotheses: undefined };
    await expect(writeReport(dir, other, { renderFigures: figures, writeFile: failing })).rejects.toThrow(/cannot write the report.*disk full/);
    expect(written.length).toBeGreaterThan(0);
    expect(Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), "utf8")]))).toEqual(before);
    expect(readdirSync(parent)).toEqual(["t"]);
    // So does a figure renderer that fails.
    await expect(writeReport(dir, other, { renderFigures: async () => Promise.reject(new Error("vega broke")) })).rejects.toThrow(/vega broke/);
    expect(readdirSync(parent)).toEqual(["t"]);
    expect(readFileSync(join(dir, "report.md"), "utf8")).toBe(before["report.md"]);
  });

  it("refuses to replace a folder that is not a report", async () => {
    const dir = folder();
    writeFileSync(join(dir, "notes.txt"), "mine");
    expect(() => checkReportFolder(dir)).toThrow(ReportError);
    await expect(writeReport(dir, RESULTS, { renderFigures: figures })).rejects.toThrow(/notes\.txt.*new or empty folder/);
    expect(readFileSync(join(dir, "notes.txt"), "utf8")).toBe("mine");
    const file = join(dir, "file");
    writeFileSync(file, "");
    expect(() => checkReportFolder(file)).toThrow(/is a file/);
    const empty = join(dir, "empty");
    mkdirSync(empty);
    expect(() => checkReportFolder(empty)).not.toThrow();
    expect(existsSync(join(dir, "missing"))).toBe(false);
    expect(() => checkReportFolder(join(dir, "missing"))).not.toThrow();
  });

  it("rejects figures whose ids cannot name a file", async () => {
    await expect(buildReportFiles(RESULTS, { renderFigures: async () => [{ ...FIGURES[0]!, id: "../escape" }] })).rejects.toThrow(/cannot name a file/);
    await expect(buildReportFiles(RESULTS, { renderFigures: async () => [FIGURES[0]!, FIGURES[0]!] })).rejects.toThrow(/two figures/);
  });
});

describe("results read back from JSON", () => {
  it("gives the same report, with non-finite numbers revived", async () => {
    const c = RESULTS.experiments[0]!.cells[0]!;
    const withInfinity: Results = {
      ...RESULTS,
      experiments: [{ ...RESULTS.experiments[0]!, cells: [{ ...c, trajectories: { ...c.trajectories, loss: [NaN, ...c.trajectories.loss.slice(1)], distance: [Infinity, ...c.trajectories.distance.slice(1)] } }, ...RESULTS.experiments[0]!.cells.slice(1)] }],
    };
    const back = resultsFromJson(resultsToJson(withInfinity));
    expect(back.experiments[0]!.cells[0]!.trajectories.loss[0]).toBeNaN();
    expect(back.experiments[0]!.cells[0]!.trajectories.distance[0]).toBe(Infinity);
    expect(back).toEqual(withInfinity);
    const a = await buildReportFiles(withInfinity, { renderFigures: figures });
    const b = await buildReportFiles(back, { renderFigures: figures });
    expect([...b]).toEqual([...a]);
  });

  it("keeps names that read like non-finite numbers", () => {
    const odd = { ...RESULTS, experiments: [{ ...RESULTS.experiments[0]!, name: "NaN", landscapes: RESULTS.experiments[0]!.landscapes.map((l) => ({ ...l, coordinates: ["Infinity", "y"] })) }] };
    const back = resultsFromJson(resultsToJson(odd));
    expect(back.experiments[0]!.name).toBe("NaN");
    expect(back.experiments[0]!.landscapes[0]!.coordinates).toEqual(["Infinity", "y"]);
  });

  it("names what is wrong with a file that is not optspec results", () => {
    expect(() => resultsFromJson("{")).toThrow(/not valid JSON/);
    expect(() => resultsFromJson("[1, 2]")).toThrow(/not optspec results \(not an object\)/);
    expect(() => resultsFromJson('{"format": "optspec-plan"}')).toThrow(/no 'spec'/);
    const { experiments: _, ...noExperiments } = JSON.parse(resultsToJson(RESULTS));
    expect(() => resultsFromJson(JSON.stringify(noExperiments))).toThrow(/no experiments list/);
    const badCell = JSON.parse(resultsToJson(RESULTS));
    badCell.experiments[0].cells[0].landscape = "Nowhere";
    expect(() => resultsFromJson(JSON.stringify(badCell))).toThrow(/unknown landscape 'Nowhere'/);
  });
});

describe("progress", () => {
  const event = (cellsDone: number, steps: number, experiment = "E"): RunProgress => ({ experiment, cellsDone, cells: 4, steps });

  it("prints at most a line per experiment per second, and one when it is done", () => {
    let clock = 0;
    const lines: string[] = [];
    const progress = createProgress({ write: (t) => lines.push(t), now: () => clock });
    progress.start([{ name: "E", cells: 4 }]);
    clock = 200;
    progress.update(event(1, 2e6));
    clock = 1100;
    progress.update(event(2, 4e6));
    clock = 1500;
    progress.update(event(3, 6e6));
    clock = 2000;
    progress.update(event(4, 8e6));
    progress.stop();
    expect(lines).toEqual(["E: 2/4 cells, 3.6M trajectory-steps/s, 1.1 s, about 2 s left\n", "E: 4/4 cells, 4.0M trajectory-steps/s, 2.0 s\n"]);
  });

  it("is silent with --quiet", () => {
    const lines: string[] = [];
    const progress = createProgress({ quiet: true, write: (t) => lines.push(t) });
    progress.start([{ name: "E", cells: 4 }]);
    progress.update(event(4, 1));
    progress.stop();
    expect(lines).toEqual([]);
  });

  it("hears from runPlan as cells finish, in this thread and on workers", async () => {
    const compiled = compileText(`import "std/landscapes"\nimport "std/optimizers"
experiment A { on Himmelblau, SixHumpCamel run GD, SAM restarts 150 budget 40 gradients seed 1 }
experiment B { on Himmelblau run GD restarts 20 budget 30 gradients seed 2 }`);
    for (const workers of [0, 4]) {
      const events: RunProgress[] = [];
      await runPlan(compiled.plan, (f) => compiled.kernels.get(f)!, { workers, onProgress: (e) => events.push(e) });
      const last = (name: string) => events.filter((e) => e.experiment === name).at(-1);
      expect(last("A"), `workers ${workers}`).toEqual({ experiment: "A", cellsDone: 4, cells: 4, steps: 4 * 150 * 40 });
      expect(last("B")).toEqual({ experiment: "B", cellsDone: 1, cells: 1, steps: 20 * 30 });
      for (const name of ["A", "B"]) {
        const own = events.filter((e) => e.experiment === name);
        for (let i = 1; i < own.length; i++) expect(own[i]!.steps).toBeGreaterThan(own[i - 1]!.steps);
      }
      // On four workers, a cell of 150 restarts is split into pieces, each reported.
      if (workers > 0) expect(events.filter((e) => e.experiment === "A").length).toBeGreaterThan(4);
    }
  });
});
