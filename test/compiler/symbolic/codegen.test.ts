// Properties of the emitted straight-line code: it runs in `new Function` and agrees with
// evaluate, it computes shared work once, it lowers powers and signs cheaply, and it touches no
// global but Math.
import { describe, expect, it } from "vitest";
import {
  MAX_UNROLLED_POWER,
  add,
  addAll,
  constant,
  cos,
  div,
  emitStraightLine,
  evaluate,
  exp,
  gradient,
  mul,
  neg,
  pow,
  sin,
  sqrt,
  sub,
  variable,
  type Expr,
} from "../../../compiler/symbolic/index.js";

const x = variable(0);
const y = variable(1);
const INPUTS = ["x", "y"];

const himmelblau = add(pow(add(pow(x, 2), y, -11), 2), pow(add(x, pow(y, 2), -7), 2));

/** All emitted text, statements then results, for checks on what the code computes. */
function emittedText(outputs: readonly Expr[], inputs: readonly string[] = INPUTS): string {
  const { statements, results } = emitStraightLine(outputs, inputs, "t");
  return [...statements, ...results].join("\n");
}

function run(outputs: readonly Expr[], point: readonly number[], inputs: readonly string[] = INPUTS): number[] {
  const { statements, results } = emitStraightLine(outputs, inputs, "t");
  const body = `${statements.join("\n")}\nreturn [${results.join(", ")}];`;
  return (new Function(...inputs, body) as (...args: number[]) => number[])(...point);
}

function expectRelativelyClose(actual: number, expected: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(expected)));
}

/** The emitted code computes what evaluate computes, up to the rounding of reassociation. */
function expectAgreement(outputs: readonly Expr[], point: readonly number[]): void {
  const emitted = run(outputs, point);
  outputs.forEach((output, k) => expectRelativelyClose(emitted[k]!, evaluate(output, point)));
}

const occurrences = (text: string, needle: string): number => text.split(needle).length - 1;

describe("common subexpressions", () => {
  it("computes each bracket of Himmelblau once for f and its gradient together", () => {
    const outputs = [himmelblau, ...gradient(himmelblau, 2)];
    const text = emittedText(outputs);
    expect(occurrences(text, "11")).toBe(1);
    expect(occurrences(text, "7")).toBe(1);
    expect(occurrences(text, "x * x")).toBe(1);
    expectAgreement(outputs, [1.5, -0.5]);
  });

  it("reuses x*x between x^2, x^4 and x^6", () => {
    const text = emittedText([add(pow(x, 2), pow(x, 4)), pow(x, 6)]);
    expect(occurrences(text, "x * x")).toBe(1);
    expect(text).not.toContain("Math.pow");
  });

  it("shares the common prefix of gradient components that differ in one factor", () => {
    const f = exp(sqrt(add(pow(x, 2), pow(y, 2))));
    const text = emittedText(gradient(f, 2));
    expect(occurrences(text, "Math.exp")).toBe(1);
    expect(occurrences(text, "Math.sqrt")).toBe(1);
    expect(occurrences(text, "/")).toBe(1);
  });

  it("inlines what is used once and names an output used twice once", () => {
    const { statements, results } = emitStraightLine([sin(add(x, y)), sin(add(x, y))], INPUTS, "t");
    expect(statements).toEqual(["const t0 = Math.sin(x + y);"]);
    expect(results).toEqual(["t0", "t0"]);
  });

  it("returns inputs and literals as themselves", () => {
    expect(emitStraightLine([y, constant(3), constant(-2)], INPUTS, "t")).toEqual({
      statements: [],
      results: ["y", "3", "(-2)"],
    });
  });
});

describe("lowering", () => {
  it.each([
    [pow(x, 3), [], ["Math.pow"]],
    [pow(x, MAX_UNROLLED_POWER), [], ["Math.pow"]],
    [pow(x, MAX_UNROLLED_POWER + 1), ["Math.pow"], []],
    [pow(x, -2), ["1 / (x * x)"], ["Math.pow"]],
    [pow(x, 0.5), ["Math.sqrt(x)"], ["Math.pow"]],
    [pow(x, -0.5), ["1 / Math.sqrt(x)"], ["Math.pow"]],
    [pow(x, 2.5), ["Math.sqrt(x)"], ["Math.pow"]],
    [pow(x, 0.3), ["Math.pow(x, 0.3)"], ["Math.sqrt"]],
    [pow(x, y), ["Math.pow(x, y)"], []],
    [div(sin(x), pow(y, 2)), ["Math.sin(x) / (y * y)"], ["Math.pow", "1 /"]],
  ])("lowers %# cheaply", (expr, present, absent) => {
    const text = emittedText([expr]);
    for (const piece of present) expect(text).toContain(piece);
    for (const piece of absent) expect(text).not.toContain(piece);
    expectAgreement([expr], [1.7, 0.6]);
  });

  it("negates and subtracts instead of multiplying by -1", () => {
    expect(emittedText([neg(x)])).toBe("-x");
    expect(emittedText([sub(x, y)])).toBe("x - y");
    expect(emittedText([neg(add(x, y))])).toContain("= -(x + y);");
    expect(emittedText([sub(x, mul(3, y))])).toContain("= x - 3 * y;");
    expect(emittedText([neg(sub(neg(x), y))])).toBe("x + y");
    const text = emittedText([sub(mul(-1, sin(x)), cos(y)), neg(neg(exp(x)))]);
    expect(text).not.toMatch(/-1\b/);
    expect(run([sub(mul(-1, sin(x)), cos(y))], [0.3, 0.4])[0]).toBe(-Math.sin(0.3) - Math.cos(0.4));
  });

  it("writes constants that evaluate to exactly themselves", () => {
    const values = [0.1, -2.5, 1 / 3, 1e21, -1e-300, Number.MIN_VALUE, Math.PI, Infinity, -Infinity, NaN];
    const emitted = run(values.map(constant), []);
    values.forEach((value, k) => expect(Object.is(emitted[k], value)).toBe(true));
    expect(run([mul(-2.5, x), sub(x, 0.1)], [2, 0])).toEqual([-5, 2 - 0.1]);
  });
});

describe("emitted code", () => {
  const sample = add(
    mul(-20, exp(mul(-0.2, sqrt(div(add(pow(x, 2), pow(y, 2)), 2))))),
    neg(exp(div(add(cos(mul(2 * Math.PI, x)), cos(mul(2 * Math.PI, y))), 2))),
    20,
    Math.E,
  );

  it("references no global but Math", () => {
    const { statements, results } = emitStraightLine([sample, ...gradient(sample, 2)], INPUTS, "t");
    const code = [...statements, ...results].join("\n").replace(/Math\.\w+/g, "Math");
    const temps = statements.map((s) => s.split(" ")[1]);
    const allowed = new Set(["const", "Math", ...INPUTS, ...temps]);
    const identifiers = code.match(/(?<![\w.])[A-Za-z_$][\w$]*/g) ?? [];
    expect(identifiers.filter((name) => !allowed.has(name))).toEqual([]);
  });

  it("accepts member expressions as input names", () => {
    const outputs = [sample, ...gradient(sample, 2)];
    const { statements, results } = emitStraightLine(outputs, ["w[0]", "w[1]"], "g");
    const body = `${statements.join("\n")}\nreturn [${results.join(", ")}];`;
    const values = (new Function("w", body) as (w: Float64Array) => number[])(Float64Array.of(0.4, -1.1));
    outputs.forEach((o, k) => expectRelativelyClose(values[k]!, evaluate(o, [0.4, -1.1])));
  });

  it("is deterministic", () => {
    const outputs = [sample, ...gradient(sample, 2)];
    expect(emitStraightLine(outputs, INPUTS, "t")).toEqual(emitStraightLine(outputs, INPUTS, "t"));
  });

  it("keeps a very long sum within bounded nesting", () => {
    const n = 1000;
    const coordinates = Array.from({ length: n }, (_, i) => variable(i));
    const f = addAll(coordinates.map((c) => sub(pow(c, 2), mul(10, cos(mul(2 * Math.PI, c))))));
    const inputs = coordinates.map((_, i) => `p[${i}]`);
    const { statements, results } = emitStraightLine([f], inputs, "t");
    expect(Math.max(...statements.map((s) => s.length))).toBeLessThan(4000);
    const body = `${statements.join("\n")}\nreturn ${results[0]};`;
    const point = Float64Array.from(coordinates, (_, i) => Math.sin(i));
    expectRelativelyClose((new Function("p", body) as (p: Float64Array) => number)(point), evaluate(f, point));
  });

  it("rejects a temp prefix that is not an identifier or that collides with an input", () => {
    expect(() => emitStraightLine([x], INPUTS, "1t")).toThrow(/not a JS identifier/);
    expect(() => emitStraightLine([x], ["t0", "y"], "t")).toThrow(/collides/);
    expect(() => emitStraightLine([y], ["x"], "t")).toThrow(RangeError);
  });
});
