// The training loss of every model: the batch mean of the softmax cross-entropy between
// logits and one-hot labels, computed through logsumexp so large logits do not overflow.
import { tf } from "./tfjs.js";

/** Log-probabilities log softmax(z) row by row: z - max(z) - log(sum(exp(z - max(z)))). */
function logSoftmax(logits: tf.Tensor2D): tf.Tensor2D {
  const shifted = tf.sub(logits, tf.max(logits, 1, true));
  return tf.sub(shifted, tf.log(tf.sum(tf.exp(shifted), 1, true)));
}

/** Mean cross-entropy of the batch; differentiable with tfjs autodiff. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor2D): tf.Scalar {
  const batch = logits.shape[0];
  return tf.div(tf.neg(tf.sum(tf.mul(labels, logSoftmax(logits)))), batch);
}

/** The mean cross-entropy and its gradient with respect to the logits, (softmax(z) - y) / batch. */
export function crossEntropyWithGradient(logits: tf.Tensor2D, labels: tf.Tensor2D): { loss: tf.Scalar; dLogits: tf.Tensor2D } {
  const batch = logits.shape[0];
  const logProbabilities = logSoftmax(logits);
  const loss = tf.div(tf.neg(tf.sum(tf.mul(labels, logProbabilities))), batch) as tf.Scalar;
  const dLogits = tf.div(tf.sub(tf.exp(logProbabilities), labels), batch) as tf.Tensor2D;
  return { loss, dLogits };
}
