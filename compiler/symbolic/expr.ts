// The expression IR behind landscape formulas and their derivatives.
// Nodes are immutable and hash-consed: two structurally equal expressions are the same object, so
// equality, memo tables and common-subexpression elimination all work by identity.
// Only leaves are built here without checks; composite nodes must come from simplify.ts, whose
// smart constructors keep every node in canonical form (that is what makes hash-consing find
// commutative variants). sqrt is represented as pow(_, 0.5), negation as mul(-1, _), division as
// mul(_, pow(_, -1)).
import { match } from "ts-pattern";

/** `sign` is not in the user's language: it exists so that abs' has a closed form. */
export type UnaryFunction = "sin" | "cos" | "tan" | "exp" | "log" | "abs" | "tanh" | "sign";

export interface Constant {
  readonly kind: "constant";
  readonly id: number;
  readonly value: number;
}

/** A coordinate of the flattened point, 0-based. */
export interface Variable {
  readonly kind: "variable";
  readonly id: number;
  readonly index: number;
}

export interface Sum {
  readonly kind: "add";
  readonly id: number;
  readonly terms: readonly Expr[];
}

export interface Product {
  readonly kind: "mul";
  readonly id: number;
  readonly factors: readonly Expr[];
}

export interface Power {
  readonly kind: "pow";
  readonly id: number;
  readonly base: Expr;
  readonly exponent: Expr;
}

export interface Call {
  readonly kind: "call";
  readonly id: number;
  readonly fn: UnaryFunction;
  readonly arg: Expr;
}

export type Expr = Constant | Variable | Sum | Product | Power | Call;

// Weak references let a long-running compiler (watch mode, language server) drop expressions it no
// longer holds; a node can only be collected once nothing, including its parents, refers to it,
// so a later rebuild of the same structure simply gets a fresh (equally unique) node.
const internTable = new Map<string, WeakRef<Expr>>();
const evictOnCollect = new FinalizationRegistry<string>((key) => {
  // The key may already name a newer node built after the old one died.
  if (internTable.get(key)?.deref() === undefined) internTable.delete(key);
});
let nextId = 0;

function intern<T extends Expr>(key: string, build: (id: number) => T): T {
  const existing = internTable.get(key)?.deref();
  if (existing !== undefined) return existing as T;
  const node: T = Object.freeze(build(nextId++));
  internTable.set(key, new WeakRef(node));
  evictOnCollect.register(node, key);
  return node;
}

const ids = (nodes: readonly Expr[]): string => nodes.map((n) => n.id).join(",");

/** The constant `value`; -0 is folded into 0 so that the two do not hash-cons apart. */
export function constant(value: number): Constant {
  const normalized = value === 0 ? 0 : value;
  return intern(`c${String(normalized)}`, (id) => ({ kind: "constant", id, value: normalized }));
}

/** The coordinate `index` (0-based) of the flattened point. */
export function variable(index: number): Variable {
  if (!Number.isInteger(index) || index < 0) throw new RangeError(`variable index must be a natural number, got ${index}`);
  return intern(`v${index}`, (id) => ({ kind: "variable", id, index }));
}

/** Unchecked: `terms` must already be canonical (simplify.ts is the only intended caller). */
export function internSum(terms: readonly Expr[]): Sum {
  return intern(`+${ids(terms)}`, (id) => ({ kind: "add", id, terms: Object.freeze([...terms]) }));
}

/** Unchecked: `factors` must already be canonical (simplify.ts is the only intended caller). */
export function internProduct(factors: readonly Expr[]): Product {
  return intern(`*${ids(factors)}`, (id) => ({ kind: "mul", id, factors: Object.freeze([...factors]) }));
}

/** Unchecked: the power must already be canonical (simplify.ts is the only intended caller). */
export function internPower(base: Expr, exponent: Expr): Power {
  return intern(`^${base.id},${exponent.id}`, (id) => ({ kind: "pow", id, base, exponent }));
}

/** Unchecked: the call must already be canonical (simplify.ts is the only intended caller). */
export function internCall(fn: UnaryFunction, arg: Expr): Call {
  return intern(`${fn}(${arg.id})`, (id) => ({ kind: "call", id, fn, arg }));
}

/** Math.* semantics of the unary functions, shared by evaluation and constant folding. */
export function applyFunction(fn: UnaryFunction, x: number): number {
  return match(fn)
    .with("sin", () => Math.sin(x))
    .with("cos", () => Math.cos(x))
    .with("tan", () => Math.tan(x))
    .with("exp", () => Math.exp(x))
    .with("log", () => Math.log(x))
    .with("abs", () => Math.abs(x))
    .with("tanh", () => Math.tanh(x))
    .with("sign", () => Math.sign(x))
    .exhaustive();
}

/** Math.pow, except that the exponent 0.5 is Math.sqrt as in the generated code. */
export function powerValue(base: number, exponent: number): number {
  return exponent === 0.5 ? Math.sqrt(base) : Math.pow(base, exponent);
}

/** The value of `expr` at `point` (coordinate i is point[i]); shared subexpressions are evaluated once. */
export function evaluate(expr: Expr, point: ArrayLike<number>): number {
  const memo = new Map<Expr, number>();
  const visit = (node: Expr): number => {
    const cached = memo.get(node);
    if (cached !== undefined) return cached;
    const value = match(node)
      .with({ kind: "constant" }, (c) => c.value)
      .with({ kind: "variable" }, (v) => {
        if (v.index >= point.length) throw new RangeError(`the point has ${point.length} coordinates; x${v.index} is missing`);
        return point[v.index]!;
      })
      .with({ kind: "add" }, (s) => s.terms.reduce((acc, term) => acc + visit(term), 0))
      .with({ kind: "mul" }, (p) => p.factors.reduce((acc, factor) => acc * visit(factor), 1))
      .with({ kind: "pow" }, (p) => powerValue(visit(p.base), visit(p.exponent)))
      .with({ kind: "call" }, (c) => applyFunction(c.fn, visit(c.arg)))
      .exhaustive();
    memo.set(node, value);
    return value;
  };
  return visit(expr);
}

const ADDITIVE = 1;
const MULTIPLICATIVE = 2;
const UNARY = 3;
const POWER = 4;
const ATOM = 5;

/** A readable infix rendering for messages and debugging; variable i prints as `variableNames[i]` or `x{i}`. */
export function toString(expr: Expr, variableNames: readonly string[] = []): string {
  const render = (node: Expr, minPrecedence: number): string => {
    const [text, precedence] = renderWithPrecedence(node);
    return precedence < minPrecedence ? `(${text})` : text;
  };
  const renderNumber = (value: number): [string, number] =>
    value < 0 ? [String(value), UNARY] : [String(value), ATOM];
  // Splits a product into its numeric coefficient, numerator and denominator for `a*b/c` output.
  const renderProduct = (factors: readonly Expr[], coefficient: number): [string, number] => {
    const numerator: string[] = [];
    const denominator: string[] = [];
    for (const factor of factors) {
      if (factor.kind === "pow" && factor.exponent.kind === "constant" && factor.exponent.value < 0) {
        const positive = -factor.exponent.value;
        denominator.push(render(positive === 1 ? factor.base : internPower(factor.base, constant(positive)), POWER));
      } else {
        numerator.push(render(factor, POWER));
      }
    }
    const magnitude = Math.abs(coefficient);
    if (magnitude !== 1 || numerator.length === 0) numerator.unshift(String(magnitude));
    let text = numerator.join("*");
    if (denominator.length === 1) text += `/${denominator[0]}`;
    if (denominator.length > 1) text += `/(${denominator.join("*")})`;
    return coefficient < 0 ? [`-${text}`, UNARY] : [text, MULTIPLICATIVE];
  };
  const renderWithPrecedence = (node: Expr): [string, number] =>
    match(node)
      .with({ kind: "constant" }, (c) => renderNumber(c.value))
      .with({ kind: "variable" }, (v): [string, number] => [variableNames[v.index] ?? `x${v.index}`, ATOM])
      .with({ kind: "add" }, (s): [string, number] => {
        let text = "";
        for (const term of s.terms) {
          const [coefficient, rest] = splitForDisplay(term);
          if (text === "") {
            text = render(term, ADDITIVE);
          } else if (coefficient < 0) {
            text += ` - ${rest.length === 0 ? String(-coefficient) : renderProduct(rest, -coefficient)[0]}`;
          } else {
            text += ` + ${render(term, MULTIPLICATIVE)}`;
          }
        }
        return [text, ADDITIVE];
      })
      .with({ kind: "mul" }, (p) => {
        const [coefficient, rest] = splitForDisplay(p);
        return renderProduct(rest, coefficient);
      })
      .with({ kind: "pow" }, (p): [string, number] => {
        if (p.exponent.kind === "constant" && p.exponent.value === 0.5) return [`sqrt(${render(p.base, 0)})`, ATOM];
        if (p.exponent.kind === "constant" && p.exponent.value < 0) return renderProduct([p], 1);
        return [`${render(p.base, ATOM)}^${render(p.exponent, ATOM)}`, POWER];
      })
      .with({ kind: "call" }, (c): [string, number] => [`${c.fn}(${render(c.arg, 0)})`, ATOM])
      .exhaustive();
  return render(expr, 0);
}

function splitForDisplay(term: Expr): [number, readonly Expr[]] {
  if (term.kind === "constant") return [term.value, []];
  if (term.kind === "mul" && term.factors[0]!.kind === "constant") return [term.factors[0]!.value, term.factors.slice(1)];
  if (term.kind === "mul") return [1, term.factors];
  return [1, [term]];
}
