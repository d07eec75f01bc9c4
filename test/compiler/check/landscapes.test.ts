// Landscapes: domains, vector sizes, formulas, and declared minima (dimension, domain,
// stationarity), checked with default parameters and where an experiment binds them.
import { describe, expect, it } from "vitest";
import { diagnose, expectDiagnostics, only, STD } from "./helpers.js";

describe("domains (E200)", () => {
  it("a reversed domain, at the interval, suggesting the swap", () => {
    const d = expectDiagnostics("landscape L {\n  vars x in ⟨1⟩[5, -5]\n  f = x^2\n}", [
      { code: "E200", message: "the domain of 'x' is [5, -5], which is reversed", at: 1 },
    ]);
    expect(d.diagnostics[0]!.suggestion).toBe("write [-5, 5]");
  });

  it("an empty domain", () => {
    const d = expectDiagnostics("landscape L { vars x in ⟨1⟩[1, 1] f = x^2 }", [
      { code: "E200", message: "the domain of 'x' is [1, 1], which is empty", at: 1 },
    ]);
    expect(d.diagnostics[0]!.suggestion).toBe("give the lower bound first and make it smaller than the upper bound");
  });

  it("each bad variable of several, including a vector", () => {
    expectDiagnostics("landscape L(n = 3) {\n  vars x in [-1, 1], y in ⟨1⟩[2, 1], z[n] in ⟨2⟩[n, n]\n  f = x + y + z[1]\n}", [
      { code: "E200", message: "the domain of 'y' is [2, 1], which is reversed", at: 1 },
      { code: "E200", message: "the domain of 'z' is [3, 3], which is empty", at: 2 },
    ]);
  });

  it("a domain made empty by the parameters an experiment binds", () => {
    expectDiagnostics(`${STD}landscape L(w = 1) { vars x in ⟨1⟩[-w, w] f = x^2 }\nexperiment E { on L(w = 0) run GD restarts 1 budget 10 gradients }`, [
      { code: "E200", message: "the domain of 'x' is [0, 0], which is empty", at: 1 },
    ]);
  });

  it("a reversed initial box in an experiment", () => {
    const d = expectDiagnostics(`${STD}experiment E { on Himmelblau run GD restarts 1 budget 10 gradients init uniform in ⟨1⟩[1, 0] }`, [
      { code: "E200", message: "the initial interval [1, 0] is reversed", at: 1 },
    ]);
    expect(d.diagnostics[0]!.suggestion).toBe("write [0, 1]");
  });

  it("a domain bound that is not a finite number", () => {
    expectDiagnostics("landscape L { vars x in ⟨1⟩[-1/0, 1/0] f = x^2 }", [{ code: "E200", message: /finite|infinite|Infinity/, at: 1 }]);
  });
});

describe("vector variables (E204, E205)", () => {
  it("a size that is not a positive integer, at the size", () => {
    expectDiagnostics("landscape L { vars x[⟨1⟩2.5] in [-1, 1] f = x[1]^2 }\nlandscape M(n = 0) { vars x[⟨2⟩n] in [-1, 1] f = 1 }", [
      { code: "E204", message: "the size of 'x' is 2.5; a vector variable needs a positive integer size of at most 10000", at: 1 },
      { code: "E204", message: "the size of 'x' is 0; a vector variable needs a positive integer size of at most 10000", at: 2 },
    ]);
  });

  it("a landscape without variables, at its name", () => {
    const d = diagnose("landscape ⟨1⟩L { vars ⟨2⟩f = 1 }");
    expect(only(d, "E205").message).toBe("landscape 'L' declares no variables");
  });

  it("a bad size from an experiment's argument points at the user's argument", () => {
    const d = diagnose(`${STD}experiment E { on Rastrigin(⟨1⟩n = 0) run GD restarts 1 budget 10 iterations }`);
    const error = only(d, "E204");
    const locations = [error.span, ...error.related.map((r) => r.span)];
    expect(locations.some((s) => s.file === d.result.files[0]!.path && s.start.line === 3)).toBe(true);
  });
});

describe("formulas (E110)", () => {
  it("a vector used as a scalar", () => {
    expectDiagnostics("landscape L { vars x[2] in [-1, 1] f = ⟨1⟩x^2 }", [
      { code: "E110", message: "'x' is a vector of 2 coordinates; use one of them, e.g. x[1], or sum over them", at: 1 },
    ]);
  });

  it("an index out of range, at the index", () => {
    expectDiagnostics("landscape L { vars x[2] in [-1, 1] f = x[⟨1⟩3] }", [
      { code: "E110", message: "index 3 is out of range for 'x', whose coordinates are x[1]..x[2]", at: 1 },
    ]);
  });

  it("division by zero, at the divisor", () => {
    expectDiagnostics("landscape L { vars x in [-1, 1] f = x / ⟨1⟩0 }", [{ code: "E110", message: "division by zero", at: 1 }]);
  });

  it("a function with two arguments", () => {
    expectDiagnostics("landscape L { vars x in [-1, 1] f = ⟨1⟩sin(x, x) }", [{ code: "E110", message: "'sin' takes exactly one argument, got 2", at: 1 }]);
  });
});

describe("declared minima", () => {
  it("a minimum outside its domain, at the point (E201)", () => {
    const d = expectDiagnostics("landscape L {\n  vars x in [-1, 1]\n  f = (x - 2)^2\n  minima { M global at ⟨1⟩(2) }\n}", [
      { code: "E201", message: "minimum 'M' has x = 2, outside the domain [-1, 1]", at: 1 },
    ]);
    expect(d.diagnostics[0]!.suggestion).toBe("fix the coordinate or widen the variable's domain");
  });

  it("names the first coordinate outside, for vectors too (E201)", () => {
    expectDiagnostics("landscape L(n = 3) {\n  vars x[n] in [0, 1]\n  f = sum(i in 1..n, x[i]^2)\n  minima { M global at ⟨1⟩all(-1) }\n}", [
      { code: "E201", message: "minimum 'M' has x[1] = -1, outside the domain [0, 1]", at: 1 },
    ]);
  });

  it("a minimum with too few or too many coordinates (E202)", () => {
    const d = expectDiagnostics(
      "landscape L {\n  vars x in [-1, 1], y in [-1, 1]\n  f = x^2 + y^2\n  minima {\n    A global at ⟨1⟩(0)\n    B local at ⟨2⟩(0, 0, 0)\n  }\n}",
      [
        { code: "E202", message: "minimum 'A' has 1 coordinate, but the landscape has 2 dimensions", at: 1 },
        { code: "E202", message: "minimum 'B' has 3 coordinates, but the landscape has 2 dimensions", at: 2 },
      ],
    );
    expect(d.diagnostics.map((x) => x.suggestion)).toEqual(["give 2 coordinates", "give 2 coordinates"]);
  });

  it("suggests all(c) for a high-dimensional landscape (E202)", () => {
    const d = expectDiagnostics("landscape L(n = 5) { vars x[n] in [-1, 1] f = sum(i in 1..n, x[i]^2) minima { M global at ⟨1⟩(0, 0) } }", [
      { code: "E202", message: "minimum 'M' has 2 coordinates, but the landscape has 5 dimensions", at: 1 },
    ]);
    expect(d.diagnostics[0]!.suggestion).toBe("use 'all(c)' to give every coordinate the same value");
  });

  it("says 'give 1 coordinate' on a one-dimensional landscape", () => {
    const d = diagnose("landscape L { vars x in [-1, 1] f = x^2 minima { M global at (0, 0) } }");
    expect(only(d, "E202").suggestion).toBe("give 1 coordinate");
  });

  it("warns (W203) where the gradient is not ~0, giving its norm", () => {
    const d = expectDiagnostics("landscape Bowl {\n  vars x in [-1, 1], y in [-1, 1]\n  f = x^2 + y^2\n  minima { M global at ⟨1⟩(0.5, 0) }\n}", [
      { code: "W203", message: "the gradient at minimum 'M' has norm 1.00, so it is not a stationary point", at: 1 },
    ]);
    expect(d.diagnostics[0]!.severity).toBe("warning");
    // A warning does not stop compilation.
    expect(d.result.plan).toBeDefined();
  });

  it("warns (W203) for a minimum given to too few decimals, with the norm in the message", () => {
    const d = expectDiagnostics(
      "landscape Camel {\n  vars x in [-5, 5], y in [-5, 5]\n  f = 2*x^2 - 1.05*x^4 + x^6/6 + x*y + y^2\n  minima { LM local at ⟨1⟩(1.75, -0.87) }\n}",
      [{ code: "W203", message: /^the gradient at minimum 'LM' has norm (\d\.\d\de-\d|0\.\d+), so it is not a stationary point$/, at: 1 }],
    );
    const norm = Number(/norm (\S+),/.exec(d.diagnostics[0]!.message)![1]);
    expect(norm).toBeGreaterThan(0.01);
    expect(norm).toBeLessThan(0.1);
  });

  it("does not warn at a stationary point, nor at a kink where the gradient is not finite", () => {
    expectDiagnostics(
      "landscape Bowl { vars x in [-1, 1] f = x^2 minima { M global at (0) } }\nlandscape Cone { vars x in [-1, 1], y in [-1, 1] f = sqrt(x^2 + y^2) minima { M global at (0, 0) } }",
      [],
    );
  });

  it("checks minima with the parameters' defaults", () => {
    expectDiagnostics("landscape Shifted(c = 0.5) {\n  vars x in [-1, 1]\n  f = (x - c)^2\n  minima { M global at ⟨1⟩(c + 1) }\n}", [
      { code: "E201", message: "minimum 'M' has x = 1.5, outside the domain [-1, 1]", at: 1 },
    ]);
  });

  it("checks minima where an experiment binds the parameters (E201)", () => {
    expectDiagnostics(`${STD}landscape Shifted(c) {\n  vars x in [-1, 1]\n  f = (x - c)^2\n  minima { M global at ⟨1⟩(c) }\n}\nexperiment E { on Shifted(c = 3) run GD restarts 1 budget 10 gradients }`, [
      { code: "E201", message: "minimum 'M' has x = 3, outside the domain [-1, 1]", at: 1 },
    ]);
  });
});
