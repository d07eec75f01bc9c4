// Structural facts about derivatives: the rules produce the simplified forms one would write by
// hand, and reuse the function's own nodes. Numerical agreement with finite differences over
// landscapes and random formulas is checked in formulas.test.ts.
import { describe, expect, it } from "vitest";
import {
  ONE,
  ZERO,
  abs,
  add,
  addAll,
  cos,
  differentiate,
  evaluate,
  exp,
  gradient,
  log,
  mul,
  neg,
  pow,
  sign,
  sin,
  sqrt,
  sub,
  tan,
  tanh,
  variable,
  type Expr,
} from "../../../compiler/symbolic/index.js";

const x = variable(0);
const y = variable(1);
const z = variable(2);
const dx = (e: Expr): Expr => differentiate(e, 0);

describe("differentiate", () => {
  it("applies the power rule with a constant exponent", () => {
    expect(dx(pow(x, 3))).toBe(mul(3, pow(x, 2)));
    expect(dx(pow(x, -1))).toBe(neg(pow(x, -2)));
    expect(dx(sqrt(x))).toBe(mul(0.5, pow(x, -0.5)));
    expect(dx(pow(x, y))).toBe(mul(y, pow(x, sub(y, 1))));
  });

  it("applies the exponential and general power rules", () => {
    expect(dx(pow(2, x))).toBe(mul(Math.LN2, pow(2, x)));
    expect(dx(pow(x, x))).toBe(mul(pow(x, x), add(log(x), 1)));
  });

  it("differentiates each function as documented, reusing the function's node", () => {
    expect(dx(sin(x))).toBe(cos(x));
    expect(dx(cos(x))).toBe(neg(sin(x)));
    expect(dx(tan(x))).toBe(add(1, pow(tan(x), 2)));
    expect(dx(exp(x))).toBe(exp(x));
    expect(dx(log(x))).toBe(pow(x, -1));
    expect(dx(abs(x))).toBe(sign(x));
    expect(dx(tanh(x))).toBe(sub(1, pow(tanh(x), 2)));
    expect(dx(sign(x))).toBe(ZERO);
  });

  it("applies the chain, product and sum rules", () => {
    expect(dx(sin(mul(2, x)))).toBe(mul(2, cos(mul(2, x))));
    expect(dx(mul(x, y, z))).toBe(mul(y, z));
    expect(dx(mul(sin(x), exp(x)))).toBe(add(mul(cos(x), exp(x)), mul(sin(x), exp(x))));
    expect(dx(add(x, y, 3))).toBe(ONE);
  });

  it("is zero for whatever does not mention the variable", () => {
    expect(dx(y)).toBe(ZERO);
    expect(dx(mul(sin(y), exp(z)))).toBe(ZERO);
    expect(differentiate(x, 0)).toBe(ONE);
  });
});

describe("gradient", () => {
  it("has one simplified component per coordinate", () => {
    const f = add(mul(x, y), pow(z, 2));
    expect(gradient(f, 4)).toEqual([y, x, mul(2, z), ZERO]);
  });

  it("stays cheap and exact on a large unrolled sum", () => {
    const n = 1000;
    const coordinates = Array.from({ length: n }, (_, i) => variable(i));
    const f = addAll(coordinates.map((c, i) => mul(i + 1, pow(c, 2))));
    const grad = gradient(f, n);
    const point = coordinates.map((_, i) => i / n);
    grad.forEach((component, i) => expect(evaluate(component, point)).toBe(2 * (i + 1) * (i / n)));
  });

  it("rejects a dimension count that is not a natural number", () => {
    expect(() => gradient(x, -1)).toThrow(RangeError);
  });
});
