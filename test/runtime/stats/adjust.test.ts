import { describe, expect, it } from "vitest";

import { adjustPValues, StatsError } from "../../../runtime/stats/index.js";
import { expectAllMatchScipy, vectors } from "./vectors.js";

const entries = vectors.cases.multiple_testing.flatMap((family) =>
  (["bh", "by", "holm"] as const).map((method) => ({
    name: `${family.id} ${family.kind} m=${family.m} ${method}`,
    method,
    family,
  })),
);

describe("adjustPValues against scipy.stats.false_discovery_control and R's Holm", () => {
  it.each(entries)("$name", ({ method, family }) => {
    expectAllMatchScipy(adjustPValues(family.p, method), family[method], method);
  });
});

describe("adjustPValues hand cases", () => {
  it("Holm multiplies the i-th smallest by m − i + 1 and keeps the sequence monotone", () => {
    // Sorted: 0.01·4, 0.02·3, 0.03·2 → 0.06 (max with 0.06), 0.5·1 → 0.5.
    expect(adjustPValues([0.03, 0.5, 0.01, 0.02], "holm")).toEqual([0.06, 0.5, 0.04, 0.06]);
  });

  it("BH takes the running minimum of m·p/i from the largest p down", () => {
    // m/i·p: 0.01·4 = 0.04, 0.02·2 = 0.04, 0.03·4/3 = 0.04, 0.5·1 = 0.5.
    const adjusted = adjustPValues([0.03, 0.5, 0.01, 0.02], "bh");
    [0.04, 0.5, 0.04, 0.04].forEach((value, i) => expect(adjusted[i]).toBeCloseTo(value, 15));
  });

  it("BY is BH scaled by the harmonic number, capped at 1", () => {
    const bh = adjustPValues([0.001, 0.01, 0.2], "bh");
    const by = adjustPValues([0.001, 0.01, 0.2], "by");
    const harmonic = 1 + 1 / 2 + 1 / 3;
    by.forEach((value, i) => expect(value).toBeCloseTo(Math.min(1, bh[i]! * harmonic), 15));
  });

  it("returns an empty array for an empty family", () => {
    expect(adjustPValues([], "bh")).toEqual([]);
  });

  it.each([
    ["a p-value above 1", [0.2, 1.5], /pValues\[1\] is 1.5; p-values must lie in \[0, 1\]/],
    ["a negative p-value", [-0.1], /pValues\[0\] is -0.1/],
    ["NaN", [0.1, NaN], /pValues\[1\] is NaN/],
  ])("rejects %s", (_name, ps, message) => {
    expect(() => adjustPValues(ps, "holm")).toThrow(StatsError);
    expect(() => adjustPValues(ps, "holm")).toThrow(message);
  });

  it("rejects an unknown method", () => {
    expect(() => adjustPValues([0.1], "bonferroni" as never)).toThrow(/method is "bonferroni"; use one of "holm", "bh", "by"/);
  });
});
