// Optimizers and procedures: whether a loop pass can spend gradient budget (the cost analysis
// of compiler/lower/cost.ts), where 'hop' and 'start' may stand, distributions, update
// methods, recursion and hyperparameter values.
import { describe, expect, it } from "vitest";
import { at, diagnose, expectDiagnostics, only, start, STD } from "./helpers.js";

const spendsNothing = (name: string) => `a pass of '${name}' can end without evaluating a gradient, so its gradient budget may never run out`;

/** A spec running each optimizer (marked ⟨k⟩ at its 'run' target) under a gradient budget. */
function runUnderGradientBudget(declarations: string[], names: string[]): string {
  return `${STD}${declarations.join("\n")}\nexperiment E { on Himmelblau run ${names.map((n, k) => `⟨${k + 1}⟩${n}`).join(", ")} restarts 1 budget 10 gradients }`;
}

describe("loops that cannot spend a gradient budget (E400)", () => {
  it("rejects a loop that only moves the model, where an experiment budgets it in gradients", () => {
    const d = expectDiagnostics(runUnderGradientBudget(["optimizer Jumpy { perturb model ball(1) }"], ["Jumpy"]), [{ code: "E400", message: spendsNothing("Jumpy"), at: 1 }]);
    expect(d.diagnostics[0]!.suggestion).toMatch(/outside any 'when' guard/);
  });

  it("rejects it where an experiment budgets it in gradients, at the 'run' target", () => {
    const d = diagnose(`${STD}optimizer Jumpy { perturb model ball(1) }\nexperiment E { on Himmelblau run GD, ⟨1⟩Jumpy restarts 1 budget 10 gradients }`);
    expect(d.diagnostics.map((x) => x.code)).toContain("E400");
    expect(d.diagnostics.every((x) => x.code === "E400")).toBe(true);
    expect(d.diagnostics.map((x) => ({ message: x.message, ...start(x.span) }))).toContainEqual({
      message: "a pass of 'Jumpy' can end without evaluating a gradient, so its gradient budget may never run out",
      ...at(d, 1),
    });
    expect(d.result.plan).toBeUndefined();
  });

  it("rejects a parameterised one at the 'run' target, and accepts it under an iteration budget", () => {
    const optimizer = "optimizer Jumpy(r) { perturb model ball(r) }\n";
    const d = expectDiagnostics(`${STD}${optimizer}experiment E { on Himmelblau run ⟨1⟩Jumpy(1) restarts 1 budget 10 gradients }`, [
      { code: "E400", message: "a pass of 'Jumpy' can end without evaluating a gradient, so its gradient budget may never run out", at: 1 },
    ]);
    expect(d.diagnostics[0]!.suggestion).toMatch(/^budget the experiment in iterations, or make every pass use the gradient/);
    expectDiagnostics(`${STD}${optimizer}experiment E { on Himmelblau run Jumpy(1) restarts 1 budget 10 iterations }`, []);
  });

  it("accepts a loop that spends no gradient when every experiment budgets it in iterations", () => {
    expectDiagnostics(`${STD}optimizer Jumpy { perturb model ball(1) }\nexperiment E { on Himmelblau run Jumpy restarts 1 budget 10 iterations }`, []);
  });

  it("accepts a guard that reads gradnorm: the guard itself evaluates the gradient", () => {
    expectDiagnostics(
      [
        "optimizer Lazy(lr = 0.1) { descend lr when gradnorm > 1 }",
        "optimizer Kick { perturb model ball(1) when gradnorm < 1e-3 }",
        "optimizer Either { perturb model ball(1) when t > 10 or gradnorm < 1 }",
      ].join("\n"),
      [],
    );
  });

  it("accepts loops whose every pass evaluates the gradient somewhere", () => {
    expectDiagnostics(
      [
        "optimizer Noise { perturb gradient ball(1) }",
        "optimizer Up { ascend 0.1 normalized }",
        "optimizer Rep { repeat 3 { perturb model ball(1) } until gradnorm < 1 }",
        "optimizer Three { repeat 3 { descend 0.1 } }",
        "optimizer Hopper { start descend 0.1\n hop { perturb model ball(1) descend 0.1 accept if lower } }",
        "procedure Step(lr) { descend lr }",
        "optimizer Calls(lr = 0.1) { Step(lr) }",
      ].join("\n"),
      [],
    );
  });

  it("rejects guards that do not read the gradient, and loops that may run no pass", () => {
    expectDiagnostics(
      runUnderGradientBudget(
        [
          "optimizer Late(lr = 0.1) { descend lr when t > 1 }",
          "optimizer UntilLoss { repeat 3 { descend 0.1 } until loss < 1 }",
          "optimizer HopModel { hop { perturb model ball(1) accept if lower } }",
          "procedure Step(lr) { descend lr }",
          "optimizer Sometimes(lr = 0.1) { Step(lr) when evals < 100 }",
        ],
        ["Late", "UntilLoss", "HopModel", "Sometimes"],
      ),
      [
        { code: "E400", message: spendsNothing("Late"), at: 1 },
        { code: "E400", message: spendsNothing("UntilLoss"), at: 2 },
        { code: "E400", message: spendsNothing("HopModel"), at: 3 },
        { code: "E400", message: spendsNothing("Sometimes"), at: 4 },
      ],
    );
  });

  it("follows each path through a guard: a guarded gradient step then an unguarded one spends on every path", () => {
    // Taken: the guarded perturbation evaluates the gradient, which the descent then reuses;
    // skipped: the descent evaluates it. Either way one evaluation per pass.
    expectDiagnostics(
      runUnderGradientBudget(
        [
          "optimizer Late(lr = 0.1) { perturb gradient ball(2) when evals > 60\n descend lr }",
          "optimizer Kicked(lr = 0.1) { perturb model ball(1) when t > 3\n perturb gradient sphere(1) when t > 5\n descend lr }",
          "optimizer Skipped(lr = 0.1) { perturb gradient ball(2) when evals > 60\n perturb model ball(1) }",
        ],
        ["Late", "Kicked", "Skipped"],
      ),
      // But a pass that skips the guarded gradient step and only moves the model spends nothing.
      [{ code: "E400", message: spendsNothing("Skipped"), at: 3 }],
    );
  });

  it("rejects an empty loop, also when everything is in 'start'", () => {
    const d = expectDiagnostics(runUnderGradientBudget(["optimizer Empty {}", "optimizer Once { start descend 0.1 }"], ["Empty", "Once"]), [
      { code: "E400", message: "optimizer 'Empty' has an empty loop, so it never spends its gradient budget", at: 1 },
      { code: "E400", message: "optimizer 'Once' has an empty loop, so it never spends its gradient budget", at: 2 },
    ]);
    expect(d.diagnostics[0]!.suggestion).toMatch(/^budget the experiment in iterations/);
  });

  it("accepts every optimizer of the standard library", () => {
    expectDiagnostics('import "std/optimizers"', []);
  });
});

describe("misplaced statements (E401)", () => {
  it("'hop' in a procedure, at the hop", () => {
    const d = expectDiagnostics("procedure P {\n  ⟨1⟩hop { descend 0.1 accept always }\n}\noptimizer O { P() }", [
      { code: "E401", message: "'hop' is allowed only directly in an optimizer's body", at: 1 },
    ]);
    expect(d.diagnostics[0]!.suggestion).toBe("move it out of the procedure, 'repeat' or 'start' block");
  });

  it("'hop' in a 'repeat' and in a 'start' block", () => {
    expectDiagnostics("optimizer A { repeat 2 { ⟨1⟩hop { descend 0.1 accept always } } }\noptimizer B { start { ⟨2⟩hop { descend 0.1 accept always } }\n descend 0.1 }", [
      { code: "E401", message: "'hop' is allowed only directly in an optimizer's body", at: 1 },
      { code: "E401", message: "'hop' is allowed only directly in an optimizer's body", at: 2 },
    ]);
  });

  it("'hop' next to other statements of the loop", () => {
    const d = expectDiagnostics("optimizer O {\n  descend 0.1\n  ⟨1⟩hop { descend 0.1 accept always }\n}", [
      { code: "E401", message: "an optimizer with a 'hop' has nothing else in its loop", at: 1 },
    ]);
    expect(d.diagnostics[0]!.suggestion).toBe("move the other statements into the hop block or into 'start'");
  });

  it("'start' nested in a 'repeat', a 'hop' or a procedure", () => {
    expectDiagnostics(
      "optimizer A { repeat 2 { ⟨1⟩start descend 1 } }\noptimizer B { hop { ⟨2⟩start descend 1 accept always } }\nprocedure P { ⟨3⟩start { descend 1 } }\noptimizer C { P() descend 1 }",
      [
        { code: "E401", message: "'start' is allowed only directly in an optimizer's body", at: 1 },
        { code: "E401", message: "'start' is allowed only directly in an optimizer's body", at: 2 },
        { code: "E401", message: "'start' is allowed only directly in an optimizer's body", at: 3 },
      ],
    );
  });
});

describe("distributions (E402) and update methods (E403)", () => {
  it("an unknown distribution suggests the nearest family", () => {
    const d = expectDiagnostics("optimizer O { perturb model ⟨1⟩bal(1)\n descend 0.1 }\noptimizer P { perturb gradient ⟨2⟩gausian(1)\n descend 0.1 }", [
      { code: "E402", message: "unknown distribution 'bal'", at: 1 },
      { code: "E402", message: "unknown distribution 'gausian'", at: 2 },
    ]);
    expect(d.diagnostics.map((x) => x.suggestion)).toEqual(["did you mean 'ball'?", "did you mean 'gaussian'?"]);
  });

  it("an unknown distribution with nothing close lists the families", () => {
    const d = expectDiagnostics("optimizer O { perturb model ⟨1⟩normal(1)\n descend 0.1 }", [{ code: "E402", message: "unknown distribution 'normal'", at: 1 }]);
    expect(d.diagnostics[0]!.suggestion).toBe("use one of ball, gaussian, sphere");
  });

  it("'uniform' as a distribution is an unknown distribution with a suggestion", () => {
    const d = expectDiagnostics("optimizer O { perturb model ⟨1⟩uniform(1)\n descend 0.1 }", [{ code: "E402", message: /unknown distribution 'uniform'/, at: 1 }]);
    expect(d.diagnostics[0]!.suggestion).toMatch(/ball/);
  });

  it("an unknown update method suggests the nearest", () => {
    const d = expectDiagnostics("optimizer O { descend 0.1 with ⟨1⟩adamw() }", [{ code: "E403", message: "unknown update method 'adamw'", at: 1 }]);
    expect(d.diagnostics[0]!.suggestion).toBe("did you mean 'adam'?");
  });

  it("an unknown update method with nothing close shows both methods", () => {
    const d = expectDiagnostics("optimizer O { descend 0.1 with ⟨1⟩rmsprop }", [{ code: "E403", message: "unknown update method 'rmsprop'", at: 1 }]);
    expect(d.diagnostics[0]!.suggestion).toBe("use 'with momentum(beta = 0.9)' or 'with adam(beta1 = 0.9, beta2 = 0.999, eps = 1e-8)'");
  });

  it("accepts the update methods with positional and named arguments", () => {
    expectDiagnostics("optimizer A { descend 0.1 with adam(0.8, beta2 = 0.99) }\noptimizer M { descend 0.1 with momentum(0.5, nesterov = 1) }", []);
  });
});

describe("recursive procedures (E108)", () => {
  it("a procedure that calls itself, at the call", () => {
    const d = expectDiagnostics("procedure P {\n  descend 0.1\n  ⟨1⟩P()\n}\noptimizer O { P() }", [
      { code: "E108", message: "procedure 'P' calls itself (P -> P)", at: 1 },
    ]);
    expect(d.diagnostics[0]!.suggestion).toBe("use 'repeat' for repetition");
  });

  it("mutual recursion, naming the cycle", () => {
    expectDiagnostics("procedure P { Q() }\nprocedure Q { descend 0.1 ⟨1⟩P() }\noptimizer O { P() }", [
      { code: "E108", message: "procedure 'P' calls itself (P -> Q -> P)", at: 1 },
    ]);
  });

  it("reports errors in a procedure that no optimizer calls", () => {
    expectDiagnostics("procedure P(lr) {\n  descend ⟨1⟩lrr\n  ⟨2⟩Bogus()\n  ⟨3⟩P(lr)\n}", [
      { code: "E100", message: "unknown name 'lrr'", at: 1 },
      { code: "E100", message: "unknown procedure 'Bogus'", at: 2 },
      { code: "E108", message: /calls itself/, at: 3 },
    ]);
  });

  it("accepts a procedure called twice in sequence and from another procedure", () => {
    expectDiagnostics("procedure Step(lr) { descend lr }\nprocedure Twice(lr) { Step(lr) Step(lr / 2) }\noptimizer O(lr = 0.1) { Twice(lr) Step(lr) }", []);
  });
});

describe("hyperparameter values (E404)", () => {
  it("a non-positive learning rate, a negative scale, a bad repeat count and temperature", () => {
    expectDiagnostics(
      [
        "optimizer A { descend ⟨1⟩-1 }",
        "optimizer B(rho = -2) { perturb gradient gaussian(⟨2⟩rho)\n descend 0.1 }",
        "optimizer C { repeat ⟨3⟩2.5 { descend 0.1 } }",
        "optimizer D { repeat ⟨4⟩0 { descend 0.1 } }",
        "optimizer F { hop { descend 0.1 accept metropolis(⟨5⟩0) } }",
      ].join("\n"),
      [
        { code: "E404", message: "the learning rate is -1; it must be positive", at: 1 },
        { code: "E404", message: "the scale of 'gaussian' is -2; it must be a non-negative number", at: 2 },
        { code: "E404", message: "the repeat count is 2.5; it must be a positive integer", at: 3 },
        { code: "E404", message: "the repeat count is 0; it must be a positive integer", at: 4 },
        { code: "E404", message: "the temperature is 0; it must be positive", at: 5 },
      ],
    );
  });

  it("a learning rate made invalid by an experiment's argument, at the rate", () => {
    expectDiagnostics(`${STD}optimizer O(lr = 0.1) { descend ⟨1⟩lr }\nexperiment E { on Himmelblau run O(lr = 0) restarts 1 budget 10 gradients }`, [
      { code: "E404", message: "the learning rate is 0; it must be positive", at: 1 },
    ]);
  });

  it("an invalid argument to a procedure of the user's file, inside the procedure", () => {
    expectDiagnostics("procedure Step(lr) { descend ⟨1⟩lr }\noptimizer O { Step(-0.1) }", [
      { code: "E404", message: "the learning rate is -0.1; it must be positive", at: 1 },
    ]);
  });

  it("an invalid argument to a standard-library procedure points at the user's call", () => {
    const d = diagnose('import "std/optimizers"\noptimizer O { ⟨1⟩LocalSearch(⟨2⟩-0.1, 10, 0.01) }');
    const error = only(d, "E404");
    expect(error.message).toBe("in procedure 'LocalSearch' with these arguments: the learning rate is -0.1; it must be positive");
    expect(start(error.span)).toEqual(at(d, 1));
    expect(error.related[0]!.span.file).toMatch(/specs\/std\/optimizers\.optspec$/);
    const locations = [error.span, ...error.related.map((r) => r.span)].map((s) => ({ file: s.file, ...start(s) }));
    expect(locations.filter((l) => l.file === d.result.files[0]!.path)).not.toEqual([]);
  });
});
