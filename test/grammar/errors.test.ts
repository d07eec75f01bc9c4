// Lexical (E001) and syntax (E002) problems: code, message, position, and recovery.

import { describe, expect, it } from "vitest";
import { parse, print, type SyntaxProblem } from "../../grammar/index.js";
import { declaration, marked, nameOf, PAPER_EXAMPLE } from "./helpers.js";

/** Parses `source`, whose `⟨here⟩` markers say where each expected problem must start. */
function problemsAt(source: string): { problems: readonly SyntaxProblem[]; expected: { line: number; column: number }[] } {
  const { text, at } = marked(source);
  const { problems } = parse(text, "errors.optspec");
  return { problems, expected: at.map(({ line, column }) => ({ line, column })) };
}

function expectProblems(source: string, ...expected: { code: "E001" | "E002"; message: string }[]): void {
  const { problems, expected: positions } = problemsAt(source);
  expect(
    problems.map((p) => ({ code: p.code, message: p.message, line: p.span.start.line, column: p.span.start.column })),
  ).toEqual(expected.map((e, i) => ({ ...e, ...positions[i] })));
}

describe("lexical errors (E001)", () => {
  it("reports an unexpected character", () => {
    expectProblems("optimizer O {\n  descend 1 ⟨here⟩@\n}", { code: "E001", message: "unexpected character '@'" });
  });

  it("reports a run of unexpected characters once", () => {
    expectProblems("optimizer O { descend ⟨here⟩#$ 1 }", { code: "E001", message: "unexpected characters '#$'" });
  });

  it("reports an unterminated string and still reads the import", () => {
    const text = 'import "std/landscapes\noptimizer O { descend 1 }';
    const { program, problems } = parse(text, "s.optspec");
    expect(problems).toMatchObject([
      { code: "E001", message: "unterminated string: missing closing '\"'", span: { start: { line: 1, column: 8 } } },
    ]);
    expect(program.declarations).toMatchObject([{ kind: "Import", path: "std/landscapes" }, { kind: "Optimizer" }]);
  });

  it("reports an unterminated block comment at its start", () => {
    expectProblems("optimizer O { descend 1 }\n⟨here⟩/* never closed\noptimizer P {}", {
      code: "E001",
      message: "unterminated comment: '/*' has no matching '*/'",
    });
  });

  it("reports an unknown escape in a string", () => {
    expectProblems('import "a⟨here⟩\\nb"', {
      code: "E001",
      message: "unknown escape '\\n' in string (only \\\" and \\\\ are allowed)",
    });
  });
});

describe("syntax errors (E002)", () => {
  it("does not lex '1.' as a number", () => {
    // '.' is a token of its own (populations: `E.O on L.f`), so this is a syntax error after `1`.
    expectProblems("optimizer O { descend 1⟨here⟩. }", { code: "E002", message: "expected '}' but found '.'" });
  });

  it("names the expected and the found token", () => {
    expectProblems("landscape L { vars x in [0, 1 ⟨here⟩x f = x }", {
      code: "E002",
      message: "expected ']' but found 'x'",
    });
  });

  it("says 'an expression' where one is missing", () => {
    expectProblems("optimizer O { descend ⟨here⟩}", { code: "E002", message: "expected an expression but found '}'" });
  });

  it("says what may follow a block's statements", () => {
    expectProblems("optimizer O { descend 1; ⟨here⟩( }", { code: "E002", message: "expected '}' but found '('" });
  });

  it("says 'a statement' where one is missing", () => {
    expectProblems("optimizer O { start ⟨here⟩) }", { code: "E002", message: "expected '{' or a statement but found ')'" });
  });

  it("says 'a declaration' at the top level", () => {
    expectProblems("⟨here⟩descend 1\noptimizer O {}", {
      code: "E002",
      message:
        "expected a declaration ('import', 'landscape', 'task', 'optimizer', 'procedure', 'experiment' or 'hypothesis') but found keyword 'descend'",
    });
  });

  it("rejects a keyword as a declared name", () => {
    expectProblems("optimizer ⟨here⟩sum { descend 1 }", { code: "E002", message: "expected a name but found keyword 'sum'" });
  });

  it("requires 'f' before the objective's '='", () => {
    expectProblems("landscape L {\n  vars x in [0, 1]\n  ⟨here⟩g = x\n}", {
      code: "E002",
      message: "expected 'f = <formula>'",
    });
  });

  it("reports input left after a declaration", () => {
    expectProblems("optimizer O { descend 1 } ⟨here⟩}", { code: "E002", message: "unexpected '}'" });
  });

  it("rejects 'as' on an optimizer alias", () => {
    expectProblems("optimizer A = SAM(rho = 1) ⟨here⟩as B", { code: "E002", message: "unexpected keyword 'as'" });
  });

  it("requires 'accept' at the end of hop", () => {
    expectProblems("optimizer O { hop { descend 1 ⟨here⟩} }", {
      code: "E002",
      message: "expected 'accept' but found '}'",
    });
  });

  it("requires the argument list of a call statement", () => {
    expectProblems("procedure P { LocalSearch ⟨here⟩}", { code: "E002", message: "expected '(' but found '}'" });
  });

  it("points at the end of the file when the input stops early", () => {
    const { problems } = parse("optimizer O {\n  descend 1\n", "eof.optspec");
    expect(problems).toEqual([
      {
        code: "E002",
        message: "expected '}' but found end of file",
        span: {
          file: "eof.optspec",
          start: { offset: 26, line: 3, column: 1 },
          end: { offset: 26, line: 3, column: 1 },
        },
      },
    ]);
  });

  it("names the next declaration's keyword when a declaration is cut short", () => {
    expectProblems("landscape L { vars x in [0, 1] f = x\n⟨here⟩optimizer O {}", {
      code: "E002",
      message: "expected '}' but found keyword 'optimizer'",
    });
  });

  it("writes every message on one line, without Chevrotain's token dumps", () => {
    const broken = ["optimizer O { perturb x }", "experiment E { budget 3 }", "landscape { }", "optimizer O { start }"];
    for (const text of broken) {
      for (const problem of parse(text, "m.optspec").problems) {
        expect(problem.message).not.toMatch(/\n|Token sequences|-->|<--|EOF/);
        expect(problem.message).toMatch(/^(expected|unexpected) /);
      }
    }
  });
});

describe("recovery", () => {
  it("keeps a good optimizer after a broken landscape and reports one problem", () => {
    const { text, at } = marked(
      [
        "landscape Broken {",
        "  vars x in [-5, 5], y in [-5, 5]",
        "  f = (x^2 + y ⟨here⟩] 11)^2",
        "}",
        "",
        "optimizer GD(lr = 1e-3) { descend lr }",
      ].join("\n"),
    );
    const { program, problems } = parse(text, "recover.optspec");
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ code: "E002", span: { start: at[0] } });
    expect(problems[0]!.message).toBe("expected ')' but found ']'");
    const gd = declaration(program, "Optimizer", "GD");
    expect(gd.body.map((s) => s.kind)).toEqual(["Descend"]);
  });

  it("does not let an unclosed declaration swallow the next ones", () => {
    const { text, at } = marked(
      "optimizer A { descend 1\n⟨here⟩procedure P { descend 2 }\nexperiment E { run A }\n",
    );
    const { program, problems } = parse(text, "unclosed.optspec");
    expect(problems.map((p) => p.span.start)).toEqual(at);
    expect(program.declarations.map((d) => d.kind)).toEqual(["Optimizer", "Procedure", "Experiment"]);
  });

  it("reports several errors in one file and keeps what can be built", () => {
    const source = [
      "landscape L { vars x in [0, 1] ⟨here⟩h = x }",
      "optimizer Good(lr = 1) { descend lr }",
      "optimizer A { descend ⟨here⟩; ascend 1 }",
      "optimizer ⟨here⟩{ descend 1 }",
      "experiment E {",
      "  on L",
      "  restarts ⟨here⟩budget 5 gradients",
      "  run Good",
      "}",
      "import ⟨here⟩std",
    ].join("\n");
    const { text, at } = marked(source);
    const { program, problems } = parse(text, "many.optspec");
    expect(problems.map((p) => ({ line: p.span.start.line, column: p.span.start.column }))).toEqual(
      at.map(({ line, column }) => ({ line, column })),
    );
    expect(problems.every((p) => p.code === "E002")).toBe(true);

    // The landscape keeps its objective, the second optimizer keeps its good statement, the
    // nameless optimizer and the pathless import are dropped, the experiment keeps three clauses.
    expect(program.declarations.map((d) => `${d.kind} ${nameOf(d)}`)).toEqual([
      "Landscape L",
      "Optimizer Good",
      "Optimizer A",
      "Experiment E",
    ]);
    expect(declaration(program, "Landscape", "L").objective).toMatchObject({ kind: "Name", name: "x" });
    expect(declaration(program, "Optimizer", "A").body.map((s) => s.kind)).toEqual(["Ascend"]);
    expect(declaration(program, "Experiment", "E").clauses.map((c) => c.kind)).toEqual(["On", "Budget", "Run"]);
  });

  it("reports lexical and syntax errors together, in source order", () => {
    expectProblems(
      "optimizer A { descend 1 ⟨here⟩% }\noptimizer B { descend ⟨here⟩}\n",
      { code: "E001", message: "unexpected character '%'" },
      { code: "E002", message: "expected an expression but found '}'" },
    );
  });

  it("reports a burst of errors at one spot once", () => {
    const { problems } = parse("landscape L { vars x in [0 x, 1] f = x }", "burst.optspec");
    expect(problems).toHaveLength(1);
  });

  it("never throws, whatever the input", () => {
    let seed = 20240607;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pieces = ["(", ")", "{", "}", "[", "]", ",", ";", "=", "..", "<", "not", "and", "when", "x", "1", "@", '"'];
    const extra = ["/*", "optimizer", "hop", "accept", "^", "-", "sum", "all", "in", "\n", "as", "start"];
    const vocabulary = [...pieces, ...extra];
    for (let round = 0; round < 60; round++) {
      let text = PAPER_EXAMPLE;
      for (let edit = 0; edit < 1 + Math.floor(random() * 4); edit++) {
        const at = Math.floor(random() * text.length);
        text =
          random() < 0.4
            ? text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 5))
            : text.slice(0, at) + vocabulary[Math.floor(random() * vocabulary.length)] + text.slice(at);
      }
      const result = parse(text, "fuzz.optspec");
      print(result.program);
      const odd = result.problems.filter((p) => p.span.start.offset > text.length || p.message.includes("\n"));
      expect(odd).toEqual([]);
    }
  });
});
