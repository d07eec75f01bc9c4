// A pool of worker threads that run kernel jobs over shared buffers. Each restart's result
// depends only on its own key and starting point, so how jobs are split across workers
// cannot change any number.
import { Worker } from "node:worker_threads";
import type { KernelJob } from "./kernel.js";

// Plain JavaScript evaluated in each worker: compile each kernel once, run jobs, report.
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const kernels = new Map();
parentPort.on("message", ({ id, source, job }) => {
  try {
    let kernel = kernels.get(source);
    if (!kernel) {
      kernel = new Function(source + "\\nreturn kernel;")();
      kernels.set(source, kernel);
    }
    kernel(job);
    parentPort.postMessage({ id });
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.stack || error) });
  }
});
`;

export interface PoolTask {
  readonly source: string;
  readonly job: KernelJob;
}

/** Runs tasks on `size` workers, each taking the next task when it is free. */
export async function runOnWorkers(tasks: readonly PoolTask[], size: number): Promise<void> {
  const workers = Array.from({ length: Math.min(size, tasks.length) }, () => new Worker(WORKER_SOURCE, { eval: true }));
  let next = 0;
  try {
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            const feed = () => {
              if (next >= tasks.length) return resolve();
              const id = next++;
              const task = tasks[id]!;
              worker.postMessage({ id, source: task.source, job: task.job });
            };
            worker.on("message", (message: { id: number; error?: string }) => {
              if (message.error) reject(new Error(`kernel failed in a worker: ${message.error}`));
              else feed();
            });
            worker.on("error", reject);
            feed();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
