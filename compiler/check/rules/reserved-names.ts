// No declared name hides a built-in: landscape variables and parameters are not `pi`, `e`
// or a function name, and optimizer and procedure parameters are not state names
// (`gradnorm`, `t`, `evals`, `loss`), which conditions read.
import type { Identifier } from "../../../grammar/index.js";
import { diagnostic } from "../../diagnostics/diagnostic.js";
import { builtinConstants, builtinFunctions, stateNames } from "../../resolve/constants.js";
import type { CheckContext } from "../context.js";

export function checkReservedNames(ctx: CheckContext): void {
  const formulaNames = new Set([...Object.keys(builtinConstants), ...Object.keys(builtinFunctions), "sum"]);
  const report = (name: Identifier, what: string, hint: string) =>
    ctx.diagnostics.push(diagnostic("ReservedName", name.span, `'${name.name}' is a built-in name and cannot be ${what}`, { suggestion: hint }));
  for (const file of ctx.files) {
    for (const decl of file.program.declarations) {
      if (decl.kind === "Landscape") {
        for (const name of [...decl.params.map((p) => p.name), ...decl.variables.map((v) => v.name)])
          if (formulaNames.has(name.name)) report(name, "a landscape variable or parameter", `rename it (e.g. '${name.name}_')`);
      } else if (decl.kind === "Optimizer" || decl.kind === "Procedure") {
        for (const param of decl.params)
          if ((stateNames as readonly string[]).includes(param.name.name))
            report(param.name, "a parameter: conditions read it as the trajectory's state", `rename it (e.g. '${param.name.name}_0')`);
      }
    }
  }
}
