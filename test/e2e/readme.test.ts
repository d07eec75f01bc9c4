// The README stays true: its quick-start spec compiles and runs, and the hypothesis example
// of the language reference checks against the paper's spec.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ensureBuilt, optcExpect, REPO, removeTemporaryFolders, temporaryFolder, writeSpec } from "./helpers.js";

beforeAll(ensureBuilt);
afterAll(removeTemporaryFolders);

const readme = readFileSync(join(REPO, "README.md"), "utf8");
/** The contents of the README's fenced code blocks, in order. */
function fencedBlocks(text: string): string[] {
  const blocks: string[] = [];
  let current: string[] | undefined;
  for (const line of text.split("\n")) {
    if (line.startsWith("```")) {
      if (current) blocks.push(current.join("\n"));
      current = current ? undefined : [];
    } else current?.push(line);
  }
  return blocks;
}

const blocks = fencedBlocks(readme);

it("the quick-start spec compiles without diagnostics and runs", () => {
  const spec = blocks.find((b) => b.startsWith("// my.optspec"));
  expect(spec).toBeDefined();
  const dir = temporaryFolder();
  const path = writeSpec(dir, "my.optspec", spec!);
  const check = optcExpect(["check", path], 0);
  expect(check.stderr).toBe("");
  const run = optcExpect(["run", path, "--no-report", "--restarts", "20", "--no-hypotheses", "--quiet"], 0);
  expect(run.stderr).toBe("");
});

it("the hypothesis example of the language reference checks against the paper's spec", () => {
  const example = blocks.find((b) => b.startsWith('hypothesis "SAM steers away'));
  expect(example).toBeDefined();
  const paper = readFileSync(join(REPO, "specs/paper/synthetic.optspec"), "utf8");
  const dir = temporaryFolder();
  const path = writeSpec(dir, "paper.optspec", `${paper}\n${example}`);
  optcExpect(["check", path], 0);
});

it("the statistics are exported from the package's entry point, with type declarations", async () => {
  const { execFileSync } = await import("node:child_process");
  const script = `
    import { mannWhitneyU, tTest, chiSquareIndependence, adjustPValues, cliffsDelta, runPlan } from "optspec";
    import { compileSpec } from "optspec/compiler";
    const x = [1.2, 3.4, 2.2, 5.0, 4.1], y = [6.1, 7.3, 5.5, 8.8, 9.0];
    console.log(JSON.stringify({
      u: mannWhitneyU(x, y, { alternative: "less" }).statistic,
      t: tTest(x, y, { equalVariance: false }).df > 0,
      chi: chiSquareIndependence([[30, 20], [10, 40]]).dof,
      holm: adjustPValues([0.01, 0.04, 0.2], "holm").length,
      delta: cliffsDelta(x, y),
      functions: typeof runPlan === "function" && typeof compileSpec === "function",
    }));`;
  const out = JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: REPO, encoding: "utf8" }));
  expect(out).toEqual({ u: 0, t: true, chi: 1, holm: 3, delta: -1, functions: true });
  const declarations = readFileSync(join(REPO, "dist/types/runtime/index.d.ts"), "utf8");
  expect(declarations).toContain("stats/index.js");
  expect(readFileSync(join(REPO, "dist/types/runtime/stats/mann-whitney.d.ts"), "utf8")).toMatch(/export declare function mannWhitneyU\(/);
});

it("the task example of the language reference checks with the standard optimizers", () => {
  const example = blocks.find((b) => b.startsWith("task MnistMLP {"));
  expect(example).toBeDefined();
  const dir = temporaryFolder();
  const path = writeSpec(dir, "tasks.optspec", `import "std/optimizers"\n${example}`);
  optcExpect(["check", path], 0);
});
