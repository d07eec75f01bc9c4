// JUnit XML for CI systems: a testsuite per hypothesis, a testcase per check, the numbers in
// the failure message, observations as passing cases with their values in system-out.
import type { HypothesisResult } from "../hypotheses.js";
import { describeOutcome } from "./hypotheses.js";

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

/** The JUnit XML document for `hypotheses` (`suiteName` names the outer testsuites). */
export function formatJUnit(hypotheses: readonly HypothesisResult[], suiteName: string, seconds: number): string {
  const failures = (h: HypothesisResult) => h.checks.filter((c) => c.passed === false).length;
  const total = hypotheses.reduce((a, h) => a + h.checks.length, 0);
  const lines = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="${escape(suiteName)}" tests="${total}" failures="${hypotheses.reduce((a, h) => a + failures(h), 0)}" errors="0" time="${seconds.toFixed(3)}">`,
  ];
  for (const h of hypotheses) {
    lines.push(`  <testsuite name="${escape(h.name)}" tests="${h.checks.length}" failures="${failures(h)}" errors="0" skipped="0">`);
    for (const c of h.checks) {
      const name = c.text;
      const outcome = describeOutcome(c);
      lines.push(`    <testcase classname="${escape(h.name)}" name="${escape(name)}" file="${escape(c.location.replace(/:\d+:\d+$/, ""))}">`);
      if (c.passed === false) lines.push(`      <failure message="${escape(outcome)}" type="HypothesisFailed">${escape(`${c.location}: ${c.text}\n${outcome}`)}</failure>`);
      else lines.push(`      <system-out>${escape(outcome)}</system-out>`);
      lines.push(`    </testcase>`);
    }
    lines.push(`  </testsuite>`);
  }
  lines.push(`</testsuites>`);
  return lines.join("\n") + "\n";
}
