// Residual networks, differentiated by tfjs autodiff (tf.variableGrads) rather than by hand;
// on wasm the convolution gradients run through the kernels of wasm-kernels.ts.
//
// resnet(depth):
// - depth = 6n + 2 (8, 14, 20, 26, 32, 44, 56, 110, …): the CIFAR ResNet of He et al. (2016,
//   section 4.2): a 3×3 stem of 16 channels, three stages of n basic blocks (two 3×3 convs)
//   with 16, 32, 64 channels, stride 2 entering stages 2 and 3, global average pool, logits;
// - depth 18, 34 (basic blocks) and 50, 101, 152 (bottleneck blocks, 4× expansion): the
//   ImageNet ResNets: 7×7 stride-2 stem of 64, 3×3 stride-2 max-pool, four stages of 64 to
//   512 channels. They train on CPU backends only in toy sizes; they are for tfjs-node-gpu.
//   (50 and 152 are also 6n + 2; these depths mean the ImageNet networks.)
// When the shape changes, the shortcut is a 1×1 convolution (projection, option B).
//
// No normalization: a model is exactly its parameters, so model noise, SAM's ascent and
// snapshots see everything that defines it (batch-norm statistics would be hidden state).
// Instead each residual branch starts as zero (its last conv is zero-initialized, as in
// Goyal et al. 2017 and Fixup, Zhang et al. 2019) and its other convs are He-uniform scaled by
// L^(-1/(2m-2)) for L blocks of m convs (Fixup's rule), so every block starts as the identity
// and the signal does not grow with depth. Convs carry biases (zero at start).
import type { TrainableModel } from "../types.js";
import { toImages, imageShape } from "./conv.js";
import { crossEntropy } from "./loss.js";
import { glorotBound, heBound, uniformVariable, zerosVariable } from "./parameters.js";
import { tf } from "./tfjs.js";

const IMAGENET_STAGES: Readonly<Record<number, { blocks: readonly number[]; bottleneck: boolean }>> = {
  18: { blocks: [2, 2, 2, 2], bottleneck: false },
  34: { blocks: [3, 4, 6, 3], bottleneck: false },
  50: { blocks: [3, 4, 6, 3], bottleneck: true },
  101: { blocks: [3, 4, 23, 3], bottleneck: true },
  152: { blocks: [3, 8, 36, 3], bottleneck: true },
};

/** Whether `depth` names a ResNet this module builds. */
export function isResnetDepth(depth: number): boolean {
  return depth in IMAGENET_STAGES || (Number.isInteger(depth) && depth >= 8 && (depth - 2) % 6 === 0);
}

interface Conv {
  readonly filter: tf.Variable;
  readonly bias: tf.Variable;
  readonly stride: number;
}

interface Block {
  readonly branch: readonly Conv[];
  readonly shortcut: Conv | null;
}

class Builder {
  readonly parameters: tf.Variable[] = [];
  private count = 0;
  constructor(private readonly seed: number) {}

  conv(kernel: number, inChannels: number, outChannels: number, stride: number, scale = 1): Conv {
    const name = `resnet/conv${this.count++}`;
    const filter = uniformVariable(this.seed, name, [kernel, kernel, inChannels, outChannels], scale * heBound(kernel * kernel * inChannels));
    const bias = zerosVariable([outChannels]);
    this.parameters.push(filter, bias);
    return { filter, bias, stride };
  }
}

function applyConv(conv: Conv, x: tf.Tensor4D, relu: boolean): tf.Tensor4D {
  return tf.fused.conv2d({ x, filter: conv.filter as tf.Tensor4D, strides: conv.stride, pad: "same", bias: conv.bias, activation: relu ? "relu" : "linear" });
}

/** A ResNet of `depth` layers for images of `inputShape` (see the header for the depths). */
export function createResnet(depth: number, inputShape: readonly number[], classes: number, seed: number): TrainableModel {
  if (!isResnetDepth(depth))
    throw new Error(`resnet: depth ${depth} is not available; use 6n + 2 (8, 14, 20, 32, 44, 56, 110) for CIFAR-style networks or 18, 34, 50, 101, 152 for ImageNet-style ones`);
  const image = imageShape(inputShape, "resnet");
  const builder = new Builder(seed);
  const imagenet = IMAGENET_STAGES[depth];
  const stageBlocks = imagenet ? imagenet.blocks : [0, 0, 0].map(() => (depth - 2) / 6);
  const bottleneck = imagenet?.bottleneck ?? false;
  const widths = imagenet ? [64, 128, 256, 512] : [16, 32, 64];
  const convsPerBlock = bottleneck ? 3 : 2;
  const totalBlocks = stageBlocks.reduce((a, b) => a + b, 0);
  const branchScale = totalBlocks ** (-1 / (2 * convsPerBlock - 2));

  const stem = imagenet ? builder.conv(7, image[2], 64, 2) : builder.conv(3, image[2], 16, 1);
  let channels = imagenet ? 64 : 16;
  const blocks: Block[] = [];
  stageBlocks.forEach((count, stage) => {
    const width = widths[stage]!;
    for (let i = 0; i < count; i++) {
      const stride = i === 0 && stage > 0 ? 2 : 1;
      const out = bottleneck ? 4 * width : width;
      const branch = bottleneck
        ? [builder.conv(1, channels, width, 1, branchScale), builder.conv(3, width, width, stride, branchScale), builder.conv(1, width, out, 1, 0)]
        : [builder.conv(3, channels, width, stride, branchScale), builder.conv(3, width, width, 1, 0)];
      const shortcut = stride !== 1 || channels !== out ? builder.conv(1, channels, out, stride) : null;
      blocks.push({ branch, shortcut });
      channels = out;
    }
  });
  const head = uniformVariable(seed, "resnet/logits/kernel", [channels, classes], glorotBound(channels, classes));
  const headBias = zerosVariable([classes]);
  const parameters = [...builder.parameters, head, headBias];

  const logitsOf = (x: tf.Tensor): tf.Tensor2D => {
    let maps = applyConv(stem, toImages(x, image), true);
    if (imagenet) maps = tf.maxPool(maps, 3, 2, "same");
    for (const block of blocks) {
      let branch = maps;
      block.branch.forEach((conv, i) => {
        branch = applyConv(conv, branch, i + 1 < block.branch.length);
      });
      const shortcut = block.shortcut ? applyConv(block.shortcut, maps, false) : maps;
      maps = tf.relu(tf.add(branch, shortcut));
    }
    const pooled = tf.mean(maps, [1, 2]) as tf.Tensor2D;
    return tf.add(tf.matMul(pooled, head as tf.Tensor2D), headBias) as tf.Tensor2D;
  };

  return {
    parameters,
    lossAndGradients(x, labels) {
      return tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => crossEntropy(logitsOf(x), labels), parameters);
        return { loss: value, gradients: parameters.map((p) => grads[p.name]!) };
      });
    },
    logits(x) {
      return tf.tidy(() => logitsOf(x));
    },
    dispose() {
      tf.dispose(parameters);
    },
  };
}
