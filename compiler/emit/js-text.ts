// JavaScript text shared by the emitters that write JavaScript (emit-js.ts for V8, emit-gpujs.ts
// for gpu.js's JavaScript subset): number literals, conditions and values of the step IR, and
// straight-line code of landscape formulas with the caller's names.
import { emitStraightLine, type Expr as SymExpr } from "../symbolic/index.js";
import type { CondIR, ValueIR } from "../lower/ir.js";

/**
 * A number literal that round-trips, parenthesized when negative. Non-finite numbers as names
 * (NaN, Infinity), or as divisions where names cannot be read (gpu.js).
 */
export function numberLiteral(v: number, nonFinite: "names" | "divisions" = "names"): string {
  if (Number.isNaN(v)) return nonFinite === "names" ? "NaN" : "(0 / 0)";
  if (!Number.isFinite(v)) return nonFinite === "names" ? (v > 0 ? "Infinity" : "(-Infinity)") : v > 0 ? "(1 / 0)" : "(-1 / 0)";
  const s = String(v);
  return v < 0 || Object.is(v, -0) ? `(${s})` : s;
}

/** How a condition reads the trajectory's state: |g|^2, the counts and the loss, as JavaScript expressions. */
export interface StateText {
  readonly gradNormSquared: string;
  readonly t: string;
  readonly evals: string;
  readonly loss: string;
  readonly num: (v: number) => string;
}

/** A condition as a JavaScript expression. */
export function conditionText(c: CondIR, state: StateText): string {
  switch (c.op) {
    case "compare": {
      const operator = c.operator === "==" ? "===" : c.operator === "!=" ? "!==" : c.operator;
      // |g| against a non-negative constant compares squares: no square root in the loop.
      // (Both sides are non-negative, so the order is the same; a NaN gradient fails both.)
      if (c.left.op === "state" && c.left.name === "gradnorm" && c.right.op === "const" && c.right.value >= 0 && Number.isFinite(c.right.value))
        return `${state.gradNormSquared} ${operator} ${state.num(c.right.value * c.right.value)}`;
      return `${valueText(c.left, state)} ${operator} ${valueText(c.right, state)}`;
    }
    case "and":
      return `(${conditionText(c.left, state)} && ${conditionText(c.right, state)})`;
    case "or":
      return `(${conditionText(c.left, state)} || ${conditionText(c.right, state)})`;
    case "not":
      return `!(${conditionText(c.operand, state)})`;
  }
}

/** A value of a condition as a JavaScript expression. */
export function valueText(v: ValueIR, state: StateText): string {
  switch (v.op) {
    case "const":
      return state.num(v.value);
    case "state":
      return v.name === "gradnorm" ? `Math.sqrt(${state.gradNormSquared})` : v.name === "t" ? state.t : v.name === "evals" ? state.evals : state.loss;
    case "neg":
      return `(-${valueText(v.operand, state)})`;
    case "call":
      return `Math.${v.fn}(${valueText(v.arg, state)})`;
    case "binary":
      return v.operator === "^" ? `Math.pow(${valueText(v.left, state)}, ${valueText(v.right, state)})` : `(${valueText(v.left, state)} ${v.operator} ${valueText(v.right, state)})`;
  }
}

// Straight-line code per landscape formula, made once with placeholder inputs and temporaries:
// every lane, site and kernel of a landscape reuses it with its own names.
const straightLineCache = new WeakMap<object, { statements: string[]; results: string[] }>();

/** The straight-line code of `outputs` (cached under `key`) over `inputs`, temporaries named `tempPrefix`0, 1, .. */
export function straightLine(key: object, outputs: readonly SymExpr[], inputs: readonly string[], tempPrefix = "q") {
  let template = straightLineCache.get(key);
  if (!template) {
    template = emitStraightLine(outputs, inputs.map((_, i) => `$in${i}$`), "$q");
    straightLineCache.set(key, template);
  }
  const substitute = (code: string) => code.replace(/\$in(\d+)\$/g, (_, i: string) => inputs[Number(i)]!).replace(/\$q(\d+)/g, (_, i: string) => `${tempPrefix}${i}`);
  return { statements: template.statements.map(substitute), results: template.results.map(substitute) };
}
