// Canonicalizing smart constructors: every composite Expr is built here, in a canonical form, so
// that hash-consing (expr.ts) identifies commutative and otherwise trivially different variants.
//
// Canonical form:
// - add: flat (no add term), at least two terms, no two terms that differ only by a numeric
//   coefficient (they are collected: x + 2*x -> 3*x), a nonzero numeric constant at most once and
//   last, the other terms sorted by `compareExprs` of their coefficient-free part.
// - mul: flat, at least two factors, a numeric coefficient other than 1 at most once and first,
//   no two factors with the same base (x * x^a -> x^(1+a)), the others sorted by `compareExprs`.
// - pow: the exponent is not 0 or 1, not both sides numeric; with an integer exponent the base is
//   neither a power ((u^a)^k -> u^(a*k)) nor a product with a coefficient ((c*u)^k -> c^k*u^k).
// - calls fold on numeric arguments; sqrt(u) is pow(u, 0.5).
//
// Deliberate choices, all standard for a CAS and harmless on the formulas this compiles:
// - x*0 -> 0 even though Infinity*0 and NaN*0 are NaN in IEEE arithmetic;
// - merging powers may widen the domain: x/x -> 1, sqrt(x)^2 -> x, x^0.5 * x^-0.5 -> 1;
// - a numeric multiple of a sum stays a product (2*(a+b) is not distributed), so it stays one
//   shared subexpression in generated code; in exchange (a+b) - (a+b) is not recognised as 0.
import {
  constant,
  internCall,
  internPower,
  internProduct,
  internSum,
  applyFunction,
  powerValue,
  type Expr,
  type UnaryFunction,
} from "./expr.js";
import { match } from "ts-pattern";

export const ZERO = constant(0);
export const ONE = constant(1);
export const MINUS_ONE = constant(-1);

/** Numbers are accepted wherever an operand is, as shorthand for `constant(n)`. */
export type Operand = Expr | number;

const lift = (operand: Operand): Expr => (typeof operand === "number" ? constant(operand) : operand);

const KIND_RANK = { constant: 0, variable: 1, pow: 2, mul: 3, add: 4, call: 5 } as const;

/** A total order on expressions that depends only on structure (so generated code is deterministic). */
export function compareExprs(a: Expr, b: Expr): number {
  if (a === b) return 0;
  if (a.kind !== b.kind) return KIND_RANK[a.kind] - KIND_RANK[b.kind];
  // A plain switch rather than ts-pattern: this comparator runs O(n log n) times for every
  // n-term sum, and pattern matching a pair of nodes cost several hundred times more per call.
  switch (a.kind) {
    case "constant":
      return compareNumbers(a.value, (b as typeof a).value);
    case "variable":
      return a.index - (b as typeof a).index;
    case "pow":
      return compareExprs(a.base, (b as typeof a).base) || compareExprs(a.exponent, (b as typeof a).exponent);
    case "mul":
      return compareLists(a.factors, (b as typeof a).factors);
    case "add":
      return compareLists(a.terms, (b as typeof a).terms);
    case "call": {
      const other = b as typeof a;
      return a.fn === other.fn ? compareExprs(a.arg, other.arg) : a.fn < other.fn ? -1 : 1;
    }
    default:
      return a satisfies never;
  }
}

function compareNumbers(x: number, y: number): number {
  if (x === y) return 0;
  if (Number.isNaN(x)) return 1;
  if (Number.isNaN(y)) return -1;
  return x < y ? -1 : 1;
}

function compareLists(xs: readonly Expr[], ys: readonly Expr[]): number {
  const shared = Math.min(xs.length, ys.length);
  for (let k = 0; k < shared; k++) {
    const order = compareExprs(xs[k]!, ys[k]!);
    if (order !== 0) return order;
  }
  return xs.length - ys.length;
}

/** `term` as coefficient * rest, where rest carries no numeric factor (rest is ONE for a constant). */
function splitCoefficient(term: Expr): readonly [number, Expr] {
  if (term.kind === "constant") return [term.value, ONE];
  if (term.kind === "mul" && term.factors[0]!.kind === "constant") {
    const rest = term.factors.length === 2 ? term.factors[1]! : internProduct(term.factors.slice(1));
    return [term.factors[0]!.value, rest];
  }
  return [1, term];
}

/** coefficient * rest for a coefficient-free canonical `rest`, without re-simplifying. */
function scaled(coefficient: number, rest: Expr): Expr {
  if (coefficient === 1) return rest;
  if (rest === ONE) return constant(coefficient);
  const factors = rest.kind === "mul" ? rest.factors : [rest];
  return internProduct([constant(coefficient), ...factors]);
}

/** The canonical sum of `terms`. */
export function addAll(terms: readonly Operand[]): Expr {
  if (terms.length === 1) return lift(terms[0]!);
  let numericPart = 0;
  // Map keeps insertion order, but the final order comes from the sort below.
  const coefficients = new Map<Expr, number>();
  const collect = (term: Expr): void => {
    if (term.kind === "add") {
      for (const inner of term.terms) collect(inner);
      return;
    }
    const [coefficient, rest] = splitCoefficient(term);
    if (rest === ONE) numericPart += coefficient;
    else coefficients.set(rest, (coefficients.get(rest) ?? 0) + coefficient);
  };
  for (const term of terms) collect(lift(term));
  const rests = [...coefficients.keys()].filter((rest) => coefficients.get(rest) !== 0).sort(compareExprs);
  const canonical = rests.map((rest) => scaled(coefficients.get(rest)!, rest));
  if (numericPart !== 0 || canonical.length === 0) canonical.push(constant(numericPart));
  return canonical.length === 1 ? canonical[0]! : internSum(canonical);
}

/** The canonical product of `factors`. */
export function mulAll(factors: readonly Operand[]): Expr {
  if (factors.length === 1) return lift(factors[0]!);
  let coefficient = 1;
  const exponentsByBase = new Map<Expr, Expr[]>();
  const collect = (factor: Expr): void => {
    match(factor)
      .with({ kind: "constant" }, (c) => {
        coefficient *= c.value;
      })
      .with({ kind: "mul" }, (p) => p.factors.forEach(collect))
      .with({ kind: "pow" }, (p) => exponentsOf(p.base).push(p.exponent))
      .with({ kind: "variable" }, { kind: "add" }, { kind: "call" }, (other) => exponentsOf(other).push(ONE))
      .exhaustive();
  };
  const exponentsOf = (base: Expr): Expr[] => {
    let exponents = exponentsByBase.get(base);
    if (exponents === undefined) exponentsByBase.set(base, (exponents = []));
    return exponents;
  };
  for (const factor of factors) collect(lift(factor));
  if (coefficient === 0) return ZERO;

  const merged: Expr[] = [];
  let needsAnotherPass = false;
  for (const [base, exponents] of exponentsByBase) {
    const power = pow(base, exponents.length === 1 ? exponents[0]! : addAll(exponents));
    if (power.kind === "constant") coefficient *= power.value;
    else merged.push(power);
    // pow may hand back a product (e.g. (x*y)^2 * (x*y)^-1 -> x*y), whose factors must merge too.
    if (power.kind === "mul") needsAnotherPass = true;
  }
  if (needsAnotherPass) return mulAll([constant(coefficient), ...merged]);
  if (coefficient === 0) return ZERO;
  merged.sort(compareExprs);
  if (merged.length === 0) return constant(coefficient);
  if (coefficient === 1 && merged.length === 1) return merged[0]!;
  return internProduct(coefficient === 1 ? merged : [constant(coefficient), ...merged]);
}

/** a + b + ... */
export function add(...terms: readonly Operand[]): Expr {
  return addAll(terms);
}

/** a * b * ... */
export function mul(...factors: readonly Operand[]): Expr {
  return mulAll(factors);
}

/** -a, as (-1)*a. */
export function neg(a: Operand): Expr {
  return mulAll([MINUS_ONE, a]);
}

/** a - b. */
export function sub(a: Operand, b: Operand): Expr {
  return addAll([a, neg(b)]);
}

/** a / b, as a * b^-1. */
export function div(a: Operand, b: Operand): Expr {
  return mulAll([a, pow(b, MINUS_ONE)]);
}

/** base ^ exponent in canonical form. */
export function pow(baseOperand: Operand, exponentOperand: Operand): Expr {
  const base = lift(baseOperand);
  const exponent = lift(exponentOperand);
  if (exponent.kind !== "constant") {
    if (base === ONE) return ONE;
    if (base.kind === "constant" && base.value === Math.E) return exp(exponent);
    return internPower(base, exponent);
  }
  const k = exponent.value;
  if (k === 0) return ONE;
  if (k === 1) return base;
  if (base.kind === "constant") return constant(powerValue(base.value, k));
  if (Number.isInteger(k)) {
    if (base.kind === "pow") return pow(base.base, mul(base.exponent, k));
    const [coefficient, rest] = splitCoefficient(base);
    if (coefficient !== 1) return mul(Math.pow(coefficient, k), pow(rest, k));
    if (k % 2 === 0 && base.kind === "call" && base.fn === "abs") return pow(base.arg, k);
  }
  return internPower(base, exponent);
}

/** fn(arg) with folding of numeric arguments and a few identities that hold on the whole domain. */
export function call(fn: UnaryFunction, argOperand: Operand): Expr {
  const arg = lift(argOperand);
  if (arg.kind === "constant") return constant(applyFunction(fn, arg.value));
  if (fn === "log" && arg.kind === "call" && arg.fn === "exp") return arg.arg;
  if (fn === "abs") {
    if (arg.kind === "call" && (arg.fn === "abs" || arg.fn === "exp")) return arg;
    if (arg.kind === "pow" && arg.exponent.kind === "constant" && arg.exponent.value % 2 === 0) return arg;
    const [coefficient, rest] = splitCoefficient(arg);
    if (coefficient !== 1) return mul(Math.abs(coefficient), call("abs", rest));
  }
  return internCall(fn, arg);
}

// The functions of the formula language (and sign, for abs'), as smart constructors.
export const sin = (u: Operand): Expr => call("sin", u);
export const cos = (u: Operand): Expr => call("cos", u);
export const tan = (u: Operand): Expr => call("tan", u);
export const exp = (u: Operand): Expr => call("exp", u);
export const log = (u: Operand): Expr => call("log", u);
export const abs = (u: Operand): Expr => call("abs", u);
export const tanh = (u: Operand): Expr => call("tanh", u);
export const sign = (u: Operand): Expr => call("sign", u);
export const sqrt = (u: Operand): Expr => pow(u, 0.5);
