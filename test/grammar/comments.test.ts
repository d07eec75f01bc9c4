// Comments: `parse` returns them, `format` prints the canonical text with every one of them,
// once and in order, idempotently, without changing the AST.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { format, parse, print, withoutSpans } from "../../grammar/index.js";
import { HYPOTHESES, PAPER_EXAMPLE, STANDARD_LIBRARY_STYLE } from "./helpers.js";

function formatted(text: string): string {
  const result = format(text, "format.optspec");
  expect(result.problems).toEqual([]);
  expect(result.formatted).toBeDefined();
  return result.formatted!;
}

/** The three promises of `format`, checked on one input. */
function expectFormatKeepsEverything(text: string, file = "format.optspec"): string {
  const before = parse(text, file);
  expect(before.problems).toEqual([]);
  const once = format(text, file).formatted!;
  const after = parse(once, file);
  expect(after.problems, once).toEqual([]);
  expect(after.comments.map((c) => c.text), once).toEqual(before.comments.map((c) => c.text));
  expect(withoutSpans(after.program), once).toEqual(withoutSpans(before.program));
  expect(format(once, file).formatted, once).toBe(once);
  return once;
}

const lines = (...rows: string[]) => `${rows.join("\n")}\n`;

function specFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((entry) => {
    const path = join(directory, entry);
    if (statSync(path).isDirectory()) return specFiles(path);
    return path.endsWith(".optspec") ? [path] : [];
  });
}

describe("parse returns comments", () => {
  it("in source order, with their text and spans, outside the AST", () => {
    const text = '// line\n/* block\n */ import "a" // trailing\r\n';
    const { program, problems, comments } = parse(text, "c.optspec");
    expect(problems).toEqual([]);
    expect(program.declarations).toMatchObject([{ kind: "Import", path: "a" }]);
    expect(comments.map((c) => [c.text, c.span.start.line, c.span.start.column, c.span.end.line, c.span.end.column])).toEqual([
      ["// line", 1, 1, 1, 8],
      ["/* block\n */", 2, 1, 3, 4],
      ["// trailing", 3, 16, 3, 27],
    ]);
    expect(comments[2]!.span.start.offset).toBe(text.indexOf("// trailing"));
  });

  it("and none for a file without comments", () => {
    expect(parse("optimizer O {}", "n.optspec").comments).toEqual([]);
  });
});

describe("format places comments", () => {
  it("at the top, between declarations and at the end of the file", () => {
    const source = [
      "// File header.",
      "",
      "/* A block comment",
      "   spanning lines. */",
      'import "std/landscapes" // after an import',
      'import "std/optimizers"',
      "// Before GD.",
      "optimizer GD(lr = 1e-3) { descend lr }",
      "optimizer Alias = GD /* after an alias */",
      "// At the end.",
      "/* The very end. */",
    ].join("\n");
    expect(formatted(source)).toBe(
      lines(
        "// File header.",
        "",
        "/* A block comment",
        "   spanning lines. */",
        'import "std/landscapes" // after an import',
        'import "std/optimizers"',
        "",
        "// Before GD.",
        "optimizer GD(lr = 0.001) {",
        "  descend lr",
        "}",
        "",
        "optimizer Alias = GD /* after an alias */",
        "// At the end.",
        "/* The very end. */",
      ),
    );
  });

  it("inside blocks, trailing on lines, and before a closing brace", () => {
    const source = [
      "landscape Bowl(n = 2) {",
      "  vars x[n] in [-1, 1] // the domain",
      "  // before the objective",
      "  f = sum(i in 1..n, x[i]^2)",
      "  minima {",
      "    // before a minimum",
      "    Origin global at all(0); // after ';'",
      "    // before the minima's }",
      "  }",
      "  // before the landscape's }",
      "}",
      "optimizer O {",
      "  repeat 3 {",
      "    descend 1 // in repeat",
      "  } until t > 1 // after until",
      "  hop {",
      "    perturb model ball(1)",
      "    // before accept",
      "    accept if lower // after accept",
      "  }",
      "  /* last */",
      "}",
      "experiment E { on Bowl /* a */ run O // b",
      "  restarts 10 }",
    ].join("\n");
    expect(formatted(source)).toBe(
      lines(
        "landscape Bowl(n = 2) {",
        "  vars x[n] in [-1, 1] // the domain",
        "  // before the objective",
        "  f = sum(i in 1..n, x[i]^2)",
        "  minima {",
        "    // before a minimum",
        "    Origin global at all(0) // after ';'",
        "    // before the minima's }",
        "  }",
        "  // before the landscape's }",
        "}",
        "",
        "optimizer O {",
        "  repeat 3 {",
        "    descend 1 // in repeat",
        "  } until t > 1 // after until",
        "  hop {",
        "    perturb model ball(1)",
        "    // before accept",
        "    accept if lower // after accept",
        "  }",
        "  /* last */",
        "}",
        "",
        "experiment E {",
        "  on Bowl /* a */",
        "  run O // b",
        "  restarts 10",
        "}",
      ),
    );
  });

  it("inside expressions and heads: at the end of the line, or after the '{'", () => {
    const source = [
      "landscape L(n = 2 /* in the head */) { // after the brace",
      "  vars x in [0, /* in an interval */ 1]",
      "  f = x^2 /* in a formula */ + 1",
      "}",
      "optimizer O {",
      "  repeat 3 { descend 1 } /* between } and until */ until t > 1",
      "  descend lr // why",
      "    with momentum(0.9)",
      "}",
    ].join("\n");
    expect(formatted(source)).toBe(
      lines(
        "landscape L(n = 2) { /* in the head */ // after the brace",
        "  vars x in [0, 1] /* in an interval */",
        "  f = x^2 + 1 /* in a formula */",
        "}",
        "",
        "optimizer O {",
        "  repeat 3 {",
        "    descend 1",
        "  } until t > 1 /* between } and until */",
        "  descend lr with momentum(0.9) // why",
        "}",
      ),
    );
  });

  it("never lets text follow a '//' comment on its line", () => {
    const source = [
      "optimizer O { // why",
      "  descend lr with momentum(0.9 // beta",
      "  ) /* after */",
      "  hop { perturb model ball(1) /* a */ /* b */ accept always }",
      "}",
    ].join("\n");
    expect(formatted(source)).toBe(
      lines(
        "optimizer O { // why",
        "  descend lr with momentum(0.9) // beta",
        "  /* after */",
        "  hop {",
        "    perturb model ball(1) /* a */ /* b */",
        "    accept always",
        "  }",
        "}",
      ),
    );
  });

  it("in hypotheses: adjust, claims and both forms of 'for each'", () => {
    const source = [
      'hypothesis "h" { // on the brace line',
      "  adjust holm // trailing adjust",
      "  // before a claim",
      "  for each optimizer in E: /* after the colon */",
      "    // before the inner claim",
      "    expect t(E.optimizer on L.f, /* in a call */ alternative = less) significant at 0.05 // after it",
      "  for each landscape in E {",
      "    observe 1 < 2 // trailing claim",
      "    // before the inner }",
      "  }",
      "  // before }",
      "}",
    ].join("\n");
    expect(formatted(source)).toBe(
      lines(
        'hypothesis "h" { // on the brace line',
        "  adjust holm // trailing adjust",
        "  // before a claim",
        "  for each optimizer in E { /* after the colon */",
        "    // before the inner claim",
        "    expect t(E.optimizer on L.f, alternative = less) significant at 0.05 /* in a call */ // after it",
        "  }",
        "  for each landscape in E {",
        "    observe 1 < 2 // trailing claim",
        "    // before the inner }",
        "  }",
        "  // before }",
        "}",
      ),
    );
  });

  it("in `start`, which prints a lone statement without braces", () => {
    const source = [
      "procedure P {",
      "  start { /* in start */ descend 1 }",
      "  start {",
      "    // before a lone statement",
      "    descend 2",
      "  }",
      "  start repeat 2 { descend 3 // inner",
      "  }",
      "  start { descend 4; /* two statements */ descend 5 }",
      "}",
    ].join("\n");
    expect(formatted(source)).toBe(
      lines(
        "procedure P {",
        "  start descend 1 /* in start */",
        "  start descend 2 // before a lone statement",
        "  start repeat 2 {",
        "    descend 3 // inner",
        "  }",
        "  start {",
        "    descend 4 /* two statements */",
        "    descend 5",
        "  }",
        "}",
      ),
    );
  });

  it("in empty blocks", () => {
    expect(formatted("optimizer A { /* nothing yet */ }\noptimizer B {\n  // nothing yet\n}\nexperiment E {}")).toBe(
      lines("optimizer A { /* nothing yet */", "}", "", "optimizer B {", "  // nothing yet", "}", "", "experiment E {}"),
    );
  });

  it("keeping at most one blank line next to a comment, never at the start of a block", () => {
    const source = [
      "experiment E {",
      "  on L",
      "",
      "",
      "  // two blank lines above become one",
      "",
      "  run O",
      "  /* between */ /* two */",
      "  seed 1",
      "}",
      "",
      "",
      "// after two blank lines",
      "experiment F {",
      "",
      "  // not at the start of a block",
      "",
      "  run O",
      "",
      "  restarts 3",
      "}",
    ].join("\n");
    expect(formatted(source)).toBe(
      lines(
        "experiment E {",
        "  on L",
        "",
        "  // two blank lines above become one",
        "",
        "  run O",
        "  /* between */",
        "  /* two */",
        "  seed 1",
        "}",
        "",
        "// after two blank lines",
        "experiment F {",
        "  // not at the start of a block",
        "",
        "  run O",
        "  restarts 3",
        "}",
      ),
    );
  });

  it("copying block comments as written, whatever their new indentation", () => {
    const source = "optimizer O {\n      /* deep\n         and deeper */\n      descend 1\n}\n";
    expect(formatted(source)).toBe(lines("optimizer O {", "  /* deep", "         and deeper */", "  descend 1", "}"));
  });

  it("in files of comments only, and not at all in empty files", () => {
    expect(formatted("// a\n\n\n/* b */  // c\n")).toBe(lines("// a", "", "/* b */", "// c"));
    expect(formatted("")).toBe("");
    expect(formatted("\n\n")).toBe("");
  });

  it("with \\r\\n line ends", () => {
    const source = "// header\r\noptimizer O { /* a\r\n b */\r\n  descend 1 // c\r\n}\r\n";
    expect(formatted(source)).toBe("// header\noptimizer O { /* a\r\n b */\n  descend 1 // c\n}\n");
    expectFormatKeepsEverything(source);
  });
});

describe("format keeps every comment, the tree, and its own output", () => {
  it.each(specFiles(join(import.meta.dirname, "../../specs")).map((path) => [path.slice(path.indexOf("specs"))]))(
    "on %s",
    (path) => {
      const text = readFileSync(join(import.meta.dirname, "../..", path), "utf8");
      expect(parse(text, path).comments.length).toBeGreaterThan(0);
      expectFormatKeepsEverything(text, path);
    },
  );

  it.each([
    ["the paper example", PAPER_EXAMPLE],
    ["the standard-library style declarations", STANDARD_LIBRARY_STYLE],
    ["the hypotheses", HYPOTHESES],
  ])("on %s", (_, text) => {
    expectFormatKeepsEverything(text);
  });

  it("on the fixtures with comments inserted at random token boundaries", () => {
    let seed = 31337;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed / 2 ** 31);
    const kinds = [
      (n: number) => ` /* c${n} */ `,
      (n: number) => ` // c${n}\n`,
      (n: number) => `\n// c${n}\n`,
      (n: number) => `/* c${n}\n   continued */`,
      (n: number) => `\n\n/* c${n} */\n\n`,
    ];
    const bases = [PAPER_EXAMPLE, STANDARD_LIBRARY_STYLE, HYPOTHESES];
    let checked = 0;
    for (let round = 0; round < 30; round++) {
      const base = bases[round % bases.length]!;
      const boundaries = tokenBoundaries(base);
      let text = base;
      const positions = Array.from({ length: 1 + Math.floor(random() * 10) }, () => pick(random, boundaries));
      for (const [n, position] of positions.sort((a, b) => b - a).entries()) {
        text = text.slice(0, position) + pick(random, kinds)(n) + text.slice(position);
      }
      if (parse(text, "r").problems.length > 0) continue; // a comment that split a token such as '..'
      expectFormatKeepsEverything(text);
      checked++;
    }
    expect(checked).toBeGreaterThan(22);
  });
});

describe("format and print", () => {
  it("refuses a file with problems, which recovery would have cut", () => {
    const result = format("optimizer O { descend } // keep me", "broken.optspec");
    expect(result.formatted).toBeUndefined();
    expect(result.problems).toMatchObject([{ code: "E002", message: "expected an expression but found '}'" }]);
    expect(format("/* never closed", "open.optspec").problems).toMatchObject([{ code: "E001" }]);
  });

  it("agree where there are no comments", () => {
    for (const withComments of [PAPER_EXAMPLE, STANDARD_LIBRARY_STYLE, HYPOTHESES]) {
      const text = withComments.replace(/\/\/[^\n]*|\/\*[\s\S]*?\*\//g, "");
      expect(parse(text, "same.optspec").comments).toEqual([]);
      expect(format(text, "same.optspec").formatted).toBe(print(parse(text, "same.optspec").program));
    }
  });

  it("print still drops comments", () => {
    expect(print(parse("// a\noptimizer O { descend 1 /* b */ } // c\n", "p.optspec").program)).toBe(
      "optimizer O {\n  descend 1\n}\n",
    );
  });
});

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/** Offsets where a comment can go without touching a token: next to whitespace or punctuation. */
function tokenBoundaries(text: string): number[] {
  const separator = /[\s(){}[\],;=:.<>+*/^-]/;
  const offsets: number[] = [];
  let inString = false;
  for (let offset = 0; offset <= text.length; offset++) {
    if (text[offset - 1] === '"' && text[offset - 2] !== "\\") inString = !inString;
    if (inString) continue;
    const before = text[offset - 1];
    const after = text[offset];
    if (before === undefined || after === undefined || separator.test(before) || separator.test(after)) offsets.push(offset);
  }
  return offsets;
}
