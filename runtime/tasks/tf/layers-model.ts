// tfjs(path): a user's saved tfjs layers model (model.json + weight files in a local folder),
// trained through tfjs autodiff. This is how a network built or converted elsewhere (for
// instance a small BERT-style encoder run through tensorflowjs_converter) enters a task.
//
// There is no tfjs-node here, so `fileSystemHandler` is the small tf.io handler that reads and
// writes that layout with fs. The model runs in inference mode (training: false): dropout is
// off and batch-norm layers use their stored statistics, so the model is a pure function of
// its trainable weights, which are its parameters (non-trainable weights stay as loaded). The
// saved weights are the starting point of every trajectory: `seed` does not change them.
// A model whose last layer applies softmax gets log(probabilities) as logits, which gives the
// same cross-entropy and softmax.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import * as tfl from "@tensorflow/tfjs-layers";
import type { TrainableModel } from "../types.js";
import { crossEntropy } from "./loss.js";
import { tf } from "./tfjs.js";

const LAYOUT =
  "tfjs(path) expects a folder holding model.json (a tfjs layers model: modelTopology and weightsManifest) and the weight files its " +
  'weightsManifest lists, as written by model.save("file://folder") in tfjs-node or by tensorflowjs_converter --output_format tfjs_layers_model';

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

function fail(problem: string): never {
  throw new Error(`${problem}; ${LAYOUT}`);
}

/** The model.json of `path` (a folder holding it, or the file itself). */
function modelJsonPath(path: string): string {
  return existsSync(path) && statSync(path).isDirectory() ? join(path, "model.json") : path;
}

/** A tf.io handler that loads a layers model from, and saves one to, a folder of the local file system. */
export function fileSystemHandler(path: string): tf.io.IOHandler {
  return {
    async load() {
      const file = modelJsonPath(path);
      if (!existsSync(file)) fail(`the model file ${file} does not exist`);
      let json: tf.io.ModelJSON;
      try {
        json = JSON.parse(readFileSync(file, "utf8")) as tf.io.ModelJSON;
      } catch (error) {
        fail(`the model file ${file} is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
      }
      if (typeof json !== "object" || json === null || typeof json.modelTopology !== "object" || json.modelTopology === null) {
        const graph = (json as { format?: string } | null)?.format === "graph-model";
        fail(`${file} has no modelTopology${graph ? " (it is a graph model, which cannot be trained; convert with --output_format tfjs_layers_model)" : ""}`);
      }
      if (!Array.isArray(json.weightsManifest)) fail(`${file} has no weightsManifest list`);
      const folder = dirname(file);
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          if (!Array.isArray(group?.paths) || !Array.isArray(group.weights)) fail(`a weightsManifest entry of ${file} lacks its paths or weights`);
          specs.push(...group.weights);
          for (const relative of group.paths) {
            const weights = join(folder, relative);
            if (!existsSync(weights)) fail(`the weight file ${weights} listed in ${file} does not exist`);
            const bytes = readFileSync(weights);
            buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
          }
        }
        const data = tf.io.concatenateArrayBuffers(buffers);
        const expected = specs.reduce((sum, spec) => sum + spec.shape.reduce((a, b) => a * b, 1) * (BYTES[spec.quantization?.dtype ?? spec.dtype] ?? NaN), 0);
        if (Number.isFinite(expected) && expected !== data.byteLength)
          fail(`the weight files of ${file} hold ${data.byteLength} bytes but its weightsManifest describes ${expected}`);
        return [specs, data];
      });
    },
    async save(artifacts) {
      const file = modelJsonPath(path).endsWith(".json") ? modelJsonPath(path) : join(path, "model.json");
      mkdirSync(dirname(file), { recursive: true });
      const data = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.concatenateArrayBuffers(artifacts.weightData);
      writeFileSync(join(dirname(file), "weights.bin"), new Uint8Array(data));
      const json = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? "layers-model",
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        trainingConfig: artifacts.trainingConfig,
        userDefinedMetadata: artifacts.userDefinedMetadata,
        weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs ?? [] }],
      };
      writeFileSync(file, JSON.stringify(json));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
  };
}

function endsInSoftmax(model: tfl.LayersModel): boolean {
  const last = model.layers[model.layers.length - 1];
  if (!last) return false;
  const config = last.getConfig() as { activation?: unknown };
  return last.getClassName() === "Softmax" || config.activation === "softmax";
}

/** Loads the layers model at `path` (relative to `baseDirectory`, else the working directory) as a trainable classifier. */
export async function loadLayersClassifier(path: string, inputShape: readonly number[], classes: number, baseDirectory?: string): Promise<TrainableModel> {
  const location = isAbsolute(path) ? path : resolve(baseDirectory ?? process.cwd(), path);
  let model: tfl.LayersModel;
  try {
    model = await tfl.loadLayersModel(fileSystemHandler(location));
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    if (text.includes(LAYOUT)) throw error;
    fail(`the model at ${location} could not be built from its files (${text})`);
  }
  const describe = `the model at ${location}`;
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    model.dispose();
    throw new Error(`${describe} has ${model.inputs.length} inputs and ${model.outputs.length} outputs; tfjs(path) trains single-input, single-output classifiers`);
  }
  const declaredInput = model.inputs[0]!.shape.slice(1);
  const modelOutput = model.outputs[0]!.shape.slice(1);
  const inputSize = inputShape.reduce((a, b) => a * b, 1);
  // One free dimension (a text model's sequence length, say) takes what the samples leave for it.
  const known = declaredInput.reduce<number>((a, b) => a * (b ?? 1), 1);
  const free = declaredInput.filter((d) => d === null).length;
  const modelInput = declaredInput.map((d) => d ?? (free === 1 && inputSize % known === 0 ? inputSize / known : NaN));
  const problems: string[] = [];
  if (modelOutput.length !== 1 || modelOutput[0] !== classes) problems.push(`outputs [${modelOutput.join(", ")}] per sample where the data set has ${classes} classes`);
  if (modelInput.reduce((a, b) => a * b, 1) !== inputSize)
    problems.push(`takes inputs of shape [${declaredInput.map((d) => d ?? "any").join(", ")}] where the data set's samples have shape [${inputShape.join(", ")}]`);
  if (problems.length > 0) {
    model.dispose();
    throw new Error(`${describe} ${problems.join(" and ")}`);
  }
  const inputDtype = model.inputs[0]!.dtype;
  const softmax = endsInSoftmax(model);
  const parameters = model.trainableWeights.map((weight) => weight.read() as tf.Variable);

  const logitsOf = (x: tf.Tensor): tf.Tensor2D => {
    const batch = x.shape[0] ?? 1;
    const input = tf.reshape(x.dtype === inputDtype ? x : tf.cast(x, inputDtype), [batch, ...modelInput]);
    const output = model.apply(input, { training: false }) as tf.Tensor2D;
    return softmax ? (tf.log(tf.maximum(output, 1e-30)) as tf.Tensor2D) : output;
  };

  return {
    parameters,
    lossAndGradients(x, labels) {
      return tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => crossEntropy(logitsOf(x), labels), parameters);
        return { loss: value, gradients: parameters.map((p) => grads[p.name] ?? tf.zerosLike(p)) };
      });
    },
    logits(x) {
      return tf.tidy(() => logitsOf(x));
    },
    dispose() {
      model.dispose();
    },
  };
}
