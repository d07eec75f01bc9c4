// In a spec that runs experiments, every landscape, optimizer and procedure it declares
// itself is used by one of them (directly, through an alias, or as a called procedure).
// Imported files are libraries: their unused declarations are not reported.
import type { Statement } from "../../../grammar/index.js";
import { diagnostic } from "../../diagnostics/diagnostic.js";
import { describe } from "../../resolve/symbols.js";
import type { CheckContext } from "../context.js";

export function checkUnused(ctx: CheckContext): void {
  const { symbols } = ctx;
  if (![...symbols.experiments.values()].length) return;
  const used = new Set<string>();
  const visitStatements = (statements: readonly Statement[]) => {
    for (const s of statements) {
      if (s.kind === "CallStatement") useName(s.callee.name);
      if (s.kind === "Repeat" || s.kind === "Hop" || s.kind === "Start") visitStatements(s.body);
    }
  };
  const useName = (name: string) => {
    if (used.has(name)) return;
    used.add(name);
    const decl = symbols.all.get(name);
    if (!decl) return;
    if (decl.kind === "OptimizerAlias") useName(decl.target.callee.name);
    if (decl.kind === "Optimizer" || decl.kind === "Procedure") visitStatements(decl.body);
  };
  for (const experiment of symbols.experiments.values()) {
    for (const clause of experiment.clauses) {
      if (clause.kind === "On") clause.targets.forEach((t) => useName(t.callee.name));
      if (clause.kind === "Run") clause.optimizers.forEach((t) => useName(t.callee.name));
    }
  }
  for (const decl of symbols.rootDeclarations) {
    if (decl.kind === "Experiment" || used.has(decl.name.name) || symbols.all.get(decl.name.name) !== decl) continue;
    ctx.diagnostics.push(diagnostic("UnusedDeclaration", decl.name.span, `${describe(decl)} is declared but no experiment uses it`, { suggestion: "add it to an experiment's 'on' or 'run' clause, or remove it" }));
  }
}
