// Static gradient cost of a sequence of steps: the fewest evaluations it can spend, and the
// exact number when that does not depend on the data. The first decides whether a loop can
// spend its budget (a loop that may spend nothing never ends); the second lets emitters
// run several trajectories in lockstep.
import { conditionReadsGradient, type Step } from "./ir.js";

export type Validity = "valid" | "stale" | "unknown";

export interface Cost {
  /** Fewest gradient evaluations the steps can spend. */
  readonly min: number;
  /** Exact number of evaluations, when the data cannot change it. */
  readonly exact: number | undefined;
  /** Whether the gradient is valid after the steps. */
  readonly after: Validity;
}

/** The cost of `steps` entered with the gradient in state `before`. */
export function stepsCost(steps: readonly Step[], before: Validity): Cost {
  let min = 0;
  let exact: number | undefined = 0;
  let state = before;
  const need = () => {
    if (state === "stale") {
      min += 1;
      if (exact !== undefined) exact += 1;
    } else if (state === "unknown") exact = undefined;
    state = "valid";
  };
  for (const step of steps) {
    switch (step.op) {
      case "perturb":
        if (step.target === "gradient") need();
        else state = "stale";
        break;
      case "ascend":
      case "descend":
        need();
        state = "stale";
        break;
      case "if": {
        if (conditionReadsGradient(step.condition)) need();
        const body = stepsCost(step.body, state);
        if (body.exact !== 0 || body.after !== state) exact = undefined;
        if (body.after !== state) state = "unknown";
        break;
      }
      case "repeat": {
        const pass = passCost(step.body, step.until !== undefined && conditionReadsGradient(step.until));
        min += step.until ? pass.checkOnly : step.times * pass.min;
        if (exact !== undefined) exact = step.until || pass.exact === undefined ? undefined : exact + step.times * pass.exact;
        state = "stale";
        break;
      }
      case "hop": {
        const body = stepsCost(step.body, "stale");
        min += body.min;
        if (exact !== undefined) exact = body.exact === undefined ? undefined : exact + body.exact;
        state = "stale";
        break;
      }
    }
  }
  return { min, exact, after: state };
}

/** One pass of a loop body, which starts with a stale gradient. */
function passCost(body: readonly Step[], untilReadsGradient: boolean) {
  const cost = stepsCost(body, untilReadsGradient ? "valid" : "stale");
  const check = untilReadsGradient ? 1 : 0;
  return { min: check + cost.min, exact: cost.exact === undefined ? undefined : check + cost.exact, checkOnly: check };
}

/** The cost of one pass of an optimizer's loop. */
export function loopPassCost(loop: readonly Step[]): Cost {
  return stepsCost(loop, "stale");
}
