// Every optimizer lowers with its default parameters, and every pass of its loop spends at
// least one gradient evaluation (otherwise a gradient budget would never run out).
import type { Invocation, OptimizerDecl } from "../../../grammar/index.js";
import { diagnostic } from "../../diagnostics/diagnostic.js";
import { loopPassCost } from "../../lower/cost.js";
import { lowerOptimizer } from "../../lower/optimizer.js";
import type { CheckContext } from "../context.js";

export function checkOptimizers(ctx: CheckContext): void {
  for (const decl of ctx.symbols.optimizers.values()) {
    if (decl.kind === "Optimizer" && decl.params.some((p) => !p.default)) continue; // checked where used
    const invocation: Invocation = { kind: "Invocation", callee: decl.name, span: decl.name.span };
    const ir = lowerOptimizer(invocation, ctx.symbols, ctx.diagnostics);
    if (!ir || decl.kind !== "Optimizer") continue;
    checkSpendsBudget(decl, ir.loop, ctx);
  }
}

function checkSpendsBudget(decl: OptimizerDecl, loop: Parameters<typeof loopPassCost>[0], ctx: CheckContext) {
  if (loop.length === 0) {
    ctx.diagnostics.push(diagnostic("CannotSpendBudget", decl.name.span, `optimizer '${decl.name.name}' has an empty loop, so it never spends its budget`, { suggestion: "add a step such as 'descend lr'" }));
    return;
  }
  if (loopPassCost(loop).min < 1)
    ctx.diagnostics.push(
      diagnostic("CannotSpendBudget", decl.name.span, `a pass of optimizer '${decl.name.name}' can end without evaluating a gradient, so a gradient budget may never run out`, {
        suggestion: "make every pass use the gradient unconditionally (e.g. 'descend lr' outside any 'when' guard)",
      }),
    );
}
