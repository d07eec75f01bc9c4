// Lowering of a landscape instance (declaration + bound parameters) to what emitters and
// the runtime need: flattened coordinates, the domain box, the symbolic objective and its
// gradient, and the declared minima as points.
import type { LandscapeDecl, Point } from "../../grammar/index.js";
import { diagnostic, type Diagnostic } from "../diagnostics/diagnostic.js";
import { bindArguments, evaluateChecked, evaluateConstant, type Scope } from "../resolve/constants.js";
import type { Argument, Span } from "../../grammar/index.js";
import { fromAst, gradient, SymbolicError, type Expr as SymExpr, type SymbolEnv } from "../symbolic/index.js";

export interface MinimumIR {
  readonly name: string;
  readonly kind: "global" | "local";
  readonly at: readonly number[];
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
        valid: (n) => Number.isInteger(n) && n >= 1,
        code: "BadDimension",
        explain: "a vector variable needs a positive integer size",
      });
      if (size === undefined) continue;
    }
    if (lo !== undefined && hi !== undefined && !(lo < hi)) {
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
  return { name, declaration: decl.name.name, params: Object.fromEntries(params), dims, coordinates, lower, upper, objective, gradient: gradient(objective, dims), minima };
}

/** The coordinates of a written point (`(a, b)` or `all(c)`), checked against `dims`. */
export function pointCoordinates(point: Point, dims: number, scope: Scope, diagnostics: Diagnostic[], what: string): number[] | undefined {
  if (point.kind === "PointFill") {
    const value = evaluateConstant(point.value, scope, diagnostics, `the coordinates of ${what}`);
    return value === undefined ? undefined : Array.from({ length: dims }, () => value);
  }
  if (point.coordinates.length !== dims) {
    diagnostics.push(
      diagnostic("MinimumDimension", point.span, `${what} has ${point.coordinates.length} coordinate${point.coordinates.length === 1 ? "" : "s"}, but the landscape has ${dims} dimension${dims === 1 ? "" : "s"}`, {
        suggestion: dims > 3 ? "use 'all(c)' to give every coordinate the same value" : `give ${dims} coordinates`,
      }),
    );
    return undefined;
  }
  const values = point.coordinates.map((c) => evaluateConstant(c, scope, diagnostics, `the coordinates of ${what}`));
  return values.every((v): v is number => v !== undefined) ? values : undefined;
}
