// Operator precedence and associativity, checked on the shape of the tree.

import { describe, expect, it } from "vitest";
import { parse, type Condition, type Expr } from "../../grammar/index.js";
import { conditionShape, shape } from "./helpers.js";

function expression(text: string): Expr {
  const { program, problems } = parse(`optimizer O { descend ${text} }`, "e.optspec");
  expect(problems).toEqual([]);
  const optimizer = program.declarations[0];
  const statement = optimizer?.kind === "Optimizer" ? optimizer.body[0] : undefined;
  if (statement?.kind !== "Descend") throw new Error(`not parsed as an expression: ${text}`);
  return statement.rate;
}

function condition(text: string): Condition {
  const { program, problems } = parse(`optimizer O { descend 1 when ${text} }`, "c.optspec");
  expect(problems).toEqual([]);
  const optimizer = program.declarations[0];
  const statement = optimizer?.kind === "Optimizer" ? optimizer.body[0] : undefined;
  if (statement?.kind !== "Descend" || !statement.guard) throw new Error(`not parsed as a condition: ${text}`);
  return statement.guard;
}

describe("expressions", () => {
  it.each([
    ["-x^2", "(neg (^ x 2))"],
    ["(-x)^2", "(^ (neg x) 2)"],
    ["2^-1", "(^ 2 (neg 1))"],
    ["a^b^c", "(^ a (^ b c))"],
    ["(a^b)^c", "(^ (^ a b) c)"],
    ["x^-y^2", "(^ x (neg (^ y 2)))"],
    ["a - b - c", "(- (- a b) c)"],
    ["a - (b - c)", "(- a (- b c))"],
    ["a / b * c", "(* (/ a b) c)"],
    ["a + b * c", "(+ a (* b c))"],
    ["(a + b) * c", "(* (+ a b) c)"],
    ["-a * b", "(* (neg a) b)"],
    ["a * -b", "(* a (neg b))"],
    ["a - -b", "(- a (neg b))"],
    ["--a", "(neg (neg a))"],
    ["2 * x^2 / 3", "(/ (* 2 (^ x 2)) 3)"],
    ["-2^2 + 1", "(+ (neg (^ 2 2)) 1)"],
    ["x[i + 1]^2", "(^ x[(+ i 1)] 2)"],
    ["f()", "f()"],
    ["g(x, y + 1, -z)", "g(x (+ y 1) (neg z))"],
    ["((((a))))", "a"],
    ["sum(i in 1..n, i^2) * 2", "(* (sum i 1 n (^ i 2)) 2)"],
  ])("%s is %s", (text, expected) => {
    expect(shape(expression(text))).toBe(expected);
  });
});

describe("conditions", () => {
  it.each([
    ["gradnorm < eps and t > tau", "(and (< gradnorm eps) (> t tau))"],
    ["not (loss < 1)", "(not (< loss 1))"],
    ["not loss < 1", "(not (< loss 1))"],
    ["(a + b) < c", "(< (+ a b) c)"],
    ["((a + b)) * 2 <= (c)", "(<= (* (+ a b) 2) c)"],
    ["((a < b))", "(< a b)"],
    ["a < b or c < d and e < f", "(or (< a b) (and (< c d) (< e f)))"],
    ["(a < b or c < d) and e < f", "(and (or (< a b) (< c d)) (< e f))"],
    ["a < b and c < d and e < f", "(and (and (< a b) (< c d)) (< e f))"],
    ["a < b or c < d or e < f", "(or (or (< a b) (< c d)) (< e f))"],
    ["a < b and (c < d and e < f)", "(and (< a b) (and (< c d) (< e f)))"],
    ["not not a == b", "(not (not (== a b)))"],
    ["not (a < b) and c != d", "(and (not (< a b)) (!= c d))"],
    ["(x) >= (y) or ((x < 1))", "(or (>= x y) (< x 1))"],
    ["f(a) > 1", "(> f(a) 1)"],
  ])("%s is %s", (text, expected) => {
    expect(conditionShape(condition(text))).toBe(expected);
  });

  it("reads every comparison operator", () => {
    const operators = ["<", "<=", ">", ">=", "==", "!="];
    expect(operators.map((op) => (condition(`a ${op} b`) as { operator: string }).operator)).toEqual(operators);
  });
});
