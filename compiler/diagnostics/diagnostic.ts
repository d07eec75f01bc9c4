// The one Diagnostic shape for every phase (lexer, parser, resolver, checker), and the
// helpers that make them.
import type { Span } from "../../grammar/ast.js";
import { Codes, type CodeName, type Severity } from "./codes.js";

export interface RelatedLocation {
  readonly message: string;
  readonly span: Span;
}

export interface Diagnostic {
  readonly code: string;
  readonly severity: Severity;
  readonly message: string;
  readonly span: Span;
  readonly related: readonly RelatedLocation[];
  /** A concrete way to fix it, shown after the code frame. */
  readonly suggestion?: string;
}

/** Makes a diagnostic of registry entry `name` at `span`. */
export function diagnostic(
  name: CodeName,
  span: Span,
  message: string,
  extra: { suggestion?: string; related?: readonly RelatedLocation[] } = {},
): Diagnostic {
  const info = Codes[name];
  return {
    code: info.code,
    severity: info.severity,
    message,
    span,
    related: extra.related ?? [],
    ...(extra.suggestion !== undefined ? { suggestion: extra.suggestion } : {}),
  };
}

/** True when any diagnostic is an error (warnings do not stop compilation). */
export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}

/** Sorts by file, then position, keeping the order of equal positions. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) => a.span.file.localeCompare(b.span.file) || a.span.start.offset - b.span.start.offset,
  );
}

/**
 * Moves the diagnostics from index `from` on that point into another file (a library's
 * declaration lowered with the user's arguments) to the user's `call`, keeping the original
 * place as a related location: the user can only change what they wrote.
 */
export function relocateToCall(diagnostics: Diagnostic[], from: number, call: Span, context: string): void {
  for (let i = from; i < diagnostics.length; i++) {
    const d = diagnostics[i]!;
    if (d.span.file === call.file) continue;
    diagnostics[i] = { ...d, message: `${context}: ${d.message}`, span: call, related: [{ message: "where the value is used", span: d.span }, ...d.related] };
  }
}
