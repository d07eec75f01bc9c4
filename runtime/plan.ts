// The plan's types, as the runtime sees them (the runtime never parses .optspec text).
export type { Plan, PlanCell, PlanExperiment, PlanInit, PlanLandscape, PlanOptimizer, MinimumIR } from "../compiler/plan.js";
export { PLAN_FORMAT, PLAN_VERSION } from "../compiler/plan.js";
