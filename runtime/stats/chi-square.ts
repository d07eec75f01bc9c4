import { chiSquareSf } from "./distributions.js";
import { StatsError } from "./errors.js";
import { pairwiseSum } from "./numeric.js";
import { describeValue, requireBoolean, requireSample } from "./validate.js";

export interface ChiSquareIndependenceOptions {
  /** Yates' continuity correction; applied only when dof = 1, as scipy does. */
  correction?: boolean;
}

export interface ChiSquareIndependenceResult {
  statistic: number;
  pValue: number;
  dof: number;
  /** Expected counts under independence: row total × column total / grand total. */
  expected: number[][];
}

export interface ChiSquareGoodnessOfFitResult {
  statistic: number;
  pValue: number;
  dof: number;
}

/** Pearson chi-square test of independence for an R×C table of counts, matching scipy.stats.chi2_contingency. */
export function chiSquareIndependence(
  table: readonly (readonly number[])[],
  options: ChiSquareIndependenceOptions = {},
): ChiSquareIndependenceResult {
  const fn = "chiSquareIndependence";
  const correction = requireBoolean(fn, "correction", options.correction ?? true);
  const rows = requireTable(fn, table);
  const rowCount = rows.length;
  const columnCount = rows[0]!.length;

  const rowTotals = rows.map((row) => pairwiseSum(row));
  const columnTotals = Array.from({ length: columnCount }, (_, j) => {
    let total = 0;
    for (const row of rows) total += row[j]!;
    return total;
  });
  const grandTotal = pairwiseSum(rows.flat());
  const emptyRow = rowTotals.findIndex((total) => total === 0);
  if (emptyRow >= 0) {
    throw new StatsError(
      `${fn}: row ${emptyRow} of the table sums to 0, so its expected counts are 0 and the statistic is undefined; drop empty rows and columns first`,
    );
  }
  const emptyColumn = columnTotals.findIndex((total) => total === 0);
  if (emptyColumn >= 0) {
    throw new StatsError(
      `${fn}: column ${emptyColumn} of the table sums to 0, so its expected counts are 0 and the statistic is undefined; drop empty rows and columns first`,
    );
  }

  const expected = rowTotals.map((rowTotal) => columnTotals.map((columnTotal) => (rowTotal * columnTotal) / grandTotal));
  const dof = (rowCount - 1) * (columnCount - 1);
  if (dof === 0) {
    // A single row or column: observed equals expected by construction.
    return { statistic: 0, pValue: 1, dof, expected };
  }

  const yates = correction && dof === 1;
  const terms: number[] = [];
  rows.forEach((row, i) =>
    row.forEach((count, j) => {
      const expectedCount = expected[i]![j]!;
      // Yates moves each count half a unit towards its expectation, but never past it (scipy gh-13875).
      const observed = yates
        ? count + Math.sign(expectedCount - count) * Math.min(0.5, Math.abs(expectedCount - count))
        : count;
      const deviation = observed - expectedCount;
      terms.push((deviation * deviation) / expectedCount);
    }),
  );
  const statistic = pairwiseSum(terms);
  return { statistic, pValue: chiSquareSf(statistic, dof), dof, expected };
}

/** Pearson chi-square goodness-of-fit of category counts to expected shares (uniform by default), as scipy.stats.chisquare. */
export function chiSquareGoodnessOfFit(
  observed: readonly number[],
  expectedShares?: readonly number[],
): ChiSquareGoodnessOfFitResult {
  const fn = "chiSquareGoodnessOfFit";
  const counts = requireSample(fn, "observed", observed, {
    minLength: 2,
    emptyHint: "give one count per category, for at least two categories",
  });
  counts.forEach((count, i) => {
    if (count < 0) throw new StatsError(`${fn}: observed[${i}] is ${count}; counts must be nonnegative`);
  });
  const total = pairwiseSum(counts);
  if (total === 0) {
    throw new StatsError(`${fn}: every observed count is 0; the test needs at least one observation`);
  }

  let expected: number[];
  if (expectedShares === undefined) {
    expected = counts.map(() => total / counts.length);
  } else {
    const shares = requireSample(fn, "expectedShares", expectedShares, {
      emptyHint: "give one share per observed category, or omit it for uniform shares",
    });
    if (shares.length !== counts.length) {
      throw new StatsError(
        `${fn}: expectedShares has ${shares.length} entries but observed has ${counts.length}; give one share per category`,
      );
    }
    shares.forEach((share, i) => {
      if (share <= 0) {
        throw new StatsError(
          `${fn}: expectedShares[${i}] is ${share}; every share must be positive (drop categories that cannot occur)`,
        );
      }
    });
    const shareTotal = pairwiseSum(shares);
    if (Math.abs(shareTotal - 1) > SHARE_SUM_TOLERANCE) {
      throw new StatsError(
        `${fn}: expectedShares sum to ${shareTotal}; they must sum to 1 (within ${SHARE_SUM_TOLERANCE}), e.g. divide each by their total`,
      );
    }
    // Renormalising absorbs rounding in the shares so expected and observed totals agree exactly, as the test assumes.
    expected = shares.map((share) => (share / shareTotal) * total);
  }

  const terms = counts.map((count, i) => {
    const deviation = count - expected[i]!;
    return (deviation * deviation) / expected[i]!;
  });
  const statistic = pairwiseSum(terms);
  const dof = counts.length - 1;
  return { statistic, pValue: chiSquareSf(statistic, dof), dof };
}

const SHARE_SUM_TOLERANCE = 1e-6;

function requireTable(fn: string, table: unknown): readonly (readonly number[])[] {
  if (!Array.isArray(table) || table.length === 0) {
    throw new StatsError(`${fn}: table is ${describeValue(table)}; pass a non-empty array of rows of counts`);
  }
  const rows = table.map((row: unknown, i: number) =>
    requireSample(fn, `table[${i}]`, row, { emptyHint: "every row needs at least one count" }),
  );
  const width = rows[0]!.length;
  rows.forEach((row, i) => {
    if (row.length !== width) {
      throw new StatsError(
        `${fn}: table[${i}] has ${row.length} columns but table[0] has ${width}; the table must be rectangular`,
      );
    }
    row.forEach((count, j) => {
      if (count < 0) throw new StatsError(`${fn}: table[${i}][${j}] is ${count}; counts must be nonnegative`);
    });
  });
  return rows;
}
