// Every diagnostic optspec can report, in one registry: a code, its severity and a message
// template. Codes are never reused; test/compiler/diagnostics.test.ts fails on a duplicate.

export type Severity = "error" | "warning";

interface CodeInfo {
  readonly code: string;
  readonly severity: Severity;
  readonly title: string;
}

function define<const T extends Record<string, CodeInfo>>(table: T): T {
  return table;
}

export const Codes = define({
  LexicalError: { code: "E001", severity: "error", title: "unexpected character" },
  SyntaxError: { code: "E002", severity: "error", title: "syntax error" },
  ImportNotFound: { code: "E010", severity: "error", title: "import not found" },
  UnknownName: { code: "E100", severity: "error", title: "unknown name" },
  DuplicateName: { code: "E101", severity: "error", title: "duplicate name" },
  UnknownParameter: { code: "E102", severity: "error", title: "unknown parameter" },
  ArgumentCount: { code: "E103", severity: "error", title: "wrong number of arguments" },
  MissingArgument: { code: "E104", severity: "error", title: "missing argument" },
  DuplicateArgument: { code: "E105", severity: "error", title: "argument given twice" },
  WrongKind: { code: "E106", severity: "error", title: "name of the wrong kind" },
  ReservedName: { code: "E107", severity: "error", title: "reserved name" },
  RecursiveProcedure: { code: "E108", severity: "error", title: "recursive procedure" },
  NotConstant: { code: "E109", severity: "error", title: "value is not a constant" },
  InvalidFormula: { code: "E110", severity: "error", title: "invalid formula" },
  EmptyDomain: { code: "E200", severity: "error", title: "empty or reversed domain" },
  MinimumOutsideDomain: { code: "E201", severity: "error", title: "minimum outside its domain" },
  MinimumDimension: { code: "E202", severity: "error", title: "minimum has the wrong number of coordinates" },
  MinimumNotStationary: { code: "W203", severity: "warning", title: "declared minimum is not stationary" },
  BadDimension: { code: "E204", severity: "error", title: "invalid vector size" },
  NoVariables: { code: "E205", severity: "error", title: "landscape without variables" },
  NonPositiveRestarts: { code: "E300", severity: "error", title: "restarts must be a positive integer" },
  NonPositiveBudget: { code: "E301", severity: "error", title: "budget must be a positive integer" },
  MissingClause: { code: "E302", severity: "error", title: "experiment clause missing" },
  DuplicateClause: { code: "E303", severity: "error", title: "experiment clause given twice" },
  BadRadius: { code: "E304", severity: "error", title: "assignment radius must be positive" },
  InitDimension: { code: "E305", severity: "error", title: "initial box or point has the wrong dimension" },
  BadSeed: { code: "E306", severity: "error", title: "seed must be a non-negative integer" },
  CannotSpendBudget: { code: "E400", severity: "error", title: "optimizer loop cannot spend its budget" },
  MisplacedStatement: { code: "E401", severity: "error", title: "statement not allowed here" },
  UnknownDistribution: { code: "E402", severity: "error", title: "unknown distribution" },
  UnknownUpdateMethod: { code: "E403", severity: "error", title: "unknown update method" },
  BadHyperparameter: { code: "E404", severity: "error", title: "invalid hyperparameter value" },
  UnknownStateName: { code: "E405", severity: "error", title: "unknown name in condition" },
  UnusedDeclaration: { code: "W500", severity: "warning", title: "unused declaration" },
  ExperimentNotRun: { code: "E600", severity: "error", title: "hypothesis on an experiment the spec does not run" },
  LoopVariableOutsideLoop: { code: "E601", severity: "error", title: "loop variable outside its loop" },
  WrongPopulationKind: { code: "E602", severity: "error", title: "test applied to the wrong kind of population" },
  BadSignificanceLevel: { code: "E603", severity: "error", title: "significance level or confidence outside (0, 1)" },
  MissingAdjustment: { code: "E604", severity: "error", title: "several tests without a p-value adjustment" },
  UnknownStatistic: { code: "E605", severity: "error", title: "unknown test or summary" },
  BadStatOption: { code: "E606", severity: "error", title: "invalid option of a test" },
  DuplicateHypothesis: { code: "E607", severity: "error", title: "two hypotheses with the same name" },
  UnknownTaskSetting: { code: "E700", severity: "error", title: "unknown task setting" },
  BadTaskValue: { code: "E701", severity: "error", title: "invalid value of a task setting" },
  MissingTaskSetting: { code: "E702", severity: "error", title: "task setting missing" },
  ClauseForOtherKind: { code: "E703", severity: "error", title: "clause of the other kind of experiment" },
  BadPopulationRule: { code: "E704", severity: "error", title: "invalid population rule" },
  MixedTargets: { code: "E705", severity: "error", title: "experiment on both landscapes and tasks" },
});

export type CodeName = keyof typeof Codes;
