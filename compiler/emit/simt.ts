// The control flow of an optimizer as a GPU would run it (SIMT): trajectories whose passes
// differ in cost (basin hops, local searches that stop early, conditional jumps) still run
// side by side, each lane of a group at its own place in the program.
//
// Between two gradient evaluations a trajectory runs straight-line code with branches, never
// a loop: every loop pass needs a gradient first (optimizers whose passes may spend nothing
// are not run this way). So one evaluation for every lane, then one sweep through the program's
// places in a fixed (topological) order, each place run under the mask of the lanes that are
// there, brings every lane to the place where it needs its next gradient: its *site*. The
// lanes then spend one evaluation each, together; every active lane of a group has spent the
// same number of evaluations, so the budget is one test for the group.
//
// This module only builds that graph of places from the step IR; emit-wasm.ts writes the code.
import { conditionReadsGradient, type OptimizerIR, type Step } from "../lower/ir.js";
import { optimizerTraits } from "./flow.js";

export type Grad = "valid" | "stale";

type Owner = Extract<Step, { op: "repeat" | "hop" | "if" }>;

/** A sequence of steps: the optimizer's `start`, its loop, or the body of a repeat, hop or if. */
export interface Sequence {
  readonly steps: readonly Step[];
  readonly owner: "start" | "loop" | Owner;
  /** Where the owning step is: its sequence and index (for bodies). */
  readonly parent?: { readonly seq: number; readonly index: number };
  /** Where a budget check inside leaves to: an index into SimtGraph.exits. */
  readonly exit: number;
  /** The repeat's counter (repeat bodies): a number unique in the optimizer. */
  readonly counter?: number;
}

/**
 * Where an exhausted trajectory goes (a budget check's label): the end of the trajectory, the
 * end of `start` (which sets the accepted point), or the end of a hop (which judges the candidate).
 */
export type Exit = { readonly kind: "traj" } | { readonly kind: "start" } | { readonly kind: "hop"; readonly hop: Extract<Step, { op: "hop" }> };

/**
 * A place in the program: about to run step `index` of a sequence (index = length: its end,
 * where the owner's tail runs) with the gradient valid or stale; the count test at the top of
 * a repeat's pass; its `until` test; or the top of the optimizer's loop (the iteration cap).
 */
export type Place =
  | { readonly kind: "step"; readonly seq: number; readonly index: number; readonly grad: Grad }
  | { readonly kind: "top"; readonly seq: number }
  | { readonly kind: "until"; readonly seq: number; readonly grad: Grad }
  | { readonly kind: "loopTop" };

/**
 * What a place does after its own code: wait for the next gradient (the place is a site), go
 * on to the next place, or split its lanes by a test (`yes` where it holds).
 */
export type Flow = { readonly kind: "park" } | { readonly kind: "next"; readonly next: string } | { readonly kind: "split"; readonly yes: string; readonly no: string };

export interface SimtGraph {
  readonly sequences: readonly Sequence[];
  readonly exits: readonly Exit[];
  readonly places: ReadonlyMap<string, Place>;
  /** The parked places (gradient stale), in a fixed order: a lane's site is its index here. */
  readonly sites: readonly string[];
  /** The place every trajectory starts at. */
  readonly entry: string;
  flow(key: string): Flow;
  /** Where a lane waiting at site `key` resumes once its gradient is evaluated. */
  resume(site: string): string;
  /** The exit (an index into `exits`) a budget check at site `key` leaves to. */
  exitOf(site: string): number;
  /** The places reachable from `roots` without a gradient evaluation, in an order where every place follows all that lead to it. */
  order(roots: readonly string[]): string[];
  /** How many places lead to each place of `order` (within those places). */
  inDegrees(order: readonly string[]): Map<string, number>;
}

/** Why an optimizer does not run as SIMT (it runs one trajectory at a time instead). */
export class NotSimt extends Error {}

export function placeKey(p: Place): string {
  switch (p.kind) {
    case "step":
      return `s${p.seq}.${p.index}.${p.grad}`;
    case "top":
      return `t${p.seq}`;
    case "until":
      return `u${p.seq}.${p.grad}`;
    case "loopTop":
      return "loop";
  }
}

/** At most this many places: a program that branches more than this runs one trajectory at a time. */
const MAX_PLACES = 400;

/**
 * The SIMT graph of `optimizer`, or NotSimt when it has what the lanes cannot share: a SAM
 * ascent (its offset moves where the gradient is taken), Adam (Math.pow per lane), a
 * Metropolis acceptance, or a loop pass that may need no gradient.
 */
export function simtGraph(optimizer: OptimizerIR): SimtGraph {
  for (const s of optimizerTraits(optimizer).steps) {
    if (s.op === "ascend") throw new NotSimt("an ascent");
    if (s.op === "descend" && s.method.kind === "adam") throw new NotSimt("Adam");
    if (s.op === "hop" && s.accept.rule === "metropolis") throw new NotSimt("a Metropolis acceptance");
  }
  const sequences: Sequence[] = [];
  const exits: Exit[] = [{ kind: "traj" }];
  let counters = 0;
  const add = (steps: readonly Step[], owner: Sequence["owner"], exit: number, parent?: Sequence["parent"]): number => {
    const seq = sequences.length;
    sequences.push({ steps, owner, exit, ...(parent ? { parent } : {}), ...(typeof owner === "object" && owner.op === "repeat" ? { counter: counters++ } : {}) });
    steps.forEach((step, index) => {
      if (step.op === "hop") {
        exits.push({ kind: "hop", hop: step });
        add(step.body, step, exits.length - 1, { seq, index });
      } else if (step.op === "repeat" || step.op === "if") add(step.body, step, exit, { seq, index });
    });
    return seq;
  };
  const bodyOf = new Map<Step, number>();
  if (optimizer.start.length > 0) {
    exits.push({ kind: "start" });
    add(optimizer.start, "start", exits.length - 1);
  }
  const loop = add(optimizer.loop, "loop", 0);
  sequences.forEach((s, seq) => typeof s.owner === "object" && bodyOf.set(s.owner, seq));

  const places = new Map<string, Place>();
  const place = (p: Place): string => {
    const key = placeKey(p);
    if (!places.has(key)) places.set(key, p);
    return key;
  };
  const step = (seq: number, index: number, grad: Grad) => place({ kind: "step", seq, index, grad });
  const after = (seq: number, grad: Grad) => {
    const parent = sequences[seq]!.parent!;
    return step(parent.seq, parent.index + 1, grad);
  };

  /** The start of a pass of the repeat whose body is `seq`: its until test, or its first step. */
  const pass = (seq: number) => {
    const repeat = sequences[seq]!.owner as Extract<Step, { op: "repeat" }>;
    return repeat.until ? place({ kind: "until", seq, grad: "stale" }) : step(seq, 0, "stale");
  };
  const flows = new Map<string, Flow>();
  const flow = (key: string): Flow => {
    const known = flows.get(key);
    if (known) return known;
    const p = places.get(key)!;
    const next = (to: string): Flow => ({ kind: "next", next: to });
    const split = (yes: string, no: string): Flow => ({ kind: "split", yes, no });
    const park: Flow = { kind: "park" };
    let f: Flow;
    switch (p.kind) {
      case "loopTop":
        f = next(step(loop, 0, "stale"));
        break;
      case "top":
        f = split(pass(p.seq), after(p.seq, "stale"));
        break;
      case "until": {
        const repeat = sequences[p.seq]!.owner as Extract<Step, { op: "repeat" }>;
        // The test holds: the repeat is over (and the gradient counts as stale after it).
        f = p.grad === "stale" && conditionReadsGradient(repeat.until!) ? park : split(after(p.seq, "stale"), step(p.seq, 0, p.grad));
        break;
      }
      case "step": {
        const sequence = sequences[p.seq]!;
        const s = sequence.steps[p.index];
        if (s === undefined) {
          const owner = sequence.owner;
          if (owner === "start" || owner === "loop") f = next(place({ kind: "loopTop" }));
          else if (owner.op === "repeat") f = next(place({ kind: "top", seq: p.seq }));
          else if (owner.op === "hop") f = next(after(p.seq, "stale"));
          else f = next(after(p.seq, p.grad));
          break;
        }
        switch (s.op) {
          case "perturb":
            f = s.target === "model" ? next(step(p.seq, p.index + 1, "stale")) : p.grad === "stale" ? park : next(step(p.seq, p.index + 1, "valid"));
            break;
          case "descend":
            f = p.grad === "stale" ? park : next(step(p.seq, p.index + 1, "stale"));
            break;
          case "repeat":
            // The first pass's count test holds (0 < times) unless the repeat has no passes.
            f = next(s.times >= 1 ? pass(bodyOf.get(s)!) : step(p.seq, p.index + 1, "stale"));
            break;
          case "hop":
            f = next(step(bodyOf.get(s)!, 0, "stale"));
            break;
          case "if":
            f = p.grad === "stale" && conditionReadsGradient(s.condition) ? park : split(step(bodyOf.get(s)!, 0, p.grad), step(p.seq, p.index + 1, p.grad));
            break;
          case "ascend":
            throw new NotSimt("an ascent");
        }
      }
    }
    flows.set(key, f);
    return f;
  };
  const resume = (site: string): string => {
    const p = places.get(site)!;
    if (p.kind === "step") return step(p.seq, p.index, "valid");
    if (p.kind === "until") return place({ kind: "until", seq: p.seq, grad: "valid" });
    throw new Error(`internal: ${site} is not a site`);
  };
  const successors = (key: string): string[] => {
    const f = flow(key);
    return f.kind === "park" ? [] : f.kind === "next" ? [f.next] : [f.yes, f.no];
  };
  const order = (roots: readonly string[]): string[] => {
    // Depth-first post order, reversed; a place met again on the current path is a pass that needs no gradient.
    const done = new Set<string>();
    const onPath = new Set<string>();
    const out: string[] = [];
    const visit = (key: string) => {
      if (done.has(key)) return;
      if (onPath.has(key)) throw new NotSimt("a loop pass that may need no gradient");
      if (places.size > MAX_PLACES) throw new NotSimt("too many branches");
      onPath.add(key);
      for (const s of successors(key)) visit(s);
      onPath.delete(key);
      done.add(key);
      out.push(key);
    };
    for (const r of roots) visit(r);
    return out.reverse();
  };
  const entry = optimizer.start.length > 0 ? step(sequences.findIndex((s) => s.owner === "start"), 0, "stale") : place({ kind: "loopTop" });
  // Every site, found by following the program from the entry and from every site found.
  const sites: string[] = [];
  const seen = new Set<string>();
  const explore = (roots: readonly string[]) => {
    for (const key of order(roots)) {
      if (flow(key).kind !== "park" || seen.has(key)) continue;
      seen.add(key);
      sites.push(key);
      explore([resume(key)]);
    }
  };
  explore([entry]);
  if (sites.length === 0) throw new NotSimt("no gradient");
  const inDegrees = (keys: readonly string[]) => {
    const inside = new Set(keys);
    const degrees = new Map(keys.map((k) => [k, 0]));
    for (const k of keys) for (const s of successors(k)) if (inside.has(s)) degrees.set(s, degrees.get(s)! + 1);
    return degrees;
  };
  const exitOf = (site: string): number => {
    const p = places.get(site)!;
    if (p.kind === "loopTop") throw new Error(`internal: ${site} is not a site`);
    return sequences[p.seq]!.exit;
  };
  return { sequences, exits, places, sites, entry, flow, resume, exitOf, order, inDegrees };
}

/**
 * The way back to `site` that its lanes take pass after pass, when the emitter may run it
 * without masks: a local search's `repeat n { descend } until c`, where a lane spends one
 * evaluation per pass until its test holds or its count runs out, or a loop of descents whose
 * guarded steps (`... when c`) are skipped. When every lane of a group waits at `site` and
 * none is about to leave (checked before anything is written: `until` and `if` tests on the
 * state as it is, each count one below its limit, the iteration cap not reached), the pass
 * runs unmasked, with the operations the masked sweep would run on every lane, so its bits.
 * Undefined when the way back has anything else (another step, a perturbation, a hop, a taken
 * `if`), or a test after a write.
 */
export interface UniformCycle {
  /** The places of one pass, in order, from the place the site resumes at. */
  readonly places: readonly string[];
  /** `until` places and `if` steps whose test must fail on every lane (they come before any write). */
  readonly untils: readonly string[];
  readonly ifs: readonly string[];
  /** Count tests (`top` places) that must hold on every lane after the one increment the pass makes. */
  readonly counts: readonly string[];
  /** Whether the pass goes through the loop's top, whose iteration cap must not be reached. */
  readonly loopTop: boolean;
}

export function uniformCycle(graph: SimtGraph, site: string): UniformCycle | undefined {
  const places: string[] = [];
  const untils: string[] = [];
  const ifs: string[] = [];
  const counts: string[] = [];
  const incremented = new Set<number>();
  let written = false;
  let loopTop = false;
  let key = graph.resume(site);
  while (!places.includes(key)) {
    const p = graph.places.get(key)!;
    const f = graph.flow(key);
    if (f.kind === "park") return key === site ? { places, untils, ifs, counts, loopTop } : undefined;
    places.push(key);
    if (p.kind === "until" && f.kind === "split" && !written) {
      untils.push(key);
      key = f.no;
    } else if (p.kind === "top" && f.kind === "split" && incremented.has(p.seq)) {
      counts.push(key);
      key = f.yes;
    } else if (p.kind === "loopTop" && f.kind === "next") {
      loopTop = true;
      key = f.next;
    } else if (p.kind === "step") {
      const sequence = graph.sequences[p.seq]!;
      const step = sequence.steps[p.index];
      if (step?.op === "if" && f.kind === "split" && !written) {
        ifs.push(key);
        key = f.no;
        continue;
      }
      if (f.kind !== "next") return undefined;
      if (step === undefined) {
        // The end of a repeat's body (its count goes up by one), or of the loop (its top is next).
        if (sequence.owner === "loop") {
          key = f.next;
          continue;
        }
        if (typeof sequence.owner !== "object" || sequence.owner.op !== "repeat" || incremented.has(p.seq)) return undefined;
        incremented.add(p.seq);
      } else if (step.op !== "descend" || step.method.kind === "adam") return undefined;
      written = true;
      key = f.next;
    } else return undefined;
  }
  return undefined;
}
