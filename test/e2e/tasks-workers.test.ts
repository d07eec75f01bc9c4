// End to end: experiments on tasks trained on task worker threads (`--workers K`, the built
// dist/task-worker.js): bit-identical results for every K, including the one-thread run; a
// failure inside a worker reported like any other run failure; no threads left behind.
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { TaskWorkerPool } from "../../runtime/tasks/pool.js";
import { ensureBuilt, expectNoStackTrace, optc, optcExpect, removeTemporaryFolders, temporaryFolder, writeSpec } from "./helpers.js";

ensureBuilt();
afterAll(removeTemporaryFolders);

// Two tasks in one experiment (a worker switches data sets), three optimizers, three
// trajectories; a second experiment with a single unit (fewer units than workers).
const SPEC = `import "std/optimizers"
task Spirals {
  data synthetic(spirals, train = 80, test = 40, classes = 2, noise = 0.05)
  model mlp(hidden = [6])
  metric accuracy
  batch 16
  evaluate 40
}
task Blobs {
  data synthetic(blobs, train = 90, test = 45, classes = 3, dims = 4, noise = 0.3)
  model mlp(hidden = [5])
  metric macro_f1
  batch 20
  evaluate 30
}
experiment E {
  on Spirals, Blobs
  run GD(lr = 0.3) as SGD, SAM(lr = 0.3, rho = 0.05), NiM_MBH(lr = 0.2, rho = 0.5, tau = 5, eps = 0.01)
  trajectories 3
  budget 3 epochs
  snapshot every 3 steps
  seed 11
  population SetA = lowest 3 by loss per trajectory
  population SetB = highest 3 by metric per trajectory
}
experiment F {
  on Blobs
  run GD(lr = 0.2)
  trajectories 1
  budget 2 epochs
  seed 4
  population Tail = last 1
}
`;

interface TaskJson {
  taskExperiments: { name: string; backend: string; workers?: number; tasks: unknown[]; runs: { task: string; optimizer: string; trajectories: unknown[]; populations: unknown; wallSeconds: number }[] }[];
}

/** The task results without the timings and the worker count (the only parts that may differ between runs). */
function numbers(stdout: string) {
  const results = JSON.parse(stdout) as TaskJson;
  return results.taskExperiments.map(({ workers: _workers, ...e }) => ({ ...e, runs: e.runs.map(({ wallSeconds: _seconds, ...run }) => run) }));
}

describe("optc run --workers K on tasks", () => {
  it("gives bit-identical snapshots and populations for 0, 1, 2 and 3 workers", () => {
    const dir = temporaryFolder();
    const file = writeSpec(dir, "tiny.optspec", SPEC);
    const run = (workers: number, backend: string) => numbers(optcExpect(["run", file, "--no-report", "--quiet", "--json", "-", "--backend", backend, "--workers", String(workers)], 0).stdout);
    const inThread = run(0, "cpu");
    expect(inThread.map((e) => e.runs.length)).toEqual([6, 1]);
    expect(inThread[0]!.runs.map((r) => `${r.task}/${r.optimizer}`)).toEqual(["Spirals/SGD", "Spirals/SAM", "Spirals/NiM_MBH", "Blobs/SGD", "Blobs/SAM", "Blobs/NiM_MBH"]);
    for (const workers of [1, 2, 3]) expect(run(workers, "cpu"), `--workers ${workers}`).toEqual(inThread);
    // The workers train on the backend this thread selected (here wasm), and agree with it.
    const wasm = run(2, "wasm");
    expect(wasm.map((e) => e.backend)).toEqual(["wasm", "wasm"]);
    expect(wasm).toEqual(run(0, "wasm"));
  }, 120_000);

  it("reports a failure inside a worker with exit code 3, no stack trace, and exits", () => {
    const dir = temporaryFolder();
    const missing = optc(["run", writeSpec(dir, "m.optspec", SPEC.replace(/data synthetic\(blobs[^\n]*/, 'data text("nowhere.tsv")').replace("model mlp(hidden = [5])", "model bag_of_embeddings(dimension = 4)")), "--no-report", "--backend", "cpu", "--workers", "2"]);
    expect(missing.status).toBe(3);
    expect(missing.stderr).toContain("nowhere.tsv");
    expectNoStackTrace(missing);
    writeFileSync(join(dir, "broken.jsonl"), '{"text": "a", "label": "x"}\n{"text": \n');
    const broken = optc(["run", writeSpec(dir, "b.optspec", SPEC.replace(/data synthetic\(blobs[^\n]*/, 'data text("broken.jsonl")').replace("model mlp(hidden = [5])", "model bag_of_embeddings(dimension = 4)")), "--no-report", "--backend", "cpu", "--workers", "3"]);
    expect(broken.status).toBe(3);
    expect(broken.stderr).toMatch(/broken\.jsonl.*line 2/);
    expectNoStackTrace(broken);
  }, 120_000);
});

const tfjsNodeInstalled = (() => {
  try {
    createRequire(import.meta.url).resolve("@tensorflow/tfjs-node");
    return true;
  } catch {
    return false;
  }
})();

describe("the task worker pool", () => {
  it.skipIf(tfjsNodeInstalled)("refuses to start when a worker cannot load the main thread's backend, and stops its threads", async () => {
    await expect(TaskWorkerPool.start(2, "tfjs-node")).rejects.toThrow(/task worker thread cannot load the tfjs backend tfjs-node .*not installed.*--workers 0/);
  }, 60_000);
});
