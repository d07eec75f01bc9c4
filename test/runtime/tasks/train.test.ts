// The trainer against independent oracles: each step of each optimizer kind recomputed by
// hand (plain double arithmetic here, or a second NoiseStream with the same key) on tiny
// models with hand-written backward passes; budgets, snapshots, determinism, divergence and
// the tensor count along hundreds of steps.
import { createRequire } from "node:module";
import { dirname } from "node:path";
import erfc from "@stdlib/math-base-special-erfc";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkExperiments } from "../../../compiler/check/rules/experiments.js";
import { checkLandscapes } from "../../../compiler/check/rules/landscapes.js";
import { checkOptimizers } from "../../../compiler/check/rules/optimizers.js";
import type { Diagnostic } from "../../../compiler/diagnostics/diagnostic.js";
import type { OptimizerIR, Step } from "../../../compiler/lower/ir.js";
import { loadSpec } from "../../../compiler/resolve/load.js";
import { buildSymbolTable } from "../../../compiler/resolve/symbols.js";
import { memoryHost } from "../../../compiler/source.js";
import { uniform } from "../../../runtime/rng.js";
import { BatchOrder, derivedDataKey, evaluationIndices, type HostTrainingData, type TrainingData } from "../../../runtime/tasks/train-batches.js";
import { NoiseStream } from "../../../runtime/tasks/train-noise.js";
import { moduleAvailable, noiseModule, standardNormals, useEmulation } from "../../../runtime/tasks/train-noise-wasm.js";
import { trainTrajectory, type TrainOptions, type TrajectoryResult } from "../../../runtime/tasks/train.js";
import type { Snapshot, TrainableModel } from "../../../runtime/tasks/types.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
  await tf.ready();
});

// ---------------------------------------------------------------------------------------------
// Optimizers: the standard library lowered by the compiler, and IR written by hand.

const PATH = "/virtual/train.optspec";

/** The step IR of the optimizers `run` lists (std library and `extra` declarations). */
function lower(run: string, extra = ""): Map<string, OptimizerIR> {
  const text = `import "std/landscapes"\nimport "std/optimizers"\n${extra}\nexperiment E {\n on Himmelblau\n run ${run}\n restarts 1\n budget 10 gradients\n seed 1\n}`;
  const loaded = loadSpec(PATH, memoryHost({ [PATH]: text }));
  const diagnostics: Diagnostic[] = [...loaded.diagnostics];
  const ctx = { files: loaded.files, symbols: buildSymbolTable(loaded.files, diagnostics), diagnostics };
  checkLandscapes(ctx);
  checkOptimizers(ctx);
  const experiment = checkExperiments(ctx).find((e) => e.name === "E");
  const errors = diagnostics.filter((d) => d.severity === "error");
  if (!experiment || errors.length) throw new Error(errors.map((d) => d.message).join("\n"));
  return new Map(experiment.optimizers.map((o) => [o.name, o]));
}

function optimizer(run: string, extra = ""): OptimizerIR {
  return [...lower(run, extra).values()][0]!;
}

const STD = ["GD", "NiG_GD", "NiM_GD", "SAM", "NiG_BH", "NiM_BH", "NiG_MBH", "NiM_MBH"];
/** The standard optimizers with hyperparameters that make things happen on a dozen samples. */
const STD_RUN = "GD(lr = 0.5), NiG_GD(lr = 0.1, rho = 1), NiM_GD(lr = 0.5, rho = 0.5, eps = 0.5, tau = 5), SAM(lr = 0.5, rho = 0.05), NiG_BH(lr = 0.5, rho = 1, tau = 6, eps = 0.05), NiM_BH(lr = 0.5, rho = 1, tau = 6, eps = 0.05), NiG_MBH(lr = 0.5, rho = 1, tau = 6, eps = 0.05), NiM_MBH(lr = 0.5, rho = 1, tau = 6, eps = 0.05)";

const sgd = { kind: "sgd" } as const;

function handmade(loop: readonly Step[], start: readonly Step[] = [], slots = 1): OptimizerIR {
  return { name: "Handmade", declaration: "Handmade", params: {}, start, loop, slots };
}

// ---------------------------------------------------------------------------------------------
// Data and models.

const FEATURES = 3;
const CLASSES = 3;
const COUNT = 12;
/** Twelve samples, three features, classes 0, 1, 2 in turn. */
const X: number[][] = Array.from({ length: COUNT }, (_, i) => [Math.sin(i + 1), Math.cos(2 * i + 1), (i % 4) / 3 - 0.5]);
const Y: number[] = Array.from({ length: COUNT }, (_, i) => i % CLASSES);

function trainingData(): TrainingData {
  return {
    x: tf.tensor2d(X),
    labels: tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(Y, "int32"), CLASSES), "float32")) as tf.Tensor2D,
    count: COUNT,
  };
}

const W0 = [0.1, -0.2, 0.05, 0.3, 0.0, -0.1, -0.25, 0.15, 0.2];
const B0 = [0.05, -0.05, 0.0];

/** Softmax regression x W + b (W: features × classes), mean cross-entropy, backward by hand. */
function softmaxRegression(w0: readonly number[] = W0, b0: readonly number[] = B0): TrainableModel {
  // Inside a tidy, so the initial values' tensors are disposed (variables are kept).
  const [W, b] = tf.tidy(() => [tf.variable(tf.tensor2d(w0 as number[], [FEATURES, CLASSES])), tf.variable(tf.tensor1d(b0 as number[]))]);
  const logits = (x: tf.Tensor) => tf.add(tf.matMul(x as tf.Tensor2D, W), b) as tf.Tensor2D;
  return {
    parameters: [W, b],
    logits: (x) => tf.tidy(() => logits(x)),
    lossAndGradients(x, labels) {
      return tf.tidy(() => {
        const n = x.shape[0]!;
        const logProbabilities = tf.logSoftmax(logits(x));
        const loss = tf.div(tf.neg(tf.sum(tf.mul(labels, logProbabilities))), n) as tf.Scalar;
        const dz = tf.div(tf.sub(tf.exp(logProbabilities), labels), n);
        return { loss, gradients: [tf.matMul(x as tf.Tensor2D, dz as tf.Tensor2D, true, false), tf.sum(dz, 0)] };
      });
    },
    dispose: () => tf.dispose([W, b]),
  };
}

/** The same model in double arithmetic on chosen rows: loss and gradient (W row-major, then b). */
function referenceGradient(w: readonly number[], b: readonly number[], rows: readonly number[]): { loss: number; gW: number[]; gb: number[] } {
  const gW = new Array(FEATURES * CLASSES).fill(0);
  const gb = new Array(CLASSES).fill(0);
  let loss = 0;
  for (const r of rows) {
    const z = Array.from({ length: CLASSES }, (_, k) => b[k]! + X[r]!.reduce((s, xi, i) => s + xi * w[i * CLASSES + k]!, 0));
    const top = Math.max(...z);
    const sum = z.reduce((s, zk) => s + Math.exp(zk - top), 0);
    const p = z.map((zk) => Math.exp(zk - top) / sum);
    loss -= Math.log(p[Y[r]!]!);
    for (let k = 0; k < CLASSES; k++) {
      const dz = (p[k]! - (k === Y[r] ? 1 : 0)) / rows.length;
      gb[k] += dz;
      for (let i = 0; i < FEATURES; i++) gW[i * CLASSES + k] += X[r]![i]! * dz;
    }
  }
  return { loss: loss / rows.length, gW, gb };
}

/**
 * A model whose loss is sum |w|^2 / 2 over parameter tensors of sizes 1, 2, 3 and 10, whatever
 * the data: g = w, so `descend 1` of g + zeta leaves w = -zeta, exposing each noise draw.
 */
function bowl(shapes: readonly number[][] = [[1], [2], [3], [5, 2]], start = 0.5): TrainableModel {
  const parameters = tf.tidy(() => shapes.map((s) => tf.variable(tf.fill(s, start))));
  return {
    parameters,
    logits: (x) => tf.zeros([x.shape[0]!, CLASSES]) as tf.Tensor2D,
    lossAndGradients() {
      return tf.tidy(() => ({
        loss: tf.div(tf.addN(parameters.map((p) => tf.sum(tf.square(p)))), 2) as tf.Scalar,
        gradients: parameters.map((p) => tf.clone(p)),
      }));
    },
    dispose: () => tf.dispose(parameters),
  };
}

/** A model with zero gradients everywhere (|g| = 0), with the bowl's parameter shapes. */
function flat(): TrainableModel {
  const model = bowl();
  return {
    ...model,
    lossAndGradients: () => tf.tidy(() => ({ loss: tf.scalar(0), gradients: model.parameters.map((p) => tf.zerosLike(p)) })),
  };
}

/** Wraps a model to record what each gradient evaluation saw: its batch rows and the weights. */
function recording(model: TrainableModel): TrainableModel & { calls: { x: number[][]; weights: number[][] }[] } {
  const calls: { x: number[][]; weights: number[][] }[] = [];
  return {
    ...model,
    calls,
    lossAndGradients(x, labels) {
      calls.push({ x: x.arraySync() as number[][], weights: model.parameters.map((p) => Array.from(p.dataSync())) });
      return model.lossAndGradients(x, labels);
    },
  };
}

function weights(model: TrainableModel): number[][] {
  return model.parameters.map((p) => Array.from(p.dataSync()));
}

const KEY: [number, number] = [0x12345678, 0x9abcdef0];
const accuracyOf = (model: TrainableModel) =>
  tf.tidy(() => {
    const predicted = tf.argMax(model.logits(tf.tensor2d(X)), 1).dataSync();
    return Y.filter((y, i) => predicted[i] === y).length / COUNT;
  });

/** Trains `model` (disposing the data after); options default to full-batch and no snapshots. */
function train(model: TrainableModel, ir: OptimizerIR, options: Partial<TrainOptions> = {}): TrajectoryResult {
  const data = trainingData();
  try {
    return trainTrajectory({ model, optimizer: ir, data, batch: COUNT, budget: { gradients: 10, iterations: null }, key: KEY, metric: accuracyOf, ...options });
  } finally {
    tf.dispose([data.x, data.labels]);
  }
}

function withModel<T>(make: () => TrainableModel, run: (model: TrainableModel) => T): T {
  const model = make();
  try {
    return run(model);
  } finally {
    model.dispose();
  }
}

const ALL_ROWS = Array.from({ length: COUNT }, (_, i) => i);

// ---------------------------------------------------------------------------------------------

describe("batches", () => {
  it("cut each epoch's own permutation into ceil(count / batch) batches, the last one shorter", () => {
    const order = new BatchOrder(COUNT, 5, KEY);
    expect(order.perEpoch).toBe(3);
    const epochs = [0, 1, 2].map((e) => [0, 1, 2].map((b) => Array.from(order.indices(3 * e + b))));
    for (const epoch of epochs) {
      expect(epoch.map((b) => b.length)).toEqual([5, 5, 2]);
      expect(epoch.flat().sort((a, b) => a - b)).toEqual(ALL_ROWS);
    }
    expect(epochs[1]).not.toEqual(epochs[0]);
    // Pure functions of the key: asked again, out of order, the same.
    expect(Array.from(new BatchOrder(COUNT, 5, KEY).indices(4))).toEqual(epochs[1]![1]);
  });

  it("take the evaluation subset as the first samples of a keyed permutation", () => {
    const subset = Array.from(evaluationIndices(1000, 100, KEY));
    expect(new Set(subset).size).toBe(100);
    expect(subset.every((i) => i >= 0 && i < 1000)).toBe(true);
    expect(Array.from(evaluationIndices(1000, 100, KEY))).toEqual(subset);
    expect(Array.from(evaluationIndices(1000, 100, [1, 2]))).not.toEqual(subset);
    expect(Array.from(evaluationIndices(5, 5, KEY)).sort()).toEqual([0, 1, 2, 3, 4]);
  });
});

describe("noise", () => {
  const standardNormalCdf = (x: number) => 0.5 * erfc(-x / Math.SQRT2);

  it("draws standard normals (Box-Muller): Kolmogorov-Smirnov, moments and tails", () => {
    const n = 200_000;
    const values = new Float32Array(n);
    const stream = new NoiseStream([7, 11]);
    const squares = stream.normals(values);
    expect(Math.abs(squares / values.reduce((s, v) => s + v * v, 0) - 1)).toBeLessThan(1e-6);
    const sorted = Float64Array.from(values).sort();
    let ks = 0;
    sorted.forEach((v, i) => {
      const cdf = standardNormalCdf(v);
      ks = Math.max(ks, Math.abs(cdf - i / n), Math.abs((i + 1) / n - cdf));
    });
    // The 0.1% critical value of the KS statistic is 1.95 / sqrt(n).
    expect(ks).toBeLessThan(1.95 / Math.sqrt(n));
    const mean = values.reduce((s, v) => s + v, 0) / n;
    const m2 = squares / n;
    const m4 = values.reduce((s, v) => s + v ** 4, 0) / n;
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(m2 - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    expect(Math.abs(m4 - 3)).toBeLessThan(5 * Math.sqrt(96 / n));
    // The tails: P(|x| > 3) = 0.0027.
    const tail = values.filter((v) => Math.abs(v) > 3).length / n;
    const expected = 2 * standardNormalCdf(-3);
    expect(Math.abs(tail - expected)).toBeLessThan(5 * Math.sqrt(expected / n));
    expect(values.reduce((m, v) => Math.max(m, Math.abs(v)), 0)).toBeGreaterThan(4);
  });

  it("comes from a WebAssembly module that wabt assembles from its text to the same bytes", async () => {
    const { bytes, text } = noiseModule();
    const wabt = await (await import("wabt")).default();
    const parsed = wabt.parseWat("noise.wat", text, { simd: true });
    try {
      parsed.validate();
      expect(Array.from(new Uint8Array(parsed.toBinary({}).buffer))).toEqual(Array.from(bytes));
    } finally {
      parsed.destroy();
    }
    expect(moduleAvailable()).toBe(true);
  });

  it("gives the same bits from the module and from its JavaScript emulation, at every length", () => {
    const lengths = [...Array.from({ length: 70 }, (_, i) => i), 255, 256, 257, 1000, 20_000 + 3];
    for (const length of lengths) {
      const key = [length * 7919, -length] as const;
      const fromModule = standardNormals(length, key[0], key[1]);
      const values = Float32Array.from(fromModule.values);
      useEmulation(true);
      try {
        const emulated = standardNormals(length, key[0], key[1]);
        expect(Float32Array.from(emulated.values), `length ${length}`).toEqual(values);
        expect(emulated.squares, `length ${length}`).toBe(fromModule.squares);
      } finally {
        useEmulation(false);
      }
      // The sum of squares is that of the values, up to float32 rounding.
      const squares = values.reduce((sum, v) => sum + v * v, 0);
      expect(Math.abs(fromModule.squares - squares)).toBeLessThanOrEqual(1e-6 * squares + 1e-30);
    }
  });

  it("is a pure function of the key and the counter; uniform draws are the project's generator", () => {
    const a = new NoiseStream(KEY);
    const b = new NoiseStream(KEY);
    const x = new Float32Array(1000);
    const y = new Float32Array(1000);
    a.draw("ball", 1, x);
    b.draw("ball", 1, y);
    expect(y).toEqual(x);
    a.draw("ball", 1, x);
    expect(x).not.toEqual(y);
    const c = new NoiseStream(KEY);
    expect([c.uniform(), c.uniform()]).toEqual([uniform(KEY[0], KEY[1], 0), uniform(KEY[0], KEY[1], 1)]);
  });

  it("scales each family: ball inside the radius, sphere on it, gaussian with variance scale^2", () => {
    const stream = new NoiseStream([3, 4]);
    const z = new Float32Array(50);
    for (let i = 0; i < 200; i++) {
      stream.draw("ball", 2, z);
      expect(Math.hypot(...z)).toBeLessThanOrEqual(2 * (1 + 1e-6));
      stream.draw("sphere", 0.5, z);
      expect(Math.hypot(...z)).toBeCloseTo(0.5, 6);
    }
    const big = new Float32Array(100_000);
    stream.draw("gaussian", 3, big);
    expect(Math.abs(big.reduce((s, v) => s + v * v, 0) / big.length / 9 - 1)).toBeLessThan(5 * Math.sqrt(2 / big.length));
    // In d dimensions the ball's radius is r U^(1/d): in 1-D uniform on [-r, r].
    const one = new Float32Array(1);
    const draws = Array.from({ length: 4000 }, () => (stream.draw("ball", 1, one), one[0]!));
    expect(draws.filter((v) => Math.abs(v) < 0.5).length / 4000).toBeGreaterThan(0.5 - 5 * Math.sqrt(0.25 / 4000));
    expect(draws.filter((v) => Math.abs(v) < 0.5).length / 4000).toBeLessThan(0.5 + 5 * Math.sqrt(0.25 / 4000));
  });
});

describe("gradient descent", () => {
  it("one full-batch step is w - lr g", () => {
    const after = withModel(softmaxRegression, (model) => {
      const result = train(model, optimizer("GD(lr = 0.5)"), { budget: { gradients: 1, iterations: null } });
      expect(result).toMatchObject({ gradientEvaluations: 1, steps: 1, iterations: 1, diverged: false });
      return weights(model);
    });
    const { gW, gb } = referenceGradient(W0, B0, ALL_ROWS);
    after[0]!.forEach((v, i) => expect(v).toBeCloseTo(W0[i]! - 0.5 * gW[i]!, 6));
    after[1]!.forEach((v, k) => expect(v).toBeCloseTo(B0[k]! - 0.5 * gb[k]!, 6));
  });

  it("on minibatches, update t uses batch t of the keyed order; an epoch covers every sample once", () => {
    const batch = 5;
    const steps = 7;
    const order = new BatchOrder(COUNT, batch, derivedDataKey(KEY));
    let w = [...W0];
    let b = [...B0];
    for (let t = 0; t < steps; t++) {
      const { gW, gb } = referenceGradient(w, b, Array.from(order.indices(t)));
      w = w.map((v, i) => v - 0.5 * gW[i]!);
      b = b.map((v, k) => v - 0.5 * gb[k]!);
    }
    withModel(
      () => recording(softmaxRegression()),
      (model) => {
        train(model, optimizer("GD(lr = 0.5)"), { batch, budget: { gradients: steps, iterations: null } });
        const seen = (model as ReturnType<typeof recording>).calls.map((c) => c.x);
        seen.forEach((rows, t) => expect(rows).toEqual(Array.from(order.indices(t)).map((r) => X[r]!.map(Math.fround))));
        const [W, B] = weights(model);
        W!.forEach((v, i) => expect(v).toBeCloseTo(w[i]!, 5));
        B!.forEach((v, k) => expect(v).toBeCloseTo(b[k]!, 5));
      },
    );
  });

  it("runs an iteration budget as loop passes", () => {
    withModel(softmaxRegression, (model) => {
      expect(train(model, optimizer("GD"), { budget: { gradients: null, iterations: 7 } })).toMatchObject({ gradientEvaluations: 7, steps: 7, iterations: 7 });
    });
    withModel(softmaxRegression, (model) => {
      // Both limits: the first reached stops.
      expect(train(model, optimizer("SAM"), { budget: { gradients: 9, iterations: 100 } })).toMatchObject({ gradientEvaluations: 9, steps: 4, iterations: 4 });
    });
  });
});

describe("momentum and Adam", () => {
  it("follow m = beta m + g (nesterov: g + beta m) and Adam's bias-corrected moments", () => {
    const cases: [Extract<Step, { op: "descend" }>["method"], (g: number, state: number[]) => number][] = [
      [{ kind: "momentum", beta: 0.9, nesterov: false }, (g, s) => ((s[0] = 0.9 * (s[0] ?? 0) + g), s[0])],
      [{ kind: "momentum", beta: 0.5, nesterov: true }, (g, s) => ((s[0] = 0.5 * (s[0] ?? 0) + g), g + 0.5 * s[0])],
      [
        { kind: "adam", beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
        (g, s) => {
          const n = (s[2] = (s[2] ?? 0) + 1);
          s[0] = 0.9 * (s[0] ?? 0) + 0.1 * g;
          s[1] = 0.999 * (s[1] ?? 0) + 0.001 * g * g;
          return s[0] / (1 - 0.9 ** n) / (Math.sqrt(s[1] / (1 - 0.999 ** n)) + 1e-8);
        },
      ],
    ];
    for (const [method, direction] of cases) {
      const end = withModel(
        () => bowl([[1]], 1),
        (model) => {
          train(model, handmade([{ op: "descend", rate: 0.1, method, slot: 0 }]), { budget: { gradients: 12, iterations: null } });
          return weights(model)[0]![0]!;
        },
      );
      let w = 1;
      const state: number[] = [];
      for (let t = 0; t < 12; t++) w -= 0.1 * direction(w, state);
      expect(end, method.kind).toBeCloseTo(w, 5);
    }
  });
});

describe("noise in the gradient (NiG)", () => {
  it("adds the drawn noise: w - lr (g + zeta), one draw per parameter tensor from the trajectory's stream", () => {
    withModel(bowl, (model) => {
      const before = weights(model);
      train(model, optimizer("NiG_GD(lr = 0.25, rho = 2)"), { budget: { gradients: 1, iterations: null } });
      const replay = new NoiseStream(KEY);
      weights(model).forEach((w, i) => {
        const zeta = new Float32Array(w.length);
        replay.draw("ball", 2, zeta);
        w.forEach((v, j) => expect(v).toBeCloseTo(before[i]![j]! - 0.25 * (before[i]![j]! + zeta[j]!), 6));
      });
    });
  });

  it("draws uniformly in the ball of each tensor's dimension: |zeta| <= rho, E|zeta|^2 = rho^2 d/(d+2), mean 0", () => {
    const draws = 2000;
    const zetas: number[][][] = [];
    withModel(bowl, (model) => {
      // g = w and lr = 1 leave w = -zeta after each step.
      train(model, optimizer("NiG_GD(lr = 1, rho = 2)"), {
        budget: { gradients: draws, iterations: null },
        snapshot: { every: 1, unit: "steps" },
        onSnapshot: (_, m) => zetas.push(weights(m).map((w) => w.map((v) => -v))),
      });
    });
    expect(zetas.length).toBe(draws);
    [1, 2, 3, 10].forEach((d, tensor) => {
      const zs = zetas.map((z) => z[tensor]!);
      const norms = zs.map((z) => Math.hypot(...z));
      expect(Math.max(...norms)).toBeLessThanOrEqual(2 * (1 + 1e-5));
      const expected = (4 * d) / (d + 2);
      const sd = Math.sqrt((16 * d) / (d + 4) - expected ** 2);
      const meanSquare = norms.reduce((s, r) => s + r * r, 0) / draws;
      expect(Math.abs(meanSquare - expected), `d = ${d}`).toBeLessThan((5 * sd) / Math.sqrt(draws));
      for (let j = 0; j < d; j++) expect(Math.abs(zs.reduce((s, z) => s + z[j]!, 0) / draws)).toBeLessThan((5 * 2) / Math.sqrt(draws));
      if (d === 2) {
        // Uniform in the disk: P(|zeta| < rho / 2) = 1/4.
        const inner = norms.filter((r) => r < 1).length / draws;
        expect(Math.abs(inner - 0.25)).toBeLessThan(5 * Math.sqrt(0.1875 / draws));
      }
    });
  });
});

describe("noise in the model (NiM)", () => {
  const nim = () => optimizer("NiM_GD(lr = 1, rho = 0.5, eps = 1, tau = 3)");

  it("perturbs only when |g| < eps and t > tau, then spends the gradient at the new point", () => {
    withModel(
      () => recording(flat()),
      (model) => {
        const result = train(model, nim(), { budget: { gradients: 10, iterations: null } });
        // t = 0..3 cost one gradient each; from t = 4 on a perturbation and a second gradient.
        expect(result).toMatchObject({ gradientEvaluations: 10, steps: 7 });
        const calls = (model as ReturnType<typeof recording>).calls.map((c) => c.weights);
        const start = calls[0]!;
        for (let i = 1; i <= 4; i++) expect(calls[i]).toEqual(start);
        expect(calls[5]).not.toEqual(start);
        // Each perturbation is one ball draw per tensor, from the stream in order.
        const replay = new NoiseStream(KEY);
        const moved = calls[5]!.map((w, i) => {
          const zeta = new Float32Array(w.length);
          replay.draw("ball", 0.5, zeta);
          return w.map((v, j) => v - start[i]![j]! - zeta[j]!);
        });
        for (const difference of moved.flat()) expect(Math.abs(difference)).toBeLessThan(1e-6);
      },
    );
  });

  it("stops unperturbed when the triggering gradient was the budget's last", () => {
    withModel(flat, (model) => {
      const before = weights(model);
      expect(train(model, nim(), { budget: { gradients: 5, iterations: null } })).toMatchObject({ gradientEvaluations: 5, steps: 4 });
      expect(weights(model)).toEqual(before);
    });
  });

  it("never perturbs where the gradient is steep: then it is gradient descent, bit for bit", () => {
    const steep = optimizer("NiM_GD(lr = 0.5, rho = 0.5, eps = 1e-6, tau = 0)");
    const a = withModel(softmaxRegression, (m) => (train(m, steep, { batch: 5, budget: { gradients: 20, iterations: null } }), weights(m)));
    const b = withModel(softmaxRegression, (m) => (train(m, optimizer("GD(lr = 0.5)"), { batch: 5, budget: { gradients: 20, iterations: null } }), weights(m)));
    expect(a).toEqual(b);
  });
});

describe("sharpness-aware minimization", () => {
  it("spends two gradients per step: the update uses the gradient at w + rho g/|g|, applied at w", () => {
    const after = withModel(softmaxRegression, (model) => {
      expect(train(model, optimizer("SAM(lr = 0.5, rho = 0.3)"), { budget: { gradients: 2, iterations: null } })).toMatchObject({ gradientEvaluations: 2, steps: 1 });
      return weights(model);
    });
    const first = referenceGradient(W0, B0, ALL_ROWS);
    const norm = Math.hypot(...first.gW, ...first.gb);
    const shiftedW = W0.map((v, i) => v + (0.3 * first.gW[i]!) / norm);
    const shiftedB = B0.map((v, k) => v + (0.3 * first.gb[k]!) / norm);
    const second = referenceGradient(shiftedW, shiftedB, ALL_ROWS);
    after[0]!.forEach((v, i) => expect(v).toBeCloseTo(W0[i]! - 0.5 * second.gW[i]!, 6));
    after[1]!.forEach((v, k) => expect(v).toBeCloseTo(B0[k]! - 0.5 * second.gb[k]!, 6));
  });

  it("restores w exactly: an odd last evaluation is spent without a step and leaves w as it was", () => {
    const initial = withModel(softmaxRegression, weights);
    const one = withModel(softmaxRegression, (m) => (train(m, optimizer("SAM(lr = 0.5, rho = 0.3)"), { budget: { gradients: 1, iterations: null } }), weights(m)));
    expect(one).toEqual(initial);
    const two = withModel(softmaxRegression, (m) => (train(m, optimizer("SAM(lr = 0.5, rho = 0.3)"), { batch: 5, budget: { gradients: 4, iterations: null } }), weights(m)));
    const three = withModel(softmaxRegression, (m) => (train(m, optimizer("SAM(lr = 0.5, rho = 0.3)"), { batch: 5, budget: { gradients: 5, iterations: null } }), weights(m)));
    expect(three).toEqual(two);
  });

  it("takes both gradients of a step on the same batch, and the next step on the next batch", () => {
    withModel(
      () => recording(softmaxRegression()),
      (model) => {
        train(model, optimizer("SAM"), { batch: 5, budget: { gradients: 8, iterations: null } });
        const order = new BatchOrder(COUNT, 5, derivedDataKey(KEY));
        const calls = (model as ReturnType<typeof recording>).calls;
        calls.forEach((call, k) => expect(call.x).toEqual(Array.from(order.indices(Math.floor(k / 2))).map((r) => X[r]!.map(Math.fround))));
        // The ascent gradient is taken at a moved point, the update's point is w.
        expect(calls[1]!.weights).not.toEqual(calls[0]!.weights);
        expect(calls[2]!.weights).not.toEqual(calls[0]!.weights);
      },
    );
  });

  it("stays put where the gradient vanishes instead of dividing by zero", () => {
    withModel(flat, (model) => {
      const before = weights(model);
      train(model, optimizer("SAM"), { budget: { gradients: 6, iterations: null } });
      expect(weights(model)).toEqual(before);
    });
  });

  it("an unnormalized ascent takes the gradient at w + rho g", () => {
    withModel(
      () => bowl([[1]], 1),
      (model) => {
        train(model, handmade([{ op: "ascend", radius: 0.5, normalized: false }, { op: "descend", rate: 0.1, method: sgd, slot: 0 }]), { budget: { gradients: 2, iterations: null } });
        // g = w: the gradient at w + 0.5 w is 1.5 w.
        expect(weights(model)[0]![0]).toBeCloseTo(1 - 0.1 * 1.5, 6);
      },
    );
  });
});

describe("local search and basin hopping", () => {
  it("a local search stops when |g| < eps: one stopped after k steps costs k + 1 gradients", () => {
    const search = optimizer("Search", "optimizer Search { repeat 50 { descend 0.5 } until gradnorm < 0.1 }");
    withModel(
      () => bowl([[1]], 1),
      (model) => {
        // |g| = |w|: 1, .5, .25, .125 pass the test; .0625 stops the search after 4 steps.
        expect(train(model, search, { budget: { gradients: 5, iterations: null } })).toMatchObject({ gradientEvaluations: 5, steps: 4 });
        expect(weights(model)).toEqual([[0.0625]]);
      },
    );
    withModel(
      () => bowl([[1]], 1),
      (model) => {
        // Later passes only check (one gradient each) and never move.
        expect(train(model, search, { budget: { gradients: 9, iterations: null } })).toMatchObject({ gradientEvaluations: 9, steps: 4 });
        expect(weights(model)).toEqual([[0.0625]]);
      },
    );
  });

  it("monotonic basin hopping never raises the evaluation loss of the accepted model", () => {
    for (const name of ["NiG_MBH", "NiM_MBH"]) {
      const ir = optimizer(`${name}(lr = 0.5, rho = 3, tau = 4, eps = 0.05)`);
      withModel(softmaxRegression, (model) => {
        const result = train(model, ir, { batch: 5, budget: { gradients: 400, iterations: null }, snapshot: { every: 7, unit: "gradients" } });
        const losses = result.snapshots.map((s) => s.loss);
        for (let i = 1; i < losses.length; i++) expect(losses[i], `${name} snapshot ${i}`).toBeLessThanOrEqual(losses[i - 1]!);
        expect(result.hops).toBeGreaterThan(20);
        expect(result.acceptedHops).toBeGreaterThan(0);
        expect(result.acceptedHops).toBeLessThan(result.hops);
      });
    }
  });

  it("the reported end point of monotonic basin hopping is the accepted one; plain basin hopping accepts every hop", () => {
    withModel(softmaxRegression, (model) => {
      const result = train(model, optimizer("NiM_MBH(lr = 0.5, rho = 3, tau = 4, eps = 0.05)"), { batch: 5, budget: { gradients: 200, iterations: null }, snapshot: { every: 1, unit: "iterations" } });
      const last = result.snapshots.at(-1)!;
      expect(Math.min(...result.snapshots.map((s) => s.loss))).toBe(last.loss);
      // The model handed back stands at the accepted point.
      const data = trainingData();
      const subsetLoss = tf.tidy(() => tf.neg(tf.sum(tf.mul(data.labels, tf.logSoftmax(model.logits(data.x))))).dataSync()[0]! / COUNT);
      tf.dispose([data.x, data.labels]);
      expect(subsetLoss).toBeCloseTo(last.loss, 5);
    });
    withModel(softmaxRegression, (model) => {
      const result = train(model, optimizer("NiM_BH(lr = 0.5, rho = 3, tau = 4, eps = 0.05)"), { batch: 5, budget: { gradients: 200, iterations: null } });
      expect(result.hops).toBeGreaterThan(10);
      expect(result.acceptedHops).toBe(result.hops);
    });
  });

  it("metropolis acceptance draws from the trajectory's stream: reproducible, and it accepts some worse candidates", () => {
    const ir = handmade([
      {
        op: "hop",
        body: [
          { op: "perturb", target: "model", family: "gaussian", scale: 0.5 },
          { op: "repeat", times: 3, body: [{ op: "descend", rate: 0.3, method: sgd, slot: 0 }] },
        ],
        accept: { rule: "metropolis", temperature: 0.05 },
      },
    ]);
    const run = () => withModel(softmaxRegression, (m) => [train(m, ir, { batch: 5, budget: { gradients: 150, iterations: null }, snapshot: { every: 1, unit: "iterations" } }), weights(m)] as const);
    const [first, w1] = run();
    const [second, w2] = run();
    expect(w2).toEqual(w1);
    expect(second).toEqual(first);
    const losses = first.snapshots.map((s) => s.loss);
    expect(losses.some((l, i) => i > 0 && l > losses[i - 1]!)).toBe(true);
    expect(first.acceptedHops).toBeLessThan(first.hops);
  });
});

describe("budgets, determinism and divergence", () => {
  const std = lower(STD_RUN);

  it("every standard optimizer spends exactly its gradient budget", () => {
    for (const budget of [1, 2, 37, 150])
      for (const name of STD)
        withModel(softmaxRegression, (model) => {
          const result = train(model, std.get(name)!, { batch: 5, budget: { gradients: budget, iterations: null } });
          expect(result.gradientEvaluations, `${name} with ${budget}`).toBe(budget);
          expect(result.diverged).toBe(false);
        });
  });

  it("the same key gives bit-identical weights and snapshots; another key another trajectory", () => {
    for (const name of STD) {
      const run = (key: [number, number]) =>
        withModel(softmaxRegression, (m) => {
          const result = train(m, std.get(name)!, { key, batch: 5, budget: { gradients: 60, iterations: null }, snapshot: { every: 10, unit: "gradients" } });
          return { result, weights: weights(m) };
        });
      const a = run(KEY);
      const b = run(KEY);
      expect(b, name).toEqual(a);
      const c = run([1, 2]);
      expect(c.weights, name).not.toEqual(a.weights);
    }
  });

  it("a shared data key gives every optimizer the same batches", () => {
    const dataKey: [number, number] = [5, 6];
    const seen = (name: string) =>
      withModel(
        () => recording(softmaxRegression()),
        (m) => (train(m, std.get(name)!, { key: name === "GD" ? [1, 2] : [3, 4], dataKey, batch: 5, budget: { gradients: 4, iterations: null } }), (m as ReturnType<typeof recording>).calls.map((c) => c.x)),
      );
    expect(seen("NiG_GD")).toEqual(seen("GD"));
  });

  it("trains the same from the loaders' host arrays as from tensors", () => {
    const host: HostTrainingData = { split: { x: Float32Array.from(X.flat()), y: Int32Array.from(Y), count: COUNT }, inputShape: [FEATURES], classes: CLASSES };
    for (const name of ["SAM", "NiM_MBH"]) {
      const fromHost = withModel(softmaxRegression, (m) => {
        const result = trainTrajectory({ model: m, optimizer: std.get(name)!, data: host, batch: 5, budget: { gradients: 40, iterations: null }, snapshot: { every: 10, unit: "gradients" }, key: KEY, metric: accuracyOf });
        return { result, weights: weights(m) };
      });
      const fromTensors = withModel(softmaxRegression, (m) => {
        const result = train(m, std.get(name)!, { batch: 5, budget: { gradients: 40, iterations: null }, snapshot: { every: 10, unit: "gradients" } });
        return { result, weights: weights(m) };
      });
      expect(fromHost, name).toEqual(fromTensors);
    }
  });

  it("stops a diverging trajectory, flags it and keeps the snapshots before", () => {
    withModel(
      () => bowl([[1]], 1),
      (model) => {
        // w <- w - 3 w = -2 w overflows float32 after about 128 steps.
        const result = train(model, optimizer("GD(lr = 3)"), { budget: { gradients: 1000, iterations: null }, snapshot: { every: 10, unit: "steps" } });
        expect(result.diverged).toBe(true);
        expect(result.gradientEvaluations).toBeLessThan(200);
        expect(result.snapshots.length).toBeGreaterThan(5);
        expect(result.snapshots.every((s) => Number.isFinite(s.loss))).toBe(true);
      },
    );
    withModel(softmaxRegression, (model) => {
      const result = train(model, optimizer("SAM(lr = 1e39)"), { budget: { gradients: 100, iterations: null } });
      expect(result.diverged).toBe(true);
      expect(result.snapshots).toEqual([]);
    });
  });

  it("refuses a budget that cannot end and a loop that spends nothing", () => {
    withModel(softmaxRegression, (model) => {
      expect(() => train(model, optimizer("GD"), { budget: { gradients: null, iterations: null } })).toThrow(/budget/);
      expect(() => train(model, handmade([{ op: "perturb", target: "model", family: "ball", scale: 1 }]), { budget: { gradients: 5, iterations: null } })).toThrow(/spent no gradient/);
    });
  });
});

describe("snapshots", () => {
  const shape = (snapshots: readonly Snapshot[]) => snapshots.map((s) => [s.step, s.gradientEvaluations]);

  it("every k gradients, just before the next is spent, and one at the end between two", () => {
    withModel(softmaxRegression, (model) => {
      const result = train(model, optimizer("GD"), { batch: 5, budget: { gradients: 50, iterations: null }, snapshot: { every: 10, unit: "gradients" } });
      expect(shape(result.snapshots)).toEqual([[10, 10], [20, 20], [30, 30], [40, 40], [50, 50]]);
    });
    withModel(softmaxRegression, (model) => {
      const result = train(model, optimizer("SAM"), { batch: 5, budget: { gradients: 55, iterations: null }, snapshot: { every: 10, unit: "gradients", atStart: true } });
      expect(shape(result.snapshots)).toEqual([[0, 0], [5, 10], [10, 20], [15, 30], [20, 40], [25, 50], [27, 55]]);
    });
  });

  it("every k steps (after the update) or every k loop passes; none repeated at an unchanged end", () => {
    withModel(softmaxRegression, (model) => {
      const result = train(model, optimizer("SAM"), { batch: 5, budget: { gradients: 17, iterations: null }, snapshot: { every: 4, unit: "steps" } });
      // The 17th gradient is an ascent that is dropped: the model at step 8 is the end point.
      expect(shape(result.snapshots)).toEqual([[4, 8], [8, 16]]);
    });
    withModel(softmaxRegression, (model) => {
      const result = train(model, optimizer("NiM_BH(lr = 0.5, tau = 4, eps = 1e-9)"), { batch: 5, budget: { gradients: 30, iterations: null }, snapshot: { every: 2, unit: "iterations" } });
      // A start search of 4 steps, then hops of 4 steps each: passes end at 12, 20, 28 gradients...
      expect(shape(result.snapshots)).toEqual([[12, 12], [20, 20], [28, 28], [30, 30]]);
      expect(result.hops).toBe(7);
    });
  });

  it("record the evaluation-subset loss and the caller's metric of the model at that point", () => {
    const metrics: number[] = [];
    withModel(softmaxRegression, (model) => {
      const result = train(model, optimizer("GD(lr = 0.5)"), {
        budget: { gradients: 20, iterations: null },
        snapshot: { every: 5, unit: "steps" },
        evaluationSize: 6,
        onSnapshot: (s, m) => metrics.push(accuracyOf(m)),
      });
      expect(result.snapshots.map((s) => s.metric)).toEqual(metrics);
      // The loss at the end point, over 6 samples of the data key's subset.
      const rows = Array.from(evaluationIndices(COUNT, 6, derivedDataKey(KEY)));
      const [W, B] = weights(model);
      expect(result.snapshots.at(-1)!.loss).toBeCloseTo(referenceGradient(W!, B!, rows).loss, 5);
      const losses = result.snapshots.map((s) => s.loss);
      expect(losses[3]).toBeLessThan(losses[0]!);
    });
  });
});

describe("tensor memory", () => {
  it("stays flat over hundreds of steps of every kind of step", () => {
    const extra = `
optimizer Mix(lr = 0.1) {
  perturb model sphere(0.01) when evals > 30 and not (gradnorm > 5)
  perturb gradient gaussian(0.1) when t < 50 or loss > 100
  descend lr with momentum(beta = 0.9, nesterov = 1)
}
optimizer Hopper(lr = 0.1) {
  hop {
    perturb model gaussian(0.3)
    repeat 10 { ascend 0.01; descend lr with adam(beta1 = 0.9, beta2 = 0.999, eps = 1e-8) } until gradnorm < 1e-3 or loss < 0.5
    accept metropolis(2)
  }
}`;
    const irs = lower(`${STD_RUN}, Mix, Hopper`, extra);
    const data = trainingData();
    const baseline = tf.memory().numTensors;
    for (const [name, ir] of irs) {
      const counts: number[] = [];
      const model = softmaxRegression();
      const base = tf.memory().numTensors;
      const watched: TrainableModel = {
        ...model,
        lossAndGradients: (x, labels) => (counts.push(tf.memory().numTensors), model.lossAndGradients(x, labels)),
      };
      const result = trainTrajectory({
        model: watched,
        optimizer: ir,
        data,
        batch: 5,
        budget: { gradients: 300, iterations: null },
        snapshot: { every: 1, unit: "gradients" },
        key: KEY,
        metric: (m) => (counts.push(tf.memory().numTensors), accuracyOf(m)),
      });
      expect(result.gradientEvaluations).toBe(300);
      // A leak of one tensor per step would give hundreds of distinct counts.
      expect(new Set(counts.slice(5)).size, `${name}: ${[...new Set(counts)].slice(0, 12).join(", ")}`).toBeLessThanOrEqual(4);
      expect(Math.max(...counts.slice(-50))).toBeLessThanOrEqual(Math.max(...counts.slice(5, 100)));
      expect(tf.memory().numTensors, name).toBe(base);
      model.dispose();
    }
    expect(tf.memory().numTensors).toBe(baseline);
    tf.dispose([data.x, data.labels]);
  });
});

let wasmPathsSet = false;

/** Switches to the wasm backend, its SIMD build found as runtime/tasks/tf/backend.ts finds it. */
async function useWasmBackend(): Promise<void> {
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  // The default lookup falls back to the plain build in Node, six times slower.
  if (!wasmPathsSet) wasm.setWasmPaths(dirname(createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm")) + "/");
  wasmPathsSet = true;
  await tf.setBackend("wasm");
  await tf.ready();
}

describe("on the wasm backend", () => {
  // Where tf.clone copies: the trainer holds buffers with reshape, which shares them there too.
  beforeAll(useWasmBackend);
  afterAll(async () => {
    await tf.setBackend("cpu");
  });

  it("restores w exactly, runs every standard optimizer reproducibly and leaks no tensor", () => {
    expect(tf.getBackend()).toBe("wasm");
    const initial = withModel(softmaxRegression, weights);
    const sam = optimizer("SAM(lr = 0.5, rho = 0.3)");
    expect(withModel(softmaxRegression, (m) => (train(m, sam, { budget: { gradients: 1, iterations: null } }), weights(m)))).toEqual(initial);
    const std = lower(STD_RUN);
    for (const name of STD) {
      const before = tf.memory().numTensors;
      const run = () => withModel(softmaxRegression, (m) => ({ result: train(m, std.get(name)!, { batch: 5, budget: { gradients: 80, iterations: null }, snapshot: { every: 10, unit: "gradients" } }), weights: weights(m) }));
      const first = run();
      expect(run(), name).toEqual(first);
      expect(first.result.gradientEvaluations).toBe(80);
      expect(tf.memory().numTensors, name).toBe(before);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The optimizer's own work against a training step, on a 784-256-10 MLP at batch 128 (the
// issue asks for under 10%). Minutes of CPU, so only on request:
//   OPTSPEC_TRAIN_BENCH=1 npx vitest run test/runtime/tasks/train.test.ts -t overhead

/**
 * A 784-256-10 ReLU MLP with a hand-written backward pass, written the way that is fast on
 * wasm (as runtime/tasks/tf/dense.ts measured): a fused matMul + bias + ReLU forward, explicit
 * transposes rather than matMul's transpose flags (10-15x slower there).
 */
function mlp(): TrainableModel {
  const parameters = tf.tidy(() => [
    tf.variable(tf.randomNormal([784, 256], 0, 0.05, "float32", 1)),
    tf.variable(tf.zeros([256])),
    tf.variable(tf.randomNormal([256, 10], 0, 0.05, "float32", 2)),
    tf.variable(tf.zeros([10])),
  ]);
  const [W1, b1, W2, b2] = parameters as [tf.Variable<tf.Rank.R2>, tf.Variable, tf.Variable<tf.Rank.R2>, tf.Variable];
  const forward = (x: tf.Tensor) => {
    const h = tf.fused.matMul({ a: x as tf.Tensor2D, b: W1, bias: b1, activation: "relu" });
    return { h, z: tf.fused.matMul({ a: h, b: W2, bias: b2 }) as tf.Tensor2D };
  };
  return {
    parameters,
    logits: (x) => tf.tidy(() => forward(x).z),
    lossAndGradients(x, labels) {
      return tf.tidy(() => {
        const n = x.shape[0]!;
        const { h, z } = forward(x);
        const logProbabilities = tf.logSoftmax(z);
        const loss = tf.div(tf.neg(tf.sum(tf.mul(labels, logProbabilities))), n) as tf.Scalar;
        const dz = tf.div(tf.sub(tf.exp(logProbabilities), labels), n) as tf.Tensor2D;
        const dh = tf.mul(tf.matMul(dz, tf.transpose(W2)), tf.step(h)) as tf.Tensor2D;
        return { loss, gradients: [tf.matMul(tf.transpose(x as tf.Tensor2D), dh), tf.sum(dh, 0), tf.matMul(tf.transpose(h), dz), tf.sum(dz, 0)] };
      });
    },
    dispose: () => tf.dispose(parameters),
  };
}

describe.runIf(process.env["OPTSPEC_TRAIN_BENCH"])("overhead", () => {
  it("of the optimizer's own work against a bare step of the 784-256-10 MLP at batch 128", async () => {
    const backends = (process.env["OPTSPEC_TRAIN_BENCH_BACKENDS"] ?? "wasm").split(",");
    // NiM both ways: never perturbing (a gradnorm test per step) and perturbing at every step.
    const irs = lower(
      "GD(lr = 0.01), NiG_GD(lr = 0.01, rho = 0.01), NiM_GD(lr = 0.01, rho = 0.01, eps = 0, tau = 0) as NiM_never, NiM_GD(lr = 0.01, rho = 0.01, eps = 1e9, tau = -1) as NiM_always, SAM(lr = 0.01), NiG_BH(lr = 0.01, rho = 0.01, tau = 10, eps = 0), NiM_MBH(lr = 0.01, rho = 0.01, tau = 10, eps = 0)",
    );
    for (const backend of backends) {
      if (backend === "wasm") await useWasmBackend();
      else await tf.setBackend(backend);
      await tf.ready();
      if (backend === "wasm") console.log(`wasm SIMD: ${await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")}`);
      const count = 1280;
      const batch = 128;
      const data: TrainingData = {
        x: tf.randomUniform([count, 784], 0, 1, "float32", 3),
        labels: tf.tidy(() => tf.cast(tf.oneHot(tf.randomUniform([count], 0, 10, "int32", 4), 10), "float32")) as tf.Tensor2D,
        count,
      };
      const batches = Array.from({ length: count / batch }, (_, i) => ({ x: tf.slice(data.x, i * batch, batch), labels: tf.slice(data.labels, i * batch, batch) as tf.Tensor2D }));
      const steps = backend === "cpu" ? 10 : 60;
      // The optimizer's own work is what a trajectory spends outside the model's
      // lossAndGradients: timed in the same run, it does not depend on how fast the
      // neighbours let the step itself run. A bare step's own work is its update and loss read.
      const cpuNow = () => {
        const used = process.cpuUsage();
        return (used.user + used.system) / 1000;
      };
      const measured = (model: TrainableModel) => {
        let inside = 0;
        const timed: TrainableModel = {
          ...model,
          lossAndGradients(x, labels) {
            const from = cpuNow();
            try {
              return model.lossAndGradients(x, labels);
            } finally {
              inside += cpuNow() - from;
            }
          },
        };
        return { timed, inside: () => inside };
      };
      const run = (go: (model: TrainableModel) => void) =>
        withModel(mlp, (model) => {
          const { timed, inside } = measured(model);
          const from = cpuNow();
          go(timed);
          const total = cpuNow() - from;
          return { step: total / steps, own: (total - inside()) / steps };
        });
      const bare = () =>
        run((model) => {
          for (let t = 0; t < steps; t++)
            tf.tidy(() => {
              const { x, labels } = batches[t % batches.length]!;
              const { loss, gradients } = model.lossAndGradients(x, labels);
              loss.dataSync();
              model.parameters.forEach((p, i) => p.assign(tf.sub(p, tf.mul(0.01, gradients[i]!))));
            });
        });
      // Per gradient evaluation: a bare step is one evaluation and one update.
      const trained = (name: string) => run((model) => trainTrajectory({ model, optimizer: irs.get(name)!, data, batch, budget: { gradients: steps, iterations: null }, key: KEY, evaluationSize: 1, metric: () => 0 }));
      const noise = new NoiseStream(KEY);
      const sizes = [784 * 256, 256, 256 * 10, 10];
      const draws = () => {
        const from = cpuNow();
        for (let t = 0; t < steps; t++) for (const size of sizes) noise.drawView("ball", 1, size);
        const each = (cpuNow() - from) / steps;
        return { step: each, own: each };
      };
      bare(); // warm-up
      const rows: Record<string, { step: number[]; own: number[] }> = {};
      const add = (name: string, r: { step: number; own: number }) => {
        rows[name] ??= { step: [], own: [] };
        rows[name]!.step.push(r.step);
        rows[name]!.own.push(r.own);
      };
      const rounds = 7;
      for (let round = 0; round < rounds; round++) {
        add("bare step", bare());
        for (const name of irs.keys()) add(name, trained(name));
        add("ball draw alone", draws());
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      const step = median(rows["bare step"]!.step);
      const bareOwn = median(rows["bare step"]!.own);
      console.log(`backend ${backend}: CPU ms per gradient evaluation, medians of ${rounds} rounds of ${steps}; a bare step takes ${step.toFixed(2)} ms, ${bareOwn.toFixed(2)} of them outside lossAndGradients (update, loss read)`);
      for (const [name, r] of Object.entries(rows)) {
        if (name === "bare step") continue;
        const own = median(r.own) - (name === "ball draw alone" ? 0 : bareOwn);
        console.log(`  ${name.padEnd(16)} work beyond a bare step ${own.toFixed(3).padStart(6)} ms = ${((100 * own) / step).toFixed(1).padStart(5)}% of a step   (whole evaluation ${median(r.step).toFixed(2)} ms)`);
      }
      for (const b of batches) tf.dispose([b.x, b.labels]);
      tf.dispose([data.x, data.labels]);
    }
    await tf.setBackend("cpu");
  }, 600_000);
});
