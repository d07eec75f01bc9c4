// Kernels for the wasm backend (tfjs 4.22). Added because wasm lacks them, so that tfjs
// autodiff and the hand-written passes work there: Conv2DBackpropFilter (every conv2d's
// weight gradient), UnsortedSegmentSum (the gradient of gather, so of embeddings), and the
// depthwise convolution gradients. Replaced because wasm's own is slow or wrong:
// Conv2DBackpropInput (stride 1 only; other strides keep wasm's), MaxPoolGrad and GatherV2.
//
// Two ways fill a gap: compute on wasm tensors (the convolution forms of conv-gradients.ts,
// or im2col + matMul), or copy the inputs to the cpu backend, run its kernel and copy the
// result back. The convolution form is the default: measured (conv-gradients.ts, and
// test/bench/tasks-bench.ts) it is 1.3-4x faster than im2col and 200-800x faster than the
// cpu kernel, whose filter gradient is a scalar loop. Delegation remains for the rarely used
// kernels and for geometries the fast forms do not cover (NCHW). UnsortedSegmentSum is a
// JavaScript loop over the wasm heap: the cpu backend's kernel builds one mask per segment
// (time and memory grow with segments × data; with a 20,000-word vocabulary it ran out of
// memory), while the loop takes about 1 ms for 8,192 rows of 64.
//
// MaxPoolGrad exists on wasm but is wrong in tfjs 4.22: the gradient of a window whose values
// are all negative goes to the wrong element or is lost (found comparing it with the cpu
// kernel; after a ReLU every window is ≥ 0, so ReLU-then-pool networks were unaffected,
// pool-then-ReLU ones were not).
// It is replaced by a JavaScript loop over the wasm heap with the cpu kernel's rule (each
// window's gradient goes to its first maximum in row-major order), which also runs faster:
// 128 × 28 × 28 × 16 inputs, 2×2 windows: 11.5 ms against 31 ms.
//
// GatherV2 is replaced too: wasm's kernel copies element by element (about 40 ns each), and
// with batchDims > 0 and one value per slice it returns garbage; copying whole slices with
// TypedArray.set on the heap takes an embedding lookup of 128 × 64 tokens of width 64 from
// 20 ms to about 1 ms.
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { conv2dFilterGradient, conv2dFilterGradientIm2col, conv2dInputGradient, type ConvPad } from "./conv-gradients.js";
import { tf } from "./tfjs.js";

/** How Conv2DBackpropFilter runs on wasm. */
export type FilterGradientMethod = "convolution" | "im2col" | "cpu";
/** How Conv2DBackpropInput runs on wasm: the forward-convolution form (stride 1) or wasm's own. */
export type InputGradientMethod = "convolution" | "native";

export interface WasmKernelOptions {
  readonly filterGradient?: FilterGradientMethod;
  readonly inputGradient?: InputGradientMethod;
}

const WASM = "wasm";
/** Kernels missing from the wasm backend that are only delegated to the cpu backend. */
const DELEGATED = ["DepthwiseConv2dNativeBackpropFilter", "DepthwiseConv2dNativeBackpropInput"] as const;

let registered: string[] = [];
let nativeInputGradient: tf.KernelConfig | undefined;
let nativeMaxPoolGrad: tf.KernelConfig | undefined;
let nativeGather: tf.KernelConfig | undefined;

interface ConvAttributes {
  readonly strides: number | [number, number];
  readonly pad: ConvPad;
  readonly dataFormat?: "NHWC" | "NCHW";
  readonly dimRoundingMode?: "floor" | "round" | "ceil";
}

/** The cpu backend, told not to print its "install tfjs-node" banner (it is used as a helper here). */
function cpuBackend(): tf.KernelBackend {
  const cpu = tf.findBackend("cpu");
  if (!cpu) throw new Error("the cpu backend is not available to run a kernel the wasm backend lacks");
  (cpu as unknown as { firstUse?: boolean }).firstUse = false;
  return cpu;
}

/** A wasm kernel that copies its inputs to the cpu backend, runs the cpu kernel and copies back. */
function delegateToCpu(kernelName: string): tf.KernelFunc {
  return ({ inputs, attrs, backend }) => {
    const wasm = backend as BackendWasm;
    const cpu = cpuBackend();
    const cpuInputs: tf.NamedTensorInfoMap = {};
    const written: object[] = [];
    for (const [name, info] of Object.entries(inputs)) {
      if (!info) continue;
      const dataId = cpu.write(wasm.readSync(info.dataId), info.shape, info.dtype);
      written.push(dataId);
      cpuInputs[name] = { dataId, shape: info.shape, dtype: info.dtype };
    }
    try {
      const output = tf.getKernel(kernelName, "cpu").kernelFunc({ inputs: cpuInputs, attrs: attrs ?? {}, backend: cpu });
      const copies = (Array.isArray(output) ? output : [output]).map((info) => {
        const values = cpu.readSync(info.dataId);
        cpu.disposeData(info.dataId);
        return wasm.makeOutput(info.shape, info.dtype, undefined, values);
      });
      return Array.isArray(output) ? copies : copies[0]!;
    } finally {
      for (const dataId of written) cpu.disposeData(dataId);
    }
  };
}

/** Inputs of a kernel dispatched by the engine are tensors; the fast forms need them as such. */
function tensor<T extends tf.Tensor>(info: tf.TensorInfo | undefined): T {
  if (!(info instanceof tf.Tensor)) throw new Error("a wasm gradient kernel was called with a bare TensorInfo (expected a tensor from the engine)");
  return info as T;
}

/**
 * UnsortedSegmentSum on the wasm heap: out[s] = Σ_{i: ids[i] = s} x[i], ids outside
 * [0, numSegments) dropped (TensorFlow's rule); ids may have any shape that prefixes x's.
 */
function segmentSumKernel({ inputs, attrs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const wasm = backend as BackendWasm;
  const x = inputs["x"]!;
  const ids = inputs["segmentIds"]!;
  const numSegments = (attrs as { numSegments: number }).numSegments;
  const rows = ids.shape.reduce((a, b) => a * b, 1);
  const width = rows === 0 ? 0 : x.shape.reduce((a, b) => a * b, 1) / rows;
  const out = wasm.makeOutput([numSegments, ...x.shape.slice(ids.shape.length)], x.dtype);
  // Views are taken after the allocation, which may grow (and so replace) the wasm memory.
  const target = wasm.typedArrayFromHeap(out) as Float32Array | Int32Array;
  const source = wasm.typedArrayFromHeap(x as tf.Tensor) as Float32Array | Int32Array;
  const segment = wasm.typedArrayFromHeap(ids as tf.Tensor) as Int32Array;
  target.fill(0);
  for (let i = 0; i < rows; i++) {
    const s = segment[i]!;
    if (s < 0 || s >= numSegments) continue;
    const from = i * width;
    const to = s * width;
    for (let j = 0; j < width; j++) target[to + j]! += source[from + j]!;
  }
  return out;
}

/**
 * GatherV2 on the wasm heap, with tfjs' shape rules: x viewed as [batch, outer, dimension,
 * slice] and indices as [batch, count]; the output is [batch, outer, count, slice].
 */
function gatherKernel({ inputs, attrs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const wasm = backend as BackendWasm;
  const x = inputs["x"]!;
  const indicesInfo = inputs["indices"]!;
  const { axis, batchDims } = attrs as unknown as { axis: number; batchDims: number };
  const at = axis < 0 ? axis + x.shape.length : axis;
  const shape = tf.backend_util.segment_util.collectGatherOpShapeInfo(x as tf.Tensor, indicesInfo as tf.Tensor, at, batchDims);
  const { batchSize, outerSize, dimSize, sliceSize } = shape;
  const count = indicesInfo.shape.reduce((a, b) => a * b, 1) / batchSize;
  const indices = wasm.typedArrayFromHeap(indicesInfo as tf.Tensor);
  for (const index of indices) if (!(index >= 0 && index < dimSize)) throw new Error(`GatherV2: the index value ${index} is not in [0, ${dimSize - 1}]`);
  const out = wasm.makeOutput(shape.outputShape, x.dtype);
  // Views are taken after the allocation, which may grow (and so replace) the wasm memory.
  const target = wasm.typedArrayFromHeap(out);
  const source = wasm.typedArrayFromHeap(x as tf.Tensor);
  const rows = wasm.typedArrayFromHeap(indicesInfo as tf.Tensor);
  for (let b = 0; b < batchSize; b++) {
    for (let o = 0; o < outerSize; o++) {
      const from = (b * outerSize + o) * dimSize * sliceSize;
      const to = (b * outerSize + o) * count * sliceSize;
      for (let i = 0; i < count; i++) {
        const start = from + rows[b * count + i]! * sliceSize;
        target.set(source.subarray(start, start + sliceSize), to + i * sliceSize);
      }
    }
  }
  return out;
}

/**
 * MaxPoolGrad (NHWC) on the wasm heap: for every output position, dy goes to the first
 * maximum of its window in row-major order (windows clipped by padding, as the cpu kernel).
 */
function maxPoolGradKernel({ inputs, attrs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const wasm = backend as BackendWasm;
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as {
    filterSize: number | [number, number];
    strides: number | [number, number];
    pad: "same" | "valid" | number;
    dimRoundingMode?: "floor" | "round" | "ceil";
  };
  const x = inputs["input"]!;
  const dyInfo = inputs["dy"]!;
  const info = tf.backend_util.computePool2DInfo(x.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const out = wasm.makeOutput(x.shape, "float32");
  const dx = wasm.typedArrayFromHeap(out) as Float32Array;
  const xs = wasm.typedArrayFromHeap(x as tf.Tensor) as Float32Array;
  const dy = wasm.typedArrayFromHeap(dyInfo as tf.Tensor) as Float32Array;
  dx.fill(0);
  const rowStride = inWidth * channels;
  for (let b = 0; b < batchSize; b++) {
    const batchOffset = b * inHeight * rowStride;
    for (let yR = 0; yR < outHeight; yR++) {
      const rCorner = yR * strideHeight - info.padInfo.top;
      const rMin = Math.max(0, rCorner);
      const rMax = Math.min(inHeight, rCorner + filterHeight);
      for (let yC = 0; yC < outWidth; yC++) {
        const cCorner = yC * strideWidth - info.padInfo.left;
        const cMin = Math.max(0, cCorner);
        const cMax = Math.min(inWidth, cCorner + filterWidth);
        const dyOffset = ((b * outHeight + yR) * outWidth + yC) * channels;
        for (let d = 0; d < channels; d++) {
          let best = Number.NEGATIVE_INFINITY;
          let at = -1;
          for (let r = rMin; r < rMax; r++) {
            const row = batchOffset + r * rowStride + d;
            for (let c = cMin; c < cMax; c++) {
              const value = xs[row + c * channels]!;
              if (value > best) {
                best = value;
                at = row + c * channels;
              }
            }
          }
          if (at >= 0) dx[at]! += dy[dyOffset + d]!;
        }
      }
    }
  }
  return out;
}

function filterGradientKernel(method: FilterGradientMethod): tf.KernelFunc {
  const onCpu = delegateToCpu("Conv2DBackpropFilter");
  if (method === "cpu") return onCpu;
  const compute = method === "im2col" ? conv2dFilterGradientIm2col : conv2dFilterGradient;
  return (parameters) => {
    const attrs = parameters.attrs as unknown as ConvAttributes & { filterShape: [number, number, number, number] };
    if (attrs.dataFormat === "NCHW") return onCpu(parameters);
    const { x, dy } = parameters.inputs;
    return compute(tensor<tf.Tensor4D>(x), tensor<tf.Tensor4D>(dy), attrs.filterShape, attrs.strides, attrs.pad, attrs.dimRoundingMode);
  };
}

function inputGradientKernel(native: tf.KernelConfig): tf.KernelFunc {
  return (parameters) => {
    const attrs = parameters.attrs as unknown as ConvAttributes & { inputShape: [number, number, number, number] };
    if (attrs.dataFormat !== "NCHW") {
      const { dy, filter } = parameters.inputs;
      const result = conv2dInputGradient(tensor<tf.Tensor4D>(dy), tensor<tf.Tensor4D>(filter), attrs.inputShape, attrs.strides, attrs.pad, attrs.dimRoundingMode);
      if (result) return result;
    }
    return native.kernelFunc(parameters);
  };
}

function register(config: tf.KernelConfig): void {
  tf.registerKernel(config);
  registered.push(config.kernelName);
}

/** Registers the kernels with their default methods unless `registerWasmGradientKernels` already ran. */
export function ensureWasmGradientKernels(): void {
  if (registered.length === 0) registerWasmGradientKernels();
}

/**
 * Registers (or re-registers with other methods) the wasm kernels of this file's header.
 * Safe to call again; takes effect for kernels run afterwards.
 */
export function registerWasmGradientKernels(options: WasmKernelOptions = {}): void {
  unregisterWasmGradientKernels();
  register({ kernelName: "Conv2DBackpropFilter", backendName: WASM, kernelFunc: filterGradientKernel(options.filterGradient ?? "convolution") });
  register({ kernelName: "UnsortedSegmentSum", backendName: WASM, kernelFunc: segmentSumKernel as unknown as tf.KernelFunc });
  nativeMaxPoolGrad ??= tf.getKernel("MaxPoolGrad", WASM);
  if (nativeMaxPoolGrad) tf.unregisterKernel("MaxPoolGrad", WASM);
  // The replaced kernels' setup runs when the backend starts, so that they work if restored.
  register({ kernelName: "MaxPoolGrad", backendName: WASM, kernelFunc: maxPoolGradKernel as unknown as tf.KernelFunc, setupFunc: nativeMaxPoolGrad?.setupFunc });
  nativeGather ??= tf.getKernel("GatherV2", WASM);
  if (nativeGather) {
    tf.unregisterKernel("GatherV2", WASM);
    register({ ...nativeGather, kernelFunc: gatherKernel as unknown as tf.KernelFunc });
  }
  for (const kernelName of DELEGATED) register({ kernelName, backendName: WASM, kernelFunc: delegateToCpu(kernelName) });
  if ((options.inputGradient ?? "convolution") === "convolution") {
    nativeInputGradient ??= tf.getKernel("Conv2DBackpropInput", WASM);
    if (nativeInputGradient) {
      tf.unregisterKernel("Conv2DBackpropInput", WASM);
      register({ ...nativeInputGradient, kernelFunc: inputGradientKernel(nativeInputGradient) });
    }
  }
}

/** Removes what `registerWasmGradientKernels` added and restores wasm's own kernels it replaced. */
export function unregisterWasmGradientKernels(): void {
  for (const kernelName of registered) tf.unregisterKernel(kernelName, WASM);
  registered = [];
  for (const native of [nativeInputGradient, nativeMaxPoolGrad, nativeGather]) if (native && !tf.getKernel(native.kernelName, WASM)) tf.registerKernel(native);
}
