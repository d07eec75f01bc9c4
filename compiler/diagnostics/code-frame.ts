// Prints a diagnostic the way compilers do: file:line:col, severity and code, the source
// line and a caret under the span, then related locations and the suggestion.
import type { Diagnostic } from "./diagnostic.js";

export type SourceLookup = (file: string) => string | undefined;

/** Formats one diagnostic; `color` adds ANSI colors for terminals. */
export function formatDiagnostic(d: Diagnostic, source: SourceLookup, color = false): string {
  const paint = (code: string, text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const { file, start, end } = d.span;
  const head = `${paint("1", `${file}:${start.line}:${start.column}`)}: ${paint(d.severity === "error" ? "31;1" : "33;1", d.severity)} ${d.code}: ${d.message}`;
  const lines = [head];
  const text = source(file);
  if (text !== undefined) {
    const sourceLines = text.split(/\r?\n/);
    const line = sourceLines[start.line - 1];
    if (line !== undefined) {
      const gutter = String(start.line);
      const width = end.line === start.line ? Math.max(1, end.column - start.column) : Math.max(1, line.length - start.column + 1);
      lines.push(`${" ".repeat(gutter.length)} |`);
      lines.push(`${gutter} | ${line}`);
      lines.push(`${" ".repeat(gutter.length)} | ${" ".repeat(Math.max(0, start.column - 1))}${paint(d.severity === "error" ? "31" : "33", "^".repeat(width))}`);
    }
  }
  for (const r of d.related) lines.push(`  note: ${r.message} (${r.span.file}:${r.span.start.line}:${r.span.start.column})`);
  if (d.suggestion) lines.push(`  help: ${d.suggestion}`);
  return lines.join("\n");
}
