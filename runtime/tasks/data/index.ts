// One entry point for a task's data: a DataSpec (what the .optspec file's `data` line says,
// as plain JSON in the plan) turned into a Dataset, relative paths taken from the spec's folder.

import { isAbsolute, resolve } from "node:path";
import { DataError, type Dataset } from "../types.js";
import { loadCifar } from "./cifar.js";
import { loadMnist } from "./mnist.js";
import { synthetic, type SyntheticOptions } from "./synthetic.js";
import { loadText, type TextOptions } from "./text.js";

export { CIFAR10_CLASS_NAMES, loadCifar, type CifarOptions } from "./cifar.js";
export { MNIST_SIZE, loadMnist, type MnistOptions } from "./mnist.js";
export { seededPermutation } from "./shuffle.js";
export { SPIRAL_TURNS, synthetic, type SyntheticOptions } from "./synthetic.js";
export { PADDING_ID, UNKNOWN_ID, buildVocabulary, compareCodePoints, loadText, tokenize, type TextFormat, type TextOptions } from "./text.js";

/** A task's data, one variant per loader; the seed comes separately (from the experiment). */
export type DataSpec =
  | { readonly kind: "mnist"; readonly train: number; readonly test: number }
  | { readonly kind: "cifar"; readonly dir: string; readonly classes: 10 | 100; readonly train?: number; readonly test?: number }
  | ({ readonly kind: "text" } & Omit<TextOptions, "seed">)
  | Omit<SyntheticOptions, "seed">;

/** Loads `spec` with `seed`; relative paths in it are resolved against `baseDir` (the spec file's folder). */
export function loadDataset(spec: DataSpec, seed: number, baseDir: string): Dataset {
  const path = (file: string) => (isAbsolute(file) ? file : resolve(baseDir, file));
  switch (spec.kind) {
    case "mnist":
      return loadMnist({ train: spec.train, test: spec.test, seed });
    case "cifar":
      return loadCifar(path(spec.dir), { classes: spec.classes, train: spec.train, test: spec.test, seed });
    case "text": {
      const { kind: _kind, ...options } = spec;
      return loadText({ ...options, path: path(spec.path), testPath: spec.testPath === undefined ? undefined : path(spec.testPath), seed });
    }
    case "blobs":
    case "spirals":
      return synthetic({ ...spec, seed });
    default: {
      const unknown: never = spec;
      throw new DataError(`data: unknown kind "${String((unknown as { kind?: unknown }).kind)}"; expected mnist, cifar, text, blobs or spirals`);
    }
  }
}
