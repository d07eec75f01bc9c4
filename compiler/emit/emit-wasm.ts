// The WebAssembly emitter (groundwork): one module per optimizer x landscape whose exported
// `run` executes the general one-trajectory path of the plain-JS emitter (emit-js.ts), step
// for step and operation for operation, so its results are bit-identical to the JS kernel's.
// What wasm lacks (sin, cos, tan, exp, log, tanh, sign, pow) is imported from the host's
// `Math`, so it is the very same function the JS kernel calls.
//
// Lockstep (SIMD): where emit-js runs trajectories in lockstep (every pass costs the same
// number of gradients, no `start`, no `hop`, no ascent pending at the end of a pass), the
// module runs them in groups of `LANES` (f64x2 vectors, several in flight) for the first `lockPasses`
// passes, then hands each lane's state to the general `$trajectory`, as emit-js does. The
// gradient, the updates and the ascent are f64x2 arithmetic: IEEE add, sub, mul, div and
// sqrt are exact per lane, and the operations are those of the scalar code in the same
// order, so the bits are the same. So is 2-D noise: the draws are integer SIMD, four lanes'
// counters and keys per i32x4 (i32x4.mul wraps as Math.imul), converted to f64x2 exactly as
// the scalar code converts; the angle's series and the rotation are f64x2. Imported Math
// calls go lane by lane; other noise, `if` and Adam steps run as the scalar code on each
// lane in turn (extract_lane / replace_lane). The draws are the generator of runtime/rng.ts written out inline.
//
// Module contract: imports `Math.<fn>` (f64 -> f64, pow f64 f64 -> f64); exports `memory`
// and `run(count, budget, iterations, stride, points, hasCurve, keys, start, end, loss, evals,
// steps, curve)`, where the last seven are byte offsets into `memory` of the KernelJob arrays
// (runtime/kernel.ts), laid out by the loader: keys as 2 x count int32, start and end as
// `dims` columns of count f64 each, loss, evals and steps as count f64, curve as
// count x points f64. See runtime/backends/wasm.ts.
import { LOWBIAS32_FINAL_SHIFT, LOWBIAS32_ROUNDS } from "../../runtime/rng.js";
import { emitStraightLine } from "../symbolic/index.js";
import type { LandscapeIR } from "../lower/landscape.js";
import { loopPassCost } from "../lower/cost.js";
import { loopPass, type Ascent, type FlowState } from "./flow.js";
import { conditionReadsGradient, conditionReadsLoss, type CondIR, type OptimizerIR, type Step, type ValueIR } from "../lower/ir.js";

export interface EmittedWasmKernel {
  readonly wat: string;
}


/** Where a budget check leaves to, and whether it is inside a hop (which records the accepted loss). */
interface Exit {
  readonly label: string;
  readonly inHop: boolean;
}

/** Emits readable WAT for `optimizer` on `landscape` (the general path of emit-js, bit-identical). */
export function emitWasmKernel(optimizer: OptimizerIR, landscape: LandscapeIR): EmittedWasmKernel {
  return { wat: new WasmEmitter(optimizer, landscape).emit() };
}

// Functions the host's Math provides with the same results as the JS kernel's calls. sqrt and
// abs are exact in IEEE arithmetic, so the wasm instructions give the same bits.
/** V8 accepts up to 50,000 locals per function; leave room for the engine's own. */
const MAX_LOCALS = 40_000;

const NATIVE: Readonly<Record<string, string>> = { sqrt: "f64.sqrt", abs: "f64.abs" };

/** Trajectories per lockstep group: four f64x2 vectors (two i32x4 vectors for the generator). */
const LANES = 8;

/** Lane scalars of $lockstep held as i32x4 vectors of four lanes: the generator's counter and keys. */
const QUAD_SCALARS: ReadonlySet<string> = new Set(["c", "k0", "k1"]);

type LocalType = "f64" | "i32" | "v128";

/** How expressions of emitStraightLine's code are written: scalar f64 or f64x2. */
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
  private readonly imports = new Set<string>();
  /** Locals of the function being emitted ($trajectory, then $lockstep). */
  private locals = new Map<string, LocalType>();
  private unique = 0;
  private gradientTemps = 0;

  constructor(
    private readonly optimizer: OptimizerIR,
    private readonly landscape: LandscapeIR,
  ) {
    this.dims = landscape.dims;
    const all = [...flatten(optimizer.start), ...flatten(optimizer.loop)];
    this.hasAscent = all.some((s) => s.op === "ascend");
    this.hasHop = all.some((s) => s.op === "hop");
    this.slotKinds = new Map(all.flatMap((s) => (s.op === "descend" ? [[s.slot, s.method.kind] as const] : [])));
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
    const out: string[] = [];
    const p = this.optimizer.params;
    out.push(`;; optimizer ${this.optimizer.name} (${this.optimizer.declaration}${Object.keys(p).length ? `: ${Object.entries(p).map(([k, v]) => `${k} = ${v}`).join(", ")}` : ""})`);
    out.push(`;; landscape ${this.landscape.name} (${this.dims} coordinates: ${this.landscape.coordinates.join(", ")})`);
    out.push(`;; Generated by optc's wasm emitter: the general one-trajectory path of the JS kernel${lockstep !== undefined ? `, after ${LANES} trajectories in lockstep (f64x2) for all but the last pass` : ""}.`);
    out.push(`(module`);
    for (const fn of [...this.imports].sort()) {
      const params = fn === "pow" ? "f64 f64" : "f64";
      out.push(`  (import "Math" "${fn}" (func $Math_${fn} (param ${params}) (result f64)))`);
    }
    out.push(`  (memory (export "memory") 1)`);
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
    const fresh = params.map(([name]) => {
      const w = /^w(\d+)$/.exec(name);
      if (w) return `(f64.load ${this.column("start", Number(w[1]), "(local.get $r)")})`;
      if (name === "rec") return `(global.get $firstRecord)`;
      return name === "c" ? `(i32.const 0)` : `(f64.const 0)`;
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
        `      (br_if $lockDone (i32.gt_s (i32.add (local.get $r) (i32.const ${LANES})) (local.get $count)))`,
        `      (call $lockstep (local.get $r))`,
        `      (local.set $r (i32.add (local.get $r) (i32.const ${LANES})))`,
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
    return [...range(this.dims).map((i) => [`w${i}`, "f64"] as [string, LocalType]), ["t", "f64"], ["ev", "f64"], ["c", "i32"], ["passes", "f64"], ["rec", "f64"], ...this.slotLocals().map((n) => [n, "f64"] as [string, LocalType])];
  }

  /** The byte address of column `i` of a KernelJob array at restart `row`. */
  private column(base: string, i: number, row: string): string {
    return `(i32.add (global.get $${base}) (i32.shl (i32.add (i32.mul (global.get $count) (i32.const ${i})) ${row}) (i32.const 3)))`;
  }

  /** $lossAt(w0, ..): f at a point, from the same straight-line code as the JS kernel's. */
  private lossFunction(): string[] {
    const d = range(this.dims);
    const { statements, results } = emitStraightLine([this.landscape.objective], d.map((i) => `x${i}`), "q");
    const resolve = (name: string) => {
      const m = /^x(\d+)$/.exec(name);
      return m ? `(local.get $w${m[1]})` : `(local.get $${name})`;
    };
    const out = [`(func $lossAt ${d.map((i) => `(param $w${i} f64)`).join(" ")} (result f64)`];
    for (let k = 0; k < statements.length; k++) out.push(`  (local $q${k} f64)`);
    for (const s of statements) {
      const [, name, expr] = /^const (\w+) = (.*);$/.exec(s)!;
      out.push(`  (local.set $${name} ${this.jsToWat(expr!, resolve)})`);
    }
    out.push(`  ${this.jsToWat(results[0]!, resolve)})`);
    return out;
  }

  private local(name: string, type: LocalType = "f64"): string {
    this.locals.set(name, type);
    return name;
  }

  private lossCall(base: "w" | "a"): string {
    return `(call $lossAt ${range(this.dims).map((i) => `(local.get $${base}${i})`).join(" ")})`;
  }

  private slotLocals(): string[] {
    const names: string[] = [];
    for (const [slot, kind] of [...this.slotKinds].sort((a, b) => a[0] - b[0])) {
      if (kind === "sgd") continue;
      for (const i of range(this.dims)) names.push(`m${slot}_${i}`);
      if (kind === "adam") {
        for (const i of range(this.dims)) names.push(`v${slot}_${i}`);
        names.push(`n${slot}`);
      }
    }
    return names;
  }

  /** Registers the locals of the scalar step code in the function being emitted. */
  private scalarLocals(): void {
    const d = range(this.dims);
    for (const name of ["t", "ev", "passes", "rec", "fa", "loss", "candidate", "fEnd", "norm", "norm2", "s", "u", "h", "x", "x2", "sx", "cx", "c45", "s45", "qc", "qs", "radius", "fq", "qa", "qb", "qq"]) this.local(name);
    for (const name of ["k0", "k1", "c", "gv", "exhausted", "bits", "quadrant"]) this.local(name, "i32");
    for (const i of d) for (const v of ["w", "g", "e", "a", "p", "z"]) this.local(`${v}${i}`);
    for (const name of this.slotLocals()) this.local(name);
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
    for (const i of d) out.push(`(f64.store ${column("end", i)} (local.get $${endPoint}${i}))`);
    out.push(`(local.set $fEnd ${this.lossCall(endPoint)})`);
    out.push(`(f64.store ${column("loss", 0)} (local.get $fEnd))`);
    out.push(`(f64.store ${column("evals", 0)} (local.get $ev))`);
    out.push(`(f64.store ${column("steps", 0)} (local.get $t))`);
    out.push(`(if (f64.eq (local.get $ev) (local.get $rec)) (then ${this.storeCurve("(local.get $fEnd)")}))`);
    return { body: out, endsClean: pass.ascent === "none" };
  }

  /** curve[r * points + ev / stride] = value, dropped outside the job's curve as a typed array would. */
  private storeCurve(value: string, row = "(local.get $r)", ev = "(local.get $ev)"): string {
    const index = `(f64.add (f64.convert_i32_s (i32.mul ${row} (global.get $points))) (f64.div ${ev} (global.get $stride)))`;
    const total = `(f64.convert_i32_s (i32.mul (global.get $count) (global.get $points)))`;
    this.local("ci");
    return `(local.set $ci ${index}) (if (i32.and (f64.ge (local.get $ci) (f64.const 0)) (f64.lt (local.get $ci) ${total})) (then (f64.store (i32.add (global.get $curve) (i32.shl (i32.trunc_f64_s (local.get $ci)) (i32.const 3))) ${value})))`;
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
    const d = range(this.dims);
    const base = ascent === "none" ? "w" : "p";
    const out: string[] = [];
    if (ascent !== "none") out.push(...d.map((i) => `(local.set $p${i} (f64.add (local.get $w${i}) (local.get $e${i})))`));
    const { statements, results } = emitStraightLine(this.landscape.gradient, d.map((i) => `x${i}`), "q");
    this.gradientTemps = Math.max(this.gradientTemps, statements.length);
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

  private gradNormSquared(): string {
    return this.sum(range(this.dims).map((i) => `(f64.mul (local.get $g${i}) (local.get $g${i}))`));
  }

  /** a + b + c .. left to right, as JS evaluates it. */
  private sum(terms: readonly string[], type: "f64" | "f64x2" = "f64"): string {
    return terms.reduce((acc, term) => `(${type}.add ${acc} ${term})`);
  }

  private step(step: Step, state: FlowState, exit: Exit): string[] {
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
          out.push(`(local.set $norm (f64.sqrt ${this.gradNormSquared()}))`);
          out.push(`(local.set $s (if (result f64) (f64.gt (local.get $norm) (f64.const 0)) (then (f64.div ${f64(step.radius)} (local.get $norm))) (else (f64.const 0))))`);
          out.push(...d.map((i) => `(local.set $e${i} (f64.mul (local.get $s) (local.get $g${i})))`));
        } else out.push(...d.map((i) => `(local.set $e${i} (f64.mul ${f64(step.radius)} (local.get $g${i})))`));
        state.gradient = "stale";
        state.ascent = "active";
        return out;
      }
      case "descend": {
        out.push(...this.needGradient(state, exit));
        out.push(...this.update(step));
        if (this.hasAscent && state.ascent !== "none") out.push(...d.map((i) => `(local.set $e${i} (f64.const 0))`));
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
        const i = this.local(`i${id}`);
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
        else if (step.accept.rule === "lower") out.push(`(if (f64.lt (local.get $candidate) (local.get $fa)) (then ${take}) (else ${revert}))`);
        else {
          // candidate < fa || uniform(k0, k1, c++) < exp((fa - candidate) / T): the draw only
          // happens when the first test fails, as JS's || short-circuits.
          this.imports.add("exp");
          const draw = `(f64.lt ${this.unit()} (call $Math_exp (f64.div (f64.sub (local.get $fa) (local.get $candidate)) ${f64(step.accept.temperature)})))`;
          out.push(`(if (if (result i32) (f64.lt (local.get $candidate) (local.get $fa)) (then (i32.const 1)) (else ${draw})) (then ${take}) (else ${revert}))`);
        }
        out.push(`(br_if $traj (local.get $exhausted))`);
        state.gradient = "stale";
        state.ascent = hop.ascent;
        return out;
      }
    }
  }


  private update(step: Extract<Step, { op: "descend" }>): string[] {
    const d = range(this.dims);
    const rate = f64(step.rate);
    const m = step.method;
    const w = (i: number) => `(local.get $w${i})`;
    const g = (i: number) => `(local.get $g${i})`;
    switch (m.kind) {
      case "sgd":
        return d.map((i) => `(local.set $w${i} (f64.sub ${w(i)} (f64.mul ${rate} ${g(i)})))`);
      case "momentum":
        return d.flatMap((i) => {
          const v = `(local.get $m${step.slot}_${i})`;
          const direction = m.nesterov ? `(f64.add ${g(i)} (f64.mul ${f64(m.beta)} ${v}))` : v;
          return [`(local.set $m${step.slot}_${i} (f64.add (f64.mul ${f64(m.beta)} ${v}) ${g(i)}))`, `(local.set $w${i} (f64.sub ${w(i)} (f64.mul ${rate} ${direction})))`];
        });
      case "adam": {
        this.imports.add("pow");
        const n = `(local.get $n${step.slot})`;
        const out = [
          `(local.set $n${step.slot} (f64.add ${n} (f64.const 1)))`,
          `(local.set $${this.local("c1")} (f64.sub (f64.const 1) (call $Math_pow ${f64(m.beta1)} ${n})))`,
          `(local.set $${this.local("c2")} (f64.sub (f64.const 1) (call $Math_pow ${f64(m.beta2)} ${n})))`,
        ];
        for (const i of d) {
          const mm = `$m${step.slot}_${i}`;
          const vv = `$v${step.slot}_${i}`;
          out.push(`(local.set ${mm} (f64.add (f64.mul ${f64(m.beta1)} (local.get ${mm})) (f64.mul ${f64(1 - m.beta1)} ${g(i)})))`);
          out.push(`(local.set ${vv} (f64.add (f64.mul ${f64(m.beta2)} (local.get ${vv})) (f64.mul (f64.mul ${f64(1 - m.beta2)} ${g(i)}) ${g(i)})))`);
          out.push(`(local.set $w${i} (f64.sub ${w(i)} (f64.div (f64.mul ${rate} (f64.div (local.get ${mm}) (local.get $c1))) (f64.add (f64.sqrt (f64.div (local.get ${vv}) (local.get $c2))) ${f64(m.epsilon)}))))`);
        }
        return out;
      }
    }
  }

  // ---- Lockstep: LANES trajectories as LANES / 2 f64x2 vectors (lane L is lane L % 2 of vector L >> 1).

  /** Per-trajectory state kept as vectors in $lockstep (suffix __V<j>): w, g, e and the m / v slots. */
  private vectorState(): string[] {
    const d = range(this.dims);
    return [...d.map((i) => `w${i}`), ...d.map((i) => `g${i}`), ...(this.hasAscent ? d.map((i) => `e${i}`) : []), ...this.slotLocals().filter((n) => !n.startsWith("n"))];
  }

  /**
   * Per-trajectory scalars of $lockstep: f64s kept per lane (suffix __L<lane>); the generator's
   * counter and keys (QUAD_SCALARS) as i32x4 vectors of four lanes (suffix __Q<L >> 2, lane L % 4),
   * so that 2-D noise draws four lanes' bits at once.
   */
  private laneScalars(): [string, LocalType][] {
    return [["t", "f64"], ["ev", "f64"], ["c", "i32"], ["rec", "f64"], ["k0", "i32"], ["k1", "i32"], ...this.slotLocals().filter((n) => n.startsWith("n")).map((n) => [n, "f64"] as [string, LocalType])];
  }

  /** Lane L's value of the lane scalar `name` in $lockstep. */
  private laneGet(name: string, L: number): string {
    return QUAD_SCALARS.has(name) ? `(i32x4.extract_lane ${L % 4} (local.get $${name}__Q${L >> 2}))` : `(local.get $${name}__L${L})`;
  }

  /** Sets lane L's value of the lane scalar `name` in $lockstep. */
  private laneSet(name: string, L: number, value: string): string {
    return QUAD_SCALARS.has(name) ? `(local.set $${name}__Q${L >> 2} (i32x4.replace_lane ${L % 4} (local.get $${name}__Q${L >> 2}) ${value}))` : `(local.set $${name}__L${L} ${value})`;
  }

  /** $lockstep(base): trajectories base .. base + LANES - 1 for lockPasses passes, then each in $trajectory. */
  private lockstepFunction(): string[] {
    this.locals = new Map();
    this.scalarLocals();
    this.local("r", "i32");
    this.local("lockPass");
    const d = range(this.dims);
    const lanes = range(LANES);
    const vectors = range(LANES / 2);
    for (const name of this.vectorState()) for (const j of vectors) this.local(`${name}__V${j}`, "v128");
    for (const [name, type] of this.laneScalars()) {
      if (QUAD_SCALARS.has(name)) for (const g of range(LANES / 4)) this.local(`${name}__Q${g}`, "v128");
      else for (const L of lanes) this.local(`${name}__L${L}`, type);
    }
    const body: string[] = [];
    for (const L of lanes) {
      const key = `(i32.add (global.get $keys) (i32.shl (i32.add (local.get $base) (i32.const ${L})) (i32.const 3)))`;
      body.push(this.laneSet("k0", L, `(i32.load ${key})`), this.laneSet("k1", L, `(i32.load offset=4 ${key})`));
      body.push(`(local.set $rec__L${L} (global.get $firstRecord))`);
    }
    for (const i of d) for (const j of vectors) body.push(`(local.set $w${i}__V${j} (v128.load align=8 ${this.column("start", i, `(i32.add (local.get $base) (i32.const ${2 * j}))`)}))`);
    body.push(`(block $lock (loop $lockLoop`);
    body.push(`  (br_if $lock (i32.eqz (f64.lt (local.get $lockPass) (global.get $lockPasses))))`);
    const state: FlowState = { gradient: "stale", ascent: "none" };
    body.push(...indent(this.vsteps(this.optimizer.loop, state), 1));
    body.push(`  (local.set $lockPass (f64.add (local.get $lockPass) (f64.const 1)))`);
    body.push(`  (br $lockLoop)))`);
    for (const L of lanes) {
      const args = this.stateParams().map(([name]) => {
        if (name === "passes") return `(global.get $lockPasses)`;
        if (this.laneScalars().some(([n]) => n === name)) return this.laneGet(name, L);
        return `(f64x2.extract_lane ${L % 2} (local.get $${name}__V${L >> 1}))`;
      });
      body.push(`(call $trajectory (i32.add (local.get $base) (i32.const ${L})) ${args.join(" ")})`);
    }
    return [`(func $lockstep (param $base i32)`, ...[...this.locals].map(([name, type]) => `  (local $${name} ${type})`), ...indent(body, 1), `)`];
  }

  private vsteps(steps: readonly Step[], state: FlowState): string[] {
    return steps.flatMap((step) => this.vstep(step, state));
  }

  /** One step on every lane: f64x2 where the step is arithmetic, else the scalar code lane by lane. */
  private vstep(step: Step, state: FlowState): string[] {
    const d = range(this.dims);
    const vectors = range(LANES / 2);
    const out: string[] = [];
    const v = (name: string, j: number) => `(local.get $${name}__V${j})`;
    switch (step.op) {
      case "perturb":
        // No budget checks here: they cannot fire in the lockstep passes (emit-js has none).
        if (step.target === "gradient") out.push(...this.vNeedGradient(state));
        if (this.dims === 2) out.push(...this.vNoise2(step.family, step.scale, step.target === "gradient" ? "g" : "w"));
        else out.push(...this.laneRegions(step, state, d.map((i) => `${step.target === "gradient" ? "g" : "w"}${i}`)));
        if (step.target === "model") state.gradient = "stale";
        return out;
      case "ascend":
        out.push(...this.vNeedGradient(state));
        for (const j of vectors) {
          if (step.normalized) {
            const norm = this.local(`norm__V${j}`, "v128");
            const s = this.local(`s__V${j}`, "v128");
            out.push(`(local.set $${norm} (f64x2.sqrt ${this.sum(d.map((i) => `(f64x2.mul ${v(`g${i}`, j)} ${v(`g${i}`, j)})`), "f64x2")}))`);
            out.push(`(local.set $${s} (v128.bitselect (f64x2.div ${f64x2(step.radius)} (local.get $${norm})) ${f64x2(0)} (f64x2.gt (local.get $${norm}) ${f64x2(0)})))`);
            out.push(...d.map((i) => `(local.set $e${i}__V${j} (f64x2.mul (local.get $${s}) ${v(`g${i}`, j)}))`));
          } else out.push(...d.map((i) => `(local.set $e${i}__V${j} (f64x2.mul ${f64x2(step.radius)} ${v(`g${i}`, j)}))`));
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
        const rate = f64x2(step.rate);
        for (const i of d)
          for (const j of vectors) {
            const w = v(`w${i}`, j);
            const g = v(`g${i}`, j);
            if (m.kind === "sgd") out.push(`(local.set $w${i}__V${j} (f64x2.sub ${w} (f64x2.mul ${rate} ${g})))`);
            else {
              const mm = `m${step.slot}_${i}__V${j}`;
              const beta = f64x2(m.beta);
              const direction = m.nesterov ? `(f64x2.add ${g} (f64x2.mul ${beta} (local.get $${mm})))` : `(local.get $${mm})`;
              out.push(`(local.set $${mm} (f64x2.add (f64x2.mul ${beta} (local.get $${mm})) ${g}))`);
              out.push(`(local.set $w${i}__V${j} (f64x2.sub ${w} (f64x2.mul ${rate} ${direction})))`);
            }
          }
        if (this.hasAscent && state.ascent !== "none") for (const i of d) for (const j of vectors) out.push(`(local.set $e${i}__V${j} ${f64x2(0)})`);
        for (const L of range(LANES)) out.push(`(local.set $t__L${L} (f64.add (local.get $t__L${L}) (f64.const 1)))`);
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
        const i = this.local(`i${id}`);
        out.push(`(local.set $${i} (f64.const 0))`);
        out.push(`(block $repeat${id} (loop $pass${id}`);
        out.push(`  (br_if $repeat${id} (i32.eqz (f64.lt (local.get $${i}) ${f64(step.times)})))`);
        const { code, ascent } = loopPass(state.ascent, (passState) => this.vsteps(step.body, passState));
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
    for (const L of range(LANES)) {
      const j = L >> 1;
      const l = L % 2;
      const s: FlowState = { ...state };
      const label = `lane${this.unique++}`;
      const code = this.step(step, s, { label, inHop: false });
      after = s;
      out.push(`(local.set $r (i32.add (local.get $base) (i32.const ${L})))`);
      for (const [name] of this.laneScalars()) out.push(`(local.set $${name} ${this.laneGet(name, L)})`);
      for (const name of names) out.push(`(local.set $${name} (f64x2.extract_lane ${l} (local.get $${name}__V${j})))`);
      out.push(`(block $${label}`, ...indent(code, 1), `)`);
      for (const name of names) out.push(`(local.set $${name}__V${j} (f64x2.replace_lane ${l} (local.get $${name}__V${j}) (local.get $${name})))`);
      for (const [name] of this.laneScalars()) if (name !== "k0" && name !== "k1") out.push(this.laneSet(name, L, `(local.get $${name})`));
    }
    Object.assign(state, after);
    return out;
  }

  /**
   * emit-js's 2-D noise on every lane. The draws are integer SIMD, four lanes at once (i32x4:
   * each lane's own counter and keys, angle draw before radius draw, so every lane's stream is
   * the scalar code's); the quadrant and the 30-bit fraction are i32x4 too; the conversions to
   * f64 (exact, as f64.convert_i32_s), the angle's series and the rotation are f64x2.
   */
  private vNoise2(family: "ball" | "gaussian" | "sphere", scale: number, target: "w" | "g"): string[] {
    const out: string[] = [];
    const s = f64x2(scale);
    const one = "(v128.const i32x4 1 1 1 1)";
    for (const g of range(LANES / 4)) {
      const quad = (n: string) => this.local(`${n}__Q${g}`, "v128");
      const getQ = (n: string) => `(local.get $${quad(n)})`;
      const keys = [`k0__Q${g}`, `k1__Q${g}`, `c__Q${g}`] as const;
      out.push(`(local.set $${quad("hx")} ${this.drawBits4(...keys)})`);
      if (family !== "sphere") out.push(`(local.set $${quad("hu")} ${this.drawBits4(...keys)})`);
      out.push(`(local.set $${quad("quadrant")} (i32x4.shr_u ${getQ("hx")} (i32.const 30)))`);
      out.push(`(local.set $${quad("fraction")} (v128.and ${getQ("hx")} (v128.const i32x4 0x3fffffff 0x3fffffff 0x3fffffff 0x3fffffff)))`);
      // QUADRANT_COS / QUADRANT_SIN as quadrantTable, on four lanes.
      const q = getQ("quadrant");
      const sign = `(i32x4.sub ${one} (v128.and ${q} (v128.const i32x4 2 2 2 2)))`;
      out.push(`(local.set $${quad("qci")} (i32x4.mul (v128.and (i32x4.add ${q} ${one}) ${one}) ${sign}))`);
      out.push(`(local.set $${quad("qsi")} (i32x4.mul (v128.and ${q} ${one}) ${sign}))`);
      for (const half of [0, 1]) {
        const j = 2 * g + half;
        const name = (n: string) => this.local(`${n}__V${j}`, "v128");
        const get = (n: string) => `(local.get $${name(n)})`;
        // Lanes 2 half, 2 half + 1 of an i32x4 local as f64x2 (signed, exact).
        const toF64 = (n: string) => {
          const v = getQ(n);
          return half === 0 ? `(f64x2.convert_low_i32x4_s ${v})` : `(f64x2.convert_low_i32x4_s (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 ${v} ${v}))`;
        };
        out.push(`(local.set $${name("x")} (f64x2.sub (f64x2.mul (f64x2.add ${toF64("fraction")} ${f64x2(0.5)}) ${f64x2(1.4629180792671596e-9)}) ${f64x2(0.7853981633974483)}))`);
        out.push(`(local.set $${name("x2")} (f64x2.mul ${get("x")} ${get("x")}))`);
        const { sinTail, cosTail } = angleSeries(get("x2"), "f64x2", f64x2);
        out.push(`(local.set $${name("sx")} (f64x2.mul ${get("x")} ${sinTail}))`);
        out.push(`(local.set $${name("cx")} ${cosTail})`);
        out.push(`(local.set $${name("c45")} (f64x2.mul (f64x2.sub ${get("cx")} ${get("sx")}) ${f64x2(0.7071067811865476)}))`);
        out.push(`(local.set $${name("s45")} (f64x2.mul (f64x2.add ${get("sx")} ${get("cx")}) ${f64x2(0.7071067811865476)}))`);
        out.push(`(local.set $${name("qc")} ${toF64("qci")})`);
        out.push(`(local.set $${name("qs")} ${toF64("qsi")})`);
        let radius = s;
        if (family !== "sphere") {
          // A draw in (0, 1): (bits + 2^31 + 0.5) * 2^-32, as `unit`.
          out.push(`(local.set $${name("u")} (f64x2.mul (f64x2.add ${toF64("hu")} ${f64x2(2147483648.5)}) ${f64x2(2 ** -32)}))`);
          if (family === "ball") radius = `(f64x2.mul ${s} (f64x2.sqrt ${get("u")}))`;
          else {
            this.imports.add("log");
            const log = (l: number) => `(call $Math_log (f64x2.extract_lane ${l} ${get("u")}))`;
            radius = `(f64x2.mul ${s} (f64x2.sqrt (f64x2.mul ${f64x2(-2)} ${lanes2(log(0), log(1))})))`;
          }
        }
        out.push(`(local.set $${name("radius")} ${radius})`);
        const apply = (i: number, value: string) => `(local.set $${target}${i}__V${j} (f64x2.add (local.get $${target}${i}__V${j}) ${value}))`;
        out.push(apply(0, `(f64x2.mul ${get("radius")} (f64x2.sub (f64x2.mul ${get("qc")} ${get("c45")}) (f64x2.mul ${get("qs")} ${get("s45")})))`));
        out.push(apply(1, `(f64x2.mul ${get("radius")} (f64x2.add (f64x2.mul ${get("qs")} ${get("c45")}) (f64x2.mul ${get("qc")} ${get("s45")})))`));
      }
    }
    return out;
  }

  /** Makes the gradient valid on every lane: the records and counts per lane, the gradient in f64x2. */
  private vNeedGradient(state: FlowState): string[] {
    if (state.gradient === "valid") return [];
    if (state.gradient === "unknown") throw new Error("internal: a gradient of unknown validity cannot be used in lockstep");
    const d = range(this.dims);
    const vectors = range(LANES / 2);
    const out: string[] = [];
    for (const L of range(LANES)) {
      const value = `(call $lossAt ${d.map((i) => `(f64x2.extract_lane ${L % 2} (local.get $w${i}__V${L >> 1}))`).join(" ")})`;
      const row = `(i32.add (local.get $base) (i32.const ${L}))`;
      out.push(`(if (f64.eq (local.get $ev__L${L}) (local.get $rec__L${L})) (then ${this.storeCurve(value, row, `(local.get $ev__L${L})`)} (local.set $rec__L${L} (f64.add (local.get $rec__L${L}) (global.get $stride)))))`);
      out.push(`(local.set $ev__L${L} (f64.add (local.get $ev__L${L}) (f64.const 1)))`);
    }
    const base = state.ascent === "none" ? "w" : "p";
    if (state.ascent !== "none") for (const i of d) for (const j of vectors) out.push(`(local.set $${this.local(`p${i}__V${j}`, "v128")} (f64x2.add (local.get $w${i}__V${j}) (local.get $e${i}__V${j})))`);
    const { statements, results } = emitStraightLine(this.landscape.gradient, d.map((i) => `x${i}`), "q");
    const resolve = (j: number) => (name: string) => {
      const m = /^x(\d+)$/.exec(name);
      if (m) return `(local.get $${base}${m[1]}__V${j})`;
      return `(local.get $${this.local(`${name}__V${j}`, "v128")})`;
    };
    // Statement by statement, both vectors: their dependency chains overlap.
    for (const st of statements) {
      const [, name, expr] = /^const (\w+) = (.*);$/.exec(st)!;
      for (const j of vectors) out.push(`(local.set $${this.local(`${name}__V${j}`, "v128")} ${this.jsToWat(expr!, resolve(j), this.vectorArith)})`);
    }
    for (const i of d) for (const j of vectors) out.push(`(local.set $g${i}__V${j} ${this.jsToWat(results[i]!, resolve(j), this.vectorArith)})`);
    state.gradient = "valid";
    return out;
  }

  /** A draw in (0, 1): (bits + 2^31 + 0.5) * 2^-32, after bits(k0, k1, c++). */
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
    const splat = (v: number) => (simd ? `(v128.const i32x4 ${[v, v, v, v].map((x) => `0x${(x >>> 0).toString(16)}`).join(" ")})` : `(i32.const ${v | 0})`);
    const h = `(local.get $${this.local(name, type)})`;
    const set = (value: string) => `(local.set $${name} ${value})`;
    const shifted = (shift: number) => `(${xor} ${h} (${shr} ${h} (i32.const ${shift})))`;
    const rounds = LOWBIAS32_ROUNDS.map(([shift, multiplier]) => set(`(${simd ? "i32x4.mul" : "i32.mul"} ${shifted(shift)} ${splat(multiplier)})`));
    return [
      `(block (result ${type})`,
      set(`(${xor} (local.get $${c}) (local.get $${k0}))`),
      `(local.set $${c} (${simd ? "i32x4.add" : "i32.add"} (local.get $${c}) ${splat(1)}))`,
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

  /** The noise of emit-js's `noise`, with the same draws in the same order, added to `target`. */
  private noise(family: "ball" | "gaussian" | "sphere", scale: number, target: "w" | "g"): string[] {
    const d = this.dims;
    const s = f64(scale);
    const out: string[] = [];
    const apply = (i: number, value: string) => `(local.set $${target}${i} (f64.add (local.get $${target}${i}) ${value}))`;
    const pointInBall = (k: number): string[] => {
      // do { u_i = 2 draw - 1 ..; norm2 = sum u_i^2 } while (norm2 >= 1 || norm2 === 0)
      const us = range(k).map((i) => `z${i}`);
      if (k > d) this.local(`z${k - 1}`);
      const id = this.unique++;
      out.push(`(loop $ball${id}`);
      for (const u of us) out.push(`  (local.set $${u} ${this.signedUnit()})`);
      out.push(`  (local.set $norm2 ${this.sum(us.map((u) => `(f64.mul (local.get $${u}) (local.get $${u}))`))})`);
      out.push(`  (br_if $ball${id} (i32.or (f64.ge (local.get $norm2) (f64.const 1)) (f64.eq (local.get $norm2) (f64.const 0)))))`);
      return us;
    };
    const get = (name: string) => `(local.get $${name})`;
    if (d === 1) {
      if (family === "gaussian") {
        this.imports.add("log");
        const [u] = pointInBall(2);
        out.push(apply(0, `(f64.mul (f64.mul ${s} ${get(u!)}) (f64.sqrt (f64.div (f64.mul (f64.const -2) (call $Math_log ${get("norm2")})) ${get("norm2")})))`));
      } else {
        out.push(`(local.set $u ${this.signedUnit()})`);
        out.push(apply(0, family === "ball" ? `(f64.mul ${s} ${get("u")})` : `(select ${f64(-scale)} ${s} (f64.lt ${get("u")} (f64.const 0)))`));
      }
    } else if (d === 2) {
      // The branch-free angle of emit-js: quadrant from the top two bits, x in (-pi/4, pi/4)
      // from the other 30, sine and cosine from the same Taylor polynomials, evaluated in the
      // same order (JS has no fused multiply-add, and neither has scalar wasm).
      out.push(`(local.set $bits ${this.drawBits()})`);
      out.push(`(local.set $quadrant (i32.shr_u (local.get $bits) (i32.const 30)))`);
      out.push(`(local.set $x (f64.sub (f64.mul (f64.add (f64.convert_i32_s (i32.and (local.get $bits) (i32.const 0x3fffffff))) (f64.const 0.5)) ${f64(1.4629180792671596e-9)}) ${f64(0.7853981633974483)}))`);
      out.push(`(local.set $x2 (f64.mul ${get("x")} ${get("x")}))`);
      const { sinTail, cosTail } = angleSeries(get("x2"), "f64", f64);
      out.push(`(local.set $sx (f64.mul ${get("x")} ${sinTail}))`);
      out.push(`(local.set $cx ${cosTail})`);
      out.push(`(local.set $c45 (f64.mul (f64.sub ${get("cx")} ${get("sx")}) ${f64(0.7071067811865476)}))`);
      out.push(`(local.set $s45 (f64.mul (f64.add ${get("sx")} ${get("cx")}) ${f64(0.7071067811865476)}))`);
      // QUADRANT_COS = [1, 0, -1, 0], QUADRANT_SIN = [0, 1, 0, -1].
      out.push(`(local.set $qc ${quadrantTable("cos", "(local.get $quadrant)")})`);
      out.push(`(local.set $qs ${quadrantTable("sin", "(local.get $quadrant)")})`);
      if (family === "gaussian") this.imports.add("log");
      const radius = family === "ball" ? `(f64.mul ${s} (f64.sqrt ${this.unit()}))` : family === "sphere" ? s : `(f64.mul ${s} (f64.sqrt (f64.mul (f64.const -2) (call $Math_log ${this.unit()}))))`;
      out.push(`(local.set $radius ${radius})`);
      out.push(apply(0, `(f64.mul ${get("radius")} (f64.sub (f64.mul ${get("qc")} ${get("c45")}) (f64.mul ${get("qs")} ${get("s45")})))`));
      out.push(apply(1, `(f64.mul ${get("radius")} (f64.add (f64.mul ${get("qs")} ${get("c45")}) (f64.mul ${get("qc")} ${get("s45")})))`));
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
        out.push(`(local.set $radius ${family === "ball" ? `(f64.mul ${s} (call $Math_pow ${this.unit()} ${f64(1 / d)}))` : s})`);
        out.push(`(local.set $norm (f64.sqrt ${this.sum(ns.map((n) => `(f64.mul ${get(n)} ${get(n)})`))}))`);
        out.push(`(local.set $s (if (result f64) (f64.gt ${get("norm")} (f64.const 0)) (then (f64.div ${get("radius")} ${get("norm")})) (else (f64.const 0))))`);
        out.push(...ns.map((n, i) => apply(i, `(f64.mul ${get("s")} ${get(n)})`)));
      }
    }
    return out;
  }

  /** A condition as an i32 expression; conditions have no side effects, so && and || need not short-circuit. */
  private condition(c: CondIR): string {
    switch (c.op) {
      case "compare": {
        const op = { "<": "f64.lt", "<=": "f64.le", ">": "f64.gt", ">=": "f64.ge", "==": "f64.eq", "!=": "f64.ne" }[c.operator];
        if (c.left.op === "state" && c.left.name === "gradnorm" && c.right.op === "const" && c.right.value >= 0 && Number.isFinite(c.right.value))
          return `(${op} ${this.gradNormSquared()} ${f64(c.right.value * c.right.value)})`;
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

  private value(v: ValueIR): string {
    switch (v.op) {
      case "const":
        return f64(v.value);
      case "state":
        return v.name === "gradnorm" ? `(f64.sqrt ${this.gradNormSquared()})` : `(local.get $${v.name === "t" ? "t" : v.name === "evals" ? "ev" : "loss"})`;
      case "neg":
        return `(f64.neg ${this.value(v.operand)})`;
      case "call":
        return this.callMath(v.fn, [this.value(v.arg)]);
      case "binary":
        if (v.operator === "^") return this.callMath("pow", [this.value(v.left), this.value(v.right)]);
        return `(f64.${{ "+": "add", "-": "sub", "*": "mul", "/": "div" }[v.operator]} ${this.value(v.left)} ${this.value(v.right)})`;
    }
  }

  private callMath(fn: string, args: readonly string[]): string {
    const native = NATIVE[fn];
    if (native && args.length === 1) return `(${native} ${args[0]})`;
    this.importMath(fn);
    return `(call $Math_${fn} ${args.join(" ")})`;
  }

  private importMath(fn: string): void {
    if (!/^[a-z0-9]+$/.test(fn) || typeof (Math as unknown as Record<string, unknown>)[fn] !== "function") throw new Error(`wasm backend: Math.${fn} is not supported yet`);
    this.imports.add(fn);
  }

  private readonly scalarArith: Arith = {
    binary: (op, left, right) => `(f64.${op} ${left} ${right})`,
    neg: (operand) => `(f64.neg ${operand})`,
    num: (value) => f64(value),
    call: (fn, args) => this.callMath(fn, args),
  };

  /** f64x2 arithmetic; a Math function wasm lacks is called lane by lane (it is pure). */
  private readonly vectorArith: Arith = {
    binary: (op, left, right) => `(f64x2.${op} ${left} ${right})`,
    neg: (operand) => `(f64x2.neg ${operand})`,
    num: (value) => f64x2(value),
    call: (fn, args) => {
      if (NATIVE[fn] && args.length === 1) return `(f64x2.${fn} ${args[0]})`;
      this.importMath(fn);
      // Each argument once, in order, into a temporary; lane 0 then lane 1.
      const temps = args.map(() => this.local(`vt${this.unique++}`, "v128"));
      const lane0 = `(call $Math_${fn} ${args.map((a, k) => `(f64x2.extract_lane 0 (local.tee $${temps[k]} ${a}))`).join(" ")})`;
      const lane1 = `(call $Math_${fn} ${temps.map((t) => `(f64x2.extract_lane 1 (local.get $${t}))`).join(" ")})`;
      return `(f64x2.replace_lane 1 (f64x2.splat ${lane0}) ${lane1})`;
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

/** An exact WAT f64 constant (hexadecimal float, so no decimal rounding is involved). */
export function f64(v: number): string {
  if (Number.isNaN(v)) return "(f64.const nan)";
  if (v === Infinity) return "(f64.const inf)";
  if (v === -Infinity) return "(f64.const -inf)";
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const sign = hi >>> 31 ? "-" : "";
  const exponent = (hi >>> 20) & 0x7ff;
  const mantissa = ((hi & 0xfffff).toString(16).padStart(5, "0") + lo.toString(16).padStart(8, "0")).replace(/0+$/, "");
  if (exponent === 0) return mantissa === "" ? `(f64.const ${sign}0x0p+0)` : `(f64.const ${sign}0x0.${mantissa}p-1022)`;
  return `(f64.const ${sign}0x1${mantissa ? "." + mantissa : ""}p${exponent - 1023 >= 0 ? "+" : ""}${exponent - 1023})`;
}

/**
 * The Taylor series of emit-js's 2-D angle, as Horner forms in x2 = x * x: sin x = x * sinTail,
 * cos x = cosTail, with the same constants and order of operations as the JS kernel.
 */
function angleSeries(x2: string, type: "f64" | "f64x2", constant: (v: number) => string) {
  const horner = (coefficients: readonly number[], last: string) => coefficients.reduceRight((inner, c) => `(${type}.add ${constant(c)} (${type}.mul ${x2} ${inner}))`, last);
  const sinTail = horner([1, -1 / 6, 1 / 120, -1 / 5040, 1 / 362880, -1 / 39916800, 1 / 6227020800], constant(-1 / 1307674368000));
  const cosTail = horner([1, -0.5, 1 / 24, -1 / 720, 1 / 40320, -1 / 3628800, 1 / 479001600], `(${type}.add ${constant(-1 / 87178291200)} (${type}.div ${x2} ${constant(20922789888000)}))`);
  return { sinTail, cosTail };
}

/**
 * QUADRANT_COS = [1, 0, -1, 0] or QUADRANT_SIN = [0, 1, 0, -1] at the i32 `quadrant`, in integer
 * arithmetic: no branch (f64 selects may become ones), and the same values (+0, not -0).
 */
function quadrantTable(table: "cos" | "sin", quadrant: string): string {
  const odd = table === "cos" ? `(i32.and (i32.add ${quadrant} (i32.const 1)) (i32.const 1))` : `(i32.and ${quadrant} (i32.const 1))`;
  return `(f64.convert_i32_s (i32.mul ${odd} (i32.sub (i32.const 1) (i32.and ${quadrant} (i32.const 2)))))`;
}

/** An f64x2 from two f64 expressions (lane 0 evaluated first). */
function lanes2(lane0: string, lane1: string): string {
  return `(f64x2.replace_lane 1 (f64x2.splat ${lane0}) ${lane1})`;
}

/** An exact f64x2 constant with `v` in both lanes. */
function f64x2(v: number): string {
  const literal = f64(v).slice("(f64.const ".length, -1);
  return `(v128.const f64x2 ${literal} ${literal})`;
}

function flatten(steps: readonly Step[]): Step[] {
  return steps.flatMap((s) => (s.op === "if" || s.op === "repeat" || s.op === "hop" ? [s, ...flatten(s.body)] : [s]));
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function indent(lines: readonly string[], depth: number): string[] {
  const pad = "  ".repeat(depth);
  return lines.map((l) => pad + l);
}
