// What every emitter tracks statically while it walks the step IR (see compiler/lower/ir.ts):
// whether the gradient is valid for the current evaluation point, and whether a SAM ascent
// offset is pending. "unknown" means the emitted code tracks it at run time.
import type { Validity } from "../lower/cost.js";

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
