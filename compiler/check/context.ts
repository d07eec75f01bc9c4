// What every semantic rule sees: the loaded files, the symbol table, and where to report.
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import type { LoadedFile } from "../resolve/load.js";
import type { SymbolTable } from "../resolve/symbols.js";

export interface CheckContext {
  readonly files: readonly LoadedFile[];
  readonly symbols: SymbolTable;
  readonly diagnostics: Diagnostic[];
}
