// Chooses the tfjs backend the tasks run on: tfjs-node-gpu, then tfjs-node (when installed
// and loadable), else wasm, else the pure-JavaScript cpu backend; or the one forced.
//
// tfjs-node and tfjs-node-gpu are optional: they are never dependencies (their install step
// downloads the TensorFlow C library), so they are found at run time by a guarded dynamic
// import. Both register a backend named "tensorflow" in the global registry that our
// tfjs-core shares.
//
// The wasm backend's binaries are read from the installed package's dist folder, set
// explicitly so that loading works without network and also from a bundle whose own folder
// holds no .wasm files. Its multithreaded build does not load in Node (tfjs 4.22 turns
// WASM_HAS_MULTITHREAD_SUPPORT off there, and forcing it fails because the threads are
// started from a blob: URL, which Node's Worker rejects), so wasm runs on one thread.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { registerWasmGradientKernels } from "./wasm-kernels.js";
import { TFJS_VERSIONS, tf } from "./tfjs.js";

export type BackendRequest = "auto" | "tfjs-node-gpu" | "tfjs-node" | "wasm" | "cpu";
export const BACKEND_REQUESTS: readonly BackendRequest[] = ["auto", "tfjs-node-gpu", "tfjs-node", "wasm", "cpu"];

/** The backend that runs: `name` is one of the requests but "auto"; `detail` is a line for reports. */
export interface SelectedBackend {
  readonly name: string;
  readonly detail: string;
}

type Concrete = Exclude<BackendRequest, "auto">;

/** Why a backend could not be used, and what to do about it. */
class Unavailable extends Error {}

const NODE_PACKAGES = { "tfjs-node-gpu": "@tensorflow/tfjs-node-gpu", "tfjs-node": "@tensorflow/tfjs-node" } as const;
const WASM_FILES = ["tfjs-backend-wasm.wasm", "tfjs-backend-wasm-simd.wasm"];

let wasmPathsSet = false;

function message(error: unknown): string {
  return error instanceof Error ? error.message.split("\n")[0]! : String(error);
}

async function useNode(name: "tfjs-node-gpu" | "tfjs-node"): Promise<string> {
  const specifier: string = NODE_PACKAGES[name];
  try {
    await import(specifier);
  } catch (error) {
    const text = message(error);
    const missing = ((error as { code?: string }).code === "ERR_MODULE_NOT_FOUND" || /cannot find|not found|failed to resolve/i.test(text)) && text.includes(specifier);
    const why = missing ? `${specifier} is not installed` : `${specifier} is installed but does not load (${text})`;
    const fix =
      name === "tfjs-node-gpu"
        ? `install it with \`npm install ${specifier}\` on a Linux machine with CUDA and cuDNN, or choose --backend tfjs-node, wasm or cpu`
        : `install it with \`npm install ${specifier}\` (it downloads the TensorFlow C library), or choose --backend wasm or cpu`;
    throw new Unavailable(`${why}; ${fix}`);
  }
  if (!tf.findBackendFactory("tensorflow"))
    throw new Unavailable(
      `${specifier} loaded but registered no "tensorflow" backend in this copy of @tensorflow/tfjs-core; install the ${specifier} version that matches @tensorflow/tfjs-core ${tf.version_core}`,
    );
  if (!(await tf.setBackend("tensorflow"))) throw new Unavailable(`${specifier} loaded but its "tensorflow" backend failed to initialize (see the warning above)`);
  return `${name}: the TensorFlow C library through ${specifier}`;
}

async function useWasm(): Promise<string> {
  const require = createRequire(import.meta.url);
  let folder: string;
  try {
    folder = dirname(require.resolve("@tensorflow/tfjs-backend-wasm"));
  } catch (error) {
    throw new Unavailable(`@tensorflow/tfjs-backend-wasm is not installed (${message(error)}); reinstall optspec's dependencies with \`npm install\`, or choose --backend cpu`);
  }
  const missing = WASM_FILES.filter((file) => !existsSync(join(folder, file)));
  if (missing.length > 0) throw new Unavailable(`the wasm binaries ${missing.join(", ")} are missing from ${folder}; reinstall @tensorflow/tfjs-backend-wasm, or choose --backend cpu`);
  if (!wasmPathsSet) {
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    wasm.setWasmPaths(folder + "/");
    wasmPathsSet = true;
  }
  registerWasmGradientKernels();
  if (!(await tf.setBackend("wasm"))) throw new Unavailable(`the wasm backend failed to initialize from ${folder} (see the warning above); reinstall @tensorflow/tfjs-backend-wasm, or choose --backend cpu`);
  const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
  return `wasm: WebAssembly${simd ? " with SIMD" : " without SIMD"}, 1 thread (the threaded build does not load in Node), tfjs-backend-wasm ${TFJS_VERSIONS.wasm}`;
}

async function useCpu(): Promise<string> {
  if (!(await tf.setBackend("cpu"))) throw new Unavailable("the cpu backend failed to initialize (see the warning above)");
  // The cpu backend prints a banner advising tfjs-node on first use; the detail says it instead.
  (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  return `cpu: plain JavaScript, 1 thread (slowest; install @tensorflow/tfjs-node for speed), tfjs-backend-cpu ${TFJS_VERSIONS.cpu}`;
}

function use(name: Concrete): Promise<string> {
  switch (name) {
    case "tfjs-node-gpu":
    case "tfjs-node":
      return useNode(name);
    case "wasm":
      return useWasm();
    case "cpu":
      return useCpu();
  }
}

/**
 * Makes the requested backend the current tfjs backend. "auto" takes the first of
 * tfjs-node-gpu, tfjs-node, wasm, cpu that loads, and its detail says why the others did not;
 * a forced backend that cannot load throws an Error that says why and how to fix it.
 */
export async function selectBackend(requested: BackendRequest): Promise<SelectedBackend> {
  if (requested !== "auto") {
    if (!BACKEND_REQUESTS.includes(requested)) throw new Error(`unknown backend "${String(requested)}"; choose one of ${BACKEND_REQUESTS.join(", ")}`);
    try {
      return { name: requested, detail: await use(requested) };
    } catch (error) {
      throw new Error(`backend ${requested} is not available: ${message(error)}`);
    }
  }
  const skipped: string[] = [];
  for (const name of ["tfjs-node-gpu", "tfjs-node", "wasm", "cpu"] as const) {
    try {
      const detail = await use(name);
      return { name, detail: skipped.length > 0 ? `${detail} (auto; skipped ${skipped.join("; ")})` : `${detail} (auto)` };
    } catch (error) {
      skipped.push(`${name}: ${message(error)}`);
    }
  }
  throw new Error(`no tfjs backend could be loaded: ${skipped.join("; ")}`);
}
