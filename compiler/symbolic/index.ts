// The symbolic-math layer: landscape formulas as a hash-consed IR, their derivatives, and
// straight-line JavaScript for the optimizer kernels. The intern* constructors stay internal:
// composite nodes are built through the canonicalizing constructors of simplify.ts.
export {
  constant,
  variable,
  evaluate,
  toString,
  type Expr,
  type Constant,
  type Variable,
  type Sum,
  type Product,
  type Power,
  type Call,
  type UnaryFunction,
} from "./expr.js";
export {
  ZERO,
  ONE,
  MINUS_ONE,
  compareExprs,
  add,
  addAll,
  mul,
  mulAll,
  neg,
  sub,
  div,
  pow,
  call,
  sin,
  cos,
  tan,
  exp,
  log,
  abs,
  tanh,
  sign,
  sqrt,
  type Operand,
} from "./simplify.js";
export { differentiate, gradient } from "./diff.js";
export { fromAst, SymbolicError, MAX_SUM_TERMS, type SymbolEnv } from "./from-ast.js";
export { emitStraightLine, MAX_UNROLLED_POWER, type StraightLineCode } from "./codegen.js";
