// The gpu.js emitter: one gpu.js kernel per optimizer x landscape, one thread per restart,
// each thread running its whole trajectory (the budget loop is inside the kernel: one kernel
// call per step is dominated by the call, 26-90 M steps/s). It executes the general
// one-trajectory path of the plain-JS emitter (emit-js.ts) step for step, in gpu.js's
// JavaScript subset and in single precision (f32): end points agree with the JS kernel's
// up to f32 rounding, not bit for bit (test/compiler/emit/gpujs.test.ts measures how often
// they reach the same minimum).
//
// Where it runs (gpu.js 2.24; runtime/backends/gpujs.ts tries the modes in this order, uses
// the first that builds the kernel and reproduces the generator of runtime/rng.ts bit for
// bit, and says why it skipped each other one):
// - `webgpu`: a machine with a GPU and WebGPU. In Node through the `webgpu` package (Dawn),
//   whose bundled binary needs a newer C++ runtime than Debian 12's (GLIBCXX_3.4.32, glibc
//   2.38) and a Vulkan, Metal or D3D12 driver. Asynchronous only (`run`).
// - `headlessgl`: a machine with a GPU and the optional `gl` package (WebGL 1 in Node).
//   gpu.js emulates bitwise operators there with loops; whether the generator comes out
//   exact has not been seen (no GL here): the generator check decides.
// - `webgl2`, `webgl`: browsers only (the same check applies).
// - `webasm`: wherever WebAssembly runs (every Node): gpu.js compiles the kernel to wasm and
//   runs four restarts per f32x4 vector. The mode machines without a GPU get.
// - `cpu`: anywhere; gpu.js turns the kernel back into JavaScript, which computes in f64 and
//   rounds only inputs and outputs to f32; several times slower than webasm.
// - `async` (asked for, not tried by default): the first synchronous backend (webasm here)
//   under gpu.js's promise contract, on a pool of worker threads; through `run` only.
// - `dev` (gpu-mock) makes no kernel a job can call: not supported.
// Seen on this repository's machine (Node 20, glibc 2.36, no GPU): webasm, cpu and async run;
// webgpu does not load, `gl` is not installed, webgl and webgl2 need a browser.
//
// What gpu.js cannot express, and what the kernel does instead:
// - Locals are f32 unless gpu.js decides otherwise: a declaration from an integer
//   expression or a literal decays to f32. A local is an int32 only when declared from a
//   non-literal integer constant and incremented somewhere, so the generator's state is
//   `let h = this.output.x; h++;` and each draw is a few statements on h, written from
//   LOWBIAS32_ROUNDS (runtime/rng.ts): the same stream as the JS kernels, draw by draw.
//   Helper functions with integer parameters work too, but in webasm a call costs about as
//   much as a whole inline draw (3 ns and 2.6 ns), and a draw through helpers takes ~20 calls.
// - The 32-bit multiply: gpu.js's integer `*` wraps like Math.imul where integers are int32
//   (webasm, WGSL), and its Math.imul rounds through f32 there; in cpu mode the kernel is
//   JavaScript, where only Math.imul wraps. A kernel constant picks one (the loader sets it
//   per mode and checks the draws).
// - Keys do not fit in f32: each arrives as two 16-bit halves.
// - A draw becomes a float exactly: a uniform in (0, 1) from the top 23 bits of the draw
//   (the JS kernel uses all 32), and the 2-D angle 2 pi (h + 0.5) / 2^32 of the JS kernel
//   (h unsigned) from the top 23 bits of h.
// - No labelled breaks: a spent budget sets `exhausted`; the rest of the region is skipped
//   by `if (!exhausted)` and loops leave with `break`.
// - One output of up to four floats per thread (webasm and WebGPU have no kernel maps): a
//   restart's dims + 2 values (end point, evaluations, iterations) leave in `groups` groups
//   of four, each group a thread (thread.y) that runs the same trajectory. So a landscape
//   with more than two coordinates costs `groups` times the work, and beyond
//   MAX_GPUJS_COORDINATES the emitter refuses (the JS and wasm kernels are faster there).
// - The point is kept compensated (Kahan: w, and the rounding error in wc). In plain f32
//   a step of lr |g| ~ 1e-5 at |w| ~ 3 loses about 1% to rounding, which moves the step at
//   which a `gradnorm < eps` test first holds (NiM-GD's jump, a local search's end) and,
//   after it, the trajectory; compensated, a third to a half as many end points change minimum.
//   The gradient is still taken at the f32 point. (A GPU compiler that reassociates
//   floating point would undo the compensation: results stay f32, agreement drops.)
// - The final loss is f at the end point in f64, computed on the host (`loss` below);
//   counts are f32 in the kernel, exact up to 2^24 gradient evaluations per trajectory.
// - No loss curves: the kernel records none, so a cell run on gpu.js has no curve.
//
// Agreement with the JS kernel in webasm (the same minimum within 0.1, or both diverged;
// seed 42, 5000 gradients, the standard library's eight optimizers): on Himmelblau,
// ThreeHumpCamel and SixHumpCamel (10,000 restarts) 100% except NiM-GD 99.68% and NiM-BH
// 99.57% on Himmelblau (98.9% and 99.0% without the compensation) and NiM-GD 99.98% on
// SixHumpCamel; on Rastrigin, Rosenbrock and Ackley (n = 10, 2000 restarts) 100% (Rosenbrock
// diverges from every start at lr = 1e-3, in both). Evaluation and iteration counts are
// identical for GD, NiG-GD and SAM; where a `gradnorm < eps` test ends a local search they
// differ for up to a third of the restarts (NiG-MBH on Ackley; 20% on SixHumpCamel),
// without changing the minimum.
//
// Kernel file contract: a JavaScript function body (evaluated with `new Function`) that
// returns { format: GPUJS_KERNEL_FORMAT, dims, groups, wrappingMultiplyConstant,
// trajectory, generatorCheck, loss }.
// - `trajectory(keys, start, budget, passLimit)` is the gpu.js kernel. keys: 4 x count
//   floats (k0 low, k0 high, k1 low, k1 high 16-bit halves); start: 2 x dims floats per
//   restart (the f32 of each coordinate, then the f32 of what each leaves over); budget:
//   gradients (Infinity when the budget is in iterations); passLimit: min(iterations,
//   budget + 1). Output [count] (or [count, groups]) of Array(4); constant
//   `wrappingMultiplyConstant` (boolean, see above).
// - `generatorCheck(keys, counters)`: per restart, the kernel's uniform of draw counters[r]
//   and its turn of draw counters[r] + 1, which the loader compares with runtime/rng.ts.
// - `loss(w)`: f at a point, f64, on the host.
// See compiler/lower/ir.ts for the semantics.
import { LOWBIAS32_FINAL_SHIFT, LOWBIAS32_ROUNDS } from "../../runtime/rng.js";
import type { LandscapeIR } from "../lower/landscape.js";
import { loopPass, optimizerTraits, slotStateNames, type Ascent, type FlowState } from "./flow.js";
import { conditionReadsGradient, conditionReadsLoss, type OptimizerIR, type Step } from "../lower/ir.js";
import { conditionText, numberLiteral, straightLine, type StateText } from "./js-text.js";
import { indent, range } from "./text.js";

/** The format tag of an emitted gpu.js kernel file; the loader rejects others. */
export const GPUJS_KERNEL_FORMAT = "optspec-gpujs/1";

/** Values one gpu.js thread can return (an Array(4)). */
export const GPUJS_VALUES_PER_THREAD = 4;

/** The most coordinates a gpu.js kernel takes: 8 output groups, each repeating the trajectory. */
export const MAX_GPUJS_COORDINATES = 30;

export interface EmittedGpujsKernel {
  /** The kernel file (see the contract above). */
  readonly source: string;
  readonly dims: number;
  /** Threads per restart, each returning four of the restart's dims + 2 values. */
  readonly groups: number;
}

/** A construct the gpu.js backend cannot express; the message starts with "gpujs backend:". */
export class GpujsUnsupportedError extends Error {
  constructor(construct: string) {
    super(`gpujs backend: ${construct}`);
    this.name = "GpujsUnsupportedError";
  }
}

/** Emits the gpu.js kernel file for `optimizer` on `landscape`; throws GpujsUnsupportedError for what gpu.js cannot run. */
export function emitGpujsKernel(optimizer: OptimizerIR, landscape: LandscapeIR, title = `optspec gpu.js kernel: ${optimizer.name} on ${landscape.name}`): EmittedGpujsKernel {
  return new GpujsEmitter(optimizer, landscape).emit(title);
}

/** The kernel, or undefined when gpu.js cannot express it (the plan then has none: runs use JS or wasm). */
export function emitGpujsKernelIfSupported(optimizer: OptimizerIR, landscape: LandscapeIR, title?: string): EmittedGpujsKernel | undefined {
  try {
    return emitGpujsKernel(optimizer, landscape, title);
  } catch (error) {
    if (error instanceof GpujsUnsupportedError) return undefined;
    throw error;
  }
}

/** Kernel statements, and whether running them may spend the budget (the rest of the region is then skipped). */
interface Code {
  readonly lines: readonly string[];
  readonly mayExit: boolean;
}

const EMPTY: Code = { lines: [], mayExit: false };

/** `parts` in order; after a part that may spend the budget, the rest runs only `if (!exhausted)`. */
function sequence(parts: readonly Code[]): Code {
  const [first, ...others] = parts.filter((p) => p.lines.length > 0);
  if (!first) return EMPTY;
  const rest = sequence(others);
  if (!first.mayExit || rest.lines.length === 0) return { lines: [...first.lines, ...rest.lines], mayExit: first.mayExit || rest.mayExit };
  return { lines: [...first.lines, "if (!exhausted) {", ...indent(rest.lines, 1), "}"], mayExit: true };
}

const plain = (...lines: string[]): Code => ({ lines, mayExit: false });

/** The constant that says how the kernel multiplies int32 values (see `drawStatements`). */
export const WRAPPING_MULTIPLY_CONSTANT = "integerMultiplyWraps";

/**
 * Statements that leave draw number `c` of the restart's stream in the int32 `h` and count it
 * (c++): h = lowbias32(lowbias32(c ^ k0) ^ k1), written from runtime/rng.ts. The multiply is
 * `h * M` where gpu.js's integer multiply wraps (webasm, WGSL) and `Math.imul` where the
 * kernel runs as JavaScript (cpu mode): a kernel constant picks one, the loader sets it per
 * mode and checks the draws against runtime/rng.ts.
 */
function drawStatements(): string[] {
  const rounds = LOWBIAS32_ROUNDS.map(
    ([shift, multiplier]) =>
      `h = h ^ (h >>> ${shift}); if (this.constants.${WRAPPING_MULTIPLY_CONSTANT}) { h = h * ${multiplier | 0}; } else { h = Math.imul(h, 0x${multiplier.toString(16)}); }`,
  );
  return [
    `// draw c of this restart's stream (runtime/rng.ts), into h`,
    `h = c ^ ((k0hi << 16) | k0lo);`,
    ...rounds,
    `h = (h ^ (h >>> ${LOWBIAS32_FINAL_SHIFT})) ^ ((k1hi << 16) | k1lo);`,
    ...rounds,
    `h = h ^ (h >>> ${LOWBIAS32_FINAL_SHIFT});`,
    `c++;`,
  ];
}

/** (h + 2^31 + 0.5) / 2^32 of runtime/rng.ts from the top 23 bits of h: exact in f32, in (0, 1). */
const UNIT = "(((h >>> 9) ^ 4194304) + 0.5) * 1.1920928955078125e-7";

/** The unsigned draw h as a fraction of a turn, from its top 23 bits (the 2-D angle). */
const TURN = "((h >>> 9) + 0.5) * 1.1920928955078125e-7";

/**
 * The generator's state. gpu.js keeps a local in an int32 register only when it is declared
 * from an integer that is not a literal and is incremented somewhere (a literal `0`, or an
 * integer expression, makes it f32 and the draw loses its low bits).
 */
const GENERATOR_STATE = [`let h = this.output.x;`, `h++;`];

// Indices are written with this.thread.x, an int32 (a local copy would be f32, inexact past 2^24).
const KEY_HALVES = `const k0lo = keys[4 * this.thread.x], k0hi = keys[4 * this.thread.x + 1], k1lo = keys[4 * this.thread.x + 2], k1hi = keys[4 * this.thread.x + 3];`;

class GpujsEmitter {
  private readonly dims: number;
  private readonly hasAscent: boolean;
  private readonly hasHop: boolean;
  private readonly slotKinds: Map<number, "sgd" | "momentum" | "adam">;
  /** Suffix counter: gpu.js functions have one scope, so every declared name is unique. */
  private unique = 0;

  constructor(
    private readonly optimizer: OptimizerIR,
    private readonly landscape: LandscapeIR,
  ) {
    this.dims = landscape.dims;
    if (this.dims > MAX_GPUJS_COORDINATES)
      throw new GpujsUnsupportedError(`${this.dims} coordinates need ${this.groupsFor(this.dims)} threads per restart, each repeating the trajectory (one thread returns ${GPUJS_VALUES_PER_THREAD} values); at most ${MAX_GPUJS_COORDINATES} coordinates are supported`);
    ({ hasAscent: this.hasAscent, hasHop: this.hasHop, slotKinds: this.slotKinds } = optimizerTraits(optimizer));
    if (this.hasHop && !(optimizer.loop.length === 1 && optimizer.loop[0]!.op === "hop"))
      throw new GpujsUnsupportedError("a 'hop' that is not the whole loop of its optimizer (the checker allows no other)");
  }

  private groupsFor(dims: number): number {
    return Math.ceil((dims + 2) / GPUJS_VALUES_PER_THREAD);
  }

  emit(title: string): EmittedGpujsKernel {
    const d = range(this.dims);
    const groups = this.groupsFor(this.dims);
    const p = this.optimizer.params;
    const out: string[] = [];
    out.push(`// ${title}`);
    out.push(`// optimizer ${this.optimizer.name} (${this.optimizer.declaration}${Object.keys(p).length ? `: ${Object.entries(p).map(([k, v]) => `${k} = ${v}`).join(", ")}` : ""})`);
    out.push(`// landscape ${this.landscape.name} (${this.dims} coordinates: ${this.landscape.coordinates.join(", ")})`);
    out.push(`// Generated by optc (compiler/emit/emit-gpujs.ts; semantics in compiler/lower/ir.ts). gpu.js compiles`);
    out.push(`// \`trajectory\`: one thread per restart runs its whole budget in single precision and returns`);
    out.push(`// [${[...this.landscape.coordinates, "evaluations", "iterations"].join(", ")}]${groups > 1 ? ` in ${groups} groups of four (thread.y picks the group)` : ""}.`);
    out.push(`// \`loss\` is f on the host, in double precision. runtime/backends/gpujs.ts loads this file.`);
    out.push(`"use strict";`);
    out.push(`const format = ${JSON.stringify(GPUJS_KERNEL_FORMAT)}, dims = ${this.dims}, groups = ${groups}, wrappingMultiplyConstant = ${JSON.stringify(WRAPPING_MULTIPLY_CONSTANT)};`);
    out.push(`function loss(w) {`);
    out.push(`  const ${d.map((i) => `w${i} = w[${i}]`).join(", ")};`);
    out.push(...indent(this.lossInto("const f", "w", "l"), 1));
    out.push(`  return f;`);
    out.push(`}`);
    out.push(`function trajectory(keys, start, budget, passLimit) {`);
    out.push(...indent(this.trajectoryBody(groups), 1));
    out.push(`}`);
    // The loader runs this in each mode to check that the generator is exact there.
    out.push(`function generatorCheck(keys, counters) {`);
    out.push(`  ${KEY_HALVES}`);
    out.push(...indent(GENERATOR_STATE, 1));
    out.push(`  let c = counters[this.thread.x];`);
    out.push(...indent(drawStatements(), 1));
    out.push(`  const unit = ${UNIT};`);
    out.push(...indent(drawStatements(), 1));
    out.push(`  const turn = ${TURN};`);
    out.push(`  return [unit, turn, 0, 0];`);
    out.push(`}`);
    out.push(`return { format, dims, groups, wrappingMultiplyConstant, trajectory, generatorCheck, loss };`);
    return { source: out.join("\n") + "\n", dims: this.dims, groups };
  }

  private slotVariables(): string[] {
    return slotStateNames(this.slotKinds, this.dims, (state, slot, i) => (state === "n" ? `n${slot}` : `${state}${slot}_${i}`));
  }

  private trajectoryBody(groups: number): string[] {
    const d = range(this.dims);
    const out: string[] = [];
    out.push(KEY_HALVES);
    out.push(...GENERATOR_STATE);
    // The point is held compensated (Kahan): w - wc is the position, exact beyond f32.
    out.push(`let ${d.map((i) => `w${i} = start[${2 * this.dims} * this.thread.x + ${i}]`).join(", ")};`);
    out.push(`let ${d.map((i) => `wc${i} = -start[${2 * this.dims} * this.thread.x + ${this.dims + i}]`).join(", ")};`);
    out.push(`let ${d.map((i) => `g${i} = 0`).join(", ")};`);
    out.push(`let t = 0, ev = 0, c = 0, gv = false, exhausted = false;`);
    if (this.hasAscent) out.push(`let ${d.map((i) => `e${i} = 0`).join(", ")};`);
    if (this.hasHop) out.push(`let ${d.map((i) => `a${i} = w${i}, ac${i} = wc${i}`).join(", ")}, fa = 0;`);
    const slots = this.slotVariables();
    if (slots.length) out.push(`let ${slots.map((s) => `${s} = 0`).join(", ")};`);
    const start = this.steps(this.optimizer.start, { gradient: "stale", ascent: "none" });
    out.push(...start.lines);
    // The accepted point of a hop starts where `start` left w, budget spent or not.
    if (this.hasHop) out.push(d.map((i) => `a${i} = w${i}; ac${i} = wc${i};`).join(" "), ...this.lossInto("fa", "w", "k"));
    const pass = loopPass("none", (state) => this.steps(this.optimizer.loop, state)).code;
    const loop = [`for (let pass = 0; pass < passLimit; pass++) {`, ...indent(pass.lines, 1)];
    if (pass.mayExit) loop.push(`  if (exhausted) break;`);
    loop.push(`}`);
    if (start.mayExit) out.push(`if (!exhausted) {`, ...indent(loop, 1), `}`);
    else out.push(...loop);
    const endPoint = this.hasHop ? "a" : "w";
    const values = [...d.map((i) => `${endPoint}${i}`), "ev", "t"];
    while (values.length % GPUJS_VALUES_PER_THREAD !== 0) values.push("0");
    if (groups === 1) out.push(`return [${values.join(", ")}];`);
    else {
      // thread.y picks which four values this thread returns.
      out.push(`const group = this.thread.y;`);
      const pick = (k: number) => {
        let expression = values[(groups - 1) * GPUJS_VALUES_PER_THREAD + k]!;
        for (let group = groups - 2; group >= 0; group--) expression = `group === ${group} ? ${values[group * GPUJS_VALUES_PER_THREAD + k]} : (${expression})`;
        return expression;
      };
      out.push(`return [${range(GPUJS_VALUES_PER_THREAD).map(pick).join(", ")}];`);
    }
    return out;
  }

  private steps(steps: readonly Step[], state: FlowState): Code {
    return sequence(steps.map((step) => this.step(step, state)));
  }

  private budgetCheck(): Code {
    return { lines: [`if (ev >= budget) { exhausted = true; }`], mayExit: true };
  }

  /** Makes the gradient valid, spending an evaluation where it is stale. */
  private needGradient(state: FlowState): Code {
    if (state.gradient === "valid") return EMPTY;
    const evaluate = sequence([this.budgetCheck(), plain(`ev++;`, ...this.gradientCode(state.ascent))]);
    const code = state.gradient === "stale" ? evaluate : { lines: [`if (!gv) {`, ...indent(evaluate.lines, 1), `}`], mayExit: true };
    state.gradient = "valid";
    return code;
  }

  private gradientCode(ascent: Ascent): string[] {
    const d = range(this.dims);
    const site = this.unique++;
    const inputs = ascent === "none" ? d.map((i) => `w${i}`) : d.map((i) => `p${site}_${i}`);
    const { statements, results } = straightLine(this.landscape.gradient, this.landscape.gradient, inputs, `q${site}_`);
    const out: string[] = [];
    if (ascent !== "none") out.push(`const ${d.map((i) => `p${site}_${i} = w${i} + e${i}`).join(", ")};`);
    out.push(...statements);
    out.push(d.map((i) => `g${i} = ${results[i]};`).join(" "));
    return out;
  }

  /** Statements that assign f at `base` (w or a) to `target` ("const x" or "x"); temps named by `prefix`. */
  private lossInto(target: string, base: "w" | "a", prefix: string): string[] {
    const site = this.unique++;
    const inputs = range(this.dims).map((i) => `${base}${i}`);
    const { statements, results } = straightLine(this.landscape.objective, [this.landscape.objective], inputs, `${prefix}${site}_`);
    return [...statements, `${target} = ${results[0]};`];
  }

  private gradNormSquared(): string {
    return `(${range(this.dims).map((i) => `g${i} * g${i}`).join(" + ")})`;
  }

  private step(step: Step, state: FlowState): Code {
    const d = range(this.dims);
    switch (step.op) {
      case "perturb": {
        if (step.target === "gradient") {
          const gradient = this.needGradient(state);
          return sequence([gradient, plain(...this.noise(step.family, step.scale, (i, z) => `g${i} += ${z};`))]);
        }
        state.gradient = "stale";
        return sequence([this.budgetCheck(), plain(...this.noise(step.family, step.scale, (i, z) => this.move(i, z)))]);
      }
      case "ascend": {
        const gradient = this.needGradient(state);
        const site = this.unique++;
        const ascent = step.normalized
          ? [`const norm${site} = Math.sqrt(${this.gradNormSquared()});`, `const scale${site} = norm${site} > 0 ? ${num(step.radius)} / norm${site} : 0;`, d.map((i) => `e${i} = scale${site} * g${i};`).join(" ")]
          : [d.map((i) => `e${i} = ${num(step.radius)} * g${i};`).join(" ")];
        state.gradient = "stale";
        state.ascent = "active";
        return sequence([gradient, plain(...ascent)]);
      }
      case "descend": {
        const gradient = this.needGradient(state);
        const update = this.update(step);
        if (this.hasAscent && state.ascent !== "none") update.push(d.map((i) => `e${i} = 0;`).join(" "));
        update.push(`t++;`);
        state.gradient = "stale";
        state.ascent = "none";
        return sequence([gradient, plain(...update)]);
      }
      case "if": {
        const gradient = conditionReadsGradient(step.condition) ? this.needGradient(state) : EMPTY;
        const before: FlowState = { ...state };
        const inner: FlowState = { ...state };
        const body = this.steps(step.body, inner);
        const changes = inner.gradient !== before.gradient;
        const lines: string[] = [];
        if (changes && before.gradient !== "unknown") lines.push(`gv = ${before.gradient === "valid"};`);
        const lossName = `loss${this.unique++}`;
        if (conditionReadsLoss(step.condition)) lines.push(...this.lossInto(`const ${lossName}`, "w", "f"));
        const taken = sequence([body, changes && inner.gradient !== "unknown" ? plain(`gv = ${inner.gradient === "valid"};`) : EMPTY]);
        lines.push(`if (${conditionText(step.condition, this.stateText(lossName))}) {`, ...indent(taken.lines, 1), `}`);
        state.gradient = changes ? "unknown" : before.gradient;
        state.ascent = inner.ascent === before.ascent ? before.ascent : "unknown";
        return sequence([gradient, { lines, mayExit: taken.mayExit }]);
      }
      case "repeat": {
        const counter = `i${this.unique++}`;
        const { code, ascent } = loopPass(state.ascent, (passState) => {
          const parts: Code[] = [];
          if (step.until) {
            if (conditionReadsGradient(step.until)) parts.push(this.needGradient(passState));
            const lossName = `loss${this.unique++}`;
            const check = conditionReadsLoss(step.until) ? this.lossInto(`const ${lossName}`, "w", "f") : [];
            parts.push(plain(...check, `if (${conditionText(step.until, this.stateText(lossName))}) break;`));
          }
          parts.push(this.steps(step.body, passState));
          return sequence(parts);
        });
        const lines = [`for (let ${counter} = 0; ${counter} < ${step.times}; ${counter}++) {`, ...indent(code.lines, 1)];
        if (code.mayExit) lines.push(`  if (exhausted) break;`);
        lines.push(`}`);
        state.gradient = "stale";
        state.ascent = ascent;
        return { lines, mayExit: code.mayExit };
      }
      case "hop": {
        // The body makes a candidate (a spent budget skips the rest of it); the candidate is
        // judged either way, and the loop leaves after it when the budget is spent.
        const hop = loopPass(state.ascent, (hopState) => this.steps(step.body, hopState));
        const site = this.unique++;
        const candidate = `candidate${site}`;
        const lines = [...hop.code.lines, ...this.lossInto(`const ${candidate}`, "w", "f")];
        const take = `${d.map((i) => `a${i} = w${i}; ac${i} = wc${i};`).join(" ")} fa = ${candidate};`;
        const revert = d.map((i) => `w${i} = a${i}; wc${i} = ac${i};`).join(" ");
        if (step.accept.rule === "always") lines.push(take);
        else if (step.accept.rule === "lower") lines.push(`if (${candidate} < fa) { ${take} } else { ${revert} }`);
        else {
          // `candidate < fa || uniform(c++) < exp((fa - candidate) / T)`: a draw only when not lower.
          const accept = `accept${site}`;
          lines.push(`let ${accept} = ${candidate} < fa;`);
          lines.push(`if (!${accept}) {`, ...indent(drawStatements(), 1), `  ${accept} = ${UNIT} < Math.exp((fa - ${candidate}) / ${num(step.accept.temperature)});`, `}`);
          lines.push(`if (${accept}) { ${take} } else { ${revert} }`);
        }
        state.gradient = "stale";
        state.ascent = hop.ascent;
        return { lines, mayExit: hop.code.mayExit };
      }
    }
  }

  /**
   * w_i += delta, compensated (Kahan): the rounding error is kept in wc_i and taken back in the
   * next move. In plain f32 a step of lr * |g| ~ 1e-5 near a minimum at |w| ~ 3 loses about 1%
   * to rounding, which shifts when a `gradnorm < eps` test first holds (NiM-GD's jump, a local
   * search's end) and with it the rest of the trajectory (see the header for what it changes).
   */
  private move(i: number, delta: string): string {
    const site = this.unique++;
    const [y, s] = [`dy${site}_${i}`, `ds${site}_${i}`];
    return `{ const ${y} = ${delta} - wc${i}; const ${s} = w${i} + ${y}; wc${i} = (${s} - w${i}) - ${y}; w${i} = ${s}; }`;
  }

  private update(step: Extract<Step, { op: "descend" }>): string[] {
    const d = range(this.dims);
    const rate = num(step.rate);
    const m = step.method;
    switch (m.kind) {
      case "sgd":
        return d.map((i) => this.move(i, `-(${rate} * g${i})`));
      case "momentum":
        return d.map((i) => {
          const v = `m${step.slot}_${i}`;
          const direction = m.nesterov ? `(g${i} + ${num(m.beta)} * ${v})` : v;
          return `${v} = ${num(m.beta)} * ${v} + g${i}; ${this.move(i, `-(${rate} * ${direction})`)}`;
        });
      case "adam": {
        const n = `n${step.slot}`;
        const site = this.unique++;
        const [c1, c2] = [`c1_${site}`, `c2_${site}`];
        const out = [`${n}++;`, `const ${c1} = 1 - Math.pow(${num(m.beta1)}, ${n}), ${c2} = 1 - Math.pow(${num(m.beta2)}, ${n});`];
        for (const i of d) {
          const mm = `m${step.slot}_${i}`;
          const vv = `v${step.slot}_${i}`;
          out.push(`${mm} = ${num(m.beta1)} * ${mm} + ${num(1 - m.beta1)} * g${i}; ${vv} = ${num(m.beta2)} * ${vv} + ${num(1 - m.beta2)} * g${i} * g${i};`);
          out.push(this.move(i, `-(${rate} * (${mm} / ${c1}) / (Math.sqrt(${vv} / ${c2}) + ${num(m.epsilon)}))`));
        }
        return out;
      }
    }
  }

  /**
   * Draws a vector from `family` with scale `scale` and hands each coordinate to `apply`:
   * emit-js's construction draw for draw (same counters, same rejections), in f32.
   */
  private noise(family: "ball" | "gaussian" | "sphere", scale: number, apply: (i: number, value: string) => string): string[] {
    const d = this.dims;
    const site = this.unique++;
    const name = (base: string) => `${base}_${site}`;
    const out: string[] = [];
    const s = num(scale);
    // Sets `target` (declared with `const` when `declare`) to a function of a uniform draw.
    const draw = (into: string[], target: string, transform: (unit: string) => string, declare = false) => {
      into.push(...drawStatements(), `${declare ? "const " : ""}${target} = ${transform(`(${UNIT})`)};`);
    };
    const pointInBall = (k: number) => {
      const us = range(k).map((i) => name(`u${i}`));
      const norm2 = name("norm2");
      out.push(`let ${[...us, norm2].map((u) => `${u} = 0`).join(", ")};`);
      const body: string[] = [];
      for (const u of us) draw(body, u, (unit) => `2 * ${unit} - 1`);
      body.push(`${norm2} = ${us.map((u) => `${u} * ${u}`).join(" + ")};`);
      out.push(`do {`, ...indent(body, 1), `} while (${norm2} >= 1 || ${norm2} === 0);`);
      return { us, norm2 };
    };
    if (d === 1) {
      if (family === "gaussian") {
        const { us, norm2 } = pointInBall(2);
        out.push(apply(0, `${s} * ${us[0]} * Math.sqrt(-2 * Math.log(${norm2}) / ${norm2})`));
      } else {
        const u = name("u");
        draw(out, u, (unit) => `2 * ${unit} - 1`, true);
        out.push(apply(0, family === "ball" ? `${s} * ${u}` : `(${u} < 0 ? -${s} : ${s})`));
      }
    } else if (d === 2) {
      // emit-js's angle 2 pi (h + 0.5) / 2^32 from one draw, as a quarter turn (top two bits)
      // plus an angle x in (-pi/4, pi/4) whose sine and cosine come from their Taylor series
      // (error below 2e-9, under f32's resolution), rotated by pi/4 plus the quarter turns.
      const [turn, quadrant, x, x2, sx, cx, c45, s45, qc, qs, radius] = ["turn", "quadrant", "x", "x2", "sx", "cx", "c45", "s45", "qc", "qs", "radius"].map(name) as [string, string, string, string, string, string, string, string, string, string, string];
      out.push(...drawStatements(), `const ${turn} = 4 * (${TURN});`);
      out.push(`const ${quadrant} = Math.floor(${turn});`);
      out.push(`const ${x} = (${turn} - ${quadrant}) * 1.5707963267948966 - 0.7853981633974483;`);
      out.push(`const ${x2} = ${x} * ${x};`);
      out.push(`const ${sx} = ${x} * (1 + ${x2} * (${num(-1 / 6)} + ${x2} * (${num(1 / 120)} + ${x2} * (${num(-1 / 5040)} + ${x2} * ${num(1 / 362880)}))));`);
      out.push(`const ${cx} = 1 + ${x2} * (-0.5 + ${x2} * (${num(1 / 24)} + ${x2} * (${num(-1 / 720)} + ${x2} * (${num(1 / 40320)} + ${x2} * ${num(-1 / 3628800)}))));`);
      out.push(`const ${c45} = (${cx} - ${sx}) * 0.7071067811865476;`, `const ${s45} = (${sx} + ${cx}) * 0.7071067811865476;`);
      out.push(`const ${qc} = ${quadrant} === 0 ? 1 : (${quadrant} === 2 ? -1 : 0);`, `const ${qs} = ${quadrant} === 1 ? 1 : (${quadrant} === 3 ? -1 : 0);`);
      if (family === "sphere") out.push(`const ${radius} = ${s};`);
      else draw(out, radius, (unit) => (family === "ball" ? `${s} * Math.sqrt(${unit})` : `${s} * Math.sqrt(-2 * Math.log(${unit}))`), true);
      out.push(`${apply(0, `${radius} * (${qc} * ${c45} - ${qs} * ${s45})`)} ${apply(1, `${radius} * (${qs} * ${c45} + ${qc} * ${s45})`)}`);
    } else if (family === "ball" && d === 3) {
      const { us } = pointInBall(d);
      out.push(us.map((u, i) => apply(i, `${s} * ${u}`)).join(" "));
    } else {
      // d normals from polar pairs, then scaled to the sphere or ball if asked.
      const ns: string[] = [];
      for (let i = 0; i < d; i += 2) {
        const [a, b, q, f] = [`a${i}`, `b${i}`, `q${i}`, `f${i}`].map(name) as [string, string, string, string];
        out.push(`let ${a} = 0, ${b} = 0, ${q} = 0;`);
        const body: string[] = [];
        draw(body, a, (unit) => `2 * ${unit} - 1`);
        draw(body, b, (unit) => `2 * ${unit} - 1`);
        body.push(`${q} = ${a} * ${a} + ${b} * ${b};`);
        out.push(`do {`, ...indent(body, 1), `} while (${q} >= 1 || ${q} === 0);`);
        out.push(`const ${f} = Math.sqrt(-2 * Math.log(${q}) / ${q});`);
        out.push(`const ${name(`n${i}`)} = ${a} * ${f};`);
        ns.push(name(`n${i}`));
        if (i + 1 < d) {
          out.push(`const ${name(`n${i + 1}`)} = ${b} * ${f};`);
          ns.push(name(`n${i + 1}`));
        }
      }
      if (family === "gaussian") out.push(...ns.map((n, i) => apply(i, `${s} * ${n}`)));
      else {
        const [radius, norm, factor] = ["radius", "norm", "factor"].map(name) as [string, string, string];
        if (family === "ball") draw(out, radius, (unit) => `${s} * Math.pow(${unit}, ${num(1 / d)})`, true);
        else out.push(`const ${radius} = ${s};`);
        out.push(`const ${norm} = Math.sqrt(${ns.map((n) => `${n} * ${n}`).join(" + ")});`);
        out.push(`const ${factor} = ${norm} > 0 ? ${radius} / ${norm} : 0;`);
        out.push(...ns.map((n, i) => apply(i, `${factor} * ${n}`)));
      }
    }
    return out;
  }

  /** The trajectory state a condition reads (the loss under `lossName`). */
  private stateText(lossName: string): StateText {
    return { gradNormSquared: this.gradNormSquared(), t: "t", evals: "ev", loss: lossName, num };
  }
}

/** Number literals gpu.js reads: no NaN or Infinity names. */
const num = (v: number) => numberLiteral(v, "divisions");
