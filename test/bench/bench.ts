// npm run bench: throughput of the emitted kernels and whether worker threads pay off (the
// paper's table end to end is e2e-bench.ts). Figures are ratios within one run (the machine is
// shared).
import { availableParallelism } from "node:os";
import { compileSpec } from "../../compiler/index.js";
import { loadKernel, prepareCell, sliceJob } from "../../runtime/kernel.js";
import { loadWasmKernel } from "../../runtime/backends/wasm.js";
import { runPlan } from "../../runtime/execute.js";
import type { Plan } from "../../runtime/plan.js";

const SPEC = "specs/paper/synthetic.optspec";
const RESTARTS = 100_000;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** The hand-written reference: GD on Himmelblau with 4 trajectories interleaved in registers. */
function handInterleavedGd(start: Float64Array[], end: Float64Array[], budget: number, lr: number): void {
  const [xs, ys] = start as [Float64Array, Float64Array];
  const n = xs.length;
  for (let r = 0; r + 4 <= n; r += 4) {
    let x0 = xs[r]!, y0 = ys[r]!, x1 = xs[r + 1]!, y1 = ys[r + 1]!, x2 = xs[r + 2]!, y2 = ys[r + 2]!, x3 = xs[r + 3]!, y3 = ys[r + 3]!;
    for (let t = 0; t < budget; t++) {
      const a0 = x0 * x0 + y0 - 11, b0 = x0 + y0 * y0 - 7;
      const a1 = x1 * x1 + y1 - 11, b1 = x1 + y1 * y1 - 7;
      const a2 = x2 * x2 + y2 - 11, b2 = x2 + y2 * y2 - 7;
      const a3 = x3 * x3 + y3 - 11, b3 = x3 + y3 * y3 - 7;
      x0 -= lr * (4 * a0 * x0 + 2 * b0); y0 -= lr * (2 * a0 + 4 * b0 * y0);
      x1 -= lr * (4 * a1 * x1 + 2 * b1); y1 -= lr * (2 * a1 + 4 * b1 * y1);
      x2 -= lr * (4 * a2 * x2 + 2 * b2); y2 -= lr * (2 * a2 + 4 * b2 * y2);
      x3 -= lr * (4 * a3 * x3 + 2 * b3); y3 -= lr * (2 * a3 + 4 * b3 * y3);
    }
    end[0]![r] = x0; end[1]![r] = y0; end[0]![r + 1] = x1; end[1]![r + 1] = y1;
    end[0]![r + 2] = x2; end[1]![r + 2] = y2; end[0]![r + 3] = x3; end[1]![r + 3] = y3;
  }
}

async function kernelThroughput(plan: Plan, kernels: ReadonlyMap<string, string>, budget: number) {
  const experiment = { ...plan.experiments[0]!, restarts: RESTARTS, budget: { gradients: budget, iterations: null } };
  const landscape = experiment.landscapes.find((l) => l.name === "Himmelblau")!;
  const rows: { optimizer: string; js: number; wasm: number; wasm32: number }[] = [];
  const throughput = (kernel: (job: ReturnType<typeof sliceJob>) => void, optimizer: string) => {
    const buffers = prepareCell(experiment, landscape, optimizer, RESTARTS, false);
    const times: number[] = [];
    for (let rep = 0; rep < 3; rep++) {
      const t0 = performance.now();
      kernel(sliceJob(buffers, experiment, 0, RESTARTS));
      times.push((performance.now() - t0) / 1000);
    }
    return (RESTARTS * budget) / median(times);
  };
  for (const cell of experiment.cells.filter((c) => c.landscape === "Himmelblau")) {
    const js = throughput(loadKernel(kernels.get(cell.kernel)!), cell.optimizer);
    const wasm = throughput(await loadWasmKernel(kernels.get(cell.wasmKernel!)!), cell.optimizer);
    const wasm32 = throughput(await loadWasmKernel(kernels.get(cell.wasmKernelF32!)!), cell.optimizer);
    rows.push({ optimizer: cell.optimizer, js, wasm, wasm32 });
  }
  const start = prepareCell(experiment, landscape, "GD", RESTARTS, false);
  const times: number[] = [];
  for (let rep = 0; rep < 3; rep++) {
    const t0 = performance.now();
    handInterleavedGd(start.start, start.end, budget, 1e-3);
    times.push((performance.now() - t0) / 1000);
  }
  return { rows, hand: (RESTARTS * budget) / median(times) };
}

async function main() {
  const compiled = compileSpec(SPEC, { backends: ["js", "wasm"], precisions: ["f64", "f32"] });
  if (!compiled.plan) throw new Error("the paper spec does not compile");
  const plan = compiled.plan;
  console.log(`optspec bench on ${availableParallelism()} cores, Node ${process.version}\n`);

  const budget = 1000;
  const { rows, hand } = await kernelThroughput(plan, compiled.kernels, budget);
  console.log(`Kernel throughput on Himmelblau, ${RESTARTS} restarts x ${budget} gradients, one thread (M trajectory-steps/s):`);
  console.log(`  hand-written GD, 4 trajectories interleaved (JS)   ${(hand / 1e6).toFixed(0).padStart(5)}`);
  console.log(`  ${"".padEnd(50)}   JS   wasm  wasm f32`);
  const percent = (v: number) => `${((100 * v) / hand).toFixed(0)}%`;
  const column = (v: number, width: number) => (v / 1e6).toFixed(0).padStart(width);
  for (const r of rows)
    console.log(`  ${r.optimizer.padEnd(50)}${column(r.js, 5)}  ${column(r.wasm, 5)}  ${column(r.wasm32, 8)}${r.optimizer === "GD" ? `   (${percent(r.js)} and ${percent(r.wasm)} of hand-written)` : ""}`);

  console.log(`\nWorker threads, the whole table in-process (wall s):`);
  const cases = [
    { restarts: 500, budget: 5000, repeats: 3 },
    { restarts: RESTARTS, budget: 500, repeats: 1 },
  ];
  for (const { restarts, budget, repeats } of cases) {
    const sized: Plan = { ...plan, experiments: plan.experiments.map((e) => ({ ...e, budget: { gradients: budget, iterations: null } })) };
    const line: string[] = [];
    for (const workers of [0, 1, 2]) {
      const times: number[] = [];
      for (let rep = 0; rep < repeats; rep++) {
        const results = await runPlan(sized, (f) => compiled.kernels.get(f)!, { workers, restarts });
        times.push(results.wallSeconds);
      }
      line.push(`workers=${workers}: ${median(times).toFixed(3)}`);
    }
    console.log(`  ${String(restarts).padStart(6)} restarts x ${budget} gradients  ${line.join("   ")}`);
  }
}

await main();
