// Facts about canonical forms: because nodes are hash-consed, "simplifies to" is checked as
// object identity (toBe), which is exactly what CSE and the rest of the compiler rely on.
import { describe, expect, it } from "vitest";
import {
  ONE,
  ZERO,
  abs,
  add,
  addAll,
  constant,
  cos,
  div,
  evaluate,
  exp,
  log,
  mul,
  neg,
  pow,
  sin,
  sqrt,
  sub,
  toString,
  variable,
} from "../../../compiler/symbolic/index.js";

const x = variable(0);
const y = variable(1);
const z = variable(2);

describe("hash-consing", () => {
  it("gives structurally equal expressions the same, frozen object", () => {
    expect(variable(0)).toBe(x);
    expect(add(sin(x), mul(2, y))).toBe(add(sin(x), mul(2, y)));
    expect(Object.isFrozen(add(x, y))).toBe(true);
    expect(constant(-0)).toBe(ZERO);
  });

  it("makes every order and grouping of a sum or product the same node", () => {
    const parts = [x, sin(y), mul(3, z), pow(x, y), cos(add(x, z)), constant(2.5)];
    const random = seeded(7);
    const shuffled = () => [...parts].sort(() => random() - 0.5);
    for (let trial = 0; trial < 20; trial++) {
      const [a, b, ...rest] = shuffled();
      expect(add(add(a!, b!), addAll(rest))).toBe(addAll(parts));
      const [c, ...others] = shuffled();
      expect(mul(mul(...others), c!)).toBe(mul(...parts));
    }
  });
});

describe("simplification", () => {
  it("folds constants", () => {
    expect(add(2, 3)).toBe(constant(5));
    expect(mul(2, 3, 0.5)).toBe(constant(3));
    expect(pow(2, 10)).toBe(constant(1024));
    expect(sin(0)).toBe(ZERO);
    expect(add(x, 1, 2)).toBe(add(3, x));
  });

  it("drops neutral elements, and x*0 is 0 (by choice, even though Infinity*0 is NaN)", () => {
    expect(add(x, 0)).toBe(x);
    expect(mul(x, 1)).toBe(x);
    expect(mul(x, 0)).toBe(ZERO);
    expect(mul(sin(x), y, 0)).toBe(ZERO);
    expect(pow(x, 1)).toBe(x);
    expect(pow(x, 0)).toBe(ONE);
  });

  it("collects like terms and like factors", () => {
    expect(add(x, x)).toBe(mul(2, x));
    expect(toString(add(x, x))).toBe("2*x0");
    expect(add(mul(2, x, y), mul(3, y, x))).toBe(mul(5, x, y));
    expect(sub(mul(x, y), mul(y, x))).toBe(ZERO);
    expect(mul(x, x)).toBe(pow(x, 2));
    expect(mul(pow(x, 2), pow(x, 3))).toBe(pow(x, 5));
    expect(mul(pow(x, y), x)).toBe(pow(x, add(y, 1)));
    expect(div(x, x)).toBe(ONE);
  });

  it("merges nested powers only for integer outer exponents", () => {
    expect(pow(pow(x, 2), 3)).toBe(pow(x, 6));
    expect(pow(pow(x, 0.5), 4)).toBe(pow(x, 2));
    // (x^2)^0.5 is |x|, not x.
    const root = pow(pow(x, 2), 0.5);
    expect(root).not.toBe(x);
    expect(evaluate(root, [-3])).toBe(3);
  });

  it("pulls numeric coefficients out of integer powers and abs", () => {
    expect(pow(neg(x), 2)).toBe(pow(x, 2));
    expect(pow(mul(2, x), 3)).toBe(mul(8, pow(x, 3)));
    expect(abs(mul(-3, x))).toBe(mul(3, abs(x)));
    expect(pow(abs(x), 2)).toBe(pow(x, 2));
    expect(abs(pow(x, 2))).toBe(pow(x, 2));
  });

  it("represents sqrt, e^u and division through the core forms", () => {
    expect(sqrt(x)).toBe(pow(x, 0.5));
    expect(pow(Math.E, y)).toBe(exp(y));
    expect(div(x, y)).toBe(mul(x, pow(y, -1)));
    expect(log(exp(x))).toBe(x);
    expect(mul(sqrt(x), sqrt(x))).toBe(x);
  });

  it("keeps a numeric multiple of a sum as one product", () => {
    const scaled = mul(2, add(x, y));
    expect(scaled.kind).toBe("mul");
    expect(add(scaled, z).kind).toBe("add");
    expect(evaluate(add(scaled, z), [1, 2, 3])).toBe(9);
  });
});

describe("evaluate and toString", () => {
  it("evaluates with Math semantics", () => {
    const f = add(mul(3, pow(x, 2)), div(sin(y), sqrt(add(1, pow(z, 2)))));
    const [a, b, c] = [0.7, -1.3, 2.1];
    expect(evaluate(f, [a, b, c])).toBeCloseTo(3 * a ** 2 + Math.sin(b) / Math.sqrt(1 + c ** 2), 14);
    expect(evaluate(abs(x), [-2])).toBe(2);
  });

  it("refuses a point that lacks a coordinate", () => {
    expect(() => evaluate(add(x, z), [1, 2])).toThrow(RangeError);
  });

  it("prints subtraction, division, sqrt and negative constants readably", () => {
    const names = ["x", "y"];
    expect(toString(sub(x, mul(2, y)), names)).toBe("x - 2*y");
    expect(toString(div(x, add(y, 1)), names)).toBe("x/(y + 1)");
    expect(toString(add(pow(x, 2), y, -11), names)).toBe("y + x^2 - 11");
    expect(toString(sqrt(x), names)).toBe("sqrt(x)");
    expect(toString(neg(mul(x, y)), names)).toBe("-x*y");
    expect(toString(div(1, pow(x, 2)), names)).toBe("1/x^2");
  });
});

function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}
