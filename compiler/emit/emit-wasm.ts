// The WebAssembly emitter: one module per optimizer x landscape, in double or single precision.
//
// Double precision (f64) is bit-identical to the JS kernel (emit-js.ts): the exported `run`
// executes the general one-trajectory path of emit-js step for step and operation for
// operation. What wasm lacks (sin, cos, tan, exp, log, tanh, sign, pow) is imported from the
// host's `Math`, so it is the very same function the JS kernel calls.
//
// Lockstep (SIMD): where emit-js runs trajectories in lockstep (every pass costs the same
// number of gradients, no `start`, no `hop`, no ascent pending at the end of a pass), the
// module runs them in groups of `lanes` (several f64x2 vectors in flight) for the first
// `lockPasses` passes, then hands each lane's state to the general `$trajectory`, as emit-js
// does. The gradient, the updates and the ascent are vector arithmetic: IEEE add, sub, mul,
// div and sqrt are exact per lane, and the operations are those of the scalar code in the
// same order, so the bits are the same. So is 2-D noise: the draws are integer SIMD, four
// lanes' counters and keys per i32x4 (i32x4.mul wraps as Math.imul), converted exactly as the
// scalar code converts; the angle's polynomials are vector arithmetic, and emit-js's exact
// selections (products with 0, 1 and -1) are bit masks. Imported Math calls go lane by lane;
// other noise, `if` and Adam steps run as the scalar code on each lane in turn (extract_lane /
// replace_lane). The draws are the generator of runtime/rng.ts written out inline.
//
// Single precision (f32) is the same program with the trajectories' numbers (points,
// gradients, the ascent, momentum and Adam state, losses) in f32 and f32x4 (four lanes a
// vector, `lanes` in flight): the job's buffers stay f64 (start points are rounded to float on
// entry, results widened on exit), counters (t, evaluations, passes) stay f64, imported Math
// functions are called in f64 (widen, call, round), and conditions compare in f64. The draws
// are the same int32 bits as in double precision, so the noise matches the f64 kernels': 2-D
// noise computes the angle's y and the radius's uniform (a gaussian's -2 log u) exactly as in
// double precision, rounds them to float, and takes the rest in float (ANGLE_F32, within
// float's precision of the f64 noise); every other noise is computed in f64, as the f64 kernel
// does (so rejection loops spend the same draws), and rounded to float once. The general path
// and the lockstep lanes perform the same float operations, so results do not depend on how
// restarts are split into jobs. Lockstep noise in single precision is drawn ahead for a chunk
// of passes (see noiseAhead), into memory the module reserves below the job's arrays.
//
// Module contract: imports `Math.<fn>` (f64 -> f64, pow f64 f64 -> f64); exports `memory`,
// `reserved` (the bytes at the start of memory the kernel uses itself) and `run(count, budget,
// iterations, stride, points, hasCurve, keys, start, end, loss, evals, steps, curve)`, where
// the last seven are byte offsets into `memory` of the KernelJob arrays (runtime/kernel.ts),
// laid out by the loader after the reserved bytes: keys as 2 x count int32, start and end as
// `dims` columns of count f64 each, loss, evals and steps as count f64, curve as
// count x points f64 (in both precisions). See runtime/backends/wasm.ts.
import { LOWBIAS32_FINAL_SHIFT, LOWBIAS32_ROUNDS } from "../../runtime/rng.js";
import { emitStraightLine } from "../symbolic/index.js";
import type { LandscapeIR } from "../lower/landscape.js";
import { loopPassCost } from "../lower/cost.js";
import { ANGLE } from "./emit-js.js";
import { loopPass, slotKinds, slotStateNames, type Ascent, type FlowState } from "./flow.js";
import { conditionReadsGradient, conditionReadsLoss, flattenSteps, type CondIR, type OptimizerIR, type Step, type ValueIR } from "../lower/ir.js";
import { indent, range } from "./text.js";
import { angleSeries, DOUBLE, f64, f64x2, i32x4, interleave, SINGLE, type Numeric, type Precision } from "./wasm-text.js";

export type { Precision } from "./wasm-text.js";

export interface EmittedWasmKernel {
  readonly wat: string;
}

/** Where a budget check leaves to, and whether it is inside a hop (which records the accepted loss). */
interface Exit {
  readonly label: string;
  readonly inHop: boolean;
}

/**
 * Emits readable WAT for `optimizer` on `landscape`: in double precision the general path of
 * emit-js, bit-identical; in single precision the same steps in float arithmetic.
 */
export function emitWasmKernel(optimizer: OptimizerIR, landscape: LandscapeIR, precision: Precision = "f64"): EmittedWasmKernel {
  return { wat: new WasmEmitter(optimizer, landscape, precision === "f32" ? SINGLE : DOUBLE).emit() };
}

/** V8 accepts up to 50,000 locals per function; leave room for the engine's own. */
const MAX_LOCALS = 40_000;

/**
 * Trajectories per lockstep group, measured on Himmelblau (fewer vectors leave the units idle,
 * more spill registers): double precision, eight f64x2 vectors (16 lanes; GD 1.3x faster than
 * with four, NiG a little); single precision, eight f32x4 vectors (32 lanes) without noise,
 * four (16 lanes) when the pass draws noise, whose many constants and temporaries then spill.
 */
const LANES = { f64: 16, f32: 32, f32Noisy: 16 } as const;

/** Lane scalars of $lockstep held as i32x4 vectors of four lanes: the generator's counter and keys. */
const QUAD_SCALARS: ReadonlySet<string> = new Set(["c", "k0", "k1"]);

/** The sign bit of every i32x4 lane. */
const SIGN32 = i32x4(0x80000000);

type LocalType = "f64" | "f32" | "i32" | "v128";

/** How expressions of emitStraightLine's code are written: scalar or vector. */
interface Arith {
  binary(op: "add" | "sub" | "mul" | "div", left: string, right: string): string;
  neg(operand: string): string;
  num(value: number): string;
  call(fn: string, args: readonly string[]): string;
}

class WasmEmitter {
  private readonly dims: number;
  private readonly hasAscent: boolean;
  private readonly hasHop: boolean;
  private readonly slotKinds: Map<number, "sgd" | "momentum" | "adam">;
  /** Whether every lockstep lane counts the same iterations (no `descend` under an `if`): then one `t` serves all. */
  private readonly sharedSteps: boolean;
  private readonly imports = new Set<string>();
  /** The trajectories' number type (F) and vector type (V). */
  private readonly F: "f64" | "f32";
  private readonly V: "f64x2" | "f32x4";
  /** Lanes per vector, and lanes per lockstep group. */
  private readonly width: number;
  private readonly lanes: number;
  /** Locals of the function being emitted ($trajectory, then $lockstep). */
  private locals = new Map<string, LocalType>();
  private unique = 0;
  /**
   * Where $lockstep's 2-D noise goes: added to its target (undefined), or, when the noise of a
   * chunk of passes is drawn ahead (see lockstepFunction), stored to or loaded from its slot.
   */
  private noiseSink: { mode: "store" | "load"; slot: number } | undefined;
  /** Bytes at the start of memory for the noise drawn ahead; the loader puts the job's arrays after them. */
  private reserved = 0;
  private aheadBytesPerPass = 0;

  constructor(
    private readonly optimizer: OptimizerIR,
    private readonly landscape: LandscapeIR,
    private readonly n: Numeric,
  ) {
    this.dims = landscape.dims;
    this.F = n.scalar;
    this.V = n.vector;
    this.width = n.width;
    this.lanes = n.precision === "f64" ? LANES.f64 : flattenSteps(optimizer.loop).some((s) => s.op === "perturb") ? LANES.f32Noisy : LANES.f32;
    const all = [...flattenSteps(optimizer.start), ...flattenSteps(optimizer.loop)];
    this.hasAscent = all.some((s) => s.op === "ascend");
    this.hasHop = all.some((s) => s.op === "hop");
    this.slotKinds = slotKinds(all);
    this.sharedSteps = !all.some((s) => s.op === "if" && flattenSteps(s.body).some((b) => b.op === "descend"));
  }

  emit(): string {
    const lossFunction = this.lossFunction();
    const { body, endsClean } = this.trajectoryBody();
    const trajectoryLocals = this.locals;
    const pass = loopPassCost(this.optimizer.loop);
    // The same eligibility as emit-js's lockstep.
    let lockstep = this.optimizer.start.length === 0 && !this.hasHop && endsClean && pass.exact !== undefined && pass.exact >= 1 ? pass.exact : undefined;
    let lockstepFunction = lockstep !== undefined ? this.lockstepFunction() : [];
    // The lockstep function holds every lane's state: where that is more than an engine
    // allows, the trajectories run one at a time (same results).
    if (this.locals.size > MAX_LOCALS) {
      lockstep = undefined;
      lockstepFunction = [];
    }
    const F = this.F;
    const out: string[] = [];
    const p = this.optimizer.params;
    out.push(`;; optimizer ${this.optimizer.name} (${this.optimizer.declaration}${Object.keys(p).length ? `: ${Object.entries(p).map(([k, v]) => `${k} = ${v}`).join(", ")}` : ""})`);
    out.push(`;; landscape ${this.landscape.name} (${this.dims} coordinates: ${this.landscape.coordinates.join(", ")})`);
    const kind = F === "f64" ? "the general one-trajectory path of the JS kernel" : "the JS kernel's steps in single precision (f32), one trajectory at a time";
    out.push(`;; Generated by optc's wasm emitter: ${kind}${lockstep !== undefined ? `, after ${this.lanes} trajectories in lockstep (${this.V}) for all but the last pass` : ""}.`);
    out.push(`(module`);
    for (const fn of [...this.imports].sort()) {
      const params = fn === "pow" ? "f64 f64" : "f64";
      out.push(`  (import "Math" "${fn}" (func $Math_${fn} (param ${params}) (result f64)))`);
    }
    out.push(`  (memory (export "memory") 1)`);
    // Memory below `reserved` is the kernel's (noise drawn ahead); the job's arrays follow it.
    out.push(`  (global (export "reserved") i32 (i32.const ${this.reserved}))`);
    // The job's scalars and array offsets, set once per `run`.
    for (const g of ["count", "points", "keys", "start", "end", "loss", "evals", "steps", "curve"]) out.push(`  (global $${g} (mut i32) (i32.const 0))`);
    for (const g of ["budget", "iterations", "stride", "firstRecord", "lockPasses"]) out.push(`  (global $${g} (mut f64) (f64.const 0))`);
    out.push(...indent(lossFunction, 1));
    // Every coordinate lives in locals, as in the JS kernel; engines cap a function's locals.
    const params = this.stateParams();
    const size = trajectoryLocals.size;
    if (size > MAX_LOCALS) throw new Error(`wasm backend: ${this.dims} coordinates need ${size} locals; more than ${MAX_LOCALS} are not supported yet`);
    // $trajectory(r, state..): the general path from a given state, as emit-js's `trajectory`.
    out.push(`  (func $trajectory (param $r i32) ${params.map(([name, type]) => `(param $${name} ${type})`).join(" ")}`);
    const isParam = new Set(params.map(([name]) => name));
    for (const [name, type] of trajectoryLocals) if (!isParam.has(name)) out.push(`    (local $${name} ${type})`);
    out.push(...indent(body, 2));
    out.push(`  )`);
    out.push(...indent(lockstepFunction, 1));
    const fresh = params.map(([name, type]) => {
      const w = /^w(\d+)$/.exec(name);
      if (w) return this.n.fromF64(`(f64.load ${this.column("start", Number(w[1]), "(local.get $r)")})`);
      if (name === "rec") return `(global.get $firstRecord)`;
      return `(${type}.const 0)`;
    });
    out.push(
      `  (func (export "run") (param $count i32) (param $budget f64) (param $iterations f64) (param $stride f64) (param $points i32) (param $hasCurve i32)`,
      `      (param $keys i32) (param $start i32) (param $end i32) (param $loss i32) (param $evals i32) (param $steps i32) (param $curve i32)`,
      `    (local $r i32)`,
      ...["count", "budget", "iterations", "stride", "points", "keys", "start", "end", "loss", "evals", "steps", "curve"].map((g) => `    (global.set $${g} (local.get $${g}))`),
      // -1 is never reached by the evaluation count: no curve, no record (as in emit-js).
      `    (global.set $firstRecord (select (f64.const 0) (f64.const -1) (local.get $hasCurve)))`,
    );
    if (lockstep !== undefined)
      out.push(
        // lockPasses = max(0, min(floor(budget / passCost), iterations) - 1): the final pass runs
        // in the general code, which owns every budget check.
        `    (global.set $lockPasses (f64.max (f64.const 0) (f64.sub (f64.min (f64.floor (f64.div (local.get $budget) ${f64(lockstep)})) (local.get $iterations)) (f64.const 1))))`,
        `    (block $lockDone (loop $lockNext`,
        `      (br_if $lockDone (i32.gt_s (i32.add (local.get $r) (i32.const ${this.lanes})) (local.get $count)))`,
        `      (call $lockstep (local.get $r))`,
        `      (local.set $r (i32.add (local.get $r) (i32.const ${this.lanes})))`,
        `      (br $lockNext)))`,
      );
    out.push(
      `    (block $done (loop $next`,
      `      (br_if $done (i32.ge_s (local.get $r) (local.get $count)))`,
      `      (call $trajectory (local.get $r) ${fresh.join(" ")})`,
      `      (local.set $r (i32.add (local.get $r) (i32.const 1)))`,
      `      (br $next)))`,
      `  )`,
    );
    out.push(`)`);
    return out.join("\n") + "\n";
  }

  /** The state $trajectory starts from (emit-js's `trajectory` parameters): w, t, ev, c, passes, rec, slots. */
  private stateParams(): [string, LocalType][] {
    const F = this.F;
    return [
      ...range(this.dims).map((i) => [`w${i}`, F] as [string, LocalType]),
      ["t", "f64"],
      ["ev", "f64"],
      ["c", "i32"],
      ["passes", "f64"],
      ["rec", "f64"],
      ...this.slotLocals().map((name) => [name, name.startsWith("n") ? "f64" : F] as [string, LocalType]),
    ];
  }

  /** The byte address of column `i` of a KernelJob array at restart `row`. */
  private column(base: string, i: number, row: string): string {
    return `(i32.add (global.get $${base}) (i32.shl (i32.add (i32.mul (global.get $count) (i32.const ${i})) ${row}) (i32.const 3)))`;
  }

  /** Stores a number of this precision into an f64 array of the job. */
  private storeF64(address: string, value: string): string {
    return `(f64.store ${address} ${this.n.toF64(value)})`;
  }

  /** $lossAt(w0, ..): f at a point, from the same straight-line code as the JS kernel's. */
  private lossFunction(): string[] {
    const F = this.F;
    const d = range(this.dims);
    const { statements, results } = emitStraightLine([this.landscape.objective], d.map((i) => `x${i}`), "q");
    const resolve = (name: string) => {
      const m = /^x(\d+)$/.exec(name);
      return m ? `(local.get $w${m[1]})` : `(local.get $${name})`;
    };
    const out = [`(func $lossAt ${d.map((i) => `(param $w${i} ${F})`).join(" ")} (result ${F})`];
    for (let k = 0; k < statements.length; k++) out.push(`  (local $q${k} ${F})`);
    for (const s of statements) {
      const [, name, expr] = /^const (\w+) = (.*);$/.exec(s)!;
      out.push(`  (local.set $${name} ${this.jsToWat(expr!, resolve)})`);
    }
    out.push(`  ${this.jsToWat(results[0]!, resolve)})`);
    return out;
  }

  /** Registers a local of the function being emitted (a number of this precision by default). */
  private local(name: string, type: LocalType = this.F): string {
    this.locals.set(name, type);
    return name;
  }

  private lossCall(base: "w" | "a"): string {
    return `(call $lossAt ${range(this.dims).map((i) => `(local.get $${base}${i})`).join(" ")})`;
  }

  private slotLocals(): string[] {
    return slotStateNames(this.slotKinds, this.dims, (state, slot, i) => (state === "n" ? `n${slot}` : `${state}${slot}_${i}`));
  }

  /**
   * Registers the locals of the scalar step code in the function being emitted: counters in
   * f64, the trajectory's numbers in this precision, the noise's in f64 (zn2 .. fq, z0 ..).
   */
  private scalarLocals(): void {
    const d = range(this.dims);
    for (const name of ["t", "ev", "passes", "rec", "zn2", "zu", "zr", "zn", "zs", "fq", "qa", "qb", "qq"]) this.local(name, "f64");
    for (const name of ["fa", "loss", "candidate", "fEnd", "norm", "s"]) this.local(name);
    for (const name of ["k0", "k1", "c", "gv", "exhausted", "bits"]) this.local(name, "i32");
    for (const i of d) for (const v of ["w", "g", "e", "a", "p"]) this.local(`${v}${i}`);
    for (const i of d) this.local(`z${i}`, "f64");
    for (const name of this.slotLocals()) this.local(name, name.startsWith("n") ? "f64" : this.F);
  }

  private trajectoryBody(): { body: string[]; endsClean: boolean } {
    const d = range(this.dims);
    const out: string[] = [];
    this.scalarLocals();
    const column = (base: string, i: number) => this.column(base, i, "(local.get $r)");
    out.push(`(local.set $k0 (i32.load (i32.add (global.get $keys) (i32.shl (local.get $r) (i32.const 3)))))`);
    out.push(`(local.set $k1 (i32.load offset=4 (i32.add (global.get $keys) (i32.shl (local.get $r) (i32.const 3)))))`);
    if (this.hasHop) out.push(...d.map((i) => `(local.set $a${i} (local.get $w${i}))`));
    out.push(`(block $traj`);
    const traj: Exit = { label: "traj", inHop: false };
    if (this.optimizer.start.length > 0) {
      out.push(`  (block $start`);
      const state: FlowState = { gradient: "stale", ascent: "none" };
      out.push(...indent(this.steps(this.optimizer.start, state, { label: "start", inHop: false }), 2));
      out.push(`  )`);
      if (this.hasHop) {
        out.push(...d.map((i) => `  (local.set $a${i} (local.get $w${i}))`));
        out.push(`  (local.set $fa ${this.lossCall("w")})`);
      }
      out.push(`  (br_if $traj (local.get $exhausted))`);
    } else if (this.hasHop) {
      out.push(`  (local.set $fa ${this.lossCall("w")})`);
    }
    out.push(`  (loop $pass`);
    out.push(`    (br_if $traj (f64.ge (local.get $passes) (global.get $iterations)))`);
    out.push(`    (local.set $passes (f64.add (local.get $passes) (f64.const 1)))`);
    const pass = loopPass("none", (state) => this.steps(this.optimizer.loop, state, traj));
    out.push(...indent(pass.code, 2));
    out.push(`    (br $pass))`);
    out.push(`)`);
    const endPoint = this.hasHop ? "a" : "w";
    for (const i of d) out.push(this.storeF64(column("end", i), `(local.get $${endPoint}${i})`));
    out.push(`(local.set $fEnd ${this.lossCall(endPoint)})`);
    out.push(this.storeF64(column("loss", 0), `(local.get $fEnd)`));
    out.push(`(f64.store ${column("evals", 0)} (local.get $ev))`);
    out.push(`(f64.store ${column("steps", 0)} (local.get $t))`);
    out.push(`(if (f64.eq (local.get $ev) (local.get $rec)) (then ${this.storeCurve("(local.get $fEnd)")}))`);
    return { body: out, endsClean: pass.ascent === "none" };
  }

  /** curve[r * points + ev / stride] = value (of this precision, stored as f64), dropped outside the job's curve as a typed array would. */
  private storeCurve(value: string, row = "(local.get $r)", ev = "(local.get $ev)"): string {
    const index = `(f64.add (f64.convert_i32_s (i32.mul ${row} (global.get $points))) (f64.div ${ev} (global.get $stride)))`;
    const total = `(f64.convert_i32_s (i32.mul (global.get $count) (global.get $points)))`;
    this.local("ci", "f64");
    return `(local.set $ci ${index}) (if (i32.and (f64.ge (local.get $ci) (f64.const 0)) (f64.lt (local.get $ci) ${total})) (then ${this.storeF64(`(i32.add (global.get $curve) (i32.shl (i32.trunc_f64_s (local.get $ci)) (i32.const 3)))`, value)}))`;
  }

  private steps(steps: readonly Step[], state: FlowState, exit: Exit): string[] {
    return steps.flatMap((step) => this.step(step, state, exit));
  }

  private budgetCheck(exit: Exit): string[] {
    return [`(if (f64.ge (local.get $ev) (global.get $budget)) (then (local.set $exhausted (i32.const 1)) (br $${exit.label})))`];
  }

  private needGradient(state: FlowState, exit: Exit): string[] {
    if (state.gradient === "valid") return [];
    const value = exit.inHop ? "(local.get $fa)" : this.lossCall("w");
    const body = [
      ...this.budgetCheck(exit),
      `(if (f64.eq (local.get $ev) (local.get $rec)) (then ${this.storeCurve(value)} (local.set $rec (f64.add (local.get $rec) (global.get $stride)))))`,
      `(local.set $ev (f64.add (local.get $ev) (f64.const 1)))`,
      ...this.gradientCode(state.ascent),
    ];
    const out = state.gradient === "stale" ? body : [`(if (i32.eqz (local.get $gv)) (then`, ...indent(body, 1), `))`];
    state.gradient = "valid";
    return out;
  }

  private gradientCode(ascent: Ascent): string[] {
    const F = this.F;
    const d = range(this.dims);
    const base = ascent === "none" ? "w" : "p";
    const out: string[] = [];
    if (ascent !== "none") out.push(...d.map((i) => `(local.set $p${i} (${F}.add (local.get $w${i}) (local.get $e${i})))`));
    const { statements, results } = emitStraightLine(this.landscape.gradient, d.map((i) => `x${i}`), "q");
    const resolve = (name: string) => {
      const m = /^x(\d+)$/.exec(name);
      if (m) return `(local.get $${base}${m[1]})`;
      return `(local.get $${this.local(name)})`;
    };
    for (const s of statements) {
      const [, name, expr] = /^const (\w+) = (.*);$/.exec(s)!;
      out.push(`(local.set $${this.local(name!)} ${this.jsToWat(expr!, resolve)})`);
    }
    // JS assigns g0, g1, .. in turn, each from temps and inputs only: same values here.
    out.push(...d.map((i) => `(local.set $g${i} ${this.jsToWat(results[i]!, resolve)})`));
    return out;
  }

  /** |g|^2 in this precision. */
  private gradNormSquared(): string {
    return this.sum(range(this.dims).map((i) => `(${this.F}.mul (local.get $g${i}) (local.get $g${i}))`), this.F);
  }

  /** a + b + c .. left to right, as JS evaluates it. */
  private sum(terms: readonly string[], type: string): string {
    return terms.reduce((acc, term) => `(${type}.add ${acc} ${term})`);
  }

  private step(step: Step, state: FlowState, exit: Exit): string[] {
    const F = this.F;
    const c = (v: number) => this.n.constant(v);
    const d = range(this.dims);
    const out: string[] = [];
    switch (step.op) {
      case "perturb": {
        if (step.target === "gradient") {
          out.push(...this.needGradient(state, exit));
          out.push(...this.noise(step.family, step.scale, "g"));
        } else {
          out.push(...this.budgetCheck(exit));
          out.push(...this.noise(step.family, step.scale, "w"));
          state.gradient = "stale";
        }
        return out;
      }
      case "ascend": {
        out.push(...this.needGradient(state, exit));
        if (step.normalized) {
          out.push(`(local.set $norm (${F}.sqrt ${this.gradNormSquared()}))`);
          out.push(`(local.set $s (if (result ${F}) (${F}.gt (local.get $norm) (${F}.const 0)) (then (${F}.div ${c(step.radius)} (local.get $norm))) (else (${F}.const 0))))`);
          out.push(...d.map((i) => `(local.set $e${i} (${F}.mul (local.get $s) (local.get $g${i})))`));
        } else out.push(...d.map((i) => `(local.set $e${i} (${F}.mul ${c(step.radius)} (local.get $g${i})))`));
        state.gradient = "stale";
        state.ascent = "active";
        return out;
      }
      case "descend": {
        out.push(...this.needGradient(state, exit));
        out.push(...this.update(step));
        if (this.hasAscent && state.ascent !== "none") out.push(...d.map((i) => `(local.set $e${i} (${F}.const 0))`));
        out.push(`(local.set $t (f64.add (local.get $t) (f64.const 1)))`);
        state.gradient = "stale";
        state.ascent = "none";
        return out;
      }
      case "if": {
        if (conditionReadsGradient(step.condition)) out.push(...this.needGradient(state, exit));
        const before: FlowState = { ...state };
        const inner: FlowState = { ...state };
        const s: FlowState = { ...state };
        const body = this.steps(step.body, s, exit);
        Object.assign(inner, s);
        const changes = inner.gradient !== before.gradient;
        if (changes && before.gradient !== "unknown") out.push(`(local.set $gv (i32.const ${before.gradient === "valid" ? 1 : 0}))`);
        if (conditionReadsLoss(step.condition)) out.push(`(local.set $loss ${this.lossCall("w")})`);
        out.push(`(if ${this.condition(step.condition)} (then`, ...indent(body, 1));
        if (changes && inner.gradient !== "unknown") out.push(`  (local.set $gv (i32.const ${inner.gradient === "valid" ? 1 : 0}))`);
        out.push(`))`);
        state.gradient = changes ? "unknown" : before.gradient;
        state.ascent = inner.ascent === before.ascent ? before.ascent : "unknown";
        return out;
      }
      case "repeat": {
        const id = this.unique++;
        const i = this.local(`i${id}`, "f64");
        // for (i = 0; i < times; i++) { [if (until) break;] body }: `times` may be huge, so f64.
        out.push(`(local.set $${i} (f64.const 0))`);
        out.push(`(block $repeat${id} (loop $pass${id}`);
        out.push(`  (br_if $repeat${id} (i32.eqz (f64.lt (local.get $${i}) ${f64(step.times)})))`);
        const { code, ascent } = loopPass(state.ascent, (passState) => {
          const pass: string[] = [];
          if (step.until) {
            if (conditionReadsGradient(step.until)) pass.push(...this.needGradient(passState, exit));
            if (conditionReadsLoss(step.until)) pass.push(`(local.set $loss ${this.lossCall("w")})`);
            pass.push(`(br_if $repeat${id} ${this.condition(step.until)})`);
          }
          return [...pass, ...this.steps(step.body, passState, exit)];
        });
        out.push(...indent(code, 1));
        out.push(`  (local.set $${i} (f64.add (local.get $${i}) (f64.const 1)))`);
        out.push(`  (br $pass${id})))`);
        state.gradient = "stale";
        state.ascent = ascent;
        return out;
      }
      case "hop": {
        const label = `hop${this.unique++}`;
        out.push(`(block $${label}`);
        const hop = loopPass(state.ascent, (hopState) => this.steps(step.body, hopState, { label, inHop: true }));
        out.push(...indent(hop.code, 1), `)`);
        out.push(`(local.set $candidate ${this.lossCall("w")})`);
        const take = [...d.map((i) => `(local.set $a${i} (local.get $w${i}))`), `(local.set $fa (local.get $candidate))`].join(" ");
        const revert = d.map((i) => `(local.set $w${i} (local.get $a${i}))`).join(" ");
        if (step.accept.rule === "always") out.push(take);
        else if (step.accept.rule === "lower") out.push(`(if (${F}.lt (local.get $candidate) (local.get $fa)) (then ${take}) (else ${revert}))`);
        else {
          // candidate < fa || uniform(k0, k1, c++) < exp((fa - candidate) / T): the draw only
          // happens when the first test fails, as JS's || short-circuits.
          this.imports.add("exp");
          const gap = this.n.toF64(`(${F}.sub (local.get $fa) (local.get $candidate))`);
          const draw = `(f64.lt ${this.unit()} (call $Math_exp (f64.div ${gap} ${f64(step.accept.temperature)})))`;
          out.push(`(if (if (result i32) (${F}.lt (local.get $candidate) (local.get $fa)) (then (i32.const 1)) (else ${draw})) (then ${take}) (else ${revert}))`);
        }
        out.push(`(br_if $traj (local.get $exhausted))`);
        state.gradient = "stale";
        state.ascent = hop.ascent;
        return out;
      }
    }
  }

  private update(step: Extract<Step, { op: "descend" }>): string[] {
    const F = this.F;
    const c = (v: number) => this.n.constant(v);
    const d = range(this.dims);
    const rate = c(step.rate);
    const m = step.method;
    const w = (i: number) => `(local.get $w${i})`;
    const g = (i: number) => `(local.get $g${i})`;
    switch (m.kind) {
      case "sgd":
        return d.map((i) => `(local.set $w${i} (${F}.sub ${w(i)} (${F}.mul ${rate} ${g(i)})))`);
      case "momentum":
        return d.flatMap((i) => {
          const v = `(local.get $m${step.slot}_${i})`;
          const direction = m.nesterov ? `(${F}.add ${g(i)} (${F}.mul ${c(m.beta)} ${v}))` : v;
          return [`(local.set $m${step.slot}_${i} (${F}.add (${F}.mul ${c(m.beta)} ${v}) ${g(i)}))`, `(local.set $w${i} (${F}.sub ${w(i)} (${F}.mul ${rate} ${direction})))`];
        });
      case "adam": {
        this.imports.add("pow");
        const n = `(local.get $n${step.slot})`;
        const out = [
          `(local.set $n${step.slot} (f64.add ${n} (f64.const 1)))`,
          `(local.set $${this.local("c1")} (${F}.sub (${F}.const 1) ${this.n.fromF64(`(call $Math_pow ${f64(m.beta1)} ${n})`)}))`,
          `(local.set $${this.local("c2")} (${F}.sub (${F}.const 1) ${this.n.fromF64(`(call $Math_pow ${f64(m.beta2)} ${n})`)}))`,
        ];
        for (const i of d) {
          const mm = `$m${step.slot}_${i}`;
          const vv = `$v${step.slot}_${i}`;
          out.push(`(local.set ${mm} (${F}.add (${F}.mul ${c(m.beta1)} (local.get ${mm})) (${F}.mul ${c(1 - m.beta1)} ${g(i)})))`);
          out.push(`(local.set ${vv} (${F}.add (${F}.mul ${c(m.beta2)} (local.get ${vv})) (${F}.mul (${F}.mul ${c(1 - m.beta2)} ${g(i)}) ${g(i)})))`);
          out.push(`(local.set $w${i} (${F}.sub ${w(i)} (${F}.div (${F}.mul ${rate} (${F}.div (local.get ${mm}) (local.get $c1))) (${F}.add (${F}.sqrt (${F}.div (local.get ${vv}) (local.get $c2))) ${c(m.epsilon)}))))`);
        }
        return out;
      }
    }
  }

  // ---- Lockstep: `lanes` trajectories as vectors of `width` lanes (lane L is lane L % width of
  // vector L / width), the generator's state as i32x4 quads (lane L is lane L % 4 of quad L / 4).

  /** Per-trajectory state kept as vectors in $lockstep (suffix __V<j>): w, g, e and the m / v slots. */
  private vectorState(): string[] {
    const d = range(this.dims);
    return [...d.map((i) => `w${i}`), ...d.map((i) => `g${i}`), ...(this.hasAscent ? d.map((i) => `e${i}`) : []), ...this.slotLocals().filter((n) => !n.startsWith("n"))];
  }

  /**
   * Per-trajectory scalars of $lockstep (the evaluation count and the next record are shared:
   * every lane spends the same evaluations; so is the iteration count t when no `if` holds a
   * `descend`): f64s kept per lane (suffix __L<lane>); the generator's
   * counter and keys (QUAD_SCALARS) as i32x4 vectors of four lanes (suffix __Q<L / 4>, lane L % 4),
   * so that 2-D noise draws four lanes' bits at once.
   */
  private laneScalars(): [string, LocalType][] {
    return [...(this.sharedSteps ? [] : [["t", "f64"] as [string, LocalType]]), ["c", "i32"], ["k0", "i32"], ["k1", "i32"], ...this.slotLocals().filter((n) => n.startsWith("n")).map((n) => [n, "f64"] as [string, LocalType])];
  }

  /** Lane L's value of the lane scalar `name` in $lockstep. */
  private laneGet(name: string, L: number): string {
    return QUAD_SCALARS.has(name) ? `(i32x4.extract_lane ${L % 4} (local.get $${name}__Q${L >> 2}))` : `(local.get $${name}__L${L})`;
  }

  /** Sets lane L's value of the lane scalar `name` in $lockstep. */
  private laneSet(name: string, L: number, value: string): string {
    return QUAD_SCALARS.has(name) ? `(local.set $${name}__Q${L >> 2} (i32x4.replace_lane ${L % 4} (local.get $${name}__Q${L >> 2}) ${value}))` : `(local.set $${name}__L${L} ${value})`;
  }

  /** Lane L's value of the vector state `name` in $lockstep. */
  private vectorLane(name: string, L: number): string {
    return `(${this.V}.extract_lane ${L % this.width} (local.get $${name}__V${Math.floor(L / this.width)}))`;
  }

  /** $lockstep(base): trajectories base .. base + lanes - 1 for lockPasses passes, then each in $trajectory. */
  private lockstepFunction(): string[] {
    this.locals = new Map();
    this.scalarLocals();
    this.local("r", "i32");
    this.local("lockPass", "f64");
    const d = range(this.dims);
    const lanes = range(this.lanes);
    const vectors = range(this.lanes / this.width);
    for (const name of this.vectorState()) for (const j of vectors) this.local(`${name}__V${j}`, "v128");
    for (const [name, type] of this.laneScalars()) {
      if (QUAD_SCALARS.has(name)) for (const g of range(this.lanes / 4)) this.local(`${name}__Q${g}`, "v128");
      else for (const L of lanes) this.local(`${name}__L${L}`, type);
    }
    const body: string[] = [];
    // Four lanes' keys are two v128 loads of (k0, k1) pairs, unzipped.
    for (const g of range(this.lanes / 4)) {
      const pairs = (half: number) => `(v128.load align=4 (i32.add (global.get $keys) (i32.shl (i32.add (local.get $base) (i32.const ${4 * g + 2 * half})) (i32.const 3))))`;
      body.push(`(local.set $k0__Q${g} (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 ${pairs(0)} ${pairs(1)}))`);
      body.push(`(local.set $k1__Q${g} (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 ${pairs(0)} ${pairs(1)}))`);
    }
    body.push(`(local.set $rec (global.get $firstRecord))`);
    const starts = (i: number, first: number) => `(v128.load align=8 ${this.column("start", i, `(i32.add (local.get $base) (i32.const ${first}))`)})`;
    for (const i of d)
      for (const j of vectors) {
        // Single precision: four f64 starts rounded to float, two at a time.
        const value = this.F === "f64" ? starts(i, 2 * j) : demote4(starts(i, 4 * j), starts(i, 4 * j + 2));
        body.push(`(local.set $w${i}__V${j} ${value})`);
      }
    const ahead = this.noiseAhead();
    if (ahead === undefined) {
      body.push(`(block $lock (loop $lockLoop`);
      body.push(`  (br_if $lock (i32.eqz (f64.lt (local.get $lockPass) (global.get $lockPasses))))`);
      const state: FlowState = { gradient: "stale", ascent: "none" };
      body.push(...indent(this.vsteps(this.optimizer.loop, state), 1));
      body.push(`  (local.set $lockPass (f64.add (local.get $lockPass) (f64.const 1)))`);
      body.push(`  (br $lockLoop)))`);
    } else {
      // The noise does not depend on the trajectories, only on the lanes' counters: a chunk of
      // passes' noise is drawn first, in a loop of its own (few live values, so few spills),
      // then the passes run and read it back. Each lane's draws keep their order.
      const { perturbs, chunk } = ahead;
      this.local("aheadPass", "i32");
      this.local("aheadPasses", "i32");
      body.push(`(block $lock (loop $lockLoop`);
      body.push(`  (br_if $lock (i32.eqz (f64.lt (local.get $lockPass) (global.get $lockPasses))))`);
      body.push(`  (local.set $aheadPasses (i32.trunc_f64_u (f64.min (f64.sub (global.get $lockPasses) (local.get $lockPass)) (f64.const ${chunk}))))`);
      const chunkLoop = (name: string, code: readonly string[]) => [
        `  (local.set $aheadPass (i32.const 0))`,
        `  (block $${name} (loop $${name}Next`,
        `    (br_if $${name} (i32.ge_u (local.get $aheadPass) (local.get $aheadPasses)))`,
        ...indent(code, 2),
        `    (local.set $aheadPass (i32.add (local.get $aheadPass) (i32.const 1)))`,
        `    (br $${name}Next)))`,
      ];
      const draw = perturbs.flatMap((step, slot) => {
        this.noiseSink = { mode: "store", slot };
        return this.vNoise(step.family, step.scale, "g");
      });
      body.push(...chunkLoop("draw", draw));
      let slot = 0;
      const state: FlowState = { gradient: "stale", ascent: "none" };
      const passes = this.vsteps(this.optimizer.loop, state, () => (this.noiseSink = { mode: "load", slot: slot++ }));
      this.noiseSink = undefined;
      body.push(...chunkLoop("run", passes));
      body.push(`  (local.set $lockPass (f64.add (local.get $lockPass) (f64.convert_i32_u (local.get $aheadPasses))))`);
      body.push(`  (br $lockLoop)))`);
    }
    for (const L of lanes) {
      const args = this.stateParams().map(([name]) => {
        if (name === "passes") return `(global.get $lockPasses)`;
        if (name === "ev" || name === "rec" || (name === "t" && this.sharedSteps)) return `(local.get $${name})`;
        if (this.laneScalars().some(([n]) => n === name)) return this.laneGet(name, L);
        return this.vectorLane(name, L);
      });
      body.push(`(call $trajectory (i32.add (local.get $base) (i32.const ${L})) ${args.join(" ")})`);
    }
    return [`(func $lockstep (param $base i32)`, ...[...this.locals].map(([name, type]) => `  (local $${name} ${type})`), ...indent(body, 1), `)`];
  }

  /** `onNoise` is told before each 2-D noise step, in order. */
  private vsteps(steps: readonly Step[], state: FlowState, onNoise?: () => void): string[] {
    return steps.flatMap((step) => this.vstep(step, state, onNoise));
  }

  /**
   * In single precision, when the lockstep loop's only draws are 2-D noise steps at its top
   * level (so every pass draws the same number of times on every lane, whatever the data),
   * those steps and the passes per chunk of noise drawn ahead; else undefined. Sets `reserved`
   * for the chunk. (Measured on NiG-GD: single precision gains 15%; in double precision the
   * draw loop's eight f64x2 noise chains spill more than the passes save: 20% slower.)
   */
  private noiseAhead(): { perturbs: Extract<Step, { op: "perturb" }>[]; chunk: number } | undefined {
    const perturbs = this.optimizer.loop.filter((s): s is Extract<Step, { op: "perturb" }> => s.op === "perturb");
    if (this.F === "f64" || this.dims !== 2 || perturbs.length === 0 || flattenSteps(this.optimizer.loop).filter((s) => s.op === "perturb").length !== perturbs.length) return undefined;
    const bytesPerPass = perturbs.length * (this.lanes / this.width) * 2 * 16;
    // 64 passes (8 KiB for one noise step) amortize the loop switch; at most 32 KiB of memory.
    const chunk = Math.max(1, Math.min(64, Math.floor(32768 / bytesPerPass)));
    this.reserved = chunk * bytesPerPass;
    this.aheadBytesPerPass = bytesPerPass;
    return { perturbs, chunk };
  }

  /** The memory operand of lockstep noise vector `j`, coordinate `i`, of the sink's slot, in pass $aheadPass of the chunk. */
  private noiseAddress(slot: number, j: number, i: number): string {
    return `offset=${(slot * (this.lanes / this.width) + j) * 32 + 16 * i} (i32.mul (local.get $aheadPass) (i32.const ${this.aheadBytesPerPass}))`;
  }

  /**
   * Adds one lockstep noise vector (coordinate i of vector j, a v128 expression) to its target,
   * or stores it for a later pass when the noise is drawn ahead.
   */
  private applyNoise(target: "w" | "g", i: number, j: number, zeta: string): string {
    if (this.noiseSink?.mode === "store") return `(v128.store ${this.noiseAddress(this.noiseSink.slot, j, i)} ${zeta})`;
    return `(local.set $${target}${i}__V${j} (${this.V}.add (local.get $${target}${i}__V${j}) ${zeta}))`;
  }

  /** 2-D noise on every lane: drawn here, or read back when it was drawn ahead. */
  private vNoise(family: "ball" | "gaussian" | "sphere", scale: number, target: "w" | "g"): string[] {
    const sink = this.noiseSink;
    if (sink?.mode === "load") {
      const load = (j: number, i: number) => `(local.set $${target}${i}__V${j} (${this.V}.add (local.get $${target}${i}__V${j}) (v128.load ${this.noiseAddress(sink.slot, j, i)})))`;
      return range(this.lanes / this.width).flatMap((j) => [load(j, 0), load(j, 1)]);
    }
    return this.F === "f64" ? this.vNoise2(family, scale, target) : this.vNoise2Single(family, scale, target);
  }

  /** One step on every lane: vector arithmetic where the step is arithmetic, else the scalar code lane by lane. */
  private vstep(step: Step, state: FlowState, onNoise?: () => void): string[] {
    const V = this.V;
    const c = (v: number) => this.n.splat(v);
    const d = range(this.dims);
    const vectors = range(this.lanes / this.width);
    const out: string[] = [];
    const v = (name: string, j: number) => `(local.get $${name}__V${j})`;
    switch (step.op) {
      case "perturb":
        // No budget checks here: they cannot fire in the lockstep passes (emit-js has none).
        if (step.target === "gradient") out.push(...this.vNeedGradient(state));
        if (this.dims === 2) {
          onNoise?.();
          out.push(...this.vNoise(step.family, step.scale, step.target === "gradient" ? "g" : "w"));
        } else out.push(...this.laneRegions(step, state, d.map((i) => `${step.target === "gradient" ? "g" : "w"}${i}`)));
        if (step.target === "model") state.gradient = "stale";
        return out;
      case "ascend":
        out.push(...this.vNeedGradient(state));
        for (const j of vectors) {
          if (step.normalized) {
            const norm = this.local(`norm__V${j}`, "v128");
            const s = this.local(`s__V${j}`, "v128");
            out.push(`(local.set $${norm} (${V}.sqrt ${this.sum(d.map((i) => `(${V}.mul ${v(`g${i}`, j)} ${v(`g${i}`, j)})`), V)}))`);
            out.push(`(local.set $${s} (v128.bitselect (${V}.div ${c(step.radius)} (local.get $${norm})) ${c(0)} (${V}.gt (local.get $${norm}) ${c(0)})))`);
            out.push(...d.map((i) => `(local.set $e${i}__V${j} (${V}.mul (local.get $${s}) ${v(`g${i}`, j)}))`));
          } else out.push(...d.map((i) => `(local.set $e${i}__V${j} (${V}.mul ${c(step.radius)} ${v(`g${i}`, j)}))`));
        }
        state.gradient = "stale";
        state.ascent = "active";
        return out;
      case "descend": {
        out.push(...this.vNeedGradient(state));
        const m = step.method;
        if (m.kind === "adam") {
          // Math.pow per lane: the scalar update, lane by lane.
          out.push(...this.laneRegions(step, state, this.vectorState()));
          return out;
        }
        const rate = c(step.rate);
        for (const i of d)
          for (const j of vectors) {
            const w = v(`w${i}`, j);
            const g = v(`g${i}`, j);
            if (m.kind === "sgd") out.push(`(local.set $w${i}__V${j} (${V}.sub ${w} (${V}.mul ${rate} ${g})))`);
            else {
              const mm = `m${step.slot}_${i}__V${j}`;
              const beta = c(m.beta);
              const direction = m.nesterov ? `(${V}.add ${g} (${V}.mul ${beta} (local.get $${mm})))` : `(local.get $${mm})`;
              out.push(`(local.set $${mm} (${V}.add (${V}.mul ${beta} (local.get $${mm})) ${g}))`);
              out.push(`(local.set $w${i}__V${j} (${V}.sub ${w} (${V}.mul ${rate} ${direction})))`);
            }
          }
        if (this.hasAscent && state.ascent !== "none") for (const i of d) for (const j of vectors) out.push(`(local.set $e${i}__V${j} ${c(0)})`);
        if (this.sharedSteps) out.push(`(local.set $t (f64.add (local.get $t) (f64.const 1)))`);
        else for (const L of range(this.lanes)) out.push(`(local.set $t__L${L} (f64.add (local.get $t__L${L}) (f64.const 1)))`);
        state.gradient = "stale";
        state.ascent = "none";
        return out;
      }
      case "if":
        if (conditionReadsGradient(step.condition)) out.push(...this.vNeedGradient(state));
        out.push(...this.laneRegions(step, state, this.vectorState()));
        return out;
      case "repeat": {
        if (step.until) throw new Error("internal: a repeat with a condition cannot run in lockstep");
        const id = this.unique++;
        const i = this.local(`i${id}`, "f64");
        out.push(`(local.set $${i} (f64.const 0))`);
        out.push(`(block $repeat${id} (loop $pass${id}`);
        out.push(`  (br_if $repeat${id} (i32.eqz (f64.lt (local.get $${i}) ${f64(step.times)})))`);
        const { code, ascent } = loopPass(state.ascent, (passState) => this.vsteps(step.body, passState, onNoise));
        out.push(...indent(code, 1));
        out.push(`  (local.set $${i} (f64.add (local.get $${i}) (f64.const 1)))`);
        out.push(`  (br $pass${id})))`);
        state.gradient = "stale";
        state.ascent = ascent;
        return out;
      }
      case "hop":
        throw new Error("internal: a hop cannot run in lockstep");
    }
  }

  /**
   * The scalar code of `step` on each lane in turn: the lane's `names` (vector state) and
   * scalars are copied into the scalar locals, and back after. Budget checks cannot fire
   * in the lockstep passes (as emit-js, which has none there); they leave the lane's block.
   */
  private laneRegions(step: Step, state: FlowState, names: readonly string[]): string[] {
    const out: string[] = [];
    let after: FlowState = state;
    // A shared iteration count is advanced once, not once per lane: each lane starts from the count before the step.
    const countsSteps = this.sharedSteps && flattenSteps([step]).some((s) => s.op === "descend");
    if (countsSteps) out.push(`(local.set $${this.local("tBefore", "f64")} (local.get $t))`);
    for (const L of range(this.lanes)) {
      const j = Math.floor(L / this.width);
      const l = L % this.width;
      const s: FlowState = { ...state };
      const label = `lane${this.unique++}`;
      const code = this.step(step, s, { label, inHop: false });
      after = s;
      if (countsSteps) out.push(`(local.set $t (local.get $tBefore))`);
      out.push(`(local.set $r (i32.add (local.get $base) (i32.const ${L})))`);
      for (const [name] of this.laneScalars()) out.push(`(local.set $${name} ${this.laneGet(name, L)})`);
      for (const name of names) out.push(`(local.set $${name} ${this.vectorLane(name, L)})`);
      out.push(`(block $${label}`, ...indent(code, 1), `)`);
      for (const name of names) out.push(`(local.set $${name}__V${j} (${this.V}.replace_lane ${l} (local.get $${name}__V${j}) (local.get $${name})))`);
      for (const [name] of this.laneScalars()) if (name !== "k0" && name !== "k1") out.push(this.laneSet(name, L, `(local.get $${name})`));
    }
    Object.assign(state, after);
    return out;
  }

  /**
   * emit-js's 2-D noise on every lane, in double precision. The draws are integer SIMD, four
   * lanes at once (i32x4: each lane's own counter and keys, angle draw before radius draw, so
   * every lane's stream is the scalar code's), and so are the octant's bits; the conversions to
   * f64 (exact, as f64.convert_i32_s), the polynomials and the radius are f64x2; JS's exact
   * selections (keep * cy + swap * sy, products with -1) are xors under i64x2 masks.
   */
  private vNoise2(family: "ball" | "gaussian" | "sphere", scale: number, target: "w" | "g"): string[] {
    const s = f64x2(scale);
    // Per i32x4 quad: the draws; hx = bits ^ (bits << 1), whose bit 31 is the first coordinate's
    // sign and bit 30 the swap; the 29-bit fraction, reflected in odd octants.
    // The signs' bits (31 of hx and of bits), per quad, for the lanes' f64 sign bits below.
    const quads = range(this.lanes / 4).map((g) => [
      ...this.octantBits(family, g),
      `(local.set $${this.local(`signX__Q${g}`, "v128")} (v128.and (local.get $hx__Q${g}) ${SIGN32}))`,
      `(local.set $${this.local(`signY__Q${g}`, "v128")} (v128.and (local.get $bits__Q${g}) ${SIGN32}))`,
    ]);
    const vectors = range(this.lanes / 2).map((j) => {
      const g = j >> 1;
      const half = j & 1;
      const out: string[] = [];
      const getQ = (n: string) => `(local.get $${n}__Q${g})`;
      const name = (n: string) => this.local(`${n}__V${j}`, "v128");
      const get = (n: string) => `(local.get $${name(n)})`;
      const set = (n: string, value: string) => out.push(`(local.set $${name(n)} ${value})`);
      const toF64 = (n: string) => convertHalf(getQ(n), half);
      // Lanes 2 half, 2 half + 1 of an i32x4 quad as i64x2: sign-extended (masks), or as the
      // high words over zeros (an i32 sign bit becomes the f64 sign bit; one unpack instruction).
      const toI64 = (n: string) => `(i64x2.extend_${half === 0 ? "low" : "high"}_i32x4_s ${getQ(n)})`;
      const toHigh = (n: string) => `(i8x16.shuffle ${half === 0 ? "0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23" : "8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31"} ${i32x4(0)} ${getQ(n)})`;
      set("y", `(f64x2.mul ${toF64("fraction")} ${f64x2(ANGLE.step / 2)})`);
      set("z", `(f64x2.mul ${get("y")} ${get("y")})`);
      set("z2", `(f64x2.mul ${get("z")} ${get("z")})`);
      set("z4", `(f64x2.mul ${get("z2")} ${get("z2")})`);
      const { sine, cosine } = angleSeries(get("z"), get("z2"), get("z4"), "f64x2", f64x2);
      set("sy", `(f64x2.add ${get("y")} (f64x2.mul (f64x2.mul ${get("y")} ${get("z")}) ${sine}))`);
      set("cy", `(f64x2.add ${f64x2(1)} (f64x2.mul ${get("z")} ${cosine}))`);
      // JS's keep * cy + swap * sy picks one of two nonzero values exactly, and its product with
      // -1 flips the sign bit: here d = (sy ^ cy) & swap selects by xor, and the signs are xors.
      set("d", `(v128.and (v128.xor ${get("sy")} ${get("cy")}) ${toI64("swap")})`);
      let radius = s;
      if (family !== "sphere") {
        // A draw in (0, 1): (bits + 2^31 + 0.5) * 2^-32, as `unit`.
        set("u", `(f64x2.mul (f64x2.add ${toF64("hu")} ${f64x2(2147483648.5)}) ${f64x2(2 ** -32)})`);
        if (family === "ball") radius = `(f64x2.mul ${s} (f64x2.sqrt ${get("u")}))`;
        else {
          this.imports.add("log");
          const log = (l: number) => `(call $Math_log (f64x2.extract_lane ${l} ${get("u")}))`;
          radius = `(f64x2.mul ${s} (f64x2.sqrt (f64x2.mul ${f64x2(-2)} (f64x2.replace_lane 1 (f64x2.splat ${log(0)}) ${log(1)}))))`;
        }
      }
      set("radius", radius);
      const apply = (i: number, value: string) => out.push(this.applyNoise(target, i, j, `(f64x2.mul ${get("radius")} ${value})`));
      apply(0, `(v128.xor (v128.xor ${get("cy")} ${get("d")}) ${toHigh("signX")})`);
      apply(1, `(v128.xor (v128.xor ${get("sy")} ${get("d")}) ${toHigh("signY")})`);
      return out;
    });
    return [...interleave(quads), ...interleave(vectors)];
  }

  /**
   * The draws and octant bits of quad g (2-D noise): bits (the angle's draw), hu (the radius's,
   * unless on the sphere), hx = bits ^ (bits << 1), the fraction (29 bits, reflected in odd
   * octants; held as 2 fraction + 1) and swap (all ones where bit 30 of hx is set).
   */
  private octantBits(family: "ball" | "gaussian" | "sphere", g: number): string[] {
    const out: string[] = [];
    const quad = (n: string) => this.local(`${n}__Q${g}`, "v128");
    const getQ = (n: string) => `(local.get $${quad(n)})`;
    const keys = [`k0__Q${g}`, `k1__Q${g}`, `c__Q${g}`] as const;
    out.push(`(local.set $${quad("bits")} ${this.drawBits4(...keys)})`);
    if (family !== "sphere") out.push(`(local.set $${quad("hu")} ${this.drawBits4(...keys)})`);
    const bits = getQ("bits");
    out.push(`(local.set $${quad("hx")} (v128.xor ${bits} (i32x4.shl ${bits} (i32.const 1))))`);
    // 2 fraction + 1 (odd, below 2^30): y = (fraction + 0.5) * step is (2 fraction + 1) * (step / 2),
    // the same real number rounded once, with no mask or 0.5 constant.
    const reflected = `(v128.xor ${bits} (i32x4.shr_s (i32x4.shl ${bits} (i32.const 2)) (i32.const 31)))`;
    out.push(`(local.set $${quad("fraction")} (i32x4.sub (i32x4.shr_u (i32x4.shl ${reflected} (i32.const 3)) (i32.const 2)) ${i32x4(-1)}))`);
    out.push(`(local.set $${quad("swap")} (i32x4.shr_s (i32x4.shl ${getQ("hx")} (i32.const 1)) (i32.const 31)))`);
    return out;
  }

  /**
   * 2-D noise on every lane in single precision (one f32x4 vector per i32x4 quad): y and the
   * radius's uniform (a gaussian's -2 log u, lane by lane) computed in f64 exactly as in double
   * precision and rounded to float, the rest f32x4, as angleNoiseSingle does on each lane.
   */
  private vNoise2Single(family: "ball" | "gaussian" | "sphere", scale: number, target: "w" | "g"): string[] {
    const s = this.n.splat(scale);
    const lists = range(this.lanes / 4).map((g) => {
      const out = this.octantBits(family, g);
      const getQ = (n: string) => `(local.get $${n}__Q${g})`;
      const name = (n: string) => this.local(`${n}__V${g}`, "v128");
      const get = (n: string) => `(local.get $${name(n)})`;
      const set = (n: string, value: string) => out.push(`(local.set $${name(n)} ${value})`);
      const wide = (n: string, f: (half: string) => string) => demote4(f(convertHalf(getQ(n), 0)), f(convertHalf(getQ(n), 1)));
      set("y", wide("fraction", (x) => `(f64x2.mul ${x} ${f64x2(ANGLE.step / 2)})`));
      set("z", `(f32x4.mul ${get("y")} ${get("y")})`);
      set("z2", `(f32x4.mul ${get("z")} ${get("z")})`);
      const { sine, cosine } = angleSeries(get("z"), get("z2"), "", "f32x4", this.n.splat, true);
      set("sy", `(f32x4.add ${get("y")} (f32x4.mul (f32x4.mul ${get("y")} ${get("z")}) ${sine}))`);
      set("cy", `(f32x4.add ${this.n.splat(1)} (f32x4.mul ${get("z")} ${cosine}))`);
      set("d", `(v128.and (v128.xor ${get("sy")} ${get("cy")}) ${getQ("swap")})`);
      let radius = s;
      if (family === "ball") {
        set("u", wide("hu", (x) => `(f64x2.mul (f64x2.add ${x} ${f64x2(2147483648.5)}) ${f64x2(2 ** -32)})`));
        radius = `(f32x4.mul ${s} (f32x4.sqrt ${get("u")}))`;
      } else if (family === "gaussian") {
        // -2 log(u) in f64 from the f64 uniform (its logarithm near u = 1 needs u's 32 bits), then rounded.
        this.imports.add("log");
        const square = (l: number) => `(f32.demote_f64 ${gaussianSquare(`(f64.mul (f64.add (f64.convert_i32_s (i32x4.extract_lane ${l} ${getQ("hu")})) (f64.const 2147483648.5)) (f64.const 0x1p-32))`)})`;
        set("u", [1, 2, 3].reduce((v, l) => `(f32x4.replace_lane ${l} ${v} ${square(l)})`, `(f32x4.splat ${square(0)})`));
        radius = `(f32x4.mul ${s} (f32x4.sqrt ${get("u")}))`;
      }
      set("radius", radius);
      const apply = (i: number, value: string) => out.push(this.applyNoise(target, i, g, `(f32x4.mul ${get("radius")} ${value})`));
      apply(0, `(v128.xor (v128.xor ${get("cy")} ${get("d")}) (v128.and ${getQ("hx")} ${SIGN32}))`);
      apply(1, `(v128.xor (v128.xor ${get("sy")} ${get("d")}) (v128.and ${getQ("bits")} ${SIGN32}))`);
      return out;
    });
    return interleave(lists);
  }

  /** Makes the gradient valid on every lane: the records and counts once for all lanes, the gradient in vectors. */
  private vNeedGradient(state: FlowState): string[] {
    if (state.gradient === "valid") return [];
    if (state.gradient === "unknown") throw new Error("internal: a gradient of unknown validity cannot be used in lockstep");
    const V = this.V;
    const d = range(this.dims);
    const vectors = range(this.lanes / this.width);
    const out: string[] = [];
    // Every lane has spent the same evaluations (lockstep passes cost the same on every lane),
    // so one count and one next record serve them all.
    const records = range(this.lanes).map((L) => {
      const value = `(call $lossAt ${d.map((i) => this.vectorLane(`w${i}`, L)).join(" ")})`;
      return this.storeCurve(value, `(i32.add (local.get $base) (i32.const ${L}))`);
    });
    out.push(`(if (f64.eq (local.get $ev) (local.get $rec)) (then ${records.join(" ")} (local.set $rec (f64.add (local.get $rec) (global.get $stride)))))`);
    out.push(`(local.set $ev (f64.add (local.get $ev) (f64.const 1)))`);
    const base = state.ascent === "none" ? "w" : "p";
    if (state.ascent !== "none") for (const i of d) for (const j of vectors) out.push(`(local.set $${this.local(`p${i}__V${j}`, "v128")} (${V}.add (local.get $w${i}__V${j}) (local.get $e${i}__V${j})))`);
    const { statements, results } = emitStraightLine(this.landscape.gradient, d.map((i) => `x${i}`), "q");
    const resolve = (j: number) => (name: string) => {
      const m = /^x(\d+)$/.exec(name);
      if (m) return `(local.get $${base}${m[1]}__V${j})`;
      return `(local.get $${this.local(`${name}__V${j}`, "v128")})`;
    };
    // Statement by statement, every vector: their dependency chains overlap.
    for (const st of statements) {
      const [, name, expr] = /^const (\w+) = (.*);$/.exec(st)!;
      for (const j of vectors) out.push(`(local.set $${this.local(`${name}__V${j}`, "v128")} ${this.jsToWat(expr!, resolve(j), this.vectorArith)})`);
    }
    for (const i of d) for (const j of vectors) out.push(`(local.set $g${i}__V${j} ${this.jsToWat(results[i]!, resolve(j), this.vectorArith)})`);
    state.gradient = "valid";
    return out;
  }

  /** A draw in (0, 1) as f64: (bits + 2^31 + 0.5) * 2^-32, after bits(k0, k1, c++). */
  private unit(k0 = "k0", k1 = "k1", c = "c"): string {
    return `(f64.mul (f64.add (f64.convert_i32_s ${this.drawBits(k0, k1, c)}) (f64.const 2147483648.5)) (f64.const 0x1p-32))`;
  }

  /** bits(k0, k1, c++) as an i32 expression (the counter is bumped as a side effect, in order). */
  private drawBits(k0 = "k0", k1 = "k1", c = "c"): string {
    return this.lowbias32Draw("hb", "i32", k0, k1, c);
  }

  /**
   * drawBits on four lanes at once: bits(k0, k1, c++) per lane of the i32x4 locals c, k0, k1
   * (i32x4.mul is Math.imul on each lane), as a v128 expression; each lane's counter is bumped.
   */
  private drawBits4(k0: string, k1: string, c: string): string {
    return this.lowbias32Draw("hb4", "v128", k0, k1, c);
  }

  /**
   * The generator of runtime/rng.ts (drawStatements), written out on a scratch local `name`,
   * in a block whose value is the result: h = lowbias32(lowbias32(c ^ k0) ^ k1), c++ (the old
   * counter goes to the generator, the local keeps the new one). i32 for one lane, v128 (i32x4)
   * for four; the rounds' numbers come from runtime/rng.ts.
   */
  private lowbias32Draw(name: string, type: "i32" | "v128", k0: string, k1: string, c: string): string {
    const simd = type === "v128";
    const xor = simd ? "v128.xor" : "i32.xor";
    const shr = simd ? "i32x4.shr_u" : "i32.shr_u";
    const splat = (v: number) => (simd ? i32x4(v) : `(i32.const ${v | 0})`);
    const h = `(local.get $${this.local(name, type)})`;
    const set = (value: string) => `(local.set $${name} ${value})`;
    const shifted = (shift: number) => `(${xor} ${h} (${shr} ${h} (i32.const ${shift})))`;
    const rounds = LOWBIAS32_ROUNDS.map(([shift, multiplier]) => set(`(${simd ? "i32x4.mul" : "i32.mul"} ${shifted(shift)} ${splat(multiplier)})`));
    return [
      `(block (result ${type})`,
      set(`(${xor} (local.get $${c}) (local.get $${k0}))`),
      // c + 1; four lanes subtract all ones, a constant engines make in one instruction.
      simd ? `(local.set $${c} (i32x4.sub (local.get $${c}) ${i32x4(-1)}))` : `(local.set $${c} (i32.add (local.get $${c}) (i32.const 1)))`,
      ...rounds,
      set(`(${xor} ${shifted(LOWBIAS32_FINAL_SHIFT)} (local.get $${k1}))`),
      ...rounds,
      `${shifted(LOWBIAS32_FINAL_SHIFT)})`,
    ].join(" ");
  }

  /** 2 * unit - 1. */
  private signedUnit(): string {
    return `(f64.sub (f64.mul (f64.const 2) ${this.unit()}) (f64.const 1))`;
  }

  /**
   * The noise of emit-js's `noise`, with the same draws in the same order, added to `target`.
   * It is computed in f64 (single precision adds it rounded to float), except 2-D noise in
   * single precision, which is the float formula of vNoise2Single.
   */
  private noise(family: "ball" | "gaussian" | "sphere", scale: number, target: "w" | "g"): string[] {
    const F = this.F;
    const d = this.dims;
    const s = f64(scale);
    const out: string[] = [];
    const apply = (i: number, value: string) => `(local.set $${target}${i} (${F}.add (local.get $${target}${i}) ${this.n.fromF64(value)}))`;
    const pointInBall = (k: number): string[] => {
      // do { u_i = 2 draw - 1 ..; norm2 = sum u_i^2 } while (norm2 >= 1 || norm2 === 0)
      const us = range(k).map((i) => `z${i}`);
      if (k > d) this.local(`z${k - 1}`, "f64");
      const id = this.unique++;
      out.push(`(loop $ball${id}`);
      for (const u of us) out.push(`  (local.set $${u} ${this.signedUnit()})`);
      out.push(`  (local.set $zn2 ${this.sum(us.map((u) => `(f64.mul (local.get $${u}) (local.get $${u}))`), "f64")})`);
      out.push(`  (br_if $ball${id} (i32.or (f64.ge (local.get $zn2) (f64.const 1)) (f64.eq (local.get $zn2) (f64.const 0)))))`);
      return us;
    };
    const get = (name: string) => `(local.get $${name})`;
    if (d === 1) {
      if (family === "gaussian") {
        this.imports.add("log");
        const [u] = pointInBall(2);
        out.push(apply(0, `(f64.mul (f64.mul ${s} ${get(u!)}) (f64.sqrt (f64.div (f64.mul (f64.const -2) (call $Math_log ${get("zn2")})) ${get("zn2")})))`));
      } else {
        out.push(`(local.set $zu ${this.signedUnit()})`);
        out.push(apply(0, family === "ball" ? `(f64.mul ${s} ${get("zu")})` : `(select ${f64(-scale)} ${s} (f64.lt ${get("zu")} (f64.const 0)))`));
      }
    } else if (d === 2) {
      out.push(...(F === "f64" ? this.angleNoise(family, scale, target) : this.angleNoiseSingle(family, scale, target)));
    } else if (family === "ball" && d === 3) {
      const us = pointInBall(3);
      out.push(...us.map((u, i) => apply(i, `(f64.mul ${s} ${get(u)})`)));
    } else {
      // d normals from Marsaglia polar pairs, then scaled to the sphere or ball if asked.
      this.imports.add("log");
      const ns: string[] = [];
      for (let i = 0; i < d; i += 2) {
        const id = this.unique++;
        out.push(`(loop $polar${id}`);
        out.push(`  (local.set $qa ${this.signedUnit()})`);
        out.push(`  (local.set $qb ${this.signedUnit()})`);
        out.push(`  (local.set $qq (f64.add (f64.mul ${get("qa")} ${get("qa")}) (f64.mul ${get("qb")} ${get("qb")})))`);
        out.push(`  (br_if $polar${id} (i32.or (f64.ge ${get("qq")} (f64.const 1)) (f64.eq ${get("qq")} (f64.const 0)))))`);
        out.push(`(local.set $fq (f64.sqrt (f64.div (f64.mul (f64.const -2) (call $Math_log ${get("qq")})) ${get("qq")})))`);
        out.push(`(local.set $z${i} (f64.mul ${get("qa")} ${get("fq")}))`);
        ns.push(`z${i}`);
        if (i + 1 < d) {
          out.push(`(local.set $z${i + 1} (f64.mul ${get("qb")} ${get("fq")}))`);
          ns.push(`z${i + 1}`);
        }
      }
      if (family === "gaussian") out.push(...ns.map((n, i) => apply(i, `(f64.mul ${s} ${get(n)})`)));
      else {
        if (family === "ball") this.imports.add("pow");
        // The radius's draw happens before the norm is tested, as in emit-js.
        out.push(`(local.set $zr ${family === "ball" ? `(f64.mul ${s} (call $Math_pow ${this.unit()} ${f64(1 / d)}))` : s})`);
        out.push(`(local.set $zn (f64.sqrt ${this.sum(ns.map((n) => `(f64.mul ${get(n)} ${get(n)})`), "f64")}))`);
        out.push(`(local.set $zs (if (result f64) (f64.gt ${get("zn")} (f64.const 0)) (then (f64.div ${get("zr")} ${get("zn")})) (else (f64.const 0))))`);
        out.push(...ns.map((n, i) => apply(i, `(f64.mul ${get("zs")} ${get(n)})`)));
      }
    }
    return out;
  }

  /**
   * emit-js's branch-free 2-D angle in double precision: the octant from the top three bits,
   * y in (0, pi/4) from the other 29, the polynomials of ANGLE in the same order of operations
   * (JS has no fused multiply-add, and neither has scalar wasm), swapped and negated by products.
   */
  private angleNoise(family: "ball" | "gaussian" | "sphere", scale: number, target: "w" | "g"): string[] {
    const s = f64(scale);
    const out: string[] = [];
    const get = (name: string) => `(local.get $${name})`;
    for (const name of ["ay", "az", "az2", "az4", "asy", "acy", "akeep", "aswap", "ar"]) this.local(name, "f64");
    this.local("ahx", "i32");
    out.push(`(local.set $bits ${this.drawBits()})`);
    out.push(`(local.set $ahx (i32.xor (local.get $bits) (i32.shl (local.get $bits) (i32.const 1))))`);
    out.push(`(local.set $ay (f64.mul (f64.add (f64.convert_i32_s ${fractionBits("(local.get $bits)")}) (f64.const 0.5)) ${f64(ANGLE.step)}))`);
    out.push(`(local.set $az (f64.mul ${get("ay")} ${get("ay")}))`);
    out.push(`(local.set $az2 (f64.mul ${get("az")} ${get("az")}))`);
    out.push(`(local.set $az4 (f64.mul ${get("az2")} ${get("az2")}))`);
    const { sine, cosine } = angleSeries(get("az"), get("az2"), get("az4"), "f64", f64);
    out.push(`(local.set $asy (f64.add ${get("ay")} (f64.mul (f64.mul ${get("ay")} ${get("az")}) ${sine})))`);
    out.push(`(local.set $acy (f64.add (f64.const 1) (f64.mul ${get("az")} ${cosine})))`);
    // swap = (hx >>> 30) & 1, keep = 1 - swap; the signs (hx >> 31) | 1 and (bits >> 31) | 1.
    const swap = `(i32.and (i32.shr_u (local.get $ahx) (i32.const 30)) (i32.const 1))`;
    out.push(`(local.set $aswap (f64.convert_i32_s ${swap}))`);
    out.push(`(local.set $akeep (f64.convert_i32_s (i32.sub (i32.const 1) ${swap})))`);
    if (family === "gaussian") this.imports.add("log");
    const radius = family === "ball" ? `(f64.mul ${s} (f64.sqrt ${this.unit()}))` : family === "sphere" ? s : `(f64.mul ${s} (f64.sqrt (f64.mul (f64.const -2) (call $Math_log ${this.unit()}))))`;
    out.push(`(local.set $ar ${radius})`);
    const sign = (h: string) => `(f64.convert_i32_s (i32.or (i32.shr_s ${h} (i32.const 31)) (i32.const 1)))`;
    const apply = (i: number, value: string) => out.push(`(local.set $${target}${i} (f64.add (local.get $${target}${i}) ${value}))`);
    apply(0, `(f64.mul ${get("ar")} (f64.mul ${sign(get("ahx"))} (f64.add (f64.mul ${get("akeep")} ${get("acy")}) (f64.mul ${get("aswap")} ${get("asy")}))))`);
    apply(1, `(f64.mul ${get("ar")} (f64.mul ${sign(get("bits"))} (f64.add (f64.mul ${get("aswap")} ${get("acy")}) (f64.mul ${get("akeep")} ${get("asy")}))))`);
    return out;
  }

  /**
   * Single precision's 2-D noise, on one lane what vNoise2Single does on four: y and the
   * uniform (or -2 log u) in f64 rounded to float, the ANGLE_F32 polynomials in float, the
   * octant's swap and signs as bit operations on the floats' bits.
   */
  private angleNoiseSingle(family: "ball" | "gaussian" | "sphere", scale: number, target: "w" | "g"): string[] {
    const s = this.n.constant(scale);
    const out: string[] = [];
    const get = (name: string) => `(local.get $${name})`;
    for (const name of ["ay", "az", "az2", "asy", "acy", "ar"]) this.local(name, "f32");
    for (const name of ["ahx", "ad"]) this.local(name, "i32");
    out.push(`(local.set $bits ${this.drawBits()})`);
    out.push(`(local.set $ahx (i32.xor (local.get $bits) (i32.shl (local.get $bits) (i32.const 1))))`);
    out.push(`(local.set $ay (f32.demote_f64 (f64.mul (f64.add (f64.convert_i32_s ${fractionBits("(local.get $bits)")}) (f64.const 0.5)) ${f64(ANGLE.step)})))`);
    out.push(`(local.set $az (f32.mul ${get("ay")} ${get("ay")}))`);
    out.push(`(local.set $az2 (f32.mul ${get("az")} ${get("az")}))`);
    const { sine, cosine } = angleSeries(get("az"), get("az2"), "", "f32", this.n.constant, true);
    out.push(`(local.set $asy (f32.add ${get("ay")} (f32.mul (f32.mul ${get("ay")} ${get("az")}) ${sine})))`);
    out.push(`(local.set $acy (f32.add (f32.const 1) (f32.mul ${get("az")} ${cosine})))`);
    const bitsOf = (name: string) => `(i32.reinterpret_f32 ${get(name)})`;
    out.push(`(local.set $ad (i32.and (i32.xor ${bitsOf("asy")} ${bitsOf("acy")}) (i32.shr_s (i32.shl (local.get $ahx) (i32.const 1)) (i32.const 31))))`);
    let radius = s;
    if (family === "ball") radius = `(f32.mul ${s} (f32.sqrt (f32.demote_f64 ${this.unit()})))`;
    else if (family === "gaussian") {
      this.imports.add("log");
      radius = `(f32.mul ${s} (f32.sqrt (f32.demote_f64 ${gaussianSquare(this.unit())})))`;
    }
    out.push(`(local.set $ar ${radius})`);
    const apply = (i: number, value: string) => out.push(`(local.set $${target}${i} (f32.add (local.get $${target}${i}) (f32.mul ${get("ar")} (f32.reinterpret_i32 ${value}))))`);
    apply(0, `(i32.xor (i32.xor ${bitsOf("acy")} (local.get $ad)) (i32.and (local.get $ahx) (i32.const 0x80000000)))`);
    apply(1, `(i32.xor (i32.xor ${bitsOf("asy")} (local.get $ad)) (i32.and (local.get $bits) (i32.const 0x80000000)))`);
    return out;
  }

  /** A condition as an i32 expression, compared in f64; conditions have no side effects, so && and || need not short-circuit. */
  private condition(c: CondIR): string {
    switch (c.op) {
      case "compare": {
        const op = { "<": "f64.lt", "<=": "f64.le", ">": "f64.gt", ">=": "f64.ge", "==": "f64.eq", "!=": "f64.ne" }[c.operator];
        if (c.left.op === "state" && c.left.name === "gradnorm" && c.right.op === "const" && c.right.value >= 0 && Number.isFinite(c.right.value))
          return `(${op} ${this.n.toF64(this.gradNormSquared())} ${f64(c.right.value * c.right.value)})`;
        return `(${op} ${this.value(c.left)} ${this.value(c.right)})`;
      }
      case "and":
        return `(i32.and ${this.condition(c.left)} ${this.condition(c.right)})`;
      case "or":
        return `(i32.or ${this.condition(c.left)} ${this.condition(c.right)})`;
      case "not":
        return `(i32.eqz ${this.condition(c.operand)})`;
    }
  }

  /** A condition's operand as an f64 expression. */
  private value(v: ValueIR): string {
    switch (v.op) {
      case "const":
        return f64(v.value);
      case "state":
        if (v.name === "gradnorm") return this.n.toF64(`(${this.F}.sqrt ${this.gradNormSquared()})`);
        if (v.name === "loss") return this.n.toF64(`(local.get $loss)`);
        return `(local.get $${v.name === "t" ? "t" : "ev"})`;
      case "neg":
        return `(f64.neg ${this.value(v.operand)})`;
      case "call":
        return this.callMath(v.fn, [this.value(v.arg)], "f64");
      case "binary":
        if (v.operator === "^") return this.callMath("pow", [this.value(v.left), this.value(v.right)], "f64");
        return `(f64.${{ "+": "add", "-": "sub", "*": "mul", "/": "div" }[v.operator]} ${this.value(v.left)} ${this.value(v.right)})`;
    }
  }

  /** Math.fn on `type` arguments: sqrt and abs as instructions (exact), the rest called in f64. */
  private callMath(fn: string, args: readonly string[], type: "f64" | "f32"): string {
    if ((fn === "sqrt" || fn === "abs") && args.length === 1) return `(${type}.${fn} ${args[0]})`;
    this.importMath(fn);
    if (type === "f64") return `(call $Math_${fn} ${args.join(" ")})`;
    return `(f32.demote_f64 (call $Math_${fn} ${args.map((a) => `(f64.promote_f32 ${a})`).join(" ")}))`;
  }

  private importMath(fn: string): void {
    if (!/^[a-z0-9]+$/.test(fn) || typeof (Math as unknown as Record<string, unknown>)[fn] !== "function") throw new Error(`wasm backend: Math.${fn} is not supported yet`);
    this.imports.add(fn);
  }

  private readonly scalarArith: Arith = {
    binary: (op, left, right) => `(${this.F}.${op} ${left} ${right})`,
    neg: (operand) => `(${this.F}.neg ${operand})`,
    num: (value) => this.n.constant(value),
    call: (fn, args) => this.callMath(fn, args, this.F),
  };

  /** Vector arithmetic; a Math function wasm lacks is called lane by lane (it is pure). */
  private readonly vectorArith: Arith = {
    binary: (op, left, right) => `(${this.V}.${op} ${left} ${right})`,
    neg: (operand) => `(${this.V}.neg ${operand})`,
    num: (value) => this.n.splat(value),
    call: (fn, args) => {
      const V = this.V;
      if ((fn === "sqrt" || fn === "abs") && args.length === 1) return `(${V}.${fn} ${args[0]})`;
      this.importMath(fn);
      // Each argument once, in order, into a temporary; then lane 0, lane 1, ..
      const temps = args.map(() => this.local(`vt${this.unique++}`, "v128"));
      const lane = (l: number) => this.callMath(fn, temps.map((t, k) => `(${V}.extract_lane ${l} ${l === 0 ? `(local.tee $${t} ${args[k]})` : `(local.get $${t})`})`), this.F);
      return range(this.width - 1).reduce((vector, k) => `(${V}.replace_lane ${k + 1} ${vector} ${lane(k + 1)})`, `(${V}.splat ${lane(0)})`);
    },
  };

  /**
   * Translates one of emitStraightLine's JS expressions (identifiers, number literals, + - * /,
   * unary -, Math.f(..), parentheses) to folded WAT, keeping JS's left-to-right evaluation.
   */
  private jsToWat(source: string, resolve: (name: string) => string, arith: Arith = this.scalarArith): string {
    const tokens = source.match(/\d+(?:\.\d+)?(?:e[+-]?\d+)?|[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)?|[-+*/(),]/g) ?? [];
    if (tokens.join("") !== source.replace(/\s+/g, "")) throw new Error(`wasm backend: cannot translate '${source}'`);
    let k = 0;
    const peek = () => tokens[k];
    const expect = (t: string) => {
      if (tokens[k++] !== t) throw new Error(`wasm backend: expected '${t}' in '${source}'`);
    };
    const expr = (): string => {
      let left = term();
      while (peek() === "+" || peek() === "-") left = arith.binary(tokens[k++] === "+" ? "add" : "sub", left, term());
      return left;
    };
    const term = (): string => {
      let left = unary();
      while (peek() === "*" || peek() === "/") left = arith.binary(tokens[k++] === "*" ? "mul" : "div", left, unary());
      return left;
    };
    const unary = (): string => {
      if (peek() === "-") {
        k++;
        return arith.neg(unary());
      }
      return primary();
    };
    const primary = (): string => {
      const t = tokens[k++];
      if (t === undefined) throw new Error(`wasm backend: unexpected end of '${source}'`);
      if (t === "(") {
        const inner = expr();
        expect(")");
        return inner;
      }
      if (/^\d/.test(t)) return arith.num(Number(t));
      if (t.startsWith("Math.")) {
        expect("(");
        const args = [expr()];
        while (peek() === ",") {
          k++;
          args.push(expr());
        }
        expect(")");
        return arith.call(t.slice(5), args);
      }
      return resolve(t);
    };
    const result = expr();
    if (k !== tokens.length) throw new Error(`wasm backend: cannot translate '${source}'`);
    return result;
  }
}

/** The angle's 29-bit fraction of an i32 draw, reflected in odd octants: (bits ^ ((bits << 2) >> 31)) & 0x1fffffff. */
function fractionBits(bits: string): string {
  return `(i32.and (i32.xor ${bits} (i32.shr_s (i32.shl ${bits} (i32.const 2)) (i32.const 31))) (i32.const ${ANGLE.fractionMask}))`;
}

/** -2 log(u) of an f64 uniform, as f64: the square of a 2-D gaussian's radius. */
function gaussianSquare(uniform: string): string {
  return `(f64.mul (f64.const -2) (call $Math_log ${uniform}))`;
}

/** Lanes 2 half and 2 half + 1 of an i32x4 as f64x2 (signed, exact). */
function convertHalf(quad: string, half: number): string {
  return half === 0 ? `(f64x2.convert_low_i32x4_s ${quad})` : `(f64x2.convert_low_i32x4_s (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 ${quad} ${quad}))`;
}

/** Two f64x2 rounded to float and joined into one f32x4 (low's lanes first). */
function demote4(low: string, high: string): string {
  return `(i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (f32x4.demote_f64x2_zero ${low}) (f32x4.demote_f64x2_zero ${high}))`;
}

