// Loading .optspec files and their imports: what the compiler reads from disk, and where the
// standard library lives.
import { existsSync, readFileSync } from "node:fs";
import { dirname, extname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Reads source files; tests substitute an in-memory host. */
export interface SourceHost {
  readFile(path: string): string | undefined;
}

export const diskHost: SourceHost = {
  readFile(path) {
    try {
      return readFileSync(path, "utf8");
    } catch {
      return undefined;
    }
  },
};

/** A host over a map of path -> text, falling back to disk for the standard library. */
export function memoryHost(files: Readonly<Record<string, string>>): SourceHost {
  return {
    readFile(path) {
      return files[path] ?? (path.startsWith(standardLibraryDirectory()) ? diskHost.readFile(path) : undefined);
    },
  };
}

let stdDir: string | undefined;

/** The folder of the bundled standard library (specs/std), found from this module's location. */
export function standardLibraryDirectory(): string {
  if (stdDir !== undefined) return stdDir;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "specs", "std");
    if (existsSync(join(dir, "package.json")) && existsSync(candidate)) return (stdDir = candidate);
    dir = dirname(dir);
  }
  throw new Error("optspec installation is broken: specs/std was not found next to package.json");
}

/** The file an `import "path"` in `fromFile` refers to. */
export function resolveImportPath(path: string, fromFile: string): string {
  const withExtension = extname(path) === "" ? `${path}.optspec` : path;
  if (path.startsWith("std/")) return join(standardLibraryDirectory(), withExtension.slice(4));
  return isAbsolute(withExtension) ? withExtension : resolve(dirname(fromFile), withExtension);
}

/** The file named on the command line does not exist or cannot be read. */
export class SpecNotFoundError extends Error {
  constructor(readonly path: string) {
    super(`cannot read spec file '${path}'`);
  }
}
