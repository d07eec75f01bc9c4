// A bag-of-embeddings text classifier with a hand-written backward pass: token ids → rows of
// an embedding table → mean over the sample's non-padding tokens → dense ReLU layers → logits.
//
// The table's gradient adds each token's share of dL/dh into the token's row. scatterND does
// that in one op (it sums duplicate indices) and measured fastest: 0.7 ms on wasm and 9 ms on
// cpu for 128 × 64 tokens of width 64 in a 20,000-word table, where tfjs's unsortedSegmentSum
// on cpu builds a mask per vocabulary entry (it exhausted memory) and a one-hot matMul would
// need a tokens × vocabulary matrix.
import type { TrainableModel } from "../types.js";
import { createDenseStack, denseBackward, denseForward, denseParameters } from "./dense.js";
import { crossEntropyWithGradient } from "./loss.js";
import { uniformVariable } from "./parameters.js";
import { tf } from "./tfjs.js";

/** Bound of the embedding table's uniform initialization (Keras' default for Embedding). */
const EMBEDDING_BOUND = 0.05;

/**
 * bag_of_embeddings(dimension, hidden): input [maxLength] token ids (0 = padding) from a
 * vocabulary of `vocabularySize`; a sample with no tokens gets the zero vector.
 */
export function createBagOfEmbeddings(
  dimension: number,
  hidden: readonly number[],
  inputShape: readonly number[],
  classes: number,
  vocabularySize: number | undefined,
  seed: number,
): TrainableModel {
  if (vocabularySize === undefined || !Number.isInteger(vocabularySize) || vocabularySize < 2)
    throw new Error("bag_of_embeddings needs token data with a vocabulary (use a text(...) data set)");
  if (!Number.isInteger(dimension) || dimension < 1) throw new Error(`bag_of_embeddings: dimension must be a positive integer, got ${dimension}`);
  const length = inputShape.reduce((a, b) => a * b, 1);
  const table = uniformVariable(seed, "bag_of_embeddings/table", [vocabularySize, dimension], EMBEDDING_BOUND);
  const layers = createDenseStack([dimension, ...hidden, classes], seed, "bag_of_embeddings/dense");
  const parameters = [table, ...denseParameters(layers)];

  const forward = (x: tf.Tensor) => {
    const batch = x.shape[0] ?? 1;
    if (x.size !== batch * length) throw new Error(`bag_of_embeddings: a sample has ${x.size / batch} tokens, the model expects ${length}`);
    const ids = tf.reshape(x.dtype === "int32" ? x : tf.cast(x, "int32"), [batch * length]);
    const present = tf.cast(tf.notEqual(ids, 0), "float32");
    const counts = tf.maximum(tf.sum(tf.reshape(present, [batch, length]), 1, true), 1);
    // weights[b, l] = 1 / (tokens of sample b) where token l is not padding, else 0.
    const weights = tf.div(tf.reshape(present, [batch, length]), counts);
    const rows = tf.reshape(tf.gather(table, ids), [batch, length, dimension]);
    const mean = tf.sum(tf.mul(rows, tf.reshape(weights, [batch, length, 1])), 1) as tf.Tensor2D;
    return { ids, weights, dense: denseForward(layers, mean) };
  };

  return {
    parameters,
    lossAndGradients(x, labels) {
      return tf.tidy(() => {
        const { ids, weights, dense } = forward(x);
        const { loss, dLogits } = crossEntropyWithGradient(dense.logits, labels);
        const head = denseBackward(layers, dense, dLogits, true);
        const [batch] = weights.shape;
        const dRows = tf.mul(tf.reshape(weights, [batch, length, 1]), tf.reshape(head.dInput!, [batch, 1, dimension]));
        const dTable = tf.scatterND(tf.reshape(ids, [batch * length, 1]), tf.reshape(dRows, [batch * length, dimension]), [vocabularySize, dimension]);
        return { loss, gradients: [dTable, ...head.gradients] };
      });
    },
    logits(x) {
      return tf.tidy(() => forward(x).dense.logits);
    },
    dispose() {
      tf.dispose(parameters);
    },
  };
}
