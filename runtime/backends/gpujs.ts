// Loading a gpu.js kernel file (compiler/emit/emit-gpujs.ts, whose header says which gpu.js
// modes run where): gpu.js is imported only when a gpu.js kernel is loaded; the modes are
// tried in order (GPU modes first, then webasm, then cpu) and the first that builds the
// kernel, runs it and reproduces the generator of runtime/rng.ts bit for bit is used. The
// kernel computes in f32; the job's f64 buffers are filled from its outputs, the loss is f
// at the end point in f64 on the host, and no loss curve is recorded (job.curve is left as
// it is: a cell run on gpu.js has no curve).
import type { GPU as GpuClass, IKernelRunShortcut } from "gpu.js";
import type { Kernel, KernelJob } from "../kernel.js";
import { bits, restartKeys } from "../rng.js";

/** gpu.js modes this backend knows; `async` is opt-in (see GPUJS_MODE_ORDER). */
export type GpujsMode = "webgpu" | "headlessgl" | "webgl2" | "webgl" | "webasm" | "cpu" | "async";

/**
 * The order modes are tried in by default: GPU modes, then WebAssembly, then plain JS. `async`
 * (webasm on worker threads, or an upgrade to webgpu, under gpu.js's promise contract) is
 * asked for explicitly; `dev` makes no kernel a job can call.
 */
export const GPUJS_MODE_ORDER: readonly GpujsMode[] = ["webgpu", "headlessgl", "webgl2", "webgl", "webasm", "cpu"];

/** The modes that run on a GPU: `auto` considers gpu.js only when one of them loads. */
export const GPUJS_GPU_MODES: readonly GpujsMode[] = ["webgpu", "headlessgl", "webgl2", "webgl"];

/** The format tag emit-gpujs writes (checked here so that runtime/ does not import the compiler). */
export const GPUJS_KERNEL_FORMAT = "optspec-gpujs/1";

/** Counts and input indices are f32 in the kernel (in some modes): exact up to here. */
export const GPUJS_MAX_COUNT = 2 ** 24;

/** What an emitted kernel file returns. */
export interface GpujsKernelModule {
  readonly format: string;
  readonly dims: number;
  readonly groups: number;
  /** The name of the boolean kernel constant that says whether integer `*` wraps in this mode. */
  readonly wrappingMultiplyConstant: string;
  /** The gpu.js kernel function (gpu.js reads its source). */
  readonly trajectory: (...args: never[]) => unknown;
  /** gpu.js kernel (keys, counters): per restart r, [uniform of draw counters[r], turn of draw counters[r] + 1, 0, 0] (see emit-gpujs). */
  readonly generatorCheck: (...args: never[]) => unknown;
  /** f at a point, in f64 (host side). */
  readonly loss: (point: ArrayLike<number>) => number;
}

export interface GpujsKernel {
  /** The mode that runs the kernel. */
  readonly mode: GpujsMode;
  /** The gpu.js backend behind it (differs from `mode` for `async`). */
  readonly backend: string;
  /** Runs a job synchronously; in asynchronous modes (webgpu, async) it throws: use `run`. */
  readonly kernel: Kernel;
  /** Runs a job in any mode. */
  readonly run: (job: KernelJob) => Promise<void>;
  /** Modes tried before `mode`, each with why it was not used. */
  readonly skipped: readonly { readonly mode: GpujsMode; readonly reason: string }[];
  /** Releases gpu.js's kernels and contexts. */
  readonly destroy: () => void;
}

export interface GpujsLoadOptions {
  /** Modes to try, in order (default GPUJS_MODE_ORDER). */
  readonly modes?: readonly GpujsMode[];
  /** The kernel's file name, for messages (default "gpu.js kernel"). */
  readonly file?: string;
}

/** Evaluates a kernel file's text (which returns its module) and checks its format. */
export function parseGpujsKernel(source: string, file = "gpu.js kernel"): GpujsKernelModule {
  let module: GpujsKernelModule;
  try {
    module = new Function(source)() as GpujsKernelModule;
  } catch (error) {
    throw new Error(`${file} is not valid JavaScript (${error instanceof Error ? error.message : error}); compile the spec again`);
  }
  if (module?.format !== GPUJS_KERNEL_FORMAT) throw new Error(`${file} has format ${JSON.stringify(module?.format)}, not ${GPUJS_KERNEL_FORMAT}; compile the spec again`);
  return module;
}

type GpuJs = typeof import("gpu.js");
let gpujsModule: Promise<GpuJs> | undefined;

/** gpu.js, imported on first use (it is large, and only this backend needs it). */
async function importGpujs(): Promise<GpuJs> {
  gpujsModule ??= import("gpu.js").then((m) => ((m as { GPU?: unknown }).GPU ? m : (m as unknown as { default: GpuJs }).default));
  return gpujsModule;
}

/**
 * Loads `source` (an emitted gpu.js kernel file) in the first mode of `options.modes` that
 * works; throws, with every mode's reason, when none does.
 */
export async function loadGpujsKernel(source: string, options: GpujsLoadOptions = {}): Promise<GpujsKernel> {
  const file = options.file ?? "gpu.js kernel";
  const module = parseGpujsKernel(source, file);
  const { GPU } = await importGpujs();
  const skipped: { mode: GpujsMode; reason: string }[] = [];
  for (const mode of options.modes ?? GPUJS_MODE_ORDER) {
    const unavailable = await modeUnavailable(GPU, mode);
    if (unavailable) {
      skipped.push({ mode, reason: unavailable });
      continue;
    }
    const runner = new GpujsRunner(GPU, mode, module, file);
    try {
      await runner.check();
      return runner.handle(skipped);
    } catch (error) {
      runner.destroy();
      skipped.push({ mode, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  throw new Error(`${file} runs in no mode: ${skipped.map((s) => `${s.mode}: ${s.reason}`).join("; ")}`);
}

/** Why `mode` cannot run here, or undefined when it may (the kernel itself is checked after). */
async function modeUnavailable(GPU: typeof GpuClass, mode: GpujsMode): Promise<string | undefined> {
  switch (mode) {
    case "webgpu":
      return webgpuUnavailable(GPU);
    case "headlessgl":
      return GPU.isHeadlessGLSupported ? undefined : "no headless GL context (the optional 'gl' package is not installed or finds no GL driver)";
    case "webgl2":
      return GPU.isWebGL2Supported ? undefined : "no WebGL 2 (a browser's; Node has none)";
    case "webgl":
      return GPU.isWebGLSupported ? undefined : "no WebGL (a browser's; Node has none)";
    case "webasm":
      return GPU.isWebAssemblySupported ? undefined : "this JavaScript engine has no WebAssembly";
    case "cpu":
    case "async":
      return undefined;
  }
}

/**
 * WebGPU in Node comes from the `webgpu` package (Dawn), installed as `navigator.gpu` when no
 * navigator provides one, and removed again when it finds no adapter.
 */
async function webgpuUnavailable(GPU: typeof GpuClass): Promise<string | undefined> {
  const scope = globalThis as { navigator?: { gpu?: unknown } };
  if (!scope.navigator?.gpu) {
    let webgpu: { create: (options: string[]) => unknown; globals: Record<string, unknown> };
    try {
      const name = "webgpu"; // a variable, so that TypeScript does not need its types
      webgpu = (await import(name)) as typeof webgpu;
    } catch (error) {
      return `the 'webgpu' package (Dawn) does not load: ${firstLine(error)}`;
    }
    try {
      const gpu = webgpu.create([]);
      Object.assign(globalThis, webgpu.globals);
      if (scope.navigator) Object.defineProperty(scope.navigator, "gpu", { value: gpu, configurable: true, writable: true });
      else scope.navigator = { gpu };
    } catch (error) {
      return `the 'webgpu' package (Dawn) does not start: ${firstLine(error)}`;
    }
  }
  if (await GPU.isWebGPUAvailable()) return undefined;
  if (scope.navigator && "gpu" in scope.navigator) delete scope.navigator.gpu;
  return "WebGPU finds no adapter (no GPU, or no Vulkan/Metal/D3D12 driver)";
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0]!;
}

/** Restarts of the generator check: keys and counters that reach every bit of the hash. */
const CHECK_RESTARTS = 64;

/** One mode's gpu.js instance and the kernels it built, by output size and loop limit. */
class GpujsRunner {
  private readonly gpu: InstanceType<typeof GpuClass>;
  private readonly kernels = new Map<string, IKernelRunShortcut>();
  private readonly asynchronous: boolean;

  /**
   * The kernel's constants: whether gpu.js's integer `*` wraps like Math.imul (it does where
   * integers are int32 registers: webasm, WGSL, GLSL ES 3); in cpu mode the kernel is
   * JavaScript, whose `*` does not wrap but whose Math.imul is exact.
   */
  private readonly constants: Record<string, boolean>;

  constructor(
    GPU: typeof GpuClass,
    private readonly mode: GpujsMode,
    private readonly module: GpujsKernelModule,
    private readonly file: string,
  ) {
    this.gpu = new GPU({ mode });
    this.asynchronous = mode === "webgpu" || mode === "async";
    this.constants = { [module.wrappingMultiplyConstant]: mode !== "cpu" };
  }

  /** The gpu.js backend that runs the kernels (after a build). */
  get backend(): string {
    const [shortcut] = this.kernels.values();
    return (shortcut?.kernel?.constructor as { mode?: string } | undefined)?.mode ?? this.mode;
  }

  /**
   * Builds and runs the kernel on a small job, checks that gpu.js did not fall back to
   * another backend, and that the kernel file's generator reproduces runtime/rng.ts bit for
   * bit in this mode (a mode without exact 32-bit integers would silently draw other noise).
   */
  async check(): Promise<void> {
    const job = probeJob(this.module.dims, CHECK_RESTARTS);
    await this.runJob(job);
    if (this.mode !== "async" && this.backend !== this.mode) throw new Error(`gpu.js ran the kernel in ${this.backend}, not ${this.mode}`);
    for (let r = 0; r < CHECK_RESTARTS; r++) {
      const evals = job.evals[r]!;
      if (!(Number.isInteger(evals) && evals >= 1 && evals <= job.budget)) throw new Error(`the kernel returned ${evals} gradient evaluations for a budget of ${job.budget}`);
    }
    await this.checkGenerator();
  }

  /** Draws of the kernel file's generator in this mode against runtime/rng.ts. */
  private async checkGenerator(): Promise<void> {
    const keys = restartKeys(7, "gpujs-generator-check", 0, CHECK_RESTARTS);
    const kernel = this.gpu.createKernel(String(this.module.generatorCheck), { output: [CHECK_RESTARTS], precision: "single", constants: this.constants });
    try {
      // Counters up to 2^24 (the most a kernel's f32 counter holds), so every bit of the hash varies.
      const counters = Float32Array.from({ length: CHECK_RESTARTS }, (_, r) => r * 262_139);
      const out = (await kernel(splitKeys(keys, CHECK_RESTARTS), counters)) as unknown as Float32Array[];
      for (let r = 0; r < CHECK_RESTARTS; r++) {
        const k0 = keys[2 * r]! | 0;
        const k1 = keys[2 * r + 1]! | 0;
        const [c0, c1] = [counters[r]!, counters[r]! + 1];
        const unit = (((bits(k0, k1, c0) >>> 9) ^ 0x400000) + 0.5) * 2 ** -23;
        const turn = ((bits(k0, k1, c1) >>> 9) + 0.5) * 2 ** -23;
        if (out[r]![0] !== unit || out[r]![1] !== turn)
          throw new Error(`the generator's 32-bit integer arithmetic is not exact in this mode (restart ${r}: ${out[r]![0]} for ${unit}, ${out[r]![1]} for ${turn})`);
      }
    } finally {
      kernel.destroy?.();
    }
  }

  handle(skipped: readonly { mode: GpujsMode; reason: string }[]): GpujsKernel {
    const mode = this.mode;
    return {
      mode,
      backend: this.backend,
      skipped,
      kernel: (job) => {
        if (this.asynchronous) throw new Error(`${this.file} runs asynchronously in mode ${mode}: use run(job)`);
        this.runJobSync(job);
      },
      run: (job) => this.runJob(job),
      destroy: () => this.destroy(),
    };
  }

  destroy(): void {
    for (const kernel of this.kernels.values()) kernel.destroy?.();
    this.kernels.clear();
    // Contexts and worker pools; what fails here was already released.
    void this.gpu.destroy().catch(() => undefined);
  }

  private prepare(job: KernelJob): { shortcut: IKernelRunShortcut; args: [Float32Array, Float32Array, number, number] } {
    for (const [what, value] of [["budget", job.budget], ["iterations", job.iterations]] as const)
      if (Number.isFinite(value) && value > GPUJS_MAX_COUNT) throw new Error(`${this.file}: a ${what} of ${value} is more than the kernel's f32 counters hold exactly (2^24)`);
    const passLimit = Math.min(job.iterations, job.budget + 1);
    if (!Number.isFinite(passLimit)) throw new Error(`${this.file}: the job has neither a gradient nor an iteration budget`);
    // Each coordinate as its f32 value and the f32 of what that leaves (the kernel's compensation).
    const dims = this.module.dims;
    const start = new Float32Array(2 * job.count * dims);
    for (let i = 0; i < dims; i++) {
      const column = job.start[i]!;
      for (let r = 0; r < job.count; r++) {
        const high = Math.fround(column[r]!);
        start[2 * dims * r + i] = high;
        start[2 * dims * r + dims + i] = Number.isFinite(high) ? column[r]! - high : 0;
      }
    }
    return { shortcut: this.kernelFor(job.count, passLimit), args: [splitKeys(job.keys, job.count), start, job.budget, passLimit] };
  }

  private runJobSync(job: KernelJob): void {
    for (const piece of this.pieces(job)) {
      const { shortcut, args } = this.prepare(piece);
      this.store(piece, shortcut(...args) as unknown as Float32Array[] | Float32Array[][]);
    }
  }

  private async runJob(job: KernelJob): Promise<void> {
    for (const piece of this.pieces(job)) {
      const { shortcut, args } = this.prepare(piece);
      this.store(piece, (await shortcut(...args)) as unknown as Float32Array[] | Float32Array[][]);
    }
  }

  /** The job in pieces small enough that every index into the kernel's inputs is an exact f32 (< 2^24). */
  private pieces(job: KernelJob): KernelJob[] {
    const most = Math.floor(GPUJS_MAX_COUNT / Math.max(4, 2 * this.module.dims));
    const pieces: KernelJob[] = [];
    for (let from = 0; from < job.count; from += most) pieces.push(sliceOf(job, from, Math.min(most, job.count - from)));
    return pieces;
  }

  /** A gpu.js kernel for `count` restarts whose loops may run `passLimit` passes (built once, kept for a few sizes). */
  private kernelFor(count: number, passLimit: number): IKernelRunShortcut {
    // gpu.js caps loops whose bound is not a literal at loopMaxIterations (GL modes need a bound).
    const loopMaxIterations = Math.max(passLimit + 1, 1000);
    const key = `${count}:${loopMaxIterations}`;
    let shortcut = this.kernels.get(key);
    if (!shortcut) {
      if (this.kernels.size >= 4) {
        const [oldest, kernel] = this.kernels.entries().next().value!;
        kernel.destroy?.();
        this.kernels.delete(oldest);
      }
      const groups = this.module.groups;
      shortcut = this.gpu.createKernel(String(this.module.trajectory), {
        output: groups > 1 ? [count, groups] : [count],
        precision: "single",
        loopMaxIterations,
        argumentTypes: { keys: "Array", start: "Array", budget: "Float", passLimit: "Float" },
        constants: this.constants,
      } as Parameters<InstanceType<typeof GpuClass>["createKernel"]>[1]);
      this.kernels.set(key, shortcut);
    }
    return shortcut;
  }

  /** Copies the kernel's outputs into the job: end point, evaluations, iterations; the loss from the end point. */
  private store(job: KernelJob, out: Float32Array[] | Float32Array[][]): void {
    const dims = this.module.dims;
    const groups = this.module.groups;
    const rows = groups > 1 ? (out as Float32Array[][]) : [out as Float32Array[]];
    const value = (r: number, k: number) => rows[Math.floor(k / 4)]![r]![k % 4]!;
    const point = new Float64Array(dims);
    for (let r = 0; r < job.count; r++) {
      for (let i = 0; i < dims; i++) point[i] = job.end[i]![r] = value(r, i);
      job.evals[r] = value(r, dims);
      job.steps[r] = value(r, dims + 1);
      job.loss[r] = this.module.loss(point);
    }
  }
}

/** Restarts [from, from + count) of a job (views, no copies); its curve is not recorded here. */
function sliceOf(job: KernelJob, from: number, count: number): KernelJob {
  if (from === 0 && count === job.count) return job;
  const view = (a: Float64Array) => a.subarray(from, from + count);
  return {
    ...job,
    count,
    keys: job.keys.subarray(2 * from, 2 * (from + count)),
    start: job.start.map(view),
    end: job.end.map(view),
    loss: view(job.loss),
    evals: view(job.evals),
    steps: view(job.steps),
    curve: null,
  };
}

/** The job's (k0, k1) uint32 keys as four exact 16-bit halves per restart: k0 low, k0 high, k1 low, k1 high. */
function splitKeys(keys: Uint32Array, count: number): Float32Array {
  const out = new Float32Array(4 * count);
  for (let r = 0; r < count; r++) {
    const k0 = keys[2 * r]!;
    const k1 = keys[2 * r + 1]!;
    out[4 * r] = k0 & 0xffff;
    out[4 * r + 1] = k0 >>> 16;
    out[4 * r + 2] = k1 & 0xffff;
    out[4 * r + 3] = k1 >>> 16;
  }
  return out;
}

/** A job of `count` restarts at the origin with a budget of 3 gradients (for the load check). */
function probeJob(dims: number, count: number): KernelJob {
  const column = () => new Float64Array(count);
  return {
    count,
    budget: 3,
    iterations: Infinity,
    keys: restartKeys(1, "gpujs-load-check", 0, count),
    start: Array.from({ length: dims }, column),
    end: Array.from({ length: dims }, column),
    loss: column(),
    evals: column(),
    steps: column(),
    curve: null,
    curveStride: 1,
    curvePoints: 0,
  };
}
