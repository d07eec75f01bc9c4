// What every emitter tracks statically while it walks the step IR (see compiler/lower/ir.ts):
// whether the gradient is valid for the current evaluation point, and whether a SAM ascent
// offset is pending. "unknown" means the emitted code tracks it at run time.
import type { Validity } from "../lower/cost.js";
import { flattenSteps, type OptimizerIR, type Step, type UpdateMethod } from "../lower/ir.js";

export type Ascent = "none" | "active" | "unknown";

export interface FlowState {
  gradient: Validity;
  ascent: Ascent;
}

/**
 * Code for one pass of a loop entered with the gradient stale and the ascent `entry`; when a
 * pass leaves the ascent otherwise, the next pass cannot know it, so the code is made again
 * with the ascent tracked at run time.
 */
export function loopPass<T>(entry: Ascent, emitPass: (state: FlowState) => T): { code: T; ascent: Ascent } {
  const state: FlowState = { gradient: "stale", ascent: entry };
  const code = emitPass(state);
  if (state.ascent === entry) return { code, ascent: entry };
  return { code: emitPass({ gradient: "stale", ascent: "unknown" }), ascent: "unknown" };
}

/** The update method of every descend slot of an optimizer's (flattened) steps. */
export function slotKinds(steps: readonly Step[]): Map<number, UpdateMethod["kind"]> {
  return new Map(steps.flatMap((s) => (s.op === "descend" ? [[s.slot, s.method.kind] as const] : [])));
}

/**
 * The state variables of the update methods, in slot order: per coordinate `m` (momentum's
 * velocity, Adam's first moment), and for Adam per coordinate `v` and one step count `n`;
 * `name` spells them for the emitter (`coordinate` is undefined for `n`).
 */
export function slotStateNames(kinds: ReadonlyMap<number, UpdateMethod["kind"]>, dims: number, name: (state: "m" | "v" | "n", slot: number, coordinate?: number) => string): string[] {
  const names: string[] = [];
  for (const [slot, kind] of [...kinds].sort((a, b) => a[0] - b[0])) {
    if (kind === "sgd") continue;
    for (let i = 0; i < dims; i++) names.push(name("m", slot, i));
    if (kind === "adam") {
      for (let i = 0; i < dims; i++) names.push(name("v", slot, i));
      names.push(name("n", slot));
    }
  }
  return names;
}

/** What every emitter asks of an optimizer first: its steps (start and loop, flattened), whether it ascends or hops, its slots' update methods. */
export function optimizerTraits(optimizer: OptimizerIR) {
  const steps = [...flattenSteps(optimizer.start), ...flattenSteps(optimizer.loop)];
  return { steps, hasAscent: steps.some((s) => s.op === "ascend"), hasHop: steps.some((s) => s.op === "hop"), slotKinds: slotKinds(steps) };
}
