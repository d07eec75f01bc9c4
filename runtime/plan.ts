// The plan's types, as the runtime sees them (the runtime never parses .optspec text).
export type {
  AdjustMethod,
  Alternative,
  MinimumIR,
  Plan,
  PlanCell,
  PlanCheck,
  PlanExperiment,
  PlanHypothesis,
  PlanInit,
  PlanLandscape,
  PlanOptimizer,
  PlanPopulation,
  PlanSample,
  PlanSummary,
  PlanTest,
  SampleAttribute,
} from "../compiler/plan.js";
export { MAX_CURVE_POINTS, PLAN_FORMAT, PLAN_VERSION } from "../compiler/plan.js";
