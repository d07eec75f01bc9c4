// Hypotheses through the CLI: the exit code gates on them, the results JSON and JUnit XML
// carry every check, and `--no-hypotheses` skips them.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, optcExpect, PAPER_SPEC, removeTemporaryFolders, temporaryFolder, writeSpec } from "./helpers.js";

beforeAll(ensureBuilt);
afterAll(removeTemporaryFolders);

const SPEC = `import "std/landscapes"
import "std/optimizers"
experiment T { on Himmelblau, SixHumpCamel run GD, NiG_BH, NiM_BH restarts 60 budget 1500 gradients seed 9 }
hypothesis "holds" {
  expect share(T.NiG_BH on SixHumpCamel, Else) <= share(T.NiM_BH on SixHumpCamel, Else)
  observe median(T.GD on Himmelblau.f)
}
hypothesis "fails" {
  adjust holm
  expect mannwhitney(T.GD on Himmelblau.f, T.NiM_BH on Himmelblau.f) not significant at 0.05
  expect chisquare(T.GD on SixHumpCamel, T.NiM_BH on SixHumpCamel) significant at 0.05
  expect share(T.GD on Himmelblau, GM1) > 0.9
}`;

describe("hypotheses in optc run", () => {
  it("exit 1 when an expectation fails, and print one line per check and the tally", () => {
    const dir = temporaryFolder();
    const spec = writeSpec(dir, "h.optspec", SPEC);
    const run = optcExpect(["run", spec, "--no-report", "--json", join(dir, "r.json"), "--junit", join(dir, "r.xml")], 1);
    expect(run.stdout).toMatch(/holds {2}"holds"/);
    expect(run.stdout).toMatch(/fails {2}"fails" \(p adjusted: holm\)/);
    expect(run.stdout).toMatch(/FAIL {2}expect share\(T\.GD on Himmelblau, GM1\) > 0\.9/);
    expect(run.stdout).toMatch(/OBS {3}observe median\(T\.GD on Himmelblau\.f\)/);
    const tally = run.stdout.trim().split("\n").pop();
    expect(tally).toMatch(/^\d+ passed, [1-9]\d* failed$/);

    const results = JSON.parse(readFileSync(join(dir, "r.json"), "utf8"));
    expect(results.hypotheses.map((h: { name: string; passed: boolean }) => [h.name, h.passed])).toEqual([["holds", true], ["fails", false]]);
    const [mw, chi, share] = results.hypotheses[1].checks;
    for (const check of [mw, chi]) for (const key of ["test", "statistic", "pValue", "adjustedPValue", "alpha", "expected", "effectSize", "passed"]) expect(check).toHaveProperty(key);
    expect(mw.test).toBe("mannwhitney");
    expect(mw.adjustedPValue).toBeGreaterThanOrEqual(mw.pValue);
    expect(share).toMatchObject({ passed: false, test: ">" });

    const xml = readFileSync(join(dir, "r.xml"), "utf8");
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    expect(xml.match(/<testsuite /g)).toHaveLength(2);
    expect(xml.match(/<testcase /g)).toHaveLength(5);
    expect((xml.match(/<failure /g) ?? []).length).toBe(results.hypotheses[1].checks.filter((c: { passed: boolean }) => c.passed === false).length);
    expect(xml).toContain("left 0.");
    // Well formed enough for a CI parser: every opened element is closed.
    for (const tag of ["testsuites", "testsuite", "testcase"]) expect(xml.match(new RegExp(`<${tag}[ >]`, "g"))!.length).toBe(xml.match(new RegExp(`</${tag}>`, "g"))!.length);
  });

  it("--no-hypotheses skips them (exit 0, no hypotheses in the JSON)", () => {
    const dir = temporaryFolder();
    const spec = writeSpec(dir, "h.optspec", SPEC);
    const run = optcExpect(["run", spec, "--no-report", "--no-hypotheses", "--json", "-", "--quiet"], 0);
    expect(JSON.parse(run.stdout).hypotheses).toBeUndefined();
  });

  it("the paper's spec holds its claims under its own seed (npm start exits 0)", () => {
    const run = optcExpect(["run", PAPER_SPEC, "--no-report"], 0);
    expect(run.stdout).toMatch(/\n\d+ passed, 0 failed\n?$/);
    expect(run.stdout).toContain("(does not hold)");
  });
});
