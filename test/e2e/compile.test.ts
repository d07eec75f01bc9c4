// End to end: `optc compile`, running a compiled plan, `optc check` and `optc fmt`.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assembleWat, checkSourceDigest } from "../../runtime/backends/wasm.js";
import {
  PAPER_SPEC,
  ensureBuilt,
  experimentSpec,
  leftoverTemporaryFiles,
  optcExpect,
  parseResults,
  removeTemporaryFolders,
  REPO,
  temporaryFolder,
  writeSpec,
} from "./helpers.js";

ensureBuilt();
afterAll(removeTemporaryFolders);

/** Every file of a compile output folder: plan.json (parsed) and the kernels by name. */
function readCompiled(dir: string) {
  const plan = JSON.parse(readFileSync(join(dir, "plan.json"), "utf8")) as {
    format: string;
    version: number;
    spec: string;
    experiments: { name: string; cells: { landscape: string; optimizer: string; kernel: string; wasmKernel?: string }[] }[];
  };
  const files = readdirSync(join(dir, "kernels"));
  const kernels = new Map(files.filter((f) => !f.endsWith(".wasm")).map((f) => [f, readFileSync(join(dir, "kernels", f), "utf8")]));
  const binaries = new Map(files.filter((f) => f.endsWith(".wasm")).map((f) => [f, new Uint8Array(readFileSync(join(dir, "kernels", f)))]));
  return { plan, kernels, binaries };
}

describe("optc compile", () => {
  let out = "";

  beforeAll(() => {
    out = join(temporaryFolder(), "compiled");
    const run = optcExpect(["compile", PAPER_SPEC, "--out", out], 0);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("plan.json");
    expect(run.stderr).toContain("24 JavaScript and 24 WebAssembly kernels (text and binary)");
  });

  it("writes plan.json and one readable kernel per cell, and each WebAssembly kernel's binary", async () => {
    const { plan, kernels, binaries } = readCompiled(out);
    expect(plan.format).toBe("optspec-plan");
    expect(plan.spec).toBe(PAPER_SPEC);
    const cells = plan.experiments.flatMap((e) => e.cells);
    expect(cells).toHaveLength(24);
    expect(kernels.size).toBe(48);
    expect(new Set(cells.map((c) => c.kernel)).size).toBe(24);
    for (const cell of cells) expect(kernels.get(cell.wasmKernel!), cell.wasmKernel).toMatch(/^\(module|^;;/);
    // Each WAT kernel's binary beside it: wabt's bytes for that text, then the section naming the text.
    for (const cell of cells) {
      const wat = kernels.get(cell.wasmKernel!)!;
      const binary = binaries.get(cell.wasmKernel!.replace(/\.wat$/, ".wasm"));
      expect(binary, cell.wasmKernel).toBeDefined();
      expect(WebAssembly.validate(binary!)).toBe(true);
      const checked = checkSourceDigest(binary!, wat);
      expect(checked).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(checked as Uint8Array).equals(Buffer.from(await assembleWat(wat))), cell.wasmKernel).toBe(true);
    }
    for (const cell of cells) {
      const source = kernels.get(cell.kernel);
      expect(source, cell.kernel).toBeDefined();
      expect(cell.kernel).toMatch(/\.js$/);
      const firstLine = source!.split("\n")[0]!;
      expect(firstLine.startsWith("//"), cell.kernel).toBe(true);
      expect(firstLine).toContain(cell.optimizer);
      expect(firstLine).toContain(cell.landscape);
      expect(source).toContain("function kernel(job)");
      // Readable: many short lines, not one minified blob.
      expect(source!.split("\n").length, cell.kernel).toBeGreaterThan(10);
    }
    expect(leftoverTemporaryFiles(out)).toEqual([]);
  });

  it("running plan.json on the WebAssembly backend gives the same results", () => {
    const args = ["--no-report", "--no-hypotheses", "--restarts", "6", "--json", "-", "--quiet"];
    const wasm = parseResults(optcExpect(["run", join(out, "plan.json"), "--backend", "wasm", ...args], 0).stdout);
    const js = parseResults(optcExpect(["run", join(out, "plan.json"), ...args], 0).stdout);
    expect(wasm.backend).toBe("wasm");
    expect(wasm.experiments).toEqual(js.experiments);
  });

  it("running plan.json gives the same results as running the spec", () => {
    const fromPlan = parseResults(optcExpect(["run", join(out, "plan.json"), "--no-report", "--no-hypotheses", "--restarts", "6", "--json", "-", "--quiet"], 0).stdout);
    const fromSpec = parseResults(optcExpect(["run", PAPER_SPEC, "--no-report", "--no-hypotheses", "--restarts", "6", "--json", "-", "--quiet"], 0).stdout);
    expect(fromPlan.experiments).toEqual(fromSpec.experiments);
    expect(fromPlan.spec).toBe(fromSpec.spec);
    expect(fromPlan.specHash).toBe(fromSpec.specHash);
    expect(fromPlan.seed).toBe(fromSpec.seed);
  });

  it("runs plan.json from the binaries beside it, and assembles a text that no longer matches its binary, saying so", () => {
    const dir = join(temporaryFolder(), "c");
    const spec = writeSpec(temporaryFolder(), "k.optspec", experimentSpec({ on: "Himmelblau", run: "GD, SAM", restarts: 5, gradients: 20, seed: 1 }));
    optcExpect(["compile", spec, "--out", dir], 0, { env: { OPTSPEC_CACHE_DIR: temporaryFolder() } });
    // A fresh cache for the runs: whatever they assemble lands in it.
    const cache = temporaryFolder();
    const run = () => optcExpect(["run", join(dir, "plan.json"), "--backend", "wasm", "--no-report", "--no-hypotheses", "--json", "-", "--quiet"], 0, { env: { OPTSPEC_CACHE_DIR: cache } });
    const assembledSoFar = () => (existsSync(join(cache, "wasm")) ? readdirSync(join(cache, "wasm")).length : 0);
    const first = run();
    expect(first.stderr).toBe("");
    expect(assembledSoFar()).toBe(0);
    const [gd, sam] = ["Small.GD.Himmelblau", "Small.SAM.Himmelblau"].map((name) => join(dir, "kernels", name));
    // An edited text (a comment: the same code) is assembled, with a warning; the results stay.
    writeFileSync(`${gd}.wat`, `;; edited\n${readFileSync(`${gd}.wat`, "utf8")}`);
    const edited = run();
    expect(edited.stderr).toContain(`warning: ${gd}.wasm is not used: it was assembled from another text`);
    expect(edited.stderr).toContain("'optc compile' writes both again");
    expect(assembledSoFar()).toBe(1);
    expect(parseResults(edited.stdout).experiments).toEqual(parseResults(first.stdout).experiments);
    // A damaged binary (a byte of its code flipped) is not run.
    const damaged = readFileSync(`${sam}.wasm`);
    damaged[Math.floor(damaged.length / 2)]! ^= 0x01;
    writeFileSync(`${sam}.wasm`, damaged);
    const again = run();
    expect(again.stderr).toContain(`warning: ${sam}.wasm is not used: its bytes are damaged`);
    expect(parseResults(again.stdout).experiments).toEqual(parseResults(first.stdout).experiments);
    // Without the binaries (a plan compiled before they were written), the texts run as before, silently.
    rmSync(`${gd}.wasm`);
    rmSync(`${sam}.wasm`);
    const bare = run();
    expect(bare.stderr).toBe("");
    expect(parseResults(bare.stdout).experiments).toEqual(parseResults(first.stdout).experiments);
  });

  it("writes to out/<spec name> in the current folder without --out", () => {
    const cwd = temporaryFolder();
    const spec = writeSpec(cwd, "tiny.optspec", experimentSpec({ on: "Himmelblau", run: "GD, SAM", restarts: 2, gradients: 10, seed: 1 }));
    optcExpect(["compile", spec], 0, { cwd });
    expect(existsSync(join(cwd, "out", "tiny", "plan.json"))).toBe(true);
    expect(readdirSync(join(cwd, "out", "tiny", "kernels")).sort()).toEqual(
      ["Small.GD.Himmelblau.js", "Small.GD.Himmelblau.wasm", "Small.GD.Himmelblau.wat", "Small.SAM.Himmelblau.js", "Small.SAM.Himmelblau.wasm", "Small.SAM.Himmelblau.wat"],
    );
    // And the plan runs from another folder (kernels are found next to the plan).
    const results = parseResults(optcExpect(["run", join(cwd, "out", "tiny", "plan.json"), "--no-report", "--json", "-", "--quiet"], 0).stdout);
    expect(results.experiments[0]!.cells).toHaveLength(2);
  });

  it("writes nothing and exits 1 when the spec has errors", () => {
    const dir = temporaryFolder();
    const spec = writeSpec(dir, "bad.optspec", experimentSpec({ on: "Himmelblau", run: "GDD", restarts: 2, gradients: 10, seed: 1 }));
    const run = optcExpect(["compile", spec, "--out", join(dir, "out")], 1);
    expect(run.stderr).toContain("E100");
    expect(existsSync(join(dir, "out", "plan.json"))).toBe(false);
  });

  it("a plan whose kernel is missing fails with exit 3 and names the kernel", () => {
    const dir = join(temporaryFolder(), "c");
    const spec = writeSpec(temporaryFolder(), "k.optspec", experimentSpec({ on: "Himmelblau", run: "GD", restarts: 2, gradients: 10, seed: 1 }));
    optcExpect(["compile", spec, "--out", dir], 0);
    const [kernel] = readdirSync(join(dir, "kernels")).filter((f) => f.endsWith(".js"));
    rmSync(join(dir, "kernels", kernel!));
    const run = optcExpect(["run", join(dir, "plan.json"), "--no-report", "--backend", "js"], 3);
    expect(run.stderr).toContain(kernel);
    expect(run.stderr).toContain("optc compile");
  });
});

describe("optc check", () => {
  it("reports an error with path:line:col, its code and a caret line, and exits 1", () => {
    const spec = writeSpec(temporaryFolder(), "bad.optspec", experimentSpec({ on: "Himmelblau", run: "GDD", restarts: 2, gradients: 10, seed: 1 }));
    const run = optcExpect(["check", spec], 1);
    expect(run.stdout).toBe("");
    // `run GDD` is on line 6, column 7 of the spec.
    expect(run.stderr).toContain(`${spec}:6:7`);
    expect(run.stderr).toMatch(/error E100\b/);
    expect(run.stderr).toContain("GDD");
    expect(run.stderr).toMatch(/^\s*\|\s*\^+\s*$/m);
    expect(run.stderr).toContain("did you mean 'GD'");
    expect(run.stderr).toContain("1 error, 0 warnings");
  });

  it("reports syntax errors (E002) with their position", () => {
    const spec = writeSpec(temporaryFolder(), "syntax.optspec", "landscape L {\n  vars x in [-1, 1]\n  f = x^2 +\n}\n");
    const run = optcExpect(["check", spec], 1);
    expect(run.stderr).toContain(`${spec}:4:1`);
    expect(run.stderr).toContain("E002");
    expect(run.stderr).toMatch(/^\s*\|\s*\^+\s*$/m);
  });

  it("reports a missing import (E010)", () => {
    const spec = writeSpec(temporaryFolder(), "imp.optspec", 'import "./nowhere"\n');
    const run = optcExpect(["check", spec], 1);
    expect(run.stderr).toContain(`${spec}:1:1`);
    expect(run.stderr).toContain("E010");
    expect(run.stderr).toContain("nowhere");
  });

  it("exits 0 on a good spec, printing nothing", () => {
    const run = optcExpect(["check", PAPER_SPEC], 0);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe("");
  });

  it("exits 0 on a spec with warnings only, and prints them", () => {
    const extra = "landscape Unused {\n  vars x in [-1, 1]\n  f = x^2\n}";
    const spec = writeSpec(temporaryFolder(), "warn.optspec", experimentSpec({ on: "Himmelblau", run: "GD", restarts: 2, gradients: 10, seed: 1, extra }));
    const run = optcExpect(["check", spec], 0);
    expect(run.stderr).toContain("W500");
    expect(run.stderr).toContain("0 errors, 1 warning");
    // A run still works and keeps stdout clean JSON.
    const ran = optcExpect(["run", spec, "--no-report", "--json", "-"], 0);
    expect(() => JSON.parse(ran.stdout)).not.toThrow();
    expect(ran.stderr).toContain("W500");
  });

  it("run on a spec with errors exits 1 and prints nothing on stdout", () => {
    const spec = writeSpec(temporaryFolder(), "bad.optspec", experimentSpec({ on: "Himmelblau", run: "GDD", restarts: 2, gradients: 10, seed: 1 }));
    const run = optcExpect(["run", spec, "--no-report", "--json", "-"], 1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("E100");
  });
});

describe("optc fmt", () => {
  const messy = `import "std/landscapes" import "std/optimizers"
optimizer Mom(lr=1e-2){repeat 3{descend lr with momentum(beta=0.9)} until gradnorm<1e-3 or (t+1)*2>10
perturb model gaussian(0.1) when not loss < -1e9; descend -(-lr)^1/2^-1*0.5}
optimizer Met(lr = 1e-3, temp = 0.5) { start { descend lr; descend lr }
  hop { perturb model sphere(0.2); LocalSearch(lr, 5, 1e-2); accept metropolis(temp) } }
landscape Bowl(a = 2) { vars x in [-1, 1], y[2] in [-(1), 1-0] f = a*x^2 + sum(i in 1..2, (y[i] - 0.5)^2)
  minima { O global at (0, 0.5, 0.5) } }
experiment E { on Bowl(a = 3), Himmelblau, Rastrigin(n = 3) run GD, Mom, Met, SAM restarts 3 budget 40 gradients
  init uniform seed 9 assign nearest minimum within 0.1 }
`;

  it("prints canonical text that compiles to the same plan and kernels", () => {
    const dir = temporaryFolder();
    const original = writeSpec(dir, "messy.optspec", messy);
    const check = optcExpect(["check", original], 0);
    expect(check.stderr).toBe("");
    const formatted = optcExpect(["fmt", original], 0).stdout;
    expect(formatted).not.toBe(messy);
    expect(formatted.endsWith("\n")).toBe(true);
    const canonical = writeSpec(dir, "canonical.optspec", formatted);
    // Idempotent.
    expect(optcExpect(["fmt", canonical], 0).stdout).toBe(formatted);
    optcExpect(["compile", original, "--out", join(dir, "a")], 0);
    optcExpect(["compile", canonical, "--out", join(dir, "b")], 0);
    const a = readCompiled(join(dir, "a"));
    const b = readCompiled(join(dir, "b"));
    expect(b.plan.experiments).toEqual(a.plan.experiments);
    expect([...b.kernels.keys()].sort()).toEqual([...a.kernels.keys()].sort());
    expect(b.kernels.size).toBe(24); // 12 cells, a JavaScript and a WebAssembly kernel each
    for (const [file, source] of a.kernels) expect(b.kernels.get(file), file).toBe(source);
  });

  it("formats the standard library and the paper spec to text that compiles to the same kernels", () => {
    const dir = temporaryFolder();
    const copies = join(dir, "copies");
    const formatted = join(dir, "formatted");
    const main = 'import "./landscapes"\nimport "./optimizers"\n' + readFileSync(join(REPO, PAPER_SPEC), "utf8").replace(/^import .*$/gm, "");
    for (const folder of [copies, formatted]) mkdirSync(folder);
    for (const name of ["landscapes", "optimizers"]) writeFileSync(join(copies, `${name}.optspec`), readFileSync(join(REPO, "specs", "std", `${name}.optspec`)));
    writeFileSync(join(copies, "main.optspec"), main);
    for (const name of ["landscapes", "optimizers", "main"])
      writeFileSync(join(formatted, `${name}.optspec`), optcExpect(["fmt", join(copies, `${name}.optspec`)], 0).stdout);
    optcExpect(["compile", join(copies, "main.optspec"), "--out", join(dir, "a")], 0);
    optcExpect(["compile", join(formatted, "main.optspec"), "--out", join(dir, "b")], 0);
    const a = readCompiled(join(dir, "a"));
    const b = readCompiled(join(dir, "b"));
    expect(b.plan.experiments).toEqual(a.plan.experiments);
    expect(b.kernels).toEqual(a.kernels);
  });

  it("--write rewrites the file in place with the canonical text", () => {
    const dir = temporaryFolder();
    const path = writeSpec(dir, "w.optspec", messy);
    const expected = optcExpect(["fmt", path], 0).stdout;
    const run = optcExpect(["fmt", path, "--write"], 0);
    expect(run.stdout).toBe("");
    expect(readFileSync(path, "utf8")).toBe(expected);
    expect(leftoverTemporaryFiles(dir)).toEqual([]);
  });

  it("exits 1 with the error on a file with a syntax error, and --write leaves it untouched", () => {
    const text = "landscape L {\n  vars x in [-1, 1]\n  f = x^2 +\n}\n";
    const path = writeSpec(temporaryFolder(), "syntax.optspec", text);
    const run = optcExpect(["fmt", path], 1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(`${path}:4:1`);
    expect(run.stderr).toContain("E002");
    expect(run.stderr).toContain("syntax errors");
    optcExpect(["fmt", path, "--write"], 1);
    expect(readFileSync(path, "utf8")).toBe(text);
  });

  it("formats a spec with semantic errors (fmt only needs it to parse)", () => {
    const path = writeSpec(temporaryFolder(), "sem.optspec", experimentSpec({ on: "Himmelblau", run: "GDD", restarts: 2, gradients: 10, seed: 1 }));
    expect(optcExpect(["fmt", path], 0).stdout).toContain("run GDD");
  });

  it("fmt --write keeps comments", () => {
    const text = "// keep me: what this landscape is\nlandscape L {\n  vars x in [-1, 1]\n  f = x^2 // a bowl\n}\n";
    const path = writeSpec(temporaryFolder(), "comments.optspec", text);
    optcExpect(["fmt", path, "--write"], 0);
    const after = readFileSync(path, "utf8");
    expect(after).toContain("// keep me: what this landscape is");
    expect(after).toContain("// a bowl");
  });
});

describe("the auto backend", () => {
  it("falls back to JavaScript for a WebAssembly kernel that does not load, and says so", () => {
    const dir = join(temporaryFolder(), "c");
    const spec = writeSpec(temporaryFolder(), "k.optspec", experimentSpec({ on: "Himmelblau", run: "GD, SAM", restarts: 5, gradients: 20, seed: 1 }));
    optcExpect(["compile", spec, "--out", dir], 0);
    const [wat] = readdirSync(join(dir, "kernels")).filter((f) => f.endsWith(".wat"));
    writeFileSync(join(dir, "kernels", wat!), "(module (this is not wat))\n");
    const args = ["--no-report", "--no-hypotheses", "--json", "-", "--quiet"];
    const auto = optcExpect(["run", join(dir, "plan.json"), ...args], 0);
    expect(auto.stderr).toContain(`warning: the WebAssembly kernel ${wat} did not load`);
    const js = optcExpect(["run", join(dir, "plan.json"), "--backend", "js", ...args], 0);
    expect(parseResults(auto.stdout).backend).toBe("wasm+js");
    expect(parseResults(auto.stdout).experiments).toEqual(parseResults(js.stdout).experiments);
    optcExpect(["run", join(dir, "plan.json"), "--backend", "wasm", ...args], 3);
  });
});
