// Lowering of a landscape instance (declaration + bound parameters) to what emitters and
// the runtime need: flattened coordinates, the domain box, the symbolic objective and its
// gradient, and the declared minima as points.
import type { LandscapeDecl, Point } from "../../grammar/index.js";
import { diagnostic, type Diagnostic } from "../diagnostics/diagnostic.js";
import { bindArguments, builtinConstants, builtinFunctions, evaluateChecked, evaluateConstant, type Scope } from "../resolve/constants.js";
import type { Argument, Expr, Span } from "../../grammar/index.js";
import { didYouMean } from "../diagnostics/suggest.js";
import { evaluate, fromAst, gradient, SymbolicError, type Expr as SymExpr, type SymbolEnv } from "../symbolic/index.js";

export interface MinimumIR {
  readonly name: string;
  readonly kind: "global" | "local";
  readonly at: readonly number[];
  /** f at the minimum (absent in results written before it was recorded). */
  readonly value?: number;
}

export interface LandscapeIR {
  /** The name used in results (the alias in `on Rastrigin(n = 2) as Rastrigin2`). */
  readonly name: string;
  readonly declaration: string;
  readonly params: Readonly<Record<string, number>>;
  readonly dims: number;
  /** Display names of the coordinates: `x`, `y`, or `x[1]` ... `x[n]`. */
  readonly coordinates: readonly string[];
  readonly lower: readonly number[];
  readonly upper: readonly number[];
  readonly objective: SymExpr;
  readonly gradient: readonly SymExpr[];
  readonly minima: readonly MinimumIR[];
}

/** The most coordinates a landscape may have: kernels keep every coordinate in a variable. */
export const MAX_COORDINATES = 10_000;

/** Lowers `decl` with `args` (from an experiment's `on` clause); undefined after reporting errors. */
export function lowerLandscape(
  decl: LandscapeDecl,
  args: readonly Argument[],
  callSpan: Span,
  name: string,
  diagnostics: Diagnostic[],
): LandscapeIR | undefined {
  const before = diagnostics.length;
  const params = bindArguments(
    { description: `landscape '${decl.name.name}'`, params: decl.params, defaultsScope: new Map() },
    args,
    new Map(),
    callSpan,
    diagnostics,
  );
  if (!params) return undefined;
  const scope: Scope = params;
  const variables = new Map<string, { offset: number; size?: number }>();
  const coordinates: string[] = [];
  const lower: number[] = [];
  const upper: number[] = [];
  for (const v of decl.variables) {
    const lo = evaluateConstant(v.domain.lo, scope, diagnostics, "a domain bound");
    const hi = evaluateConstant(v.domain.hi, scope, diagnostics, "a domain bound");
    let size: number | undefined;
    if (v.size) {
      size = evaluateChecked(v.size, scope, diagnostics, {
        what: `the size of '${v.name.name}'`,
        valid: (n) => Number.isInteger(n) && n >= 1 && n <= MAX_COORDINATES,
        code: "BadDimension",
        explain: `a vector variable needs a positive integer size of at most ${MAX_COORDINATES}`,
      });
      if (size === undefined) continue;
    }
    if (lo !== undefined && hi !== undefined && (!Number.isFinite(lo) || !Number.isFinite(hi))) {
      diagnostics.push(diagnostic("EmptyDomain", v.domain.span, `the domain of '${v.name.name}' is [${lo}, ${hi}]; both bounds must be finite numbers`, { suggestion: "give a bounded box: it is where 'init uniform' draws starting points" }));
    } else if (lo !== undefined && hi !== undefined && !(lo < hi)) {
      diagnostics.push(
        diagnostic("EmptyDomain", v.domain.span, `the domain of '${v.name.name}' is [${lo}, ${hi}], which is ${lo === hi ? "empty" : "reversed"}`, {
          suggestion: lo > hi ? `write [${hi}, ${lo}]` : "give the lower bound first and make it smaller than the upper bound",
        }),
      );
    }
    variables.set(v.name.name, { offset: coordinates.length, ...(size !== undefined ? { size } : {}) });
    const count = size ?? 1;
    for (let i = 1; i <= count; i++) {
      coordinates.push(size === undefined ? v.name.name : `${v.name.name}[${i}]`);
      lower.push(lo ?? NaN);
      upper.push(hi ?? NaN);
    }
  }
  if (decl.variables.length === 0) diagnostics.push(diagnostic("NoVariables", decl.name.span, `landscape '${decl.name.name}' declares no variables`, { suggestion: "add e.g. 'vars x in [-1, 1]'" }));
  if (diagnostics.length > before || !decl.objective) return undefined;

  if (!reportUnknownNames(decl.objective, new Set([...scope.keys(), ...variables.keys()]), diagnostics)) return undefined;
  const env: SymbolEnv = { constants: scope, variables };
  let objective: SymExpr;
  try {
    objective = fromAst(decl.objective, env);
  } catch (error) {
    if (!(error instanceof SymbolicError)) throw error;
    diagnostics.push(diagnostic("InvalidFormula", error.span, error.message));
    return undefined;
  }
  const dims = coordinates.length;
  const minima: MinimumIR[] = [];
  for (const m of decl.minima) {
    const at = pointCoordinates(m.at, dims, scope, diagnostics, `minimum '${m.name.name}'`);
    if (at) minima.push({ name: m.name.name, kind: m.label, at });
  }
  if (diagnostics.length > before) return undefined;
  const valued = minima.map((m) => ({ ...m, value: evaluate(objective, m.at) }));
  return { name, declaration: decl.name.name, params: Object.fromEntries(params), dims, coordinates, lower, upper, objective, gradient: gradient(objective, dims), minima: valued };
}

/** The coordinates of a written point (`(a, b)` or `all(c)`), checked against `dims`. */
export function pointCoordinates(
  point: Point,
  dims: number,
  scope: Scope,
  diagnostics: Diagnostic[],
  what: string,
  code: "MinimumDimension" | "InitDimension" = "MinimumDimension",
): number[] | undefined {
  if (point.kind === "PointFill") {
    const value = evaluateConstant(point.value, scope, diagnostics, `the coordinates of ${what}`);
    return value === undefined ? undefined : Array.from({ length: dims }, () => value);
  }
  if (point.coordinates.length !== dims) {
    diagnostics.push(
      diagnostic(code, point.span, `${what} has ${point.coordinates.length} coordinate${point.coordinates.length === 1 ? "" : "s"}, but the landscape has ${dims} dimension${dims === 1 ? "" : "s"}`, {
        suggestion: dims > 3 ? "use 'all(c)' to give every coordinate the same value" : `give ${dims} coordinate${dims === 1 ? "" : "s"}`,
      }),
    );
    return undefined;
  }
  const values = point.coordinates.map((c) => evaluateConstant(c, scope, diagnostics, `the coordinates of ${what}`));
  return values.every((v): v is number => v !== undefined) ? values : undefined;
}

/** Reports each name in a formula that is no variable, parameter, sum index or constant; false if any. */
function reportUnknownNames(formula: Expr, known: ReadonlySet<string>, diagnostics: Diagnostic[]): boolean {
  let ok = true;
  const visit = (e: Expr, bound: ReadonlySet<string>): void => {
    switch (e.kind) {
      case "Name":
        if (!bound.has(e.name) && !known.has(e.name) && !(e.name in builtinConstants)) {
          ok = false;
          const hint = didYouMean(e.name, [...known, ...bound, ...Object.keys(builtinConstants)]);
          diagnostics.push(diagnostic("UnknownName", e.span, `unknown name '${e.name}' in the formula`, { suggestion: hint ?? `the formula may use the variables and parameters (${[...known].join(", ")}), pi and e` }));
        }
        return;
      case "Index":
        visit(e.index, bound);
        if (!known.has(e.target.name)) {
          ok = false;
          const hint = didYouMean(e.target.name, [...known]);
          diagnostics.push(diagnostic("UnknownName", e.target.span, `unknown vector variable '${e.target.name}'`, hint ? { suggestion: hint } : {}));
        }
        return;
      case "Unary":
        return visit(e.operand, bound);
      case "Binary":
        visit(e.left, bound);
        return visit(e.right, bound);
      case "Call":
        if (!(e.callee.name in builtinFunctions)) {
          ok = false;
          diagnostics.push(diagnostic("UnknownName", e.callee.span, `unknown function '${e.callee.name}'`, { suggestion: didYouMean(e.callee.name, Object.keys(builtinFunctions)) ?? `functions: ${Object.keys(builtinFunctions).join(", ")}` }));
        }
        return e.args.forEach((a) => visit(a, bound));
      case "Sum":
        visit(e.from, bound);
        visit(e.to, bound);
        return visit(e.body, new Set([...bound, e.index.name]));
      case "Number":
        return;
    }
  };
  visit(formula, new Set());
  return ok;
}
