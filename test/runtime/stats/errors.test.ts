import { describe, expect, it } from "vitest";

import {
  adjustPValues,
  bootstrapMedianInterval,
  chiSquareGoodnessOfFit,
  chiSquareIndependence,
  cliffsDelta,
  cohensD,
  kruskalWallis,
  mannWhitneyU,
  StatsError,
  tTest,
  varghaDelaneyA12,
} from "../../../runtime/stats/index.js";
import { vectors } from "./vectors.js";

describe("StatsError", () => {
  it("is an Error with its own name, so callers can tell bad input from bugs", () => {
    const error = new StatsError("tTest: x is empty");
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(StatsError);
    expect(error.name).toBe("StatsError");
    expect(error.message).toBe("tTest: x is empty");
    expect(String(error)).toBe("StatsError: tTest: x is empty");
  });
});

const rejectedByScipy = vectors.cases.chi2_contingency.flatMap((table) =>
  table.results
    .filter((vector) => vector.error !== undefined)
    .map((vector) => ({ name: `${table.id} ${table.kind} correction=${vector.correction}: ${vector.error}`, table, vector })),
);

describe("every input scipy rejects in the vectors is rejected with a StatsError", () => {
  it("the vectors contain rejected cases only for chi2_contingency", () => {
    const rejectedElsewhere = [
      ...vectors.cases.two_sample.flatMap((s) => [...s.mannwhitneyu, ...s.ttest_ind]),
      ...vectors.cases.kruskal,
      ...vectors.cases.multiple_testing,
    ].filter((entry) => "error" in entry);
    expect(rejectedElsewhere).toEqual([]);
    expect(rejectedByScipy.length).toBeGreaterThan(0);
  });

  it.each(rejectedByScipy)("$name", ({ table, vector }) => {
    expect(() => chiSquareIndependence(table.table, { correction: vector.correction })).toThrow(
      /chiSquareIndependence: (row|column) \d+ of the table sums to 0/,
    );
  });
});

describe("every function rejects NaN with a message naming the function and the position", () => {
  const calls: [string, () => unknown][] = [
    ["mannWhitneyU", () => mannWhitneyU([1, NaN], [2])],
    ["tTest", () => tTest([1, 2], [NaN, 2])],
    ["kruskalWallis", () => kruskalWallis([[1], [2, NaN]])],
    ["chiSquareIndependence", () => chiSquareIndependence([[1, 2], [NaN, 4]])],
    ["chiSquareGoodnessOfFit", () => chiSquareGoodnessOfFit([1, NaN])],
    ["adjustPValues", () => adjustPValues([NaN], "bh")],
    ["cliffsDelta", () => cliffsDelta([NaN], [1])],
    ["varghaDelaneyA12", () => varghaDelaneyA12([1], [NaN])],
    ["cohensD", () => cohensD([1, 2], [NaN, 1])],
    ["bootstrapMedianInterval", () => bootstrapMedianInterval([NaN], { seed: 1 })],
  ];
  it.each(calls)("%s", (name, call) => {
    expect(call).toThrow(StatsError);
    expect(call).toThrow(new RegExp(`^${name}: \\S+\\[\\d+\\](\\[\\d+\\])? is NaN; remove or impute missing values`));
  });
});
