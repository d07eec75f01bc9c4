// Helpers for the checker's tests: compile a spec given as text, with the positions where
// diagnostics are expected marked inline by ⟨1⟩, ⟨2⟩, ... markers.
import { compileSpec, type CompileResult } from "../../../compiler/index.js";
import type { Diagnostic } from "../../../compiler/diagnostics/diagnostic.js";
import { memoryHost } from "../../../compiler/source.js";

/** The fake absolute path under which `diagnose` compiles its spec. */
export const SPEC_PATH = "/virtual/spec.optspec";

export interface Marker {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

/** A marker is `⟨` digits `⟩`; numbers need not appear in order, but each appears once. */
const MARKER = /⟨(\d+)⟩/g;

/**
 * Strips every `⟨n⟩` marker from `source`; returns the text and, keyed by n, the 1-based
 * line and column (and 0-based offset) of each marker in the stripped text.
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

/** What the tests compare: code, message and start position. */
export interface Seen {
  readonly code: string;
  readonly message: string;
  readonly line: number;
  readonly column: number;
}

export function seen(d: Diagnostic): Seen {
  return { code: d.code, message: d.message, line: d.span.start.line, column: d.span.start.column };
}

/** An expected diagnostic: its code, its message (exact or a pattern) and its marker. */
export interface Expected {
  readonly code: string;
  readonly message: string | RegExp;
  readonly at: number;
}

/**
 * The `{ code, message, line, column }` rows `expected` stands for, ready for toEqual against
 * `diagnostics.map(seen)`: a RegExp message becomes `expect.stringMatching`.
 */
export function rows(markers: ReadonlyMap<number, Marker>, expected: readonly Expected[], stringMatching: (r: RegExp) => unknown): unknown[] {
  return expected.map(({ code, message, at }) => {
    const marker = markers.get(at);
    if (!marker) throw new Error(`no marker ⟨${at}⟩ in the source`);
    return { code, message: typeof message === "string" ? message : stringMatching(message), line: marker.line, column: marker.column };
  });
}
