// Throughput of the neural-network tasks' training steps on tfjs: one step is
// lossAndGradients + a plain SGD update (w.assign(w - lr·g)) in one tf.tidy, in samples/s.
// Compares the hand-written passes with tfjs autodiff (optimizer.minimize) on each backend,
// the ways of filling the wasm backend's missing conv gradient kernels, and whether the
// threaded wasm build loads in Node. Figures are ratios within one run (the machine is shared).
//
// Run by `npm run bench` (after the landscape and gpu.js benches); its packages stay external
// so the wasm backend finds its .wasm files in node_modules.
import { execFileSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { selectBackend } from "../../runtime/tasks/tf/backend.js";
import { buildModel } from "../../runtime/tasks/tf/models.js";
import { tf } from "../../runtime/tasks/tf/tfjs.js";
import { registerWasmGradientKernels, unregisterWasmGradientKernels, type FilterGradientMethod, type InputGradientMethod } from "../../runtime/tasks/tf/wasm-kernels.js";
import type { ModelSpec, TrainableModel } from "../../runtime/tasks/types.js";

const LEARNING_RATE = 0.01;
const BATCH = 128;

/** Deterministic values in [0, 1) (an LCG; the figures do not depend on the data). */
function values(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let s = seed;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 4294967296;
  }
  return out;
}

function batch(inputShape: readonly number[], classes: number, size: number, tokens?: number): { x: tf.Tensor; labels: tf.Tensor2D } {
  const width = inputShape.reduce((a, b) => a * b, 1);
  const raw = values(size * width, 1);
  const x = tokens ? tf.tensor(Int32Array.from(raw, (u) => Math.floor(u * tokens)), [size, ...inputShape], "int32") : tf.tensor(raw, [size, ...inputShape]);
  const labels = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(Int32Array.from({ length: size }, (_, i) => (i * 7) % classes), "int32"), classes), "float32")) as tf.Tensor2D;
  return { x, labels };
}

/** Seconds per call: warm-up, then repeat until `seconds` have passed (at least `minimum` calls). */
function secondsPerCall(step: () => void, seconds: number, minimum = 3, warmup = 2): number {
  for (let i = 0; i < warmup; i++) step();
  let calls = 0;
  const start = performance.now();
  while (calls < minimum || performance.now() - start < seconds * 1000) {
    step();
    calls++;
  }
  return (performance.now() - start) / 1000 / calls;
}

interface Row {
  readonly model: string;
  readonly backend: string;
  readonly method: string;
  readonly seconds: number;
  readonly batch: number;
}
const rows: Row[] = [];

function report(row: Row): void {
  rows.push(row);
  const rate = row.batch / row.seconds;
  console.log(
    `  ${row.model.padEnd(30)} ${row.backend.padEnd(5)} ${row.method.padEnd(44)} ${(row.seconds * 1000).toFixed(2).padStart(9)} ms ${rate.toFixed(0).padStart(8)} samples/s`,
  );
}

/** The hand-written step: the model's loss and gradients, then SGD, in one tidy. */
function handStep(model: TrainableModel, x: tf.Tensor, labels: tf.Tensor2D, lr: tf.Scalar): () => void {
  return () =>
    tf.tidy(() => {
      const { gradients } = model.lossAndGradients(x, labels);
      model.parameters.forEach((p, i) => p.assign(tf.sub(p, tf.mul(gradients[i]!, lr))));
    });
}

/** tfjs autodiff: optimizer.minimize over the same variables with a forward pass written with tf ops. */
function minimizeStep(variables: tf.Variable[], loss: () => tf.Scalar): () => void {
  const optimizer = tf.train.sgd(LEARNING_RATE);
  return () => {
    const value = optimizer.minimize(loss, true, variables);
    value?.dispose();
  };
}

function mlpLogits(variables: tf.Variable[], x: tf.Tensor): tf.Tensor2D {
  let h = tf.reshape(x, [x.shape[0]!, -1]) as tf.Tensor2D;
  for (let i = 0; i < variables.length; i += 2) {
    h = tf.add(tf.matMul(h, variables[i] as tf.Tensor2D), variables[i + 1]!) as tf.Tensor2D;
    if (i + 2 < variables.length) h = tf.relu(h);
  }
  return h;
}

function cnnLogits(blocks: number, variables: tf.Variable[], x: tf.Tensor, image: [number, number, number]): tf.Tensor2D {
  let maps = tf.reshape(x, [x.shape[0]!, ...image]) as tf.Tensor4D;
  for (let i = 0; i < 2 * blocks; i += 2) maps = tf.maxPool(tf.relu(tf.add(tf.conv2d(maps, variables[i] as tf.Tensor4D, 1, "same"), variables[i + 1]!)) as tf.Tensor4D, 2, 2, "valid");
  return mlpLogits(variables.slice(2 * blocks), maps);
}

/**
 * The MLP's hand-written step with wasm's transposeA/transposeB matMul flags instead of
 * explicit transposes: the comparison the issue reports (10-19x slower matMuls).
 */
function mlpFlagStep(model: TrainableModel, x: tf.Tensor2D, labels: tf.Tensor2D, lr: tf.Scalar): () => void {
  const [w1, b1, w2, b2] = model.parameters as tf.Variable[];
  return () =>
    tf.tidy(() => {
      const h = tf.fused.matMul({ a: x, b: w1 as tf.Tensor2D, bias: b1, activation: "relu" });
      const logits = tf.fused.matMul({ a: h, b: w2 as tf.Tensor2D, bias: b2 });
      const dLogits = tf.div(tf.sub(tf.softmax(logits), labels), x.shape[0]) as tf.Tensor2D;
      const dH = tf.mul(tf.matMul(dLogits, w2 as tf.Tensor2D, false, true), tf.step(h)) as tf.Tensor2D;
      const gradients = [tf.matMul(x, dH, true, false), tf.sum(dH, 0), tf.matMul(h, dLogits, true, false), tf.sum(dLogits, 0)];
      model.parameters.forEach((p, i) => p.assign(tf.sub(p, tf.mul(gradients[i]!, lr))));
    });
}

async function modelRows(
  name: string,
  spec: ModelSpec,
  inputShape: number[],
  backend: "wasm" | "cpu",
  options: {
    seconds: number;
    minimum?: number;
    warmup?: number;
    size?: number;
    tokens?: number;
    /** The model's own step, when it is not hand-written. */
    label?: string;
    autodiff?: (variables: tf.Variable[], x: tf.Tensor) => tf.Tensor2D;
    flags?: boolean;
  },
): Promise<void> {
  await selectBackend(backend);
  const size = options.size ?? BATCH;
  const model = await buildModel(spec, inputShape, 10, 1, options.tokens);
  const { x, labels } = batch(inputShape, 10, size, options.tokens);
  const lr = tf.scalar(LEARNING_RATE);
  const time = (step: () => void) => secondsPerCall(step, options.seconds, options.minimum, options.warmup);
  report({ model: name, backend, method: options.label ?? "hand-written backward + SGD", seconds: time(handStep(model, x, labels, lr)), batch: size });
  if (options.flags) {
    const flat = tf.reshape(x, [size, -1]) as tf.Tensor2D;
    report({ model: name, backend, method: "hand-written, matMul transpose flags", seconds: time(mlpFlagStep(model, flat, labels, lr)), batch: size });
    flat.dispose();
  }
  if (options.autodiff) {
    const logits = options.autodiff;
    const loss = () => tf.losses.softmaxCrossEntropy(labels, logits(model.parameters as tf.Variable[], x)) as tf.Scalar;
    report({ model: name, backend, method: "tfjs autodiff (optimizer.minimize)", seconds: time(minimizeStep(model.parameters as tf.Variable[], loss)), batch: size });
  }
  tf.dispose([x, labels, lr]);
  model.dispose();
}

/** Conv2DBackpropFilter / Conv2DBackpropInput on wasm, each way, for the small CNN's two layers. */
async function kernelRows(): Promise<void> {
  await selectBackend("wasm");
  const layers = [
    { name: "28×28, 1→16, 3×3", input: [32, 28, 28, 1], filter: [3, 3, 1, 16] },
    { name: "14×14, 16→32, 3×3", input: [32, 14, 14, 16], filter: [3, 3, 16, 32] },
  ];
  console.log(`\nwasm's missing Conv2DBackpropFilter, filled three ways (batch 32, ms per call):`);
  for (const layer of layers) {
    const x = tf.tensor(values(layer.input.reduce((a, b) => a * b), 2), layer.input);
    const dy = tf.tensor(values(layer.input.slice(0, 3).reduce((a, b) => a * b) * layer.filter[3]!, 3), [...layer.input.slice(0, 3), layer.filter[3]!]);
    const line: string[] = [];
    for (const method of ["convolution", "im2col", "cpu"] as FilterGradientMethod[]) {
      registerWasmGradientKernels({ filterGradient: method });
      const seconds = secondsPerCall(
        () => tf.dispose(tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, { strides: 1, pad: "same", dataFormat: "NHWC", filterShape: layer.filter })),
        method === "cpu" ? 0 : 0.5,
        method === "cpu" ? 1 : 3,
        method === "cpu" ? 0 : 2,
      );
      line.push(`${method} ${(seconds * 1000).toFixed(1)}`);
    }
    console.log(`  ${layer.name.padEnd(20)} ${line.join("   ")}`);
    const filter = tf.tensor(values(layer.filter.reduce((a, b) => a * b), 4), layer.filter);
    const inputLine: string[] = [];
    for (const method of ["convolution", "native"] as InputGradientMethod[]) {
      registerWasmGradientKernels({ inputGradient: method });
      const seconds = secondsPerCall(
        () => tf.dispose(tf.engine().runKernel("Conv2DBackpropInput", { dy, filter }, { strides: 1, pad: "same", dataFormat: "NHWC", inputShape: layer.input })),
        0.5,
      );
      inputLine.push(`${method} ${(seconds * 1000).toFixed(1)}`);
    }
    console.log(`  ${"".padEnd(20)} Conv2DBackpropInput: ${inputLine.join("   ")}`);
    tf.dispose([x, dy, filter]);
  }
  console.log(`\nMaxPoolGrad on wasm, 2×2 windows after a ReLU, batch 128 (ms per call):`);
  for (const shape of [
    [128, 28, 28, 16],
    [128, 14, 14, 32],
  ]) {
    const input = tf.tidy(() => tf.relu(tf.sub(tf.tensor(values(shape.reduce((a, b) => a * b), 5), shape), 0.5)));
    const output = tf.maxPool(input as tf.Tensor4D, 2, 2, "valid");
    const dy = tf.onesLike(output);
    const line: string[] = [];
    for (const which of ["JavaScript (registered)", "wasm's own"]) {
      if (which === "wasm's own") unregisterWasmGradientKernels();
      const seconds = secondsPerCall(() => tf.dispose(tf.engine().runKernel("MaxPoolGrad", { dy, input, output }, { filterSize: 2, strides: 2, pad: "valid" })), 0.5);
      line.push(`${which} ${(seconds * 1000).toFixed(1)}`);
      registerWasmGradientKernels();
    }
    console.log(`  ${shape.slice(1).join("×").padEnd(20)} ${line.join("   ")}`);
    tf.dispose([input, output, dy]);
  }
}

/** Whether wasm's threaded build loads in Node when forced (in a child: a failed init is sticky). */
function threadCheck(): string {
  const script = `
    import * as tf from "@tensorflow/tfjs-core";
    import * as wasm from "@tensorflow/tfjs-backend-wasm";
    const warn = console.warn; let reason = "";
    console.warn = (...a) => { reason += a.map(String).join(" ").split("\\n")[0] + " "; };
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
    wasm.setThreadsCount(2);
    const ok = await tf.setBackend("wasm").catch(() => false);
    console.warn = warn;
    console.log(ok ? "loaded, threads = " + wasm.getThreadsCount() : "does not load: " + reason.trim().slice(0, 200));
    process.exit(0);`;
  try {
    return execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 30_000, stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch (error) {
    return `check failed: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`;
  }
}

async function main(): Promise<void> {
  const auto = await selectBackend("auto");
  console.log(`optspec tasks bench on ${availableParallelism()} cores, Node ${process.version}, tfjs-core ${tf.version_core}`);
  console.log(`auto backend: ${auto.detail}`);
  console.log(`wasm threaded build, forced in Node: ${threadCheck()}\n`);
  console.log(`One training step (loss, gradients, SGD update in one tidy), batch ${BATCH} unless noted:`);
  console.log(`  ${"model".padEnd(30)} ${"".padEnd(5)} ${"method".padEnd(44)} ${"per step".padStart(12)} ${"".padStart(8)}`);
  console.log(`  (bag_of_embeddings: 64 tokens per sample from a 20,000-word vocabulary)`);

  const mlp: ModelSpec = { kind: "mlp", hidden: [256] };
  await modelRows("mlp 784-256-10", mlp, [784], "wasm", { seconds: 3, flags: true, autodiff: mlpLogits });
  await modelRows("mlp 784-256-10", mlp, [784], "cpu", { seconds: 3, autodiff: mlpLogits });

  const cnn: ModelSpec = { kind: "cnn", channels: [16, 32], kernel: 3, dense: [128] };
  const cnnAutodiff = (variables: tf.Variable[], x: tf.Tensor) => cnnLogits(2, variables, x, [28, 28, 1]);
  await modelRows("cnn [16,32] k3 [128] 28×28×1", cnn, [28, 28, 1], "wasm", { seconds: 4, autodiff: cnnAutodiff });
  // cpu's own Conv2DBackpropFilter takes seconds per call (see below), so autodiff is left out there.
  await modelRows("cnn [16,32] k3 [128] 28×28×1", cnn, [28, 28, 1], "cpu", { seconds: 0, minimum: 2, warmup: 1 });

  await modelRows("bag_of_embeddings 64 [64], 64 tok", { kind: "bag_of_embeddings", dimension: 64, hidden: [64] }, [64], "wasm", { seconds: 3, tokens: 20_000 });
  await modelRows("resnet(8) 32×32×3, batch 32", { kind: "resnet", depth: 8 }, [32, 32, 3], "wasm", { seconds: 4, minimum: 2, size: 32, label: "its step: tfjs autodiff (variableGrads) + SGD" });

  await kernelRows();

  const rate = (model: string, backend: string, method: string) => {
    const row = rows.find((r) => r.model.startsWith(model) && r.backend === backend && r.method.startsWith(method));
    return row ? row.batch / row.seconds : NaN;
  };
  console.log(`\nRatios (this run):`);
  console.log(`  mlp wasm: hand-written / optimizer.minimize        ${(rate("mlp", "wasm", "hand-written backward") / rate("mlp", "wasm", "tfjs autodiff")).toFixed(1)}x`);
  console.log(`  mlp wasm: explicit transpose / transpose flags     ${(rate("mlp", "wasm", "hand-written backward") / rate("mlp", "wasm", "hand-written, matMul")).toFixed(1)}x`);
  console.log(`  mlp hand-written: wasm / cpu                       ${(rate("mlp", "wasm", "hand-written backward") / rate("mlp", "cpu", "hand-written backward")).toFixed(1)}x`);
  console.log(`  cnn wasm: hand-written / optimizer.minimize        ${(rate("cnn", "wasm", "hand-written backward") / rate("cnn", "wasm", "tfjs autodiff")).toFixed(1)}x`);
  console.log(`  cnn hand-written: wasm / cpu                       ${(rate("cnn", "wasm", "hand-written backward") / rate("cnn", "cpu", "hand-written backward")).toFixed(1)}x`);
  const target = rate("mlp", "wasm", "hand-written backward");
  console.log(`  target ≥ 10,000 samples/s for the MLP on wasm, one thread: ${target >= 10_000 ? "met" : "NOT met"} (${target.toFixed(0)})`);
  studyWallTime();
}

/** The paper's MNIST study end to end, process start included (the CLI built by `npm run bench`): one thread, then the default task workers. */
function studyWallTime(): void {
  console.log("\nspecs/paper/tasks.optspec end to end (6 optimizers x 5 trajectories, MNIST MLP):");
  for (const [label, flags] of [["--workers 0", ["--workers", "0"]], ["default workers", []]] as const) {
    const started = performance.now();
    try {
      execFileSync(process.execPath, ["dist/optc.js", "run", "specs/paper/tasks.optspec", "--quiet", "--no-report", ...flags], { stdio: "ignore", timeout: 30 * 60_000 });
      console.log(`  ${label.padEnd(16)} ${((performance.now() - started) / 1000).toFixed(1)} s`);
    } catch (error) {
      console.log(`  ${label.padEnd(16)} failed: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
    }
  }
}

await main();
