// Experiments: required and repeated clauses, restarts, budget, seed, assignment radius and
// the initial box or point.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildSync } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import { at, diagnose, expectDiagnostics, start, STD } from "./helpers.js";

/** An experiment on Himmelblau running GD, with `clauses` after 'on' and 'run'. */
const experiment = (clauses: string) => `${STD}experiment E { on Himmelblau run GD ${clauses} }`;

describe("required and repeated clauses (E302, E303)", () => {
  it("reports each missing clause at the experiment's name, with an example", () => {
    const d = expectDiagnostics("experiment ⟨1⟩Empty {}", [
      { code: "E302", message: "experiment 'Empty' has no 'on' clause", at: 1 },
      { code: "E302", message: "experiment 'Empty' has no 'run' clause", at: 1 },
      { code: "E302", message: "experiment 'Empty' has no 'restarts' clause", at: 1 },
      { code: "E302", message: "experiment 'Empty' has no 'budget' clause", at: 1 },
    ]);
    expect(d.diagnostics.map((x) => x.suggestion)).toEqual([
      "add e.g. 'on Himmelblau, SixHumpCamel'",
      "add e.g. 'run GD, SAM'",
      "add e.g. 'restarts 500'",
      "add e.g. 'budget 5000 gradients' or 'budget 1000 iterations'",
    ]);
  });

  it("reports only the clauses that are missing", () => {
    expectDiagnostics(`${STD}experiment ⟨1⟩E {\n  on Himmelblau\n  run GD\n}`, [
      { code: "E302", message: "experiment 'E' has no 'restarts' clause", at: 1 },
      { code: "E302", message: "experiment 'E' has no 'budget' clause", at: 1 },
    ]);
  });

  it("does not require 'init', 'seed' or 'assign'", () => {
    const d = expectDiagnostics(experiment("restarts 2 budget 10 gradients"), []);
    expect(d.result.plan?.experiments[0]).toMatchObject({ seed: 0, radius: 0.1, restarts: 2, budget: { gradients: 10, iterations: null } });
  });

  it("reports a repeated clause at the second one, with the first as related location", () => {
    const d = expectDiagnostics(experiment("restarts 1 ⟨1⟩restarts 2 budget 10 gradients"), [
      { code: "E303", message: "'restarts' is given twice in experiment 'E'", at: 1 },
    ]);
    expect(d.diagnostics[0]!.suggestion).toBe("keep one");
    expect(d.diagnostics[0]!.related.map((r) => ({ message: r.message, ...start(r.span) }))).toEqual([{ message: "first given here", line: 3, column: 37 }]);
  });

  it("suggests one list for a repeated 'on' or 'run', and checks every repeated clause", () => {
    const d = expectDiagnostics(`${STD}experiment E {\n  on Himmelblau\n  ⟨1⟩on SixHumpCamel\n  run GD\n  ⟨2⟩run SAM\n  restarts 1 budget 1 gradients ⟨3⟩budget 2 iterations\n  seed 1 ⟨4⟩seed 2\n}`, [
      { code: "E303", message: "'on' is given twice in experiment 'E'", at: 1 },
      { code: "E303", message: "'run' is given twice in experiment 'E'", at: 2 },
      { code: "E303", message: "'budget' is given twice in experiment 'E'", at: 3 },
      { code: "E303", message: "'seed' is given twice in experiment 'E'", at: 4 },
    ]);
    expect(d.diagnostics[0]!.suggestion).toBe("list all of them in one clause, separated by commas");
  });
});

describe("restarts and budget (E300, E301)", () => {
  it.each([
    ["0", "0"],
    ["-3", "-3"],
    ["2.5", "2.5"],
    ["1e400", "Infinity"],
    ["1 - 1", "0"],
  ])("rejects restarts %s", (written, value) => {
    expectDiagnostics(experiment(`restarts ⟨1⟩${written} budget 10 gradients`), [
      { code: "E300", message: `the number of restarts is ${value}; it must be a positive integer`, at: 1 },
    ]);
  });

  it.each([
    ["0 gradients", "0"],
    ["-5 iterations", "-5"],
    ["0.5 gradients", "0.5"],
  ])("rejects budget %s", (written, value) => {
    expectDiagnostics(experiment(`restarts 1 budget ⟨1⟩${written}`), [{ code: "E301", message: `the budget is ${value}; it must be a positive integer`, at: 1 }]);
  });

  it("accepts constant expressions", () => {
    const d = expectDiagnostics(experiment("restarts 2 * 50 budget 1e4 iterations seed 2^10 assign nearest minimum within 1/20"), []);
    expect(d.result.plan?.experiments[0]).toMatchObject({ restarts: 100, budget: { gradients: null, iterations: 10000 }, seed: 1024, radius: 0.05 });
  });

  it("reports an unknown name or a state name in a count", () => {
    expectDiagnostics(experiment("restarts ⟨1⟩n budget ⟨2⟩evals gradients"), [
      { code: "E100", message: "unknown name 'n'", at: 1 },
      { code: "E109", message: "'evals' changes along a trajectory and cannot be used in the budget", at: 2 },
    ]);
  });

  it("runs the compiler in a child process (the harness of the next test)", () => {
    const outcome = compileInChildProcess("landscape L { vars x in [-1, 1] f = x^2 }\noptimizer O { descend 0.1 }\nexperiment E { on L run O restarts 0 budget 1 iterations }", 10_000);
    expect(outcome).toEqual({ timedOut: false, codes: ["E300"] });
  });

  it("does not hang on a sum with an infinite bound", () => {
    const outcome = compileInChildProcess("landscape L { vars x in [-1, 1] f = x^2 }\noptimizer O { descend 0.1 }\nexperiment E { on L run O restarts sum(i in 1..1/0, 1) budget 1 iterations }", 1000);
    expect(outcome.timedOut).toBe(false);
    expect(outcome.codes).toContain("E109"); // the bounds of a sum must be integers
  });
});

describe("seed and assignment radius (E306, E304)", () => {
  it("rejects a negative or fractional seed", () => {
    expectDiagnostics(`${STD}experiment A { on Himmelblau run GD restarts 1 budget 1 gradients seed ⟨1⟩-1 }\nexperiment B { on Himmelblau run GD restarts 1 budget 1 gradients seed ⟨2⟩0.5 }`, [
      { code: "E306", message: "the seed is -1; it must be a non-negative integer below 2^53", at: 1 },
      { code: "E306", message: "the seed is 0.5; it must be a non-negative integer below 2^53", at: 2 },
    ]);
  });

  it("rejects a zero or negative radius, at the value", () => {
    expectDiagnostics(
      `${STD}experiment A { on Himmelblau run GD restarts 1 budget 1 gradients assign nearest minimum within ⟨1⟩0 }\nexperiment B { on Himmelblau run GD restarts 1 budget 1 gradients assign nearest minimum within ⟨2⟩-0.1 }`,
      [
        { code: "E304", message: "the assignment radius is 0; it must be positive", at: 1 },
        { code: "E304", message: "the assignment radius is -0.1; it must be positive", at: 2 },
      ],
    );
  });
});

describe("the initial box or point (E305)", () => {
  it("rejects a box with the wrong number of intervals, at the clause", () => {
    const d = expectDiagnostics(experiment("restarts 1 budget 1 gradients ⟨1⟩init uniform in [0, 1], [0, 1], [0, 1]"), [
      { code: "E305", message: "the initial box has 3 intervals, but 'Himmelblau' has 2 coordinates", at: 1 },
    ]);
    expect(d.diagnostics[0]!.suggestion).toBe("give one interval for every coordinate, or a single interval for all of them");
  });

  it("checks the box against every landscape of the experiment, with its arguments", () => {
    expectDiagnostics(`${STD}experiment E { on Himmelblau, Rastrigin(n = 3) run GD restarts 1 budget 1 gradients ⟨1⟩init uniform in [0, 1], [0, 1] }`, [
      { code: "E305", message: "the initial box has 2 intervals, but 'Rastrigin' has 3 coordinates", at: 1 },
    ]);
  });

  it("accepts one interval for all coordinates, one per coordinate, and a point", () => {
    const d = expectDiagnostics(
      `${STD}experiment A { on Himmelblau, Rastrigin(n = 3) run GD restarts 1 budget 1 gradients init uniform in [0, 1] }\nexperiment B { on Himmelblau run GD restarts 1 budget 1 gradients init uniform in [0, 1], [2, 3] }\nexperiment C { on Rastrigin(n = 4) run GD restarts 1 budget 1 gradients init at all(0.5) }`,
      [],
    );
    expect(d.result.plan?.experiments.map((e) => e.landscapes.map((l) => l.init))).toEqual([
      [
        { mode: "uniform", lower: [0, 0], upper: [1, 1] },
        { mode: "uniform", lower: [0, 0, 0], upper: [1, 1, 1] },
      ],
      [{ mode: "uniform", lower: [0, 2], upper: [1, 3] }],
      [{ mode: "point", at: [0.5, 0.5, 0.5, 0.5] }],
    ]);
  });

  it("rejects an initial point with the wrong number of coordinates, at the point", () => {
    const d = diagnose(experiment("restarts 1 budget 1 gradients init at ⟨1⟩(1)"));
    expect(d.diagnostics.map((x) => ({ message: x.message, ...start(x.span) }))).toEqual([
      { message: "the initial point on 'Himmelblau' has 1 coordinate, but the landscape has 2 dimensions", ...at(d, 1) },
    ]);
  });

  it("reports an initial point of the wrong dimension as E305", () => {
    expectDiagnostics(experiment("restarts 1 budget 1 gradients init at ⟨1⟩(1)"), [{ code: "E305", message: /initial point/, at: 1 }]);
  });
});

/**
 * Compiles `text` in a child process that is killed after `timeoutMs`: for inputs that may
 * hang the compiler. The compiler is bundled with esbuild (the standard library is not needed).
 */
function compileInChildProcess(text: string, timeoutMs: number): { timedOut: boolean; codes: string[] } {
  const child = spawnSync(process.execPath, [compilerBundle()], { input: text, timeout: timeoutMs, encoding: "utf8", killSignal: "SIGKILL" });
  const timedOut = child.error !== undefined || child.signal !== null;
  return { timedOut, codes: timedOut ? [] : (JSON.parse(child.stdout) as string[]) };
}

let bundlePath: string | undefined;

/** A script that compiles its stdin and prints the diagnostics' codes as JSON, built once. */
function compilerBundle(): string {
  if (bundlePath) return bundlePath;
  const root = resolve(import.meta.dirname, "../../..");
  const entry = `import { compileSpec } from "./compiler/index.ts";
    import { memoryHost } from "./compiler/source.ts";
    let text = ""; process.stdin.setEncoding("utf8");
    process.stdin.on("data", (c) => (text += c));
    process.stdin.on("end", () => {
      const r = compileSpec("/virtual/spec.optspec", { host: memoryHost({}), text });
      process.stdout.write(JSON.stringify(r.diagnostics.map((d) => d.code)));
    });`;
  const bundle = buildSync({ stdin: { contents: entry, resolveDir: root, loader: "ts" }, bundle: true, platform: "node", format: "esm", write: false, logLevel: "silent" });
  const dir = mkdtempSync(join(tmpdir(), "optspec-check-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  bundlePath = join(dir, "compile.mjs");
  writeFileSync(bundlePath, bundle.outputFiles[0]!.text);
  return bundlePath;
}

describe("record every N gradients", () => {
  it("needs a positive integer, a gradient budget and at most 10000 points", () => {
    expectDiagnostics(
      `${STD}experiment A { on Himmelblau run GD restarts 1 budget 100 gradients record every ⟨1⟩0 gradients }
experiment B { on Himmelblau run GD restarts 1 budget 100 iterations ⟨2⟩record every 5 gradients }
experiment C { on Himmelblau run GD restarts 1 budget 100000 gradients record every ⟨3⟩1 gradients }`,
      [
        { code: "E404", message: "the recording stride is 0; it must be a positive integer number of gradients", at: 1 },
        { code: "E404", message: "loss curves are recorded along a budget in gradients; this experiment counts iterations", at: 2 },
        { code: "E404", message: "recording every 1 gradients of 100000 makes 100001 points per curve; at most 10000 are kept", at: 3 },
      ],
    );
  });
});
