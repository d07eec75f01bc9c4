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
  const { paths, exact, after } = analyze(steps, before);
  return { min: Math.min(...paths.values()), exact, after };
}

/** The fewest evaluations that reach each state of the gradient (valid or stale). */
type Paths = Map<"valid" | "stale", number>;

/**
 * stepsCost, with the fewest evaluations followed along each path to each gradient state (a
 * single "unknown" state would count a later need as free on the path that skipped an `if`'s
 * evaluation: `perturb gradient ball(1) when t > 5; descend lr` spends one on every path).
 */
function analyze(steps: readonly Step[], before: Validity): { paths: Paths; exact: number | undefined; after: Validity } {
  let paths: Paths = before === "unknown" ? new Map([["valid", 0], ["stale", 0]]) : new Map([[before, 0]]);
  let exact: number | undefined = 0;
  let state = before;
  const need = () => {
    if (state === "stale") {
      if (exact !== undefined) exact += 1;
    } else if (state === "unknown") exact = undefined;
    state = "valid";
    paths = needPaths(paths);
  };
  const spend = (evaluations: number) => (paths = new Map([["stale", Math.min(...paths.values()) + evaluations]]));
  for (const step of steps) {
    switch (step.op) {
      case "perturb":
        if (step.target === "gradient") need();
        else {
          state = "stale";
          spend(0);
        }
        break;
      case "ascend":
      case "descend":
        need();
        state = "stale";
        spend(0);
        break;
      case "if": {
        if (conditionReadsGradient(step.condition)) need();
        const body = stepsCost(step.body, state);
        if (body.exact !== 0 || body.after !== state) exact = undefined;
        if (body.after !== state) state = "unknown";
        // Taken or not: each path's state and count, merged.
        const taken = [...paths].map(([s, cost]) => ({ cost, body: analyze(step.body, s).paths }));
        for (const { cost, body: b } of taken) for (const [s, more] of b) paths.set(s, Math.min(paths.get(s) ?? Infinity, cost + more));
        break;
      }
      case "repeat": {
        const pass = passCost(step.body, step.until !== undefined && conditionReadsGradient(step.until));
        // for (i = 0; i < times; i++): ceil(times) passes.
        const passes = Math.max(0, Math.ceil(step.times));
        spend(passes === 0 ? 0 : step.until ? pass.checkOnly : passes * pass.min);
        if (exact !== undefined) exact = passes > 0 && (step.until || pass.exact === undefined) ? undefined : exact + passes * (pass.exact ?? 0);
        state = "stale";
        break;
      }
      case "hop": {
        const body = stepsCost(step.body, "stale");
        spend(body.min);
        if (exact !== undefined) exact = body.exact === undefined ? undefined : exact + body.exact;
        state = "stale";
        break;
      }
    }
  }
  return { paths, exact, after: state };
}

/** After a need: a stale path spends one evaluation; every path ends valid. */
function needPaths(paths: Paths): Paths {
  return new Map([["valid", Math.min(...[...paths].map(([s, cost]) => (s === "stale" ? cost + 1 : cost)))]]);
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
