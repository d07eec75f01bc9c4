// Evaluation of constant expressions (hyperparameters, domains, sizes, coordinates) in a
// scope of already-bound parameters. Errors become diagnostics; the result is then undefined.
import { match } from "ts-pattern";
import type { Argument, Expr, Parameter, Span } from "../../grammar/index.js";
import { diagnostic, type Diagnostic } from "../diagnostics/diagnostic.js";
import { didYouMean } from "../diagnostics/suggest.js";

export type Scope = ReadonlyMap<string, number>;

/** The most terms a constant `sum(...)` may have (a larger one is almost surely a mistake). */
export const MAX_SUM_TERMS = 100_000;

export const builtinFunctions: Readonly<Record<string, (x: number) => number>> = {
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  abs: Math.abs,
  tanh: Math.tanh,
};

export const builtinConstants: Readonly<Record<string, number>> = { pi: Math.PI, e: Math.E };

/** Names that mean something inside optimizer conditions, evaluated per trajectory. */
export const stateNames = ["gradnorm", "t", "evals", "loss"] as const;
export type StateName = (typeof stateNames)[number];

/** The value of `expr` with names from `scope`, or undefined after reporting why not. */
export function evaluateConstant(expr: Expr, scope: Scope, diagnostics: Diagnostic[], what = "this value"): number | undefined {
  let failed = false;
  const fail = (d: Diagnostic) => {
    failed = true;
    diagnostics.push(d);
    return NaN;
  };
  const visit = (e: Expr): number =>
    match(e)
      .with({ kind: "Number" }, (n) => n.value)
      .with({ kind: "Name" }, (n) => {
        const bound = scope.get(n.name) ?? builtinConstants[n.name];
        if (bound !== undefined) return bound;
        if ((stateNames as readonly string[]).includes(n.name))
          return fail(diagnostic("NotConstant", n.span, `'${n.name}' changes along a trajectory and cannot be used in ${what}`, {
            suggestion: "state names (gradnorm, t, evals, loss) are allowed only in 'when' and 'until' conditions",
          }));
        const hint = didYouMean(n.name, [...scope.keys(), ...Object.keys(builtinConstants)]);
        return fail(diagnostic("UnknownName", n.span, `unknown name '${n.name}'`, hint ? { suggestion: hint } : {}));
      })
      .with({ kind: "Unary" }, (u) => -visit(u.operand))
      .with({ kind: "Binary" }, (b) => {
        const l = visit(b.left);
        const r = visit(b.right);
        return b.operator === "+" ? l + r : b.operator === "-" ? l - r : b.operator === "*" ? l * r : b.operator === "/" ? l / r : Math.pow(l, r);
      })
      .with({ kind: "Call" }, (c) => {
        const fn = builtinFunctions[c.callee.name];
        if (!fn) {
          const hint = didYouMean(c.callee.name, Object.keys(builtinFunctions));
          return fail(diagnostic("UnknownName", c.callee.span, `unknown function '${c.callee.name}'`, hint ? { suggestion: hint } : {}));
        }
        if (c.args.length !== 1) return fail(diagnostic("ArgumentCount", c.span, `'${c.callee.name}' takes 1 argument, not ${c.args.length}`));
        return fn(visit(c.args[0]!));
      })
      .with({ kind: "Index" }, (i) => fail(diagnostic("NotConstant", i.span, `a landscape coordinate cannot be used in ${what}`)))
      .with({ kind: "Sum" }, (s) => {
        const from = visit(s.from);
        const to = visit(s.to);
        if (failed) return NaN;
        if (!Number.isInteger(from) || !Number.isInteger(to))
          return fail(diagnostic("NotConstant", s.span, `the bounds of a sum must be integers, not ${from}..${to}`));
        if (to - from + 1 > MAX_SUM_TERMS)
          return fail(diagnostic("NotConstant", s.span, `this sum has ${to - from + 1} terms; at most ${MAX_SUM_TERMS} are allowed`));
        let total = 0;
        for (let i = from; i <= to; i++) {
          const inner = new Map(scope).set(s.index.name, i);
          const value = evaluateConstant(s.body, inner, diagnostics, what);
          if (value === undefined) {
            failed = true; // already reported by the inner evaluation
            return NaN;
          }
          total += value;
        }
        return total;
      })
      .exhaustive();
  const value = visit(expr);
  return failed ? undefined : value;
}

/** Like evaluateConstant, and also requires a finite number satisfying `valid`. */
export function evaluateChecked(
  expr: Expr,
  scope: Scope,
  diagnostics: Diagnostic[],
  requirement: { what: string; valid: (v: number) => boolean; code: Parameters<typeof diagnostic>[0]; explain: string },
): number | undefined {
  const value = evaluateConstant(expr, scope, diagnostics, requirement.what);
  if (value === undefined) return undefined;
  if (!Number.isFinite(value) || !requirement.valid(value)) {
    diagnostics.push(diagnostic(requirement.code, expr.span, `${requirement.what} is ${value}; ${requirement.explain}`));
    return undefined;
  }
  return value;
}

export interface BindingTarget {
  /** e.g. "optimizer 'SAM'". */
  readonly description: string;
  readonly params: readonly Parameter[];
  /** Defaults of the target are evaluated in this scope plus the parameters bound so far. */
  readonly defaultsScope: Scope;
}

/**
 * Binds call arguments (positional, then named) to parameters, each argument evaluated in
 * `callerScope`; unbound parameters take their defaults. Undefined after reporting an error.
 */
export function bindArguments(
  target: BindingTarget,
  args: readonly Argument[],
  callerScope: Scope,
  callSpan: Span,
  diagnostics: Diagnostic[],
  overrides?: ReadonlyMap<string, number>,
): Map<string, number> | undefined {
  const before = diagnostics.length;
  const given = new Map<string, number>();
  const names = target.params.map((p) => p.name.name);
  let positional = 0;
  let seenNamed = false;
  for (const arg of args) {
    let name: string | undefined;
    if (arg.name) {
      seenNamed = true;
      name = arg.name.name;
      if (!names.includes(name)) {
        const hint = didYouMean(name, names);
        diagnostics.push(
          diagnostic("UnknownParameter", arg.name.span, `${target.description} has no parameter '${name}'`, {
            suggestion: hint ?? (names.length ? `its parameters are ${names.join(", ")}` : "it takes no parameters"),
          }),
        );
        continue;
      }
    } else {
      if (seenNamed) {
        diagnostics.push(diagnostic("ArgumentCount", arg.span, "a positional argument cannot follow a named one", { suggestion: "name this argument too" }));
        continue;
      }
      name = names[positional++];
      if (name === undefined) {
        diagnostics.push(
          diagnostic("ArgumentCount", arg.span, `${target.description} takes ${names.length} parameter${names.length === 1 ? "" : "s"}, but more arguments were given`, {
            suggestion: names.length ? `its parameters are ${names.join(", ")}` : "remove the arguments",
          }),
        );
        continue;
      }
    }
    if (given.has(name)) {
      diagnostics.push(diagnostic("DuplicateArgument", arg.span, `'${name}' is given twice`));
      continue;
    }
    const value = evaluateConstant(arg.value, callerScope, diagnostics, `the argument '${name}'`);
    if (value !== undefined) given.set(name, value);
  }
  const bound = new Map<string, number>();
  for (const param of target.params) {
    const name = param.name.name;
    const value = overrides?.get(name) ?? given.get(name);
    if (value !== undefined) {
      bound.set(name, value);
      continue;
    }
    if (diagnostics.length > before && !param.default) continue;
    if (!param.default) {
      diagnostics.push(
        diagnostic("MissingArgument", callSpan, `${target.description} needs a value for '${name}'`, {
          related: [{ message: `'${name}' is declared here without a default`, span: param.span }],
          suggestion: `pass it, e.g. ${name} = ...`,
        }),
      );
      continue;
    }
    const scope = new Map([...target.defaultsScope, ...bound]);
    const value2 = evaluateConstant(param.default, scope, diagnostics, `the default of '${name}'`);
    if (value2 !== undefined) bound.set(name, value2);
  }
  return diagnostics.length > before ? undefined : bound;
}
