// A convolutional classifier with its backward pass written by hand: blocks of convolution
// (same padding, stride 1) + bias + ReLU + 2×2 max-pool, then dense layers.
//
// Each pass is a few large ops: the forward convolution is wasm's fused conv2d (bias and
// ReLU in the same kernel), and both of its gradients are forward convolutions too
// (conv-gradients.ts explains why this beats im2col + matMul on wasm by 2-10x). Max-pooling
// runs through the backends' MaxPool / MaxPoolGrad kernels (on wasm, the MaxPoolGrad of
// wasm-kernels.ts), which send each window's gradient to its first maximum, the rule tfjs
// autodiff uses: splitting it between ties would change bias gradients where ReLU outputs
// tie, as on blank image backgrounds. A mask built from broadcast comparisons measured slower.
import type { TrainableModel } from "../types.js";
import { conv2dFilterGradient, conv2dInputGradient } from "./conv-gradients.js";
import { createDenseStack, denseBackward, denseForward, denseParameters, sumRows } from "./dense.js";
import { crossEntropyWithGradient } from "./loss.js";
import { heBound, uniformVariable, zerosVariable } from "./parameters.js";
import { tf } from "./tfjs.js";

/** Height, width and channels of one image sample: [h, w, c] as is, [h, w] as one channel, [n²] as an n × n image. */
export function imageShape(inputShape: readonly number[], model: string): [number, number, number] {
  if (inputShape.length === 3) return [inputShape[0]!, inputShape[1]!, inputShape[2]!];
  if (inputShape.length === 2) return [inputShape[0]!, inputShape[1]!, 1];
  if (inputShape.length === 1) {
    const side = Math.round(Math.sqrt(inputShape[0]!));
    if (side * side === inputShape[0]) return [side, side, 1];
  }
  throw new Error(
    `${model} needs images: input shape [${inputShape.join(", ")}] is neither [height, width, channels], [height, width] nor a square number of pixels`,
  );
}

/** Samples reshaped to [batch, h, w, c] float32. */
export function toImages(x: tf.Tensor, [height, width, channels]: readonly [number, number, number]): tf.Tensor4D {
  const batch = x.shape[0] ?? 1;
  if (x.size !== batch * height * width * channels)
    throw new Error(`a sample has ${x.size / batch} values, the model expects ${height} × ${width} × ${channels} = ${height * width * channels}`);
  return tf.reshape(x.dtype === "float32" ? x : tf.cast(x, "float32"), [batch, height, width, channels]);
}

interface ConvBlock {
  readonly filter: tf.Variable;
  readonly bias: tf.Variable;
}

interface BlockTrace {
  readonly input: tf.Tensor4D;
  readonly activation: tf.Tensor4D;
  readonly pooled: tf.Tensor4D;
}

const POOL = { filterSize: [2, 2], strides: [2, 2], pad: "valid" } as const;

/**
 * cnn(channels, kernel, dense): one block per entry of `channels` (kernel × kernel filters,
 * He-uniform), the pooled maps flattened into dense ReLU layers of sizes `dense`, then logits.
 */
export function createCnn(
  channels: readonly number[],
  kernel: number,
  dense: readonly number[],
  inputShape: readonly number[],
  classes: number,
  seed: number,
): TrainableModel {
  if (!Number.isInteger(kernel) || kernel < 1) throw new Error(`cnn: kernel must be a positive integer, got ${kernel}`);
  const image = imageShape(inputShape, "cnn");
  let [height, width, inChannels] = image;
  const blocks: ConvBlock[] = channels.map((outChannels, i) => {
    if (height < 2 || width < 2)
      throw new Error(`cnn: ${channels.length} pooling blocks shrink the ${image[0]} × ${image[1]} input below 1 × 1; use fewer channels entries`);
    const block = {
      filter: uniformVariable(seed, `cnn/conv${i}/filter`, [kernel, kernel, inChannels, outChannels], heBound(kernel * kernel * inChannels)),
      bias: zerosVariable([outChannels]),
    };
    [height, width, inChannels] = [Math.floor(height / 2), Math.floor(width / 2), outChannels];
    return block;
  });
  const flatSize = height * width * inChannels;
  const layers = createDenseStack([flatSize, ...dense, classes], seed, "cnn/dense");
  const parameters = [...blocks.flatMap((block) => [block.filter, block.bias]), ...denseParameters(layers)];

  const forward = (x: tf.Tensor) => {
    const trace: BlockTrace[] = [];
    let maps = toImages(x, image);
    for (const block of blocks) {
      const activation = tf.fused.conv2d({ x: maps, filter: block.filter as tf.Tensor4D, strides: 1, pad: "same", bias: block.bias, activation: "relu" });
      const pooled = tf.maxPool(activation, POOL.filterSize as [number, number], POOL.strides as [number, number], POOL.pad);
      trace.push({ input: maps, activation, pooled });
      maps = pooled;
    }
    return { trace, dense: denseForward(layers, tf.reshape(maps, [maps.shape[0], flatSize])) };
  };

  return {
    parameters,
    lossAndGradients(x, labels) {
      return tf.tidy(() => {
        const { trace, dense: denseTrace } = forward(x);
        const { loss, dLogits } = crossEntropyWithGradient(denseTrace.logits, labels);
        const head = denseBackward(layers, denseTrace, dLogits, blocks.length > 0);
        const gradients: tf.Tensor[] = new Array(2 * blocks.length);
        let dPooled = tf.reshape(head.dInput!, trace[trace.length - 1]?.pooled.shape ?? head.dInput!.shape) as tf.Tensor4D;
        for (let i = blocks.length - 1; i >= 0; i--) {
          const { input, activation, pooled } = trace[i]!;
          const block = blocks[i]!;
          const dActivation = tf.engine().runKernel("MaxPoolGrad", { dy: dPooled, input: activation, output: pooled }, { ...POOL }) as tf.Tensor4D;
          const dLinear = tf.mul(dActivation, tf.step(activation)) as tf.Tensor4D;
          gradients[2 * i] = conv2dFilterGradient(input, dLinear, block.filter.shape, 1, "same");
          gradients[2 * i + 1] = sumRows(tf.reshape(dLinear, [-1, dLinear.shape[3]]));
          if (i > 0) dPooled = conv2dInputGradient(dLinear, block.filter as tf.Tensor4D, input.shape, 1, "same")!;
        }
        return { loss, gradients: [...gradients, ...head.gradients] };
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
