// The typed AST of an .optspec file: what the user wrote, with a source span on every node.
// Nodes are readonly interfaces tagged by `kind`; passes switch on `kind` with ts-pattern.
// Nothing here knows what an optimizer does: meaning is given by compiler/.

/** A position in a source file; line and column are 1-based, offset is 0-based. */
export interface Position {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

/** The half-open source range [start, end) of a node in file `file`. */
export interface Span {
  readonly file: string;
  readonly start: Position;
  readonly end: Position;
}

export interface Identifier {
  readonly kind: "Identifier";
  readonly name: string;
  readonly span: Span;
}

// ---------------------------------------------------------------------------------------------
// Expressions (landscape formulas, hyperparameters, guards' operands)

export type BinaryOperator = "+" | "-" | "*" | "/" | "^";

export interface NumberLiteral {
  readonly kind: "Number";
  readonly value: number;
  readonly span: Span;
}

/** A bare name: a variable, a parameter, a state name (`gradnorm`, `t`, `evals`, `loss`), `pi`, `e`. */
export interface NameExpr {
  readonly kind: "Name";
  readonly name: string;
  readonly span: Span;
}

/** `x[i]`: an element of a vector variable; indices are 1-based. */
export interface IndexExpr {
  readonly kind: "Index";
  readonly target: Identifier;
  readonly index: Expr;
  readonly span: Span;
}

export interface UnaryExpr {
  readonly kind: "Unary";
  readonly operator: "-";
  readonly operand: Expr;
  readonly span: Span;
}

export interface BinaryExpr {
  readonly kind: "Binary";
  readonly operator: BinaryOperator;
  readonly left: Expr;
  readonly right: Expr;
  readonly span: Span;
}

/** `sin(x)`, `exp(x)`, ...: a call of a built-in function. */
export interface CallExpr {
  readonly kind: "Call";
  readonly callee: Identifier;
  readonly args: readonly Expr[];
  readonly span: Span;
}

/** `sum(i in from..to, body)`: an indexed sum, bounds inclusive. */
export interface SumExpr {
  readonly kind: "Sum";
  readonly index: Identifier;
  readonly from: Expr;
  readonly to: Expr;
  readonly body: Expr;
  readonly span: Span;
}

export type Expr = NumberLiteral | NameExpr | IndexExpr | UnaryExpr | BinaryExpr | CallExpr | SumExpr;

// ---------------------------------------------------------------------------------------------
// Conditions (guards and `until`)

export type ComparisonOperator = "<" | "<=" | ">" | ">=" | "==" | "!=";

export interface Comparison {
  readonly kind: "Comparison";
  readonly operator: ComparisonOperator;
  readonly left: Expr;
  readonly right: Expr;
  readonly span: Span;
}

export interface LogicalCondition {
  readonly kind: "Logical";
  readonly operator: "and" | "or";
  readonly left: Condition;
  readonly right: Condition;
  readonly span: Span;
}

export interface NotCondition {
  readonly kind: "Not";
  readonly operand: Condition;
  readonly span: Span;
}

export type Condition = Comparison | LogicalCondition | NotCondition;

// ---------------------------------------------------------------------------------------------
// Shared pieces

/** `name` or `name = default` in a parameter list. */
export interface Parameter {
  readonly kind: "Parameter";
  readonly name: Identifier;
  readonly default?: Expr;
  readonly span: Span;
}

/** `value` or `name = value` in an argument list. */
export interface Argument {
  readonly kind: "Argument";
  readonly name?: Identifier;
  readonly value: Expr;
  readonly span: Span;
}

/** A use of a declared thing with optional arguments and alias: `SAM(rho = 0.1) as SAM_wide`. */
export interface Invocation {
  readonly kind: "Invocation";
  readonly callee: Identifier;
  /** undefined when written without parentheses (`SAM`), [] for `SAM()`. */
  readonly args?: readonly Argument[];
  readonly alias?: Identifier;
  readonly span: Span;
}

/** `[lo, hi]`. */
export interface Interval {
  readonly kind: "Interval";
  readonly lo: Expr;
  readonly hi: Expr;
  readonly span: Span;
}

// ---------------------------------------------------------------------------------------------
// Landscapes

/** `x in [lo, hi]` (scalar) or `x[n] in [lo, hi]` (vector of `size` coordinates). */
export interface VariableDecl {
  readonly kind: "Variable";
  readonly name: Identifier;
  readonly size?: Expr;
  readonly domain: Interval;
  readonly span: Span;
}

/** `at (c1, c2, ...)`: one coordinate per scalar dimension. */
export interface PointList {
  readonly kind: "PointList";
  readonly coordinates: readonly Expr[];
  readonly span: Span;
}

/** `at all(c)`: every coordinate equal to c (n-dimensional landscapes). */
export interface PointFill {
  readonly kind: "PointFill";
  readonly value: Expr;
  readonly span: Span;
}

export type Point = PointList | PointFill;

export type MinimumLabel = "global" | "local";

export interface MinimumDecl {
  readonly kind: "Minimum";
  readonly name: Identifier;
  readonly label: MinimumLabel;
  readonly at: Point;
  readonly span: Span;
}

export interface LandscapeDecl {
  readonly kind: "Landscape";
  readonly name: Identifier;
  readonly params: readonly Parameter[];
  readonly variables: readonly VariableDecl[];
  /** The formula after `f =`; undefined only in a recovered (syntactically broken) declaration. */
  readonly objective?: Expr;
  readonly minima: readonly MinimumDecl[];
  readonly span: Span;
}

// ---------------------------------------------------------------------------------------------
// Tasks: a data set, a model, a loss, a metric and a batch size, as `name value` settings

/** `"text"`: a path or a field name. */
export interface StringValue {
  readonly kind: "String";
  readonly value: string;
  readonly span: Span;
}

/** `[256, 128]`: a list of numbers (hidden layer widths). */
export interface ListValue {
  readonly kind: "List";
  readonly items: readonly Expr[];
  readonly span: Span;
}

/** A word with optional arguments: `accuracy`, `mnist(train = 8000, test = 2000)`, `cifar10("data")`. */
export interface TaskCall {
  readonly kind: "TaskCall";
  readonly callee: Identifier;
  /** undefined when written without parentheses. */
  readonly args?: readonly TaskArgument[];
  readonly span: Span;
}

export type TaskValue = StringValue | ListValue | TaskCall | Expr;

/** `name = value` or a positional value inside a TaskCall. */
export interface TaskArgument {
  readonly kind: "TaskArgument";
  readonly name?: Identifier;
  readonly value: TaskValue;
  readonly span: Span;
}

/** `data mnist(...)`, `model mlp(hidden = [256])`, `loss cross_entropy`, `metric accuracy`, `batch 128`. */
export interface TaskSetting {
  readonly kind: "TaskSetting";
  readonly name: Identifier;
  readonly value: TaskValue;
  readonly span: Span;
}

export interface TaskDecl {
  readonly kind: "Task";
  readonly name: Identifier;
  readonly settings: readonly TaskSetting[];
  readonly span: Span;
}

// ---------------------------------------------------------------------------------------------
// Optimizers and procedures

export type PerturbTarget = "gradient" | "model";

/** `ball(r)`, `gaussian(s)`, `sphere(r)`: checked by the compiler, not the grammar. */
export interface Distribution {
  readonly kind: "Distribution";
  readonly family: Identifier;
  readonly args: readonly Argument[];
  readonly span: Span;
}

/** `perturb gradient|model DIST [when COND]`. */
export interface PerturbStmt {
  readonly kind: "Perturb";
  readonly target: PerturbTarget;
  readonly distribution: Distribution;
  readonly guard?: Condition;
  readonly span: Span;
}

/** `ascend RADIUS [normalized] [when COND]`: the next gradient is taken at w + RADIUS * g (/|g|). */
export interface AscendStmt {
  readonly kind: "Ascend";
  readonly radius: Expr;
  readonly normalized: boolean;
  readonly guard?: Condition;
  readonly span: Span;
}

/** `descend LR [with momentum(...) | with adam(...)] [when COND]`. */
export interface DescendStmt {
  readonly kind: "Descend";
  readonly rate: Expr;
  readonly method?: Invocation;
  readonly guard?: Condition;
  readonly span: Span;
}

/** `repeat N { ... } [until COND]`: at most N passes; COND is tested before each pass. */
export interface RepeatStmt {
  readonly kind: "Repeat";
  readonly times: Expr;
  readonly body: readonly Statement[];
  readonly until?: Condition;
  readonly span: Span;
}

export type AcceptanceRule = "always" | "lower" | "metropolis";

/** `accept always | accept if lower | accept metropolis(T)`. */
export interface Acceptance {
  readonly kind: "Acceptance";
  readonly rule: AcceptanceRule;
  readonly temperature?: Expr;
  readonly span: Span;
}

/** `hop { ...; accept RULE }`: the block makes a candidate from the accepted point. */
export interface HopStmt {
  readonly kind: "Hop";
  readonly body: readonly Statement[];
  readonly accept: Acceptance;
  readonly span: Span;
}

/** `start { ... }` or `start STATEMENT`: runs once, before the optimizer's loop. */
export interface StartStmt {
  readonly kind: "Start";
  readonly body: readonly Statement[];
  readonly span: Span;
}

/** `Name(args) [when COND]`: a use of a procedure. */
export interface CallStmt {
  readonly kind: "CallStatement";
  readonly callee: Identifier;
  readonly args: readonly Argument[];
  readonly guard?: Condition;
  readonly span: Span;
}

export type Statement = PerturbStmt | AscendStmt | DescendStmt | RepeatStmt | HopStmt | StartStmt | CallStmt;

/** `optimizer Name(params) { statements }`: the statements (less `start`) are one iteration. */
export interface OptimizerDecl {
  readonly kind: "Optimizer";
  readonly name: Identifier;
  readonly params: readonly Parameter[];
  readonly body: readonly Statement[];
  readonly span: Span;
}

/** `optimizer Name = Other(arg = value, ...)`: an existing optimizer with other defaults. */
export interface OptimizerAlias {
  readonly kind: "OptimizerAlias";
  readonly name: Identifier;
  readonly target: Invocation;
  readonly span: Span;
}

/** `procedure Name(params) { statements }`: statements inlined where it is called. */
export interface ProcedureDecl {
  readonly kind: "Procedure";
  readonly name: Identifier;
  readonly params: readonly Parameter[];
  readonly body: readonly Statement[];
  readonly span: Span;
}

// ---------------------------------------------------------------------------------------------
// Experiments

export interface OnClause {
  readonly kind: "On";
  readonly targets: readonly Invocation[];
  readonly span: Span;
}

export interface RunClause {
  readonly kind: "Run";
  readonly optimizers: readonly Invocation[];
  readonly span: Span;
}

export interface RestartsClause {
  readonly kind: "Restarts";
  readonly count: Expr;
  readonly span: Span;
}

export type BudgetUnit = "gradients" | "iterations" | "epochs";

export interface BudgetClause {
  readonly kind: "Budget";
  readonly amount: Expr;
  readonly unit: BudgetUnit;
  readonly span: Span;
}

/** `init uniform` (the domain box), `init uniform in [a,b], [c,d]` (a box), `init at (x, y)`. */
export interface InitClause {
  readonly kind: "Init";
  readonly mode: "uniform" | "point";
  /** For `uniform in ...`: one interval for every coordinate, or one per dimension. */
  readonly box?: readonly Interval[];
  readonly point?: Point;
  readonly span: Span;
}

export interface SeedClause {
  readonly kind: "Seed";
  readonly value: Expr;
  readonly span: Span;
}

/** `assign nearest minimum within R`. */
export interface AssignClause {
  readonly kind: "Assign";
  readonly radius: Expr;
  readonly span: Span;
}

/** `record every N gradients`: the stride of the loss curves drawn in reports. */
export interface RecordClause {
  readonly kind: "Record";
  readonly every: Expr;
  readonly span: Span;
}

/** `trajectories N`: training runs per optimizer on a task (the tasks' `restarts`). */
export interface TrajectoriesClause {
  readonly kind: "Trajectories";
  readonly count: Expr;
  readonly span: Span;
}

/** `snapshot every N steps|epochs|gradients`: when a task's model is measured. */
export interface SnapshotClause {
  readonly kind: "Snapshot";
  readonly every: Expr;
  /** As written (`step`, `steps`, `epoch`, `epochs`, `gradients`, `iterations`); the checker reads it. */
  readonly unit: Identifier;
  readonly span: Span;
}

/** `by loss`, `per trajectory`: a word and its value after a population's selector. */
export interface PopulationModifier {
  readonly word: Identifier;
  readonly value: Identifier;
}

/** `population SetA = lowest 10 by loss per trajectory` (selector lowest|highest|last|all). */
export interface PopulationClause {
  readonly kind: "PopulationRule";
  readonly name: Identifier;
  readonly selector: Identifier;
  readonly count?: Expr;
  readonly modifiers: readonly PopulationModifier[];
  readonly span: Span;
}

export type ExperimentClause =
  | TrajectoriesClause
  | SnapshotClause
  | PopulationClause
  | RecordClause
  | OnClause
  | RunClause
  | RestartsClause
  | BudgetClause
  | InitClause
  | SeedClause
  | AssignClause;

export interface ExperimentDecl {
  readonly kind: "Experiment";
  readonly name: Identifier;
  readonly clauses: readonly ExperimentClause[];
  readonly span: Span;
}

// ---------------------------------------------------------------------------------------------
// Hypotheses: statistical claims about the populations of experiments

/**
 * `E.O on L` (the end points of optimizer O on landscape L in experiment E), optionally
 * followed by `.attribute` (`f`, `distance`, `evals`) for one number per restart. Inside
 * `for each optimizer in E:` the optimizer may be the loop variable `optimizer` (likewise
 * `landscape`); the Identifier then has that name.
 */
export interface PopulationRef {
  readonly kind: "Population";
  readonly experiment: Identifier;
  readonly optimizer: Identifier;
  readonly landscape: Identifier;
  /** On a task: `E.O on T.SetA.metric` names the experiment's population `SetA`. */
  readonly population?: Identifier;
  readonly attribute?: Identifier;
  readonly span: Span;
}

/**
 * `SetA.metric` inside `for each optimizer in E`: population SetA of the loop's optimizer on
 * E's task (E must train on one task).
 */
export interface SetRef {
  readonly kind: "SetRef";
  readonly population: Identifier;
  readonly attribute: Identifier;
  readonly span: Span;
}

/** `name = value` inside a statistical call: `alternative = less`, `method = exact`, `continuity = 0`. */
export interface StatOption {
  readonly kind: "StatOption";
  readonly name: Identifier;
  readonly value: Identifier | NumberLiteral;
  readonly span: Span;
}

/** A bare name inside a statistical call: a minimum (`GM1`) or `Else`. */
export interface StatName {
  readonly kind: "StatName";
  readonly name: Identifier;
  readonly span: Span;
}

export type StatArgument = PopulationRef | SetRef | StatOption | StatName | StatCall | NumberLiteral;

/**
 * `mannwhitney(A.f, B.f, alternative = less)`, `chisquare(A, B)`, `chisquare(A, uniform(GM1, GM2))`,
 * `share(A, LM3, LM4)`, `median(A.f)`, ...: the callee is checked by the compiler, not the grammar.
 */
export interface StatCall {
  readonly kind: "StatCall";
  readonly callee: Identifier;
  readonly args: readonly StatArgument[];
  readonly span: Span;
}

/** `significant at 0.05` / `not significant at 0.05`. */
export interface Significance {
  readonly kind: "Significance";
  readonly significant: boolean;
  readonly alpha: NumberLiteral;
  readonly span: Span;
}

/** `expect TEST significant at A`, or `observe TEST` (reported, never failing). */
export interface TestClaim {
  readonly kind: "TestClaim";
  readonly mode: "expect" | "observe";
  readonly test: StatCall;
  /** Required for `expect`, optional for `observe`. */
  readonly outcome?: Significance;
  readonly span: Span;
}

export type SummaryOperand = StatCall | NumberLiteral;

/** `expect share(A, M) < share(B, M) [with confidence 0.95]`, or `observe` the same. */
export interface ComparisonClaim {
  readonly kind: "ComparisonClaim";
  readonly mode: "expect" | "observe";
  readonly left: SummaryOperand;
  readonly operator: "<" | "<=" | ">" | ">=";
  readonly right: SummaryOperand;
  readonly confidence?: NumberLiteral;
  readonly span: Span;
}

/** `observe share(A, M)`: a summary value reported without a comparison. */
export interface ValueObservation {
  readonly kind: "ValueObservation";
  readonly value: StatCall;
  readonly span: Span;
}

/** `for each optimizer in E: CLAIM`, `for each landscape in E { CLAIMS }` (`task` on tasks). */
export interface ForEachClaim {
  readonly kind: "ForEach";
  readonly variable: "optimizer" | "landscape" | "task";
  readonly experiment: Identifier;
  readonly body: readonly Claim[];
  readonly span: Span;
}

export type Claim = TestClaim | ComparisonClaim | ValueObservation | ForEachClaim;

/** `adjust holm | bh | by | none`: the correction of a hypothesis making several tests. */
export interface AdjustClause {
  readonly kind: "Adjust";
  readonly method: Identifier;
  readonly span: Span;
}

/** `hypothesis "name" { [adjust METHOD] claims }`. */
export interface HypothesisDecl {
  readonly kind: "Hypothesis";
  readonly name: string;
  readonly nameSpan: Span;
  readonly adjust?: AdjustClause;
  readonly claims: readonly Claim[];
  readonly span: Span;
}

// ---------------------------------------------------------------------------------------------
// Files

/** `import "path"`: a path relative to the importing file, or `std/NAME` for the standard library. */
export interface ImportDecl {
  readonly kind: "Import";
  readonly path: string;
  readonly span: Span;
}

export type Declaration =
  | ImportDecl
  | LandscapeDecl
  | TaskDecl
  | OptimizerDecl
  | OptimizerAlias
  | ProcedureDecl
  | ExperimentDecl
  | HypothesisDecl;

export interface Program {
  readonly kind: "Program";
  readonly declarations: readonly Declaration[];
  readonly span: Span;
}

export type Node =
  | Program
  | Declaration
  | ExperimentClause
  | Statement
  | Expr
  | Condition
  | Identifier
  | Parameter
  | Argument
  | Invocation
  | Interval
  | VariableDecl
  | Point
  | MinimumDecl
  | Distribution
  | Acceptance
  | PopulationRef
  | SetRef
  | TaskSetting
  | TaskArgument
  | StringValue
  | ListValue
  | TaskCall
  | StatOption
  | StatName
  | StatCall
  | Significance
  | Claim
  | AdjustClause;
