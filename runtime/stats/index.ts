export { adjustPValues, type PValueAdjustment } from "./adjust.js";
export {
  bootstrapMeanInterval,
  bootstrapMedianInterval,
  bootstrapShareInterval,
  seededUniform,
  type BootstrapInterval,
  type BootstrapOptions,
} from "./bootstrap.js";
export {
  chiSquareGoodnessOfFit,
  chiSquareIndependence,
  type ChiSquareGoodnessOfFitResult,
  type ChiSquareIndependenceOptions,
  type ChiSquareIndependenceResult,
} from "./chi-square.js";
export {
  cliffsDelta,
  cohensD,
  countPairOrderings,
  varghaDelaneyA12,
  type PairOrderingCounts,
} from "./effect-size.js";
export { StatsError } from "./errors.js";
export { kruskalWallis, type KruskalWallisResult } from "./kruskal-wallis.js";
export {
  mannWhitneyU,
  type MannWhitneyMethod,
  type MannWhitneyOptions,
  type MannWhitneyResult,
} from "./mann-whitney.js";
export { tTest, type TTestOptions, type TTestResult } from "./t-test.js";
export type { Alternative } from "./types.js";
