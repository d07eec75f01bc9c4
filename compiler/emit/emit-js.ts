// The plain-JS emitter: one fused kernel per optimizer x landscape that runs whole
// trajectories over structure-of-arrays buffers, with the landscape's gradient inlined as
// straight-line code. When one pass of the optimizer's loop costs the same number of
// gradients whatever the data (GD, NiG-GD, SAM), the kernel also runs `LANES` trajectories
// in lockstep, interleaved statement by statement so their dependency chains overlap; the
// last passes and any remainder go through the general one-trajectory code, which executes
// the same statements in the same order, so results are bit-identical either way.
//
// Kernel contract: `function kernel(job)` where job = { count, budget, iterations, keys
// (Uint32Array, 2 per restart), start (Float64Array per coordinate), end (ditto), loss,
// evals, steps (Float64Array each), curve (Float64Array of count x curvePoints, or null),
// curveStride }. With a curve, the loss is recorded whenever `stride` more gradients have
// been spent (and at the start): f(w), or f of the accepted point inside a hop. See
// compiler/lower/ir.ts for the semantics.
import { drawStatements, RNG_SOURCE, unitExpression } from "../../runtime/rng.js";
import type { LandscapeIR } from "../lower/landscape.js";
import { loopPassCost } from "../lower/cost.js";
import { loopPass, optimizerTraits, slotStateNames, type Ascent, type FlowState } from "./flow.js";
import { conditionReadsGradient, conditionReadsLoss, type OptimizerIR, type Step } from "../lower/ir.js";
import { conditionText, numberLiteral, straightLine, type StateText } from "./js-text.js";
import { indent, range } from "./text.js";

export const LANES = 4;

/**
 * The 2-D noise's angle (see `noise`): y = ((29 bits) + 0.5) * step in (0, pi/4), and the
 * coefficients of sin y = y + y z S(z), cos y = 1 + z C(z) with z = y^2 (near-minimax on
 * (0, pi/4), error within an ulp), each evaluated by Estrin's scheme (short dependency
 * chains) in an order every emitter keeps, so that every backend gives the same bits.
 */
export const ANGLE = {
  fractionMask: 0x1fffffff,
  step: 1.4629180792671596e-9,
  sine: [-0.16666666666666666, 0.008333333333330948, -0.00019841269836758574, 2.755731610255244e-6, -2.5051131845003624e-8, 1.5918129294866608e-10],
  cosine: [-0.49999999999999967, 0.04166666666663093, -0.0013888888882127952, 2.480158262335195e-5, -2.755585551192951e-7, 2.066550487012274e-9],
} as const;

export interface EmittedKernel {
  readonly source: string;
  /** Gradient evaluations per loop pass when every pass costs the same, else undefined. */
  readonly lockstepPassCost: number | undefined;
  /** Rough time per gradient evaluation relative to lockstep GD, for scheduling. */
  readonly relativeCost: number;
}


/** Variable names of one trajectory in the emitted code (suffix "" or "_k" for lane k). */
class Lane {
  constructor(readonly suffix: string) {}
  w(i: number) { return `w${i}${this.suffix}`; }
  g(i: number) { return `g${i}${this.suffix}`; }
  e(i: number) { return `e${i}${this.suffix}`; }
  a(i: number) { return `a${i}${this.suffix}`; }
  get t() { return `t${this.suffix}`; }
  get evals() { return `ev${this.suffix}`; }
  get counter() { return `c${this.suffix}`; }
  get k0() { return `k0${this.suffix}`; }
  get k1() { return `k1${this.suffix}`; }
  get valid() { return `gv${this.suffix}`; }
  get acceptedLoss() { return `fa${this.suffix}`; }
  get nextRecord() { return `rec${this.suffix}`; }
  slot(kind: "m" | "v", slot: number, i: number) { return `${kind}${slot}_${i}${this.suffix}`; }
  slotSteps(slot: number) { return `n${slot}${this.suffix}`; }
}

/** Emits the kernel for `optimizer` on `landscape`. */
export function emitKernel(optimizer: OptimizerIR, landscape: LandscapeIR, title: string): EmittedKernel {
  return new KernelEmitter(optimizer, landscape).emit(title);
}

class KernelEmitter {
  private readonly dims: number;
  private readonly hasAscent: boolean;
  private readonly hasHop: boolean;
  private readonly slotKinds: Map<number, "sgd" | "momentum" | "adam">;
  private unique = 0;

  constructor(
    private readonly optimizer: OptimizerIR,
    private readonly landscape: LandscapeIR,
  ) {
    this.dims = landscape.dims;
    ({ hasAscent: this.hasAscent, hasHop: this.hasHop, slotKinds: this.slotKinds } = optimizerTraits(optimizer));
  }

  emit(title: string): EmittedKernel {
    const pass = loopPassCost(this.optimizer.loop);
    // The general path's loop pass, made once: its end state also decides whether lockstep can hand over.
    const generalLoop = loopPass("none", (state) => this.steps(this.optimizer.loop, [new Lane("")], state, "traj", true));
    const endsClean = generalLoop.ascent === "none";
    const lockstep =
      this.optimizer.start.length === 0 && !this.hasHop && endsClean && pass.exact !== undefined && pass.exact >= 1 ? pass.exact : undefined;
    const d = this.dims;
    const coords = range(d);
    const out: string[] = [];
    const p = this.optimizer.params;
    out.push(`// ${title}`);
    out.push(`// optimizer ${this.optimizer.name} (${this.optimizer.declaration}${Object.keys(p).length ? `: ${Object.entries(p).map(([k, v]) => `${k} = ${v}`).join(", ")}` : ""})`);
    out.push(`// landscape ${this.landscape.name} (${this.landscape.dims} coordinates: ${this.landscape.coordinates.join(", ")})`);
    out.push(`// Generated by optc; see compiler/lower/ir.ts for the semantics. ${lockstep !== undefined ? `Each pass costs ${lockstep} gradient evaluation${lockstep === 1 ? "" : "s"}, so ${LANES} trajectories run in lockstep.` : "Passes vary in cost, so trajectories run one at a time."}`);
    // Helpers live outside `kernel`, so each is one function object for the life of the
    // kernel: closures made per call would deoptimize the calls on every new job.
    out.push(`"use strict";`);
    out.push(...RNG_SOURCE.split("\n"));
    out.push(`function lossAt(${coords.map((i) => `w${i}`).join(", ")}) {`, ...indent(this.lossInto(new Lane(""), "const loss", "w"), 1), `  return loss;`, `}`);
    const slotParams = this.slotVariables(new Lane(""));
    const stateParams = [...coords.map((i) => `w${i}`), "t", "ev", "c", "passes", "rec", ...slotParams];
    out.push(`function trajectory(job, r, ${stateParams.join(", ")}, fresh) {`);
    out.push(`  const keys = job.keys, budget = job.budget, iterations = job.iterations;`);
    out.push(`  const curve = job.curve, stride = job.curveStride, points = job.curvePoints;`);
    out.push(...indent(this.trajectoryBody(generalLoop.code), 1));
    out.push(`}`);
    out.push(`function kernel(job) {`);
    out.push(`  const count = job.count, budget = job.budget, iterations = job.iterations, keys = job.keys;`);
    out.push(`  const ${coords.map((i) => `s${i} = job.start[${i}]`).join(", ")};`);
    out.push(`  let r = 0;`);
    if (lockstep !== undefined) out.push(...indent(this.lockstepBlock(lockstep), 1));
    const zeros = slotParams.map(() => "0");
    // -1 (never reached) rather than Infinity keeps the counters small integers in every job,
    // so switching between jobs with and without curves does not deoptimize the kernel.
    out.push(`  const firstRecord = job.curve ? 0 : -1;`);
    out.push(`  for (; r < count; r++) trajectory(job, r, ${[...coords.map((i) => `s${i}[r]`), "0", "0", "0", "0", "firstRecord", ...zeros].join(", ")}, true);`);
    out.push(`}`);
    // Measured by `npm run bench`: one trajectory at a time runs at about a third of the
    // lockstep speed, and a noise draw in every pass halves either.
    const noisyPasses = this.optimizer.loop.some((s) => s.op === "perturb" || (s.op === "if" && s.body.some((b) => b.op === "perturb")));
    const relativeCost = (lockstep !== undefined ? 1 : 3) * (noisyPasses ? 2 : 1);
    return { source: out.join("\n") + "\n", lockstepPassCost: lockstep, relativeCost };
  }

  private slotVariables(lane: Lane): string[] {
    return slotStateNames(this.slotKinds, this.dims, (state, slot, i) => (state === "n" ? lane.slotSteps(slot) : lane.slot(state, slot, i!)));
  }

  private trajectoryBody(loopCode: readonly string[]): string[] {
    const lane = new Lane("");
    const d = range(this.dims);
    const out: string[] = [];
    out.push(`const k0 = keys[2 * r] | 0, k1 = keys[2 * r + 1] | 0;`);
    out.push(`let ${d.map((i) => `g${i} = 0`).join(", ")}, gv = false, exhausted = false;`);
    if (this.hasAscent) out.push(`let ${d.map((i) => `e${i} = 0`).join(", ")};`);
    if (this.hasHop) out.push(`let ${d.map((i) => `a${i} = w${i}`).join(", ")}, fa = 0;`);
    out.push(`traj: {`);
    if (this.optimizer.start.length > 0) {
      out.push(`  if (fresh) {`);
      out.push(`    start: {`);
      const state: FlowState = { gradient: "stale", ascent: "none" };
      out.push(...indent(this.steps(this.optimizer.start, [lane], state, "start", true), 3));
      out.push(`    }`);
      if (this.hasHop) {
        out.push(`    ${d.map((i) => `a${i} = w${i};`).join(" ")}`);
        out.push(...indent(this.lossInto(lane, "fa", "w"), 2));
      }
      out.push(`    if (exhausted) break traj;`);
      out.push(`  }`);
    } else if (this.hasHop) {
      out.push(...indent(this.lossInto(lane, "fa", "w"), 1));
    }
    out.push(`  for (;;) {`);
    out.push(`    if (passes >= iterations) break traj;`);
    out.push(`    passes++;`);
    out.push(...indent(loopCode, 2));
    out.push(`  }`);
    out.push(`}`);
    const endPoint = this.hasHop ? "a" : "w";
    out.push(`${d.map((i) => `job.end[${i}][r] = ${endPoint}${i};`).join(" ")}`);
    out.push(...this.lossInto(lane, "const fEnd", endPoint));
    out.push(`job.loss[r] = fEnd; job.evals[r] = ev; job.steps[r] = t;`);
    out.push(`if (ev === rec) curve[r * points + ev / stride] = fEnd;`);
    return out;
  }

  private lockstepBlock(passCost: number): string[] {
    const lanes = range(LANES).map((k) => new Lane(`_${k}`));
    const d = range(this.dims);
    const out: string[] = [];
    // The final pass runs in the general code, which owns every budget check.
    out.push(`const lockPasses = Math.max(0, Math.min(Math.floor(budget / ${passCost}), iterations) - 1);`);
    out.push(`const curve = job.curve, stride = job.curveStride, points = job.curvePoints;`);
    out.push(`for (; r + ${LANES} <= count; r += ${LANES}) {`);
    for (const [k, lane] of lanes.entries()) {
      out.push(`  let ${d.map((i) => `${lane.w(i)} = s${i}[r + ${k}]`).join(", ")}, ${d.map((i) => `${lane.g(i)} = 0`).join(", ")};`);
      out.push(`  let ${lane.t} = 0, ${lane.evals} = 0, ${lane.counter} = 0, ${lane.valid} = false, ${lane.nextRecord} = curve ? 0 : -1;`);
      out.push(`  const ${lane.k0} = keys[2 * (r + ${k})] | 0, ${lane.k1} = keys[2 * (r + ${k}) + 1] | 0;`);
      if (this.hasAscent) out.push(`  let ${d.map((i) => `${lane.e(i)} = 0`).join(", ")};`);
      const slots = this.slotVariables(lane);
      if (slots.length) out.push(`  let ${slots.map((s) => `${s} = 0`).join(", ")};`);
    }
    out.push(`  for (let pass = 0; pass < lockPasses; pass++) {`);
    const state: FlowState = { gradient: "stale", ascent: "none" };
    out.push(...indent(this.steps(this.optimizer.loop, lanes, state, "", false), 2));
    out.push(`  }`);
    for (const [k, lane] of lanes.entries()) {
      const args = [...d.map((i) => lane.w(i)), lane.t, lane.evals, lane.counter, "lockPasses", lane.nextRecord, ...this.slotVariables(lane)];
      out.push(`  trajectory(job, r + ${k}, ${args.join(", ")}, false);`);
    }
    out.push(`}`);
    return out;
  }

  /** Code for `steps` on every lane, statement by statement; `state` is updated in place. */
  private steps(steps: readonly Step[], lanes: readonly Lane[], state: FlowState, exitLabel: string, checked: boolean): string[] {
    const out: string[] = [];
    for (const step of steps) out.push(...this.step(step, lanes, state, exitLabel, checked));
    return out;
  }

  private budgetCheck(lane: Lane, exitLabel: string, checked: boolean): string[] {
    return checked ? [`if (${lane.evals} >= budget) { exhausted = true; break ${exitLabel}; }`] : [];
  }

  /** Makes the gradient valid on every lane, spending an evaluation where it is stale. */
  private needGradient(lanes: readonly Lane[], state: FlowState, exitLabel: string, checked: boolean): string[] {
    if (state.gradient === "valid") return [];
    const out: string[] = [];
    for (const [k, lane] of lanes.entries()) {
      const row = lanes.length === 1 ? "r" : `(r + ${k})`;
      const body = [...this.budgetCheck(lane, exitLabel, checked), ...this.recordLoss(lane, row, exitLabel.startsWith("hop")), `${lane.evals}++;`, ...this.gradientCode(lane, state.ascent)];
      if (state.gradient === "stale") out.push(...body);
      else out.push(`if (!${lane.valid}) {`, ...indent(body, 1), `}`);
    }
    state.gradient = "valid";
    return out;
  }

  /**
   * Records the loss when `stride` more gradients have been spent since the last record: f
   * at the current point, or inside a hop the accepted point's loss. A rarely taken branch.
   */
  private recordLoss(lane: Lane, row: string, inHop: boolean): string[] {
    // A call to the shared `lossAt` keeps this rare branch small: inlined loss code in every
    // lane makes the lockstep loop larger and slows the JIT's warm-up.
    const value = inHop ? lane.acceptedLoss : `lossAt(${range(this.dims).map((i) => lane.w(i)).join(", ")})`;
    return [`if (${lane.evals} === ${lane.nextRecord}) { curve[${row} * points + ${lane.evals} / stride] = ${value}; ${lane.nextRecord} += stride; }`];
  }

  private gradientCode(lane: Lane, ascent: Ascent): string[] {
    const d = range(this.dims);
    const inputs = ascent === "none" ? d.map((i) => lane.w(i)) : d.map((i) => `p${i}`);
    const { statements, results } = straightLine(this.landscape.gradient, this.landscape.gradient, inputs);
    const out = ["{"];
    if (ascent !== "none") out.push(`  const ${d.map((i) => `p${i} = ${lane.w(i)} + ${lane.e(i)}`).join(", ")};`);
    out.push(...indent(statements, 1));
    out.push(`  ${d.map((i) => `${lane.g(i)} = ${results[i]};`).join(" ")}`);
    out.push("}");
    return out;
  }

  /** Statements that assign f at point `base` (w or a) to `target` ("let x" / "const x" / "x"). */
  private lossInto(lane: Lane, target: string, base: "w" | "a"): string[] {
    const inputs = range(this.dims).map((i) => (base === "w" ? lane.w(i) : lane.a(i)));
    const { statements, results } = straightLine(this.landscape.objective, [this.landscape.objective], inputs);
    const name = target.replace(/^(const|let) /, "");
    if (statements.length === 0) return [`${target} = ${results[0]};`];
    const declare = target !== name ? [`let ${name};`] : [];
    return [...declare, "{", ...indent(statements, 1), `  ${name} = ${results[0]};`, "}"];
  }

  private gradNormSquared(lane: Lane): string {
    return `(${range(this.dims).map((i) => `${lane.g(i)} * ${lane.g(i)}`).join(" + ")})`;
  }

  private step(step: Step, lanes: readonly Lane[], state: FlowState, exitLabel: string, checked: boolean): string[] {
    const d = range(this.dims);
    const out: string[] = [];
    switch (step.op) {
      case "perturb": {
        if (step.target === "gradient") {
          out.push(...this.needGradient(lanes, state, exitLabel, checked));
          for (const lane of lanes) out.push(...this.noise(lane, step.family, step.scale, (i, z) => `${lane.g(i)} += ${z};`));
        } else {
          for (const lane of lanes) {
            out.push(...this.budgetCheck(lane, exitLabel, checked));
            out.push(...this.noise(lane, step.family, step.scale, (i, z) => `${lane.w(i)} += ${z};`));
          }
          state.gradient = "stale";
        }
        return out;
      }
      case "ascend": {
        out.push(...this.needGradient(lanes, state, exitLabel, checked));
        for (const lane of lanes) {
          if (step.normalized) {
            out.push(`{ const norm = Math.sqrt(${this.gradNormSquared(lane)}), s = norm > 0 ? ${num(step.radius)} / norm : 0; ${d.map((i) => `${lane.e(i)} = s * ${lane.g(i)};`).join(" ")} }`);
          } else out.push(d.map((i) => `${lane.e(i)} = ${num(step.radius)} * ${lane.g(i)};`).join(" "));
        }
        state.gradient = "stale";
        state.ascent = "active";
        return out;
      }
      case "descend": {
        out.push(...this.needGradient(lanes, state, exitLabel, checked));
        for (const lane of lanes) {
          out.push(...this.update(lane, step));
          if (this.hasAscent && state.ascent !== "none") out.push(d.map((i) => `${lane.e(i)} = 0;`).join(" "));
          out.push(`${lane.t}++;`);
        }
        state.gradient = "stale";
        state.ascent = "none";
        return out;
      }
      case "if": {
        if (conditionReadsGradient(step.condition)) out.push(...this.needGradient(lanes, state, exitLabel, checked));
        const before: FlowState = { ...state };
        const inner: FlowState = { ...state };
        const bodies = lanes.map((lane) => {
          const s: FlowState = { ...state };
          const code = this.steps(step.body, [lane], s, exitLabel, checked);
          Object.assign(inner, s);
          return code;
        });
        const changes = inner.gradient !== before.gradient;
        for (const [k, lane] of lanes.entries()) {
          if (changes && before.gradient !== "unknown") out.push(`${lane.valid} = ${before.gradient === "valid"};`);
          const pre = conditionReadsLoss(step.condition) ? this.lossInto(lane, "let loss", "w") : [];
          const code = [`if (${conditionText(step.condition, this.stateText(lane))}) {`, ...indent(bodies[k]!, 1)];
          if (changes && inner.gradient !== "unknown") code.push(`  ${lane.valid} = ${inner.gradient === "valid"};`);
          code.push(`}`);
          out.push(...(pre.length ? ["{", ...indent([...pre, ...code], 1), "}"] : code));
        }
        state.gradient = changes ? "unknown" : before.gradient;
        state.ascent = inner.ascent === before.ascent ? before.ascent : "unknown";
        return out;
      }
      case "repeat": {
        const lane = lanes[0]!;
        if (step.until && lanes.length !== 1) throw new Error("internal: a repeat with a condition cannot run in lockstep");
        const i = `i${this.unique++}`;
        out.push(`for (let ${i} = 0; ${i} < ${step.times}; ${i}++) {`);
        const { code, ascent } = loopPass(state.ascent, (passState) => {
          const pass: string[] = [];
          if (step.until) {
            if (conditionReadsGradient(step.until)) pass.push(...this.needGradient(lanes, passState, exitLabel, checked));
            if (conditionReadsLoss(step.until)) pass.push(...this.lossInto(lane, "let loss", "w"));
            pass.push(`if (${conditionText(step.until, this.stateText(lane))}) break;`);
          }
          return [...pass, ...this.steps(step.body, lanes, passState, exitLabel, checked)];
        });
        out.push(...indent(code, 1), `}`);
        state.gradient = "stale";
        state.ascent = ascent;
        return out;
      }
      case "hop": {
        const [lane] = lanes;
        if (lanes.length !== 1 || !lane) throw new Error("internal: a hop cannot run in lockstep");
        const label = `hop${this.unique++}`;
        out.push(`${label}: {`);
        const hop = loopPass(state.ascent, (hopState) => this.steps(step.body, lanes, hopState, label, checked));
        out.push(...indent(hop.code, 1), `}`);
        out.push(...this.lossInto(lane, "const candidate", "w"));
        const take = `${d.map((i) => `${lane.a(i)} = ${lane.w(i)};`).join(" ")} ${lane.acceptedLoss} = candidate;`;
        const revert = d.map((i) => `${lane.w(i)} = ${lane.a(i)};`).join(" ");
        if (step.accept.rule === "always") out.push(take);
        else {
          const test =
            step.accept.rule === "lower"
              ? `candidate < ${lane.acceptedLoss}`
              : `candidate < ${lane.acceptedLoss} || uniform(${lane.k0}, ${lane.k1}, ${lane.counter}++) < Math.exp((${lane.acceptedLoss} - candidate) / ${num(step.accept.temperature)})`; // rare: a call is fine
          out.push(`if (${test}) { ${take} } else { ${revert} }`);
        }
        out.push(`if (exhausted) break traj;`);
        state.gradient = "stale";
        state.ascent = hop.ascent;
        return out;
      }
    }
  }


  private update(lane: Lane, step: Extract<Step, { op: "descend" }>): string[] {
    const d = range(this.dims);
    const rate = num(step.rate);
    const m = step.method;
    switch (m.kind) {
      case "sgd":
        return [d.map((i) => `${lane.w(i)} -= ${rate} * ${lane.g(i)};`).join(" ")];
      case "momentum":
        return d.map((i) => {
          const v = lane.slot("m", step.slot, i);
          const direction = m.nesterov ? `(${lane.g(i)} + ${num(m.beta)} * ${v})` : v;
          return `${v} = ${num(m.beta)} * ${v} + ${lane.g(i)}; ${lane.w(i)} -= ${rate} * ${direction};`;
        });
      case "adam": {
        const n = lane.slotSteps(step.slot);
        const out = [`${n}++;`, `{ const c1 = 1 - Math.pow(${num(m.beta1)}, ${n}), c2 = 1 - Math.pow(${num(m.beta2)}, ${n});`];
        for (const i of d) {
          const mm = lane.slot("m", step.slot, i);
          const vv = lane.slot("v", step.slot, i);
          const g = lane.g(i);
          out.push(`  ${mm} = ${num(m.beta1)} * ${mm} + ${num(1 - m.beta1)} * ${g}; ${vv} = ${num(m.beta2)} * ${vv} + ${num(1 - m.beta2)} * ${g} * ${g};`);
          out.push(`  ${lane.w(i)} -= ${rate} * (${mm} / c1) / (Math.sqrt(${vv} / c2) + ${num(m.epsilon)});`);
        }
        out.push(`}`);
        return out;
      }
    }
  }

  /**
   * Draws a vector from `family` with scale `scale` and hands each coordinate to `apply`.
   * Points uniform in the unit disk (or ball, in 3-D) come from rejection in the cube, and
   * normal pairs from Marsaglia's polar method: no sin or cos, which cost more than the
   * draws themselves. Each accepted draw is distributed as the canonical rho U^(1/d) n/|n|.
   */
  private noise(lane: Lane, family: "ball" | "gaussian" | "sphere", scale: number, apply: (i: number, value: string) => string): string[] {
    const d = this.dims;
    const out = ["{"];
    let draws = 0;
    // Each draw becomes inline statements into its own int32 local (see runtime/rng.ts).
    const drawBits = (into: string[] = out, pad = "  ") => {
      const name = `b${draws++}`;
      into.push(`${pad}let ${name}; ${drawStatements(name, lane.k0, lane.k1, `${lane.counter}++`)}`);
      return name;
    };
    const draw = (into: string[] = out, pad = "  ") => unitExpression(drawBits(into, pad));
    const s = num(scale);
    const pointInBall = (k: number) => {
      const us = range(k).map((i) => `u${i}`);
      out.push(`  let ${us.join(", ")}, norm2;`);
      const body: string[] = [];
      for (const u of us) body.push(`    ${u} = 2 * ${draw(body, "    ")} - 1;`);
      out.push(`  do {`, ...body, `    norm2 = ${us.map((u) => `${u} * ${u}`).join(" + ")};`, `  } while (norm2 >= 1 || norm2 === 0);`);
      return us;
    };
    if (d === 1) {
      if (family === "gaussian") {
        const [u] = pointInBall(2);
        out.push(`  ${apply(0, `${s} * ${u} * Math.sqrt(-2 * Math.log(norm2) / norm2)`)}`);
      } else {
        const u = draw();
        out.push(`  const u = 2 * ${u} - 1;`);
        out.push(`  ${apply(0, family === "ball" ? `${s} * u` : `(u < 0 ? -${s} : ${s})`)}`);
      }
    } else if (d === 2) {
      // A uniform angle from one 32-bit draw h, theta = 2 pi (h + 0.5) / 2^32 (h unsigned),
      // without Math.sin/cos (a library call each) and without rejection (a branch that
      // mispredicts). The top three bits are the octant; the other 29 give an angle y in
      // (0, pi/4), reflected in odd octants, whose sine and cosine are polynomials (ANGLE,
      // within an ulp); the octant's symmetry swaps and negates them, by products with 0, 1
      // and -1 (exact: both are nonzero), which the wasm emitter does with bit masks.
      const h = drawBits();
      const poly = (c: readonly number[]) => `(${num(c[0]!)} + ${num(c[1]!)} * z) + z2 * (${num(c[2]!)} + ${num(c[3]!)} * z) + z4 * (${num(c[4]!)} + ${num(c[5]!)} * z)`;
      out.push(`  const hx = ${h} ^ (${h} << 1), y = (((${h} ^ ((${h} << 2) >> 31)) & 0x${ANGLE.fractionMask.toString(16)}) + 0.5) * ${num(ANGLE.step)}, z = y * y, z2 = z * z, z4 = z2 * z2;`);
      out.push(`  const sy = y + y * z * (${poly(ANGLE.sine)}), cy = 1 + z * (${poly(ANGLE.cosine)});`);
      out.push(`  const swap = (hx >>> 30) & 1, keep = 1 - swap;`);
      const radius = family === "ball" ? `${s} * Math.sqrt(${draw()})` : family === "sphere" ? s : `${s} * Math.sqrt(-2 * Math.log(${draw()}))`;
      out.push(`  const radius = ${radius};`);
      out.push(`  ${apply(0, `radius * (((hx >> 31) | 1) * (keep * cy + swap * sy))`)} ${apply(1, `radius * (((${h} >> 31) | 1) * (swap * cy + keep * sy))`)}`);
    } else if (family === "ball" && d === 3) {
      const us = pointInBall(d);
      out.push(`  ${us.map((u, i) => apply(i, `${s} * ${u}`)).join(" ")}`);
    } else {
      // d normals from polar pairs, then scaled to the sphere or ball if asked.
      const ns: string[] = [];
      for (let i = 0; i < d; i += 2) {
        out.push(`  let n${i}${i + 1 < d ? `, n${i + 1}` : ""};`);
        const body: string[] = [];
        body.push(`      a = 2 * ${draw(body, "      ")} - 1;`);
        body.push(`      b = 2 * ${draw(body, "      ")} - 1;`);
        out.push(`  {`, `    let a, b, q;`, `    do {`, ...body, `      q = a * a + b * b;`, `    } while (q >= 1 || q === 0);`);
        out.push(`    const f = Math.sqrt(-2 * Math.log(q) / q); n${i} = a * f;${i + 1 < d ? ` n${i + 1} = b * f;` : ""}`, `  }`);
        ns.push(`n${i}`);
        if (i + 1 < d) ns.push(`n${i + 1}`);
      }
      if (family === "gaussian") out.push(...ns.map((n, i) => `  ${apply(i, `${s} * ${n}`)}`));
      else {
        const radius = family === "ball" ? `${s} * Math.pow(${draw()}, ${num(1 / d)})` : s;
        out.push(`  const norm = Math.sqrt(${ns.map((n) => `${n} * ${n}`).join(" + ")}), scale = norm > 0 ? ${radius} / norm : 0;`);
        out.push(...ns.map((n, i) => `  ${apply(i, `scale * ${n}`)}`));
      }
    }
    out.push("}");
    return out;
  }

  /** The trajectory state a condition reads, in lane `lane`'s names. */
  private stateText(lane: Lane): StateText {
    return { gradNormSquared: this.gradNormSquared(lane), t: lane.t, evals: lane.evals, loss: "loss", num };
  }
}

const num = (v: number) => numberLiteral(v);

