// Straight-line JavaScript for a set of expressions (typically f and its gradient), for the hot
// optimizer kernels. The canonical IR is first lowered to JS-level operations (binary + - * /,
// negation, Math.* calls), themselves hash-consed, so sharing that only appears after lowering is
// found too: x^4 becomes (x*x)*(x*x) and reuses the x*x of an x^2 elsewhere. Any operation
// referenced more than once becomes a `const` temp; everything else is inlined.
import { match } from "ts-pattern";
import type { Constant, Expr, Power, UnaryFunction } from "./expr.js";

export interface StraightLineCode {
  /** `const <prefix>N = ...;` lines, in dependency order. */
  readonly statements: string[];
  /** results[k] is a JS expression for outputs[k]: a temp, a literal, an input name or one small operation. */
  readonly results: string[];
}

/** Integer and half-integer powers up to this size become multiplications (and one Math.sqrt). */
export const MAX_UNROLLED_POWER = 16;

// Bounds the nesting of an inlined expression (an unrolled 1000-term sum is a 1000-deep chain),
// which keeps the emitter's recursion and the emitted lines small; V8 sees no difference.
const MAX_INLINE_DEPTH = 32;

type BinaryOperator = "+" | "-" | "*" | "/";
type MathFunction = UnaryFunction | "sqrt" | "pow";

type Op =
  | { readonly kind: "literal"; readonly id: number; readonly value: number }
  | { readonly kind: "input"; readonly id: number; readonly index: number }
  | { readonly kind: "binary"; readonly id: number; readonly operator: BinaryOperator; readonly left: Op; readonly right: Op }
  | { readonly kind: "negate"; readonly id: number; readonly operand: Op }
  | { readonly kind: "math"; readonly id: number; readonly fn: MathFunction; readonly args: readonly Op[] };

/** The hash-consed operations of one emission; creation order is a topological order. */
class OpGraph {
  readonly ops: Op[] = [];
  private readonly byKey = new Map<string, Op>();

  private intern(key: string, build: (id: number) => Op): Op {
    let op = this.byKey.get(key);
    if (op === undefined) {
      op = build(this.ops.length);
      this.byKey.set(key, op);
      this.ops.push(op);
    }
    return op;
  }

  literal(value: number): Op {
    return this.intern(`c${String(value)}`, (id) => ({ kind: "literal", id, value }));
  }
  input(index: number): Op {
    return this.intern(`i${index}`, (id) => ({ kind: "input", id, index }));
  }
  binary(operator: BinaryOperator, left: Op, right: Op): Op {
    return this.intern(`${operator}${left.id},${right.id}`, (id) => ({ kind: "binary", id, operator, left, right }));
  }
  negate(operand: Op): Op {
    return this.intern(`n${operand.id}`, (id) => ({ kind: "negate", id, operand }));
  }
  math(fn: MathFunction, args: readonly Op[]): Op {
    return this.intern(`${fn}(${args.map((a) => a.id).join(",")})`, (id) => ({ kind: "math", id, fn, args }));
  }
}

const children = (op: Op): readonly Op[] =>
  match(op)
    .with({ kind: "literal" }, { kind: "input" }, () => [])
    .with({ kind: "binary" }, (b) => [b.left, b.right])
    .with({ kind: "negate" }, (n) => [n.operand])
    .with({ kind: "math" }, (m) => m.args)
    .exhaustive();

const isLeaf = (op: Op): boolean => op.kind === "literal" || op.kind === "input";

const isCheapPower = (k: number): boolean => k > 0 && k <= MAX_UNROLLED_POWER && Number.isInteger(2 * k);

/** A factor better divided by than multiplied with: x^-k with x^k cheap. */
const isCheapDivisor = (factor: Expr): factor is Power & { readonly exponent: Constant } =>
  factor.kind === "pow" && factor.exponent.kind === "constant" && isCheapPower(-factor.exponent.value);

/** `value` as a JS expression that evaluates to exactly it and references no global but Math. */
function formatLiteral(value: number): string {
  if (Number.isNaN(value)) return "(0 / 0)";
  if (value === Infinity) return "(1 / 0)";
  if (value === -Infinity) return "(-1 / 0)";
  return value < 0 ? `(${String(value)})` : String(value);
}

/** Lowers canonical Exprs to operations, sharing the lowering of shared Exprs. */
class Lowering {
  private readonly memo = new Map<Expr, Op>();
  /** For each factor, the number of distinct products (across all outputs) it appears in. */
  private readonly factorShares = new Map<Expr, number>();
  /** For each node, the number of distinct nodes (and outputs) that refer to it. */
  private readonly references = new Map<Expr, number>();

  constructor(
    readonly graph: OpGraph,
    private readonly inputCount: number,
    outputs: readonly Expr[],
  ) {
    const visit = (expr: Expr): void => {
      const seenBefore = this.references.has(expr);
      this.references.set(expr, (this.references.get(expr) ?? 0) + 1);
      if (seenBefore) return;
      match(expr)
        .with({ kind: "constant" }, { kind: "variable" }, () => {})
        .with({ kind: "add" }, (s) => s.terms.forEach(visit))
        .with({ kind: "mul" }, (p) => {
          for (const factor of p.factors) this.factorShares.set(factor, (this.factorShares.get(factor) ?? 0) + 1);
          p.factors.forEach(visit);
        })
        .with({ kind: "pow" }, (p) => [p.base, p.exponent].forEach(visit))
        .with({ kind: "call" }, (c) => visit(c.arg))
        .exhaustive();
    };
    outputs.forEach(visit);
  }

  lower(expr: Expr): Op {
    const cached = this.memo.get(expr);
    if (cached !== undefined) return cached;
    const g = this.graph;
    const op = match(expr)
      .with({ kind: "constant" }, (c) => g.literal(c.value))
      .with({ kind: "variable" }, (v) => {
        if (v.index >= this.inputCount) {
          throw new RangeError(`expression uses coordinate ${v.index} but only ${this.inputCount} input names were given`);
        }
        return g.input(v.index);
      })
      .with({ kind: "add" }, (s) => this.lowerSum(s.terms))
      .with({ kind: "mul" }, (p) => {
        const [coefficient, factors] = splitProduct(p);
        if (coefficient !== -1) return this.lowerProduct(coefficient, factors);
        // -(a - b) is b - a: flipping the signs of a sum nobody else uses saves the negation.
        const negated = factors.length === 1 ? factors[0]! : undefined;
        if (negated?.kind === "add" && this.references.get(negated) === 1) {
          if (negated.terms.some((term) => splitProduct(term)[0] < 0)) return this.lowerSum(negated.terms, -1);
        }
        return g.negate(this.lowerProduct(1, factors));
      })
      .with({ kind: "pow" }, (p) => this.lowerPower(p.base, p.exponent))
      .with({ kind: "call" }, (c) => g.math(c.fn, [this.lower(c.arg)]))
      .exhaustive();
    this.memo.set(expr, op);
    return op;
  }

  // Terms with a negative coefficient are subtracted, so -1 never shows up as a multiplication.
  private lowerSum(terms: readonly Expr[], sign: 1 | -1 = 1): Op {
    const added: Op[] = [];
    const subtracted: Op[] = [];
    for (const term of terms) {
      const [unsigned, factors] = splitProduct(term);
      const coefficient = sign * unsigned;
      if (coefficient < 0) subtracted.push(this.lowerProduct(-coefficient, factors));
      else added.push(this.lowerProduct(coefficient, factors));
    }
    const g = this.graph;
    let sum = added.length > 0 ? added.shift()! : g.negate(subtracted.shift()!);
    for (const term of added) sum = g.binary("+", sum, term);
    for (const term of subtracted) sum = g.binary("-", sum, term);
    return sum;
  }

  // Factors are multiplied in order of how many products share them, so products that differ in
  // one factor (the coordinates of a gradient: c*g*x0/h, c*g*x1/h, ...) share the prefix c*g/h.
  // A run of cheap negative powers becomes one division: a*b/(c*c).
  private lowerProduct(coefficient: number, factors: readonly Expr[]): Op {
    const g = this.graph;
    // Among equally shared factors numerators go first, so a lone a/b stays one division.
    const rank = (factor: Expr): number => 2 * (this.factorShares.get(factor) ?? 0) + (isCheapDivisor(factor) ? 0 : 1);
    const ordered = [...factors].sort((a, b) => rank(b) - rank(a));
    let product: Op | undefined = coefficient === 1 ? undefined : g.literal(coefficient);
    for (let k = 0; k < ordered.length; ) {
      const divisors: Op[] = [];
      for (let factor = ordered[k]; factor !== undefined && isCheapDivisor(factor); factor = ordered[++k]) {
        divisors.push(this.lowerPositivePower(factor.base, -factor.exponent.value));
      }
      if (divisors.length > 0) {
        product = g.binary("/", product ?? g.literal(1), divisors.reduce((a, b) => g.binary("*", a, b)));
      } else {
        const factor = this.lower(ordered[k++]!);
        product = product === undefined ? factor : g.binary("*", product, factor);
      }
    }
    return product ?? g.literal(1);
  }

  private lowerPower(base: Expr, exponent: Expr): Op {
    const g = this.graph;
    if (exponent.kind !== "constant") return g.math("pow", [this.lower(base), this.lower(exponent)]);
    const k = exponent.value;
    if (k > 0) return this.lowerPositivePower(base, k);
    if (isCheapPower(-k)) return g.binary("/", g.literal(1), this.lowerPositivePower(base, -k));
    return g.math("pow", [this.lower(base), g.literal(k)]);
  }

  private lowerPositivePower(base: Expr, k: number): Op {
    const g = this.graph;
    const b = this.lower(base);
    if (!isCheapPower(k)) return g.math("pow", [b, g.literal(k)]);
    if (Number.isInteger(k)) return this.integerPower(b, k);
    const root = g.math("sqrt", [b]);
    return k === 0.5 ? root : g.binary("*", this.integerPower(b, Math.floor(k)), root);
  }

  // Square-and-multiply, so x^2, x^4, x^8 of one base are a chain of shared squarings.
  private integerPower(b: Op, k: number): Op {
    if (k === 1) return b;
    if (k % 2 === 0) {
      const half = this.integerPower(b, k / 2);
      return this.graph.binary("*", half, half);
    }
    return this.graph.binary("*", this.integerPower(b, k - 1), b);
  }
}

/** A product as its numeric coefficient and remaining factors; a non-product is 1 * [it]. */
function splitProduct(expr: Expr): readonly [number, readonly Expr[]] {
  if (expr.kind === "constant") return [expr.value, []];
  if (expr.kind === "mul" && expr.factors[0]!.kind === "constant") return [expr.factors[0]!.value, expr.factors.slice(1)];
  if (expr.kind === "mul") return [1, expr.factors];
  return [1, [expr]];
}

const ATOM = 4;
const UNARY = 3;
const precedenceOf = (operator: BinaryOperator): number => (operator === "+" || operator === "-" ? 1 : 2);

/**
 * JS statements computing all `outputs` with shared subexpressions computed once; coordinate i is
 * read as `inputNames[i]` (which must be atomic JS expressions, e.g. `x0` or `w[3]`) and temps are
 * named `${tempPrefix}0`, `${tempPrefix}1`, ... The code references no global other than Math.
 */
export function emitStraightLine(
  outputs: readonly Expr[],
  inputNames: readonly string[],
  tempPrefix: string,
): StraightLineCode {
  if (!/^[A-Za-z_$][\w$]*$/.test(tempPrefix)) throw new Error(`temp prefix '${tempPrefix}' is not a JS identifier`);
  const tempPattern = new RegExp(`^${tempPrefix.replace(/\$/g, "\\$")}\\d+$`);
  const clash = inputNames.find((name) => tempPattern.test(name));
  if (clash !== undefined) throw new Error(`input name '${clash}' collides with temps named ${tempPrefix}N`);

  const graph = new OpGraph();
  const lowering = new Lowering(graph, inputNames.length, outputs);
  const roots = outputs.map((output) => lowering.lower(output));

  // Parents are created after their children, so one backward sweep counts every reference made
  // by a reachable operation, and one forward sweep sees children before parents.
  const uses = new Array<number>(graph.ops.length).fill(0);
  for (const root of roots) uses[root.id]!++;
  for (let id = graph.ops.length - 1; id >= 0; id--) {
    if (uses[id] === 0) continue;
    for (const child of children(graph.ops[id]!)) uses[child.id]!++;
  }

  const isTemp = new Array<boolean>(graph.ops.length).fill(false);
  const inlineDepth = new Array<number>(graph.ops.length).fill(0);
  const rootIds = new Set(roots.map((root) => root.id));
  for (const op of graph.ops) {
    if (uses[op.id] === 0 || isLeaf(op)) continue;
    const depth = 1 + Math.max(...children(op).map((child) => (isTemp[child.id] ? 0 : inlineDepth[child.id]!)));
    const shared = uses[op.id]! > 1;
    const bulkyResult = rootIds.has(op.id) && depth > 1;
    if (shared || bulkyResult || depth > MAX_INLINE_DEPTH) isTemp[op.id] = true;
    else inlineDepth[op.id] = depth;
  }

  const tempNames = new Map<number, string>();
  const render = (op: Op, minPrecedence: number): string => {
    const [text, precedence] = renderWithPrecedence(op);
    return precedence < minPrecedence ? `(${text})` : text;
  };
  const reference = (op: Op, minPrecedence: number): string => tempNames.get(op.id) ?? render(op, minPrecedence);
  const renderWithPrecedence = (op: Op): [string, number] =>
    match(op)
      .with({ kind: "literal" }, (l): [string, number] => [formatLiteral(l.value), ATOM])
      .with({ kind: "input" }, (i): [string, number] => [inputNames[i.index]!, ATOM])
      .with({ kind: "binary" }, (b): [string, number] => {
        const precedence = precedenceOf(b.operator);
        // Left-associative: only the right operand of an equal-precedence operator needs parentheses.
        const left = reference(b.left, precedence);
        const right = reference(b.right, precedence + 1);
        return [`${left} ${b.operator} ${right}`, precedence];
      })
      .with({ kind: "negate" }, (n): [string, number] => {
        const operand = reference(n.operand, UNARY);
        // `--x` would be a decrement.
        return [operand.startsWith("-") ? `-(${operand})` : `-${operand}`, UNARY];
      })
      .with({ kind: "math" }, (m): [string, number] => [`Math.${m.fn}(${m.args.map((a) => reference(a, 0)).join(", ")})`, ATOM])
      .exhaustive();

  const statements: string[] = [];
  for (const op of graph.ops) {
    if (!isTemp[op.id]) continue;
    const name = `${tempPrefix}${tempNames.size}`;
    statements.push(`const ${name} = ${render(op, 0)};`);
    tempNames.set(op.id, name);
  }
  const results = roots.map((root) => reference(root, 0));
  return { statements, results };
}
