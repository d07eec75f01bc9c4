// Canonical formatting of an AST (`optc fmt`). Layout: 2-space indentation, one statement,
// clause, minimum or claim per line, a blank line between declarations (consecutive imports stay
// together), parentheses only where precedence or associativity needs them, numbers as
// String(value). Parsing the output gives back the same tree (spans aside), and printing is
// idempotent.
//
// Comments are not in the AST. `print(program)` drops them; `format` (index.ts) places them with
// a CommentPlan (comments.ts) that hangs each comment on one printed line item (see the keys
// below) or on the inside of one braced block.

import { match } from "ts-pattern";
import type {
  Acceptance,
  Argument,
  Claim,
  Condition,
  Declaration,
  ExperimentClause,
  Expr,
  HypothesisDecl,
  Interval,
  Invocation,
  LandscapeDecl,
  Parameter,
  Point,
  Program,
  Significance,
  Statement,
  StatArgument,
  StatCall,
  SummaryOperand,
  TaskValue,
  VariableDecl,
} from "./ast.js";

const INDENT = "  ";

/** The canonical text of a program, ending with a newline unless the program is empty. */
export function print(program: Program): string {
  return printProgram(program, undefined);
}

// ---------------------------------------------------------------------------------------------
// Comment plans

/** A comment printed on its own line(s); `blankBefore` asks for one blank line above it. */
export interface OwnLineComment {
  readonly text: string;
  readonly blankBefore: boolean;
}

/** The comments of one printed line item: above it, and at the end of its last line. */
export interface ItemComments {
  readonly leading: readonly OwnLineComment[];
  /** Printed after the item on its last line, separated by spaces; only the last may be `//`. */
  readonly trailing: readonly string[];
  /** A blank line between the last leading comment and the item. */
  readonly blankBeforeItem: boolean;
}

/** The comments inside one braced block that belong to none of its items. */
export interface RegionComments {
  /** Printed after the block's `{`, on its line; only the last may be `//`. */
  readonly header: readonly string[];
  /** Printed on their own lines after the last item, before the `}`. */
  readonly dangling: readonly OwnLineComment[];
}

/**
 * Where each comment goes. Items and blocks are named by the AST object they print: a
 * declaration, statement, clause, minimum or claim node; for the lines of a landscape its
 * `variables` array (the `vars` line), its `objective` expression (the `f =` line) and its `minima`
 * array (the `minima { }` item and block); the `Acceptance` of a hop (its `accept` line); the
 * `AdjustClause` of a hypothesis. A block is named by the node that owns it (the `minima` array
 * for the minima block). `start X` prints X's block (if any) as its own, named by X; the
 * `Program` names the file's top level.
 */
export interface CommentPlan {
  item(key: object): ItemComments | undefined;
  region(owner: object): RegionComments | undefined;
}

// ---------------------------------------------------------------------------------------------
// Rows: the printed lines, indented at the end so that comment text is never re-indented.

interface Row {
  readonly depth: number;
  /** The line without indentation; "" is a blank line. Contains "\n" only inside a comment. */
  readonly text: string;
}

interface Entry {
  readonly key: object;
  readonly rows: readonly Row[];
}

const BLANK: Row = { depth: 0, text: "" };

function row(text: string): Row {
  return { depth: 0, text };
}

function render(rows: readonly Row[]): string {
  return rows.map((r) => (r.text === "" ? "" : INDENT.repeat(r.depth) + r.text)).join("\n");
}

function deeper(rows: readonly Row[]): Row[] {
  return rows.map((r) => (r.text === "" ? r : { depth: r.depth + 1, text: r.text }));
}

/** `rows` with `suffix` added to the last one. */
function appendToLast(rows: readonly Row[], suffix: string): Row[] {
  if (suffix === "" || rows.length === 0) return [...rows];
  const last = rows[rows.length - 1]!;
  return [...rows.slice(0, -1), { depth: last.depth, text: last.text + suffix }];
}

/** `rows` with `prefix` put in front of the first one. */
function prependToFirst(prefix: string, rows: readonly Row[]): Row[] {
  const [first, ...rest] = rows;
  return first ? [{ depth: first.depth, text: prefix + first.text }, ...rest] : [row(prefix.trimEnd())];
}

/** Printing state: the comment plan, when there is one. */
class Printer {
  constructor(private readonly plan: CommentPlan | undefined) {}

  program(program: Program): string {
    const entries = program.declarations.map((d) => ({ key: d, rows: this.declaration(d) }));
    const rows = this.sequence(program, entries, (previous, next) => {
      const a = program.declarations[previous]!;
      const b = program.declarations[next]!;
      return !(a.kind === "Import" && b.kind === "Import");
    });
    return rows.length > 0 ? `${render(rows)}\n` : "";
  }

  /**
   * The items of a block (or the file) in order, each under its leading comments and followed by
   * its trailing ones, then the block's dangling comments. `blankBetween` adds the canonical blank
   * lines; comments keep one blank line above them (and between them and their item) where the
   * source had one, except at the start of a block.
   */
  private sequence(
    owner: object,
    entries: readonly Entry[],
    blankBetween?: (previous: number, next: number) => boolean,
  ): Row[] {
    const out: Row[] = [];
    const blank = () => {
      if (out.length > 0 && out[out.length - 1]!.text !== "") out.push(BLANK);
    };
    entries.forEach((entry, index) => {
      const comments = this.plan?.item(entry.key);
      if (index > 0 && blankBetween?.(index - 1, index)) blank();
      for (const comment of comments?.leading ?? []) {
        if (comment.blankBefore) blank();
        out.push(row(comment.text));
      }
      if (comments?.blankBeforeItem) blank();
      const trailing = comments?.trailing ?? [];
      out.push(...appendToLast(entry.rows, trailing.length > 0 ? ` ${trailing.join(" ")}` : ""));
    });
    for (const comment of this.plan?.region(owner)?.dangling ?? []) {
      if (comment.blankBefore) blank();
      out.push(row(comment.text));
    }
    return out;
  }

  /** `head {` + indented items + `}`; `head {}` when there is nothing inside. */
  private braced(owner: object, head: string, entries: readonly Entry[]): Row[] {
    const header = this.plan?.region(owner)?.header ?? [];
    const inside = this.sequence(owner, entries);
    if (inside.length === 0 && header.length === 0) return [row(`${head} {}`)];
    const open = header.length > 0 ? `${head} { ${header.join(" ")}` : `${head} {`;
    return [row(open), ...deeper(inside), row("}")];
  }

  private declaration(declaration: Declaration): Row[] {
    return match(declaration)
      .with({ kind: "Import" }, (d) => [row(`import ${quote(d.path)}`)])
      .with({ kind: "Landscape" }, (d) => this.landscape(d))
      .with({ kind: "Optimizer" }, (d) => this.block(d, `optimizer ${d.name.name}${printParams(d.params)}`, d.body))
      .with({ kind: "OptimizerAlias" }, (d) => [row(`optimizer ${d.name.name} = ${printInvocation(d.target)}`)])
      .with({ kind: "Procedure" }, (d) => this.block(d, `procedure ${d.name.name}${printParams(d.params)}`, d.body))
      .with({ kind: "Experiment" }, (d) =>
        this.braced(
          d,
          `experiment ${d.name.name}`,
          d.clauses.map((c) => ({ key: c, rows: clauseRows(c) })),
        ),
      )
      .with({ kind: "Hypothesis" }, (d) => this.hypothesis(d))
      .with({ kind: "Task" }, (d) =>
        this.braced(
          d,
          `task ${d.name.name}`,
          d.settings.map((setting) => ({ key: setting, rows: [row(`${setting.name.name} ${printTaskValue(setting.value)}`)] })),
        ),
      )
      .exhaustive();
  }

  private landscape(d: LandscapeDecl): Row[] {
    const entries: Entry[] = [{ key: d.variables, rows: [row(`vars ${d.variables.map(printVariable).join(", ")}`)] }];
    if (d.objective) entries.push({ key: d.objective, rows: [row(`f = ${printExpr(d.objective)}`)] });
    if (d.minima.length > 0) {
      const minima = d.minima.map((m) => ({ key: m, rows: [row(`${m.name.name} ${m.label} at ${printPoint(m.at)}`)] }));
      entries.push({ key: d.minima, rows: this.braced(d.minima, "minima", minima) });
    }
    return this.braced(d, `landscape ${d.name.name}${printParams(d.params)}`, entries);
  }

  // -------------------------------------------------------------------------------------------
  // Statements

  private block(owner: object, head: string, body: readonly Statement[]): Row[] {
    return this.braced(owner, head, this.statementEntries(body));
  }

  private statementEntries(body: readonly Statement[]): Entry[] {
    return body.map((s) => ({ key: s, rows: this.statement(s) }));
  }

  private statement(statement: Statement): Row[] {
    return match(statement)
      .with({ kind: "Perturb" }, (s) => {
        const distribution = `${s.distribution.family.name}${printArgs(s.distribution.args)}`;
        return [row(`perturb ${s.target} ${distribution}${printGuard(s.guard)}`)];
      })
      .with({ kind: "Ascend" }, (s) => [
        row(`ascend ${printExpr(s.radius)}${s.normalized ? " normalized" : ""}${printGuard(s.guard)}`),
      ])
      .with({ kind: "Descend" }, (s) => {
        const method = s.method ? ` with ${printInvocation(s.method)}` : "";
        return [row(`descend ${printExpr(s.rate)}${method}${printGuard(s.guard)}`)];
      })
      .with({ kind: "Repeat" }, (s) => {
        const until = s.until ? ` until ${printCondition(s.until)}` : "";
        return appendToLast(this.block(s, `repeat ${printExpr(s.times)}`, s.body), until);
      })
      .with({ kind: "Hop" }, (s) =>
        this.braced(s, "hop", [
          ...this.statementEntries(s.body),
          { key: s.accept, rows: [row(`accept ${printAcceptance(s.accept)}`)] },
        ]),
      )
      // `start X` and `start { X }` are the same tree; a lone statement is written without braces.
      .with({ kind: "Start" }, (s) =>
        s.body.length === 1 ? prependToFirst("start ", this.statement(s.body[0]!)) : this.block(s, "start", s.body),
      )
      .with({ kind: "CallStatement" }, (s) => [row(`${s.callee.name}${printArgs(s.args)}${printGuard(s.guard)}`)])
      .exhaustive();
  }

  // -------------------------------------------------------------------------------------------
  // Hypotheses

  private hypothesis(d: HypothesisDecl): Row[] {
    const entries: Entry[] = d.adjust ? [{ key: d.adjust, rows: [row(`adjust ${d.adjust.method.name}`)] }] : [];
    entries.push(...this.claimEntries(d.claims));
    return this.braced(d, `hypothesis ${quote(d.name)}`, entries);
  }

  private claimEntries(claims: readonly Claim[]): Entry[] {
    return claims.map((c) => ({ key: c, rows: this.claim(c) }));
  }

  // `for each X in E: CLAIM` and `for each X in E { CLAIM }` are the same tree: always a block.
  private claim(claim: Claim): Row[] {
    return match(claim)
      .with({ kind: "TestClaim" }, (c) => [row(`${c.mode} ${printStatCall(c.test)}${printSignificance(c.outcome)}`)])
      .with({ kind: "ComparisonClaim" }, (c) => {
        const confidence = c.confidence ? ` with confidence ${printNumber(c.confidence.value)}` : "";
        return [row(`${c.mode} ${printSummary(c.left)} ${c.operator} ${printSummary(c.right)}${confidence}`)];
      })
      .with({ kind: "ValueObservation" }, (c) => [row(`observe ${printStatCall(c.value)}`)])
      .with({ kind: "ForEach" }, (c) =>
        this.braced(c, `for each ${c.variable} in ${c.experiment.name}`, this.claimEntries(c.body)),
      )
      .exhaustive();
  }
}

/** The program's text, with the comments of `plan` when there is one. */
export function printProgram(program: Program, plan: CommentPlan | undefined): string {
  return new Printer(plan).program(program);
}

function quote(text: string): string {
  return `"${text.replace(/[\\"]/g, "\\$&")}"`;
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

function printGuard(guard: Condition | undefined): string {
  return guard ? ` when ${printCondition(guard)}` : "";
}

function printAcceptance(acceptance: Acceptance): string {
  return match(acceptance.rule)
    .with("always", () => "always")
    .with("lower", () => "if lower")
    .with("metropolis", () => `metropolis(${acceptance.temperature ? printExpr(acceptance.temperature) : ""})`)
    .exhaustive();
}

/** Lines longer than this are broken where the printer knows how (a long `on` or `run` list). */
const LINE_WIDTH = 100;

/** A clause as rows: one, or for a long `on`/`run` list one item per row, aligned under the first. */
function clauseRows(clause: ExperimentClause): Row[] {
  const text = printClause(clause);
  if (text.length <= LINE_WIDTH || (clause.kind !== "On" && clause.kind !== "Run")) return [row(text)];
  const items = (clause.kind === "On" ? clause.targets : clause.optimizers).map(printInvocation);
  const [first, ...rest] = items.map((item, i) => (i < items.length - 1 ? `${item},` : item));
  // Two levels deeper than the clause: under the first item of `on ` / `run `.
  return [row(`${clause.kind === "On" ? "on" : "run"} ${first}`), ...deeper(deeper(rest.map(row)))];
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
    .with({ kind: "Record" }, (c) => `record every ${printExpr(c.every)} gradients`)
    .with({ kind: "Trajectories" }, (c) => `trajectories ${printExpr(c.count)}`)
    .with({ kind: "Snapshot" }, (c) => `snapshot every ${printExpr(c.every)} ${c.unit.name}`)
    .with({ kind: "PopulationRule" }, (c) => {
      const count = c.count ? ` ${printExpr(c.count)}` : "";
      const modifiers = c.modifiers.map((m) => ` ${m.word.name} ${m.value.name}`).join("");
      return `population ${c.name.name} = ${c.selector.name}${count}${modifiers}`;
    })
    .exhaustive();
}

function printTaskValue(value: TaskValue): string {
  switch (value.kind) {
    case "String":
      return quote(value.value);
    case "List":
      return `[${value.items.map((item) => printExpr(item)).join(", ")}]`;
    case "TaskCall": {
      if (!value.args) return value.callee.name;
      const args = value.args.map((a) => `${a.name ? `${a.name.name} = ` : ""}${printTaskValue(a.value)}`);
      return `${value.callee.name}(${args.join(", ")})`;
    }
    default:
      return printExpr(value);
  }
}

// ---------------------------------------------------------------------------------------------
// Statistical calls

function printSignificance(outcome: Significance | undefined): string {
  if (!outcome) return "";
  return ` ${outcome.significant ? "" : "not "}significant at ${printNumber(outcome.alpha.value)}`;
}

function printSummary(summary: SummaryOperand): string {
  return summary.kind === "Number" ? printNumber(summary.value) : printStatCall(summary);
}

function printStatCall(call: StatCall): string {
  return `${call.callee.name}(${call.args.map(printStatArgument).join(", ")})`;
}

function printStatArgument(argument: StatArgument): string {
  return match(argument)
    .with({ kind: "Population" }, (a) => {
      const population = a.population ? `.${a.population.name}` : "";
      const attribute = a.attribute ? `.${a.attribute.name}` : "";
      return `${a.experiment.name}.${a.optimizer.name} on ${a.landscape.name}${population}${attribute}`;
    })
    .with({ kind: "SetRef" }, (a) => `${a.population.name}.${a.attribute.name}`)
    .with({ kind: "StatOption" }, (a) => {
      const value = a.value.kind === "Number" ? printNumber(a.value.value) : a.value.name;
      return `${a.name.name} = ${value}`;
    })
    .with({ kind: "StatName" }, (a) => a.name.name)
    .with({ kind: "StatCall" }, (a) => printStatCall(a))
    .with({ kind: "Number" }, (a) => printNumber(a.value))
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
