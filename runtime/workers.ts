// A pool of worker threads that run kernel jobs over shared buffers. Each restart's result
// depends only on its own key and starting point, so how jobs are split across workers
// cannot change any number.
import { Worker } from "node:worker_threads";
import type { KernelJob } from "./kernel.js";

// Plain JavaScript evaluated in each worker: compile each kernel once, run jobs, report.
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const kernels = new Map();
parentPort.on("message", ({ id, source, file, jobs }) => {
  let kernel = kernels.get(source);
  try {
    if (!kernel) {
      kernel = new Function(source + "\\nreturn kernel;")();
      kernels.set(source, kernel);
    }
  } catch (error) {
    return parentPort.postMessage({ id, error: "kernel " + file + " is not valid JavaScript (" + (error && error.message) + "); compile the spec again" });
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
  readonly source: string;
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
              worker.postMessage({ id, source: task.source, file: task.file, jobs: task.jobs });
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
