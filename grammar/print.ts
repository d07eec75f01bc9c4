// Canonical formatting of an AST (`optc fmt`). Comments are not in the AST, so they are not
// preserved. Layout: 2-space indentation, one statement or clause per line, a blank line between
// declarations (consecutive imports stay together), parentheses only where precedence or
// associativity needs them, numbers as String(value). Parsing the output gives back the same
// tree (spans aside), and printing is idempotent.

import { match } from "ts-pattern";
import type {
  Acceptance,
  Argument,
  Condition,
  Declaration,
  ExperimentClause,
  Expr,
  Interval,
  Invocation,
  Parameter,
  Point,
  Program,
  Statement,
  VariableDecl,
} from "./ast.js";

const INDENT = "  ";

/** The canonical text of a program, ending with a newline unless the program is empty. */
export function print(program: Program): string {
  let text = "";
  let previous: Declaration | undefined;
  for (const declaration of program.declarations) {
    if (previous) text += previous.kind === "Import" && declaration.kind === "Import" ? "\n" : "\n\n";
    text += printDeclaration(declaration);
    previous = declaration;
  }
  return previous ? `${text}\n` : "";
}

function printDeclaration(declaration: Declaration): string {
  return match(declaration)
    .with({ kind: "Import" }, (d) => `import ${quote(d.path)}`)
    .with({ kind: "Landscape" }, (d) => {
      const lines = [`vars ${d.variables.map(printVariable).join(", ")}`];
      if (d.objective) lines.push(`f = ${printExpr(d.objective)}`);
      if (d.minima.length > 0) {
        const minima = d.minima.map((m) => `${m.name.name} ${m.label} at ${printPoint(m.at)}`);
        lines.push(braced("minima", minima));
      }
      return braced(`landscape ${d.name.name}${printParams(d.params)}`, lines);
    })
    .with({ kind: "Optimizer" }, (d) => printBlock(`optimizer ${d.name.name}${printParams(d.params)}`, d.body))
    .with({ kind: "OptimizerAlias" }, (d) => `optimizer ${d.name.name} = ${printInvocation(d.target)}`)
    .with({ kind: "Procedure" }, (d) => printBlock(`procedure ${d.name.name}${printParams(d.params)}`, d.body))
    .with({ kind: "Experiment" }, (d) => braced(`experiment ${d.name.name}`, d.clauses.map(printClause)))
    .exhaustive();
}

function quote(path: string): string {
  return `"${path.replace(/[\\"]/g, "\\$&")}"`;
}

/** `head {` + indented lines + `}`; `head {}` when there are none. Lines may span several rows. */
function braced(head: string, lines: readonly string[]): string {
  if (lines.length === 0) return `${head} {}`;
  const body = lines.map((line) => indent(line)).join("\n");
  return `${head} {\n${body}\n}`;
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((row) => INDENT + row)
    .join("\n");
}

function printParams(params: readonly Parameter[]): string {
  if (params.length === 0) return "";
  const printed = params.map((p) => (p.default ? `${p.name.name} = ${printExpr(p.default)}` : p.name.name));
  return `(${printed.join(", ")})`;
}

function printVariable(variable: VariableDecl): string {
  const size = variable.size ? `[${printExpr(variable.size)}]` : "";
  return `${variable.name.name}${size} in ${printInterval(variable.domain)}`;
}

function printInterval(interval: Interval): string {
  return `[${printExpr(interval.lo)}, ${printExpr(interval.hi)}]`;
}

function printPoint(point: Point): string {
  return match(point)
    .with({ kind: "PointList" }, (p) => `(${p.coordinates.map((c) => printExpr(c)).join(", ")})`)
    .with({ kind: "PointFill" }, (p) => `all(${printExpr(p.value)})`)
    .exhaustive();
}

function printArgs(args: readonly Argument[]): string {
  const printed = args.map((a) => (a.name ? `${a.name.name} = ${printExpr(a.value)}` : printExpr(a.value)));
  return `(${printed.join(", ")})`;
}

function printInvocation(invocation: Invocation): string {
  const args = invocation.args ? printArgs(invocation.args) : "";
  const alias = invocation.alias ? ` as ${invocation.alias.name}` : "";
  return `${invocation.callee.name}${args}${alias}`;
}

// ---------------------------------------------------------------------------------------------
// Statements

function printBlock(head: string, body: readonly Statement[]): string {
  return braced(head, body.map(printStatement));
}

function printGuard(guard: Condition | undefined): string {
  return guard ? ` when ${printCondition(guard)}` : "";
}

function printStatement(statement: Statement): string {
  return match(statement)
    .with({ kind: "Perturb" }, (s) => {
      const distribution = `${s.distribution.family.name}${printArgs(s.distribution.args)}`;
      return `perturb ${s.target} ${distribution}${printGuard(s.guard)}`;
    })
    .with({ kind: "Ascend" }, (s) => `ascend ${printExpr(s.radius)}${s.normalized ? " normalized" : ""}${printGuard(s.guard)}`)
    .with({ kind: "Descend" }, (s) => {
      const method = s.method ? ` with ${printInvocation(s.method)}` : "";
      return `descend ${printExpr(s.rate)}${method}${printGuard(s.guard)}`;
    })
    .with({ kind: "Repeat" }, (s) => {
      const until = s.until ? ` until ${printCondition(s.until)}` : "";
      return `${printBlock(`repeat ${printExpr(s.times)}`, s.body)}${until}`;
    })
    .with({ kind: "Hop" }, (s) => braced("hop", [...s.body.map(printStatement), `accept ${printAcceptance(s.accept)}`]))
    // `start X` and `start { X }` are the same tree; a lone statement is written without braces.
    .with({ kind: "Start" }, (s) =>
      s.body.length === 1 ? `start ${printStatement(s.body[0]!)}` : printBlock("start", s.body),
    )
    .with({ kind: "CallStatement" }, (s) => `${s.callee.name}${printArgs(s.args)}${printGuard(s.guard)}`)
    .exhaustive();
}

function printAcceptance(acceptance: Acceptance): string {
  return match(acceptance.rule)
    .with("always", () => "always")
    .with("lower", () => "if lower")
    .with("metropolis", () => `metropolis(${acceptance.temperature ? printExpr(acceptance.temperature) : ""})`)
    .exhaustive();
}

function printClause(clause: ExperimentClause): string {
  return match(clause)
    .with({ kind: "On" }, (c) => `on ${c.targets.map(printInvocation).join(", ")}`)
    .with({ kind: "Run" }, (c) => `run ${c.optimizers.map(printInvocation).join(", ")}`)
    .with({ kind: "Restarts" }, (c) => `restarts ${printExpr(c.count)}`)
    .with({ kind: "Budget" }, (c) => `budget ${printExpr(c.amount)} ${c.unit}`)
    .with({ kind: "Init" }, (c) => {
      if (c.mode === "point") return c.point ? `init at ${printPoint(c.point)}` : "init uniform";
      return c.box && c.box.length > 0 ? `init uniform in ${c.box.map(printInterval).join(", ")}` : "init uniform";
    })
    .with({ kind: "Seed" }, (c) => `seed ${printExpr(c.value)}`)
    .with({ kind: "Assign" }, (c) => `assign nearest minimum within ${printExpr(c.radius)}`)
    .exhaustive();
}

// ---------------------------------------------------------------------------------------------
// Conditions: `or` binds loosest, then `and`, then `not` / comparisons.

const ConditionLevel = { Or: 1, And: 2, Atom: 3 } as const;

function conditionLevel(condition: Condition): number {
  if (condition.kind === "Logical") return condition.operator === "or" ? ConditionLevel.Or : ConditionLevel.And;
  return ConditionLevel.Atom;
}

/** Prints `condition`, parenthesised if it binds looser than `context` allows. */
function printCondition(condition: Condition, context: number = ConditionLevel.Or): string {
  const text = match(condition)
    .with({ kind: "Comparison" }, (c) => `${printExpr(c.left)} ${c.operator} ${printExpr(c.right)}`)
    .with({ kind: "Logical" }, (c) => {
      const level = conditionLevel(c);
      // Left-associative: the right operand needs one level tighter to keep the tree's shape.
      return `${printCondition(c.left, level)} ${c.operator} ${printCondition(c.right, level + 1)}`;
    })
    // `not a < b` is legal, but `not (a < b)` cannot be misread as `(not a) < b`.
    .with({ kind: "Not" }, (c) =>
      c.operand.kind === "Not" ? `not ${printCondition(c.operand)}` : `not (${printCondition(c.operand)})`,
    )
    .exhaustive();
  return conditionLevel(condition) < context ? `(${text})` : text;
}

// ---------------------------------------------------------------------------------------------
// Expressions, by SYNTAX.md's levels: additive < multiplicative < unary < power < primary.

const ExprLevel = { Additive: 1, Multiplicative: 2, Unary: 3, Power: 4, Primary: 5 } as const;

function exprLevel(expr: Expr): number {
  return match(expr)
    .with({ kind: "Binary", operator: "+" }, { kind: "Binary", operator: "-" }, () => ExprLevel.Additive)
    .with({ kind: "Binary", operator: "*" }, { kind: "Binary", operator: "/" }, () => ExprLevel.Multiplicative)
    .with({ kind: "Binary", operator: "^" }, () => ExprLevel.Power)
    .with({ kind: "Unary" }, () => ExprLevel.Unary)
    .otherwise(() => ExprLevel.Primary);
}

/** Prints `expr`, parenthesised if it binds looser than `context` allows. */
function printExpr(expr: Expr, context: number = ExprLevel.Additive): string {
  const text = match(expr)
    .with({ kind: "Number" }, (e) => printNumber(e.value))
    .with({ kind: "Name" }, (e) => e.name)
    .with({ kind: "Index" }, (e) => `${e.target.name}[${printExpr(e.index)}]`)
    .with({ kind: "Call" }, (e) => `${e.callee.name}(${e.args.map((a) => printExpr(a)).join(", ")})`)
    .with({ kind: "Sum" }, (e) => {
      const range = `${printExpr(e.from)}..${printExpr(e.to)}`;
      return `sum(${e.index.name} in ${range}, ${printExpr(e.body)})`;
    })
    // `- -x` would read as a decrement; `-(-x)` is the same tree.
    .with({ kind: "Unary" }, (e) =>
      e.operand.kind === "Unary" ? `-(${printExpr(e.operand)})` : `-${printExpr(e.operand, ExprLevel.Unary)}`,
    )
    .with({ kind: "Binary", operator: "^" }, (e) => {
      // The base of '^' is a primary; the exponent is a unary (right-associative, `2^-1`).
      return `${printExpr(e.left, ExprLevel.Primary)}^${printExpr(e.right, ExprLevel.Unary)}`;
    })
    .with({ kind: "Binary" }, (e) => {
      const level = exprLevel(e);
      return `${printExpr(e.left, level)} ${e.operator} ${printExpr(e.right, level + 1)}`;
    })
    .exhaustive();
  return exprLevel(expr) < context ? `(${text})` : text;
}

function printNumber(value: number): string {
  // Literals are never negative; only an overflowing one like 1e999 has no String() that lexes.
  return Number.isFinite(value) ? String(value) : "1e999";
}
