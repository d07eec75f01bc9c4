// Name resolution: unknown names with "did you mean" suggestions, duplicate and reserved
// names, names of the wrong kind, parameters and argument counts, and imports.
import { describe, expect, it } from "vitest";
import { at, diagnose, expectDiagnostics, only, SPEC_PATH, start, STD } from "./helpers.js";

const STD_LANDSCAPES = /\/specs\/std\/landscapes\.optspec$/;
const STD_OPTIMIZERS = /\/specs\/std\/optimizers\.optspec$/;

describe("unknown names (E100)", () => {
  it("in an experiment's 'on' clause, suggesting the nearest landscape", () => {
    const d = expectDiagnostics(`${STD}experiment E { on ⟨1⟩Himmelblua run GD restarts 1 budget 10 gradients }`, [
      { code: "E100", message: "unknown landscape 'Himmelblua'", at: 1 },
    ]);
    expect(d.diagnostics[0]!.suggestion).toBe("did you mean 'Himmelblau'?");
  });

  it("in an 'on' clause, at the misspelt one of several targets", () => {
    const d = expectDiagnostics(`${STD}experiment E {\n  on Himmelblau, ⟨1⟩SixHumpCamle, ThreeHumpCamel\n  run GD restarts 1 budget 10 gradients\n}`, [
      { code: "E100", message: "unknown landscape 'SixHumpCamle'", at: 1 },
    ]);
    expect(d.diagnostics[0]!.suggestion).toContain("SixHumpCamel");
  });

  it("in an 'on' clause with no landscape declared, suggesting the standard library", () => {
    const d = expectDiagnostics('import "std/optimizers"\nexperiment E { on ⟨1⟩Himmelblau run GD restarts 1 budget 10 gradients }', [
      { code: "E100", message: "unknown landscape 'Himmelblau'", at: 1 },
    ]);
    expect(d.diagnostics[0]!.suggestion).toBe('declare one, or import "std/landscapes"');
  });

  it("in an 'on' clause with nothing close, listing the declared landscapes", () => {
    const d = expectDiagnostics(
      'import "std/optimizers"\nlandscape ⟨1⟩Bowl { vars x in [-1, 1] f = x^2 }\nexperiment E { on ⟨2⟩Zzyzx run GD restarts 1 budget 10 gradients }',
      [
        { code: "W500", message: "landscape 'Bowl' is declared but no experiment uses it", at: 1 },
        { code: "E100", message: "unknown landscape 'Zzyzx'", at: 2 },
      ],
    );
    expect(only(d, "E100").suggestion).toBe("declared landscapes: Bowl");
  });

  it("in an experiment's 'run' clause, suggesting the nearest optimizer", () => {
    const d = expectDiagnostics(`${STD}experiment E { on Himmelblau run GD, ⟨1⟩SMA restarts 1 budget 10 gradients }`, [
      { code: "E100", message: "unknown optimizer 'SMA'", at: 1 },
    ]);
    expect(d.diagnostics[0]!.suggestion).toContain("SAM");
  });

  it("in a 'run' clause, for a name with an alias and arguments", () => {
    const d = expectDiagnostics(`${STD}experiment E { on Himmelblau run ⟨1⟩NiM_MHB(rho = 1) as Wide restarts 1 budget 10 gradients }`, [
      { code: "E100", message: "unknown optimizer 'NiM_MHB'", at: 1 },
    ]);
    expect(d.diagnostics[0]!.suggestion).toContain("NiM_MBH");
  });

  it("for a procedure called in an optimizer body, suggesting the nearest procedure", () => {
    const d = expectDiagnostics('import "std/optimizers"\noptimizer O(lr = 0.1) {\n  descend lr\n  ⟨1⟩LocalSerch(lr, 10, 0.01)\n}', [
      { code: "E100", message: "unknown procedure 'LocalSerch'", at: 1 },
    ]);
    expect(d.diagnostics[0]!.suggestion).toBe("did you mean 'LocalSearch'?");
  });

  it("for a procedure called inside a hop block", () => {
    const d = expectDiagnostics(
      'import "std/optimizers"\noptimizer O(lr = 0.1) {\n  hop {\n    perturb model ball(1)\n    ⟨1⟩LocalSearh(lr, 10, 0.01)\n    accept if lower\n  }\n}',
      [{ code: "E100", message: "unknown procedure 'LocalSearh'", at: 1 }],
    );
    expect(d.diagnostics[0]!.suggestion).toContain("LocalSearch");
  });

  it("for a hyperparameter inside a 'descend', suggesting the declared parameter", () => {
    const d = expectDiagnostics("optimizer O(lr = 0.1, rho = 1) {\n  descend ⟨1⟩lrr\n}", [{ code: "E100", message: "unknown name 'lrr'", at: 1 }]);
    expect(d.diagnostics[0]!.suggestion).toBe("did you mean 'lr'?");
  });

  it("for a hyperparameter inside a distribution's scale", () => {
    const d = expectDiagnostics("optimizer O(lr = 0.1, rho = 1) {\n  perturb gradient ball(⟨1⟩rh0)\n  descend lr\n}", [
      { code: "E100", message: "unknown name 'rh0'", at: 1 },
    ]);
    expect(d.diagnostics[0]!.suggestion).toContain("rho");
  });

  it("for a hyperparameter in a procedure's argument, suggesting the caller's parameters", () => {
    const d = expectDiagnostics('import "std/optimizers"\noptimizer O(lr = 0.1, tau = 10) {\n  LocalSearch(lr, ⟨1⟩taw, 0.01)\n}', [
      { code: "E100", message: "unknown name 'taw'", at: 1 },
    ]);
    expect(d.diagnostics[0]!.suggestion).toContain("tau");
  });

  it("for a name inside a landscape formula, at the name", () => {
    expectDiagnostics("landscape L {\n  vars x in [-1, 1], y in [-1, 1]\n  f = x^2 + ⟨1⟩yy^2\n}", [
      { code: "E100", message: "unknown name 'yy' in the formula", at: 1 },
    ]);
  });

  it("for a name inside a landscape formula, as E100 suggesting the nearest variable", () => {
    const d = expectDiagnostics("landscape L {\n  vars x in [-1, 1], y in [-1, 1]\n  f = x^2 + ⟨1⟩yy^2\n}", [
      { code: "E100", message: /unknown name 'yy'/, at: 1 },
    ]);
    expect(d.diagnostics[0]!.suggestion).toContain("'y'");
  });

  it("for an unknown function in a formula, listing the built-in functions", () => {
    expectDiagnostics("landscape L { vars x in [-1, 1] f = ⟨1⟩sinn(x) }", [
      { code: "E100", message: "unknown function 'sinn'", at: 1 },
    ]);
  });

  it("for a name in a landscape parameter's default, a domain bound or a minimum", () => {
    expectDiagnostics("landscape L(n = ⟨1⟩m) { vars x in [-1, 1] f = x^2 }\nlandscape M { vars x in [-⟨2⟩widht, 1] f = x^2 }", [
      { code: "E100", message: "unknown name 'm'", at: 1 },
      { code: "E100", message: "unknown name 'widht'", at: 2 },
    ]);
  });

  it("for a name in a condition (E405), suggesting the state name", () => {
    const d = expectDiagnostics("optimizer O(eps = 0.1) {\n  descend 0.1 when ⟨1⟩gradnrm < eps\n}\noptimizer P {\n  repeat 3 { descend 0.1 } until ⟨2⟩los < 1\n}", [
      { code: "E405", message: "unknown name 'gradnrm' in a condition", at: 1 },
      { code: "E405", message: "unknown name 'los' in a condition", at: 2 },
    ]);
    expect(d.diagnostics.map((x) => x.suggestion)).toEqual(["did you mean 'gradnorm'?", "did you mean 'loss'?"]);
  });

  it("for a state name used where a constant is needed (E109)", () => {
    expectDiagnostics("optimizer O {\n  descend 0.1 with momentum(beta = ⟨1⟩gradnorm)\n}", [
      { code: "E109", message: "'gradnorm' changes along a trajectory and cannot be used in the argument 'beta'", at: 1 },
    ]);
  });
});

describe("names of the wrong kind (E106)", () => {
  it("an optimizer in 'on' and a landscape in 'run'", () => {
    expectDiagnostics(`${STD}experiment E { on ⟨1⟩GD run ⟨2⟩Himmelblau restarts 1 budget 10 iterations }`, [
      { code: "E106", message: "'GD' is an optimizer, not a landscape", at: 1 },
      { code: "E106", message: /^'Himmelblau' is a landscape, not an? optimizer$/, at: 2 },
    ]);
  });

  it("says 'not an optimizer'", () => {
    expectDiagnostics(`${STD}experiment E { on Himmelblau run ⟨1⟩Himmelblau restarts 1 budget 10 iterations }`, [
      { code: "E106", message: "'Himmelblau' is a landscape, not an optimizer", at: 1 },
    ]);
  });

  it("a landscape called as a procedure", () => {
    expectDiagnostics('import "std/landscapes"\noptimizer O {\n  ⟨1⟩Himmelblau()\n  descend 0.1\n}', [
      { code: "E106", message: "'Himmelblau' is a landscape, not a procedure", at: 1 },
    ]);
  });
});

describe("duplicate names (E101)", () => {
  it("two landscapes with the same name, with the first as related location", () => {
    const d = expectDiagnostics("landscape L { vars x in [-1, 1] f = x^2 }\nlandscape ⟨1⟩L { vars y in [-1, 1] f = y^2 }", [
      { code: "E101", message: "'L' is already declared as landscape 'L'", at: 1 },
    ]);
    const related = d.diagnostics[0]!.related;
    expect(related.map((r) => ({ message: r.message, file: r.span.file, ...start(r.span) }))).toEqual([
      { message: "first declared here", file: SPEC_PATH, line: 1, column: 11 },
    ]);
  });

  it("an optimizer and a procedure share one namespace", () => {
    expectDiagnostics("procedure Step { descend 0.1 }\noptimizer ⟨1⟩Step { descend 0.1 }", [
      { code: "E101", message: "'Step' is already declared as procedure 'Step'", at: 1 },
    ]);
  });

  it("a parameter reused as a variable, and a minimum declared twice, inside a landscape", () => {
    const d = expectDiagnostics("landscape L(a = 1) {\n  vars x in [-1, 1], ⟨1⟩a in [0, 1]\n  f = x^2\n  minima { M global at (0, 0) ⟨2⟩M local at (0, 0) }\n}", [
      { code: "E101", message: "parameter or variable 'a' is declared twice", at: 1 },
      { code: "E101", message: "minimum 'M' is declared twice", at: 2 },
    ]);
    expect(d.diagnostics.map((x) => start(x.related[0]!.span))).toEqual([
      { line: 1, column: 13 },
      { line: 4, column: 12 },
    ]);
  });

  it("the same landscape twice in one experiment, suggesting an alias", () => {
    const d = expectDiagnostics(`${STD}experiment E { on Himmelblau, ⟨1⟩Himmelblau run GD restarts 1 budget 10 gradients }`, [
      { code: "E101", message: "landscape 'Himmelblau' appears twice in this experiment", at: 1 },
    ]);
    expect(d.diagnostics[0]!.suggestion).toContain("as Himmelblau2");
    expect(start(d.diagnostics[0]!.related[0]!.span)).toEqual({ line: 3, column: 19 });
  });

  it("an alias that repeats an optimizer's name in one experiment, at the alias", () => {
    expectDiagnostics(`${STD}experiment E { on Himmelblau run GD, SAM as ⟨1⟩GD restarts 1 budget 10 gradients }`, [
      { code: "E101", message: "optimizer 'GD' appears twice in this experiment", at: 1 },
    ]);
  });

  it("a user declaration clashing with an imported standard-library name is reported, with a related location", () => {
    const d = diagnose('import "std/landscapes"\nlandscape Himmelblau { vars x in [-1, 1] f = x^2 }');
    const clash = only(d, "E101");
    expect(clash.message).toBe("'Himmelblau' is already declared as landscape 'Himmelblau'");
    expect(clash.related).toHaveLength(1);
    // Reported at the user's declaration, with the library's as the related location.
    expect(clash.span.file).toBe(SPEC_PATH);
    expect(clash.related[0]!.span.file).toMatch(STD_LANDSCAPES);
  });

  it("a clash with an imported standard-library name is reported at the user's declaration", () => {
    const d = expectDiagnostics('import "std/landscapes"\nlandscape ⟨1⟩Himmelblau { vars x in [-1, 1] f = x^2 }', [
      { code: "E101", message: /'Himmelblau' is already declared/, at: 1 },
    ]);
    expect(d.diagnostics[0]!.related[0]!.span.file).toMatch(STD_LANDSCAPES);
  });

  it("a clash with an imported standard-library optimizer is reported at the user's declaration", () => {
    const d = expectDiagnostics(`${STD}optimizer ⟨1⟩GD(lr = 0.5) { descend lr }\nexperiment E { on Himmelblau run GD restarts 1 budget 10 gradients }`, [
      { code: "E101", message: /'GD' is already declared/, at: 1 },
    ]);
    expect(d.diagnostics[0]!.related[0]!.span.file).toMatch(STD_OPTIMIZERS);
  });
});

describe("reserved names (E107)", () => {
  it("a landscape variable or parameter named like a built-in", () => {
    expectDiagnostics("landscape L(⟨1⟩pi = 3) { vars ⟨2⟩exp in [-1, 1] f = exp^2 }", [
      { code: "E107", message: "'pi' is a built-in name and cannot be a landscape variable or parameter", at: 1 },
      { code: "E107", message: "'exp' is a built-in name and cannot be a landscape variable or parameter", at: 2 },
    ]);
  });

  it("an optimizer parameter named like a state name", () => {
    const d = diagnose("optimizer O(⟨1⟩t = 1, lr = 0.1) { descend lr when t > 5 }");
    expect(start(only(d, "E107").span)).toEqual(at(d, 1));
    expect(only(d, "E107").message).toBe("'t' is a built-in name and cannot be a parameter: conditions read it as the trajectory's state");
  });
});

describe("parameters and arguments", () => {
  it("an unknown parameter name suggests the nearest (E102)", () => {
    const d = expectDiagnostics(`${STD}experiment E { on Himmelblau run SAM(⟨1⟩rhoo = 0.1) restarts 1 budget 10 gradients }`, [
      { code: "E102", message: "optimizer 'SAM' has no parameter 'rhoo'", at: 1 },
    ]);
    expect(d.diagnostics[0]!.suggestion).toBe("did you mean 'rho'?");
  });

  it("an unknown parameter of a landscape, an alias and an update method (E102)", () => {
    const d = expectDiagnostics(
      `${STD}optimizer Wide = SAM(⟨1⟩rh = 1)\noptimizer Heavy { descend 0.1 with momentum(⟨2⟩betta = 0.5) }\nexperiment E { on Rastrigin(⟨3⟩m = 2) run Wide, Heavy restarts 1 budget 10 gradients }`,
      [
        { code: "E102", message: "optimizer 'SAM' has no parameter 'rh'", at: 1 },
        { code: "E102", message: "'momentum' has no parameter 'betta'", at: 2 },
        { code: "E102", message: "landscape 'Rastrigin' has no parameter 'm'", at: 3 },
      ],
    );
    expect(d.diagnostics.map((x) => x.suggestion)).toEqual([expect.stringContaining("'rho'"), "did you mean 'beta'?", "did you mean 'n'?"]);
  });

  it("too many positional arguments to a procedure, at the first extra one (E103)", () => {
    const d = expectDiagnostics('import "std/optimizers"\noptimizer O(lr = 0.1) { LocalSearch(lr, 10, 0.1, ⟨1⟩5) }', [
      { code: "E103", message: "procedure 'LocalSearch' takes 3 parameters, but more arguments were given", at: 1 },
    ]);
    expect(d.diagnostics[0]!.suggestion).toBe("its parameters are lr, tau, eps");
  });

  it("arguments to a procedure that takes none (E103)", () => {
    expectDiagnostics("procedure Step { descend 0.1 }\noptimizer O { Step(⟨1⟩1) }", [
      { code: "E103", message: "procedure 'Step' takes 0 parameters, but more arguments were given", at: 1 },
    ]);
  });

  it("a positional argument after a named one (E103)", () => {
    expectDiagnostics("procedure P(a, b = 2) { descend a * b }\noptimizer O { P(b = 3, ⟨1⟩1) }", [
      { code: "E103", message: "a positional argument cannot follow a named one", at: 1 },
    ]);
  });

  it("a distribution with two arguments (E103)", () => {
    expectDiagnostics("optimizer O { perturb model ⟨1⟩ball(1, 2) descend 0.1 }", [
      { code: "E103", message: "'ball' takes one argument (its radius), not 2", at: 1 },
    ]);
  });

  it("a missing argument for a parameter without a default, at the call, with the parameter as related location (E104)", () => {
    const d = expectDiagnostics('import "std/optimizers"\noptimizer O(lr = 0.1) { ⟨1⟩LocalSearch(lr, 10) }', [
      { code: "E104", message: "procedure 'LocalSearch' needs a value for 'eps'", at: 1 },
    ]);
    const related = d.diagnostics[0]!.related[0]!;
    expect(related.message).toBe("'eps' is declared here without a default");
    expect(related.span.file).toMatch(STD_OPTIMIZERS);
    expect(start(related.span)).toEqual({ line: 7, column: 32 });
  });

  it("a landscape parameter without a default and no argument in 'on' (E104)", () => {
    expectDiagnostics('import "std/optimizers"\nlandscape L(n) { vars x[n] in [-1, 1] f = sum(i in 1..n, x[i]^2) }\nexperiment E { on ⟨1⟩L run GD restarts 1 budget 10 gradients }', [
      { code: "E104", message: "landscape 'L' needs a value for 'n'", at: 1 },
    ]);
  });

  it("an optimizer parameter without a default and no argument in 'run' (E104)", () => {
    expectDiagnostics('import "std/landscapes"\noptimizer O(lr) { descend lr }\nexperiment E { on Himmelblau run ⟨1⟩O restarts 1 budget 10 gradients }', [
      { code: "E104", message: "optimizer 'O' needs a value for 'lr'", at: 1 },
    ]);
  });

  it("accepts a parameter without a default when every use gives it", () => {
    expectDiagnostics('import "std/landscapes"\noptimizer O(lr) { descend lr }\nexperiment E { on Himmelblau run O(0.1), O(lr = 0.2) as O2 restarts 1 budget 10 gradients }', []);
  });

  it("an argument given twice (E105)", () => {
    expectDiagnostics("procedure P(a, b = 2) { descend a * b }\noptimizer O { P(1, ⟨1⟩a = 3) }", [{ code: "E105", message: "'a' is given twice", at: 1 }]);
  });
});

describe("optimizer aliases", () => {
  it("an alias of an unknown optimizer", () => {
    expectDiagnostics("optimizer A = ⟨1⟩GDD", [{ code: "E100", message: "unknown optimizer 'GDD'", at: 1 }]);
  });

  it("accepts an alias chain and uses of an alias with arguments", () => {
    expectDiagnostics(`${STD}optimizer Wide = SAM(rho = 0.5)\noptimizer Wider = Wide(rho = 1)\nexperiment E { on Himmelblau run Wider, Wide(lr = 0.01) as Fast restarts 1 budget 10 gradients }`, []);
  });

  it("an alias cycle is reported as a cycle (E108), not as a wrong kind", () => {
    expectDiagnostics("optimizer A = ⟨1⟩B\noptimizer B = ⟨2⟩A", [
      { code: "E108", message: /refers to itself/, at: 1 },
      { code: "E108", message: /refers to itself/, at: 2 },
    ]);
  });

  it("an alias of itself is reported as a cycle (E108)", () => {
    expectDiagnostics("optimizer A = ⟨1⟩A", [{ code: "E108", message: /refers to itself/, at: 1 }]);
  });
});

describe("imports (E010)", () => {
  it("a missing standard-library module, at the import line, naming the modules", () => {
    const d = expectDiagnostics('⟨1⟩import "std/landscape"\nlandscape L { vars x in [-1, 1] f = x^2 }', [
      { code: "E010", message: "cannot find 'std/landscape'", at: 1 },
    ]);
    expect(d.diagnostics[0]!.suggestion).toBe("the standard library has 'std/landscapes' and 'std/optimizers'");
  });

  it("a missing relative import, saying where it looked", () => {
    const d = expectDiagnostics('import "std/landscapes"\n⟨1⟩import "./shared"', [{ code: "E010", message: "cannot find './shared'", at: 1 }]);
    expect(d.diagnostics[0]!.suggestion).toContain("/virtual/shared.optspec");
  });

  it("does not hide the errors in the rest of the file", () => {
    expectDiagnostics('⟨1⟩import "std/optimisers"\nlandscape L { vars x in ⟨2⟩[1, 1] f = x^2 }', [
      { code: "E010", message: "cannot find 'std/optimisers'", at: 1 },
      { code: "E200", message: "the domain of 'x' is [1, 1], which is empty", at: 2 },
    ]);
  });

  it("reads a relative import and an absolute one from the host, each once", () => {
    const lib = "optimizer Mine(lr = 0.1) { descend lr }";
    const d = expectDiagnostics(
      'import "lib"\nimport "/virtual/lib.optspec"\nimport "std/landscapes"\nexperiment E { on Himmelblau run Mine restarts 1 budget 10 gradients }',
      [],
      { "/virtual/lib.optspec": lib },
    );
    expect(d.result.files.map((f) => f.path).filter((p) => p === "/virtual/lib.optspec")).toHaveLength(1);
  });

  it("tolerates an import cycle", () => {
    const other = 'import "/virtual/spec.optspec"\noptimizer P { descend 0.1 }';
    expectDiagnostics('import "/virtual/other.optspec"\noptimizer O { descend 0.1 }', [], { "/virtual/other.optspec": other });
  });
});
