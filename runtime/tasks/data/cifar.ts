// CIFAR-10 and CIFAR-100 from the standard binary versions (Krizhevsky 2009). Each record is
// label byte(s) then 3072 pixel bytes: 1024 red, 1024 green, 1024 blue, each plane row-major
// 32×32. Samples come out as float32 in [0, 1], laid out height × width × channel for tfjs.

import { existsSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { DataError, type Dataset, type Split } from "../types.js";
import { checkCount, checkSeed, seededPermutation } from "./shuffle.js";

export interface CifarOptions {
  readonly classes: 10 | 100;
  /** A seeded subset of this many training records (all, in file order, when absent). */
  readonly train?: number;
  /** A seeded subset of this many test records (all, in file order, when absent). */
  readonly test?: number;
  readonly seed: number;
}

const SIDE = 32;
const PLANE = SIDE * SIDE;
const PIXELS = 3 * PLANE;

export const CIFAR10_CLASS_NAMES: readonly string[] = [
  "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
];

/** What each variant's folder holds; the layout text goes into every error message. */
interface Layout {
  readonly name: string;
  readonly subfolder: string;
  readonly trainFiles: readonly string[];
  readonly testFiles: readonly string[];
  readonly namesFile: string;
  /** Label bytes before the pixels; the last one is the class used. */
  readonly labelBytes: number;
  readonly labelLimits: readonly number[];
  readonly classes: number;
  readonly archive: string;
}

const CIFAR10: Layout = {
  name: "cifar10",
  subfolder: "cifar-10-batches-bin",
  trainFiles: [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`),
  testFiles: ["test_batch.bin"],
  namesFile: "batches.meta.txt",
  labelBytes: 1,
  labelLimits: [10],
  classes: 10,
  archive: "CIFAR-10 binary version (cifar-10-binary.tar.gz)",
};

const CIFAR100: Layout = {
  name: "cifar100",
  subfolder: "cifar-100-binary",
  trainFiles: ["train.bin"],
  testFiles: ["test.bin"],
  namesFile: "fine_label_names.txt",
  labelBytes: 2,
  labelLimits: [20, 100],
  classes: 100,
  archive: "CIFAR-100 binary version (cifar-100-binary.tar.gz)",
};

function recordSize(layout: Layout): number {
  return layout.labelBytes + PIXELS;
}

function layoutText(layout: Layout): string {
  const files = [...layout.trainFiles, ...layout.testFiles].join(", ");
  const labels = layout.labelBytes === 1 ? "1 label byte (0-9)" : "1 coarse label byte (0-19), 1 fine label byte (0-99)";
  return (
    `expected a folder holding ${files} (and optionally ${layout.namesFile}), either directly or in its ${layout.subfolder} subfolder; ` +
    `each file is a sequence of ${recordSize(layout)}-byte records: ${labels}, then 1024 red, 1024 green and 1024 blue bytes, each row-major 32×32. ` +
    `Get the ${layout.archive} from https://www.cs.toronto.edu/~kriz/cifar.html and unpack it (tar xzf)`
  );
}

/** `dir` itself when it holds any of the variant's files, else its standard subfolder when that exists. */
function findFolder(dir: string, layout: Layout): string {
  const all = [...layout.trainFiles, ...layout.testFiles];
  const direct = resolve(dir);
  const nested = join(direct, layout.subfolder);
  const holdsAny = (folder: string) => all.some((file) => existsSync(join(folder, file)));
  const folder = holdsAny(direct) ? direct : holdsAny(nested) ? nested : undefined;
  if (!folder) {
    const what = !existsSync(direct) ? "does not exist" : !statSync(direct).isDirectory() ? "is not a folder" : `holds none of the ${layout.name} files`;
    throw new DataError(`${layout.name}: the folder ${direct} ${what}; ${layoutText(layout)}`, direct);
  }
  const missing = all.filter((file) => !existsSync(join(folder, file)));
  if (missing.length > 0) {
    throw new DataError(`${layout.name}: ${folder} lacks ${missing.join(", ")}; ${layoutText(layout)}`, join(folder, missing[0]!));
  }
  return folder;
}

function readBytes(file: string, layout: Layout): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new DataError(`${layout.name}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); ${layoutText(layout)}`, file);
  }
}

/** The records of one split: the files' bytes, concatenated, checked for size and label range. */
function readRecords(folder: string, files: readonly string[], layout: Layout): { bytes: Buffer; count: number } {
  const size = recordSize(layout);
  const parts: Buffer[] = [];
  for (const name of files) {
    const file = join(folder, name);
    const bytes = readBytes(file, layout);
    if (bytes.length === 0 || bytes.length % size !== 0) {
      const what = bytes.length === 0 ? "is empty" : `has ${bytes.length} bytes, not a multiple of the ${size}-byte record`;
      throw new DataError(`${layout.name}: ${file} ${what} (is it the binary version, not the Python or MATLAB one?); ${layoutText(layout)}`, file);
    }
    for (let record = 0; record * size < bytes.length; record++) {
      for (let b = 0; b < layout.labelBytes; b++) {
        const label = bytes[record * size + b]!;
        if (label >= layout.labelLimits[b]!) {
          const which = layout.labelBytes === 1 ? "label" : b === 0 ? "coarse label" : "fine label";
          throw new DataError(
            `${layout.name}: ${file} record ${record} (byte ${record * size + b}) has ${which} ${label}, ` +
              `expected 0-${layout.labelLimits[b]! - 1}; ${layoutText(layout)}`,
            file,
          );
        }
      }
    }
    parts.push(bytes);
  }
  const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  return { bytes, count: bytes.length / size };
}

function readClassNames(folder: string, layout: Layout): readonly string[] {
  const file = join(folder, layout.namesFile);
  if (!existsSync(file)) return layout.classes === 10 ? CIFAR10_CLASS_NAMES : Array.from({ length: layout.classes }, (_, i) => String(i));
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new DataError(`${layout.name}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, file);
  }
  const names = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line.length > 0);
  if (names.length !== layout.classes) {
    throw new DataError(
      `${layout.name}: ${file} names ${names.length} classes, expected ${layout.classes} (one class name a line, in label order); ${layoutText(layout)}`,
      file,
    );
  }
  return names;
}

/** Records `chosen` (indices into the split) as HWC float32 in [0, 1] and their class labels. */
function decode(bytes: Buffer, chosen: Int32Array, layout: Layout): Split {
  const size = recordSize(layout);
  const count = chosen.length;
  const x = new Float32Array(count * PIXELS);
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const start = chosen[i]! * size;
    y[i] = bytes[start + layout.labelBytes - 1]!;
    const pixels = start + layout.labelBytes;
    const out = i * PIXELS;
    for (let p = 0; p < PLANE; p++) {
      // CHW on disk → HWC in memory: pixel p = row * 32 + column, channel c at plane c.
      x[out + 3 * p] = bytes[pixels + p]! / 255;
      x[out + 3 * p + 1] = bytes[pixels + PLANE + p]! / 255;
      x[out + 3 * p + 2] = bytes[pixels + 2 * PLANE + p]! / 255;
    }
  }
  return { x, y, count };
}

/** All records in file order, or the first `wanted` of a seeded permutation of them. */
function choose(available: number, wanted: number | undefined, seed: number, stream: string, label: string, layout: Layout, file: string): Int32Array {
  if (wanted === undefined) return Int32Array.from({ length: available }, (_, i) => i);
  checkCount(wanted, label, layout.name);
  if (wanted > available) {
    throw new DataError(`${layout.name}: ${label} = ${wanted} exceeds the ${available} ${label} records in ${file}`, file);
  }
  return seededPermutation(available, seed, stream).slice(0, wanted);
}

/**
 * CIFAR-10 (`classes: 10`) or CIFAR-100 (`classes: 100`, fine labels) from the binary files in
 * `dir` or its standard subfolder. Samples are [32, 32, 3] float32 in [0, 1].
 */
export function loadCifar(dir: string, options: CifarOptions): Dataset {
  const layout = options.classes === 10 ? CIFAR10 : options.classes === 100 ? CIFAR100 : undefined;
  if (!layout) throw new DataError(`cifar: classes must be 10 or 100, got ${String(options.classes)}`, dir);
  checkSeed(options.seed, layout.name);
  const folder = findFolder(dir, layout);
  const classNames = readClassNames(folder, layout);
  const train = readRecords(folder, layout.trainFiles, layout);
  const test = readRecords(folder, layout.testFiles, layout);
  const filesText = (files: readonly string[]) => (files.length === 1 ? join(folder, files[0]!) : `${folder} (${files.join(", ")})`);
  const trainChosen = choose(train.count, options.train, options.seed, `data/${layout.name}/train`, "train", layout, filesText(layout.trainFiles));
  const testChosen = choose(test.count, options.test, options.seed, `data/${layout.name}/test`, "test", layout, filesText(layout.testFiles));
  const subset = options.train !== undefined || options.test !== undefined ? ` (seed ${options.seed})` : "";
  return {
    description: `${layout.name}: ${trainChosen.length} train / ${testChosen.length} test images from ${folder}${subset}`,
    inputShape: [SIDE, SIDE, 3],
    inputKind: "features",
    classes: layout.classes,
    classNames,
    train: decode(train.bytes, trainChosen, layout),
    test: decode(test.bytes, testChosen, layout),
  };
}
