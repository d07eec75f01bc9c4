// Every optimizer lowers with its default parameters, and every procedure's body names
// things that exist (whether or not an optimizer calls it). Whether a loop can spend its
// budget depends on the budget's kind, so experiments check that (rules/experiments.ts).
import type { Invocation, Statement } from "../../../grammar/index.js";
import { checkProcedureBody, lowerOptimizer } from "../../lower/optimizer.js";
import type { CheckContext } from "../context.js";

export function checkOptimizers(ctx: CheckContext): void {
  for (const decl of ctx.symbols.optimizers.values()) {
    if (decl.kind === "Optimizer" && decl.params.some((p) => !p.default)) continue; // checked where used
    const invocation: Invocation = { kind: "Invocation", callee: decl.name, span: decl.name.span };
    lowerOptimizer(invocation, ctx.symbols, ctx.diagnostics);
  }
  // Procedures an optimizer reaches were checked through it; the others are checked alone.
  const reached = new Set<string>();
  const visit = (statements: readonly Statement[]): void => {
    for (const s of statements) {
      if (s.kind === "CallStatement" && !reached.has(s.callee.name)) {
        reached.add(s.callee.name);
        visit(ctx.symbols.procedures.get(s.callee.name)?.body ?? []);
      }
      if (s.kind === "Repeat" || s.kind === "Hop" || s.kind === "Start") visit(s.body);
    }
  };
  for (const decl of ctx.symbols.optimizers.values()) if (decl.kind === "Optimizer") visit(decl.body);
  for (const proc of ctx.symbols.procedures.values()) if (!reached.has(proc.name.name)) checkProcedureBody(proc, ctx.symbols, ctx.diagnostics);
}
