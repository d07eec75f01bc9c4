// Hypotheses: every claim form reaches the AST with the right shape and spans; errors, recovery,
// and the round trip print -> parse on handwritten and random hypotheses.

import { describe, expect, it } from "vitest";
import {
  parse,
  print,
  withoutSpans,
  type Claim,
  type HypothesisDecl,
  type Identifier,
  type NumberLiteral,
  type Program,
  type Span,
  type StatArgument,
  type StatCall,
  type SummaryOperand,
} from "../../grammar/index.js";
import { declaration, HYPOTHESES, marked, nameOf } from "./helpers.js";

function parsedCleanly(text: string): Program {
  const { program, problems } = parse(text, "hypotheses.optspec");
  expect(problems).toEqual([]);
  return program;
}

/** The claims of `hypothesis "h" { CLAIMS }`, without spans. */
function claims(text: string): unknown {
  return withoutSpans(declaration(parsedCleanly(`hypothesis "h" { ${text} }`), "Hypothesis").claims);
}

const id = (name: string) => ({ kind: "Identifier", name });
const num = (value: number) => ({ kind: "Number", value });
const population = (experiment: string, optimizer: string, landscape: string, attribute?: string) => ({
  kind: "Population",
  experiment: id(experiment),
  optimizer: id(optimizer),
  landscape: id(landscape),
  ...(attribute ? { attribute: id(attribute) } : {}),
});
const call = (callee: string, ...args: unknown[]) => ({ kind: "StatCall", callee: id(callee), args });
const statName = (name: string) => ({ kind: "StatName", name: id(name) });
const option = (name: string, value: unknown) => ({ kind: "StatOption", name: id(name), value });

function spanText(text: string, span: Span): string {
  return text.slice(span.start.offset, span.end.offset);
}

describe("parsing hypotheses", () => {
  it("reads the fixture's declarations", () => {
    const program = parsedCleanly(HYPOTHESES);
    expect(program.declarations.map((d) => `${d.kind} ${nameOf(d)}`)).toEqual([
      "Experiment Table1",
      "Hypothesis SAM avoids sharp minima",
      "Hypothesis every optimizer finds a global minimum",
      "Hypothesis empty",
    ]);
    const empty = declaration(program, "Hypothesis", "empty");
    expect(empty.adjust).toBeUndefined();
    expect(empty.claims).toEqual([]);
  });

  it("builds the documented example exactly", () => {
    const sam = declaration(parsedCleanly(HYPOTHESES), "Hypothesis", "SAM avoids sharp minima");
    expect(withoutSpans(sam)).toEqual({
      kind: "Hypothesis",
      name: "SAM avoids sharp minima",
      adjust: { kind: "Adjust", method: id("holm") },
      claims: [
        {
          kind: "ComparisonClaim",
          mode: "expect",
          left: call("share", population("Table1", "SAM", "SixHumpCamel"), statName("LM3"), statName("LM4")),
          operator: "<",
          right: call("share", population("Table1", "GD", "SixHumpCamel"), statName("LM3"), statName("LM4")),
          confidence: num(0.95),
        },
        {
          kind: "ForEach",
          variable: "optimizer",
          experiment: id("Table1"),
          body: [
            {
              kind: "TestClaim",
              mode: "expect",
              test: call(
                "chisquare",
                population("Table1", "optimizer", "Himmelblau"),
                call("uniform", statName("GM1"), statName("GM2"), statName("GM3"), statName("GM4")),
              ),
              outcome: { kind: "Significance", significant: false, alpha: num(0.05) },
            },
          ],
        },
        {
          kind: "ValueObservation",
          value: call(
            "mannwhitney",
            population("Table1", "SAM", "Rastrigin", "f"),
            population("Table1", "GD", "Rastrigin", "f"),
            option("alternative", id("less")),
          ),
        },
      ],
    });
  });

  it("builds tests for expect and observe, significant or not", () => {
    expect(claims("expect t(A.B on C.f) significant at 0.01  observe t(A.B on C) not significant at 1e-3")).toEqual([
      {
        kind: "TestClaim",
        mode: "expect",
        test: call("t", population("A", "B", "C", "f")),
        outcome: { kind: "Significance", significant: true, alpha: num(0.01) },
      },
      {
        kind: "TestClaim",
        mode: "observe",
        test: call("t", population("A", "B", "C")),
        outcome: { kind: "Significance", significant: false, alpha: num(0.001) },
      },
    ]);
  });

  it("builds comparisons of calls and numbers, with and without confidence", () => {
    expect(
      claims("expect m(A.B on C) >= 0.5 observe 0.1 > m() with confidence 0.9 expect 1 <= 2 observe m() < n()"),
    ).toEqual([
      { kind: "ComparisonClaim", mode: "expect", left: call("m", population("A", "B", "C")), operator: ">=", right: num(0.5) },
      { kind: "ComparisonClaim", mode: "observe", left: num(0.1), operator: ">", right: call("m"), confidence: num(0.9) },
      { kind: "ComparisonClaim", mode: "expect", left: num(1), operator: "<=", right: num(2) },
      { kind: "ComparisonClaim", mode: "observe", left: call("m"), operator: "<", right: call("n") },
    ]);
  });

  it("reads `observe CALL` alone as a value observation", () => {
    expect(claims("observe median(A.B on C.evals)")).toEqual([
      { kind: "ValueObservation", value: call("median", population("A", "B", "C", "evals")) },
    ]);
  });

  it("reads every kind of statistical argument", () => {
    const [claim] = claims(
      "observe f(E.O on L, E.optimizer on landscape.distance, k = v, k2 = 0.5, g(h(X)), Else, 3, uniform())",
    ) as { value: unknown }[];
    expect(claim!.value).toEqual(
      call(
        "f",
        population("E", "O", "L"),
        population("E", "optimizer", "landscape", "distance"),
        option("k", id("v")),
        option("k2", num(0.5)),
        call("g", call("h", statName("X"))),
        statName("Else"),
        num(3),
        call("uniform"),
      ),
    );
  });

  it("gives `for each X in E: CLAIM` and `for each X in E { CLAIM }` the same tree", () => {
    const colon = claims("for each landscape in E: observe m(E.GD on landscape)");
    const block = claims("for each landscape in E { observe m(E.GD on landscape) }");
    expect(colon).toEqual(block);
    expect(colon).toEqual([
      {
        kind: "ForEach",
        variable: "landscape",
        experiment: id("E"),
        body: [{ kind: "ValueObservation", value: call("m", population("E", "GD", "landscape")) }],
      },
    ]);
  });

  it("nests `for each` and allows empty blocks", () => {
    expect(claims("for each optimizer in E { for each landscape in E: observe m() } for each landscape in E {}")).toEqual([
      {
        kind: "ForEach",
        variable: "optimizer",
        experiment: id("E"),
        body: [{ kind: "ForEach", variable: "landscape", experiment: id("E"), body: [{ kind: "ValueObservation", value: call("m") }] }],
      },
      { kind: "ForEach", variable: "landscape", experiment: id("E"), body: [] },
    ]);
  });

  it("unescapes the name and keeps an adjust method of any name", () => {
    const h = declaration(parsedCleanly('hypothesis "say \\"hi\\" \\\\ bye" { adjust bonferroni }'), "Hypothesis");
    expect(h.name).toBe('say "hi" \\ bye');
    expect(h.adjust?.method.name).toBe("bonferroni");
  });

  it("keeps names that only start with the new keywords ordinary identifiers", () => {
    const program = parsedCleanly("optimizer format(eachX = 1, expected = 2, forward = 3) { descend observed + adjusted }");
    expect(declaration(program, "Optimizer").params.map((p) => p.name.name)).toEqual(["eachX", "expected", "forward"]);
  });

  it("does not split a file at `optimizer` / `landscape` inside a hypothesis", () => {
    const program = parsedCleanly(
      [
        'hypothesis "h" {',
        "  for each optimizer in E {",
        "    for each landscape in E: observe m(E.optimizer on landscape.f, E.optimizer on landscape)",
        "  }",
        "}",
        "optimizer O { descend 1 }",
        "landscape L { vars x in [0, 1] f = x }",
      ].join("\n"),
    );
    expect(program.declarations.map((d) => d.kind)).toEqual(["Hypothesis", "Optimizer", "Landscape"]);
  });
});

describe("spans of hypotheses", () => {
  const { text, at } = marked(
    [
      'hypothesis ⟨here⟩"a \\"b\\"" {',
      "  ⟨here⟩adjust holm",
      "  expect share(⟨here⟩Table1.SAM on SixHumpCamel.f, LM3) < 0.5 with confidence 0.95",
      "  for each optimizer in Table1 {",
      "    expect chisquare(Table1.optimizer on Himmelblau, uniform(GM1, GM2)) not significant at 0.05",
      "  }",
      "  observe mannwhitney(A.B on C, alternative = less)",
      "}",
    ].join("\n"),
  );
  const h = declaration(parsedCleanly(text), "Hypothesis");
  const [comparison, forEach, observation] = h.claims as [Claim, Claim, Claim];

  it("covers the declaration, its name and its adjust clause", () => {
    expect(spanText(text, h.span)).toBe(text);
    expect(h.nameSpan.start).toEqual(at[0]);
    expect(spanText(text, h.nameSpan)).toBe('"a \\"b\\""');
    expect(h.adjust!.span.start).toEqual(at[1]);
    expect(spanText(text, h.adjust!.span)).toBe("adjust holm");
    expect(spanText(text, h.adjust!.method.span)).toBe("holm");
  });

  it("covers populations and their parts", () => {
    if (comparison.kind !== "ComparisonClaim" || comparison.left.kind !== "StatCall") throw new Error("shape");
    const ref = comparison.left.args[0]!;
    if (ref.kind !== "Population") throw new Error("shape");
    expect(ref.span.start).toEqual(at[2]);
    expect(ref.span.end).toEqual({ offset: at[2]!.offset + 28, line: 3, column: at[2]!.column + 28 });
    expect(spanText(text, ref.span)).toBe("Table1.SAM on SixHumpCamel.f");
    expect([ref.experiment, ref.optimizer, ref.landscape, ref.attribute!].map((i) => spanText(text, i.span))).toEqual([
      "Table1",
      "SAM",
      "SixHumpCamel",
      "f",
    ]);
    expect(spanText(text, comparison.left.args[1]!.span)).toBe("LM3");
  });

  it("covers calls, claims, outcomes and options", () => {
    if (comparison.kind !== "ComparisonClaim" || forEach.kind !== "ForEach" || observation.kind !== "ValueObservation") {
      throw new Error("shape");
    }
    expect(spanText(text, comparison.span)).toBe(
      "expect share(Table1.SAM on SixHumpCamel.f, LM3) < 0.5 with confidence 0.95",
    );
    expect(spanText(text, comparison.left.span)).toBe("share(Table1.SAM on SixHumpCamel.f, LM3)");
    expect(spanText(text, comparison.right.span)).toBe("0.5");
    expect(spanText(text, comparison.confidence!.span)).toBe("0.95");
    expect(spanText(text, forEach.span)).toMatch(/^for each optimizer in Table1 \{[\s\S]*\}$/);
    expect(spanText(text, forEach.experiment.span)).toBe("Table1");
    const test = forEach.body[0]!;
    if (test.kind !== "TestClaim") throw new Error("shape");
    expect(spanText(text, test.test.span)).toBe("chisquare(Table1.optimizer on Himmelblau, uniform(GM1, GM2))");
    expect(spanText(text, test.test.args[0]!.span)).toBe("Table1.optimizer on Himmelblau");
    expect(spanText(text, test.test.args[1]!.span)).toBe("uniform(GM1, GM2)");
    expect(spanText(text, test.outcome!.span)).toBe("not significant at 0.05");
    expect(spanText(text, test.outcome!.alpha.span)).toBe("0.05");
    expect(spanText(text, observation.value.args[1]!.span)).toBe("alternative = less");
  });

  it("puts a valid span on every node of the fixture", () => {
    const { program } = parse(HYPOTHESES, "h.optspec");
    const missing: string[] = [];
    const visit = (value: unknown, path: string): void => {
      if (Array.isArray(value)) return value.forEach((item, i) => visit(item, `${path}[${i}]`));
      if (value === null || typeof value !== "object") return;
      const node = value as { kind?: string; span?: Span };
      if (node.kind !== undefined && !(node.span && node.span.start.offset < node.span.end.offset)) missing.push(path);
      for (const [key, child] of Object.entries(node)) if (key !== "span") visit(child, `${path}.${key}`);
    };
    visit(program, "program");
    expect(missing).toEqual([]);
  });
});

describe("errors in hypotheses", () => {
  function problems(source: string) {
    const { text, at } = marked(source);
    const { problems } = parse(text, "errors.optspec");
    return {
      found: problems.map((p) => ({ code: p.code, message: p.message, line: p.span.start.line, column: p.span.start.column })),
      at,
    };
  }

  it.each([
    [
      "a missing 'at' after 'significant'",
      'hypothesis "h" {\n  expect t(A.B on C) significant ⟨here⟩0.05\n}',
      "expected 'at' but found '0.05'",
    ],
    [
      "a test without an outcome after expect",
      'hypothesis "h" {\n  expect t(A.B on C) ⟨here⟩at 0.05\n}',
      "expected 'significant', 'not significant' or a comparison ('<', '<=', '>' or '>=') but found keyword 'at'",
    ],
    [
      "a number tested for significance",
      'hypothesis "h" { expect 1 ⟨here⟩significant at 0.05 }',
      "expected a comparison ('<', '<=', '>' or '>=') but found keyword 'significant'",
    ],
    ["a hypothesis without a string name", "hypothesis ⟨here⟩h { }", "expected a string but found 'h'"],
    ["a population with 'on' but no landscape", 'hypothesis "h" { observe m(A.B on ⟨here⟩) }', "expected a name, 'landscape' or 'task' but found ')'"],
    ["an attribute missing after '.'", 'hypothesis "h" { observe m(A.B on C.⟨here⟩) }', "expected a name but found ')'"],
    ["an option without a value", 'hypothesis "h" { observe m(x = ⟨here⟩) }', "expected a name or a number but found ')'"],
    [
      "a loop over something else",
      'hypothesis "h" { for each ⟨here⟩model in E: observe m() }',
      "expected 'optimizer', 'landscape' or 'task' but found keyword 'model'",
    ],
    ["a loop without ':' or '{'", 'hypothesis "h" { for each optimizer in E ⟨here⟩observe m() }', "expected ':' or '{' but found keyword 'observe'"],
    ["'with' without 'confidence'", 'hypothesis "h" { observe m() < 3 with ⟨here⟩0.9 }', "expected 'confidence' but found '0.9'"],
    ["a statement in a hypothesis", 'hypothesis "h" { ⟨here⟩descend 1 }', "expected '}' but found keyword 'descend'"],
    ["a new keyword as a declared name", "optimizer ⟨here⟩each { descend 1 }", "expected a name but found keyword 'each'"],
  ])("reports %s", (_, source, message) => {
    const { found, at } = problems(source);
    expect(found).toEqual([{ code: "E002", message, line: at[0]!.line, column: at[0]!.column }]);
  });

  it("writes every message on one line", () => {
    const broken = ['hypothesis "h" { expect }', 'hypothesis "h" { observe m( }', 'hypothesis "h" { for }', "hypothesis"];
    for (const text of broken) {
      const found = parse(text, "m.optspec").problems;
      expect(found.length).toBeGreaterThan(0);
      for (const problem of found) expect(problem.message).toMatch(/^(expected|unexpected) [^\n]*$/);
    }
  });
});

describe("recovery in hypotheses", () => {
  it("does not let a broken hypothesis hide a good experiment after it", () => {
    const { text, at } = marked(
      ['hypothesis "broken" {', "  expect t(A.B on C ⟨here⟩significant at 0.05", "", "experiment E { run GD restarts 3 }"].join("\n"),
    );
    const { program, problems } = parse(text, "recover.optspec");
    expect(problems.map((p) => p.span.start)).toEqual([at[0]]);
    expect(declaration(program, "Experiment", "E").clauses.map((c) => c.kind)).toEqual(["Run", "Restarts"]);
  });

  it("keeps the good claims of a hypothesis with a broken one", () => {
    const text = [
      'hypothesis "h" {',
      "  adjust holm",
      "  expect t(A.B on C) at 0.05",
      "  observe m(A.B on C)",
      "  expect t(A.B on C) significant 0.05",
      "}",
      "experiment E { run GD }",
    ].join("\n");
    const { program, problems } = parse(text, "claims.optspec");
    expect(problems.map((p) => p.span.start.line)).toEqual([3, 5]);
    const h = declaration(program, "Hypothesis", "h");
    expect(h.adjust?.method.name).toBe("holm");
    // The test missing its outcome is dropped; a missing 'at' is repaired by recovery.
    expect(h.claims.map((c) => c.kind)).toEqual(["ValueObservation", "TestClaim"]);
    expect(program.declarations.map((d) => d.kind)).toEqual(["Hypothesis", "Experiment"]);
  });

  it("still splits at a declaration keyword after an unfinished clause", () => {
    const { program } = parse("experiment E { on\nlandscape L { vars x in [0, 1] f = x }", "split.optspec");
    expect(program.declarations.map((d) => d.kind)).toEqual(["Experiment", "Landscape"]);
  });

  it("never throws on damaged hypotheses", () => {
    let seed = 424242;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed / 2 ** 31);
    const vocabulary = ["(", ")", "{", "}", ".", ",", ":", "=", "<", "not", "on", "for", "each", "expect", "at", "x", "0.5", '"'];
    for (let round = 0; round < 25; round++) {
      let text = HYPOTHESES;
      for (let edit = 0; edit < 1 + Math.floor(random() * 4); edit++) {
        const at = Math.floor(random() * text.length);
        text =
          random() < 0.4
            ? text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 5))
            : text.slice(0, at) + vocabulary[Math.floor(random() * vocabulary.length)] + text.slice(at);
      }
      const result = parse(text, "fuzz.optspec");
      print(result.program);
      expect(result.problems.filter((p) => p.span.start.offset > text.length || p.message.includes("\n"))).toEqual([]);
    }
  });
});

describe("printing hypotheses", () => {
  it("prints the canonical form", () => {
    const source = `hypothesis "SAM avoids sharp minima" { adjust holm
      expect share(Table1.SAM on SixHumpCamel, LM3, LM4) < share(Table1.GD on SixHumpCamel, LM3, LM4) with confidence .95
      for each optimizer in Table1 : expect chisquare(Table1.optimizer on Himmelblau, uniform(GM1, GM2, GM3, GM4)) not significant at 5e-2
      observe mannwhitney(Table1.SAM on Rastrigin.f, Table1.GD on Rastrigin.f, alternative=less) }
    hypothesis "quoted \\"name\\"" {}`;
    expect(print(parsedCleanly(source))).toBe(
      [
        'hypothesis "SAM avoids sharp minima" {',
        "  adjust holm",
        "  expect share(Table1.SAM on SixHumpCamel, LM3, LM4) < share(Table1.GD on SixHumpCamel, LM3, LM4) with confidence 0.95",
        "  for each optimizer in Table1 {",
        "    expect chisquare(Table1.optimizer on Himmelblau, uniform(GM1, GM2, GM3, GM4)) not significant at 0.05",
        "  }",
        "  observe mannwhitney(Table1.SAM on Rastrigin.f, Table1.GD on Rastrigin.f, alternative = less)",
        "}",
        "",
        'hypothesis "quoted \\"name\\"" {}',
        "",
      ].join("\n"),
    );
  });

  it("round-trips the fixture", () => {
    const original = parsedCleanly(HYPOTHESES);
    const printed = print(original);
    const reparsed = parsedCleanly(printed);
    expect(withoutSpans(reparsed)).toEqual(withoutSpans(original));
    expect(print(reparsed)).toBe(printed);
  });

  it("round-trips random hypotheses", () => {
    const random = seededRandom(11);
    for (let round = 0; round < 150; round++) {
      const program: Program = { kind: "Program", declarations: [randomHypothesis(random)], span: NO_SPAN };
      const printed = print(program);
      const { program: reparsed, problems } = parse(printed, "random.optspec");
      expect(problems, printed).toEqual([]);
      expect(withoutSpans(reparsed), printed).toEqual(withoutSpans(program));
      expect(print(reparsed)).toBe(printed);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// A small deterministic generator of hypotheses.

const NO_SPAN: Span = { file: "", start: { offset: 0, line: 1, column: 1 }, end: { offset: 0, line: 1, column: 1 } };

function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function identifier(name: string): Identifier {
  return { kind: "Identifier", name, span: NO_SPAN };
}

function numberLiteral(random: () => number): NumberLiteral {
  return { kind: "Number", value: pick(random, [0, 0.05, 0.001, 1e-7, 1e21, 123, 0.1 + 0.2]), span: NO_SPAN };
}

function randomArgument(random: () => number, depth: number): StatArgument {
  const choice = random();
  if (choice < 0.35) {
    const attribute = random() < 0.5 ? { attribute: identifier(pick(random, ["f", "distance", "evals"])) } : {};
    return {
      kind: "Population",
      experiment: identifier(pick(random, ["Table1", "E"])),
      optimizer: identifier(pick(random, ["GD", "SAM", "optimizer"])),
      landscape: identifier(pick(random, ["Himmelblau", "landscape"])),
      ...attribute,
      span: NO_SPAN,
    };
  }
  if (choice < 0.5) {
    const value = random() < 0.5 ? identifier(pick(random, ["less", "greater", "exact"])) : numberLiteral(random);
    return { kind: "StatOption", name: identifier(pick(random, ["alternative", "continuity"])), value, span: NO_SPAN };
  }
  if (choice < 0.7) return { kind: "StatName", name: identifier(pick(random, ["GM1", "LM3", "Else"])), span: NO_SPAN };
  if (choice < 0.85 && depth > 0) return randomCall(random, depth - 1);
  return numberLiteral(random);
}

function randomCall(random: () => number, depth: number): StatCall {
  const args = Array.from({ length: Math.floor(random() * 4) }, () => randomArgument(random, depth));
  return { kind: "StatCall", callee: identifier(pick(random, ["share", "mannwhitney", "uniform", "median"])), args, span: NO_SPAN };
}

function randomSummary(random: () => number): SummaryOperand {
  return random() < 0.3 ? numberLiteral(random) : randomCall(random, 2);
}

function randomClaim(random: () => number, depth: number): Claim {
  const mode = pick(random, ["expect", "observe"] as const);
  const choice = random();
  if (choice < 0.3) {
    const outcome = { kind: "Significance" as const, significant: random() < 0.5, alpha: numberLiteral(random), span: NO_SPAN };
    return { kind: "TestClaim", mode, test: randomCall(random, 2), outcome, span: NO_SPAN };
  }
  if (choice < 0.6) {
    const confidence = random() < 0.5 ? { confidence: numberLiteral(random) } : {};
    const operator = pick(random, ["<", "<=", ">", ">="] as const);
    return { kind: "ComparisonClaim", mode, left: randomSummary(random), operator, right: randomSummary(random), ...confidence, span: NO_SPAN };
  }
  if (choice < 0.75 || depth <= 0) return { kind: "ValueObservation", value: randomCall(random, 2), span: NO_SPAN };
  return {
    kind: "ForEach",
    variable: pick(random, ["optimizer", "landscape"] as const),
    experiment: identifier("Table1"),
    body: Array.from({ length: Math.floor(random() * 3) }, () => randomClaim(random, depth - 1)),
    span: NO_SPAN,
  };
}

function randomHypothesis(random: () => number): HypothesisDecl {
  const adjust = random() < 0.5 ? { adjust: { kind: "Adjust" as const, method: identifier(pick(random, ["holm", "bh", "by", "none"])), span: NO_SPAN } } : {};
  return {
    kind: "Hypothesis",
    name: pick(random, ["h", 'say "hi"', "back\\slash", "", "SAM avoids sharp minima"]),
    nameSpan: NO_SPAN,
    ...adjust,
    claims: Array.from({ length: Math.floor(random() * 5) }, () => randomClaim(random, 2)),
    span: NO_SPAN,
  };
}
