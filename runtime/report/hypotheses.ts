// Hypothesis outcomes for the terminal: one line per check (PASS, FAIL or OBS, the claim, the
// statistic, p raw and adjusted, the effect size) and the closing `N passed, M failed` line.
import { tallyChecks, type CheckResult, type HypothesisResult } from "../hypotheses.js";

/** Formats all hypotheses and the summary line. */
export function formatHypotheses(hypotheses: readonly HypothesisResult[], color = false): string {
  const paint = (code: string, text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const lines = ["Hypotheses"];
  for (const h of hypotheses) {
    const verdict = h.checks.every((c) => c.passed === null) ? paint("36", "observed") : h.passed ? paint("32", "holds") : paint("31;1", "fails");
    lines.push(`  ${verdict}  "${h.name}"${h.adjust !== "none" ? ` (p adjusted: ${h.adjust})` : ""}`);
    for (const c of h.checks) {
      const verdict = c.passed === null ? paint("36", "OBS ") : c.passed ? paint("32", "PASS") : paint("31;1", "FAIL");
      const observed = c.passed === null && c.holds !== null ? (c.holds ? "  (holds)" : "  (does not hold)") : "";
      lines.push(`    ${verdict}  ${c.text}${observed}`);
      lines.push(`          ${describeOutcome(c)}`);
    }
  }
  const { passed, failed } = tallyChecks(hypotheses);
  lines.push("", `${passed} passed, ${failed} failed`);
  return lines.join("\n");
}

/** The numbers behind a check, in one line. */
export function describeOutcome(c: CheckResult): string {
  if (c.error) return `could not be computed: ${c.error}`;
  if (c.kind === "test") {
    const parts = [`${c.test}: statistic ${formatNumber(c.statistic)}`];
    if (c.df !== null) parts.push(`df ${formatNumber(c.df)}`);
    parts.push(`p ${formatP(c.pValue)}${c.adjustedPValue !== c.pValue ? ` (adjusted ${formatP(c.adjustedPValue)})` : ""}`);
    if (c.effectSize !== null) parts.push(describeEffect(c));
    if (c.expected) parts.push(`expected ${c.expected}`);
    return parts.join(", ");
  }
  const side = (s: CheckResult["left"]) => (s ? `${formatNumber(s.value)}${s.lower !== undefined ? ` [${formatNumber(s.lower)}, ${formatNumber(s.upper!)}]` : ""}` : "");
  if (c.kind === "value") return `value ${side(c.left)}`;
  return `left ${side(c.left)} ${c.test} right ${side(c.right)}${c.expected ? `, expected ${c.expected}` : ""}`;
}

/** The effect size in words; Cliff's delta comes with the Vargha-Delaney A12 = (delta + 1) / 2. */
export function describeEffect(c: CheckResult): string {
  if (c.effectSize === null) return "";
  const main = `${c.effectSizeName ?? "effect size"} ${formatNumber(c.effectSize)}`;
  return c.effectSizeName === "Cliff's delta" ? `${main} (A12 ${formatNumber((c.effectSize + 1) / 2)})` : main;
}

export function formatNumber(v: number | null): string {
  if (v === null) return "-";
  if (!Number.isFinite(v)) return String(v);
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e6)) return v.toExponential(3);
  return String(Number(v.toPrecision(4)));
}

function formatP(v: number | null): string {
  if (v === null) return "-";
  return v < 1e-4 && v > 0 ? v.toExponential(2) : formatNumber(v);
}
