// Shared fixtures and helpers for the grammar tests.

import type { Condition, Declaration, Expr, Program } from "../../grammar/index.js";

const MARKER = "⟨here⟩";

export interface MarkedPosition {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

/** Strips every `⟨here⟩` from `source` and returns the text with the positions they marked. */
export function marked(source: string): { text: string; at: MarkedPosition[] } {
  const at: MarkedPosition[] = [];
  let text = "";
  let rest = source;
  for (let index = rest.indexOf(MARKER); index >= 0; index = rest.indexOf(MARKER)) {
    text += rest.slice(0, index);
    rest = rest.slice(index + MARKER.length);
    const lines = text.split("\n");
    at.push({ offset: text.length, line: lines.length, column: lines[lines.length - 1]!.length + 1 });
  }
  return { text: text + rest, at };
}

/** A Lisp-like rendering of an expression tree: `-x^2` is `(neg (^ x 2))`. */
export function shape(expr: Expr): string {
  switch (expr.kind) {
    case "Number":
      return String(expr.value);
    case "Name":
      return expr.name;
    case "Index":
      return `${expr.target.name}[${shape(expr.index)}]`;
    case "Call":
      return `${expr.callee.name}(${expr.args.map(shape).join(" ")})`;
    case "Sum":
      return `(sum ${expr.index.name} ${shape(expr.from)} ${shape(expr.to)} ${shape(expr.body)})`;
    case "Unary":
      return `(neg ${shape(expr.operand)})`;
    case "Binary":
      return `(${expr.operator} ${shape(expr.left)} ${shape(expr.right)})`;
  }
}

/** Like `shape`, for conditions. */
export function conditionShape(condition: Condition): string {
  switch (condition.kind) {
    case "Comparison":
      return `(${condition.operator} ${shape(condition.left)} ${shape(condition.right)})`;
    case "Logical":
      return `(${condition.operator} ${conditionShape(condition.left)} ${conditionShape(condition.right)})`;
    case "Not":
      return `(not ${conditionShape(condition.operand)})`;
  }
}

/** The declared name: an import's path, a hypothesis's string, the others' identifier. */
export function nameOf(declaration: Declaration): string {
  switch (declaration.kind) {
    case "Import":
      return declaration.path;
    case "Hypothesis":
      return declaration.name;
    default:
      return declaration.name.name;
  }
}

/** The declaration named `name`, which must exist and be of kind `kind`. */
export function declaration<K extends Program["declarations"][number]["kind"]>(
  program: Program,
  kind: K,
  name?: string,
): Extract<Program["declarations"][number], { kind: K }> {
  const found = program.declarations.find((d) => d.kind === kind && (name === undefined || nameOf(d) === name));
  if (!found) throw new Error(`no ${kind} ${name ?? ""} in program`);
  return found as Extract<Program["declarations"][number], { kind: K }>;
}

export const PAPER_EXAMPLE = `// The paper's synthetic study
import "std/landscapes"
import "../shared.optspec"

landscape Himmelblau {
  vars x in [-5, 5], y in [-5, 5]
  f = (x^2 + y - 11)^2 + (x + y^2 - 7)^2
  minima {
    GM1 global at (3, 2)
    GM2 global at (-2.805118, 3.131312)
  }
}

landscape Rastrigin(n = 10) {
  vars x[n] in [-5.12, 5.12]
  f = 10*n + sum(i in 1..n, x[i]^2 - 10*cos(2*pi*x[i]))
  minima { GM global at all(0) }
}

optimizer GD(lr = 1e-3) { descend lr }
optimizer NiG_GD(lr = 1e-3, rho = 10) { perturb gradient ball(rho); descend lr }
optimizer NiM_GD(lr = 1e-3, rho = 0.5, eps = 1e-2, tau = 100) {
  perturb model ball(rho) when gradnorm < eps and t > tau
  descend lr
}
optimizer SAM(lr = 1e-3, rho = 0.05) { ascend rho normalized; descend lr }
optimizer Heavy(lr = 1e-3) { descend lr with momentum(beta = 0.9) }
optimizer SAM_wide = SAM(rho = 0.1)

procedure LocalSearch(lr, tau, eps) { repeat tau { descend lr } until gradnorm < eps }

optimizer NiM_MBH(lr = 1e-3, rho = 0.5, tau = 200, eps = 1e-2) {
  start LocalSearch(lr, tau, eps)
  hop {
    perturb model ball(rho)
    LocalSearch(lr = lr, tau = tau, eps = eps)
    accept if lower
  }
}
optimizer Anneal(T = 0.5) {
  start { LocalSearch(1e-3, 200, 1e-2) }
  hop { perturb model gaussian(0.1); LocalSearch(1e-3, 200, 1e-2); accept metropolis(T) }
}

experiment Table1 {
  on Himmelblau, Rastrigin(n = 2) as Rastrigin2
  run GD, NiG_GD, SAM(rho = 0.1) as SAM01, NiM_MBH
  restarts 500
  budget 5000 gradients
  init uniform
  seed 42
  assign nearest minimum within 0.1
}
experiment Local {
  on Himmelblau
  run GD
  restarts 10
  budget 100 iterations
  init uniform in [-1, 1], [0, 2]
}
experiment Fixed { on Himmelblau run GD restarts 1 budget 10 gradients init at (1, 2) }
`;

/** Standard-library style declarations, covering what the paper example does not. */
export const STANDARD_LIBRARY_STYLE = `/* Landscapes and optimizers in the style of std/.
   A block comment over two lines. */
landscape Sphere(n = 2) {
  vars x[n] in [-5.12, 5.12]
  f = sum(i in 1..n, x[i]^2)
  minima { Origin global at all(0) }
}

landscape Rosenbrock(a = 1, b = 100) {
  vars x in [-2, 2], y in [-1, 3]
  f = (a - x)^2 + b*(y - x^2)^2
  minima { M global at (a, a^2); }
}

landscape Ackley(n = 2, a = 20, b = 0.2, c = 2*pi) {
  vars x[n] in [-32.768, 32.768]
  f = -a*exp(-b*sqrt(sum(i in 1..n, x[i]^2)/n)) - exp(sum(i in 1..n, cos(c*x[i]))/n) + a + e
  minima { GM global at all(0), Ridge local at (.5, 2.5E+4); Far local at (1, -1) }
}

landscape Table() {
  vars x in [-10, 10], y in [-10, 10]
  f = -abs(sin(x)*cos(y)*exp(abs(1 - sqrt(x^2 + y^2)/pi)))
}

optimizer Adam(lr = 1e-3, b1 = 0.9, b2 = 0.999) { descend lr with adam(beta1 = b1, beta2 = b2, 1e-8) }
optimizer Momentum(lr = 1e-3) { descend lr with momentum(0.9) as heavy }
optimizer Sphere_NiM(lr = 1e-3, r = 0.1) {
  perturb model sphere(r) when not (loss < 1) or (evals >= 100 and t != 0)
  perturb gradient gaussian(sigma = r / 2) when (gradnorm + 1) * 2 <= 3 and t == 5
  ascend r when t > 10
  descend lr
}
optimizer Restarting(lr = 1e-3) {
  start { descend lr; descend lr * 2 }
  hop { repeat 10 { descend lr }; accept always; }
}
optimizer Empty {}
optimizer Bare = GD
optimizer Defaults = GD()

procedure Polish() { Nothing() when not not gradnorm > 1 }
procedure Twice(lr) {
  repeat 2 {
    descend lr;
  }
}

experiment Everything {
  on Sphere(n = 10), Ackley(n = 5, a = 20) as Ackley5
  run Adam(lr = 1e-2), Momentum
  restarts 2 * 50
  budget 1e4 iterations
  init uniform in [-1, 1]
  seed 7
  assign nearest minimum within 1e-1
}
experiment Idle {}
`;

/** Hypotheses using every claim form, in the style of the paper's analysis. */
export const HYPOTHESES = `experiment Table1 {
  on Himmelblau, SixHumpCamel, Rastrigin(n = 2) as Rastrigin
  run GD, SAM
  restarts 100
  budget 1000 gradients
}

hypothesis "SAM avoids sharp minima" {
  adjust holm
  expect share(Table1.SAM on SixHumpCamel, LM3, LM4) < share(Table1.GD on SixHumpCamel, LM3, LM4) with confidence 0.95
  for each optimizer in Table1 {
    expect chisquare(Table1.optimizer on Himmelblau, uniform(GM1, GM2, GM3, GM4)) not significant at 0.05
  }
  observe mannwhitney(Table1.SAM on Rastrigin.f, Table1.GD on Rastrigin.f, alternative = less)
}

hypothesis "every optimizer finds a global minimum" {
  for each landscape in Table1: expect share(Table1.GD on landscape, GM1, Else) >= 0.5
  for each optimizer in Table1 {
    for each landscape in Table1 {
      observe median(Table1.optimizer on landscape.evals)
      observe 0.1 > quantile(Table1.optimizer on landscape.distance, 0.9)
    }
  }
  expect kruskal(Table1.GD on Himmelblau.f, Table1.SAM on Himmelblau.f) significant at 1e-3
  observe ttest(Table1.GD on Himmelblau.f, Table1.SAM on Himmelblau.f, continuity = 0) not significant at 0.01
  observe 2 <= 3
}

hypothesis "empty" {}
`;
