// optspec's public runtime API: the statistics library, and running compiled plans and
// their hypotheses from TypeScript. (`optspec/compiler` compiles specs.)
export * from "./stats/index.js";
export { runPlan, defaultWorkers, type RunOptions, type KernelSource, type AssembledKernel } from "./execute.js";
export { evaluateHypotheses, tallyChecks, type CheckResult, type HypothesisResult, type SummaryValue } from "./hypotheses.js";
export type { CellResult, ExperimentResult, Results } from "./results.js";
export type { Plan } from "./plan.js";
