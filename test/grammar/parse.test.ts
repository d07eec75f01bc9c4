// Valid programs: every construct of SYNTAX.md reaches the AST with the right shape.

import { describe, expect, it } from "vitest";
import { parse, withoutSpans, type Expr, type Program, type Statement } from "../../grammar/index.js";
import { declaration, nameOf, PAPER_EXAMPLE, shape, STANDARD_LIBRARY_STYLE } from "./helpers.js";

function parsedCleanly(text: string): Program {
  const { program, problems } = parse(text, "test.optspec");
  expect(problems).toEqual([]);
  return program;
}

function bodyOf(statements: string): Statement[] {
  return declaration(parsedCleanly(`optimizer O { ${statements} }`), "Optimizer").body as Statement[];
}

function rate(expression: string): Expr {
  const [statement] = bodyOf(`descend ${expression}`);
  if (statement?.kind !== "Descend") throw new Error("expected a descend statement");
  return statement.rate;
}

describe("the paper example", () => {
  const program = parsedCleanly(PAPER_EXAMPLE);

  it("has every declaration in source order", () => {
    const summary = program.declarations.map((d) => `${d.kind} ${nameOf(d)}`);
    expect(summary).toEqual([
      "Import std/landscapes",
      "Import ../shared.optspec",
      "Landscape Himmelblau",
      "Landscape Rastrigin",
      "Optimizer GD",
      "Optimizer NiG_GD",
      "Optimizer NiM_GD",
      "Optimizer SAM",
      "Optimizer Heavy",
      "OptimizerAlias SAM_wide",
      "Procedure LocalSearch",
      "Optimizer NiM_MBH",
      "Optimizer Anneal",
      "Experiment Table1",
      "Experiment Local",
      "Experiment Fixed",
    ]);
  });

  it("builds landscapes: variables, objective, minima", () => {
    const himmelblau = declaration(program, "Landscape", "Himmelblau");
    expect(himmelblau.params).toEqual([]);
    expect(himmelblau.variables.map((v) => v.name.name)).toEqual(["x", "y"]);
    expect(shape(himmelblau.variables[0]!.domain.lo)).toBe("(neg 5)");
    expect(shape(himmelblau.objective!)).toBe("(+ (^ (- (+ (^ x 2) y) 11) 2) (^ (- (+ x (^ y 2)) 7) 2))");
    expect(himmelblau.minima.map((m) => [m.name.name, m.label, m.at.kind])).toEqual([
      ["GM1", "global", "PointList"],
      ["GM2", "global", "PointList"],
    ]);
    const gm2 = himmelblau.minima[1]!.at;
    expect(gm2.kind === "PointList" && gm2.coordinates.map(shape)).toEqual(["(neg 2.805118)", "3.131312"]);

    const rastrigin = declaration(program, "Landscape", "Rastrigin");
    expect(withoutSpans(rastrigin.params)).toEqual([
      { kind: "Parameter", name: { kind: "Identifier", name: "n" }, default: { kind: "Number", value: 10 } },
    ]);
    expect(shape(rastrigin.variables[0]!.size!)).toBe("n");
    expect(shape(rastrigin.objective!)).toBe(
      "(+ (* 10 n) (sum i 1 n (- (^ x[i] 2) (* 10 cos((* (* 2 pi) x[i]))))))",
    );
    expect(withoutSpans(rastrigin.minima[0]!.at)).toEqual({ kind: "PointFill", value: { kind: "Number", value: 0 } });
  });

  it("builds optimizers, aliases and procedures", () => {
    const nim = declaration(program, "Optimizer", "NiM_GD");
    expect(nim.params.map((p) => [p.name.name, p.default && shape(p.default)])).toEqual([
      ["lr", "0.001"],
      ["rho", "0.5"],
      ["eps", "0.01"],
      ["tau", "100"],
    ]);
    const [perturb, descend] = nim.body;
    expect(perturb?.kind).toBe("Perturb");
    if (perturb?.kind !== "Perturb") return;
    expect(perturb.target).toBe("model");
    expect(perturb.distribution.family.name).toBe("ball");
    expect(perturb.distribution.args.map((a) => shape(a.value))).toEqual(["rho"]);
    expect(perturb.guard?.kind).toBe("Logical");
    expect(descend?.kind).toBe("Descend");

    const sam = declaration(program, "Optimizer", "SAM");
    expect(sam.body.map((s) => s.kind)).toEqual(["Ascend", "Descend"]);
    expect(sam.body[0]).toMatchObject({ kind: "Ascend", normalized: true });

    const heavy = declaration(program, "Optimizer", "Heavy");
    expect(withoutSpans(heavy.body[0])).toMatchObject({
      kind: "Descend",
      method: {
        kind: "Invocation",
        callee: { name: "momentum" },
        args: [{ kind: "Argument", name: { name: "beta" }, value: { kind: "Number", value: 0.9 } }],
      },
    });

    const alias = declaration(program, "OptimizerAlias", "SAM_wide");
    expect(withoutSpans(alias.target)).toEqual({
      kind: "Invocation",
      callee: { kind: "Identifier", name: "SAM" },
      args: [
        {
          kind: "Argument",
          name: { kind: "Identifier", name: "rho" },
          value: { kind: "Number", value: 0.1 },
        },
      ],
    });

    const localSearch = declaration(program, "Procedure", "LocalSearch");
    expect(localSearch.params.map((p) => [p.name.name, p.default])).toEqual([
      ["lr", undefined],
      ["tau", undefined],
      ["eps", undefined],
    ]);
    const [repeat] = localSearch.body;
    expect(repeat?.kind === "Repeat" && [shape(repeat.times), repeat.body.length, repeat.until?.kind]).toEqual([
      "tau",
      1,
      "Comparison",
    ]);
  });

  it("builds start and hop", () => {
    const mbh = declaration(program, "Optimizer", "NiM_MBH");
    const [start, hop] = mbh.body;
    expect(start?.kind === "Start" && start.body.map((s) => s.kind)).toEqual(["CallStatement"]);
    expect(hop?.kind).toBe("Hop");
    if (hop?.kind !== "Hop") return;
    expect(hop.body.map((s) => s.kind)).toEqual(["Perturb", "CallStatement"]);
    expect(hop.accept).toMatchObject({ kind: "Acceptance", rule: "lower" });
    const call = hop.body[1];
    expect(call?.kind === "CallStatement" && call.args.map((a) => a.name?.name)).toEqual(["lr", "tau", "eps"]);

    const anneal = declaration(program, "Optimizer", "Anneal");
    const [annealStart, annealHop] = anneal.body;
    expect(annealStart?.kind === "Start" && annealStart.body.length).toBe(1);
    expect(annealHop?.kind === "Hop" && withoutSpans(annealHop.accept)).toEqual({
      kind: "Acceptance",
      rule: "metropolis",
      temperature: { kind: "Name", name: "T" },
    });
  });

  it("builds experiments with every clause", () => {
    const table1 = declaration(program, "Experiment", "Table1");
    expect(table1.clauses.map((c) => c.kind)).toEqual(["On", "Run", "Restarts", "Budget", "Init", "Seed", "Assign"]);
    const [on, run, restarts, budget, init, seed, assign] = table1.clauses;
    expect(
      on?.kind === "On" && on.targets.map((t) => [t.callee.name, t.args?.length, t.alias?.name]),
    ).toEqual([
      ["Himmelblau", undefined, undefined],
      ["Rastrigin", 1, "Rastrigin2"],
    ]);
    expect(run?.kind === "Run" && run.optimizers.map((o) => o.alias?.name ?? o.callee.name)).toEqual([
      "GD",
      "NiG_GD",
      "SAM01",
      "NiM_MBH",
    ]);
    expect(restarts?.kind === "Restarts" && shape(restarts.count)).toBe("500");
    expect(budget).toMatchObject({ kind: "Budget", unit: "gradients", amount: { value: 5000 } });
    expect(withoutSpans(init)).toEqual({ kind: "Init", mode: "uniform" });
    expect(seed).toMatchObject({ kind: "Seed", value: { value: 42 } });
    expect(assign).toMatchObject({ kind: "Assign", radius: { value: 0.1 } });

    const local = declaration(program, "Experiment", "Local");
    const localInit = local.clauses.find((c) => c.kind === "Init");
    expect(localInit?.kind === "Init" && localInit.box?.map((i) => [shape(i.lo), shape(i.hi)])).toEqual([
      ["(neg 1)", "1"],
      ["0", "2"],
    ]);
    expect(local.clauses.find((c) => c.kind === "Budget")).toMatchObject({ unit: "iterations" });

    const fixed = declaration(program, "Experiment", "Fixed");
    expect(fixed.clauses.map((c) => c.kind)).toEqual(["On", "Run", "Restarts", "Budget", "Init"]);
    expect(withoutSpans(fixed.clauses[4])).toEqual({
      kind: "Init",
      mode: "point",
      point: { kind: "PointList", coordinates: [{ kind: "Number", value: 1 }, { kind: "Number", value: 2 }] },
    });
  });
});

describe("standard-library style declarations", () => {
  const program = parsedCleanly(STANDARD_LIBRARY_STYLE);

  it("accepts ',' and ';' between minima and defaults that are expressions", () => {
    const ackley = declaration(program, "Landscape", "Ackley");
    expect(ackley.minima.map((m) => `${m.name.name}:${m.label}`)).toEqual(["GM:global", "Ridge:local", "Far:local"]);
    expect(shape(ackley.params[3]!.default!)).toBe("(* 2 pi)");
    const ridge = ackley.minima[1]!.at;
    expect(ridge.kind === "PointList" && ridge.coordinates.map(shape)).toEqual(["0.5", "25000"]);
    expect(declaration(program, "Landscape", "Table").params).toEqual([]);
    expect(declaration(program, "Landscape", "Table").minima).toEqual([]);
  });

  it("keeps invocation arguments and aliases in `with`", () => {
    const adam = declaration(program, "Optimizer", "Adam").body[0];
    expect(adam?.kind === "Descend" && adam.method?.args?.map((a) => a.name?.name ?? shape(a.value))).toEqual([
      "beta1",
      "beta2",
      "1e-8",
    ]);
    const momentum = declaration(program, "Optimizer", "Momentum").body[0];
    expect(momentum?.kind === "Descend" && momentum.method?.alias?.name).toBe("heavy");
  });

  it("parses guards on perturb, ascend and calls", () => {
    const body = declaration(program, "Optimizer", "Sphere_NiM").body;
    expect(body.map((s) => s.kind)).toEqual(["Perturb", "Perturb", "Ascend", "Descend"]);
    expect(body[1]).toMatchObject({ target: "gradient", distribution: { family: { name: "gaussian" } } });
    expect(body[2]).toMatchObject({ kind: "Ascend", normalized: false, guard: { kind: "Comparison", operator: ">" } });
    const polish = declaration(program, "Procedure", "Polish").body[0];
    expect(polish?.kind === "CallStatement" && [polish.args, polish.guard?.kind]).toEqual([[], "Not"]);
  });

  it("parses start blocks, hop with only an accept, and optional semicolons", () => {
    const [start, hop] = declaration(program, "Optimizer", "Restarting").body;
    expect(start?.kind === "Start" && start.body.map((s) => s.kind)).toEqual(["Descend", "Descend"]);
    expect(hop?.kind === "Hop" && [hop.body.map((s) => s.kind), hop.accept.rule]).toEqual([["Repeat"], "always"]);
    const twice = declaration(program, "Procedure", "Twice").body[0];
    expect(twice?.kind === "Repeat" && twice.until).toBeUndefined();
  });

  it("distinguishes `X`, `X()` and empty bodies", () => {
    expect(declaration(program, "Optimizer", "Empty").body).toEqual([]);
    expect(declaration(program, "OptimizerAlias", "Bare").target.args).toBeUndefined();
    expect(declaration(program, "OptimizerAlias", "Defaults").target.args).toEqual([]);
    expect(declaration(program, "Experiment", "Idle").clauses).toEqual([]);
    const everything = declaration(program, "Experiment", "Everything");
    const run = everything.clauses[1];
    expect(run?.kind === "Run" && run.optimizers.map((o) => o.args)).toEqual([expect.any(Array), undefined]);
  });
});

describe("lexing", () => {
  it("reads numbers in every form as JS numbers", () => {
    expect(["12", "1.5", ".5", "1e-3", "2.5E+4", "0", "007"].map((n) => (rate(n) as { value: number }).value)).toEqual([
      12, 1.5, 0.5, 0.001, 25000, 0, 7,
    ]);
  });

  it("reads `1..n` as 1, '..', n", () => {
    expect(shape(rate("sum(i in 1..n, i)"))).toBe("(sum i 1 n i)");
    expect(shape(rate("sum(k in .5..2.5, k)"))).toBe("(sum k 0.5 2.5 k)");
    expect(shape(rate("sum(k in a..b+1, k)"))).toBe("(sum k a (+ b 1) k)");
  });

  it("does not cut identifiers that start with a keyword", () => {
    expect(shape(rate("input + index * allx - summer / notably + orbit + t"))).toBe(
      "(+ (+ (- (+ input (* index allx)) (/ summer notably)) orbit) t)",
    );
  });

  it("reads keywords that are prefixes of others", () => {
    const experiment = declaration(
      parsedCleanly("experiment E { init uniform in [0, 1] budget 3 gradients }"),
      "Experiment",
    );
    expect(experiment.clauses.map((c) => c.kind)).toEqual(["Init", "Budget"]);
  });

  it("keeps comments out of the AST and unescapes strings", () => {
    const program = parsedCleanly('// line\n/* block\n */ import "a\\"b\\\\c" // trailing\n');
    expect(program.declarations).toMatchObject([{ kind: "Import", path: 'a"b\\c' }]);
  });

  it("accepts empty and comment-only files", () => {
    expect(parsedCleanly("").declarations).toEqual([]);
    expect(parsedCleanly("// nothing\n/* at all */\n").declarations).toEqual([]);
  });
});
