// Lowers a landscape formula from the user's AST into the symbolic IR: names are resolved against
// the landscape's bound parameters and variables, `sum` is unrolled, vector indices are resolved
// to flattened coordinates. Every user mistake becomes a SymbolicError with the span to blame.
import { match } from "ts-pattern";
import type * as ast from "../../grammar/ast.js";
import { constant, variable, type Expr } from "./expr.js";
import { abs, add, addAll, cos, div, exp, log, mul, neg, pow, sin, sqrt, sub, tan, tanh } from "./simplify.js";

export interface SymbolEnv {
  /** Landscape parameters already bound to numbers, e.g. n = 10. */
  readonly constants: ReadonlyMap<string, number>;
  /** Scalar x -> its coordinate `offset`; vector x[size] -> offset..offset+size-1 (x[1] is offset). */
  readonly variables: ReadonlyMap<string, { readonly offset: number; readonly size?: number }>;
}

/** A problem in a formula, to be reported at `span`. */
export class SymbolicError extends Error {
  override readonly name = "SymbolicError";
  constructor(
    message: string,
    readonly span: ast.Span,
  ) {
    super(message);
  }
}

const BUILTIN_CONSTANTS: ReadonlyMap<string, number> = new Map([
  ["pi", Math.PI],
  ["e", Math.E],
]);

const BUILTIN_FUNCTIONS: ReadonlyMap<string, (arg: Expr) => Expr> = new Map([
  ["sin", sin],
  ["cos", cos],
  ["tan", tan],
  ["exp", exp],
  ["log", log],
  ["sqrt", sqrt],
  ["abs", abs],
  ["tanh", tanh],
]);

/** Guards against `sum(i in 1..1e9, ...)` exhausting memory before anything is reported. */
export const MAX_SUM_TERMS = 100_000;

/** Sum indices bound around the node being converted, innermost last. */
type IndexBindings = ReadonlyMap<string, number>;

/** The IR of formula `e` under `env`; throws SymbolicError for anything it cannot resolve. */
export function fromAst(e: ast.Expr, env: SymbolEnv): Expr {
  return convert(e, env, new Map());
}

function convert(node: ast.Expr, env: SymbolEnv, indices: IndexBindings): Expr {
  const result = match(node)
    .with({ kind: "Number" }, (n) => constant(n.value))
    .with({ kind: "Name" }, (n) => resolveName(n, env, indices))
    .with({ kind: "Index" }, (n) => resolveIndex(n, env, indices))
    .with({ kind: "Unary" }, (n) => neg(convert(n.operand, env, indices)))
    .with({ kind: "Binary" }, (n) => {
      const left = convert(n.left, env, indices);
      const right = convert(n.right, env, indices);
      return match(n.operator)
        .with("+", () => add(left, right))
        .with("-", () => sub(left, right))
        .with("*", () => mul(left, right))
        .with("/", () => {
          if (right.kind === "constant" && right.value === 0) {
            throw new SymbolicError(`division by zero${describe(indices)}`, n.right.span);
          }
          return div(left, right);
        })
        .with("^", () => pow(left, right))
        .exhaustive();
    })
    .with({ kind: "Call" }, (n) => {
      const fn = BUILTIN_FUNCTIONS.get(n.callee.name);
      if (fn === undefined) {
        const known = [...BUILTIN_FUNCTIONS.keys()].join(", ");
        throw new SymbolicError(`unknown function '${n.callee.name}'; the built-in functions are ${known}`, n.callee.span);
      }
      if (n.args.length !== 1) {
        throw new SymbolicError(`'${n.callee.name}' takes exactly one argument, got ${n.args.length}`, n.span);
      }
      return fn(convert(n.args[0]!, env, indices));
    })
    .with({ kind: "Sum" }, (n) => unrollSum(n, env, indices))
    .exhaustive();
  // Folding can turn a finite-looking formula into NaN or Infinity (log(0), sqrt(-1), 10^400);
  // the innermost node that does so is the one to blame.
  if (result.kind === "constant" && !Number.isFinite(result.value)) {
    throw new SymbolicError(`this expression evaluates to ${result.value}${describe(indices)}`, node.span);
  }
  return result;
}

function resolveName(n: ast.NameExpr, env: SymbolEnv, indices: IndexBindings): Expr {
  // Innermost binding wins: sum indices, then variables, then parameters, then pi and e.
  const index = indices.get(n.name);
  if (index !== undefined) return constant(index);
  const declared = env.variables.get(n.name);
  if (declared !== undefined) {
    if (declared.size !== undefined) {
      throw new SymbolicError(
        `'${n.name}' is a vector of ${declared.size} coordinates; use one of them, e.g. ${n.name}[1], or sum over them`,
        n.span,
      );
    }
    return variable(declared.offset);
  }
  const parameter = env.constants.get(n.name) ?? BUILTIN_CONSTANTS.get(n.name);
  if (parameter !== undefined) return constant(parameter);
  throw new SymbolicError(`unknown name '${n.name}' in a formula`, n.span);
}

function resolveIndex(n: ast.IndexExpr, env: SymbolEnv, indices: IndexBindings): Expr {
  const name = n.target.name;
  const declared = indices.has(name) ? undefined : env.variables.get(name);
  if (declared === undefined) {
    const isNumber = indices.has(name) || env.constants.has(name) || BUILTIN_CONSTANTS.has(name);
    throw new SymbolicError(
      isNumber ? `'${name}' is a number, not a vector; it cannot be indexed` : `unknown vector '${name}'`,
      n.target.span,
    );
  }
  if (declared.size === undefined) {
    throw new SymbolicError(`'${name}' is a scalar variable; it cannot be indexed`, n.target.span);
  }
  const index = convert(n.index, env, indices);
  if (index.kind !== "constant") {
    throw new SymbolicError(
      `the index of '${name}' must be a number known at compile time (a parameter or a sum index), not a variable`,
      n.index.span,
    );
  }
  if (!Number.isInteger(index.value)) {
    throw new SymbolicError(`the index of '${name}' must be a whole number, got ${index.value}${describe(indices)}`, n.index.span);
  }
  if (index.value < 1 || index.value > declared.size) {
    throw new SymbolicError(
      `index ${index.value} is out of range for '${name}', whose coordinates are ${name}[1]..${name}[${declared.size}]${describe(indices)}`,
      n.index.span,
    );
  }
  return variable(declared.offset + index.value - 1);
}

function unrollSum(n: ast.SumExpr, env: SymbolEnv, indices: IndexBindings): Expr {
  const bound = (e: ast.Expr, which: string): number => {
    const value = convert(e, env, indices);
    if (value.kind !== "constant" || !Number.isInteger(value.value)) {
      throw new SymbolicError(
        `the ${which} bound of a sum must be a whole number known at compile time${describe(indices)}`,
        e.span,
      );
    }
    return value.value;
  };
  const from = bound(n.from, "lower");
  const to = bound(n.to, "upper");
  if (to - from + 1 > MAX_SUM_TERMS) {
    throw new SymbolicError(`this sum has ${to - from + 1} terms; at most ${MAX_SUM_TERMS} can be unrolled`, n.span);
  }
  const terms: Expr[] = [];
  for (let i = from; i <= to; i++) {
    terms.push(convert(n.body, env, new Map(indices).set(n.index.name, i)));
  }
  return addAll(terms);
}

/** ", where i = 3, j = 1" when inside sums, so a failure in one unrolled term can be located. */
function describe(indices: IndexBindings): string {
  if (indices.size === 0) return "";
  return ` (where ${[...indices].map(([name, value]) => `${name} = ${value}`).join(", ")})`;
}
