// The worker pool: tasks added while a run goes on all run, each once, whichever worker takes
// them; the first failure rejects the run with the kernel's message; closing is idempotent.
import { afterAll, describe, expect, it } from "vitest";
import type { KernelJob } from "../../runtime/kernel.js";
import { WorkerPool, type PoolTask } from "../../runtime/workers.js";

/** A JavaScript kernel that writes each restart's first key into its loss, after busy-waiting `budget` milliseconds. */
const KERNEL = `function kernel(job) {
  const until = Date.now() + job.budget;
  while (Date.now() < until);
  for (let i = 0; i < job.count; i++) job.loss[i] = job.keys[2 * i];
}`;

/** A job over `count` restarts of shared buffers whose keys are `first`, `first + 1`, ... */
function job(first: number, count: number, spin = 0): KernelJob {
  const shared = () => new Float64Array(new SharedArrayBuffer(8 * count));
  const keys = new Uint32Array(new SharedArrayBuffer(8 * count));
  for (let i = 0; i < count; i++) keys[2 * i] = first + i;
  return { count, budget: spin, iterations: Infinity, keys, start: [], end: [], loss: shared(), evals: shared(), steps: shared(), curve: null, curveStride: 1, curvePoints: 0 };
}

const task = (first: number, spin = 0): PoolTask => ({ source: KERNEL, file: "test.js", jobs: [job(first, 4, spin)] });

describe("WorkerPool", () => {
  const pool = new WorkerPool(2);
  afterAll(() => pool.close());

  it("runs every task of a run whose tasks arrive while it runs, each once", async () => {
    const done: PoolTask[] = [];
    const run = pool.start((t) => done.push(t));
    const tasks = Array.from({ length: 9 }, (_, i) => task(10 * i, i % 3));
    for (const t of tasks) {
      run.add(t);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    run.end();
    await run.done;
    expect(new Set(done)).toEqual(new Set(tasks));
    expect(done).toHaveLength(tasks.length);
    for (const [i, t] of tasks.entries()) expect([...t.jobs[0]!.loss]).toEqual([10 * i, 10 * i + 1, 10 * i + 2, 10 * i + 3]);
  });

  it("settles a run with no tasks, and runs a batch", async () => {
    await expect(pool.run([])).resolves.toBeUndefined();
    const tasks = [task(1), task(2, 5), task(3)];
    await pool.run(tasks);
    expect(tasks.map((t) => t.jobs[0]!.loss[0])).toEqual([1, 2, 3]);
  });

  it("rejects the run with the message of the first kernel that fails, and runs the next run", async () => {
    const broken: PoolTask = { source: "function kernel(job) { throw new Error('out of range'); }", file: "broken.js", jobs: [job(0, 1)] };
    await expect(pool.run([task(1), broken, task(2)])).rejects.toThrow("kernel broken.js failed: out of range");
    const unloadable: PoolTask = { source: "function kernel(", file: "unloadable.js", jobs: [job(0, 1)] };
    await expect(pool.run([unloadable])).rejects.toThrow(/kernel unloadable\.js cannot be loaded/);
    const after = task(7);
    await pool.run([after]);
    expect(after.jobs[0]!.loss[0]).toBe(7);
  });

  it("closes once, however often it is asked", async () => {
    const other = new WorkerPool(1);
    const closing = other.close();
    expect(other.close()).toBe(closing);
    await closing;
  });
});
