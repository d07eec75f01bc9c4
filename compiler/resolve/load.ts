// Loads a spec and, transitively, every file it imports; each file is parsed once, and
// syntax problems become diagnostics. Imports are inclusions: every declaration of every
// loaded file is visible everywhere.
import { parse, type ImportDecl, type Program } from "../../grammar/index.js";
import { diagnostic, type Diagnostic } from "../diagnostics/diagnostic.js";
import { resolveImportPath, SpecNotFoundError, type SourceHost } from "../source.js";

export interface LoadedFile {
  readonly path: string;
  readonly text: string;
  readonly program: Program;
  /** True for the file named on the command line. */
  readonly isRoot: boolean;
}

export interface LoadResult {
  readonly files: readonly LoadedFile[];
  readonly diagnostics: readonly Diagnostic[];
}

/** Loads `rootPath` (whose text may be given) and its imports, depth first, each once. */
export function loadSpec(rootPath: string, host: SourceHost, rootText?: string): LoadResult {
  const files: LoadedFile[] = [];
  const diagnostics: Diagnostic[] = [];
  const seen = new Set<string>();

  const visit = (path: string, text: string, isRoot: boolean) => {
    seen.add(path);
    const { program, problems } = parse(text, path);
    for (const p of problems) {
      diagnostics.push(diagnostic(p.code === "E001" ? "LexicalError" : "SyntaxError", p.span, p.message));
    }
    files.push({ path, text, program, isRoot });
    for (const decl of program.declarations) {
      if (decl.kind !== "Import") continue;
      const target = resolveImportPath(decl.path, path);
      if (seen.has(target)) continue;
      const imported = host.readFile(target);
      if (imported === undefined) {
        diagnostics.push(importNotFound(decl, target));
        continue;
      }
      visit(target, imported, false);
    }
  };

  const text = rootText ?? host.readFile(rootPath);
  if (text === undefined) throw new SpecNotFoundError(rootPath);
  visit(rootPath, text, true);
  return { files, diagnostics };
}

function importNotFound(decl: ImportDecl, target: string): Diagnostic {
  const suggestion = decl.path.startsWith("std/")
    ? "the standard library has 'std/landscapes' and 'std/optimizers'"
    : `check the path; it is resolved relative to the importing file (looked for ${target})`;
  return diagnostic("ImportNotFound", decl.span, `cannot find '${decl.path}'`, { suggestion });
}

export { SpecNotFoundError } from "../source.js";
