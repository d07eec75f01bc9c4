// A pool of worker threads that train the units (optimizer x trajectory) of experiments on
// tasks. Each worker runs dist/task-worker.js (the bundle of worker.ts): it loads tfjs and the
// backend the main thread selected once, and a task's data set once. A unit's result depends
// only on (experiment, task, optimizer, trajectory) and the backend, so which worker trains it
// cannot change a number; the caller puts the results back in plan order.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { UnitResult } from "./unit.js";
import type { UnitRequest, WorkerMessage } from "./worker.js";

/**
 * The worker script. From the bundle it lies beside optc.js (this code may sit in optc.js or
 * in a chunk under dist/chunks); from the TypeScript sources (tests) it is the built
 * dist/task-worker.js, which must be rebuilt after the sources change.
 */
export function taskWorkerScript(): string {
  const candidates = ["./task-worker.js", "../task-worker.js", "../../dist/task-worker.js"].map((relative) => fileURLToPath(new URL(relative, import.meta.url)));
  const found = candidates.find((path) => existsSync(path));
  if (!found) throw new Error(`the task worker script task-worker.js is missing (looked for ${candidates.join(", ")}); build it with \`npm run build\`, or run with --workers 0`);
  return found;
}

/** Worker threads that train task units; `start` resolves once every worker has loaded its backend. */
export class TaskWorkerPool {
  private constructor(private readonly workers: readonly Worker[]) {}

  get size(): number {
    return this.workers.length;
  }

  /** Starts `size` workers on the tfjs backend `backend` (the name the main thread selected). */
  static async start(size: number, backend: string): Promise<TaskWorkerPool> {
    const script = taskWorkerScript();
    const workers = Array.from({ length: size }, () => new Worker(script, { workerData: { backend } }));
    const pool = new TaskWorkerPool(workers);
    try {
      await Promise.all(
        workers.map(
          (worker) =>
            new Promise<void>((resolve, reject) => {
              const stop = listen(worker, {
                message: (m) => done(m.kind === "ready" ? undefined : new Error(m.kind === "fatal" || m.kind === "failed" ? m.error : `unexpected message from a task worker`)),
                error: (error) => done(new Error(`a task worker thread failed to start: ${error.message}`)),
                exit: (code) => done(new Error(`a task worker thread exited with code ${code} while starting`)),
              });
              const done = (error?: Error) => {
                stop();
                if (error) reject(error);
                else resolve();
              };
            }),
        ),
      );
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  /**
   * Trains the units, each worker taking the next one from the queue when it is free; calls
   * `onDone` with each unit's index in `units` and its result as it ends. Rejects on the first
   * failure (the other workers finish the unit they hold, then stop taking units).
   */
  async run(units: readonly Omit<UnitRequest, "id">[], onDone: (index: number, result: UnitResult) => void): Promise<void> {
    let next = 0;
    let failed = false;
    await Promise.all(
      this.workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            const finish = (error?: Error) => {
              stop();
              if (error) {
                failed = true;
                reject(error);
              } else resolve();
            };
            const stop = listen(worker, {
              message: (m) => {
                if (m.kind === "done") {
                  onDone(m.id, m.result);
                  feed();
                } else finish(new Error(m.kind === "ready" ? "unexpected message from a task worker" : m.error));
              },
              error: (error) => finish(new Error(`a task worker thread failed: ${error.message}`)),
              exit: (code) => finish(new Error(`a task worker thread exited with code ${code}`)),
            });
            const feed = () => {
              if (failed || next >= units.length) return finish();
              const id = next++;
              worker.postMessage({ ...units[id]!, id } satisfies UnitRequest);
            };
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

/** Listens to a task worker's messages, errors and exit; returns what stops listening. */
function listen(worker: Worker, on: { message: (m: WorkerMessage) => void; error: (error: Error) => void; exit: (code: number) => void }): () => void {
  worker.on("message", on.message);
  worker.on("error", on.error);
  worker.on("exit", on.exit);
  return () => {
    worker.off("message", on.message);
    worker.off("error", on.error);
    worker.off("exit", on.exit);
  };
}
