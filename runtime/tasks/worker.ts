// The entry of a task worker thread (bundled as dist/task-worker.js; see pool.ts). It loads
// tfjs and the backend the main thread selected once, then trains the units it is sent, one at
// a time, keeping the data set of the last task it trained on, and answers each with the
// unit's result (plain JSON) or the error's message.
import { parentPort, workerData } from "node:worker_threads";
import type { PlanTaskExperiment } from "../../compiler/plan-tasks.js";
import type { BackendRequest } from "./tf/backend.js";
import { selectBackend } from "./tf/backend.js";
import { prepareTask, trainUnit, type PreparedTask } from "./unit.js";

/** A unit to train: the experiment (as run, overrides applied) and which unit of it. */
export interface UnitRequest {
  readonly id: number;
  readonly experiment: PlanTaskExperiment;
  readonly task: number;
  readonly optimizer: number;
  readonly trajectory: number;
}

/** A worker's messages to the main thread. */
export type WorkerMessage =
  | { readonly kind: "ready"; readonly backend: string }
  | { readonly kind: "fatal"; readonly error: string }
  | { readonly kind: "done"; readonly id: number; readonly result: import("./unit.js").UnitResult }
  | { readonly kind: "failed"; readonly id: number; readonly error: string };

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error("task-worker.js runs as a worker thread of optc, not on its own");
  const post = (m: WorkerMessage) => port.postMessage(m);
  const backend = (workerData as { backend: BackendRequest }).backend;
  try {
    const selected = await selectBackend(backend);
    if (selected.name !== backend) throw new Error(`it selected ${selected.name}`);
  } catch (error) {
    post({ kind: "fatal", error: `a task worker thread cannot load the tfjs backend ${backend} that this thread trains on (${message(error)}); run with --workers 0` });
    return;
  }
  let current: { key: string; prepared: PreparedTask } | undefined;
  port.on("message", async (request: UnitRequest) => {
    try {
      const { experiment } = request;
      const task = experiment.tasks[request.task]!;
      // The prepared task depends on the task's declaration and the experiment's seed only.
      const key = JSON.stringify([experiment.seed, task]);
      if (current?.key !== key) {
        current?.prepared.dispose();
        current = undefined;
        current = { key, prepared: prepareTask(experiment, task) };
      }
      post({ kind: "done", id: request.id, result: await trainUnit(experiment, task, current.prepared, request.optimizer, request.trajectory) });
    } catch (error) {
      post({ kind: "failed", id: request.id, error: message(error) });
    }
  });
  post({ kind: "ready", backend });
}

main().catch((error: unknown) => parentPort?.postMessage({ kind: "fatal", error: message(error) } satisfies WorkerMessage));
