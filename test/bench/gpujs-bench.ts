// Throughput of the gpu.js kernels (compiler/emit/emit-gpujs.ts) against the JS kernel, in one
// run so the ratio means something on a shared machine: Himmelblau, 100,000 restarts x 1000
// gradients, one thread, M trajectory-steps/s (restarts x gradients per second; SAM spends two
// gradients per step, as in `npm run bench`). Run from the repository root:
//   npx esbuild test/bench/gpujs-bench.ts --bundle --platform=node --format=esm --target=node20 \
//     --outfile=node_modules/.cache/gpujs-bench.js --packages=external && node node_modules/.cache/gpujs-bench.js
// (the bundle must lie inside the repository: its packages stay external and are resolved
// from where it lies, so an --outfile in /tmp cannot find them). Optional arguments:
// restarts, gradients, and modes (comma-separated; default webasm,cpu; async runs webasm on
// gpu.js's worker pool).
import { availableParallelism } from "node:os";
import { compileSpec } from "../../compiler/index.js";
import { emitGpujsKernel } from "../../compiler/emit/emit-gpujs.js";
import { checkExperiments } from "../../compiler/check/rules/experiments.js";
import { checkLandscapes } from "../../compiler/check/rules/landscapes.js";
import { checkOptimizers } from "../../compiler/check/rules/optimizers.js";
import { buildSymbolTable } from "../../compiler/resolve/symbols.js";
import { loadSpec } from "../../compiler/resolve/load.js";
import { memoryHost } from "../../compiler/source.js";
import type { Diagnostic } from "../../compiler/diagnostics/diagnostic.js";
import { loadKernel, prepareCell, sliceJob, type KernelJob } from "../../runtime/kernel.js";
import { loadGpujsKernel, type GpujsMode } from "../../runtime/backends/gpujs.js";
import type { PlanExperiment } from "../../runtime/plan.js";

const RESTARTS = Number(process.argv[2] ?? 100_000);
const GRADIENTS = Number(process.argv[3] ?? 1000);
const MODES = (process.argv[4] ?? "webasm,cpu").split(",") as GpujsMode[];
const OPTIMIZERS = ["GD", "NiG_GD", "SAM"];
const PATH = "/virtual/gpujs-bench.optspec";
const TEXT = `import "std/landscapes"
import "std/optimizers"
experiment Bench {
  on Himmelblau
  run ${OPTIMIZERS.join(", ")}
  restarts ${RESTARTS}
  budget ${GRADIENTS} gradients
  seed 42
}`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** M trajectory-steps/s of `kernel` on a cell's job: the median of `repeats` runs after one warm-up. */
async function throughput(experiment: PlanExperiment, optimizer: string, kernel: (job: KernelJob) => void | Promise<void>, repeats: number): Promise<number> {
  const cell = prepareCell(experiment, experiment.landscapes[0]!, optimizer, RESTARTS, false);
  const times: number[] = [];
  for (let rep = 0; rep <= repeats; rep++) {
    const started = performance.now();
    await kernel(sliceJob(cell, experiment, 0, RESTARTS));
    if (rep > 0) times.push((performance.now() - started) / 1000);
  }
  return (RESTARTS * GRADIENTS) / median(times) / 1e6;
}

async function main() {
  const host = memoryHost({ [PATH]: TEXT });
  const compiled = compileSpec(PATH, { host });
  if (!compiled.plan) throw new Error("the bench spec does not compile");
  const experiment = compiled.plan.experiments[0]!;
  // The optimizer and landscape IR for the gpu.js emitter.
  const loaded = loadSpec(PATH, host);
  const diagnostics: Diagnostic[] = [...loaded.diagnostics];
  const ctx = { files: loaded.files, symbols: buildSymbolTable(loaded.files, diagnostics), diagnostics };
  checkLandscapes(ctx);
  checkOptimizers(ctx);
  const lowered = checkExperiments(ctx)[0]!;
  const landscape = lowered.landscapes[0]!.ir;

  console.log(`gpu.js bench on ${availableParallelism()} cores, Node ${process.version}`);
  console.log(`Himmelblau, ${RESTARTS} restarts x ${GRADIENTS} gradients, M trajectory-steps/s (median of the runs after a warm-up):\n`);
  console.log(`  ${"optimizer".padEnd(10)}${"JS".padStart(8)}${MODES.map((m) => m.padStart(10)).join("")}${MODES.map((m) => `${m}/JS`.padStart(12)).join("")}`);
  for (const optimizer of OPTIMIZERS) {
    const cell = experiment.cells.find((c) => c.optimizer === optimizer)!;
    const js = await throughput(experiment, optimizer, loadKernel(compiled.kernels.get(cell.kernel)!), 3);
    const source = emitGpujsKernel(lowered.optimizers.find((o) => o.name === optimizer)!, landscape).source;
    const rates: number[] = [];
    for (const mode of MODES) {
      const gpujs = await loadGpujsKernel(source, { modes: [mode] });
      // cpu mode is slow: one timed run.
      rates.push(await throughput(experiment, optimizer, gpujs.run, mode === "cpu" ? 1 : 3));
      gpujs.destroy();
    }
    const cells = [js, ...rates].map((v) => v.toFixed(0));
    console.log(`  ${optimizer.padEnd(10)}${cells[0]!.padStart(8)}${cells.slice(1).map((c) => c.padStart(10)).join("")}${rates.map((r) => `${(r / js).toFixed(2)}x`.padStart(12)).join("")}`);
  }
}

await main();
