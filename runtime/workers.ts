// A pool of worker threads that run kernel jobs over shared buffers. Each restart's result
// depends only on its own key and starting point, so how jobs are split across workers
// cannot change any number.
import { Worker } from "node:worker_threads";
import { WASM_RUN_SOURCE } from "./backends/wasm.js";
import type { KernelJob } from "./kernel.js";

// Plain JavaScript evaluated in each worker: compile each kernel once (JS source, or an
// assembled wasm binary run through the shared WASM_RUN_SOURCE), run jobs, report.
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
${WASM_RUN_SOURCE}
const kernels = new Map();
function load(source, binary) {
  if (binary) {
    const wasm = new WebAssembly.Instance(new WebAssembly.Module(binary), { Math }).exports;
    return (job) => runWasmJob(wasm, job);
  }
  return new Function(source + "\\nreturn kernel;")();
}
parentPort.on("message", ({ id, source, binary, file, jobs }) => {
  let kernel = kernels.get(file);
  try {
    if (!kernel) {
      kernel = load(source, binary);
      kernels.set(file, kernel);
    }
  } catch (error) {
    return parentPort.postMessage({ id, error: "kernel " + file + " cannot be loaded (" + (error && error.message) + "); compile the spec again" });
  }
  try {
    for (const job of jobs) kernel(job);
    parentPort.postMessage({ id });
  } catch (error) {
    parentPort.postMessage({ id, error: "kernel " + file + " failed: " + (error && error.message || error) });
  }
});
`;

export interface PoolTask {
  /** The JavaScript kernel's source, or (wasm backend) its assembled binary. */
  readonly source?: string;
  readonly binary?: Uint8Array;
  /** The kernel's file name, for messages. */
  readonly file: string;
  /** Jobs of one kernel, run in order by one worker (so the kernel is compiled once there). */
  readonly jobs: readonly KernelJob[];
}

/**
 * Worker threads that run kernel jobs. Starting a worker takes tens of milliseconds, so the
 * CLI starts the pool before it compiles, and the threads come up while the main one works.
 */
export class WorkerPool {
  private readonly workers: Worker[];

  constructor(readonly size: number) {
    this.workers = Array.from({ length: size }, () => new Worker(WORKER_SOURCE, { eval: true }));
  }

  /** Runs the tasks, each worker taking the next one when it is free, calling `onTaskDone` as each ends; rejects on the first failure. */
  async run(tasks: readonly PoolTask[], onTaskDone?: (task: PoolTask) => void): Promise<void> {
    let next = 0;
    await Promise.all(
      this.workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            const onMessage = (message: { id: number; error?: string }) => {
              if (message.error) return finish(new Error(message.error));
              onTaskDone?.(tasks[message.id]!);
              feed();
            };
            const finish = (error?: Error) => {
              worker.off("message", onMessage);
              worker.off("error", finish);
              if (error) reject(error);
              else resolve();
            };
            const feed = () => {
              if (next >= tasks.length) return finish();
              const id = next++;
              const task = tasks[id]!;
              worker.postMessage({ id, source: task.source, binary: task.binary, file: task.file, jobs: task.jobs });
            };
            worker.on("message", onMessage);
            worker.on("error", finish);
            feed();
          }),
      ),
    );
  }

  /** Stops every worker. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
