// Hypotheses name experiments the spec runs, their optimizers, landscapes and minima; each
// test gets the kind of population it takes; levels lie in (0, 1); several tests name an
// adjustment.
import { describe, expect, it } from "vitest";
import { diagnose, expectDiagnostics, STD } from "./helpers.js";

const EXPERIMENT = `${STD}experiment T { on Himmelblau, SixHumpCamel run GD, SAM restarts 10 budget 100 gradients }\n`;

describe("hypotheses", () => {
  it("lower to checks with every loop expanded", () => {
    const d = diagnose(`${EXPERIMENT}hypothesis "h" {
  adjust holm
  for each optimizer in T {
    for each landscape in T: expect chisquare(T.optimizer on landscape, T.GD on landscape) not significant at 0.05
  }
  expect share(T.SAM on SixHumpCamel, LM3, LM4, Else) < 0.9 with confidence 0.9
  observe mannwhitney(T.SAM on Himmelblau.f, T.GD on Himmelblau.f, alternative = less, method = exact)
}`);
    expect(d.diagnostics).toEqual([]);
    const [h] = d.result.plan!.hypotheses;
    expect(h!.adjust).toBe("holm");
    expect(h!.checks).toHaveLength(6);
    expect(h!.checks.slice(0, 4).map((c) => (c.kind === "test" && c.test.test === "chisquare" ? c.test.populations.map((p) => `${p.optimizer}@${p.landscape}`).join(" ") : ""))).toEqual([
      "GD@Himmelblau GD@Himmelblau",
      "GD@SixHumpCamel GD@SixHumpCamel",
      "SAM@Himmelblau GD@Himmelblau",
      "SAM@SixHumpCamel GD@SixHumpCamel",
    ]);
    expect(h!.checks[2]!.text).toBe("expect chisquare(T.SAM on Himmelblau, T.GD on Himmelblau) not significant at 0.05");
    expect(h!.checks[5]).toMatchObject({ kind: "test", mode: "observe", test: { test: "mannwhitney", alternative: "less", method: "exact", continuity: true } });
  });

  it("reject unknown experiments, optimizers, landscapes, minima and attributes, with suggestions", () => {
    const d = expectDiagnostics(
      `${EXPERIMENT}hypothesis "h" {
  adjust bh
  expect chisquare(⟨1⟩Tt.GD on Himmelblau, T.SAM on Himmelblau) significant at 0.05
  expect chisquare(T.⟨2⟩SEM on Himmelblau, T.GD on ⟨3⟩Himmelblu) significant at 0.05
  expect share(T.GD on Himmelblau, ⟨4⟩GM5) < 0.5
  expect median(T.GD on Himmelblau.⟨5⟩loss) < 1
}`,
      [
        { code: "E100", message: "unknown experiment 'Tt'", at: 1 },
        { code: "E100", message: "experiment 'T' has no optimizer 'SEM'", at: 2 },
        { code: "E100", message: "experiment 'T' has no landscape 'Himmelblu'", at: 3 },
        { code: "E100", message: "the landscape has no minimum 'GM5'", at: 4 },
        { code: "E100", message: "unknown attribute 'loss'", at: 5 },
      ],
    );
    expect(d.diagnostics.map((x) => x.suggestion)).toEqual(["did you mean 'T'?", "did you mean 'SAM'?", "did you mean 'Himmelblau'?", expect.stringContaining("GM1"), expect.stringContaining("f, distance, evals")]);
  });

  it("reject tests applied to the wrong kind of population", () => {
    expectDiagnostics(
      `${EXPERIMENT}hypothesis "h" {
  adjust holm
  expect mannwhitney(⟨1⟩T.GD on Himmelblau, T.SAM on Himmelblau.f) significant at 0.05
  expect chisquare(⟨2⟩T.GD on Himmelblau.f, T.SAM on Himmelblau) significant at 0.05
}`,
      [
        { code: "E602", message: "'mannwhitney' compares samples of numbers, one per restart", at: 1 },
        { code: "E602", message: "'chisquare' takes a population of end points (counted per minimum), without an attribute", at: 2 },
      ],
    );
  });

  it("reject levels outside (0, 1) and a loop variable outside its loop", () => {
    expectDiagnostics(
      `${EXPERIMENT}hypothesis "h" {
  expect mannwhitney(T.GD on Himmelblau.f, T.SAM on Himmelblau.f) significant at ⟨1⟩1.5
  expect share(T.GD on Himmelblau, GM1) < 0.5 with confidence ⟨2⟩0
  expect share(T.⟨3⟩optimizer on Himmelblau, GM1) < 0.5
}`,
      [
        { code: "E603", message: "the significance level is 1.5, but it must lie strictly between 0 and 1", at: 1 },
        { code: "E603", message: "the confidence is 0, but it must lie strictly between 0 and 1", at: 2 },
        { code: "E601", message: "'optimizer' means the current optimizer only inside 'for each optimizer in EXPERIMENT'", at: 3 },
      ],
    );
  });

  it("require an adjustment for several tests, and a known one", () => {
    expectDiagnostics(
      `${EXPERIMENT}hypothesis ⟨1⟩"two tests" {
  expect mannwhitney(T.GD on Himmelblau.f, T.SAM on Himmelblau.f) significant at 0.05
  expect welch(T.GD on Himmelblau.f, T.SAM on Himmelblau.f) significant at 0.05
}
hypothesis "bad" {
  adjust ⟨2⟩holmes
  expect share(T.GD on Himmelblau, GM1) < 0.5
}`,
      [
        { code: "E604", message: `hypothesis "two tests" makes 2 tests but names no p-value adjustment`, at: 1 },
        { code: "E606", message: "unknown adjustment 'holmes'", at: 2 },
      ],
    );
  });

  it("reject a hypothesis on an experiment the spec does not run (one of an imported file)", () => {
    const lib = `${STD}experiment Lib { on Himmelblau run GD restarts 1 budget 1 gradients }\n`;
    expectDiagnostics(
      `import "/virtual/lib.optspec"\nhypothesis "h" {\n  expect share(⟨1⟩Lib.GD on Himmelblau, GM1) < 1\n}`,
      [{ code: "E600", message: "experiment 'Lib' is not run by this spec (experiments of imported files do not run, and one with errors cannot)", at: 1 }],
      { "/virtual/lib.optspec": lib },
    );
  });

  it("reject unknown tests, summaries used as tests and options", () => {
    expectDiagnostics(
      `${EXPERIMENT}hypothesis "h" {
  adjust holm
  expect ⟨1⟩wilcoxon(T.GD on Himmelblau.f, T.SAM on Himmelblau.f) significant at 0.05
  expect ⟨2⟩median(T.GD on Himmelblau.f) significant at 0.05
  expect mannwhitney(T.GD on Himmelblau.f, T.SAM on Himmelblau.f, alternative = ⟨3⟩smaller) significant at 0.05
}`,
      [
        { code: "E605", message: "unknown test 'wilcoxon'", at: 1 },
        { code: "E605", message: "'median' is a summary value, not a test: compare it ('<', '>') instead", at: 2 },
        { code: "E606", message: "'smaller' is not a value of 'alternative'", at: 3 },
      ],
    );
  });

  it("reject two hypotheses with the same name", () => {
    expectDiagnostics(`${EXPERIMENT}hypothesis "h" { observe share(T.GD on Himmelblau, GM1) }\nhypothesis ⟨1⟩"h" { observe share(T.GD on Himmelblau, GM2) }`, [
      { code: "E607", message: `a hypothesis named "h" already exists`, at: 1 },
    ]);
  });
});
