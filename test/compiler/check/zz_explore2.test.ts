import { it } from "vitest";
import { diagnose } from "./helpers.js";
import { formatDiagnostic } from "../../../compiler/index.js";
it("explore2", () => {
  const a = diagnose('import "std/landscapes"\nlandscape Himmelblau { vars x in [-1, 1] f = x^2 }');
  console.log(a.diagnostics.map((d) => [d.span.file, d.related.map((r) => r.span.file)]));
  const b = diagnose('import "std/landscapes"\nimport "std/optimizers"\nexperiment E { on Rastrigin(n = 0) run GD restarts 1 budget 1 iterations }');
  console.log(b.diagnostics.map((d) => [d.span.file, d.related]));
  const c = diagnose('import "/virtual/lib.optspec"\nimport "std/landscapes"\nexperiment E { on Himmelblau run Used restarts 1 budget 10 gradients }', { "/virtual/lib.optspec": "optimizer Used { descend 1 }\noptimizer NotUsed { descend 1 }\nlandscape Lib { vars x in [0, 1] f = x }" });
  console.log(c.diagnostics);
  const d = diagnose('landscape L { vars x in [5, -5] f = x^2 }');
  console.log(formatDiagnostic(d.diagnostics[0]!, (f) => (f === "/virtual/spec.optspec" ? d.text : undefined)));
  const e = diagnose('import "/virtual/a.optspec"\noptimizer O { descend 1 }', { "/virtual/a.optspec": 'import "/virtual/spec.optspec"\noptimizer P { descend 1 }' });
  console.log(e.diagnostics);
  const f = diagnose('import "std/landscapes"\nimport "std/optimizers"\nlandscape L(n = 1) { vars x in [-n, n] f = x^2 minima { M global at (0) } }\nexperiment E { on L(n = 0) run GD restarts 1 budget 1 iterations }');
  console.log(f.diagnostics.map((d) => [d.message, d.span.start, d.related]));
  const g = diagnose('import "std/landscapes"\nimport "std/optimizers"\nlandscape L(n = 1) { vars x in [-1, 1] f = (x-n)^2 minima { M global at (n) } }\nexperiment E { on L(n = 5) run GD restarts 1 budget 1 iterations }');
  console.log(g.diagnostics.map((d) => [d.message, d.span.start, d.related]));
});
