// CST -> AST: a Chevrotain CST visitor with one method per grammar rule.
// The CST may come from a recovered parse, so any child can be missing and any token can be a
// virtual one inserted by recovery. Every method returns undefined when a part it needs is
// missing; list-shaped parents keep the items that did build, so one broken statement, clause or
// declaration costs only itself.

import {
  EOF,
  type CstChildrenDictionary,
  type CstElement,
  type CstNode,
  type CstNodeLocation,
  type IToken,
} from "chevrotain";
import type {
  Acceptance,
  AdjustClause,
  Argument,
  BinaryOperator,
  Claim,
  ComparisonOperator,
  Condition,
  Declaration,
  Distribution,
  ExperimentClause,
  ExperimentDecl,
  Expr,
  HypothesisDecl,
  Identifier,
  ImportDecl,
  Interval,
  Invocation,
  LandscapeDecl,
  MinimumDecl,
  NumberLiteral,
  OptimizerAlias,
  OptimizerDecl,
  Parameter,
  Point,
  PopulationClause,
  PopulationModifier,
  PopulationRef,
  Position,
  SetRef,
  TaskArgument,
  TaskDecl,
  TaskSetting,
  TaskValue,
  ProcedureDecl,
  Significance,
  Span,
  Statement,
  StatArgument,
  StatCall,
  StatOption,
  SummaryOperand,
} from "./ast.js";
import { parser } from "./parser.js";
import { NumberLiteral as NumberLiteralToken, StringLiteral } from "./tokens.js";

/** Maps offsets of one source text to 1-based line/column positions and spans. */
export class SourceText {
  private readonly lineStarts: number[] = [0];

  constructor(
    readonly text: string,
    readonly file: string,
  ) {
    // Same line terminators as Chevrotain's lexer: \r\n, \n and a lone \r.
    for (let offset = 0; offset < text.length; offset++) {
      const char = text[offset];
      if (char === "\n" || (char === "\r" && text[offset + 1] !== "\n")) this.lineStarts.push(offset + 1);
    }
  }

  position(offset: number): Position {
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.lineStarts[middle]! <= offset) low = middle;
      else high = middle - 1;
    }
    return { offset, line: low + 1, column: offset - this.lineStarts[low]! + 1 };
  }

  /** The span [start, end) of this file. */
  span(start: number, end: number): Span {
    return { file: this.file, start: this.position(start), end: this.position(end) };
  }

  tokenSpan(token: IToken): Span {
    return this.span(token.startOffset, token.startOffset + token.image.length);
  }

  endOfFile(): Span {
    return this.span(this.text.length, this.text.length);
  }
}

/** The characters a string token stands for: quotes removed, `\"` and `\\` unescaped. */
export function stringValue(token: IToken): string {
  const terminated = token.tokenType === StringLiteral;
  const body = token.image.slice(1, terminated ? -1 : undefined);
  return body.replace(/\\(.)/g, "$1");
}

type Ctx = CstChildrenDictionary;

function isToken(element: CstElement): element is IToken {
  return (element as IToken).tokenType !== undefined;
}

/** The first token labelled `label`, unless recovery invented it. */
function realToken(ctx: Ctx, label: string): IToken | undefined {
  const element = ctx[label]?.[0];
  if (element === undefined || !isToken(element)) return undefined;
  if (element.isInsertedInRecovery || Number.isNaN(element.startOffset) || element.tokenType === EOF) return undefined;
  return element;
}

function hasToken(ctx: Ctx, label: string): boolean {
  return realToken(ctx, label) !== undefined;
}

function childNodes(ctx: Ctx, label: string): CstNode[] {
  return (ctx[label] ?? []).filter((element): element is CstNode => !isToken(element));
}

function childNode(ctx: Ctx, label: string): CstNode | undefined {
  return childNodes(ctx, label)[0];
}

/** Builds the AST of one declaration from its CST; reports the problems only it can see. */
export class AstBuilder extends parser.getBaseCstVisitorConstructor<CstNodeLocation | undefined, unknown>() {
  constructor(
    private readonly source: SourceText,
    private readonly reportSyntaxProblem: (message: string, span: Span) => void,
  ) {
    super();
    this.validateVisitor();
  }

  // ------------------------------------------------------------------------------------------
  // Helpers

  // Chevrotain passes each rule's children; this also hands over the node's location, which
  // "full" tracking computes from real tokens only (recovery-inserted ones have no position).
  override visit(node: CstNode | CstNode[]): unknown {
    const single = Array.isArray(node) ? node[0] : node;
    return single ? super.visit(single, single.location) : undefined;
  }

  private spanOf(location: CstNodeLocation | undefined): Span | undefined {
    const bounds = location && locationBounds(location);
    return bounds ? this.source.span(bounds[0], bounds[1]) : undefined;
  }

  /** For rules that are one alternation of subrules: the chosen subrule's result. */
  private visitOnlyChild(ctx: Ctx): unknown {
    for (const label in ctx) {
      const only = ctx[label]![0];
      return only && !isToken(only) ? this.visit(only) : undefined;
    }
    return undefined;
  }

  private identifier(token: IToken | undefined): Identifier | undefined {
    if (!token) return undefined;
    return { kind: "Identifier", name: token.image, span: this.source.tokenSpan(token) };
  }

  private numberLiteral(token: IToken | undefined): NumberLiteral | undefined {
    if (!token) return undefined;
    return { kind: "Number", value: Number(token.image), span: this.source.tokenSpan(token) };
  }

  private expr(node: CstNode | undefined): Expr | undefined {
    return node ? (this.visit(node) as Expr | undefined) : undefined;
  }

  private exprs(nodes: readonly CstNode[]): Expr[] {
    return nodes.map((node) => this.expr(node)).filter((expr) => expr !== undefined);
  }

  private cond(node: CstNode | undefined): Condition | undefined {
    return node ? (this.visit(node) as Condition | undefined) : undefined;
  }

  private statements(nodes: readonly CstNode[]): Statement[] {
    return nodes.map((node) => this.visit(node) as Statement | undefined).filter((s) => s !== undefined);
  }

  private params(ctx: Ctx): Parameter[] {
    const list = childNode(ctx, "params");
    return list ? (this.visit(list) as Parameter[]) : [];
  }

  private args(node: CstNode | undefined): Argument[] | undefined {
    return node ? (this.visit(node) as Argument[]) : undefined;
  }

  /** An optional `guard`; `null` when one was written but could not be built. */
  private optionalGuard(ctx: Ctx): Condition | undefined | null {
    const node = childNode(ctx, "guard");
    if (!node) return undefined;
    return this.cond(node) ?? null;
  }

  /**
   * Folds `operand (operator operand)*` into a left-leaning tree whose inner nodes span from the
   * first operand to their right operand.
   */
  private foldLeft<T extends { span: Span }, O extends string>(
    ctx: Ctx,
    visitOperand: (node: CstNode) => T | undefined,
    combine: (operator: O, left: T, right: T, span: Span) => T,
  ): T | undefined {
    const operands = childNodes(ctx, "operands");
    const operators = ctx["operators"] ?? [];
    const first = operands[0];
    if (!first || operands.length !== operators.length + 1) return undefined;
    let result = visitOperand(first);
    const start = nodeBounds(first)?.[0];
    for (let i = 1; i < operands.length && result; i++) {
      const operator = operators[i - 1]!;
      const right = visitOperand(operands[i]!);
      const end = nodeBounds(operands[i]!)?.[1];
      if (!right || start === undefined || end === undefined || !isToken(operator)) return undefined;
      result = combine(operator.image as O, result, right, this.source.span(start, end));
    }
    return result;
  }

  // ------------------------------------------------------------------------------------------
  // Declarations

  declaration(ctx: Ctx): Declaration | undefined {
    return this.visitOnlyChild(ctx) as Declaration | undefined;
  }

  importDeclaration(ctx: Ctx, location?: CstNodeLocation): ImportDecl | undefined {
    const path = realToken(ctx, "path");
    const span = this.spanOf(location);
    if (!path || !span) return undefined;
    return { kind: "Import", path: stringValue(path), span };
  }

  landscapeDeclaration(ctx: Ctx, location?: CstNodeLocation): LandscapeDecl | undefined {
    const name = this.identifier(realToken(ctx, "name"));
    const span = this.spanOf(location);
    if (!name || !span) return undefined;
    const objectiveName = realToken(ctx, "objectiveName");
    if (objectiveName && objectiveName.image !== "f") {
      this.reportSyntaxProblem("expected 'f = <formula>'", this.source.tokenSpan(objectiveName));
    }
    const objective = this.expr(childNode(ctx, "objective"));
    return {
      kind: "Landscape",
      name,
      params: this.params(ctx),
      variables: childNodes(ctx, "variables")
        .map((node) => this.visit(node) as LandscapeDecl["variables"][number] | undefined)
        .filter((variable) => variable !== undefined),
      ...(objective ? { objective } : {}),
      minima: childNodes(ctx, "minima")
        .map((node) => this.visit(node) as MinimumDecl | undefined)
        .filter((minimum) => minimum !== undefined),
      span,
    };
  }

  parameterList(ctx: Ctx): Parameter[] {
    return childNodes(ctx, "parameters")
      .map((node) => this.visit(node) as Parameter | undefined)
      .filter((parameter) => parameter !== undefined);
  }

  parameter(ctx: Ctx, location?: CstNodeLocation): Parameter | undefined {
    const name = this.identifier(realToken(ctx, "name"));
    const span = this.spanOf(location);
    if (!name || !span) return undefined;
    const defaultNode = childNode(ctx, "default");
    if (!defaultNode) return { kind: "Parameter", name, span };
    const defaultValue = this.expr(defaultNode);
    return defaultValue ? { kind: "Parameter", name, default: defaultValue, span } : undefined;
  }

  variable(ctx: Ctx, location?: CstNodeLocation): LandscapeDecl["variables"][number] | undefined {
    const name = this.identifier(realToken(ctx, "name"));
    const domain = childNode(ctx, "domain");
    const interval = domain ? (this.visit(domain) as Interval | undefined) : undefined;
    const span = this.spanOf(location);
    if (!name || !interval || !span) return undefined;
    if (!hasToken(ctx, "LBracket")) return { kind: "Variable", name, domain: interval, span };
    const size = this.expr(childNode(ctx, "size"));
    return size ? { kind: "Variable", name, size, domain: interval, span } : undefined;
  }

  interval(ctx: Ctx, location?: CstNodeLocation): Interval | undefined {
    const lo = this.expr(childNode(ctx, "lo"));
    const hi = this.expr(childNode(ctx, "hi"));
    const span = this.spanOf(location);
    return lo && hi && span ? { kind: "Interval", lo, hi, span } : undefined;
  }

  minimum(ctx: Ctx, location?: CstNodeLocation): MinimumDecl | undefined {
    const name = this.identifier(realToken(ctx, "name"));
    const label = realToken(ctx, "label")?.image;
    const pointNode = childNode(ctx, "point");
    const at = pointNode ? (this.visit(pointNode) as Point | undefined) : undefined;
    const span = this.spanOf(location);
    if (!name || (label !== "global" && label !== "local") || !at || !span) return undefined;
    return { kind: "Minimum", name, label, at, span };
  }

  point(ctx: Ctx, location?: CstNodeLocation): Point | undefined {
    const span = this.spanOf(location);
    if (!span) return undefined;
    if (hasToken(ctx, "Keyword_all")) {
      const value = this.expr(childNode(ctx, "fill"));
      return value ? { kind: "PointFill", value, span } : undefined;
    }
    const coordinates = this.exprs(childNodes(ctx, "coordinates"));
    return coordinates.length > 0 ? { kind: "PointList", coordinates, span } : undefined;
  }

  optimizerDeclaration(ctx: Ctx, location?: CstNodeLocation): OptimizerDecl | OptimizerAlias | undefined {
    const name = this.identifier(realToken(ctx, "name"));
    const span = this.spanOf(location);
    if (!name || !span) return undefined;
    if (hasToken(ctx, "Equals")) {
      const targetName = realToken(ctx, "targetName");
      const callee = this.identifier(targetName);
      if (!targetName || !callee) return undefined;
      const argsNode = childNode(ctx, "targetArgs");
      const args = this.args(argsNode);
      const end = (argsNode && nodeBounds(argsNode)?.[1]) ?? tokenBounds(targetName)![1];
      const target: Invocation = {
        kind: "Invocation",
        callee,
        ...(args ? { args } : {}),
        span: this.source.span(targetName.startOffset, end),
      };
      return { kind: "OptimizerAlias", name, target, span };
    }
    const block = childNode(ctx, "block");
    if (!block) return undefined;
    return { kind: "Optimizer", name, params: this.params(ctx), body: this.visit(block) as Statement[], span };
  }

  procedureDeclaration(ctx: Ctx, location?: CstNodeLocation): ProcedureDecl | undefined {
    const name = this.identifier(realToken(ctx, "name"));
    const block = childNode(ctx, "block");
    const span = this.spanOf(location);
    if (!name || !block || !span) return undefined;
    return { kind: "Procedure", name, params: this.params(ctx), body: this.visit(block) as Statement[], span };
  }

  taskDeclaration(ctx: Ctx, location?: CstNodeLocation): TaskDecl | undefined {
    const name = this.identifier(realToken(ctx, "name"));
    const span = this.spanOf(location);
    if (!name || !span) return undefined;
    const settings = childNodes(ctx, "settings")
      .map((node) => this.visit(node) as TaskSetting | undefined)
      .filter((setting) => setting !== undefined);
    return { kind: "Task", name, settings, span };
  }

  taskSetting(ctx: Ctx, location?: CstNodeLocation): TaskSetting | undefined {
    const name = this.identifier(realToken(ctx, "name"));
    const valueNode = childNode(ctx, "value");
    const value = valueNode ? (this.visit(valueNode) as TaskValue | undefined) : undefined;
    const span = this.spanOf(location);
    return name && value && span ? { kind: "TaskSetting", name, value, span } : undefined;
  }

  taskValue(ctx: Ctx, location?: CstNodeLocation): TaskValue | undefined {
    const span = this.spanOf(location);
    if (!span) return undefined;
    const string = realToken(ctx, "string");
    if (string) return { kind: "String", value: stringValue(string), span };
    const word = this.identifier(realToken(ctx, "word"));
    if (word) {
      if (!hasToken(ctx, "LParen")) return { kind: "TaskCall", callee: word, span };
      if (!hasToken(ctx, "RParen")) return undefined;
      const args = childNodes(ctx, "args")
        .map((node) => this.visit(node) as TaskArgument | undefined)
        .filter((argument) => argument !== undefined);
      return { kind: "TaskCall", callee: word, args, span };
    }
    const list = childNode(ctx, "list");
    if (list) return this.visit(list) as TaskValue | undefined;
    return this.expr(childNode(ctx, "number"));
  }

  taskList(ctx: Ctx, location?: CstNodeLocation): TaskValue | undefined {
    const span = this.spanOf(location);
    if (!span || !hasToken(ctx, "RBracket")) return undefined;
    return { kind: "List", items: this.exprs(childNodes(ctx, "items")), span };
  }

  taskArgument(ctx: Ctx, location?: CstNodeLocation): TaskArgument | undefined {
    const name = this.identifier(realToken(ctx, "name"));
    const valueNode = childNode(ctx, "value");
    const value = valueNode ? (this.visit(valueNode) as TaskValue | undefined) : undefined;
    const span = this.spanOf(location);
    if (!value || !span || (hasToken(ctx, "Equals") && !name)) return undefined;
    return { kind: "TaskArgument", ...(name ? { name } : {}), value, span };
  }

  experimentDeclaration(ctx: Ctx, location?: CstNodeLocation): ExperimentDecl | undefined {
    const name = this.identifier(realToken(ctx, "name"));
    const span = this.spanOf(location);
    if (!name || !span) return undefined;
    const clauses = childNodes(ctx, "clauses")
      .map((node) => this.visit(node) as ExperimentClause | undefined)
      .filter((clause) => clause !== undefined);
    return { kind: "Experiment", name, clauses, span };
  }

  // ------------------------------------------------------------------------------------------
  // Statements

  block(ctx: Ctx): Statement[] {
    return this.statements(childNodes(ctx, "statements"));
  }

  statement(ctx: Ctx): Statement | undefined {
    return this.visitOnlyChild(ctx) as Statement | undefined;
  }

  perturbStatement(ctx: Ctx, location?: CstNodeLocation): Statement | undefined {
    const target = realToken(ctx, "target")?.image;
    const distributionNode = childNode(ctx, "distribution");
    const distribution = distributionNode ? (this.visit(distributionNode) as Distribution | undefined) : undefined;
    const guard = this.optionalGuard(ctx);
    const span = this.spanOf(location);
    if ((target !== "gradient" && target !== "model") || !distribution || guard === null || !span) return undefined;
    return { kind: "Perturb", target, distribution, ...(guard ? { guard } : {}), span };
  }

  distribution(ctx: Ctx, location?: CstNodeLocation): Distribution | undefined {
    const family = this.identifier(realToken(ctx, "family"));
    const args = this.args(childNode(ctx, "args"));
    const span = this.spanOf(location);
    return family && args && span ? { kind: "Distribution", family, args, span } : undefined;
  }

  ascendStatement(ctx: Ctx, location?: CstNodeLocation): Statement | undefined {
    const radius = this.expr(childNode(ctx, "radius"));
    const guard = this.optionalGuard(ctx);
    const span = this.spanOf(location);
    if (!radius || guard === null || !span) return undefined;
    const normalized = hasToken(ctx, "Keyword_normalized");
    return { kind: "Ascend", radius, normalized, ...(guard ? { guard } : {}), span };
  }

  descendStatement(ctx: Ctx, location?: CstNodeLocation): Statement | undefined {
    const rate = this.expr(childNode(ctx, "rate"));
    const methodNode = childNode(ctx, "method");
    const method = methodNode ? (this.visit(methodNode) as Invocation | undefined) : undefined;
    const guard = this.optionalGuard(ctx);
    const span = this.spanOf(location);
    const brokenMethod = hasToken(ctx, "Keyword_with") && !method;
    if (!rate || brokenMethod || guard === null || !span) return undefined;
    return { kind: "Descend", rate, ...(method ? { method } : {}), ...(guard ? { guard } : {}), span };
  }

  repeatStatement(ctx: Ctx, location?: CstNodeLocation): Statement | undefined {
    const times = this.expr(childNode(ctx, "times"));
    const block = childNode(ctx, "block");
    const until = this.cond(childNode(ctx, "until"));
    const span = this.spanOf(location);
    const brokenUntil = hasToken(ctx, "Keyword_until") && !until;
    if (!times || !block || brokenUntil || !span) return undefined;
    return { kind: "Repeat", times, body: this.visit(block) as Statement[], ...(until ? { until } : {}), span };
  }

  hopStatement(ctx: Ctx, location?: CstNodeLocation): Statement | undefined {
    const acceptanceNode = childNode(ctx, "acceptance");
    const accept = acceptanceNode ? (this.visit(acceptanceNode) as Acceptance | undefined) : undefined;
    const span = this.spanOf(location);
    if (!accept || !span) return undefined;
    return { kind: "Hop", body: this.statements(childNodes(ctx, "statements")), accept, span };
  }

  acceptance(ctx: Ctx, location?: CstNodeLocation): Acceptance | undefined {
    const span = this.spanOf(location);
    if (!span) return undefined;
    if (hasToken(ctx, "Keyword_always")) return { kind: "Acceptance", rule: "always", span };
    if (hasToken(ctx, "Keyword_if")) return { kind: "Acceptance", rule: "lower", span };
    const temperature = this.expr(childNode(ctx, "temperature"));
    return temperature ? { kind: "Acceptance", rule: "metropolis", temperature, span } : undefined;
  }

  startStatement(ctx: Ctx, location?: CstNodeLocation): Statement | undefined {
    const span = this.spanOf(location);
    const block = childNode(ctx, "block");
    const single = childNode(ctx, "statement");
    if (!span) return undefined;
    if (block) return { kind: "Start", body: this.visit(block) as Statement[], span };
    const statement = single ? (this.visit(single) as Statement | undefined) : undefined;
    return statement ? { kind: "Start", body: [statement], span } : undefined;
  }

  callStatement(ctx: Ctx, location?: CstNodeLocation): Statement | undefined {
    const callee = this.identifier(realToken(ctx, "callee"));
    const args = this.args(childNode(ctx, "args"));
    const guard = this.optionalGuard(ctx);
    const span = this.spanOf(location);
    if (!callee || !args || guard === null || !span) return undefined;
    return { kind: "CallStatement", callee, args, ...(guard ? { guard } : {}), span };
  }

  guard(ctx: Ctx): Condition | undefined {
    return this.cond(childNode(ctx, "condition"));
  }

  argumentList(ctx: Ctx): Argument[] {
    return childNodes(ctx, "arguments")
      .map((node) => this.visit(node) as Argument | undefined)
      .filter((argument) => argument !== undefined);
  }

  argument(ctx: Ctx, location?: CstNodeLocation): Argument | undefined {
    const value = this.expr(childNode(ctx, "value"));
    const span = this.spanOf(location);
    if (!value || !span) return undefined;
    if (!hasToken(ctx, "Equals")) return { kind: "Argument", value, span };
    const name = this.identifier(realToken(ctx, "name"));
    return name ? { kind: "Argument", name, value, span } : undefined;
  }

  invocation(ctx: Ctx, location?: CstNodeLocation): Invocation | undefined {
    const callee = this.identifier(realToken(ctx, "callee"));
    const args = this.args(childNode(ctx, "args"));
    const alias = this.identifier(realToken(ctx, "alias"));
    const span = this.spanOf(location);
    if (!callee || !span || (hasToken(ctx, "Keyword_as") && !alias)) return undefined;
    return { kind: "Invocation", callee, ...(args ? { args } : {}), ...(alias ? { alias } : {}), span };
  }

  // ------------------------------------------------------------------------------------------
  // Experiments

  clause(ctx: Ctx): ExperimentClause | undefined {
    return this.visitOnlyChild(ctx) as ExperimentClause | undefined;
  }

  private invocations(nodes: readonly CstNode[]): Invocation[] {
    return nodes.map((node) => this.visit(node) as Invocation | undefined).filter((i) => i !== undefined);
  }

  onClause(ctx: Ctx, location?: CstNodeLocation): ExperimentClause | undefined {
    const targets = this.invocations(childNodes(ctx, "targets"));
    const span = this.spanOf(location);
    return targets.length > 0 && span ? { kind: "On", targets, span } : undefined;
  }

  runClause(ctx: Ctx, location?: CstNodeLocation): ExperimentClause | undefined {
    const optimizers = this.invocations(childNodes(ctx, "optimizers"));
    const span = this.spanOf(location);
    return optimizers.length > 0 && span ? { kind: "Run", optimizers, span } : undefined;
  }

  restartsClause(ctx: Ctx, location?: CstNodeLocation): ExperimentClause | undefined {
    const count = this.expr(childNode(ctx, "count"));
    const span = this.spanOf(location);
    return count && span ? { kind: "Restarts", count, span } : undefined;
  }

  budgetClause(ctx: Ctx, location?: CstNodeLocation): ExperimentClause | undefined {
    const amount = this.expr(childNode(ctx, "amount"));
    const unit = realToken(ctx, "unit")?.image;
    const span = this.spanOf(location);
    if (!amount || (unit !== "gradients" && unit !== "iterations" && unit !== "epochs") || !span) return undefined;
    return { kind: "Budget", amount, unit, span };
  }

  initClause(ctx: Ctx, location?: CstNodeLocation): ExperimentClause | undefined {
    const span = this.spanOf(location);
    if (!span) return undefined;
    if (hasToken(ctx, "Keyword_uniform")) {
      if (!hasToken(ctx, "Keyword_in")) return { kind: "Init", mode: "uniform", span };
      const box = childNodes(ctx, "box")
        .map((node) => this.visit(node) as Interval | undefined)
        .filter((interval) => interval !== undefined);
      return box.length > 0 ? { kind: "Init", mode: "uniform", box, span } : undefined;
    }
    const pointNode = childNode(ctx, "point");
    const point = pointNode ? (this.visit(pointNode) as Point | undefined) : undefined;
    return point ? { kind: "Init", mode: "point", point, span } : undefined;
  }

  seedClause(ctx: Ctx, location?: CstNodeLocation): ExperimentClause | undefined {
    const value = this.expr(childNode(ctx, "value"));
    const span = this.spanOf(location);
    return value && span ? { kind: "Seed", value, span } : undefined;
  }

  recordClause(ctx: Ctx, location?: CstNodeLocation): ExperimentClause | undefined {
    const every = this.expr(childNode(ctx, "every"));
    const span = this.spanOf(location);
    return every && span && hasToken(ctx, "Keyword_gradients") ? { kind: "Record", every, span } : undefined;
  }

  trajectoriesClause(ctx: Ctx, location?: CstNodeLocation): ExperimentClause | undefined {
    const count = this.expr(childNode(ctx, "count"));
    const span = this.spanOf(location);
    return count && span ? { kind: "Trajectories", count, span } : undefined;
  }

  snapshotClause(ctx: Ctx, location?: CstNodeLocation): ExperimentClause | undefined {
    const every = this.expr(childNode(ctx, "every"));
    const unit = this.identifier(realToken(ctx, "unit"));
    const span = this.spanOf(location);
    return every && unit && span ? { kind: "Snapshot", every, unit, span } : undefined;
  }

  populationClause(ctx: Ctx, location?: CstNodeLocation): PopulationClause | undefined {
    const name = this.identifier(realToken(ctx, "name"));
    const selector = this.identifier(realToken(ctx, "selector"));
    const span = this.spanOf(location);
    if (!name || !selector || !span) return undefined;
    const count = this.expr(childNode(ctx, "count"));
    if (selector.name !== "all" && !count) return undefined;
    const words = (ctx["modifierWords"] ?? []).filter(isToken);
    const values = (ctx["modifierValues"] ?? []).filter(isToken);
    const modifiers: PopulationModifier[] = [];
    for (let i = 0; i < words.length; i++) {
      const word = this.identifier(words[i]);
      const value = this.identifier(values[i]);
      if (!word || !value) return undefined;
      modifiers.push({ word, value });
    }
    return { kind: "PopulationRule", name, selector, ...(count ? { count } : {}), modifiers, span };
  }

  assignClause(ctx: Ctx, location?: CstNodeLocation): ExperimentClause | undefined {
    const radius = this.expr(childNode(ctx, "radius"));
    const span = this.spanOf(location);
    return radius && span ? { kind: "Assign", radius, span } : undefined;
  }

  // ------------------------------------------------------------------------------------------
  // Hypotheses

  hypothesisDeclaration(ctx: Ctx, location?: CstNodeLocation): HypothesisDecl | undefined {
    const name = realToken(ctx, "name");
    const span = this.spanOf(location);
    if (!name || !span) return undefined;
    const adjustNode = childNode(ctx, "adjust");
    const adjust = adjustNode ? (this.visit(adjustNode) as AdjustClause | undefined) : undefined;
    return {
      kind: "Hypothesis",
      name: stringValue(name),
      nameSpan: this.source.tokenSpan(name),
      ...(adjust ? { adjust } : {}),
      claims: this.claims(childNodes(ctx, "claims")),
      span,
    };
  }

  private claims(nodes: readonly CstNode[]): Claim[] {
    return nodes.map((node) => this.visit(node) as Claim | undefined).filter((claim) => claim !== undefined);
  }

  adjustClause(ctx: Ctx, location?: CstNodeLocation): AdjustClause | undefined {
    const method = this.identifier(realToken(ctx, "method"));
    const span = this.spanOf(location);
    return method && span ? { kind: "Adjust", method, span } : undefined;
  }

  claim(ctx: Ctx): Claim | undefined {
    return this.visitOnlyChild(ctx) as Claim | undefined;
  }

  expectClaim(ctx: Ctx, location?: CstNodeLocation): Claim | undefined {
    return this.testOrComparison(ctx, location, "expect");
  }

  observeClaim(ctx: Ctx, location?: CstNodeLocation): Claim | undefined {
    return this.testOrComparison(ctx, location, "observe");
  }

  /** The shared shape of `expect` and `observe`: a left summary, then an outcome or a comparison. */
  private testOrComparison(ctx: Ctx, location: CstNodeLocation | undefined, mode: "expect" | "observe"): Claim | undefined {
    const span = this.spanOf(location);
    const leftNode = childNode(ctx, "left");
    const left: SummaryOperand | undefined = leftNode
      ? (this.visit(leftNode) as StatCall | undefined)
      : this.numberLiteral(realToken(ctx, "leftNumber"));
    if (!left || !span) return undefined;
    const comparisonNode = childNode(ctx, "comparison");
    if (comparisonNode) {
      const tail = this.visit(comparisonNode) as ComparisonTail | undefined;
      if (!tail) return undefined;
      const { operator, right, confidence } = tail;
      return { kind: "ComparisonClaim", mode, left, operator, right, ...(confidence ? { confidence } : {}), span };
    }
    if (left.kind !== "StatCall") return undefined;
    const outcomeNode = childNode(ctx, "outcome");
    if (outcomeNode) {
      const outcome = this.visit(outcomeNode) as Significance | undefined;
      return outcome ? { kind: "TestClaim", mode, test: left, outcome, span } : undefined;
    }
    // `expect CALL` alone was reported by the parser; `observe CALL` alone reports a value.
    return mode === "observe" ? { kind: "ValueObservation", value: left, span } : undefined;
  }

  comparisonTail(ctx: Ctx): ComparisonTail | undefined {
    const operator = realToken(ctx, "operator")?.image;
    const rightNode = childNode(ctx, "right");
    const right = rightNode ? (this.visit(rightNode) as SummaryOperand | undefined) : undefined;
    const confidence = this.numberLiteral(realToken(ctx, "confidence"));
    if (!isOrderOperator(operator) || !right) return undefined;
    if (hasToken(ctx, "Keyword_with") && !confidence) return undefined;
    return { operator, right, ...(confidence ? { confidence } : {}) };
  }

  summary(ctx: Ctx): SummaryOperand | undefined {
    const number = realToken(ctx, "number");
    if (number) return this.numberLiteral(number);
    const call = childNode(ctx, "statCall");
    return call ? (this.visit(call) as StatCall | undefined) : undefined;
  }

  significance(ctx: Ctx, location?: CstNodeLocation): Significance | undefined {
    const alpha = this.numberLiteral(realToken(ctx, "alpha"));
    const span = this.spanOf(location);
    if (!alpha || !span) return undefined;
    return { kind: "Significance", significant: !hasToken(ctx, "Keyword_not"), alpha, span };
  }

  forEachClaim(ctx: Ctx, location?: CstNodeLocation): Claim | undefined {
    const variable = realToken(ctx, "variable")?.image;
    const experiment = this.identifier(realToken(ctx, "experiment"));
    const span = this.spanOf(location);
    if ((variable !== "optimizer" && variable !== "landscape" && variable !== "task") || !experiment || !span) return undefined;
    const body = this.claims(childNodes(ctx, "claims"));
    // `for each ...: CLAIM` is nothing without its one claim; a block keeps the claims that built.
    if (hasToken(ctx, "Colon") && body.length === 0) return undefined;
    return { kind: "ForEach", variable, experiment, body, span };
  }

  statCall(ctx: Ctx, location?: CstNodeLocation): StatCall | undefined {
    const callee = this.identifier(realToken(ctx, "callee"));
    const span = this.spanOf(location);
    if (!callee || !span) return undefined;
    const args = childNodes(ctx, "args")
      .map((node) => this.visit(node) as StatArgument | undefined)
      .filter((argument) => argument !== undefined);
    return { kind: "StatCall", callee, args, span };
  }

  statArgument(ctx: Ctx): StatArgument | undefined {
    const name = realToken(ctx, "name");
    if (name) return { kind: "StatName", name: this.identifier(name)!, span: this.source.tokenSpan(name) };
    const number = realToken(ctx, "number");
    if (number) return this.numberLiteral(number);
    return this.visitOnlyChild(ctx) as StatArgument | undefined;
  }

  population(ctx: Ctx, location?: CstNodeLocation): PopulationRef | SetRef | undefined {
    const experiment = this.identifier(realToken(ctx, "experiment"));
    const optimizer = this.identifier(realToken(ctx, "optimizer"));
    const span = this.spanOf(location);
    if (!experiment || !optimizer || !span) return undefined;
    // Without `on`, `SetA.metric` names a task population of the enclosing loop's optimizer.
    if (!hasToken(ctx, "Keyword_on")) return { kind: "SetRef", population: experiment, attribute: optimizer, span };
    const landscape = this.identifier(realToken(ctx, "landscape"));
    if (!landscape) return undefined;
    const names = (ctx["attribute"] ?? []).filter(isToken).map((token) => this.identifier(token));
    // Every '.' after the landscape promises a name; without one the reference is broken.
    if (names.length !== (ctx["Dot"]?.length ?? 0) - 1 || names.some((name) => !name)) return undefined;
    const [first, second] = names as Identifier[];
    if (second) return { kind: "Population", experiment, optimizer, landscape, population: first!, attribute: second, span };
    return { kind: "Population", experiment, optimizer, landscape, ...(first ? { attribute: first } : {}), span };
  }

  statOption(ctx: Ctx, location?: CstNodeLocation): StatOption | undefined {
    const name = this.identifier(realToken(ctx, "name"));
    const valueToken = realToken(ctx, "value");
    const span = this.spanOf(location);
    if (!name || !valueToken || !span) return undefined;
    const value = valueToken.tokenType === NumberLiteralToken ? this.numberLiteral(valueToken)! : this.identifier(valueToken)!;
    return { kind: "StatOption", name, value, span };
  }

  // ------------------------------------------------------------------------------------------
  // Conditions

  condition(ctx: Ctx): Condition | undefined {
    return this.foldLeft<Condition, "or">(
      ctx,
      (node) => this.cond(node),
      (operator, left, right, span) => ({ kind: "Logical", operator, left, right, span }),
    );
  }

  andCondition(ctx: Ctx): Condition | undefined {
    return this.foldLeft<Condition, "and">(
      ctx,
      (node) => this.cond(node),
      (operator, left, right, span) => ({ kind: "Logical", operator, left, right, span }),
    );
  }

  notCondition(ctx: Ctx, location?: CstNodeLocation): Condition | undefined {
    const span = this.spanOf(location);
    if (!span) return undefined;
    if (hasToken(ctx, "Keyword_not")) {
      const operand = this.cond(childNode(ctx, "negated"));
      return operand ? { kind: "Not", operand, span } : undefined;
    }
    const parenthesised = childNode(ctx, "parenthesised");
    if (parenthesised) {
      const inner = this.cond(parenthesised);
      // The parentheses belong to the condition's text, so its span includes them.
      return inner ? { ...inner, span } : undefined;
    }
    return this.cond(childNode(ctx, "comparison"));
  }

  comparison(ctx: Ctx, location?: CstNodeLocation): Condition | undefined {
    const left = this.expr(childNode(ctx, "left"));
    const operator = realToken(ctx, "operator")?.image as ComparisonOperator | undefined;
    const right = this.expr(childNode(ctx, "right"));
    const span = this.spanOf(location);
    if (!left || !operator || !right || !span) return undefined;
    return { kind: "Comparison", operator, left, right, span };
  }

  // ------------------------------------------------------------------------------------------
  // Expressions

  expression(ctx: Ctx): Expr | undefined {
    return this.foldLeft<Expr, BinaryOperator>(
      ctx,
      (node) => this.expr(node),
      (operator, left, right, span) => ({ kind: "Binary", operator, left, right, span }),
    );
  }

  multiplicative(ctx: Ctx): Expr | undefined {
    return this.foldLeft<Expr, BinaryOperator>(
      ctx,
      (node) => this.expr(node),
      (operator, left, right, span) => ({ kind: "Binary", operator, left, right, span }),
    );
  }

  unary(ctx: Ctx, location?: CstNodeLocation): Expr | undefined {
    const span = this.spanOf(location);
    if (!span) return undefined;
    if (hasToken(ctx, "Minus")) {
      const operand = this.expr(childNode(ctx, "negated"));
      return operand ? { kind: "Unary", operator: "-", operand, span } : undefined;
    }
    return this.expr(childNode(ctx, "power"));
  }

  power(ctx: Ctx, location?: CstNodeLocation): Expr | undefined {
    const base = this.expr(childNode(ctx, "base"));
    const span = this.spanOf(location);
    if (!base || !span) return undefined;
    if (!childNode(ctx, "exponent") && !hasToken(ctx, "Caret")) return base;
    const exponent = this.expr(childNode(ctx, "exponent"));
    return exponent ? { kind: "Binary", operator: "^", left: base, right: exponent, span } : undefined;
  }

  primary(ctx: Ctx, location?: CstNodeLocation): Expr | undefined {
    const span = this.spanOf(location);
    const number = realToken(ctx, "number");
    if (number && span) return { kind: "Number", value: Number(number.image), span };
    const parenthesised = childNode(ctx, "parenthesised");
    if (parenthesised) {
      const inner = this.expr(parenthesised);
      // The parentheses belong to the expression's text, so its span includes them.
      return inner && span ? { ...inner, span } : undefined;
    }
    return this.expr(childNode(ctx, "sumExpression") ?? childNode(ctx, "nameExpression"));
  }

  sumExpression(ctx: Ctx, location?: CstNodeLocation): Expr | undefined {
    const index = this.identifier(realToken(ctx, "index"));
    const from = this.expr(childNode(ctx, "from"));
    const to = this.expr(childNode(ctx, "to"));
    const body = this.expr(childNode(ctx, "body"));
    const span = this.spanOf(location);
    if (!index || !from || !to || !body || !span) return undefined;
    return { kind: "Sum", index, from, to, body, span };
  }

  nameExpression(ctx: Ctx, location?: CstNodeLocation): Expr | undefined {
    const nameToken = realToken(ctx, "name");
    const span = this.spanOf(location);
    if (!nameToken || !span) return undefined;
    if (hasToken(ctx, "call")) {
      const args = this.exprs(childNodes(ctx, "args"));
      return { kind: "Call", callee: this.identifier(nameToken)!, args, span };
    }
    if (hasToken(ctx, "LBracket")) {
      const index = this.expr(childNode(ctx, "index"));
      return index ? { kind: "Index", target: this.identifier(nameToken)!, index, span } : undefined;
    }
    return { kind: "Name", name: nameToken.image, span };
  }
}

/** What `comparisonTail` hands to its claim: not a node of its own. */
interface ComparisonTail {
  readonly operator: "<" | "<=" | ">" | ">=";
  readonly right: SummaryOperand;
  readonly confidence?: NumberLiteral;
}

function isOrderOperator(operator: string | undefined): operator is ComparisonTail["operator"] {
  return operator === "<" || operator === "<=" || operator === ">" || operator === ">=";
}

/** [start, end) offsets of a real token; undefined for tokens invented by recovery. */
function tokenBounds(token: IToken): [number, number] | undefined {
  if (token.isInsertedInRecovery || Number.isNaN(token.startOffset) || token.tokenType === EOF) return undefined;
  return [token.startOffset, token.startOffset + token.image.length];
}

function nodeBounds(node: CstNode): [number, number] | undefined {
  return node.location ? locationBounds(node.location) : undefined;
}

function locationBounds(location: CstNodeLocation): [number, number] | undefined {
  const { startOffset, endOffset } = location;
  if (Number.isNaN(startOffset) || endOffset === undefined || Number.isNaN(endOffset)) return undefined;
  return [startOffset, endOffset + 1];
}
