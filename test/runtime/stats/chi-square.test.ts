import erfc from "@stdlib/math-base-special-erfc";
import { describe, expect, it } from "vitest";

import { chiSquareGoodnessOfFit, chiSquareIndependence, StatsError } from "../../../runtime/stats/index.js";
import { expectAllMatchScipy, expectMatchesScipy, vectors } from "./vectors.js";

const entries = vectors.cases.chi2_contingency.flatMap((table) =>
  table.results.map((vector) => ({
    name: `${table.id} ${table.kind} ${table.shape.join("x")} correction=${vector.correction}${vector.error ? " (scipy raises)" : ""}`,
    table,
    vector,
  })),
);

describe("chiSquareIndependence against scipy.stats.chi2_contingency", () => {
  it.each(entries)("$name", ({ table, vector }) => {
    if (vector.error !== undefined) {
      expect(() => chiSquareIndependence(table.table, { correction: vector.correction })).toThrow(StatsError);
      return;
    }
    const result = chiSquareIndependence(table.table, { correction: vector.correction });
    expectMatchesScipy(result.statistic, vector.statistic!, "statistic");
    expectMatchesScipy(result.pValue, vector.pvalue!, "pValue");
    expect(result.dof).toBe(vector.dof);
    vector.expected_freq!.forEach((row, i) => expectAllMatchScipy(result.expected[i]!, row, `expected[${i}]`));
  });
});

describe("chiSquareIndependence edge cases", () => {
  it("equals N(ad − bc)² / (row and column totals) for an uncorrected 2×2 table", () => {
    const [a, b, c, d] = [12, 5, 7, 16];
    const n = a + b + c + d;
    const expected = (n * (a * d - b * c) ** 2) / ((a + b) * (c + d) * (a + c) * (b + d));
    const result = chiSquareIndependence(
      [
        [a, b],
        [c, d],
      ],
      { correction: false },
    );
    expect(result.statistic).toBeCloseTo(expected, 12);
    // With 1 dof the chi-square tail is erfc(sqrt(x / 2)).
    expect(result.pValue).toBeCloseTo(erfc(Math.sqrt(expected / 2)), 14);
  });

  it("applies Yates only when dof = 1", () => {
    const twoByThree = [
      [10, 20, 30],
      [20, 15, 5],
    ];
    expect(chiSquareIndependence(twoByThree, { correction: true })).toEqual(
      chiSquareIndependence(twoByThree, { correction: false }),
    );
  });

  it("returns statistic 0 and p = 1 for a single-row table (dof 0), as scipy", () => {
    expect(chiSquareIndependence([[3, 4, 5]])).toEqual({ statistic: 0, pValue: 1, dof: 0, expected: [[3, 4, 5]] });
  });

  it("names the empty row or column", () => {
    expect(() =>
      chiSquareIndependence([
        [1, 0, 3],
        [2, 0, 4],
      ]),
    ).toThrow(/chiSquareIndependence: column 1 of the table sums to 0/);
    expect(() =>
      chiSquareIndependence([
        [0, 0],
        [2, 5],
      ]),
    ).toThrow(/row 0 of the table sums to 0/);
  });

  it.each([
    ["an empty table", [], /non-empty array of rows/],
    ["a ragged table", [[1, 2], [3]], /table\[1\] has 1 columns but table\[0\] has 2/],
    ["a negative count", [[1, -2], [3, 4]], /table\[0\]\[1\] is -2; counts must be nonnegative/],
    ["NaN", [[1, NaN], [3, 4]], /table\[0\]\[1\] is NaN/],
    ["Infinity", [[1, Infinity], [3, 4]], /table\[0\]\[1\] is Infinity/],
  ])("rejects %s", (_name, table, message) => {
    expect(() => chiSquareIndependence(table)).toThrow(StatsError);
    expect(() => chiSquareIndependence(table)).toThrow(message);
  });
});

describe("chiSquareGoodnessOfFit", () => {
  it("hand case: 10/20/30 against uniform gives 10 with 2 dof, p = exp(−5)", () => {
    // Expected 20 each: (100 + 0 + 100) / 20.
    const result = chiSquareGoodnessOfFit([10, 20, 30]);
    expect(result.statistic).toBe(10);
    expect(result.dof).toBe(2);
    expect(result.pValue).toBeCloseTo(Math.exp(-5), 16);
  });

  it("hand case: Mendel's peas 315/108/101/32 against 9:3:3:1 (4 − 1 = 3 dof)", () => {
    const observed = [315, 108, 101, 32];
    const shares = [9 / 16, 3 / 16, 3 / 16, 1 / 16];
    const expected = shares.map((s) => s * 556);
    const statistic = observed.reduce((sum, o, i) => sum + (o - expected[i]!) ** 2 / expected[i]!, 0);
    const result = chiSquareGoodnessOfFit(observed, shares);
    expect(statistic).toBeCloseTo(0.4700239808153477, 12);
    expect(result.statistic).toBeCloseTo(statistic, 13);
    expect(result.dof).toBe(3);
    // Chi-square(3) tail: erfc(√(x/2)) + √(2x/π) · exp(−x/2).
    const tail = erfc(Math.sqrt(statistic / 2)) + Math.sqrt((2 * statistic) / Math.PI) * Math.exp(-statistic / 2);
    expect(result.pValue).toBeCloseTo(tail, 14);
  });

  it("matches the 4-dof closed form exp(−x/2)(1 + x/2) on a skewed case", () => {
    const result = chiSquareGoodnessOfFit([30, 5, 5, 5, 5]);
    // Expected 10 each: (400 + 4 · 25) / 10 = 50.
    expect(result.statistic).toBe(50);
    expect(result.pValue / (Math.exp(-25) * 26) - 1).toBeLessThan(1e-12);
  });

  it("with two categories at 1:1 equals the uncorrected 2×2 independence test against a mirrored row", () => {
    // Row sums equal, so each column's expectation is its mean; the table statistic is the sum of both rows' terms.
    const goodness = chiSquareGoodnessOfFit([37, 63]);
    const table = chiSquareIndependence(
      [
        [37, 63],
        [63, 37],
      ],
      { correction: false },
    );
    expect(table.statistic).toBeCloseTo(2 * goodness.statistic, 12);
    expect(goodness.statistic).toBeCloseTo((37 - 63) ** 2 / 100, 13);
  });

  it("hits the 5% critical value 3.841458820694124 at p = 0.05 (1 dof)", () => {
    // (a − b)² / (a + b) = 3.841458820694124 with a + b = 1000.
    const difference = Math.sqrt(3.841458820694124 * 1000);
    const result = chiSquareGoodnessOfFit([500 + difference / 2, 500 - difference / 2]);
    expect(result.pValue).toBeCloseTo(0.05, 13);
  });

  it("renormalises shares that sum to 1 within rounding, so expected and observed totals agree", () => {
    const shares = [0.2, 0.3, 0.5000001];
    const total = 1.0000001;
    const rounded = chiSquareGoodnessOfFit([10, 20, 30], shares);
    const normalised = chiSquareGoodnessOfFit(
      [10, 20, 30],
      shares.map((share) => share / total),
    );
    expect(rounded.statistic).toBeCloseTo(normalised.statistic, 12);
  });

  it.each([
    ["one category", [5], undefined, /at least 2 are needed/],
    ["a negative count", [5, -1], undefined, /observed\[1\] is -1; counts must be nonnegative/],
    ["all-zero counts", [0, 0], undefined, /every observed count is 0/],
    ["NaN", [5, NaN], undefined, /observed\[1\] is NaN/],
    ["shares of the wrong length", [5, 6], [1], /expectedShares has 1 entries but observed has 2/],
    ["shares not summing to 1", [5, 6], [0.5, 0.6], /expectedShares sum to 1.1; they must sum to 1/],
    ["a zero share", [5, 6], [1, 0], /expectedShares\[1\] is 0; every share must be positive/],
  ])("rejects %s", (_name, observed, shares, message) => {
    expect(() => chiSquareGoodnessOfFit(observed, shares)).toThrow(StatsError);
    expect(() => chiSquareGoodnessOfFit(observed, shares)).toThrow(message);
  });
});
