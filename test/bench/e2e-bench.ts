// npm run bench, after the kernel bench: the paper's Table 1 end to end, `optc run` as a user starts it
// (process start, the cached plan, the run, the hypotheses). It runs in a process of its own
// that holds nothing else: spawning from the kernel bench's process, with its gigabyte of
// buffers, adds 20-40 ms to every start. Then the table's kernel runs on one and two worker
// threads (worker-jobs.ts). Figures are medians; the machine is shared and noisy.
import { execFileSync } from "node:child_process";

const SPEC = "specs/paper/synthetic.optspec";
const REPEATS = 9;
const WORKER_REPEATS = 5;

/** The middle value (the upper middle of an even count). */
const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const variants: [label: string, flags: string[]][] = [
  ["--no-report (default: auto backend)", ["--no-report"]],
  ["--no-report --backend js", ["--no-report", "--backend", "js"]],
  ["--no-report --precision f32", ["--no-report", "--precision", "f32"]],
  ["--no-report --workers 0", ["--no-report", "--workers", "0"]],
  ["--no-report --workers 2", ["--no-report", "--workers", "2"]],
  ["with the report (figures)", ["--report", "dist/bench-report"]],
];

console.log(`\nThe paper's Table 1 end to end (optc run, process start included; s, median of ${REPEATS} after one that fills the caches):`);
for (const [label, flags] of variants) {
  const run = () => execFileSync(process.execPath, ["dist/optc.js", "run", SPEC, "--quiet", ...flags]);
  run();
  const times: number[] = [];
  for (let rep = 0; rep < REPEATS; rep++) {
    const t0 = performance.now();
    run();
    times.push((performance.now() - t0) / 1000);
  }
  console.log(`  ${label.padEnd(36)} ${median(times).toFixed(3)}   (fastest ${Math.min(...times).toFixed(3)})`);
}

// The same kernels' runs on one and on two worker threads: on two busy cores, V8's background
// compiles of each kernel's optimized code wait their turn while the kernel runs its baseline
// code. --liftoff-only (never optimize) shows how much of the difference that is.
console.log(`\nThe table's 24 kernel runs on worker threads (s, median of ${WORKER_REPEATS}: wall, and the runs' time summed over the threads):`);
for (const flags of [[], ["--liftoff-only"]])
  for (const workers of [1, 2]) {
    const runs = Array.from({ length: WORKER_REPEATS }, () => JSON.parse(execFileSync(process.execPath, [...flags, "dist/bench/worker-jobs.js", String(workers)], { encoding: "utf8" })) as { wall: number; runs: number });
    const middle = (pick: (r: { wall: number; runs: number }) => number) => median(runs.map(pick)).toFixed(3);
    console.log(`  ${workers} worker${workers > 1 ? "s" : " "} ${(flags.join(" ") || "(default)").padEnd(16)} wall ${middle((r) => r.wall)}   runs ${middle((r) => r.runs)}`);
  }
console.log();
