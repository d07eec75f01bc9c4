// The step IR: what an optimizer does, with every hyperparameter bound to a number and every
// procedure inlined. Emitters translate it to a backend; nothing here knows about code.
//
// Execution model (shared by every emitter):
// - A trajectory holds a point w, a gradient g that is either valid for the current
//   evaluation point or stale, the iteration count t (updates done), the gradient
//   evaluations spent, and an ascent offset e (SAM) that moves where the next gradient is
//   taken without moving w.
// - Each pass of a loop (the optimizer's iteration, a `repeat` pass, a hop) starts with a
//   stale gradient. The first step that needs the gradient spends one evaluation; a step
//   that moves w or e makes it stale again.
// - The budget is checked before every gradient evaluation and before every model
//   perturbation: when it is spent the trajectory stops there (a pending ascent offset is
//   dropped, so w is the restored point); inside a hop, the candidate is still judged.

export type StateQuantity = "gradnorm" | "t" | "evals" | "loss";

export type ValueIR =
  | { readonly op: "const"; readonly value: number }
  | { readonly op: "state"; readonly name: StateQuantity }
  | { readonly op: "neg"; readonly operand: ValueIR }
  | { readonly op: "binary"; readonly operator: "+" | "-" | "*" | "/" | "^"; readonly left: ValueIR; readonly right: ValueIR }
  | { readonly op: "call"; readonly fn: string; readonly arg: ValueIR };

export type CondIR =
  | { readonly op: "compare"; readonly operator: "<" | "<=" | ">" | ">=" | "==" | "!="; readonly left: ValueIR; readonly right: ValueIR }
  | { readonly op: "and" | "or"; readonly left: CondIR; readonly right: CondIR }
  | { readonly op: "not"; readonly operand: CondIR };

export type DistributionFamily = "ball" | "gaussian" | "sphere";

export type UpdateMethod =
  | { readonly kind: "sgd" }
  | { readonly kind: "momentum"; readonly beta: number; readonly nesterov: boolean }
  | { readonly kind: "adam"; readonly beta1: number; readonly beta2: number; readonly epsilon: number };

export type Acceptance =
  | { readonly rule: "always" }
  | { readonly rule: "lower" }
  | { readonly rule: "metropolis"; readonly temperature: number };

export type Step =
  /** g += zeta, or w += zeta (then g is stale); zeta from the distribution with scale `scale`. */
  | { readonly op: "perturb"; readonly target: "gradient" | "model"; readonly family: DistributionFamily; readonly scale: number }
  /** e = radius * g (/ |g| when normalized): the next gradient is taken at w + e. */
  | { readonly op: "ascend"; readonly radius: number; readonly normalized: boolean }
  /** w -= rate * direction(g); clears e; t += 1. `slot` names the method's own state. */
  | { readonly op: "descend"; readonly rate: number; readonly method: UpdateMethod; readonly slot: number }
  /** Runs `body` when `condition` holds (conditions reading gradnorm spend the gradient first). */
  | { readonly op: "if"; readonly condition: CondIR; readonly body: readonly Step[] }
  /** At most `times` passes of `body`; `until` is tested before each pass. */
  | { readonly op: "repeat"; readonly times: number; readonly until?: CondIR; readonly body: readonly Step[] }
  /** A basin hop from the accepted point: `body` makes a candidate; `accept` decides. */
  | { readonly op: "hop"; readonly body: readonly Step[]; readonly accept: Acceptance };

export interface OptimizerIR {
  /** The name used in results (the alias in `run SAM(rho = 0.1) as SAM01`). */
  readonly name: string;
  /** The optimizer declaration it came from. */
  readonly declaration: string;
  readonly params: Readonly<Record<string, number>>;
  /** Runs once before the loop. */
  readonly start: readonly Step[];
  /** One iteration; repeated until the budget is spent. */
  readonly loop: readonly Step[];
  /** Number of descend slots (update-method states) used. */
  readonly slots: number;
}

/** True when the condition reads the gradient norm (so testing it spends the gradient). */
export function conditionReadsGradient(c: CondIR): boolean {
  return conditionReads(c, "gradnorm");
}

/** True when the condition reads the loss f(w). */
export function conditionReadsLoss(c: CondIR): boolean {
  return conditionReads(c, "loss");
}

/** True when the condition reads the state quantity `name`. */
export function conditionReads(c: CondIR, name: StateQuantity): boolean {
  switch (c.op) {
    case "compare":
      return valueReads(c.left, name) || valueReads(c.right, name);
    case "not":
      return conditionReads(c.operand, name);
    default:
      return conditionReads(c.left, name) || conditionReads(c.right, name);
  }
}

function valueReads(v: ValueIR, name: StateQuantity): boolean {
  switch (v.op) {
    case "const":
      return false;
    case "state":
      return v.name === name;
    case "neg":
      return valueReads(v.operand, name);
    case "call":
      return valueReads(v.arg, name);
    case "binary":
      return valueReads(v.left, name) || valueReads(v.right, name);
  }
}

/** Every step, depth first: each `if`, `repeat` and `hop` followed by the steps of its body. */
export function flattenSteps(steps: readonly Step[]): Step[] {
  return steps.flatMap((s) => (s.op === "if" || s.op === "repeat" || s.op === "hop" ? [s, ...flattenSteps(s.body)] : [s]));
}
