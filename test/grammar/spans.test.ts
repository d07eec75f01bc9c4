// Source spans: 1-based line/column, 0-based offset, `end` exclusive, on every node.

import { describe, expect, it } from "vitest";
import { parse, type Span } from "../../grammar/index.js";
import { declaration, marked, PAPER_EXAMPLE } from "./helpers.js";

function spanText(text: string, span: Span): string {
  return text.slice(span.start.offset, span.end.offset);
}

describe("spans", () => {
  const { text, at } = marked(
    [
      "// header",
      "landscape ⟨here⟩Bowl(n = 2) {",
      "  vars ⟨here⟩x[n] in [-1, 1]",
      "  f = ⟨here⟩(x[1] + 1) * 2",
      "}",
      "optimizer O { descend 1 when ⟨here⟩(a + b) < c }",
    ].join("\n"),
  );
  const { program, problems } = parse(text, "spans.optspec");

  it("parses without problems", () => {
    expect(problems).toEqual([]);
  });

  it("gives identifiers their own spans", () => {
    const bowl = declaration(program, "Landscape", "Bowl");
    expect(bowl.name.span).toEqual({
      file: "spans.optspec",
      start: at[0],
      end: { offset: at[0]!.offset + 4, line: 2, column: at[0]!.column + 4 },
    });
    const x = bowl.variables[0]!.name;
    expect(x.span.start).toEqual({ offset: at[1]!.offset, line: 3, column: 8 });
    expect(x.span.end).toEqual({ offset: at[1]!.offset + 1, line: 3, column: 9 });
  });

  it("covers each node's whole text, parentheses included", () => {
    const bowl = declaration(program, "Landscape", "Bowl");
    expect(spanText(text, bowl.span)).toBe(text.slice(text.indexOf("landscape"), text.indexOf("}") + 1));
    expect(spanText(text, bowl.params[0]!.span)).toBe("n = 2");
    expect(spanText(text, bowl.variables[0]!.span)).toBe("x[n] in [-1, 1]");
    expect(spanText(text, bowl.variables[0]!.domain.span)).toBe("[-1, 1]");
    expect(spanText(text, bowl.variables[0]!.domain.lo.span)).toBe("-1");
    const objective = bowl.objective!;
    expect(objective.span.start).toEqual(at[2]);
    expect(spanText(text, objective.span)).toBe("(x[1] + 1) * 2");
    expect(objective.kind === "Binary" && spanText(text, objective.left.span)).toBe("(x[1] + 1)");
    const sum = objective.kind === "Binary" ? objective.left : undefined;
    expect(sum?.kind === "Binary" && spanText(text, sum.left.span)).toBe("x[1]");

    const descend = declaration(program, "Optimizer", "O").body[0]!;
    expect(spanText(text, descend.span)).toBe("descend 1 when (a + b) < c");
    const guard = descend.kind === "Descend" ? descend.guard : undefined;
    expect(guard?.span.start).toEqual(at[3]);
    expect(guard && spanText(text, guard.span)).toBe("(a + b) < c");
  });

  it("gives the program a span over the whole file", () => {
    expect(program.span.start).toEqual({ offset: 0, line: 1, column: 1 });
    expect(program.span.end).toEqual({ offset: text.length, line: 6, column: text.split("\n")[5]!.length + 1 });
  });

  it("builds left-associative chains whose inner nodes start at the first operand", () => {
    const source = "optimizer O { descend a - b - c when x < 1 and y < 2 and z < 3 }";
    const { program } = parse(source, "c.optspec");
    const descend = declaration(program, "Optimizer", "O").body[0];
    if (descend?.kind !== "Descend" || descend.rate.kind !== "Binary" || descend.guard?.kind !== "Logical") {
      throw new Error("unexpected shape");
    }
    expect(spanText(source, descend.rate.left.span)).toBe("a - b");
    expect(spanText(source, descend.guard.left.span)).toBe("x < 1 and y < 2");
  });

  it("counts lines across \\r\\n", () => {
    const { program } = parse("import \"a\"\r\nimport \"b\"\r\n", "crlf.optspec");
    expect(program.declarations[1]!.span.start).toEqual({ offset: 12, line: 2, column: 1 });
  });

  it("puts a span on every node of the paper example", () => {
    const { program } = parse(PAPER_EXAMPLE, "paper.optspec");
    const missing: string[] = [];
    const visit = (value: unknown, path: string): void => {
      if (Array.isArray(value)) return value.forEach((item, i) => visit(item, `${path}[${i}]`));
      if (value === null || typeof value !== "object") return;
      const node = value as { kind?: string; span?: Span };
      if (node.kind !== undefined) {
        const span = node.span;
        const valid = span && span.file === "paper.optspec" && span.start.offset < span.end.offset;
        if (!valid) missing.push(path);
      }
      for (const [key, child] of Object.entries(node)) if (key !== "span") visit(child, `${path}.${key}`);
    };
    visit(program, "program");
    expect(missing).toEqual([]);
  });
});
