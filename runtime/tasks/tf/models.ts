// The one entry point that turns a task's model declaration into a trainable tfjs model on
// the current backend (choose it first with selectBackend). Which models have hand-written
// passes and which use autodiff, and how each starts, is told in its own file:
// dense.ts (mlp), conv.ts (cnn), embedding.ts (bag_of_embeddings), resnet.ts, layers-model.ts (tfjs).
import { match } from "ts-pattern";
import type { ModelSpec, TrainableModel } from "../types.js";
import { createCnn } from "./conv.js";
import { createMlp } from "./dense.js";
import { createBagOfEmbeddings } from "./embedding.js";
import { loadLayersClassifier } from "./layers-model.js";
import { createResnet } from "./resnet.js";
import { ensureWasmGradientKernels } from "./wasm-kernels.js";

export { fileSystemHandler } from "./layers-model.js";

function checkSizes(kind: string, name: string, sizes: readonly number[]): void {
  const bad = sizes.find((size) => !Number.isInteger(size) || size < 1);
  if (bad !== undefined) throw new Error(`${kind}: ${name} must be positive integers, got ${bad}`);
}

/**
 * A model of `spec` for samples of `inputShape` and `classes` classes, its parameters drawn
 * from `seed` (the same seed gives bit-identical parameters on the same backend).
 * `vocabularySize` is required by bag_of_embeddings; `baseDirectory` resolves a relative tfjs path.
 */
export async function buildModel(
  spec: ModelSpec,
  inputShape: readonly number[],
  classes: number,
  seed: number,
  vocabularySize?: number,
  baseDirectory?: string,
): Promise<TrainableModel> {
  if (!Number.isInteger(classes) || classes < 2) throw new Error(`a classifier needs at least 2 classes, got ${classes}`);
  // selectBackend registers them; this covers a caller that set the wasm backend itself.
  ensureWasmGradientKernels();
  return match(spec)
    .with({ kind: "mlp" }, (s) => {
      checkSizes("mlp", "hidden sizes", s.hidden);
      return createMlp(s.hidden, inputShape, classes, seed);
    })
    .with({ kind: "cnn" }, (s) => {
      checkSizes("cnn", "channels", s.channels);
      checkSizes("cnn", "dense sizes", s.dense);
      return createCnn(s.channels, s.kernel, s.dense, inputShape, classes, seed);
    })
    .with({ kind: "bag_of_embeddings" }, (s) => {
      checkSizes("bag_of_embeddings", "hidden sizes", s.hidden);
      return createBagOfEmbeddings(s.dimension, s.hidden, inputShape, classes, vocabularySize, seed);
    })
    .with({ kind: "resnet" }, (s) => createResnet(s.depth, inputShape, classes, seed))
    .with({ kind: "tfjs" }, (s) => loadLayersClassifier(s.path, inputShape, classes, baseDirectory))
    .exhaustive();
}
