// The global symbol table: every named declaration of every loaded file, one namespace.
// A second declaration of a name is reported (with the first as a related location) and
// ignored, so later passes see one meaning per name.
import type {
  Declaration,
  ExperimentDecl,
  LandscapeDecl,
  OptimizerAlias,
  OptimizerDecl,
  ProcedureDecl,
  TaskDecl,
} from "../../grammar/index.js";
import { diagnostic, type Diagnostic } from "../diagnostics/diagnostic.js";
import type { LoadedFile } from "./load.js";

/** Declarations that put a name in the namespace (hypotheses are titled by a string instead). */
export type NamedDeclaration = Exclude<Declaration, { kind: "Import" } | { kind: "Hypothesis" }>;
export type OptimizerLike = OptimizerDecl | OptimizerAlias;

export interface SymbolTable {
  readonly all: ReadonlyMap<string, NamedDeclaration>;
  readonly landscapes: ReadonlyMap<string, LandscapeDecl>;
  readonly tasks: ReadonlyMap<string, TaskDecl>;
  readonly optimizers: ReadonlyMap<string, OptimizerLike>;
  readonly procedures: ReadonlyMap<string, ProcedureDecl>;
  readonly experiments: ReadonlyMap<string, ExperimentDecl>;
  /** Declarations of the root file, in order (warnings about unused names are for these). */
  readonly rootDeclarations: readonly NamedDeclaration[];
}

const kindWord: Record<NamedDeclaration["kind"], string> = {
  Landscape: "landscape",
  Task: "task",
  Optimizer: "optimizer",
  OptimizerAlias: "optimizer",
  Procedure: "procedure",
  Experiment: "experiment",
};

/** "a landscape", "an optimizer": the kind of a declaration with its article. */
export function kindWithArticle(decl: NamedDeclaration): string {
  const word = kindWord[decl.kind];
  return `${/^[aeiou]/.test(word) ? "an" : "a"} ${word}`;
}

/** Describes a declaration for messages: "landscape 'Himmelblau'". */
export function describe(decl: NamedDeclaration): string {
  return `${kindWord[decl.kind]} '${decl.name.name}'`;
}

/** Builds the symbol table, reporting duplicate names. */
export function buildSymbolTable(files: readonly LoadedFile[], diagnostics: Diagnostic[]): SymbolTable {
  const all = new Map<string, NamedDeclaration>();
  const landscapes = new Map<string, LandscapeDecl>();
  const tasks = new Map<string, TaskDecl>();
  const optimizers = new Map<string, OptimizerLike>();
  const procedures = new Map<string, ProcedureDecl>();
  const experiments = new Map<string, ExperimentDecl>();
  const rootDeclarations: NamedDeclaration[] = [];
  // Files that are imported come before the files importing them (the reverse of load
  // order), so a clash is reported at the user's declaration, not inside the library.
  for (const file of [...files].reverse()) {
    for (const decl of file.program.declarations) {
      if (decl.kind === "Import" || decl.kind === "Hypothesis") continue;
      if (file.isRoot) rootDeclarations.push(decl);
      const name = decl.name.name;
      const previous = all.get(name);
      if (previous) {
        diagnostics.push(
          diagnostic("DuplicateName", decl.name.span, `'${name}' is already declared as ${describe(previous)}`, {
            related: [{ message: "first declared here", span: previous.name.span }],
            suggestion: "rename one of them (names of landscapes, tasks, optimizers, procedures and experiments share one namespace)",
          }),
        );
        continue;
      }
      all.set(name, decl);
      if (decl.kind === "Landscape") landscapes.set(name, decl);
      else if (decl.kind === "Task") tasks.set(name, decl);
      else if (decl.kind === "Optimizer" || decl.kind === "OptimizerAlias") optimizers.set(name, decl);
      else if (decl.kind === "Procedure") procedures.set(name, decl);
      else experiments.set(name, decl);
    }
  }
  return { all, landscapes, tasks, optimizers, procedures, experiments, rootDeclarations };
}
