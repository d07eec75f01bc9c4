// Classification metrics against hand-computed values; macro-F1 follows scikit-learn's
// f1_score(average="macro", zero_division=0): classes in labels or predictions, F1 = 0 where undefined.
import { describe, expect, it } from "vitest";
import { accuracy, argmaxRows, macroF1 } from "../../../runtime/tasks/metrics.js";

const ids = (values: number[]) => Int32Array.from(values);

describe("accuracy", () => {
  it("is the share of matches", () => {
    expect(accuracy(ids([0, 1, 2, 2]), ids([0, 1, 1, 2]))).toBe(0.75);
    expect(accuracy(ids([3]), ids([3]))).toBe(1);
    expect(accuracy(ids([]), ids([]))).toBeNaN();
    expect(() => accuracy(ids([0]), ids([0, 1]))).toThrow(RangeError);
  });
});

describe("macroF1", () => {
  it("averages per-class F1 (three classes, all present)", () => {
    // class 0: P = 1/2, R = 1/2 → 1/2; class 1: P = 2/3, R = 1 → 4/5; class 2: P = 1, R = 1/2 → 2/3.
    const f1 = macroF1(ids([0, 1, 1, 1, 0, 2]), ids([0, 0, 1, 1, 2, 2]), 3);
    expect(f1).toBeCloseTo((1 / 2 + 4 / 5 + 2 / 3) / 3, 12);
  });

  it("scores a class that is never predicted as 0 (zero_division=0)", () => {
    // sklearn: f1_score([0,0,1,1], [0,0,0,0], average="macro", zero_division=0) = 1/3.
    expect(macroF1(ids([0, 0, 0, 0]), ids([0, 0, 1, 1]), 2)).toBeCloseTo(1 / 3, 12);
  });

  it("counts a class that is predicted but never present (F1 0), and skips a class in neither", () => {
    // class 0: P = 1, R = 2/3 → 4/5; class 1: 1; class 2 (predicted once, never present): 0; class 3: absent.
    expect(macroF1(ids([0, 0, 2, 1]), ids([0, 0, 0, 1]), 3)).toBeCloseTo(0.6, 12);
    expect(macroF1(ids([0, 0, 2, 1]), ids([0, 0, 0, 1]), 4)).toBeCloseTo(0.6, 12);
  });

  it("is 1 for perfect predictions, 0 when nothing is right, NaN without rows", () => {
    expect(macroF1(ids([2, 0, 1]), ids([2, 0, 1]), 5)).toBe(1);
    expect(macroF1(ids([1, 0]), ids([0, 1]), 2)).toBe(0);
    expect(macroF1(ids([]), ids([]), 3)).toBeNaN();
  });

  it("rejects ids outside [0, classes) and mismatched lengths", () => {
    expect(() => macroF1(ids([3]), ids([0]), 3)).toThrow(/row 0 has prediction 3/);
    expect(() => macroF1(ids([0]), ids([-1]), 3)).toThrow(RangeError);
    expect(() => macroF1(ids([0, 1]), ids([0]), 3)).toThrow(RangeError);
  });
});

describe("argmaxRows", () => {
  it("picks each row's largest logit, the first on ties, never NaN", () => {
    const logits = Float32Array.from([
      0.1, 0.7, 0.2,
      5, 5, 1,
      -1, -3, -0.5,
      NaN, 2, 2,
      NaN, NaN, NaN,
      -Infinity, -Infinity, -Infinity,
    ]);
    expect(Array.from(argmaxRows(logits, 6, 3))).toEqual([1, 0, 2, 1, 0, 0]);
    expect(() => argmaxRows(logits, 5, 3)).toThrow(RangeError);
    expect(argmaxRows(new Float32Array(0), 0, 3).length).toBe(0);
  });
});
