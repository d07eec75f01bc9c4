// Unused declarations (W500): reported for the root file of a spec that runs experiments,
// never for imported files, never for a file without experiments.
import { describe, expect, it } from "vitest";
import { diagnose, expectDiagnostics, STD } from "./helpers.js";

const unused = (what: string) => `${what} is declared but no experiment uses it`;

describe("unused declarations (W500)", () => {
  it("warns about an unused landscape in a root file that runs an experiment, at its name", () => {
    const d = expectDiagnostics(`${STD}landscape ⟨1⟩Spare { vars x in [-1, 1] f = x^2 }\nexperiment E { on Himmelblau run GD restarts 1 budget 10 gradients }`, [
      { code: "W500", message: unused("landscape 'Spare'"), at: 1 },
    ]);
    expect(d.diagnostics[0]!.severity).toBe("warning");
    expect(d.diagnostics[0]!.suggestion).toBe("add it to an experiment's 'on' or 'run' clause, or remove it");
    // Only a warning: the spec still compiles.
    expect(d.result.plan).toBeDefined();
  });

  it("follows optimizers to the procedures they call and aliases to their targets", () => {
    expectDiagnostics(
      [
        STD.trimEnd(),
        "procedure Inner(lr) { descend lr }",
        "procedure Outer(lr) { Inner(lr) }",
        "procedure ⟨1⟩Orphan { descend 0.1 }",
        "optimizer Mine(lr = 0.1) { start Outer(lr)\n descend lr }",
        "optimizer Base(lr = 0.1) { descend lr }",
        "optimizer Aliased = Base(lr = 0.2)",
        "optimizer ⟨2⟩Spare { descend 0.1 }",
        "experiment E { on Himmelblau run Mine, Aliased restarts 1 budget 10 gradients }",
      ].join("\n"),
      [
        { code: "W500", message: unused("procedure 'Orphan'"), at: 1 },
        { code: "W500", message: unused("optimizer 'Spare'"), at: 2 },
      ],
    );
  });

  it("counts a use by any experiment, and does not report experiments", () => {
    expectDiagnostics(
      `${STD}landscape A { vars x in [-1, 1] f = x^2 }\nlandscape B { vars x in [-1, 1] f = x^2 }\nexperiment One { on A run GD restarts 1 budget 1 gradients }\nexperiment Two { on B run GD restarts 1 budget 1 gradients }`,
      [],
    );
  });

  it("never reports the standard library's declarations", () => {
    // The spec uses one landscape and one optimizer of the many it imports.
    expectDiagnostics(`${STD}experiment E { on Himmelblau run GD restarts 1 budget 10 gradients }`, []);
  });

  it("never reports declarations of an imported user file", () => {
    const lib = "optimizer Used(lr = 0.1) { descend lr }\noptimizer NotUsed { descend 0.1 }\nlandscape Lib { vars x in [0, 1] f = x }";
    expectDiagnostics('import "./lib"\nimport "std/landscapes"\nexperiment E { on Himmelblau run Used restarts 1 budget 10 gradients }', [], { "/virtual/lib.optspec": lib });
  });

  it("reports nothing in a file without experiments", () => {
    expectDiagnostics("landscape Spare { vars x in [-1, 1] f = x^2 }\noptimizer Idle(lr = 0.1) { descend lr }\nprocedure Step { descend 0.1 }", []);
  });

  it("still warns when the experiment has errors", () => {
    const d = diagnose(`${STD}landscape ⟨1⟩Spare { vars x in [-1, 1] f = x^2 }\nexperiment E { on Himmelblau run GD restarts 0 budget 10 gradients }`);
    expect(d.diagnostics.map((x) => x.code)).toEqual(["W500", "E300"]);
  });
});
