// Canonical printing: exact layout, minimal parentheses, and the round-trip property
// parse(print(parse(P))) == parse(P) (spans aside), with print idempotent.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  parse,
  print,
  withoutSpans,
  type BinaryOperator,
  type ComparisonOperator,
  type Condition,
  type Expr,
  type Program,
  type Span,
} from "../../grammar/index.js";
import { PAPER_EXAMPLE, STANDARD_LIBRARY_STYLE } from "./helpers.js";

function parsedCleanly(text: string, file = "print.optspec"): Program {
  const { program, problems } = parse(text, file);
  expect(problems).toEqual([]);
  return program;
}

function expectRoundTrip(text: string, file?: string): void {
  const original = parsedCleanly(text, file);
  const printed = print(original);
  const reparsed = parsedCleanly(printed, file);
  expect(withoutSpans(reparsed)).toEqual(withoutSpans(original));
  expect(print(reparsed)).toBe(printed);
}

function printedRate(expression: string): string {
  const printed = print(parsedCleanly(`optimizer O { descend ${expression} }`));
  return /descend (.*)\n/.exec(printed)![1]!;
}

function printedGuard(condition: string): string {
  const printed = print(parsedCleanly(`optimizer O { descend 1 when ${condition} }`));
  return / when (.*)\n/.exec(printed)![1]!;
}

/** Every .optspec under specs/, for whichever of them exist and parse. */
function specFiles(directory: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(directory);
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = join(directory, entry);
    if (statSync(path).isDirectory()) return specFiles(path);
    return path.endsWith(".optspec") ? [path] : [];
  });
}

describe("canonical layout", () => {
  it("prints the documented format", () => {
    const source = `
      import "std/landscapes"  import "b"
      landscape Bowl(n = 2) { vars x[n] in [-5, 5], y in [0, 1e-3]
        f = x[1]^2+y   minima { A global at (0, 0); B local at all(1) } }
      optimizer O(lr = 1e-3) { start { descend lr; ascend lr } hop { accept always } descend lr when not (t < 1) }
      optimizer Alias = O(lr = 2)
      procedure P() { repeat 3 { P() } until loss < 1 or t > 3 and evals > 2 }
      experiment E { on Bowl run O as Fast, Alias restarts 10 budget 5 gradients init at all(0) seed 1 }`;
    expect(print(parsedCleanly(source))).toBe(
      [
        'import "std/landscapes"',
        'import "b"',
        "",
        "landscape Bowl(n = 2) {",
        "  vars x[n] in [-5, 5], y in [0, 0.001]",
        "  f = x[1]^2 + y",
        "  minima {",
        "    A global at (0, 0)",
        "    B local at all(1)",
        "  }",
        "}",
        "",
        "optimizer O(lr = 0.001) {",
        "  start {",
        "    descend lr",
        "    ascend lr",
        "  }",
        "  hop {",
        "    accept always",
        "  }",
        "  descend lr when not (t < 1)",
        "}",
        "",
        "optimizer Alias = O(lr = 2)",
        "",
        "procedure P {",
        "  repeat 3 {",
        "    P()",
        "  } until loss < 1 or t > 3 and evals > 2",
        "}",
        "",
        "experiment E {",
        "  on Bowl",
        "  run O as Fast, Alias",
        "  restarts 10",
        "  budget 5 gradients",
        "  init at all(0)",
        "  seed 1",
        "}",
        "",
      ].join("\n"),
    );
  });

  it("prints nothing for an empty program and does not keep comments", () => {
    expect(print(parsedCleanly("// only a comment"))).toBe("");
    expect(print(parsedCleanly("optimizer O { /* why */ descend 1 } // note"))).toBe("optimizer O {\n  descend 1\n}\n");
  });

  it("escapes quotes and backslashes in import paths", () => {
    expect(print(parsedCleanly('import "a\\"b\\\\c"'))).toBe('import "a\\"b\\\\c"\n');
  });
});

describe("long lists", () => {
  it("breaks an 'on' or 'run' list longer than 100 characters after each comma, aligned under its first item", () => {
    const optimizers = ["GD(lr = 0.05) as SGD", "NiG_GD(lr = 0.05, rho = 1) as NiG_SGD", "SAM(lr = 0.05, rho = 0.05)", "NiM_BH(lr = 0.05, rho = 1, tau = 500, eps = 0.05)"];
    const text = print(parsedCleanly(`experiment E { on T run ${optimizers.join(", ")} trajectories 2 }`));
    expect(text).toBe(`experiment E {\n  on T\n  run ${optimizers.join(",\n      ")}\n  trajectories 2\n}\n`);
    // A short list stays on its line.
    expect(print(parsedCleanly("experiment E { run GD, SAM }"))).toBe("experiment E {\n  run GD, SAM\n}\n");
    expect(print(parsedCleanly(text))).toBe(text);
  });
});

describe("minimal parentheses", () => {
  it.each([
    ["a - (b - c)", "a - (b - c)"],
    ["(a - b) - c", "a - b - c"],
    ["-(x^2)", "-x^2"],
    ["(-x)^2", "(-x)^2"],
    ["(a^b)^c", "(a^b)^c"],
    ["a^(b^c)", "a^b^c"],
    ["2^(-1)", "2^-1"],
    ["(a * b) + (c / d)", "a * b + c / d"],
    ["a / (b * c)", "a / (b * c)"],
    ["(a + b) * (c - d)", "(a + b) * (c - d)"],
    ["-(a + b)", "-(a + b)"],
    ["-(-a)", "-(-a)"],
    ["--a", "-(-a)"],
    ["a * (-b)", "a * -b"],
    ["x[((i))]", "x[i]"],
    ["sum(i in (1)..(n + 1), (x[i]))", "sum(i in 1..n + 1, x[i])"],
    ["f((a), (b + c))", "f(a, b + c)"],
    ["1e-3 + 1e21 + 1e999 + 0.1", "0.001 + 1e+21 + 1e999 + 0.1"],
  ])("%s prints as %s", (source, expected) => {
    expect(printedRate(source)).toBe(expected);
  });

  it.each([
    ["(a < b or c < d) and e < f", "(a < b or c < d) and e < f"],
    ["a < b and (c < d and e < f)", "a < b and (c < d and e < f)"],
    ["(a < b and c < d) and e < f", "a < b and c < d and e < f"],
    ["a < b or (c < d and e < f)", "a < b or c < d and e < f"],
    ["not loss < 1", "not (loss < 1)"],
    ["not (a < b or c < d)", "not (a < b or c < d)"],
    ["not not (a < b)", "not not (a < b)"],
    ["((a + b) < c)", "a + b < c"],
  ])("%s prints as %s", (source, expected) => {
    expect(printedGuard(source)).toBe(expected);
  });
});

describe("round trip", () => {
  it("holds for the paper example", () => expectRoundTrip(PAPER_EXAMPLE));

  it("holds for the standard-library style declarations", () => expectRoundTrip(STANDARD_LIBRARY_STYLE));

  it("holds for the .optspec files in specs/", () => {
    for (const path of specFiles(join(import.meta.dirname, "../../specs"))) {
      const text = readFileSync(path, "utf8");
      if (parse(text, path).problems.length === 0) expectRoundTrip(text, path);
    }
  });

  it("holds for random expressions and conditions", () => {
    const random = seededRandom(7);
    for (let round = 0; round < 200; round++) {
      const rate = randomExpr(random, 4);
      const guard = randomCondition(random, 3);
      const printed = print(program(rate, guard));
      const { program: reparsed, problems } = parse(printed, "random.optspec");
      expect(problems, printed).toEqual([]);
      expect(withoutSpans(reparsed), printed).toEqual(withoutSpans(program(rate, guard)));
      expect(print(reparsed)).toBe(printed);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// A small deterministic generator of expression and condition trees.

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

function identifier(name: string) {
  return { kind: "Identifier" as const, name, span: NO_SPAN };
}

function randomExpr(random: () => number, depth: number): Expr {
  const leaf = depth <= 0 || random() < 0.25;
  if (leaf) {
    return random() < 0.5
      ? { kind: "Number", value: pick(random, [0, 1, 2.5, 0.001, 1e-7, 1e21, 123456789, 0.1 + 0.2]), span: NO_SPAN }
      : { kind: "Name", name: pick(random, ["x", "lr", "pi", "t", "gradnorm"]), span: NO_SPAN };
  }
  const sub = () => randomExpr(random, depth - 1);
  const choice = random();
  if (choice < 0.5) {
    const operator = pick<BinaryOperator>(random, ["+", "-", "*", "/", "^"]);
    return { kind: "Binary", operator, left: sub(), right: sub(), span: NO_SPAN };
  }
  if (choice < 0.7) return { kind: "Unary", operator: "-", operand: sub(), span: NO_SPAN };
  if (choice < 0.8) return { kind: "Index", target: identifier("x"), index: sub(), span: NO_SPAN };
  if (choice < 0.9) {
    const args = Array.from({ length: Math.floor(random() * 3) }, sub);
    return { kind: "Call", callee: identifier(pick(random, ["sin", "exp", "max"])), args, span: NO_SPAN };
  }
  return { kind: "Sum", index: identifier("i"), from: sub(), to: sub(), body: sub(), span: NO_SPAN };
}

function randomCondition(random: () => number, depth: number): Condition {
  const choice = depth <= 0 ? 0 : random();
  if (choice < 0.4) {
    const operator = pick<ComparisonOperator>(random, ["<", "<=", ">", ">=", "==", "!="]);
    return { kind: "Comparison", operator, left: randomExpr(random, 2), right: randomExpr(random, 2), span: NO_SPAN };
  }
  const sub = () => randomCondition(random, depth - 1);
  if (choice < 0.6) return { kind: "Not", operand: sub(), span: NO_SPAN };
  return { kind: "Logical", operator: pick(random, ["and", "or"] as const), left: sub(), right: sub(), span: NO_SPAN };
}

function program(rate: Expr, guard: Condition): Program {
  return {
    kind: "Program",
    declarations: [
      {
        kind: "Optimizer",
        name: identifier("O"),
        params: [],
        body: [{ kind: "Descend", rate, guard, span: NO_SPAN }],
        span: NO_SPAN,
      },
    ],
    span: NO_SPAN,
  };
}
