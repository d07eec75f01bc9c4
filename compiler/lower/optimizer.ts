// Lowering of an optimizer instance to the step IR: arguments bound, hyperparameters
// evaluated, procedures inlined, guards turned into `if` steps. Problems found on the way
// (unknown names, bad arguments, misplaced statements) are reported as diagnostics.
import { match } from "ts-pattern";
import type * as ast from "../../grammar/index.js";
import { diagnostic, relocateToCall, type Diagnostic } from "../diagnostics/diagnostic.js";
import { didYouMean } from "../diagnostics/suggest.js";
import { bindArguments, builtinConstants, builtinFunctions, evaluateChecked, evaluateConstant, stateNames, type Scope } from "../resolve/constants.js";
import { kindWithArticle, type SymbolTable } from "../resolve/symbols.js";
import type { Acceptance, CondIR, DistributionFamily, OptimizerIR, Step, UpdateMethod, ValueIR } from "./ir.js";

const families: readonly DistributionFamily[] = ["ball", "gaussian", "sphere"];

/** Where a statement stands, for the rules on `start` and `hop`. */
type Place = "optimizer" | "start" | "nested";

interface Context {
  readonly symbols: SymbolTable;
  readonly diagnostics: Diagnostic[];
  /** Procedures being inlined, to stop recursion. */
  readonly callStack: readonly string[];
  slots: number;
}

/** Lowers `invocation` (e.g. `SAM(rho = 0.1) as SAM01`) to IR; undefined after reporting errors. */
export function lowerOptimizer(invocation: ast.Invocation, symbols: SymbolTable, diagnostics: Diagnostic[]): OptimizerIR | undefined {
  const before = diagnostics.length;
  const resolved = resolveOptimizer(invocation.callee, invocation.args ?? [], new Map(), symbols, diagnostics, []);
  if (!resolved || diagnostics.length > before) return undefined;
  const { decl, params } = resolved;
  const ctx: Context = { symbols, diagnostics, callStack: [], slots: 0 };
  const start: Step[] = [];
  const loop: Step[] = [];
  for (const statement of decl.body) {
    if (statement.kind === "Start") start.push(...lowerStatements(statement.body, params, ctx, "start"));
    else loop.push(...lowerStatement(statement, params, ctx, "optimizer"));
  }
  const hops = loop.filter((s) => s.op === "hop").length;
  const hopStatement = decl.body.find((s) => s.kind === "Hop");
  if (hops > 0 && (hops > 1 || loop.length > 1) && hopStatement)
    diagnostics.push(diagnostic("MisplacedStatement", hopStatement.span, "an optimizer with a 'hop' has nothing else in its loop", { suggestion: "move the other statements into the hop block or into 'start'" }));
  if (diagnostics.length > before) return undefined;
  return { name: invocation.alias?.name ?? invocation.callee.name, declaration: decl.name.name, params: Object.fromEntries(params), start, loop, slots: ctx.slots };
}

/** Follows optimizer aliases to a declaration, merging argument values (outer ones win). */
function resolveOptimizer(
  callee: ast.Identifier,
  args: readonly ast.Argument[],
  outer: ReadonlyMap<string, number>,
  symbols: SymbolTable,
  diagnostics: Diagnostic[],
  chain: readonly string[],
): { decl: ast.OptimizerDecl; params: Map<string, number> } | undefined {
  const found = symbols.optimizers.get(callee.name);
  if (!found) {
    reportUnknown(callee, "optimizer", [...symbols.optimizers.keys()], symbols, diagnostics);
    return undefined;
  }
  if (chain.includes(callee.name)) {
    diagnostics.push(diagnostic("RecursiveProcedure", callee.span, `optimizer alias '${callee.name}' refers to itself through ${chain.join(" -> ")}`));
    return undefined;
  }
  const target = found.kind === "OptimizerAlias" ? found : undefined;
  const decl = target ? undefined : (found as ast.OptimizerDecl);
  if (decl) {
    const params = bindArguments({ description: `optimizer '${decl.name.name}'`, params: decl.params, defaultsScope: new Map() }, args, new Map(), callee.span, diagnostics, outer);
    return params ? { decl, params } : undefined;
  }
  // An alias fixes some arguments of its target; arguments given at the use override them.
  const innerDecl = finalDeclaration(target!, symbols);
  if (!innerDecl) {
    const cycle = aliasCycle(target!, symbols);
    if (cycle) diagnostics.push(diagnostic("RecursiveProcedure", target!.target.callee.span, `optimizer alias '${target!.name.name}' refers to itself (${cycle.join(" -> ")})`, { suggestion: "make one of the aliases name an optimizer declared with a body" }));
    else reportUnknown(target!.target.callee, "optimizer", [...symbols.optimizers.keys()].filter((n) => n !== target!.name.name), symbols, diagnostics);
    return undefined;
  }
  const merged = new Map(outer);
  const names = innerDecl.params.map((p) => p.name.name);
  args.forEach((arg, i) => {
    const name = arg.name?.name ?? names[i];
    if (name === undefined || !names.includes(name)) {
      const hint = name ? didYouMean(name, names) : undefined;
      diagnostics.push(diagnostic("UnknownParameter", (arg.name ?? arg).span, `optimizer '${callee.name}' has no parameter '${name ?? `#${i + 1}`}'`, { suggestion: hint ?? `its parameters are ${names.join(", ")}` }));
      return;
    }
    const value = evaluateConstant(arg.value, new Map(), diagnostics, `the argument '${name}'`);
    if (value !== undefined && !merged.has(name)) merged.set(name, value);
  });
  return resolveOptimizer(target!.target.callee, target!.target.args ?? [], merged, symbols, diagnostics, [...chain, callee.name]);
}

/** The names around an alias cycle starting at `alias`, if following it comes back. */
function aliasCycle(alias: ast.OptimizerAlias, symbols: SymbolTable): string[] | undefined {
  const chain = [alias.name.name];
  let next = symbols.optimizers.get(alias.target.callee.name);
  while (next?.kind === "OptimizerAlias") {
    chain.push(next.name.name);
    if (next.name.name === alias.name.name) return chain;
    if (chain.length > symbols.optimizers.size + 1) return undefined;
    next = symbols.optimizers.get(next.target.callee.name);
  }
  return undefined;
}

function finalDeclaration(alias: ast.OptimizerAlias, symbols: SymbolTable, seen = new Set<string>()): ast.OptimizerDecl | undefined {
  const next = symbols.optimizers.get(alias.target.callee.name);
  if (!next || seen.has(alias.name.name)) return undefined;
  seen.add(alias.name.name);
  return next.kind === "Optimizer" ? next : finalDeclaration(next, symbols, seen);
}

function reportUnknown(name: ast.Identifier, kind: string, candidates: string[], symbols: SymbolTable, diagnostics: Diagnostic[]) {
  const other = symbols.all.get(name.name);
  if (other) {
    diagnostics.push(diagnostic("WrongKind", name.span, `'${name.name}' is ${kindWithArticle(other)}, not ${/^[aeiou]/.test(kind) ? "an" : "a"} ${kind}`));
    return;
  }
  const hint = didYouMean(name.name, candidates);
  diagnostics.push(diagnostic("UnknownName", name.span, `unknown ${kind} '${name.name}'`, hint ? { suggestion: hint } : candidates.length ? { suggestion: `declared ${kind}s: ${candidates.slice(0, 8).join(", ")}` } : {}));
}

function lowerStatements(statements: readonly ast.Statement[], scope: Scope, ctx: Context, place: Place): Step[] {
  return statements.flatMap((s) => lowerStatement(s, scope, ctx, place));
}

function guarded(guard: ast.Condition | undefined, scope: Scope, ctx: Context, steps: Step[]): Step[] {
  if (!guard) return steps;
  const condition = lowerCondition(guard, scope, ctx);
  return condition ? [{ op: "if", condition, body: steps }] : [];
}

function lowerStatement(statement: ast.Statement, scope: Scope, ctx: Context, place: Place): Step[] {
  const value = (e: ast.Expr, what: string, valid: (v: number) => boolean, explain: string) =>
    evaluateChecked(e, scope, ctx.diagnostics, { what, valid, code: "BadHyperparameter", explain });
  return match<ast.Statement, Step[]>(statement)
    .with({ kind: "Perturb" }, (s) => {
      const family = s.distribution.family.name;
      if (!(families as readonly string[]).includes(family)) {
        ctx.diagnostics.push(diagnostic("UnknownDistribution", s.distribution.family.span, `unknown distribution '${family}'`, { suggestion: family === "uniform" ? "'ball(r)' draws uniformly in the ball of radius r, 'sphere(r)' on its surface" : (didYouMean(family, families) ?? `use one of ${families.join(", ")}`) }));
        return [];
      }
      if (s.distribution.args.length !== 1) {
        ctx.diagnostics.push(diagnostic("ArgumentCount", s.distribution.span, `'${family}' takes one argument (its ${family === "gaussian" ? "standard deviation" : "radius"}), not ${s.distribution.args.length}`));
        return [];
      }
      const scale = value(s.distribution.args[0]!.value, `the scale of '${family}'`, (v) => v >= 0, "it must be a non-negative number");
      if (scale === undefined) return [];
      return guarded(s.guard, scope, ctx, [{ op: "perturb", target: s.target, family: family as DistributionFamily, scale }]);
    })
    .with({ kind: "Ascend" }, (s) => {
      const radius = value(s.radius, "the ascent radius", () => true, "");
      return radius === undefined ? [] : guarded(s.guard, scope, ctx, [{ op: "ascend", radius, normalized: s.normalized }]);
    })
    .with({ kind: "Descend" }, (s) => {
      const rate = value(s.rate, "the learning rate", (v) => v > 0, "it must be positive");
      const method = lowerMethod(s.method, scope, ctx);
      if (rate === undefined || !method) return [];
      return guarded(s.guard, scope, ctx, [{ op: "descend", rate, method, slot: ctx.slots++ }]);
    })
    .with({ kind: "Repeat" }, (s) => {
      const times = value(s.times, "the repeat count", (v) => Number.isInteger(v) && v >= 1, "it must be a positive integer");
      const body = lowerStatements(s.body, scope, ctx, "nested");
      const until = s.until ? lowerCondition(s.until, scope, ctx) : undefined;
      if (times === undefined || (s.until && !until)) return [];
      return [{ op: "repeat" as const, times, body, ...(until ? { until } : {}) }];
    })
    .with({ kind: "Hop" }, (s) => {
      if (place !== "optimizer") {
        ctx.diagnostics.push(diagnostic("MisplacedStatement", s.span, "'hop' is allowed only directly in an optimizer's body", { suggestion: "move it out of the procedure, 'repeat' or 'start' block" }));
        return [];
      }
      const body = lowerStatements(s.body, scope, ctx, "nested");
      const accept = lowerAcceptance(s.accept, scope, ctx);
      return accept ? [{ op: "hop" as const, body, accept }] : [];
    })
    .with({ kind: "Start" }, (s) => {
      ctx.diagnostics.push(diagnostic("MisplacedStatement", s.span, "'start' is allowed only directly in an optimizer's body", { suggestion: "put the start block at the top level of the optimizer" }));
      return [];
    })
    .with({ kind: "CallStatement" }, (s) => {
      const name = s.callee.name;
      const proc = ctx.symbols.procedures.get(name);
      if (!proc) {
        reportUnknown(s.callee, "procedure", [...ctx.symbols.procedures.keys()], ctx.symbols, ctx.diagnostics);
        return [];
      }
      if (ctx.callStack.includes(name)) {
        ctx.diagnostics.push(diagnostic("RecursiveProcedure", s.callee.span, `procedure '${name}' calls itself (${[...ctx.callStack, name].join(" -> ")})`, { suggestion: "use 'repeat' for repetition" }));
        return [];
      }
      const params = bindArguments({ description: `procedure '${name}'`, params: proc.params, defaultsScope: new Map() }, s.args, scope, s.span, ctx.diagnostics);
      if (!params) return [];
      const inner: Context = { ...ctx, callStack: [...ctx.callStack, name] };
      const before = ctx.diagnostics.length;
      const body = lowerStatements(proc.body, params, inner, place === "optimizer" ? "nested" : place);
      relocateToCall(ctx.diagnostics, before, s.span, `in procedure '${name}' with these arguments`);
      ctx.slots = inner.slots;
      return guarded(s.guard, scope, ctx, body);
    })
    .exhaustive();
}

const methodParams: Record<string, Record<string, number>> = {
  momentum: { beta: 0.9, nesterov: 0 },
  adam: { beta1: 0.9, beta2: 0.999, eps: 1e-8 },
};

function lowerMethod(method: ast.Invocation | undefined, scope: Scope, ctx: Context): UpdateMethod | undefined {
  if (!method) return { kind: "sgd" };
  const name = method.callee.name;
  const defaults = methodParams[name];
  if (!defaults) {
    ctx.diagnostics.push(diagnostic("UnknownUpdateMethod", method.callee.span, `unknown update method '${name}'`, { suggestion: didYouMean(name, Object.keys(methodParams)) ?? "use 'with momentum(beta = 0.9)' or 'with adam(beta1 = 0.9, beta2 = 0.999, eps = 1e-8)'" }));
    return undefined;
  }
  const params = Object.keys(defaults).map((p) => ({ kind: "Parameter", name: { kind: "Identifier", name: p, span: method.span }, default: { kind: "Number", value: defaults[p]!, span: method.span }, span: method.span }) as ast.Parameter);
  const bound = bindArguments({ description: `'${name}'`, params, defaultsScope: new Map() }, method.args ?? [], scope, method.span, ctx.diagnostics);
  if (!bound) return undefined;
  const get = (k: string) => bound.get(k)!;
  return name === "momentum" ? { kind: "momentum", beta: get("beta"), nesterov: get("nesterov") !== 0 } : { kind: "adam", beta1: get("beta1"), beta2: get("beta2"), epsilon: get("eps") };
}

function lowerAcceptance(a: ast.Acceptance, scope: Scope, ctx: Context): Acceptance | undefined {
  if (a.rule !== "metropolis") return { rule: a.rule };
  if (!a.temperature) return undefined;
  const temperature = evaluateChecked(a.temperature, scope, ctx.diagnostics, { what: "the temperature", valid: (v) => v > 0, code: "BadHyperparameter", explain: "it must be positive" });
  return temperature === undefined ? undefined : { rule: "metropolis", temperature };
}

function lowerCondition(c: ast.Condition, scope: Scope, ctx: Context): CondIR | undefined {
  const before = ctx.diagnostics.length;
  const visit = (node: ast.Condition): CondIR =>
    match(node)
      .with({ kind: "Comparison" }, (n): CondIR => ({ op: "compare", operator: n.operator, left: lowerValue(n.left, scope, ctx), right: lowerValue(n.right, scope, ctx) }))
      .with({ kind: "Logical" }, (n): CondIR => ({ op: n.operator, left: visit(n.left), right: visit(n.right) }))
      .with({ kind: "Not" }, (n): CondIR => ({ op: "not", operand: visit(n.operand) }))
      .exhaustive();
  const result = visit(c);
  return ctx.diagnostics.length > before ? undefined : result;
}

function lowerValue(e: ast.Expr, scope: Scope, ctx: Context): ValueIR {
  const constant = (value: number): ValueIR => ({ op: "const", value });
  return match(e)
    .with({ kind: "Number" }, (n) => constant(n.value))
    .with({ kind: "Name" }, (n): ValueIR => {
      const bound = scope.get(n.name);
      if (bound !== undefined) return constant(bound);
      if ((stateNames as readonly string[]).includes(n.name)) return { op: "state", name: n.name as (typeof stateNames)[number] };
      const builtin = builtinConstants[n.name];
      if (builtin !== undefined) return constant(builtin);
      const hint = didYouMean(n.name, [...scope.keys(), ...stateNames]);
      ctx.diagnostics.push(diagnostic("UnknownStateName", n.span, `unknown name '${n.name}' in a condition`, { suggestion: hint ?? `conditions may use the parameters and ${stateNames.join(", ")}` }));
      return constant(NaN);
    })
    .with({ kind: "Unary" }, (u): ValueIR => ({ op: "neg", operand: lowerValue(u.operand, scope, ctx) }))
    .with({ kind: "Binary" }, (b): ValueIR => ({ op: "binary", operator: b.operator, left: lowerValue(b.left, scope, ctx), right: lowerValue(b.right, scope, ctx) }))
    .with({ kind: "Call" }, (c): ValueIR => {
      if (!builtinFunctions[c.callee.name] || c.args.length !== 1) {
        ctx.diagnostics.push(diagnostic("UnknownName", c.callee.span, `unknown function '${c.callee.name}' (or wrong number of arguments)`, { suggestion: didYouMean(c.callee.name, Object.keys(builtinFunctions)) ?? `functions: ${Object.keys(builtinFunctions).join(", ")}` }));
        return constant(NaN);
      }
      return { op: "call", fn: c.callee.name, arg: lowerValue(c.args[0]!, scope, ctx) };
    })
    .with({ kind: "Index" }, { kind: "Sum" }, (n): ValueIR => {
      ctx.diagnostics.push(diagnostic("UnknownStateName", n.span, "landscape coordinates and sums cannot be used in optimizer conditions", { suggestion: `conditions may use the parameters and ${stateNames.join(", ")}` }));
      return constant(NaN);
    })
    .exhaustive();
}

/** Diagnostics about values, which a placeholder argument cannot judge. */
const valueCodes = new Set(["E404", "E103", "E104"]);

/**
 * Checks the names and structure of a procedure's body on its own (a procedure no optimizer
 * calls is otherwise never lowered), with every parameter bound to a placeholder value.
 */
export function checkProcedureBody(proc: ast.ProcedureDecl, symbols: SymbolTable, diagnostics: Diagnostic[]): void {
  const found: Diagnostic[] = [];
  const ctx: Context = { symbols, diagnostics: found, callStack: [proc.name.name], slots: 0 };
  const scope = new Map(proc.params.map((p) => [p.name.name, 1]));
  lowerStatements(proc.body, scope, ctx, "nested");
  diagnostics.push(...found.filter((d) => !valueCodes.has(d.code) && d.span.file === proc.span.file));
}
