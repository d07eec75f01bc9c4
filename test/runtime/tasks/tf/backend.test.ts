// Backend selection: wasm loads from node_modules into the one tfjs-core instance, auto falls
// back past the tfjs-node packages (not installed here), and a forced backend that cannot
// load says why and how to fix it.
import { createRequire } from "node:module";
import { afterAll, describe, expect, it } from "vitest";
import { selectBackend, type BackendRequest } from "../../../../runtime/tasks/tf/backend.js";
import { tf } from "./helpers.js";

const installed = (name: string): boolean => {
  try {
    createRequire(import.meta.url).resolve(name);
    return true;
  } catch {
    return false;
  }
};
const nodeInstalled = installed("@tensorflow/tfjs-node") || installed("@tensorflow/tfjs-node-gpu");

afterAll(async () => {
  await selectBackend("wasm");
});

describe("selectBackend", () => {
  it("loads the wasm backend from node_modules, without network, into the same tfjs-core", async () => {
    const selected = await selectBackend("wasm");
    expect(selected.name).toBe("wasm");
    expect(selected.detail).toMatch(/^wasm: WebAssembly with SIMD, 1 thread/);
    expect(tf.getBackend()).toBe("wasm");
    // The engine the imported tfjs-core uses runs kernels on wasm, including the ones registered here.
    expect(tf.getKernel("Conv2DBackpropFilter", "wasm")).toBeDefined();
    const product = tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([5, 6, 7, 8], [2, 2]));
    expect(Array.from(product.dataSync())).toEqual([19, 22, 43, 50]);
    expect(tf.engine().backendName).toBe("wasm");
  });

  it("selects the cpu backend", async () => {
    const selected = await selectBackend("cpu");
    expect(selected).toEqual({ name: "cpu", detail: expect.stringMatching(/^cpu: plain JavaScript/) });
    expect(tf.getBackend()).toBe("cpu");
  });

  it.skipIf(nodeInstalled)("auto skips tfjs-node-gpu and tfjs-node when they are not installed and takes wasm, saying why", async () => {
    const selected = await selectBackend("auto");
    expect(selected.name).toBe("wasm");
    expect(selected.detail).toContain("(auto; skipped tfjs-node-gpu: @tensorflow/tfjs-node-gpu is not installed");
    expect(selected.detail).toContain("tfjs-node: @tensorflow/tfjs-node is not installed");
    expect(tf.getBackend()).toBe("wasm");
  });

  it.skipIf(nodeInstalled).each([
    ["tfjs-node", "npm install @tensorflow/tfjs-node"],
    ["tfjs-node-gpu", "npm install @tensorflow/tfjs-node-gpu"],
  ] as const)("a forced %s that is not installed throws an Error that says how to install it", async (name, fix) => {
    const error = await selectBackend(name).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain(`backend ${name} is not available: @tensorflow/${name} is not installed`);
    expect((error as Error).message).toContain(fix);
  });

  it("rejects an unknown backend name, listing the known ones", async () => {
    await expect(selectBackend("webgl" as BackendRequest)).rejects.toThrow('unknown backend "webgl"; choose one of auto, tfjs-node-gpu, tfjs-node, wasm, cpu');
  });
});
