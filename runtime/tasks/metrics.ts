// Classification metrics over class-id arrays: what a task reports for each snapshot on its
// test split. Macro-F1 follows scikit-learn's f1_score(average="macro", zero_division=0).

function checkLengths(predicted: Int32Array, labels: Int32Array, what: string): void {
  if (predicted.length !== labels.length) {
    throw new RangeError(`${what}: ${predicted.length} predictions for ${labels.length} labels`);
  }
}

/** Share of rows where predicted equals the label; NaN for no rows. */
export function accuracy(predicted: Int32Array, labels: Int32Array): number {
  checkLengths(predicted, labels, "accuracy");
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) correct++;
  return labels.length === 0 ? NaN : correct / labels.length;
}

/**
 * Unweighted mean of the per-class F1 = 2·TP / (2·TP + FP + FN) over the classes that occur in
 * `labels` or in `predicted` (scikit-learn's macro average without a `labels` argument); a class
 * in only one of them scores 0 (zero_division=0). Ids must lie in [0, classes). NaN for no rows.
 */
export function macroF1(predicted: Int32Array, labels: Int32Array, classes: number): number {
  checkLengths(predicted, labels, "macroF1");
  const truePositives = new Float64Array(classes);
  const predictedCounts = new Float64Array(classes);
  const labelCounts = new Float64Array(classes);
  for (let i = 0; i < labels.length; i++) {
    const p = predicted[i]!;
    const l = labels[i]!;
    if (!(p >= 0 && p < classes && l >= 0 && l < classes)) {
      throw new RangeError(`macroF1: row ${i} has prediction ${p} and label ${l}, expected ids in [0, ${classes})`);
    }
    predictedCounts[p]!++;
    labelCounts[l]!++;
    if (p === l) truePositives[l]!++;
  }
  let sum = 0;
  let present = 0;
  for (let c = 0; c < classes; c++) {
    // 2TP + FP + FN = (TP + FP) + (TP + FN): predicted plus actual occurrences.
    const denominator = predictedCounts[c]! + labelCounts[c]!;
    if (denominator === 0) continue;
    sum += (2 * truePositives[c]!) / denominator;
    present++;
  }
  return present === 0 ? NaN : sum / present;
}

/** The class of each row of a rows × classes logit matrix: the index of its largest value, the first on ties; NaN never wins (an all-NaN row gives 0). */
export function argmaxRows(logits: Float32Array, rows: number, classes: number): Int32Array {
  if (logits.length !== rows * classes) throw new RangeError(`argmaxRows: ${logits.length} logits are not ${rows} rows × ${classes} classes`);
  const result = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    let bestValue = -Infinity;
    for (let c = 0; c < classes; c++) {
      const value = logits[r * classes + c]!;
      if (value > bestValue) {
        best = c;
        bestValue = value;
      }
    }
    result[r] = best;
  }
  return result;
}
