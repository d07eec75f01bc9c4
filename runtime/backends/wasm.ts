// Loading a wasm kernel (compiler/emit/emit-wasm.ts), of either precision: assembles the WAT
// with wabt, links the host's Math for the functions wasm lacks, and wraps `run` as a drop-in
// for the JS kernel: the job's inputs are copied into the module's memory (after the bytes the
// kernel reserves for itself), the outputs copied back. Buffers are f64 in both precisions.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type wabtInit from "wabt";
import { cacheDir, pruneCache } from "../cache.js";

/** Assembled kernels kept (a few kilobytes each): the most recent ones. */
const MAX_KERNELS = 1024;
import type { Kernel, KernelJob } from "../kernel.js";

interface WasmExports {
  readonly memory: WebAssembly.Memory;
  /** Bytes at the start of memory that the kernel uses itself; the job's arrays go after them. */
  readonly reserved?: WebAssembly.Global;
  readonly run: (
    count: number,
    budget: number,
    iterations: number,
    stride: number,
    points: number,
    hasCurve: number,
    keys: number,
    start: number,
    end: number,
    loss: number,
    evals: number,
    steps: number,
    curve: number,
  ) => void;
}

let wabtModule: Promise<Awaited<ReturnType<typeof wabtInit>>> | undefined;

/**
 * The folder of assembled kernels, keyed by a hash of their text: loading wabt and assembling
 * two dozen kernels costs more than running the paper's whole table (see runtime/cache.ts).
 */
export function wasmCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return cacheDir("wasm", env);
}

/**
 * Assembles WAT text to a wasm binary, from the cache when an earlier run assembled the same
 * text (a cached file is the binary and its SHA-256: one whose bytes do not match is assembled
 * again, which costs less than validating every module); the cache never changes a result,
 * only how long it takes. Cache failures (read-only home) are ignored.
 */
export async function assembleWat(wat: string, name = "kernel.wat"): Promise<Uint8Array> {
  const key = wasmCacheKey(wat);
  const cached = cachedWasm(key);
  if (cached) return cached;
  const binary = await assembleWithWabt(wat, name);
  const dir = wasmCacheDir();
  if (dir) {
    try {
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `${key}.wasm`);
      const temporary = `${file}.${process.pid}.tmp`;
      writeFileSync(temporary, Buffer.concat([binary, digest(binary)]));
      renameSync(temporary, file);
      pruneCache(dir, MAX_KERNELS);
    } catch {
      // A cache that cannot be written only costs the next run the assembly.
    }
  }
  return binary;
}

/** The name of the cached binary of `wat`: a hash of the text and the assembler's options. */
export function wasmCacheKey(wat: string): string {
  return createHash("sha256").update(CACHE_SALT).update(wat).digest("hex");
}

/**
 * The cached binary of the WAT whose wasmCacheKey is `key`, when an earlier run assembled it
 * and its SHA-256 matches; else undefined. A caller that kept the key (a cached compilation)
 * finds the binary without reading or hashing the text.
 */
export function cachedWasm(key: string): Uint8Array | undefined {
  const dir = wasmCacheDir();
  if (!dir) return undefined;
  try {
    const cached = new Uint8Array(readFileSync(join(dir, `${key}.wasm`)));
    const binary = cached.subarray(0, cached.length - DIGEST_BYTES);
    if (cached.length > DIGEST_BYTES && Buffer.from(cached.subarray(binary.length)).equals(digest(binary))) return binary;
  } catch {
    // Not cached yet (or unreadable): the caller assembles it.
  }
  return undefined;
}

/** Changes whenever the assembler's options do, so old cached binaries are not reused. */
const CACHE_SALT = "wabt simd multi_value v2\0";

/** Bytes of a SHA-256 digest (one follows each cached binary). */
const DIGEST_BYTES = 32;

function digest(bytes: Uint8Array | string): Buffer {
  return createHash("sha256").update(bytes).digest();
}

/**
 * `optc compile` writes each WAT kernel's binary beside it, with a custom section appended
 * that holds the SHA-256 of the text it was assembled from and of the binary before it, so
 * `optc run PLAN` needs no assembler, and never runs a binary that is damaged or older than
 * an edited text. The section is fixed-size: its name, then the two digests.
 */
const SOURCE_NAME = new TextEncoder().encode("optspec.source");
/** The section's id, content size and name length (one-byte LEB128s: the content is under 128 bytes), then its name. */
const SOURCE_HEADER = Buffer.concat([Uint8Array.of(0, 1 + SOURCE_NAME.length + 2 * DIGEST_BYTES, SOURCE_NAME.length), SOURCE_NAME]);
const SOURCE_SECTION_BYTES = SOURCE_HEADER.length + 2 * DIGEST_BYTES;

/** The file of a WAT kernel's binary beside it: `X.wat` -> `X.wasm`. */
export function binaryFileName(wat: string): string {
  return wat.replace(/\.wat$/, ".wasm");
}

/** `binary` (assembled from `wat`) with the source section appended: the `.wasm` that `optc compile` writes. */
export function withSourceDigest(binary: Uint8Array, wat: string): Uint8Array {
  return Buffer.concat([binary, SOURCE_HEADER, digest(wat), digest(binary)]);
}

/**
 * The binary of a `.wasm` that withSourceDigest wrote, when it was assembled from exactly
 * `wat` and its bytes are intact; otherwise a phrase saying why it cannot be used.
 */
export function checkSourceDigest(bytes: Uint8Array, wat: string): Uint8Array | string {
  const at = bytes.length - SOURCE_SECTION_BYTES;
  if (at < 8 || !Buffer.from(bytes.subarray(at, at + SOURCE_HEADER.length)).equals(SOURCE_HEADER)) return "it is not a kernel that 'optc compile' wrote";
  const binary = bytes.subarray(0, at);
  const source = bytes.subarray(at + SOURCE_HEADER.length, bytes.length - DIGEST_BYTES);
  if (!Buffer.from(source).equals(digest(wat))) return "it was assembled from another text (was the .wat edited since 'optc compile'?)";
  if (!Buffer.from(bytes.subarray(bytes.length - DIGEST_BYTES)).equals(digest(binary))) return "its bytes are damaged";
  return binary;
}

async function assembleWithWabt(wat: string, name: string): Promise<Uint8Array> {
  // wabt is large: it is loaded only when a wasm kernel is assembled.
  wabtModule ??= import("wabt").then((m) => m.default());
  const wabt = await wabtModule;
  const module = wabt.parseWat(name, wat, { simd: true, multi_value: true });
  try {
    module.validate();
    return new Uint8Array(module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}

/**
 * Plain JavaScript of `runWasmJob(exports, job)`, the one definition of how a job enters and
 * leaves a kernel's memory: the main thread builds it with `new Function`, and worker threads
 * evaluate the same text.
 */
export const WASM_RUN_SOURCE = `function runWasmJob(wasm, job) {
  const count = job.count;
  const dims = job.start.length;
  const curveLength = job.curve ? count * job.curvePoints : 0;
  // Layout: the kernel's own bytes (its exported "reserved", absent in older kernels), keys
  // (8 bytes a restart), then f64 arrays, each 8-byte aligned.
  const keys = wasm.reserved ? wasm.reserved.value : 0;
  const start = keys + 8 * count;
  const end = start + 8 * dims * count;
  const loss = end + 8 * dims * count;
  const evals = loss + 8 * count;
  const steps = evals + 8 * count;
  const curve = steps + 8 * count;
  const bytes = curve + 8 * curveLength;
  const memory = wasm.memory;
  if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65536));
  const buffer = memory.buffer;
  new Uint32Array(buffer, keys, 2 * count).set(job.keys.subarray(0, 2 * count));
  const f64 = (offset, length) => new Float64Array(buffer, offset, length);
  job.start.forEach((column, i) => f64(start + 8 * i * count, count).set(column.subarray(0, count)));
  // Outputs the kernel may leave untouched (curve points past the end) keep the job's values.
  if (job.curve) f64(curve, curveLength).set(job.curve.subarray(0, curveLength));
  wasm.run(count, job.budget, job.iterations, job.curveStride, job.curvePoints, job.curve ? 1 : 0, keys, start, end, loss, evals, steps, curve);
  job.end.forEach((column, i) => column.set(f64(end + 8 * i * count, count)));
  job.loss.set(f64(loss, count));
  job.evals.set(f64(evals, count));
  job.steps.set(f64(steps, count));
  if (job.curve) job.curve.set(f64(curve, curveLength));
}`;

const runWasmJob = new Function(`${WASM_RUN_SOURCE}\nreturn runWasmJob;`)() as (wasm: WasmExports, job: KernelJob) => void;

/** Instantiates an assembled kernel and returns it as a drop-in for the JS kernel. */
export function instantiateWasmKernel(binary: Uint8Array): Kernel {
  const module = new WebAssembly.Module(binary as Uint8Array<ArrayBuffer>);
  const instance = new WebAssembly.Instance(module, { Math: Math as unknown as WebAssembly.ModuleImports });
  const exports = instance.exports as unknown as WasmExports;
  return (job: KernelJob) => runWasmJob(exports, job);
}

/** Assembles and instantiates `wat` and returns a kernel that runs jobs on it like the JS kernel. */
export async function loadWasmKernel(wat: string, name = "kernel.wat"): Promise<Kernel> {
  return instantiateWasmKernel(await assembleWat(wat, name));
}
