// Deterministic parameter initialization: every value is drawn in JavaScript from the
// project's counter-based generator and uploaded as a Float32Array, so the same seed gives the
// same bits on any thread, worker or run (the backend only receives finished numbers).
//
// Parameter `name` of a model built with `seed` draws from stream `model-init/<name>` under
// that seed (restart 0), element i from counter i: w_i = bound * (2u_i - 1). The bound is He's
// uniform bound sqrt(6 / fanIn) for a layer followed by ReLU (He et al. 2015) and Glorot's
// sqrt(6 / (fanIn + fanOut)) for the logits layer (Glorot & Bengio 2010); biases start at 0.
import { restartKey, uniform } from "../../rng.js";
import { tf } from "./tfjs.js";

/** He-uniform bound for a layer whose output goes through a ReLU. */
export function heBound(fanIn: number): number {
  return Math.sqrt(6 / fanIn);
}

/** Glorot-uniform bound for a linear (logits) layer. */
export function glorotBound(fanIn: number, fanOut: number): number {
  return Math.sqrt(6 / (fanIn + fanOut));
}

/** `size` values uniform in (-bound, bound), a pure function of (seed, name). */
export function uniformValues(seed: number, name: string, size: number, bound: number): Float32Array {
  const [k0, k1] = restartKey(seed, `model-init/${name}`, 0);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = bound * (2 * uniform(k0, k1, i) - 1);
  return values;
}

/** A trainable variable holding `values` (copied to the current backend). */
export function variableFrom(values: Float32Array, shape: readonly number[]): tf.Variable {
  return tf.tidy(() => tf.variable(tf.tensor(values, [...shape], "float32"), true));
}

/** A variable uniform in (-bound, bound), drawn from the stream of `name` under `seed`. */
export function uniformVariable(seed: number, name: string, shape: readonly number[], bound: number): tf.Variable {
  const size = shape.reduce((a, b) => a * b, 1);
  return variableFrom(bound === 0 ? new Float32Array(size) : uniformValues(seed, name, size, bound), shape);
}

/** A variable of zeros (biases). */
export function zerosVariable(shape: readonly number[]): tf.Variable {
  return variableFrom(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
}
