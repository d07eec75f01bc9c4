// Compiled plans kept between runs of the same spec: parsing, checking and emitting the
// paper's 24 kernels costs about as much as running them. An entry is keyed by the running
// optc bundle, the working folder, the spec's path (as given) and text, and the kernels asked for; it lists every file the
// compilation read (imports and the standard library) with a hash of its text, and is used only
// when all of them are unchanged. The entry holds the plan, the kernels and the diagnostics
// (warnings), so a cached run prints what a compiled one does.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, utimesSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Diagnostic } from "../compiler/diagnostics/diagnostic.js";
import { cachedWasm, wasmCacheKey } from "./backends/wasm.js";
import type { AssembledKernel } from "./execute.js";
import { cacheDir, pruneCache } from "./cache.js";
import type { Plan } from "./plan.js";

/** Compiled plans kept (3 MB each for the paper's spec, most of it WAT): the most recently used ones. */
const MAX_PLANS = 32;

/** A compilation to keep: what `compileSpec` returns when there are no errors. */
export interface Compiled {
  readonly plan: Plan;
  readonly kernels: ReadonlyMap<string, string>;
  readonly diagnostics: readonly Diagnostic[];
  /** The files the compilation read, with their texts (for printing the diagnostics). */
  readonly files: readonly { readonly path: string; readonly text: string }[];
}

/** A kept compilation. Its kernels' texts are decoded only when asked for. */
export interface CachedCompile extends Omit<Compiled, "kernels"> {
  /** A kernel's text (JavaScript or WAT) by file name; undefined for a name the plan lacks. */
  readonly kernel: (file: string) => string | undefined;
  /** A WAT kernel's binary from the wasm cache (by the key kept with the entry), without reading its text; undefined when not cached. */
  readonly assembled: AssembledKernel;
}

/**
 * An entry is one file: a line of JSON (this header), then the kernels' texts back to back,
 * which the header indexes by byte. A run of the paper's spec reads 3 MB of kernels, of which it
 * needs none when their binaries are cached: the texts stay bytes until one is asked for.
 */
interface Header {
  /** `path` as the compiler named it (diagnostics' spans use it), `resolved` to read it again. */
  readonly files: readonly { readonly path: string; readonly resolved: string; readonly sha256: string }[];
  readonly plan: Plan;
  readonly diagnostics: readonly Diagnostic[];
  /** Each kernel's file name, the byte range of its text after the header, and (WAT) its wasm cache key. */
  readonly kernels: readonly (readonly [file: string, start: number, end: number, wasmKey?: string])[];
}

/** What decides a compilation besides its files: the compiler (the bundle's hash) and the kernels asked for. */
export interface CompileKey {
  readonly build: string;
  readonly backends: readonly string[];
  readonly precisions: readonly string[];
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/**
 * The identity of the running optc: a hash of the bundle file that was started (its chunks
 * are named by their contents, so any change to the compiler changes it); undefined when optc
 * runs from its TypeScript sources, which then compile every time.
 */
export function bundleIdentity(script: string | undefined = process.argv[1]): string | undefined {
  if (!script || !/optc\.js$/.test(script)) return undefined;
  try {
    return sha256(readFileSync(script, "latin1"));
  } catch {
    return undefined;
  }
}

function entryPath(specPath: string, specText: string, key: CompileKey): string | undefined {
  const dir = cacheDir("plans");
  if (!dir) return undefined;
  // The path as given and the working folder are part of the key: the plan and the
  // diagnostics name the spec as the command line did.
  const id = sha256([key.build, process.cwd(), specPath, key.backends.join(","), key.precisions.join(","), specText].join("\0"));
  return join(dir, `${id}.json`);
}

/** The cached compilation of `specPath`, when every file it read is unchanged; else undefined. */
export function readCachedCompile(specPath: string, key: CompileKey): CachedCompile | undefined {
  let specText: string;
  try {
    specText = readFileSync(specPath, "utf8");
  } catch {
    return undefined; // the compiler reports the missing file
  }
  const path = entryPath(specPath, specText, key);
  if (!path) return undefined;
  try {
    const bytes = readFileSync(path);
    const newline = bytes.indexOf(NEWLINE);
    if (newline < 0) return undefined;
    const header = JSON.parse(bytes.toString("utf8", 0, newline)) as Header;
    const body = bytes.subarray(newline + 1);
    // A truncated entry (a full disk) is compiled again, not found out when a kernel is read.
    if (body.length !== (header.kernels.at(-1)?.[2] ?? 0)) return undefined;
    const files: { path: string; text: string }[] = [];
    for (const file of header.files) {
      const text = readFileSync(file.resolved, "utf8");
      if (sha256(text) !== file.sha256) return undefined;
      files.push({ path: file.path, text });
    }
    touch(path);
    const kernels = new Map(header.kernels.map(([file, ...where]) => [file, where]));
    const kernel = (file: string) => {
      const [start, end] = kernels.get(file) ?? [];
      return start === undefined ? undefined : body.toString("utf8", start, end);
    };
    const assembled = (file: string) => {
      const key = kernels.get(file)?.[2];
      return key === undefined ? undefined : cachedWasm(key);
    };
    return { plan: header.plan, diagnostics: header.diagnostics, files, kernel, assembled };
  } catch {
    return undefined; // absent, unreadable or corrupt: compile
  }
}

const NEWLINE = 0x0a;

/** Marks an entry as used now, so pruning keeps the entries in use. */
function touch(path: string): void {
  try {
    const now = new Date();
    utimesSync(path, now, now);
  } catch {
    // A read-only cache still serves its entries.
  }
}

/** Keeps a compilation without errors for the next run; a cache that cannot be written is skipped. */
export function writeCachedCompile(specPath: string, key: CompileKey, compiled: Compiled): void {
  const root = compiled.files.find((f) => resolve(f.path) === resolve(specPath));
  if (!root) return;
  const path = entryPath(specPath, root.text, key);
  if (!path) return;
  const texts: Buffer[] = [];
  const kernels: [string, number, number, string?][] = [];
  let end = 0;
  for (const [file, text] of compiled.kernels) {
    const bytes = Buffer.from(text, "utf8");
    texts.push(bytes);
    kernels.push(file.endsWith(".wat") ? [file, end, end + bytes.length, wasmCacheKey(text)] : [file, end, end + bytes.length]);
    end += bytes.length;
  }
  const header: Header = {
    files: compiled.files.map((f) => ({ path: f.path, resolved: resolve(f.path), sha256: sha256(f.text) })),
    plan: compiled.plan,
    diagnostics: compiled.diagnostics,
    kernels,
  };
  try {
    mkdirSync(join(path, ".."), { recursive: true });
    const temporary = `${path}.${process.pid}.tmp`;
    // JSON.stringify escapes every newline inside strings: the header is one line.
    writeFileSync(temporary, Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`, "utf8"), ...texts]));
    renameSync(temporary, path);
    pruneCache(join(path, ".."), MAX_PLANS);
  } catch {
    // Only the next run's compile time is lost.
  }
}
