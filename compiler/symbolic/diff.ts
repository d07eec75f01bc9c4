// Symbolic differentiation over the canonical IR; every result goes through the smart
// constructors, so derivatives come out simplified and share nodes with the function itself
// (e.g. tanh' reuses tanh(u), exp' reuses exp(u)), which code generation turns into shared temps.
import { match } from "ts-pattern";
import type { Expr, Sum } from "./expr.js";
import { ONE, ZERO, add, addAll, cos, div, log, mul, mulAll, neg, pow, sign, sin, sub } from "./simplify.js";

// Free-variable sets let differentiation skip subtrees that cannot contribute, which keeps the
// gradient of an unrolled n-term sum near O(n) work per coordinate instead of O(tree) per term.
const freeVariablesCache = new WeakMap<Expr, ReadonlySet<number>>();
const NO_VARIABLES: ReadonlySet<number> = new Set();

function freeVariables(expr: Expr): ReadonlySet<number> {
  const cached = freeVariablesCache.get(expr);
  if (cached !== undefined) return cached;
  const union = (children: readonly Expr[]): ReadonlySet<number> => {
    const sets = children.map(freeVariables).filter((set) => set.size > 0);
    if (sets.length <= 1) return sets[0] ?? NO_VARIABLES;
    const merged = new Set<number>();
    for (const set of sets) for (const index of set) merged.add(index);
    return merged;
  };
  const result = match(expr)
    .with({ kind: "constant" }, () => NO_VARIABLES)
    .with({ kind: "variable" }, (v) => new Set([v.index]))
    .with({ kind: "add" }, (s) => union(s.terms))
    .with({ kind: "mul" }, (p) => union(p.factors))
    .with({ kind: "pow" }, (p) => union([p.base, p.exponent]))
    .with({ kind: "call" }, (c) => freeVariables(c.arg))
    .exhaustive();
  freeVariablesCache.set(expr, result);
  return result;
}

// For a long sum (an unrolled `sum(...)`), which terms mention each coordinate: a gradient then
// visits each term once per coordinate it mentions rather than once per coordinate.
const termsByVariableCache = new WeakMap<Sum, ReadonlyMap<number, readonly Expr[]>>();

function termsMentioning(sum: Sum, variableIndex: number): readonly Expr[] {
  let termsByVariable = termsByVariableCache.get(sum);
  if (termsByVariable === undefined) {
    const index = new Map<number, Expr[]>();
    for (const term of sum.terms) {
      for (const variable of freeVariables(term)) {
        const terms = index.get(variable);
        if (terms === undefined) index.set(variable, [term]);
        else terms.push(term);
      }
    }
    termsByVariableCache.set(sum, (termsByVariable = index));
  }
  return termsByVariable.get(variableIndex) ?? [];
}

/** d expr / d x_variableIndex, simplified. */
export function differentiate(expr: Expr, variableIndex: number): Expr {
  const memo = new Map<Expr, Expr>();
  const d = (node: Expr): Expr => {
    if (!freeVariables(node).has(variableIndex)) return ZERO;
    const cached = memo.get(node);
    if (cached !== undefined) return cached;
    const derivative = match(node)
      .with({ kind: "constant" }, () => ZERO)
      .with({ kind: "variable" }, () => ONE)
      .with({ kind: "add" }, (s) => addAll(termsMentioning(s, variableIndex).map(d)))
      .with({ kind: "mul" }, (p) =>
        addAll(
          p.factors.map((factor, k) => {
            const dFactor = d(factor);
            if (dFactor === ZERO) return ZERO;
            return mulAll([dFactor, ...p.factors.filter((_, j) => j !== k)]);
          }),
        ),
      )
      .with({ kind: "pow" }, ({ base, exponent }) => {
        const dBase = d(base);
        const dExponent = d(exponent);
        // u^v * (v' log u + v u'/u), with the terms that vanish left out so that a constant
        // exponent gives the plain power rule and a constant base does not divide by it.
        if (dExponent === ZERO) return mul(exponent, pow(base, sub(exponent, 1)), dBase);
        if (dBase === ZERO) return mul(node, log(base), dExponent);
        return mul(node, add(mul(dExponent, log(base)), mul(exponent, dBase, pow(base, -1))));
      })
      .with({ kind: "call" }, ({ fn, arg }) => {
        const outer = match(fn)
          .with("sin", () => cos(arg))
          .with("cos", () => neg(sin(arg)))
          .with("tan", () => add(1, pow(node, 2)))
          .with("exp", () => node)
          .with("log", () => div(1, arg))
          .with("abs", () => sign(arg))
          .with("tanh", () => sub(1, pow(node, 2)))
          // Zero away from 0, where it is undefined: the same convention as abs' = sign.
          .with("sign", () => ZERO)
          .exhaustive();
        return mul(outer, d(arg));
      })
      .exhaustive();
    memo.set(node, derivative);
    return derivative;
  };
  return d(expr);
}

/** [d expr/d x_0, ..., d expr/d x_(dims-1)], simplified. */
export function gradient(expr: Expr, dims: number): Expr[] {
  if (!Number.isInteger(dims) || dims < 0) throw new RangeError(`dims must be a natural number, got ${dims}`);
  return Array.from({ length: dims }, (_, index) => differentiate(expr, index));
}
