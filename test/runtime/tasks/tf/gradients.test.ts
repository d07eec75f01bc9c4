// The hand-written backward passes (mlp, cnn, bag_of_embeddings) against tfjs autodiff of an
// independently written forward pass on the cpu backend (whose kernels are tfjs' own), on
// both backends, and against finite differences.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../../../../runtime/tasks/tf/backend.js";
import { buildModel } from "../../../../runtime/tasks/tf/models.js";
import type { ModelSpec } from "../../../../runtime/tasks/types.js";
import { autodiff, directionalDerivative, fixedValues, lossAndGradientArrays, oneHot, parameterArrays, referenceCrossEntropy, relativeError, tf } from "./helpers.js";

const LABELS = [0, 2, 1, 2, 0];
const CLASSES = 3;
const BATCH = LABELS.length;

/** Dense layers from (kernel, bias) pairs, ReLU between them. */
function denseOracle(variables: tf.Variable[], input: tf.Tensor2D): tf.Tensor2D {
  let h = input;
  for (let i = 0; i < variables.length; i += 2) {
    h = tf.add(tf.matMul(h, variables[i] as tf.Tensor2D), variables[i + 1]!) as tf.Tensor2D;
    if (i + 2 < variables.length) h = tf.relu(h);
  }
  return h;
}

interface Case {
  readonly name: string;
  readonly spec: ModelSpec;
  readonly inputShape: number[];
  readonly vocabularySize?: number;
  /** The samples (values or token ids) as a tensor on the current backend. */
  readonly input: () => tf.Tensor;
  /** Input for the finite difference when `input` sits on a ReLU kink (default: `input`). */
  readonly smoothInput?: () => tf.Tensor;
  /** Logits of an independent forward pass over the model's parameters, in order. */
  readonly oracle: (variables: tf.Variable[], x: tf.Tensor) => tf.Tensor2D;
}

const TOKENS = Int32Array.from([3, 5, 0, 0, 1, 1, 7, 2, 9, 9, 9, 4, 0, 0, 0, 0, 6, 8, 2, 11]);

const CASES: Case[] = [
  {
    name: "mlp(hidden = [7, 5])",
    spec: { kind: "mlp", hidden: [7, 5] },
    inputShape: [2, 3],
    input: () => tf.tensor(fixedValues(BATCH * 6, 1), [BATCH, 2, 3]),
    oracle: (v, x) => denseOracle(v, tf.reshape(x, [BATCH, 6])),
  },
  {
    name: "cnn(channels = [3, 4], kernel = 3, dense = [6])",
    spec: { kind: "cnn", channels: [3, 4], kernel: 3, dense: [6] },
    inputShape: [9, 8, 2],
    input: () => tf.tensor(fixedValues(BATCH * 9 * 8 * 2, 2), [BATCH, 9, 8, 2]),
    oracle: (v, x) => {
      let maps = x as tf.Tensor4D;
      for (let i = 0; i < 4; i += 2) maps = tf.maxPool(tf.relu(tf.add(tf.conv2d(maps, v[i] as tf.Tensor4D, 1, "same"), v[i + 1]!)) as tf.Tensor4D, 2, 2, "valid");
      return denseOracle(v.slice(4), tf.reshape(maps, [BATCH, -1]));
    },
  },
  {
    name: "cnn(channels = [2], kernel = 2, dense = []) on a flat 36-pixel input (even kernel: asymmetric padding)",
    spec: { kind: "cnn", channels: [2], kernel: 2, dense: [] },
    inputShape: [36],
    input: () => tf.tensor(fixedValues(BATCH * 36, 3), [BATCH, 36]),
    oracle: (v, x) => {
      const maps = tf.maxPool(tf.relu(tf.add(tf.conv2d(tf.reshape(x, [BATCH, 6, 6, 1]) as tf.Tensor4D, v[0] as tf.Tensor4D, 1, "same"), v[1]!)) as tf.Tensor4D, 2, 2, "valid");
      return denseOracle(v.slice(2), tf.reshape(maps, [BATCH, -1]));
    },
  },
  {
    name: "bag_of_embeddings(dimension = 4, hidden = [5])",
    spec: { kind: "bag_of_embeddings", dimension: 4, hidden: [5] },
    inputShape: [4],
    vocabularySize: 12,
    input: () => tf.tensor(TOKENS, [BATCH, 4], "int32"),
    // The padding-only sample's hidden units sit exactly at the ReLU kink (zero input, zero
    // bias), where a central difference averages both sides; the difference uses tokens everywhere.
    smoothInput: () => tf.tensor(TOKENS.map((t, i) => (i >= 12 && i < 16 ? (i % 10) + 1 : t)), [BATCH, 4], "int32"),
    oracle: (v, x) => {
      const ids = x as tf.Tensor2D;
      const rows = tf.gather(v[0]!, ids);
      const mask = tf.cast(tf.greater(ids, 0), "float32");
      const counts = tf.maximum(tf.sum(mask, 1, true), 1);
      const mean = tf.div(tf.sum(tf.mul(rows, tf.expandDims(mask, 2)), 1), counts) as tf.Tensor2D;
      return denseOracle(v.slice(1), mean);
    },
  },
];

const SEED = 7;
let previous: string;
beforeAll(() => {
  previous = tf.getBackend();
});
afterAll(async () => {
  if (previous) await tf.setBackend(previous);
});

describe.each(["cpu", "wasm"] as const)("hand-written gradients on %s", (backend) => {
  describe.each(CASES)("$name", (testCase) => {
    it("match autodiff of an independent forward pass on the cpu backend", async () => {
      await selectBackend(backend);
      const model = await buildModel(testCase.spec, testCase.inputShape, CLASSES, SEED, testCase.vocabularySize);
      const x = testCase.input();
      const labels = oneHot(LABELS, CLASSES);
      const hand = lossAndGradientArrays(model, x, labels);
      const { values, shapes } = parameterArrays(model);
      const xValues = x.dataSync();
      const xShape = [...x.shape];
      const xDtype = x.dtype;
      tf.dispose([x, labels]);
      model.dispose();

      await selectBackend("cpu");
      const cpuX = tf.tensor(xValues, xShape, xDtype);
      const cpuLabels = oneHot(LABELS, CLASSES);
      const reference = autodiff(values, shapes, (variables) => referenceCrossEntropy(cpuLabels, testCase.oracle(variables, cpuX)));
      tf.dispose([cpuX, cpuLabels]);

      expect(Math.abs(hand.loss - reference.loss)).toBeLessThan(1e-5 * Math.max(1, reference.loss));
      expect(hand.gradients.length).toBe(reference.gradients.length);
      hand.gradients.forEach((gradient, i) => {
        expect(relativeError(gradient, reference.gradients[i]!), `parameter ${i} [${shapes[i]}]`).toBeLessThan(2e-5);
      });
      // Not vacuous: every parameter but zero-started biases behind dead units gets some gradient.
      expect(hand.gradients.some((g) => g.some((v) => v !== 0))).toBe(true);
    });

    it("agree with a finite difference of the loss", async () => {
      await selectBackend(backend);
      const model = await buildModel(testCase.spec, testCase.inputShape, CLASSES, SEED, testCase.vocabularySize);
      const x = (testCase.smoothInput ?? testCase.input)();
      const labels = oneHot(LABELS, CLASSES);
      const { numeric, analytic } = directionalDerivative(model, x, labels, 1e-3);
      expect(Math.abs(numeric - analytic)).toBeLessThan(1e-2 * Math.abs(analytic) + 2e-3);
      tf.dispose([x, labels]);
      model.dispose();
    });
  });
});
