// Helpers for the checker's tests: compile a spec given as text, with the positions where
// diagnostics are expected marked inline by ⟨1⟩, ⟨2⟩, ... markers.
import { expect } from "vitest";
import { compileSpec, type CompileResult } from "../../../compiler/index.js";
import type { Diagnostic } from "../../../compiler/diagnostics/diagnostic.js";
import { memoryHost } from "../../../compiler/source.js";

/** The fake absolute path under which `diagnose` compiles its spec. */
export const SPEC_PATH = "/virtual/spec.optspec";

/** Header lines that import the whole standard library. */
export const STD = 'import "std/landscapes"\nimport "std/optimizers"\n';

export interface Marker {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

/** A marker is `⟨` digits `⟩`; the numbers need not be in order, but each appears once. */
const MARKER = /⟨(\d+)⟩/g;

/**
 * Strips every `⟨n⟩` marker from `source`; returns the text and, keyed by n, the 1-based line
 * and column (and 0-based offset) of each marker in the stripped text.
 */
export function stripMarkers(source: string): { text: string; markers: ReadonlyMap<number, Marker> } {
  const markers = new Map<number, Marker>();
  let text = "";
  let last = 0;
  for (const m of source.matchAll(MARKER)) {
    text += source.slice(last, m.index);
    last = m.index + m[0].length;
    const n = Number(m[1]);
    if (markers.has(n)) throw new Error(`marker ⟨${n}⟩ appears twice`);
    const lines = text.split("\n");
    markers.set(n, { offset: text.length, line: lines.length, column: lines[lines.length - 1]!.length + 1 });
  }
  return { text: text + source.slice(last), markers };
}

export interface Diagnosed {
  readonly diagnostics: readonly Diagnostic[];
  /** Marker n -> its position in the compiled text. */
  readonly markers: ReadonlyMap<number, Marker>;
  /** The compiled text (markers stripped). */
  readonly text: string;
  readonly result: CompileResult;
}

/**
 * Compiles `source` (markers stripped) as `/virtual/spec.optspec` with an in-memory host;
 * `extraFiles` (absolute path -> text) are visible to its imports, and the standard library
 * comes from disk.
 */
export function diagnose(source: string, extraFiles: Readonly<Record<string, string>> = {}): Diagnosed {
  const { text, markers } = stripMarkers(source);
  const result = compileSpec(SPEC_PATH, { host: memoryHost({ ...extraFiles, [SPEC_PATH]: text }), text });
  return { diagnostics: result.diagnostics, markers, text, result };
}

/** What the tests compare: code, message and start position (1-based). */
export function seen(d: Diagnostic): { code: string; message: string; line: number; column: number } {
  return { code: d.code, message: d.message, line: d.span.start.line, column: d.span.start.column };
}

/** An expected diagnostic: its code, its message (exact, or a pattern) and the marker where it starts. */
export interface Expected {
  readonly code: string;
  readonly message: string | RegExp;
  readonly at: number;
}

/** The position of marker `n` as `{ line, column }`. */
export function at(diagnosed: Pick<Diagnosed, "markers">, n: number): { line: number; column: number } {
  const marker = diagnosed.markers.get(n);
  if (!marker) throw new Error(`no marker ⟨${n}⟩ in the source`);
  return { line: marker.line, column: marker.column };
}

/** The start of a span as `{ line, column }`. */
export function start(span: { readonly start: { readonly line: number; readonly column: number } }): { line: number; column: number } {
  return { line: span.start.line, column: span.start.column };
}

/**
 * Compiles `source` and expects exactly `expected`, in order (diagnostics come sorted by
 * position), every one in the spec's own file. Returns the diagnosis for further checks
 * (suggestions, related locations).
 */
export function expectDiagnostics(source: string, expected: readonly Expected[], extraFiles: Readonly<Record<string, string>> = {}): Diagnosed {
  const diagnosed = diagnose(source, extraFiles);
  const rows = expected.map(({ code, message, at: n }) => ({
    code,
    message: typeof message === "string" ? message : expect.stringMatching(message),
    ...at(diagnosed, n),
  }));
  expect(diagnosed.diagnostics.map(seen)).toEqual(rows);
  expect(diagnosed.diagnostics.map((d) => d.span.file)).toEqual(expected.map(() => SPEC_PATH));
  return diagnosed;
}

/** The one diagnostic with code `code` (fails unless there is exactly one). */
export function only(diagnosed: Diagnosed, code: string): Diagnostic {
  const found = diagnosed.diagnostics.filter((d) => d.code === code);
  expect(found.map(seen), `diagnostics with code ${code}`).toHaveLength(1);
  return found[0]!;
}
