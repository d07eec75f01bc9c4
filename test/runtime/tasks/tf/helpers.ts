// Shared pieces of the tfjs model tests: fixed inputs, reading tensors back, and the
// comparisons against the oracles (tfjs autodiff on the cpu backend, finite differences).
import { tf } from "../../../../runtime/tasks/tf/tfjs.js";
import type { TrainableModel } from "../../../../runtime/tasks/types.js";

export { tf };

/** Deterministic values in [-scale, scale) from a plain LCG (independent of the code under test). */
export function fixedValues(count: number, seed: number, scale = 1): Float32Array {
  const values = new Float32Array(count);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[i] = scale * (2 * (state / 4294967296) - 1);
  }
  return values;
}

/** One-hot float32 labels. */
export function oneHot(labels: readonly number[], classes: number): tf.Tensor2D {
  const values = new Float32Array(labels.length * classes);
  labels.forEach((label, row) => (values[row * classes + label] = 1));
  return tf.tensor2d(values, [labels.length, classes]);
}

/** max |a - b| / max(max |b|, floor): one number for "these arrays agree". */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-3): number {
  expectSameLength(a, b);
  let difference = 0;
  let size = floor;
  for (let i = 0; i < a.length; i++) {
    difference = Math.max(difference, Math.abs(a[i]! - b[i]!));
    size = Math.max(size, Math.abs(b[i]!));
  }
  return difference / size;
}

function expectSameLength(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) throw new Error(`arrays differ in length: ${a.length} vs ${b.length}`);
}

/** The model's loss and gradients as plain arrays (tensors disposed). */
export function lossAndGradientArrays(model: TrainableModel, x: tf.Tensor, labels: tf.Tensor2D): { loss: number; gradients: Float32Array[] } {
  const { loss, gradients } = model.lossAndGradients(x, labels);
  const result = { loss: loss.dataSync()[0]!, gradients: gradients.map((g) => g.dataSync() as Float32Array) };
  tf.dispose([loss, ...gradients]);
  return result;
}

/** The model's parameter values and shapes. */
export function parameterArrays(model: TrainableModel): { values: Float32Array[]; shapes: number[][] } {
  return { values: model.parameters.map((p) => p.dataSync() as Float32Array), shapes: model.parameters.map((p) => [...p.shape]) };
}

/**
 * The oracle: tfjs autodiff of `loss(variables)` on the current backend, with variables
 * holding `values`. Returns the loss and gradients in order.
 */
export function autodiff(
  values: readonly Float32Array[],
  shapes: readonly number[][],
  loss: (variables: tf.Variable[]) => tf.Scalar,
): { loss: number; gradients: Float32Array[] } {
  const variables = values.map((v, i) => tf.variable(tf.tensor(v, shapes[i]), true));
  const { value, grads } = tf.variableGrads(() => loss(variables), variables);
  const result = { loss: value.dataSync()[0]!, gradients: variables.map((v) => grads[v.name]!.dataSync() as Float32Array) };
  tf.dispose([value, ...Object.values(grads), ...variables]);
  return result;
}

/**
 * Central finite difference of the model's loss along a fixed random direction d (one per
 * parameter), against Σ g·d. Returns both numbers; the parameters are restored.
 */
export function directionalDerivative(model: TrainableModel, x: tf.Tensor, labels: tf.Tensor2D, step: number): { numeric: number; analytic: number } {
  const original = model.parameters.map((p) => tf.clone(p));
  const directions = model.parameters.map((p, i) => tf.tensor(fixedValues(p.size, 1000 + i), p.shape));
  const { gradients } = lossAndGradientArrays(model, x, labels);
  let analytic = 0;
  directions.forEach((d, i) => {
    const values = d.dataSync();
    gradients[i]!.forEach((g, j) => (analytic += g * values[j]!));
  });
  const lossAt = (sign: number): number => {
    model.parameters.forEach((p, i) => p.assign(tf.tidy(() => tf.add(original[i]!, tf.mul(directions[i]!, sign * step)))));
    const { loss, gradients: g } = model.lossAndGradients(x, labels);
    const value = loss.dataSync()[0]!;
    tf.dispose([loss, ...g]);
    return value;
  };
  const numeric = (lossAt(1) - lossAt(-1)) / (2 * step);
  model.parameters.forEach((p, i) => p.assign(original[i]!));
  tf.dispose([...original, ...directions]);
  return { numeric, analytic };
}

/** The batch-mean softmax cross-entropy, through tfjs' own loss (an oracle for ours). */
export function referenceCrossEntropy(labels: tf.Tensor2D, logits: tf.Tensor): tf.Scalar {
  return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
}
