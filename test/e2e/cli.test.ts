// End to end: the command line itself (usage errors, --help, --version) and failures of
// the files optc reads or writes.
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  PAPER_SPEC,
  REPO,
  ensureBuilt,
  expectNoStackTrace,
  experimentSpec,
  leftoverTemporaryFiles,
  optc,
  optcExpect,
  removeTemporaryFolders,
  temporaryFolder,
  writeSpec,
} from "./helpers.js";

ensureBuilt();
afterAll(removeTemporaryFolders);

const USAGE_LINE = /^usage:$/m;
const version = (JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string }).version;

describe("--version and --help", () => {
  it("--version prints the version and exits 0", () => {
    for (const flag of ["--version", "-v"]) {
      const run = optcExpect([flag], 0);
      expect(run.stdout.trim()).toBe(version);
      expect(run.stderr).toBe("");
    }
  });

  it("--help prints the usage on stdout and exits 0", () => {
    for (const flag of ["--help", "-h", "help"]) {
      const run = optcExpect([flag], 0);
      expect(run.stdout).toMatch(USAGE_LINE);
      for (const command of ["compile", "run", "check", "fmt"]) expect(run.stdout).toContain(`optc ${command}`);
      for (const flag of ["--json", "--restarts", "--seed", "--workers", "--quiet", "--out", "--write"]) expect(run.stdout).toContain(flag);
      expect(run.stdout).toContain("exit codes");
      expect(run.stderr).toBe("");
    }
  });
});

describe("bad command lines exit 2 with a message and the usage, never a stack trace", () => {
  const cases: { name: string; args: string[]; message: RegExp }[] = [
    { name: "no command", args: [], message: /missing command/ },
    { name: "unknown command", args: ["frobnicate"], message: /unknown command 'frobnicate'/ },
    { name: "unknown flag", args: ["run", PAPER_SPEC, "--no-report", "--bogus"], message: /--bogus/ },
    { name: "unknown flag of compile", args: ["compile", PAPER_SPEC, "--json", "-"], message: /--json/ },
    { name: "--backend gpu", args: ["run", PAPER_SPEC, "--no-report", "--backend", "gpu"], message: /--backend must be one of 'auto', 'js', 'wasm', 'gpujs', 'cpu', 'tfjs-node', 'tfjs-node-gpu', got 'gpu'/ },
    { name: "--restarts 0", args: ["run", PAPER_SPEC, "--no-report", "--restarts", "0"], message: /--restarts must be an integer of at least 1, got '0'/ },
    { name: "--restarts abc", args: ["run", PAPER_SPEC, "--no-report", "--restarts", "abc"], message: /--restarts must be an integer of at least 1, got 'abc'/ },
    { name: "--restarts 1.5", args: ["run", PAPER_SPEC, "--no-report", "--restarts", "1.5"], message: /--restarts must be an integer/ },
    { name: "--seed 1e3", args: ["run", PAPER_SPEC, "--no-report", "--seed", "1e3"], message: /--seed must be an integer of at least 0/ },
    { name: "--workers=-1", args: ["run", PAPER_SPEC, "--no-report", "--workers=-1"], message: /--workers must be an integer of at least 0, got '-1'/ },
    { name: "--workers -1", args: ["run", PAPER_SPEC, "--no-report", "--workers", "-1"], message: /--workers/ },
    { name: "--json without a value", args: ["run", PAPER_SPEC, "--no-report", "--json"], message: /--json/ },
    { name: "run without a spec", args: ["run"], message: /missing spec file or plan\.json/ },
    { name: "check without a spec", args: ["check"], message: /missing spec file/ },
    { name: "compile without a spec", args: ["compile"], message: /missing spec file/ },
    { name: "fmt without a spec", args: ["fmt"], message: /missing spec file/ },
    { name: "two specs", args: ["run", PAPER_SPEC, "--no-report", PAPER_SPEC], message: /expected one spec file or plan\.json, got 2/ },
    { name: "run on a JSON file that is not a plan", args: ["run", "package.json", "--no-report"], message: /'package\.json' is not an optspec plan; make one with 'optc compile SPEC'/ },
    { name: "run on a missing plan", args: ["run", "no/such/plan.json", "--no-report"], message: /cannot read plan 'no\/such\/plan\.json'/ },
  ];

  for (const { name, args, message } of cases) {
    it(name, () => {
      const run = optcExpect(args, 2);
      expect(run.stdout).toBe("");
      expect(run.stderr.startsWith("optc: ")).toBe(true);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).toMatch(USAGE_LINE);
    });
  }

  it("run on a file that is not valid JSON", () => {
    const path = writeSpec(temporaryFolder(), "broken.json", "{ not json");
    const run = optcExpect(["run", path, "--no-report"], 2);
    expect(run.stderr).toContain("is not valid JSON");
    expect(run.stderr).toContain("optc compile SPEC");
  });

  // A missing spec file is reported with a hint about the path (no usage: the command line is
  // well formed). Same for every command.
  for (const command of ["run", "check", "compile", "fmt"]) {
    it(`${command} on a non-existent spec file`, () => {
      const run = optcExpect([command, "no/such/file.optspec"], 2);
      expect(run.stdout).toBe("");
      expect(run.stderr).toContain("cannot read spec file 'no/such/file.optspec'");
      expect(run.stderr).toContain("check the path");
    });
  }

  it("run on a folder instead of a spec file", () => {
    const run = optcExpect(["run", "specs", "--no-report"], 2);
    expect(run.stderr).toContain("cannot read spec file 'specs'");
  });

  it("--workers -1 gives the same clear message as --workers=-1", () => {
    const run = optcExpect(["run", PAPER_SPEC, "--no-report", "--workers", "-1"], 2);
    expect(run.stderr).not.toContain("ambiguous");
    expect(run.stderr).not.toContain("To specify an option argument");
    expect(run.stderr).toContain("--workers must be an integer of at least 0, got '-1'");
  });
});

describe("failures of the files optc reads and writes", () => {
  const tinySpec = (dir: string) => writeSpec(dir, "tiny.optspec", experimentSpec({ on: "SixHumpCamel", run: "NiG_MBH, NiM_BH", restarts: 8, gradients: 50, seed: 11 }));

  it("the plan of a spec without experiments compiles and runs", () => {
    const dir = temporaryFolder();
    const spec = writeSpec(dir, "empty.optspec", "// nothing\n");
    optcExpect(["compile", spec, "--out", join(dir, "out")], 0);
    optcExpect(["run", join(dir, "out", "plan.json"), "--no-report", "--quiet"], 0);
  });

  it("a plan.json with the right format but no experiments is refused as not a plan (exit 2)", () => {
    const path = writeSpec(temporaryFolder(), "plan.json", '{"format":"optspec-plan"}\n');
    const run = optcExpect(["run", path, "--no-report"], 2);
    expect(run.stderr).not.toContain("Cannot read properties");
    expect(run.stderr).toContain("optc compile");
  });

  it("a plan.json of another plan version is refused (exit 2)", () => {
    const dir = temporaryFolder();
    const out = join(dir, "out");
    optcExpect(["compile", tinySpec(dir), "--out", out], 0);
    const planPath = join(out, "plan.json");
    const plan = JSON.parse(readFileSync(planPath, "utf8")) as { version: number };
    plan.version = 99;
    writeFileSync(planPath, JSON.stringify(plan));
    const run = optcExpect(["run", planPath, "--no-report", "--quiet"], 2);
    expect(run.stderr).toMatch(/version/);
  });

  it("a kernel that throws fails the run with exit 3 (in this thread)", () => {
    const dir = temporaryFolder();
    const out = join(dir, "out");
    optcExpect(["compile", tinySpec(dir), "--out", out], 0);
    const [kernel] = readdirSync(join(out, "kernels")).filter((f) => f.endsWith(".js"));
    writeFileSync(join(out, "kernels", kernel!), 'function kernel(job) { throw new Error("boom"); }\n');
    const run = optcExpect(["run", join(out, "plan.json"), "--no-report", "--backend", "js", "--workers", "0"], 3);
    expect(run.stderr).toContain("the run failed");
    expect(run.stderr).toContain("boom");
  });

  it("a kernel that throws in a worker fails with exit 3 and no stack trace", () => {
    const dir = temporaryFolder();
    const out = join(dir, "out");
    optcExpect(["compile", tinySpec(dir), "--out", out], 0);
    const [kernel] = readdirSync(join(out, "kernels")).filter((f) => f.endsWith(".js"));
    writeFileSync(join(out, "kernels", kernel!), 'function kernel(job) { throw new Error("boom"); }\n');
    const run = optcExpect(["run", join(out, "plan.json"), "--no-report", "--backend", "js", "--workers", "1"], 3);
    expect(run.stderr).toContain("boom");
  });

  it("a kernel that is not valid JavaScript is named in the error", () => {
    const dir = temporaryFolder();
    const out = join(dir, "out");
    optcExpect(["compile", tinySpec(dir), "--out", out], 0);
    const [kernel] = readdirSync(join(out, "kernels")).filter((f) => f.endsWith(".js"));
    writeFileSync(join(out, "kernels", kernel!), "this is not javascript {{{\n");
    const run = optcExpect(["run", join(out, "plan.json"), "--no-report", "--backend", "js", "--workers", "0"], 3);
    expect(run.stderr).toContain(kernel);
  });

  it("--json onto an existing folder fails without leaving a temporary file", () => {
    const dir = temporaryFolder();
    const spec = tinySpec(dir);
    const target = join(dir, "results");
    mkdirSync(target);
    const run = optc(["run", spec, "--no-report", "--json", target, "--quiet"]);
    expect(run.status).not.toBe(0);
    expectNoStackTrace(run);
    expect(leftoverTemporaryFiles(dir)).toEqual([]);
  });

  it("compile --out onto a regular file says the output folder cannot be written", () => {
    const dir = temporaryFolder();
    const spec = tinySpec(dir);
    const file = writeSpec(dir, "a-file", "");
    const run = optc(["compile", spec, "--out", file]);
    expect(run.status).not.toBe(0);
    expectNoStackTrace(run);
    expect(run.stderr).toContain(file);
    expect(run.stderr).not.toContain("optc: the run failed");
    expect(run.status).toBe(2);
  });
});
