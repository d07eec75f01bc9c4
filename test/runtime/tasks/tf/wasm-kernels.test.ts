// The gradient kernels registered for the wasm backend, against the cpu backend's own kernels
// (tfjs' reference implementations) on the same inputs, for every way of computing them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../../../../runtime/tasks/tf/backend.js";
import { registerWasmGradientKernels, unregisterWasmGradientKernels, type FilterGradientMethod } from "../../../../runtime/tasks/tf/wasm-kernels.js";
import { fixedValues, relativeError, tf } from "./helpers.js";

type Pad = "same" | "valid" | tf.backend_util.ExplicitPadding;
interface Geometry {
  readonly name: string;
  readonly input: [number, number, number, number];
  readonly filter: [number, number, number, number];
  readonly strides: number;
  readonly pad: Pad;
}

const GEOMETRIES: Geometry[] = [
  { name: "3×3, stride 1, same", input: [2, 7, 6, 3], filter: [3, 3, 3, 4], strides: 1, pad: "same" },
  { name: "2×2, stride 1, same (asymmetric padding)", input: [2, 5, 6, 2], filter: [2, 2, 2, 3], strides: 1, pad: "same" },
  { name: "3×3, stride 1, valid", input: [3, 6, 6, 2], filter: [3, 3, 2, 2], strides: 1, pad: "valid" },
  { name: "3×3, stride 2, same", input: [2, 7, 8, 2], filter: [3, 3, 2, 3], strides: 2, pad: "same" },
  { name: "1×1, stride 2, same (a projection shortcut)", input: [2, 8, 8, 3], filter: [1, 1, 3, 5], strides: 2, pad: "same" },
  { name: "5×3, stride 1, explicit padding", input: [2, 6, 7, 2], filter: [5, 3, 2, 2], strides: 1, pad: [[0, 0], [2, 1], [0, 2], [0, 0]] },
];

function outputShape(g: Geometry): [number, number, number, number] {
  const info = tf.backend_util.computeConv2DInfo(g.input, g.filter, g.strides, 1, g.pad);
  return [g.input[0], info.outHeight, info.outWidth, g.filter[3]];
}

/** Runs a kernel on `backend` with inputs made from fixed values; returns the output values. */
async function runOn(backend: "wasm" | "cpu", kernel: string, inputs: Record<string, [Float32Array | Int32Array, number[], tf.DataType]>, attrs: object) {
  // selectBackend("wasm") would re-register the kernels with their defaults, so wasm is set directly.
  if (backend === "cpu") await selectBackend("cpu");
  else await tf.setBackend("wasm");
  const tensors = Object.fromEntries(Object.entries(inputs).map(([name, [values, shape, dtype]]) => [name, tf.tensor(values, shape, dtype)]));
  const output = tf.engine().runKernel(kernel, tensors, attrs as tf.NamedAttrMap) as tf.Tensor;
  const result = { values: output.dataSync() as Float32Array, shape: output.shape };
  tf.dispose([output, ...Object.values(tensors)]);
  return result;
}

beforeAll(async () => {
  await selectBackend("wasm");
});
afterAll(() => {
  registerWasmGradientKernels();
});

describe.each(["convolution", "im2col", "cpu"] as FilterGradientMethod[])("Conv2DBackpropFilter on wasm by %s", (method) => {
  it.each(GEOMETRIES)("equals the cpu kernel: $name", async (g) => {
    registerWasmGradientKernels({ filterGradient: method });
    const dyShape = outputShape(g);
    const inputs = {
      x: [fixedValues(g.input.reduce((a, b) => a * b), 11), g.input, "float32"],
      dy: [fixedValues(dyShape.reduce((a, b) => a * b), 12), dyShape, "float32"],
    } as const;
    const attrs = { strides: g.strides, pad: g.pad, dataFormat: "NHWC", filterShape: g.filter };
    const wasm = await runOn("wasm", "Conv2DBackpropFilter", inputs as never, attrs);
    const cpu = await runOn("cpu", "Conv2DBackpropFilter", inputs as never, attrs);
    expect(wasm.shape).toEqual(g.filter);
    expect(relativeError(wasm.values, cpu.values)).toBeLessThan(1e-5);
  });
});

describe.each(["convolution", "native"] as const)("Conv2DBackpropInput on wasm (%s)", (method) => {
  it.each(GEOMETRIES)("equals the cpu kernel: $name", async (g) => {
    registerWasmGradientKernels({ inputGradient: method });
    const dyShape = outputShape(g);
    const inputs = {
      dy: [fixedValues(dyShape.reduce((a, b) => a * b), 13), dyShape, "float32"],
      filter: [fixedValues(g.filter.reduce((a, b) => a * b), 14), g.filter, "float32"],
    } as const;
    const attrs = { strides: g.strides, pad: g.pad, dataFormat: "NHWC", inputShape: g.input };
    const wasm = await runOn("wasm", "Conv2DBackpropInput", inputs as never, attrs);
    const cpu = await runOn("cpu", "Conv2DBackpropInput", inputs as never, attrs);
    expect(wasm.shape).toEqual(g.input);
    expect(relativeError(wasm.values, cpu.values)).toBeLessThan(1e-5);
  });
});

describe("UnsortedSegmentSum on wasm", () => {
  it("sums rows by segment, dropping ids outside [0, numSegments), for ids of any leading shape", async () => {
    registerWasmGradientKernels();
    const ids = Int32Array.from([2, 0, 2, -1, 5, 1]);
    const x = fixedValues(6 * 3, 15);
    const result = await runOn("wasm", "UnsortedSegmentSum", { x: [x, [2, 3, 3], "float32"], segmentIds: [ids, [2, 3], "int32"] }, { numSegments: 4 });
    const expected = new Float32Array(4 * 3);
    ids.forEach((id, row) => {
      if (id < 0 || id >= 4) return;
      for (let j = 0; j < 3; j++) expected[id * 3 + j]! += x[row * 3 + j]!;
    });
    expect(result.shape).toEqual([4, 3]);
    expect(Array.from(result.values)).toEqual(Array.from(expected));
  });

  it("handles int32 data", async () => {
    const result = await runOn("wasm", "UnsortedSegmentSum", { x: [Int32Array.from([1, 2, 3, 4]), [4], "int32"], segmentIds: [Int32Array.from([1, 1, 0, 1]), [4], "int32"] }, { numSegments: 2 });
    expect(Array.from(result.values)).toEqual([3, 7]);
  });
});

describe("depthwise convolution gradients on wasm (delegated to cpu)", () => {
  it("equal the cpu kernels", async () => {
    const x = fixedValues(2 * 5 * 5 * 2, 16);
    const filter = fixedValues(3 * 3 * 2 * 2, 17);
    const dy = fixedValues(2 * 5 * 5 * 4, 18);
    const common = { strides: 1, pad: "same", dilations: 1, dimRoundingMode: undefined };
    const filterWasm = await runOn("wasm", "DepthwiseConv2dNativeBackpropFilter", { x: [x, [2, 5, 5, 2], "float32"], dy: [dy, [2, 5, 5, 4], "float32"] }, { ...common, filterShape: [3, 3, 2, 2] });
    const filterCpu = await runOn("cpu", "DepthwiseConv2dNativeBackpropFilter", { x: [x, [2, 5, 5, 2], "float32"], dy: [dy, [2, 5, 5, 4], "float32"] }, { ...common, filterShape: [3, 3, 2, 2] });
    expect(Array.from(filterWasm.values)).toEqual(Array.from(filterCpu.values));
    const inputWasm = await runOn("wasm", "DepthwiseConv2dNativeBackpropInput", { dy: [dy, [2, 5, 5, 4], "float32"], filter: [filter, [3, 3, 2, 2], "float32"] }, { ...common, inputShape: [2, 5, 5, 2] });
    const inputCpu = await runOn("cpu", "DepthwiseConv2dNativeBackpropInput", { dy: [dy, [2, 5, 5, 4], "float32"], filter: [filter, [3, 3, 2, 2], "float32"] }, { ...common, inputShape: [2, 5, 5, 2] });
    expect(Array.from(inputWasm.values)).toEqual(Array.from(inputCpu.values));
  });
});

describe("autodiff on wasm", () => {
  it("differentiates conv2d (stride 1 and 2) and gather like the cpu backend", async () => {
    registerWasmGradientKernels();
    const xValues = fixedValues(2 * 6 * 6 * 2, 19);
    const fValues = fixedValues(3 * 3 * 2 * 3, 20);
    const tValues = fixedValues(5 * 3, 21);
    const gValues = fixedValues(3 * 3 * 3 * 3, 22);
    const gradientsOn = async (backend: "wasm" | "cpu") => {
      await tf.setBackend(backend);
      const x = tf.tensor4d(xValues, [2, 6, 6, 2]);
      const filter = tf.variable(tf.tensor4d(fValues, [3, 3, 2, 3]));
      const table = tf.variable(tf.tensor2d(tValues, [5, 3]));
      const second = tf.variable(tf.tensor4d(gValues, [3, 3, 3, 3]));
      const ids = tf.tensor1d([4, 1, 1, 0], "int32");
      const { value, grads } = tf.variableGrads(() => {
        const a = tf.conv2d(x, filter as tf.Tensor4D, 1, "same");
        const b = tf.conv2d(tf.relu(a), second as tf.Tensor4D, 2, "same");
        const c = tf.sum(tf.matMul(tf.gather(table, ids), tf.reshape(tf.mean(b, [0, 1, 2]), [3, 1])));
        return tf.add(tf.sum(tf.square(b)), c) as tf.Scalar;
      }, [filter, second, table]);
      const result = { loss: value.dataSync()[0]!, filter: grads[filter.name]!.dataSync(), second: grads[second.name]!.dataSync(), table: grads[table.name]!.dataSync() };
      tf.dispose([value, ...Object.values(grads), x, filter, second, table, ids]);
      return result;
    };
    const wasm = await gradientsOn("wasm");
    const cpu = await gradientsOn("cpu");
    expect(Math.abs(wasm.loss - cpu.loss)).toBeLessThan(1e-4 * Math.abs(cpu.loss));
    expect(relativeError(wasm.filter, cpu.filter)).toBeLessThan(1e-5);
    expect(relativeError(wasm.second, cpu.second)).toBeLessThan(1e-5);
    expect(relativeError(wasm.table, cpu.table)).toBeLessThan(1e-5);
  });
});

describe("MaxPoolGrad on wasm", () => {
  const POOLS = [
    { name: "2×2, stride 2, valid (the cnn's pool)", input: [2, 6, 7, 3], filterSize: 2, strides: 2, pad: "valid" },
    { name: "3×3, stride 2, same (the ImageNet ResNet's stem pool)", input: [2, 7, 8, 2], filterSize: 3, strides: 2, pad: "same" },
    { name: "3×2, stride 1, same (overlapping windows)", input: [1, 5, 5, 2], filterSize: [3, 2], strides: 1, pad: "same" },
  ] as const;

  it.each(POOLS)("equals the cpu kernel on values of both signs and with ties: $name", async (g) => {
    registerWasmGradientKernels();
    const size = (g.input as readonly number[]).reduce((a, b) => a * b, 1);
    // Negative windows, and runs of equal values (ties go to the first maximum in row-major order).
    const x = fixedValues(size, 30).map((v, i) => (i % 5 === 0 ? 0.25 : v));
    await selectBackend("cpu");
    const outShape = tf.tidy(() => tf.maxPool(tf.tensor4d(x, [...g.input]), g.filterSize as [number, number], g.strides, g.pad).shape);
    const dy = fixedValues(outShape.reduce((a, b) => a * b, 1), 31);
    const results = [];
    for (const backend of ["wasm", "cpu"] as const) {
      if (backend === "cpu") await selectBackend("cpu");
      else await tf.setBackend("wasm");
      results.push(
        tf.tidy(() => {
          const input = tf.tensor4d(x, [...g.input]);
          const output = tf.maxPool(input, g.filterSize as [number, number], g.strides, g.pad);
          const attrs = { filterSize: g.filterSize, strides: g.strides, pad: g.pad } as unknown as tf.NamedAttrMap;
          return (tf.engine().runKernel("MaxPoolGrad", { dy: tf.tensor(dy, outShape), input, output }, attrs) as tf.Tensor).dataSync();
        }),
      );
    }
    // Overlapping windows add several dy in another order than the cpu kernel: allow rounding.
    expect(relativeError(results[0]!, results[1]!)).toBeLessThan(1e-6);
    expect(results[0]!.filter((v) => v !== 0).length).toBe(results[1]!.filter((v) => v !== 0).length);
  });

  it("replaces wasm's own kernel, which misroutes the gradient of an all-negative window (tfjs 4.22)", async () => {
    const run = () =>
      tf.tidy(() => {
        const input = tf.tensor4d([-1, -0.5, -2, -3], [1, 2, 2, 1]);
        const output = tf.maxPool(input, 2, 2, "valid");
        return Array.from((tf.engine().runKernel("MaxPoolGrad", { dy: tf.ones([1, 1, 1, 1]), input, output }, { filterSize: 2, strides: 2, pad: "valid" }) as tf.Tensor).dataSync());
      });
    await tf.setBackend("wasm");
    unregisterWasmGradientKernels();
    const native = run();
    registerWasmGradientKernels();
    expect(run()).toEqual([0, 1, 0, 0]);
    // If this starts failing, tfjs fixed its kernel and the replacement may go.
    expect(native).not.toEqual([0, 1, 0, 0]);
  });
});

describe("GatherV2 on wasm", () => {
  it.each([
    { name: "rows of a table (an embedding lookup)", x: [6, 4], indices: [2, 3], axis: 0 },
    { name: "along a middle axis", x: [2, 5, 3], indices: [4], axis: 1 },
    { name: "along the last axis, negative axis", x: [3, 4], indices: [2, 2], axis: -1 },
  ])("equals the cpu kernel: $name", async (g) => {
    registerWasmGradientKernels();
    const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
    const x = fixedValues(size(g.x), 32);
    const dimension = g.x.at(g.axis)!;
    const indices = Int32Array.from({ length: size(g.indices) }, (_, i) => (i * 5 + 1) % dimension);
    const inputs = { x: [x, g.x, "float32"], indices: [indices, g.indices, "int32"] } as const;
    const wasm = await runOn("wasm", "GatherV2", inputs as never, { axis: g.axis, batchDims: 0 });
    const cpu = await runOn("cpu", "GatherV2", inputs as never, { axis: g.axis, batchDims: 0 });
    expect(wasm.shape).toEqual(cpu.shape);
    expect(Array.from(wasm.values)).toEqual(Array.from(cpu.values));
  });

  it("gathers int32 values, with batchDims (where wasm's own kernel returns garbage), and rejects an index out of range", async () => {
    registerWasmGradientKernels();
    await tf.setBackend("wasm");
    expect(Array.from(tf.gather(tf.tensor1d([5, 6, 7], "int32"), tf.tensor1d([2, 0], "int32")).dataSync())).toEqual([7, 5]);
    const batched = tf.gather(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([1, 0], [2, 1], "int32"), 1, 1);
    expect(Array.from(batched.dataSync())).toEqual([2, 3]);
    const batched3 = tf.gather(tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]), tf.tensor2d([1, 0, 0, 1], [2, 2], "int32"), 1, 1);
    expect(batched3.shape).toEqual([2, 2, 2]);
    expect(Array.from(batched3.dataSync())).toEqual([3, 4, 1, 2, 5, 6, 7, 8]);
    const before = tf.memory().numTensors;
    expect(() => tf.gather(tf.tensor1d([1, 2]), tf.tensor1d([2], "int32"))).toThrow("GatherV2: the index value 2 is not in [0, 1]");
    expect(tf.memory().numTensors).toBe(before + 2);
  });
});
