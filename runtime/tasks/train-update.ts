// The update methods of `descend` on tensors, each an init / apply pair over its own state
// (one slot per descend step, as the IR numbers them). The arithmetic follows the JS emitter
// (compiler/emit/emit-js.ts) operation by operation, in float32:
//   sgd       w -= lr * g
//   momentum  m = beta * m + g;  w -= lr * m            (nesterov: w -= lr * (g + beta * m))
//   adam      n += 1;  m = b1 * m + (1 - b1) * g;  v = b2 * v + (1 - b2) * g^2;
//             w -= lr * (m / (1 - b1^n)) / (sqrt(v / (1 - b2^n)) + eps)      (Kingma & Ba 2015)

import * as tf from "@tensorflow/tfjs-core";
import type { UpdateMethod } from "../../compiler/lower/ir.js";

/** One slot's state: moment tensors per parameter (none for sgd) and Adam's step count. */
export interface SlotState {
  readonly kind: UpdateMethod["kind"];
  first: tf.Tensor[];
  second: tf.Tensor[];
  steps: number;
}

/** A slot for `method` over `parameters`: zero moments. */
export function initSlot(method: UpdateMethod, parameters: readonly tf.Variable[]): SlotState {
  const zeros = () => parameters.map((p) => tf.zerosLike(p));
  return {
    kind: method.kind,
    first: method.kind === "sgd" ? [] : zeros(),
    second: method.kind === "adam" ? zeros() : [],
    steps: 0,
  };
}

/** Applies one update with gradient `g` to `parameters`, advancing `slot`. */
export function applyUpdate(parameters: readonly tf.Variable[], g: readonly tf.Tensor[], rate: number, method: UpdateMethod, slot: SlotState): void {
  switch (method.kind) {
    case "sgd":
      tf.tidy(() => parameters.forEach((p, i) => p.assign(tf.sub(p, tf.mul(rate, g[i]!)))));
      return;
    case "momentum": {
      const next = tf.tidy(() =>
        parameters.map((p, i) => {
          const m = tf.add(tf.mul(method.beta, slot.first[i]!), g[i]!);
          const direction = method.nesterov ? tf.add(g[i]!, tf.mul(method.beta, m)) : m;
          p.assign(tf.sub(p, tf.mul(rate, direction)));
          return m;
        }),
      );
      tf.dispose(slot.first);
      slot.first = next;
      return;
    }
    case "adam": {
      slot.steps++;
      const c1 = 1 - Math.pow(method.beta1, slot.steps);
      const c2 = 1 - Math.pow(method.beta2, slot.steps);
      const next = tf.tidy(() =>
        parameters.map((p, i) => {
          const gi = g[i]!;
          const m = tf.add(tf.mul(method.beta1, slot.first[i]!), tf.mul(1 - method.beta1, gi));
          const v = tf.add(tf.mul(method.beta2, slot.second[i]!), tf.mul(tf.mul(1 - method.beta2, gi), gi));
          const step = tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(v, c2)), method.epsilon));
          p.assign(tf.sub(p, tf.mul(rate, step)));
          return [m, v];
        }),
      );
      tf.dispose([...slot.first, ...slot.second]);
      slot.first = next.map(([m]) => m!);
      slot.second = next.map(([, v]) => v!);
      return;
    }
  }
}

export function disposeSlot(slot: SlotState): void {
  tf.dispose([...slot.first, ...slot.second]);
  slot.first = [];
  slot.second = [];
}
