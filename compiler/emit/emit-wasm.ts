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
// SIMT: where passes differ in cost (basin hops, local searches that stop early, conditional
// jumps; see simt.ts), 2-D kernels still run `lanes` trajectories at a time, each lane at its
// own place in the program: one gradient evaluation for every lane, then each place's code
// under the mask of the lanes that are there, every write a bitselect, so each lane performs
// the scalar code's operations (NiM-GD and the four basin hoppers of the paper run 1.2-1.5x
// faster than one at a time in double precision, 2-2.3x in single, whose counts are i32 lanes
// and whose conditions compare in f64 as the scalar code's). What lanes cannot share (an
// ascent, Adam, a Metropolis acceptance, other dimensions' noise) runs one at a time.
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
import { loopPass, optimizerTraits, slotStateNames, type Ascent, type FlowState } from "./flow.js";
import { conditionReadsGradient, conditionReadsLoss, flattenSteps, type CondIR, type OptimizerIR, type Step, type ValueIR } from "../lower/ir.js";
import { NotSimt, simtGraph, uniformCycle, type Place, type SimtGraph, type UniformCycle } from "./simt.js";
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
export function emitWasmKernel(optimizer: OptimizerIR, landscape: LandscapeIR, precision: Precision = "f64", options: WasmOptions = {}): EmittedWasmKernel {
  return { wat: new WasmEmitter(optimizer, landscape, precision === "f32" ? SINGLE : DOUBLE, options.narrowGroupsBelow ?? NARROW_GROUPS_BELOW).emit() };
}

export interface WasmOptions {
  /**
   * Jobs of fewer trajectory-steps (restarts x budget) than this run their lockstep or SIMT
   * groups narrow, the rest wide (see LANES); tests set 0 or Infinity to reach either.
   */
  readonly narrowGroupsBelow?: number;
}

/**
 * A job's first call is mostly V8 compiling the kernel and running it unoptimized meanwhile:
 * for small jobs the narrow groups' half-size functions win (the paper's table, 2.5 * 10^6
 * trajectory-steps a cell, end to end, medians of 12: 0.40 -> 0.38 s in double precision,
 * 0.34 -> 0.32 s in single), for large ones the wide groups' throughput (1.2-1.3x).
 */
const NARROW_GROUPS_BELOW = 1e7;

/** V8 accepts up to 50,000 locals per function; leave room for the engine's own. */
const MAX_LOCALS = 40_000;

/**
 * Trajectories per lockstep group, measured on Himmelblau (fewer vectors leave the units idle,
 * more spill registers): double precision, eight f64x2 vectors (16 lanes; GD 1.3x faster than
 * with four, NiG a little); single precision, eight f32x4 vectors (32 lanes) without noise,
 * four (16 lanes) when the pass draws noise, whose many constants and temporaries then spill;
 * half as many in small jobs (see NARROW_GROUPS_BELOW). SIMT groups: 8 lanes (double precision: four f64x2 vectors; NiM-BH and NiG-BH 1.1-1.2x faster
 * than with two vectors, and as fast as with eight, whose masks and state spill more), or 4 for
 * small jobs (see NARROW_GROUPS_BELOW).
 */
const LANES = { f64: 16, f32: 32, f32Noisy: 16, simt: 8, simtNarrow: 4 } as const;

/** The mask name for code that runs on every lane of a group (a uniform cycle's pass): writes need no select. */
const EVERY_LANE = "*";

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
  private lanes: number;
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
    private readonly narrowGroupsBelow: number,
  ) {
    this.dims = landscape.dims;
    this.F = n.scalar;
    this.V = n.vector;
    this.width = n.width;
    this.lanes = n.precision === "f64" ? LANES.f64 : flattenSteps(optimizer.loop).some((s) => s.op === "perturb") ? LANES.f32Noisy : LANES.f32;
    let all: Step[];
    ({ steps: all, hasAscent: this.hasAscent, hasHop: this.hasHop, slotKinds: this.slotKinds } = optimizerTraits(optimizer));
    this.sharedSteps = !all.some((s) => s.op === "if" && flattenSteps(s.body).some((b) => b.op === "descend"));
  }

  emit(): string {
    const lossFunction = this.lossFunction();
    const { body, endsClean } = this.trajectoryBody();
    const trajectoryLocals = this.locals;
    const pass = loopPassCost(this.optimizer.loop);
    // The same eligibility as emit-js's lockstep.
    let lockstep = this.optimizer.start.length === 0 && !this.hasHop && endsClean && pass.exact !== undefined && pass.exact >= 1 ? pass.exact : undefined;
    // Two group widths, as for SIMT (only the one a job calls is compiled): half for small jobs.
    const lockWidths = [this.lanes / 2, this.lanes];
    let lockstepFunction: string[] = [];
    if (lockstep !== undefined)
      for (const lanes of lockWidths) {
        this.lanes = lanes;
        lockstepFunction.push(...this.lockstepFunction(`$lockstep${lanes}`));
      }
    // The lockstep function holds every lane's state: where that is more than an engine
    // allows, the trajectories run one at a time (same results).
    if (this.locals.size > MAX_LOCALS) {
      lockstep = undefined;
      lockstepFunction = [];
    }
    // Passes of different costs: SIMT (2-D noise), where the program allows.
    let simt: SimtGraph | undefined;
    let simtFunction: string[] = [];
    if (lockstep === undefined && this.dims === 2) {
      try {
        simt = simtGraph(this.optimizer);
      } catch (error) {
        if (!(error instanceof NotSimt)) throw error;
      }
      if (simt) {
        // Two group widths (only the one a job calls is compiled); the wide one has the most locals.
        simtFunction = [...this.simtHelpers(simt)];
        for (const lanes of [LANES.simtNarrow, LANES.simt]) {
          this.lanes = lanes;
          simtFunction.push(...this.simtFunction(simt, `$simt${lanes}`));
        }
        if (this.locals.size > MAX_LOCALS) {
          simt = undefined;
          simtFunction = [];
        }
      }
    }
    const F = this.F;
    const out: string[] = [];
    const p = this.optimizer.params;
    out.push(`;; optimizer ${this.optimizer.name} (${this.optimizer.declaration}${Object.keys(p).length ? `: ${Object.entries(p).map(([k, v]) => `${k} = ${v}`).join(", ")}` : ""})`);
    out.push(`;; landscape ${this.landscape.name} (${this.dims} coordinates: ${this.landscape.coordinates.join(", ")})`);
    const kind = F === "f64" ? "the general one-trajectory path of the JS kernel" : "the JS kernel's steps in single precision (f32), one trajectory at a time";
    const smallJobs = (lanes: number) => `${lanes} in jobs under ${this.narrowGroupsBelow} trajectory-steps`;
    const grouping =
      lockstep !== undefined
        ? `, after ${lockWidths[1]} trajectories in lockstep (${this.V}; ${smallJobs(lockWidths[0]!)}) for all but the last pass`
        : simt
          ? `; ${LANES.simt} trajectories at a time as SIMT lanes (${this.V}; ${smallJobs(LANES.simtNarrow)}), each at its own place`
          : "";
    out.push(`;; Generated by optc's wasm emitter: ${kind}${grouping}.`);
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
    if (simt && this.F === "f32") out.push(`  (global $iterationsI (mut i32) (i32.const 0))`);
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
    out.push(...indent(lockstepFunction, 1), ...indent(simtFunction, 1));
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
    // Small jobs take the narrow groups (Infinity: always; 0: never; a budget in iterations is an infinite product).
    const narrow = this.narrowGroupsBelow === Infinity ? "(i32.const 1)" : `(f64.lt (f64.mul (f64.convert_i32_s (local.get $count)) (local.get $budget)) ${f64(this.narrowGroupsBelow)})`;
    const groups = (name: string, lanes: number) => [
      `(block $groupsDone (loop $groupsNext`,
      `  (br_if $groupsDone (i32.gt_s (i32.add (local.get $r) (i32.const ${lanes})) (local.get $count)))`,
      `  (call ${name}${lanes} (local.get $r))`,
      `  (local.set $r (i32.add (local.get $r) (i32.const ${lanes})))`,
      `  (br $groupsNext)))`,
    ];
    const byWidth = (name: string, [narrowLanes, wideLanes]: readonly number[]) => [`    (if ${narrow} (then`, ...indent(groups(name, narrowLanes!), 3), `    ) (else`, ...indent(groups(name, wideLanes!), 3), `    ))`];
    if (lockstep !== undefined)
      out.push(
        // lockPasses = max(0, min(floor(budget / passCost), iterations) - 1): the final pass runs
        // in the general code, which owns every budget check.
        `    (global.set $lockPasses (f64.max (f64.const 0) (f64.sub (f64.min (f64.floor (f64.div (local.get $budget) ${f64(lockstep)})) (local.get $iterations)) (f64.const 1))))`,
        ...byWidth("$lockstep", lockWidths),
      );
    // Single precision counts in i32 lanes: SIMT takes budgets up to 2^30 (the rest run one at a time).
    if (simt && this.F === "f32") out.push(`    (global.set $iterationsI (i32.trunc_sat_f64_s (f64.ceil (local.get $iterations))))`, `    (if (f64.le (local.get $budget) (f64.const 0x1p30)) (then`);
    if (simt) out.push(...byWidth("$simt", [LANES.simtNarrow, LANES.simt]), ...(this.F === "f32" ? [`    ))`] : []));
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
    out.push(...this.writeOut());
    return { body: out, endsClean: pass.ascent === "none" };
  }

  /** Trajectory $r's results from the scalar locals: its end point (the accepted one with hops), loss, evaluations, steps, last record. */
  private writeOut(): string[] {
    const column = (base: string, i: number) => this.column(base, i, "(local.get $r)");
    const endPoint = this.hasHop ? "a" : "w";
    return [
      ...range(this.dims).map((i) => this.storeF64(column("end", i), `(local.get $${endPoint}${i})`)),
      `(local.set $fEnd ${this.lossCall(endPoint)})`,
      this.storeF64(column("loss", 0), `(local.get $fEnd)`),
      `(f64.store ${column("evals", 0)} (local.get $ev))`,
      `(f64.store ${column("steps", 0)} (local.get $t))`,
      `(if (f64.eq (local.get $ev) (local.get $rec)) (then ${this.storeCurve("(local.get $fEnd)")}))`,
    ];
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
        out.push(...this.acceptance(step));
        out.push(`(br_if $traj (local.get $exhausted))`);
        state.gradient = "stale";
        state.ascent = hop.ascent;
        return out;
      }
    }
  }

  /** The end of a hop: the candidate w judged against the accepted point a (taken, or w goes back to a). */
  private acceptance(step: Extract<Step, { op: "hop" }>): string[] {
    const F = this.F;
    const d = range(this.dims);
    const out = [`(local.set $candidate ${this.lossCall("w")})`];
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
    return out;
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

  /** `name`(base): trajectories base .. base + lanes - 1 for lockPasses passes, then each in $trajectory. */
  private lockstepFunction(name: string): string[] {
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
    const body = this.loadGroup();
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
    return [`(func ${name} (param $base i32)`, ...[...this.locals].map(([local, type]) => `  (local $${local} ${type})`), ...indent(body, 1), `)`];
  }

  /** The group's keys (quads k0, k1), starting points (vectors w) and first record, from trajectory $base on. */
  private loadGroup(): string[] {
    const out: string[] = [];
    // Four lanes' keys are two v128 loads of (k0, k1) pairs, unzipped.
    for (const g of range(this.lanes / 4)) {
      const pairs = (half: number) => `(v128.load align=4 (i32.add (global.get $keys) (i32.shl (i32.add (local.get $base) (i32.const ${4 * g + 2 * half})) (i32.const 3))))`;
      out.push(`(local.set $k0__Q${g} (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 ${pairs(0)} ${pairs(1)}))`);
      out.push(`(local.set $k1__Q${g} (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 ${pairs(0)} ${pairs(1)}))`);
    }
    out.push(`(local.set $rec (global.get $firstRecord))`);
    const starts = (i: number, first: number) => `(v128.load align=8 ${this.column("start", i, `(i32.add (local.get $base) (i32.const ${first}))`)})`;
    for (const i of range(this.dims))
      for (const j of range(this.lanes / this.width)) {
        // Single precision: four f64 starts rounded to float, two at a time.
        const value = this.F === "f64" ? starts(i, 2 * j) : demote4(starts(i, 4 * j), starts(i, 4 * j + 2));
        out.push(`(local.set $w${i}__V${j} ${value})`);
      }
    return out;
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
    // Each group width draws ahead into the same memory: the widest's chunk.
    this.reserved = Math.max(this.reserved, chunk * bytesPerPass);
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
    out.push(...this.vStraightLine(this.landscape.gradient, base, "q", d.map((i) => `g${i}`)));
    state.gradient = "valid";
    return out;
  }

  /**
   * Straight-line code of `exprs` at the points `base`0, `base`1, .. of every vector, into the
   * vector locals `targets` (suffix __V<j>); temporaries are `prefix`<k>__V<j>.
   */
  private vStraightLine(exprs: Parameters<typeof emitStraightLine>[0], base: string, prefix: string, targets: readonly string[]): string[] {
    const d = range(this.dims);
    const vectors = range(this.lanes / this.width);
    const out: string[] = [];
    const { statements, results } = emitStraightLine(exprs, d.map((i) => `x${i}`), prefix);
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
    targets.forEach((target, i) => {
      for (const j of vectors) out.push(`(local.set $${this.local(`${target}__V${j}`, "v128")} ${this.jsToWat(results[i]!, resolve(j), this.vectorArith)})`);
    });
    return out;
  }


  // ---- SIMT (see simt.ts): `lanes` trajectories as $lockstep holds them, each lane at its own
  // place in the program. A mask (all ones on the lanes it holds: an integer lane per number
  // lane, see laneInt) says which lanes a place's code is for; every write under a mask is a
  // bitselect (or a count's masked increment), so each lane performs exactly the scalar code's
  // operations. A lane's site (`site`) is the index of the place where it waits for its next
  // gradient; -1 once it has ended (the iteration cap), `sites + exit` once its budget ran out
  // at a model perturbation. At the end each lane's scalar state leaves through the exit its
  // budget check would have taken, and is written out by the scalar code.

  /** `name`(base): trajectories base .. base + lanes - 1, from start to end. */
  private simtFunction(graph: SimtGraph, name: string): string[] {
    this.locals = new Map();
    this.scalarLocals();
    for (const name of ["r", "anyDone", "s"]) this.local(name, "i32");
    const d = range(this.dims);
    const vectors = range(this.lanes / this.width);
    for (const name of [...d.flatMap((i) => [`w${i}`, `g${i}`, `a${i}`]), "fa", "t", "passes", "site", "evl", "recl", "all", ...this.slotLocals()]) for (const j of vectors) this.local(`${name}__V${j}`, "v128");
    for (const name of QUAD_SCALARS) for (const g of range(this.lanes / 4)) this.local(`${name}__Q${g}`, "v128");
    const body = this.loadGroup();
    for (const j of vectors) body.push(`(local.set $site__V${j} ${this.siteConst(-1)})`, `(local.set $all__V${j} ${this.siteConst(-1)})`);
    if (this.hasHop) {
      for (const i of d) for (const j of vectors) body.push(`(local.set $a${i}__V${j} (local.get $w${i}__V${j}))`);
      // Without a `start`, the accepted loss is f at the starting point (as the scalar code).
      if (this.optimizer.start.length === 0) body.push(...this.vStraightLine([this.landscape.objective], "w", "lq", ["fa"]));
    }
    // From the start to each lane's first site, all lanes together; then evaluations until the budget or the cap ends them all.
    body.push(...this.sweep(graph, [graph.entry], (key) => (key === graph.entry ? "all" : undefined)));
    body.push(`(block $finish (loop $iteration`, ...indent(this.simtIteration(graph), 1), `))`);
    body.push(...this.simtFinish());
    return [`(func ${name} (param $base i32)`, ...[...this.locals].map(([local, type]) => `  (local $${local} ${type})`), ...indent(body, 1), `)`];
  }

  /** One gradient evaluation for every waiting lane (they have spent the same), then a sweep from each site. */
  private simtIteration(graph: SimtGraph): string[] {
    const d = range(this.dims);
    const vectors = range(this.lanes / this.width);
    const out: string[] = [];
    out.push(`(if (local.get $anyDone) (then (local.set $anyDone (i32.const 0)) (br_if $finish (i32.eqz (v128.any_true ${this.vOr(vectors.map((j) => `(${this.laneInt}.ne (local.get $site__V${j}) ${this.siteConst(-1)})`))})))))`);
    out.push(`(br_if $finish (f64.ge (local.get $ev) (global.get $budget)))`);
    const records = range(this.lanes).map((L) => `(call $simtRecord (i32.add (local.get $base) (i32.const ${L})) ${this.laneSite(L)} ${d.map((i) => this.vectorLane(`w${i}`, L)).join(" ")} ${this.vectorLane("fa", L)} (local.get $ev))`);
    out.push(`(if (f64.eq (local.get $ev) (local.get $rec)) (then ${records.join(" ")} (local.set $rec (f64.add (local.get $rec) (global.get $stride)))))`);
    out.push(`(local.set $ev (f64.add (local.get $ev) (f64.const 1)))`);
    out.push(...this.vStraightLine(this.landscape.gradient, "w", "q", d.map((i) => `g${i}`)));
    // The lanes waiting at site `id` resume at its place, under the mask site<id>.
    const general: string[] = [];
    graph.sites.forEach((_, id) => general.push(...vectors.map((j) => `(local.set $${this.local(`site${id}__V${j}`, "v128")} (${this.laneInt}.eq (local.get $site__V${j}) ${this.siteConst(id)}))`)));
    const siteOf = new Map(graph.sites.map((key) => [graph.resume(key), key]));
    general.push(...this.sweep(graph, [...siteOf.keys()], (key) => (siteOf.has(key) ? `site${graph.sites.indexOf(siteOf.get(key)!)}` : undefined), siteOf));
    // Where every lane waits at one site and goes round its uniform cycle, that pass runs unmasked.
    // The last site found is tested first: sites are found from the entry, so those of `start`,
    // which a lane passes once, come first and are tested last (NiM-BH 1.1x faster than the reverse).
    let sweep = general;
    for (const [id, key] of graph.sites.entries()) {
      const cycle = uniformCycle(graph, key);
      if (!cycle) continue;
      const { before, guard, pass } = this.uniformPass(graph, id, cycle);
      sweep = [...before, `(if ${guard} (then`, ...indent(pass, 1), `) (else`, ...indent(sweep, 1), `))`];
    }
    out.push(...sweep, `(br $iteration)`);
    return out;
  }

  /**
   * A uniform cycle's pass (see uniformCycle) for a group whose lanes all wait at site `id`:
   * `before` computes what the tests read (the loss, for an \`until\` on it), `guard` is an
   * i32 that holds when every lane is there and none leaves, and `pass` is the cycle's code on
   * every lane, unmasked (the masked sweep's operations with an all-ones mask, so its bits).
   */
  private uniformPass(graph: SimtGraph, id: number, cycle: UniformCycle): { before: string[]; guard: string; pass: string[] } {
    const vectors = range(this.lanes / this.width);
    const I = this.laneInt;
    const before: string[] = [];
    const terms = vectors.map((j) => `(${I}.all_true (${I}.eq (local.get $site__V${j}) ${this.siteConst(id)}))`);
    /** The repeat whose `until` or count test place `key` is, and its body's sequence. */
    const repeatAt = (key: string) => {
      const place = graph.places.get(key)!;
      if (place.kind !== "until" && place.kind !== "top") throw new Error(`internal: ${key} is not a repeat's test`);
      const sequence = graph.sequences[place.seq]!;
      return { sequence, repeat: sequence.owner as Extract<Step, { op: "repeat" }> };
    };
    // A test that fails on every lane: first what it reads (the loss, when it does).
    const fails = (key: string, condition: CondIR) => {
      before.push(...this.placeCode(graph, key, EVERY_LANE));
      terms.push(`(i32.eqz (v128.any_true ${this.vOr(vectors.map((j) => this.vCondition(condition, j)))}))`);
    };
    for (const key of cycle.untils) fails(key, repeatAt(key).repeat.until!);
    for (const key of cycle.ifs) {
      const place = graph.places.get(key) as Extract<Place, { kind: "step" }>;
      fails(key, (graph.sequences[place.seq]!.steps[place.index] as Extract<Step, { op: "if" }>).condition);
    }
    if (cycle.loopTop) terms.push(...vectors.map((j) => `(${I}.all_true ${this.countBelowIterations(j)})`));
    for (const key of cycle.counts) {
      const { sequence, repeat } = repeatAt(key);
      const counter = `i${sequence.counter}`;
      for (const j of vectors) this.local(`${counter}__V${j}`, "v128");
      // After this pass's increment the count is below the limit: it is below the limit less one now (counts are integers).
      terms.push(...vectors.map((j) => `(${I}.all_true ${this.countBelow(counter, j, repeat.times - 1)})`));
    }
    // The tests' own code ran before; at the loop's top only the pass count goes up (no lane is at the cap).
    const tested = new Set([...cycle.untils, ...cycle.ifs]);
    const pass = cycle.places.flatMap((key) => {
      if (tested.has(key)) return [];
      if (graph.places.get(key)!.kind === "loopTop") return vectors.map((j) => this.vCount("passes", j, EVERY_LANE));
      return this.placeCode(graph, key, EVERY_LANE);
    });
    return { before, guard: terms.reduce((acc, t) => `(i32.and ${acc} ${t})`), pass };
  }

  /** Lane L's site as an i32. */
  private laneSite(L: number): string {
    const lane = `(${this.laneInt}.extract_lane ${L % this.width} (local.get $site__V${Math.floor(L / this.width)}))`;
    return this.F === "f64" ? `(i32.wrap_i64 ${lane})` : lane;
  }

  /**
   * The cold ends of $simt, as functions of their own (so the engine optimizes a smaller $simt):
   * $simtRecord(r, site, w.., fa, ev) records lane r's loss curve point; $simtLeave(r, site, w..,
   * a.., fa, t, ev, rec) ends lane r as the scalar code would, from its scalar state: out of
   * budget at a site, through the exit its budget check takes (the end of `start`, or of a hop,
   * which judges the candidate); ended at the iteration cap (site -1), as it is. The scalar code
   * then writes it out.
   */
  private simtHelpers(graph: SimtGraph): string[] {
    const d = range(this.dims);
    const F = this.F;
    this.locals = new Map();
    this.scalarLocals();
    const params = (names: readonly string[]) => names.map((name) => `(param $${name} ${this.locals.get(name) ?? F})`).join(" ");
    // A record: f at the lane's point, or inside a hop the accepted loss.
    const inHop = graph.sites.flatMap((key, id) => (graph.exits[graph.exitOf(key)]!.kind === "hop" ? [id] : []));
    const here = this.lossCall("w");
    const value = inHop.length === 0 ? here : `(select (local.get $fa) ${here} ${this.siteIn("(local.get $s)", inHop)})`;
    const record = [
      `(func $simtRecord (param $r i32) (param $s i32) ${params([...d.map((i) => `w${i}`), "fa", "ev"])}`,
      `  (local $ci f64)`,
      `  (if (i32.ge_s (local.get $s) (i32.const 0)) (then ${this.storeCurve(value)})))`,
    ];
    const leave = graph.exits.flatMap((exit, e) => {
      const code = exit.kind === "hop" ? this.acceptance(exit.hop) : exit.kind === "start" && this.hasHop ? [...d.map((i) => `(local.set $a${i} (local.get $w${i}))`), `(local.set $fa ${this.lossCall("w")})`] : [];
      // Its sites, and where a model perturbation's budget check parks a lane.
      const ids = [...graph.sites.flatMap((key, id) => (graph.exitOf(key) === e ? [id] : [])), graph.sites.length + e];
      return code.length === 0 ? [] : [`(if ${this.siteIn("(local.get $s)", ids)} (then`, ...indent(code, 1), `))`];
    });
    const body = [...leave, ...this.writeOut()];
    const taken = new Set(["r", "s", ...simtLeaveState(d, this.hasHop)]);
    return [
      ...record,
      `(func $simtLeave (param $r i32) (param $s i32) ${params(simtLeaveState(d, this.hasHop))}`,
      ...[...this.locals].filter(([name]) => !taken.has(name)).map(([name, type]) => `  (local $${name} ${type})`),
      ...indent(body, 1),
      `)`,
    ];
  }

  /** Ends every lane (see simtHelpers): out of budget with the group's count and next record, or at the cap with its own. */
  private simtFinish(): string[] {
    const d = range(this.dims);
    return range(this.lanes).map((L) => {
      const state = simtLeaveState(d, this.hasHop).map((name) => {
        if (name === "ev" || name === "rec") return `(select (local.get $${name}) ${this.countLane(`${name}l`, L)} (i32.ge_s ${this.laneSite(L)} (i32.const 0)))`;
        return name === "t" ? this.countLane(name, L) : this.vectorLane(name, L);
      });
      return `(call $simtLeave (i32.add (local.get $base) (i32.const ${L})) ${this.laneSite(L)} ${state.join(" ")})`;
    });
  }

  /** Whether the i32 `site` is one of `ids`. */
  private siteIn(site: string, ids: readonly number[]): string {
    if (ids.length === 0) return `(i32.const 0)`;
    return ids.map((id) => `(i32.eq ${site} (i32.const ${id}))`).reduce((acc, t) => `(i32.or ${acc} ${t})`);
  }

  /** The bitwise or of v128 expressions. */
  private vOr(terms: readonly string[]): string {
    return terms.reduce((acc, t) => `(v128.or ${acc} ${t})`);
  }

  /**
   * One sweep through the places reachable from `roots` (in their order): a place reached from
   * one other place runs inside that one's code, under the same mask or a branch of its test;
   * a root, or a place reached from several, has a mask of its own (`rootMask` names the roots'
   * masks, set before the sweep; the others are or-ed into, and cleared after use).
   * `origins` maps a root to the site its lanes wait at (so parking them there again writes nothing).
   */
  private sweep(graph: SimtGraph, roots: readonly string[], rootMask: (key: string) => string | undefined, origins?: ReadonlyMap<string, string>): string[] {
    const vectors = range(this.lanes / this.width);
    const order = graph.order(roots);
    const degrees = graph.inDegrees(order);
    const own = new Map<string, string>();
    for (const key of order) {
      const mask = rootMask(key);
      if (mask !== undefined) own.set(key, mask);
      else if (degrees.get(key)! >= 2) {
        const name = `m${this.unique++}`;
        for (const j of vectors) this.local(`${name}__V${j}`, "v128");
        own.set(key, name);
      }
    }
    const any = (mask: string) => `(v128.any_true ${this.vOr(vectors.map((j) => `(local.get $${mask}__V${j})`))})`;
    const orInto = (target: string, m: string) => vectors.map((j) => `(local.set $${target}__V${j} (v128.or (local.get $${target}__V${j}) (local.get $${m}__V${j})))`);
    /** The code of `key` and the places it leads to inline, under `mask`. */
    const place = (key: string, mask: string, origin: string | undefined): string[] => {
      const f = graph.flow(key);
      const out = this.placeCode(graph, key, mask);
      const to = (next: string, m: string): string[] => {
        const target = own.get(next);
        if (target !== undefined) return orInto(target, m);
        const code = place(next, m, origin);
        // Parking (a few selects) costs less than the test that would skip it.
        return graph.flow(next).kind === "park" || code.length === 0 ? code : [`(if ${any(m)} (then`, ...indent(code, 1), `))`];
      };
      if (f.kind === "park") {
        const id = graph.sites.indexOf(key);
        if (origin !== key) out.push(...vectors.map((j) => this.vMasked("site", j, this.siteConst(id), mask)));
      } else if (f.kind === "next") {
        // The same mask goes on: no test.
        const target = own.get(f.next);
        out.push(...(target !== undefined ? orInto(target, mask) : place(f.next, mask, origin)));
      } else {
        const yes = `y${this.unique++}`;
        const no = `n${this.unique++}`;
        for (const j of vectors) {
          const test = this.local(`test__V${j}`, "v128");
          out.push(`(local.set $${test} ${this.placeTest(graph, key, j)})`);
          out.push(`(local.set $${this.local(`${yes}__V${j}`, "v128")} (v128.and (local.get $${mask}__V${j}) (local.get $${test})))`);
          out.push(`(local.set $${this.local(`${no}__V${j}`, "v128")} (v128.andnot (local.get $${mask}__V${j}) (local.get $${test})))`);
        }
        out.push(...to(f.yes, yes), ...to(f.no, no));
      }
      return out;
    };
    const out: string[] = [];
    for (const key of order) {
      const mask = own.get(key);
      if (mask === undefined) continue;
      // Lanes that wait at a root's own site, and only those, need not be parked there again.
      const code = place(key, mask, degrees.get(key) === 0 ? origins?.get(key) : undefined);
      const isRoot = rootMask(key) !== undefined;
      out.push(`(if ${any(mask)} (then`, ...indent(code, 1), ...(isRoot ? [] : vectors.map((j) => `  (local.set $${mask}__V${j} (v128.const i32x4 0 0 0 0))`)), `))`);
    }
    return out;
  }

  /** The lanes of a mask as an i32x4 mask of quad g's four lanes (double precision: vectors 2g and 2g + 1; single: vector g). */
  private quadMask(mask: string, g: number): string {
    if (this.F === "f32") return `(local.get $${mask}__V${g})`;
    return narrowMasks(`(local.get $${mask}__V${2 * g})`, `(local.get $${mask}__V${2 * g + 1})`);
  }

  /**
   * How SIMT lanes hold integers: sites and masks one integer lane per number lane (i64x2 in
   * double precision, i32x4 in single). The counts (t, passes, a repeat's passes, and a lane's
   * evaluations and next record once it ends) are f64 lanes in double precision, as the scalar
   * code's; in single precision i32x4 lanes, exact as the budget is at most 2^30 when SIMT runs.
   */
  private get laneInt(): "i64x2" | "i32x4" {
    return this.F === "f64" ? "i64x2" : "i32x4";
  }

  /** `value` in every lane of a site (or mask: -1 is all ones). */
  private siteConst(value: number): string {
    return this.F === "f64" ? i64x2(value) : `(v128.const i32x4 ${value} ${value} ${value} ${value})`;
  }

  /** Lane L of the count `name`, as f64. */
  private countLane(name: string, L: number): string {
    if (this.F === "f64") return this.vectorLane(name, L);
    return `(f64.convert_i32_s (i32x4.extract_lane ${L % this.width} (local.get $${name}__V${Math.floor(L / this.width)})))`;
  }

  /** The count `name` < `limit` (a constant) on the lanes of vector j. */
  private countBelow(name: string, j: number, limit: number): string {
    if (this.F === "f64") return `(f64x2.lt (local.get $${name}__V${j}) ${f64x2(limit)})`;
    // Counts are integers below 2^31: below the limit is below its ceiling, clamped.
    const bound = Math.min(Math.ceil(limit), 2 ** 31 - 1);
    return `(i32x4.lt_s (local.get $${name}__V${j}) ${this.siteConst(bound)})`;
  }

  /** The lanes of vector j whose passes are below the iteration cap. */
  private countBelowIterations(j: number): string {
    if (this.F === "f64") return `(f64x2.lt (local.get $passes__V${j}) (f64x2.splat (global.get $iterations)))`;
    return `(i32x4.lt_s (local.get $passes__V${j}) (i32x4.splat (global.get $iterationsI)))`;
  }

  /** A count from the f64 scalar `value` (an integer), in every lane. */
  private countSplat(value: string): string {
    return this.F === "f64" ? `(f64x2.splat ${value})` : `(i32x4.splat (i32.trunc_sat_f64_s ${value}))`;
  }

  /** `name` = value on the lanes of `mask` (vector j; EVERY_LANE: all of them, no select). */
  private vMasked(name: string, j: number, value: string, mask: string): string {
    if (mask === EVERY_LANE) return `(local.set $${name}__V${j} ${value})`;
    return `(local.set $${name}__V${j} (v128.bitselect ${value} (local.get $${name}__V${j}) (local.get $${mask}__V${j})))`;
  }

  /** A count `name` + 1 on the lanes of `mask` (+ 0 elsewhere: exact; in single precision the integer minus the mask's -1). */
  private vCount(name: string, j: number, mask: string): string {
    if (mask === EVERY_LANE) return this.F === "f32" ? `(local.set $${name}__V${j} (i32x4.add (local.get $${name}__V${j}) ${i32x4(1)}))` : `(local.set $${name}__V${j} (f64x2.add (local.get $${name}__V${j}) ${f64x2(1)}))`;
    if (this.F === "f32") return `(local.set $${name}__V${j} (i32x4.sub (local.get $${name}__V${j}) (local.get $${mask}__V${j})))`;
    return `(local.set $${name}__V${j} (f64x2.add (local.get $${name}__V${j}) (v128.and (local.get $${mask}__V${j}) ${f64x2(1)})))`;
  }

  /** What a place does on the lanes of `mask` before its flow (its test, if it splits, is placeTest). */
  private placeCode(graph: SimtGraph, key: string, mask: string): string[] {
    const V = this.V;
    const p = graph.places.get(key)!;
    const d = range(this.dims);
    const vectors = range(this.lanes / this.width);
    const c = (v: number) => this.n.splat(v);
    const v = (name: string, j: number) => `(local.get $${name}__V${j})`;
    const out: string[] = [];
    if (graph.flow(key).kind === "park") return out;
    switch (p.kind) {
      case "loopTop": {
        // The iteration cap: lanes past it end here (their evaluations and next record kept).
        const done = `done${this.unique++}`;
        for (const j of vectors) out.push(`(local.set $${this.local(`${done}__V${j}`, "v128")} (v128.and ${v(mask, j)} (v128.not ${this.countBelowIterations(j)})))`);
        out.push(
          `(if (v128.any_true ${this.vOr(vectors.map((j) => v(done, j)))}) (then`,
          ...vectors.flatMap((j) => [
            `  ${this.vMasked("site", j, this.siteConst(-1), done)}`,
            `  ${this.vMasked("evl", j, this.countSplat("(local.get $ev)"), done)}`,
            `  ${this.vMasked("recl", j, this.countSplat("(local.get $rec)"), done)}`,
            `  (local.set $${mask}__V${j} (v128.andnot ${v(mask, j)} ${v(done, j)}))`,
          ]),
          `  (local.set $anyDone (i32.const 1))))`,
        );
        for (const j of vectors) out.push(this.vCount("passes", j, mask));
        return out;
      }
      case "top":
        return out;
      case "until": {
        const repeat = graph.sequences[p.seq]!.owner as Extract<Step, { op: "repeat" }>;
        if (conditionReadsLoss(repeat.until!)) out.push(...this.vStraightLine([this.landscape.objective], "w", "lq", ["loss"]));
        return out;
      }
      case "step":
        break;
    }
    const sequence = graph.sequences[p.seq]!;
    const step = sequence.steps[p.index];
    if (step === undefined) {
      const owner = sequence.owner;
      if (owner === "start") {
        if (this.hasHop) {
          out.push(...this.vStraightLine([this.landscape.objective], "w", "lq", ["candidate"]));
          for (const j of vectors) out.push(...d.map((i) => this.vMasked(`a${i}`, j, v(`w${i}`, j), mask)), this.vMasked("fa", j, v("candidate", j), mask));
        }
      } else if (owner !== "loop" && owner.op === "repeat") for (const j of vectors) out.push(this.vCount(`i${sequence.counter}`, j, mask));
      else if (owner !== "loop" && owner.op === "hop") {
        out.push(...this.vStraightLine([this.landscape.objective], "w", "lq", ["candidate"]));
        for (const j of vectors) {
          if (owner.accept.rule === "always") {
            out.push(...d.map((i) => this.vMasked(`a${i}`, j, v(`w${i}`, j), mask)), this.vMasked("fa", j, v("candidate", j), mask));
            continue;
          }
          // Lower: taken where candidate < fa, else w goes back to a.
          const lower = this.local(`lower__V${j}`, "v128");
          const take = this.local(`take__V${j}`, "v128");
          out.push(`(local.set $${lower} (v128.andnot ${v(mask, j)} (${V}.lt ${v("candidate", j)} ${v("fa", j)})))`);
          out.push(`(local.set $${take} (v128.xor ${v(mask, j)} (local.get $${lower})))`);
          out.push(...d.map((i) => `(local.set $w${i}__V${j} (v128.bitselect ${v(`a${i}`, j)} ${v(`w${i}`, j)} (local.get $${lower})))`));
          out.push(...d.map((i) => `(local.set $a${i}__V${j} (v128.bitselect ${v(`w${i}`, j)} ${v(`a${i}`, j)} (local.get $${take})))`));
          out.push(`(local.set $fa__V${j} (v128.bitselect ${v("candidate", j)} ${v("fa", j)} (local.get $${take})))`);
        }
      }
      return out;
    }
    switch (step.op) {
      case "perturb": {
        const target = step.target === "gradient" ? "g" : "w";
        if (step.target === "model") {
          // The budget check before a model perturbation: every lane here has spent the same.
          const exhausted = this.siteConst(graph.sites.length + sequence.exit);
          out.push(`(if (f64.ge (local.get $ev) (global.get $budget)) (then ${vectors.map((j) => `${this.vMasked("site", j, exhausted, mask)} (local.set $${mask}__V${j} (v128.const i32x4 0 0 0 0))`).join(" ")}))`);
        }
        // Drawn on every lane; kept (with the counter's advance) on the mask's.
        for (const i of d) for (const j of vectors) out.push(`(local.set $${this.local(`old${target}${i}__V${j}`, "v128")} ${v(`${target}${i}`, j)})`);
        for (const g of range(this.lanes / 4)) out.push(`(local.set $${this.local(`oldc__Q${g}`, "v128")} (local.get $c__Q${g}))`);
        out.push(...this.vNoise(step.family, step.scale, target));
        for (const i of d) for (const j of vectors) out.push(`(local.set $${target}${i}__V${j} (v128.bitselect ${v(`${target}${i}`, j)} ${v(`old${target}${i}`, j)} ${v(mask, j)}))`);
        for (const g of range(this.lanes / 4)) out.push(`(local.set $c__Q${g} (v128.bitselect (local.get $c__Q${g}) (local.get $oldc__Q${g}) ${this.quadMask(mask, g)}))`);
        return out;
      }
      case "descend": {
        const m = step.method;
        const rate = c(step.rate);
        for (const i of d)
          for (const j of vectors) {
            const w = v(`w${i}`, j);
            const g = v(`g${i}`, j);
            if (m.kind === "sgd") out.push(this.vMasked(`w${i}`, j, `(${V}.sub ${w} (${V}.mul ${rate} ${g}))`, mask));
            else if (m.kind === "momentum") {
              const mm = `m${step.slot}_${i}`;
              const beta = c(m.beta);
              out.push(this.vMasked(mm, j, `(${V}.add (${V}.mul ${beta} ${v(mm, j)}) ${g})`, mask));
              const direction = m.nesterov ? `(${V}.add ${g} (${V}.mul ${beta} ${v(mm, j)}))` : v(mm, j);
              out.push(this.vMasked(`w${i}`, j, `(${V}.sub ${w} (${V}.mul ${rate} ${direction}))`, mask));
            } else throw new Error("internal: Adam cannot run as SIMT");
          }
        for (const j of vectors) out.push(this.vCount("t", j, mask));
        return out;
      }
      case "repeat": {
        const counter = graph.sequences.find((s) => s.owner === step)!.counter!;
        for (const j of vectors) out.push(`(local.set $${this.local(`i${counter}__V${j}`, "v128")} (v128.andnot (local.get $i${counter}__V${j}) ${v(mask, j)}))`);
        return out;
      }
      case "if":
        if (conditionReadsLoss(step.condition)) out.push(...this.vStraightLine([this.landscape.objective], "w", "lq", ["loss"]));
        return out;
      case "hop":
      case "ascend":
        return out;
    }
  }

  /** The lanes of vector j where a splitting place's test holds (an i64x2 mask). */
  private placeTest(graph: SimtGraph, key: string, j: number): string {
    const p = graph.places.get(key)!;
    if (p.kind === "top") {
      const repeat = graph.sequences[p.seq]!.owner as Extract<Step, { op: "repeat" }>;
      const counter = `i${graph.sequences[p.seq]!.counter}`;
      this.local(`${counter}__V${j}`, "v128");
      return this.countBelow(counter, j, repeat.times);
    }
    if (p.kind === "until") return this.vCondition((graph.sequences[p.seq]!.owner as Extract<Step, { op: "repeat" }>).until!, j);
    if (p.kind === "step") {
      const step = graph.sequences[p.seq]!.steps[p.index];
      if (step?.op === "if") return this.vCondition(step.condition, j);
    }
    throw new Error(`internal: place ${key} has no test`);
  }

  /**
   * A condition on the lanes of vector j, as a mask: the scalar `condition`'s operations on each
   * lane, in f64 (single precision: on each half of the vector's four lanes, widened exactly as
   * the scalar code widens, the two halves' masks joined).
   */
  private vCondition(c: CondIR, j: number): string {
    if (this.F === "f64") return this.vCondition64(c, j, (x) => x, (n) => `(local.get $${n}__V${j})`);
    const halves = [0, 1].map((half) =>
      this.vCondition64(
        c,
        j,
        (x) => `(f64x2.promote_low_f32x4 ${half === 0 ? x : `(i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 ${x} ${x})`})`,
        (n) => convertHalf(`(local.get $${n}__V${j})`, half),
      ),
    );
    return narrowMasks(halves[0]!, halves[1]!);
  }

  /** vCondition on f64x2 lanes: `widen` takes a vector of this precision to them, `count` a count's. */
  private vCondition64(c: CondIR, j: number, widen: (vector: string) => string, count: (name: string) => string): string {
    const V = this.V;
    const g = (i: number) => `(local.get $g${i}__V${j})`;
    const squared = () => this.sum(range(this.dims).map((i) => `(${V}.mul ${g(i)} ${g(i)})`), V);
    const value = (v: ValueIR): string => {
      switch (v.op) {
        case "const":
          return f64x2(v.value);
        case "state":
          if (v.name === "gradnorm") return widen(`(${V}.sqrt ${squared()})`);
          if (v.name === "loss") return widen(`(local.get $loss__V${j})`);
          if (v.name === "t") return count("t");
          return `(f64x2.splat (local.get $ev))`;
        case "neg":
          return `(f64x2.neg ${value(v.operand)})`;
        case "call":
          return this.callF64x2(v.fn, [value(v.arg)]);
        case "binary":
          if (v.operator === "^") return this.callF64x2("pow", [value(v.left), value(v.right)]);
          return `(f64x2.${{ "+": "add", "-": "sub", "*": "mul", "/": "div" }[v.operator]} ${value(v.left)} ${value(v.right)})`;
      }
    };
    switch (c.op) {
      case "compare": {
        const op = { "<": "f64x2.lt", "<=": "f64x2.le", ">": "f64x2.gt", ">=": "f64x2.ge", "==": "f64x2.eq", "!=": "f64x2.ne" }[c.operator];
        if (c.left.op === "state" && c.left.name === "gradnorm" && c.right.op === "const" && c.right.value >= 0 && Number.isFinite(c.right.value))
          return `(${op} ${widen(squared())} ${f64x2(c.right.value * c.right.value)})`;
        return `(${op} ${value(c.left)} ${value(c.right)})`;
      }
      case "and":
        return `(v128.and ${this.vCondition64(c.left, j, widen, count)} ${this.vCondition64(c.right, j, widen, count)})`;
      case "or":
        return `(v128.or ${this.vCondition64(c.left, j, widen, count)} ${this.vCondition64(c.right, j, widen, count)})`;
      case "not":
        return `(v128.not ${this.vCondition64(c.operand, j, widen, count)})`;
    }
  }

  /** Math.fn on f64x2 arguments: sqrt and abs as instructions, the rest called lane by lane. */
  private callF64x2(fn: string, args: readonly string[]): string {
    if ((fn === "sqrt" || fn === "abs") && args.length === 1) return `(f64x2.${fn} ${args[0]})`;
    const temps = args.map(() => this.local(`vt${this.unique++}`, "v128"));
    const lane = (l: number) => this.callMath(fn, temps.map((t, k) => `(f64x2.extract_lane ${l} ${l === 0 ? `(local.tee $${t} ${args[k]})` : `(local.get $${t})`})`), "f64");
    return `(f64x2.replace_lane 1 (f64x2.splat ${lane(0)}) ${lane(1)})`;
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

/** The scalar state $simtLeave takes, after the lane's index and site. */
function simtLeaveState(d: readonly number[], hasHop: boolean): string[] {
  return [...d.map((i) => `w${i}`), ...(hasHop ? [...d.map((i) => `a${i}`), "fa"] : []), "t", "ev", "rec"];
}

/** Two i64x2 masks as one i32x4 mask of their four lanes (the low words: a mask's words are equal). */
function narrowMasks(low: string, high: string): string {
  return `(i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 ${low} ${high})`;
}

/** Both i64x2 lanes `value` (-1: all ones, a mask of every lane). */
function i64x2(value: number): string {
  return `(v128.const i64x2 ${value} ${value})`;
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

