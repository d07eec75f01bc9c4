// The run plan: everything the runtime needs to execute a compiled spec, as plain JSON.
// runtime/ imports only these types (and never grammar/); kernels travel beside the plan
// as JavaScript files named by `PlanCell.kernel`.
import type { MinimumIR } from "./lower/landscape.js";
import type { PlanTaskExperiment } from "./plan-tasks.js";

export const PLAN_FORMAT = "optspec-plan";

/** The most points one loss curve may have (memory stays bounded whatever a spec declares). */
export const MAX_CURVE_POINTS = 10_000;
export const PLAN_VERSION = 1;

/** The arithmetic of a kernel: double precision (every backend, bit-identical) or single (WebAssembly). */
export type Precision = "f64" | "f32";

export interface Plan {
  readonly format: typeof PLAN_FORMAT;
  readonly version: typeof PLAN_VERSION;
  /**
   * The precisions the plan's kernels can run in: always "f64"; "f32" when it has the
   * single-precision WebAssembly kernels (`PlanCell.wasmKernelF32`). Absent in plans written
   * before single precision: "f64" only.
   */
  readonly precisions?: readonly Precision[];
  /** The spec file as given on the command line. */
  readonly spec: string;
  /** sha256 of the spec and every file it imports, in load order. */
  readonly specHash: string;
  readonly optspecVersion: string;
  readonly experiments: readonly PlanExperiment[];
  /** Experiments that train models on tasks (absent when the spec has none). */
  readonly taskExperiments?: readonly PlanTaskExperiment[];
  /** Statistical claims about the experiments' populations, with every loop expanded. */
  readonly hypotheses: readonly PlanHypothesis[];
}

export interface PlanExperiment {
  readonly name: string;
  readonly seed: number;
  readonly restarts: number;
  /** A trajectory stops when either limit is reached; null means no limit of that kind. */
  readonly budget: { readonly gradients: number | null; readonly iterations: number | null };
  /** An end point belongs to the nearest declared minimum within this distance. */
  readonly radius: number;
  /** Gradients between two recorded losses (`record every N gradients`); absent: budget / 50. */
  readonly curveStride?: number;
  readonly landscapes: readonly PlanLandscape[];
  readonly optimizers: readonly PlanOptimizer[];
  readonly cells: readonly PlanCell[];
}

export type PlanInit =
  | { readonly mode: "uniform"; readonly lower: readonly number[]; readonly upper: readonly number[] }
  | { readonly mode: "point"; readonly at: readonly number[] };

export interface PlanLandscape {
  readonly name: string;
  readonly declaration: string;
  readonly params: Readonly<Record<string, number>>;
  readonly dims: number;
  readonly coordinates: readonly string[];
  readonly lower: readonly number[];
  readonly upper: readonly number[];
  readonly init: PlanInit;
  readonly minima: readonly MinimumIR[];
  /** f on a grid over the domain (two-dimensional landscapes only), for contour plots. */
  readonly grid?: { readonly x: readonly number[]; readonly y: readonly number[]; readonly f: readonly number[] };
}

export interface PlanOptimizer {
  readonly name: string;
  readonly declaration: string;
  readonly params: Readonly<Record<string, number>>;
}

export interface PlanCell {
  readonly landscape: string;
  readonly optimizer: string;
  /** File name of the JavaScript kernel, relative to the plan. */
  readonly kernel: string;
  /** File name of the WebAssembly kernel (WAT text, double precision), when it was emitted. */
  readonly wasmKernel?: string;
  /** File name of the single-precision WebAssembly kernel (WAT text), when it was emitted. */
  readonly wasmKernelF32?: string;
  /**
   * File name of the gpu.js kernel (JavaScript for gpu.js, single precision), when it was
   * emitted: only when asked for, and only for cells gpu.js can express (see emit-gpujs.ts).
   */
  readonly gpujsKernel?: string;
  readonly lockstepPassCost: number | null;
  /** Rough time per gradient evaluation relative to lockstep GD (schedules costly cells first). */
  readonly relativeCost: number;
}

export type { MinimumIR };

// ---------------------------------------------------------------------------------------------
// Hypotheses, resolved: every name checked, every `for each` expanded.

/** The end points of one optimizer on one landscape in one experiment. */
export interface PlanPopulation {
  readonly experiment: string;
  readonly optimizer: string;
  readonly landscape: string;
}

/**
 * One number per restart: the final loss, the distance to the nearest declared minimum, or
 * the gradients spent; on a task, one number per snapshot of a population: its training loss,
 * test metric, step or gradients spent.
 */
export type SampleAttribute = "f" | "distance" | "evals" | "loss" | "metric" | "step";

export interface PlanSample extends PlanPopulation {
  readonly attribute: SampleAttribute;
  /** On a task: the experiment's population (`SetA`) the snapshots come from. */
  readonly population?: string;
}

export type Alternative = "two-sided" | "less" | "greater";

export type PlanTest =
  | { readonly test: "mannwhitney"; readonly x: PlanSample; readonly y: PlanSample; readonly alternative: Alternative; readonly method: "auto" | "exact" | "asymptotic"; readonly continuity: boolean }
  | { readonly test: "ttest" | "welch"; readonly x: PlanSample; readonly y: PlanSample; readonly alternative: Alternative }
  | { readonly test: "kruskal"; readonly groups: readonly PlanSample[] }
  /** Independence of the counts per minimum (and Else) of two or more populations. */
  | { readonly test: "chisquare"; readonly populations: readonly PlanPopulation[] }
  /** Goodness of fit of the counts over `minima` (restarts elsewhere left out) to `shares`. */
  | { readonly test: "chisquare-fit"; readonly population: PlanPopulation; readonly minima: readonly string[]; readonly shares: readonly number[] };

export type PlanSummary =
  /** The fraction of restarts whose end point belongs to one of `minima` (`Else` allowed). */
  | { readonly summary: "share"; readonly population: PlanPopulation; readonly minima: readonly string[] }
  | { readonly summary: "median" | "mean"; readonly sample: PlanSample }
  | { readonly summary: "constant"; readonly value: number };

interface CheckSource {
  /** The claim as written (after loop expansion), for reports. */
  readonly text: string;
  /** `file:line:col` of the claim. */
  readonly location: string;
}

export type PlanCheck =
  | (CheckSource & { readonly kind: "test"; readonly mode: "expect" | "observe"; readonly test: PlanTest; readonly expected?: { readonly significant: boolean; readonly alpha: number } })
  | (CheckSource & { readonly kind: "compare"; readonly mode: "expect" | "observe"; readonly left: PlanSummary; readonly operator: "<" | "<=" | ">" | ">="; readonly right: PlanSummary; readonly confidence?: number })
  | (CheckSource & { readonly kind: "value"; readonly summary: PlanSummary });

export type AdjustMethod = "holm" | "bh" | "by" | "none";

export interface PlanHypothesis {
  readonly name: string;
  readonly location: string;
  /** How the p-values of the hypothesis's tests are adjusted for multiple comparisons. */
  readonly adjust: AdjustMethod;
  readonly checks: readonly PlanCheck[];
}
