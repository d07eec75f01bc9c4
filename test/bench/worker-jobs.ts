// npm run bench (spawned by e2e-bench.ts, in a process of its own so V8 flags can be given):
// where the workers' time goes in the paper's table. Each worker thread times the kernel runs it
// does (instantiating the module included), taking the cells from a shared counter; prints the
// wall time and the runs' summed time as JSON. Usage: node [v8 flags] worker-jobs.js WORKERS
import { Worker } from "node:worker_threads";
import { compileSpec } from "../../compiler/index.js";
import { prepareCell, sliceJob, type KernelJob } from "../../runtime/kernel.js";
import { assembleWat, WASM_RUN_SOURCE } from "../../runtime/backends/wasm.js";

const SPEC = "specs/paper/synthetic.optspec";
const workers = Number(process.argv[2] ?? 2);

const WORKER = `
const { parentPort } = require("node:worker_threads");
${WASM_RUN_SOURCE}
parentPort.once("message", ({ cells, next }) => {
  let busy = 0;
  for (let i = Atomics.add(next, 0, 1); i < cells.length; i = Atomics.add(next, 0, 1)) {
    const t0 = performance.now();
    const wasm = new WebAssembly.Instance(new WebAssembly.Module(cells[i].binary), { Math }).exports;
    runWasmJob(wasm, cells[i].job);
    busy += performance.now() - t0;
  }
  parentPort.postMessage(busy);
});`;

const compiled = compileSpec(SPEC, { backends: ["wasm"], precisions: ["f64"] });
if (!compiled.plan) throw new Error("the paper spec does not compile");
const experiment = compiled.plan.experiments[0]!;
const cells: { binary: Uint8Array; job: KernelJob }[] = [];
for (const cell of experiment.cells) {
  const landscape = experiment.landscapes.find((l) => l.name === cell.landscape)!;
  const buffers = prepareCell(experiment, landscape, cell.optimizer, experiment.restarts, false);
  cells.push({ binary: await assembleWat(compiled.kernels.get(cell.wasmKernel!)!), job: sliceJob(buffers, experiment, 0, experiment.restarts) });
}
const threads = Array.from({ length: workers }, () => new Worker(WORKER, { eval: true }));
// Every thread up before the clock starts (a worker takes tens of milliseconds to start).
await Promise.all(threads.map((t) => new Promise((resolve) => t.once("online", resolve))));
const next = new Int32Array(new SharedArrayBuffer(4));
const t0 = performance.now();
const busy = await Promise.all(
  threads.map((t) => {
    const done = new Promise<number>((resolve) => t.once("message", resolve));
    t.postMessage({ cells, next });
    return done;
  }),
);
const wall = performance.now() - t0;
await Promise.all(threads.map((t) => t.terminate()));
console.log(JSON.stringify({ wall: wall / 1000, runs: busy.reduce((a, b) => a + b, 0) / 1000 }));
