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

/** Tasks a worker holds at once: the one it runs and the next (see `WorkerPool.start`). */
const TASKS_AHEAD = 2;

/**
 * Worker threads that run kernel jobs. Starting a worker takes tens of milliseconds, so the
 * CLI starts the pool before it compiles, and the threads come up while the main one works.
 */
export class WorkerPool {
  private readonly workers: Worker[];
  private closing: Promise<void> | undefined;
  /** Numbers the tasks of every run, so a run ignores what an earlier, failed one left running. */
  private posted = 0;

  constructor(readonly size: number) {
    this.workers = Array.from({ length: size }, () => new Worker(WORKER_SOURCE, { eval: true }));
  }

  /** Runs the tasks (a run of `start` with all of them added at once), calling `onTaskDone` as each ends; rejects on the first failure. */
  run(tasks: readonly PoolTask[], onTaskDone?: (task: PoolTask) => void): Promise<void> {
    const run = this.start(onTaskDone);
    for (const task of tasks) run.add(task);
    run.end();
    return run.done;
  }

  /**
   * Starts a run whose tasks are added while it runs, so the workers start on the first cells
   * while this thread prepares the next ones; `done` settles once `end` was called and every
   * task has run (rejecting on the first failure). Each worker holds up to TASKS_AHEAD tasks,
   * the one it runs and the next: it goes on to the next without waiting for this thread,
   * which may be busy preparing cells. The rest wait here for the first worker to finish one.
   */
  start(onTaskDone?: (task: PoolTask) => void): PoolRun {
    const queue: PoolTask[] = [];
    const held = new Map(this.workers.map((worker) => [worker, 0]));
    const running = new Map<number, PoolTask>();
    let ended = false;
    let failed = false;
    const post = (worker: Worker, task: PoolTask) => {
      const id = this.posted++;
      running.set(id, task);
      held.set(worker, held.get(worker)! + 1);
      worker.postMessage({ id, source: task.source, binary: task.binary, file: task.file, jobs: task.jobs });
    };
    let settle!: (error?: Error) => void;
    const done = new Promise<void>((resolve, reject) => {
      settle = (failure) => {
        for (const [worker, { onMessage, onError }] of listeners) {
          worker.off("message", onMessage);
          worker.off("error", onError);
        }
        if (failure) reject(failure);
        else resolve();
      };
    });
    const fail = (error: Error) => {
      if (failed) return;
      failed = true;
      settle(error);
    };
    const listeners = new Map(
      this.workers.map((worker) => {
        const onMessage = (message: { id: number; error?: string }) => {
          const task = running.get(message.id);
          // A task of an earlier run that failed, or of this one after its failure.
          if (!task || failed) return;
          running.delete(message.id);
          held.set(worker, held.get(worker)! - 1);
          if (message.error) return fail(new Error(message.error));
          onTaskDone?.(task);
          const next = queue.shift();
          if (next) post(worker, next);
          else if (ended && running.size === 0) settle();
        };
        return [worker, { onMessage, onError: fail }] as const;
      }),
    );
    for (const [worker, { onMessage, onError }] of listeners) {
      worker.on("message", onMessage);
      worker.on("error", onError);
    }
    return {
      add: (task) => {
        if (ended) throw new Error("internal: a task added to a run after its end");
        if (failed) return;
        // The worker holding the fewest tasks, if it has room for one more.
        const [worker, count] = [...held].reduce((least, entry) => (entry[1] < least[1] ? entry : least));
        if (count < TASKS_AHEAD) post(worker, task);
        else queue.push(task);
      },
      end: () => {
        ended = true;
        if (!failed && running.size === 0) settle();
      },
      done,
    };
  }

  /** Stops every worker (once: later calls return the same promise). */
  close(): Promise<void> {
    this.closing ??= Promise.all(this.workers.map((w) => w.terminate())).then(() => undefined);
    return this.closing;
  }
}

/** A run of a pool that takes its tasks as they come (see `WorkerPool.start`). */
export interface PoolRun {
  /** Hands the task to a worker, or queues it until one has room. */
  add(task: PoolTask): void;
  /** Says no more tasks will be added. */
  end(): void;
  /** Settles when every task added has run (after `end`); rejects on the first failure. */
  readonly done: Promise<void>;
}
