// Shared by the *.test.ts files here: loads scipy's reference vectors and compares to them.
import { readFileSync } from "node:fs";

import { expect } from "vitest";

const VECTORS_URL = new URL("../../../../shared/testdata/stats_vectors.json", import.meta.url);

export interface MannWhitneyVector {
  alternative: "two-sided" | "less" | "greater";
  method: "auto" | "exact" | "asymptotic";
  use_continuity: boolean;
  method_resolved?: "exact" | "asymptotic";
  statistic: number;
  pvalue: number;
}

export interface TTestVector {
  equal_var: boolean;
  alternative: "two-sided" | "less" | "greater";
  statistic: number;
  pvalue: number;
  df: number;
}

export interface TwoSampleCase {
  id: string;
  kind: string;
  n_x: number;
  n_y: number;
  x: number[];
  y: number[];
  has_ties: boolean;
  mannwhitneyu: MannWhitneyVector[];
  ttest_ind: TTestVector[];
  pair_counts: { x_gt_y: number; x_lt_y: number; x_eq_y: number };
  cliffs_delta: number;
  vargha_delaney_a12: number;
}

export interface KruskalCase {
  id: string;
  kind: string;
  sizes: number[];
  groups: number[][];
  has_ties: boolean;
  statistic: number;
  pvalue: number;
  df: number;
}

export interface ChiSquareResultVector {
  correction: boolean;
  statistic?: number;
  pvalue?: number;
  dof?: number;
  expected_freq?: number[][];
  error?: string;
}

export interface ChiSquareCase {
  id: string;
  kind: string;
  shape: [number, number];
  table: number[][];
  results: ChiSquareResultVector[];
}

export interface MultipleTestingCase {
  id: string;
  kind: string;
  m: number;
  p: number[];
  bh: number[];
  by: number[];
  holm: number[];
}

export interface StatsVectors {
  meta: { scipy_version: string };
  cases: {
    two_sample: TwoSampleCase[];
    kruskal: KruskalCase[];
    chi2_contingency: ChiSquareCase[];
    multiple_testing: MultipleTestingCase[];
  };
}

const NON_FINITE: Record<string, number> = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity };

export const vectors: StatsVectors = JSON.parse(readFileSync(VECTORS_URL, "utf8"), (_key, value: unknown) =>
  typeof value === "string" && value in NON_FINITE ? NON_FINITE[value] : value,
);

const RELATIVE_TOLERANCE = 1e-9;
const ABSOLUTE_FLOOR = 1e-300;

/**
 * Where scipy's value is exact (NaN, ±Infinity, 0, 1) ours must be identical; elsewhere it must
 * agree to a relative error of 1e-9.
 */
export function expectMatchesScipy(actual: number, expected: number, label: string): void {
  if (Number.isNaN(expected) || !Number.isFinite(expected) || expected === 0 || expected === 1) {
    expect(actual, label).toBe(expected);
    return;
  }
  const error = Math.abs(actual - expected);
  const allowed = RELATIVE_TOLERANCE * Math.abs(expected) + ABSOLUTE_FLOOR;
  expect(error <= allowed, `${label}: got ${actual}, scipy ${expected} (|diff| ${error} > ${allowed})`).toBe(true);
}

export function expectAllMatchScipy(actual: readonly number[], expected: readonly number[], label: string): void {
  expect(actual.length, `${label} length`).toBe(expected.length);
  expected.forEach((value, i) => expectMatchesScipy(actual[i]!, value, `${label}[${i}]`));
}
