// buildModel: deterministic initialization from the seed (the documented stream, the same bits
// on every build and backend), no tensors leaked by training steps, and clear errors.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tfl from "@tensorflow/tfjs-layers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restartKey, uniform } from "../../../../runtime/rng.js";
import { selectBackend } from "../../../../runtime/tasks/tf/backend.js";
import { buildModel, fileSystemHandler } from "../../../../runtime/tasks/tf/models.js";
import type { ModelSpec } from "../../../../runtime/tasks/types.js";
import { fixedValues, oneHot, parameterArrays, tf } from "./helpers.js";

const folder = mkdtempSync(join(tmpdir(), "optspec-models-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

beforeAll(async () => {
  await selectBackend("cpu");
  const model = tfl.sequential();
  model.add(tfl.layers.dense({ units: 4, activation: "relu", inputShape: [12] }));
  model.add(tfl.layers.dense({ units: 3 }));
  await model.save(fileSystemHandler(folder));
  model.dispose();
});

interface Case {
  readonly spec: ModelSpec;
  readonly inputShape: number[];
  readonly vocabularySize?: number;
  readonly input: () => tf.Tensor;
}

const CASES: Record<string, Case> = {
  mlp: { spec: { kind: "mlp", hidden: [8] }, inputShape: [12], input: () => tf.tensor(fixedValues(4 * 12, 1), [4, 12]) },
  cnn: { spec: { kind: "cnn", channels: [2, 3], kernel: 3, dense: [5] }, inputShape: [4, 4], input: () => tf.tensor(fixedValues(4 * 16, 2), [4, 4, 4]) },
  bag_of_embeddings: {
    spec: { kind: "bag_of_embeddings", dimension: 3, hidden: [4] },
    inputShape: [3],
    vocabularySize: 10,
    input: () => tf.tensor(Int32Array.from([1, 2, 0, 0, 0, 0, 9, 9, 3, 4, 5, 6]), [4, 3], "int32"),
  },
  resnet: { spec: { kind: "resnet", depth: 8 }, inputShape: [4, 4, 1], input: () => tf.tensor(fixedValues(4 * 16, 3), [4, 16]) },
  tfjs: { spec: { kind: "tfjs", path: folder }, inputShape: [12], input: () => tf.tensor(fixedValues(4 * 12, 4), [4, 12]) },
};
const LABELS = [0, 1, 2, 1];

describe("initialization", () => {
  const seeded = Object.entries(CASES).filter(([kind]) => kind !== "tfjs");

  it.each(seeded)("%s: the same seed gives bit-identical parameters on every build and on both backends", async (_kind, c) => {
    const builds: Float32Array[][] = [];
    for (const backend of ["wasm", "wasm", "cpu"] as const) {
      await selectBackend(backend);
      const model = await buildModel(c.spec, c.inputShape, 3, 42, c.vocabularySize);
      builds.push(parameterArrays(model).values);
      model.dispose();
    }
    const bytes = (arrays: Float32Array[]) => arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("base64"));
    expect(bytes(builds[1]!)).toEqual(bytes(builds[0]!));
    expect(bytes(builds[2]!)).toEqual(bytes(builds[0]!));
    await selectBackend("wasm");
    const other = await buildModel(c.spec, c.inputShape, 3, 43, c.vocabularySize);
    expect(bytes(parameterArrays(other).values)).not.toEqual(bytes(builds[0]!));
    other.dispose();
  });

  it("draws element i of parameter `name` as bound·(2u − 1), u = uniform(restartKey(seed, 'model-init/' + name, 0), i)", async () => {
    await selectBackend("wasm");
    const model = await buildModel({ kind: "mlp", hidden: [6] }, [10], 4, 9);
    const [hiddenKernel, hiddenBias, logitsKernel, logitsBias] = parameterArrays(model).values;
    const expected = (name: string, size: number, bound: number) => {
      const [k0, k1] = restartKey(9, `model-init/${name}`, 0);
      return Float32Array.from({ length: size }, (_, i) => bound * (2 * uniform(k0, k1, i) - 1));
    };
    expect(Array.from(hiddenKernel!)).toEqual(Array.from(expected("mlp/dense0/kernel", 60, Math.sqrt(6 / 10)))); // He, fan-in 10
    expect(Array.from(logitsKernel!)).toEqual(Array.from(expected("mlp/dense1/kernel", 24, Math.sqrt(6 / (6 + 4))))); // Glorot, 6 → 4
    expect(hiddenBias!.every((v) => v === 0) && logitsBias!.every((v) => v === 0)).toBe(true);
    model.dispose();
  });
});

describe.each(Object.entries(CASES))("%s leaks no tensors", (_kind, c) => {
  it("over 50 tidied training steps and 50 logits calls on wasm", async () => {
    await selectBackend("wasm");
    const model = await buildModel(c.spec, c.inputShape, 3, 5, c.vocabularySize);
    const x = c.input();
    const labels = oneHot(LABELS, 3);
    const step = () => {
      const { loss, gradients } = tf.tidy(() => model.lossAndGradients(x, labels));
      expect(gradients.length).toBe(model.parameters.length);
      tf.dispose([loss, ...gradients]);
      tf.dispose(model.logits(x));
    };
    step(); // first calls may create lasting tensors (tfjs caches); count after them
    const before = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    // An SGD step in one tidy, as a trainer does it, leaves nothing behind either.
    for (let i = 0; i < 5; i++)
      tf.tidy(() => {
        const { gradients } = model.lossAndGradients(x, labels);
        model.parameters.forEach((p, j) => p.assign(tf.sub(p, tf.mul(gradients[j]!, 0.1))));
      });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, labels]);
    model.dispose();
  });
});

describe("buildModel rejects declarations it cannot build, saying why", () => {
  it.each([
    [{ kind: "mlp", hidden: [4] }, [3], 1, undefined, "a classifier needs at least 2 classes, got 1"],
    [{ kind: "mlp", hidden: [4, 0] }, [3], 2, undefined, "mlp: hidden sizes must be positive integers, got 0"],
    [{ kind: "cnn", channels: [4], kernel: 3, dense: [] }, [10], 2, undefined, "cnn needs images: input shape [10] is neither [height, width, channels], [height, width] nor a square number of pixels"],
    [{ kind: "cnn", channels: [2, 2, 2], kernel: 3, dense: [] }, [4, 4], 2, undefined, "cnn: 3 pooling blocks shrink the 4 × 4 input below 1 × 1; use fewer channels entries"],
    [{ kind: "bag_of_embeddings", dimension: 4, hidden: [] }, [5], 2, undefined, "bag_of_embeddings needs token data with a vocabulary (use a text(...) data set)"],
  ] as const)("%j on %j", async (spec, inputShape, classes, vocabularySize, message) => {
    await selectBackend("cpu");
    await expect(buildModel(spec as ModelSpec, inputShape, classes, 1, vocabularySize)).rejects.toThrow(message);
  });

  it("a batch whose samples do not fit the model", async () => {
    await selectBackend("cpu");
    const model = await buildModel({ kind: "mlp", hidden: [4] }, [6], 2, 1);
    expect(() => model.logits(tf.zeros([2, 5]))).toThrow("mlp: a sample has 5 values, the model expects 6 (input shape [6])");
    model.dispose();
  });
});
