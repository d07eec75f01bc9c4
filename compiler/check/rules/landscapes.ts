// Every landscape is well formed with its default parameters: non-empty domains, a formula
// that resolves, minima with the right number of coordinates, inside the domain, and
// (a warning) at points where the gradient vanishes.
import type { Identifier, LandscapeDecl } from "../../../grammar/index.js";
import { diagnostic } from "../../diagnostics/diagnostic.js";
import { lowerLandscape, type LandscapeIR } from "../../lower/landscape.js";
import { evaluate } from "../../symbolic/index.js";
import type { CheckContext } from "../context.js";

/** Gradient norms above this at a declared minimum draw a warning. */
export const STATIONARY_TOLERANCE = 1e-2;

export function checkLandscapes(ctx: CheckContext): void {
  for (const decl of ctx.symbols.landscapes.values()) {
    reportDuplicates([...decl.params.map((p) => p.name), ...decl.variables.map((v) => v.name)], "parameter or variable", ctx);
    reportDuplicates(decl.minima.map((m) => m.name), "minimum", ctx);
    if (decl.params.some((p) => !p.default)) continue; // checked where an experiment binds them
    const landscape = lowerLandscape(decl, [], decl.name.span, decl.name.name, ctx.diagnostics);
    if (landscape) checkMinima(decl, landscape, ctx);
  }
}

/** The declared minima of one instance of a landscape: inside the domain, and stationary. */
export function checkMinima(decl: LandscapeDecl, landscape: LandscapeIR, ctx: CheckContext): void {
  for (const minimum of decl.minima) {
    const at = landscape.minima.find((m) => m.name === minimum.name.name)?.at;
    if (!at) continue;
    const outside = at.findIndex((c, i) => c < landscape.lower[i]! || c > landscape.upper[i]!);
    if (outside >= 0) {
      ctx.diagnostics.push(
        diagnostic("MinimumOutsideDomain", minimum.at.span, `minimum '${minimum.name.name}' has ${landscape.coordinates[outside]} = ${at[outside]}, outside the domain [${landscape.lower[outside]}, ${landscape.upper[outside]}]`, {
          suggestion: "fix the coordinate or widen the variable's domain",
        }),
      );
      continue;
    }
    const norm = Math.hypot(...landscape.gradient.map((g) => evaluate(g, at)));
    // A non-finite gradient marks a kink (Ackley's minimum): nothing to check there.
    if (Number.isFinite(norm) && norm > STATIONARY_TOLERANCE)
      ctx.diagnostics.push(
        diagnostic("MinimumNotStationary", minimum.at.span, `the gradient at minimum '${minimum.name.name}' has norm ${norm.toPrecision(3)}, so it is not a stationary point`, {
          suggestion: "check the coordinates (give them to at least 6 decimals)",
        }),
      );
  }
}

function reportDuplicates(names: readonly Identifier[], what: string, ctx: CheckContext) {
  const seen = new Map<string, Identifier>();
  for (const name of names) {
    const first = seen.get(name.name);
    if (first) ctx.diagnostics.push(diagnostic("DuplicateName", name.span, `${what} '${name.name}' is declared twice`, { related: [{ message: "first declared here", span: first.span }] }));
    else seen.set(name.name, name);
  }
}
