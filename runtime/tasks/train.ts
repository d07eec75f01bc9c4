// The trainer: runs one optimizer's step IR on one TrainableModel for one trajectory, on
// minibatches, recording snapshots. It interprets the IR with the execution model of
// compiler/lower/ir.ts, which the JS emitter (compiler/emit/emit-js.ts) makes exact on the
// synthetic landscapes; here w is the model's variables and a gradient is one call of
// `lossAndGradients` on the current minibatch.
//
// Conventions (the IR leaves them to the backend on minibatches):
// - Batches: one epoch is ceil(count / batch) minibatches, in a seeded order per epoch (see
//   train-batches.ts). The batch cursor advances on each `descend`: a gradient taken while t
//   updates are done reads batch t, so every gradient before an update (SAM's ascent
//   gradient, the gradient a `gradnorm` test reads, the gradient after a model perturbation)
//   uses the same samples as the update's.
// - Budget: gradient evaluations (an epoch budget is converted by the caller to
//   epochs × batchesPerEpoch gradients) and/or iterations, which, as in the kernels, count
//   passes of the optimizer's loop (updates for GD, hops for basin hopping). The gradient
//   budget is checked before every gradient evaluation and every model perturbation; when it
//   is spent the trajectory stops there, a pending ascent is dropped (w is never moved by it
//   outside the evaluation), and inside a hop the candidate is still judged.
// - State read by conditions: `gradnorm` is the global L2 norm of g over all parameter
//   tensors; `loss` is the minibatch loss the last gradient evaluation returned (at w + e for
//   an ascent gradient; NaN before the first one), not f(w) as on the synthetic landscapes;
//   `t` counts updates and `evals` gradient evaluations.
// - Noise: `perturb gradient|model family(scale)` draws one vector per parameter tensor, in
//   that tensor's dimension, from the trajectory's stream (see train-noise.ts).
// - SAM: e = rho g/|g| (|g| global; e = 0 where g = 0). The gradient at w + e is taken by
//   moving the variables there and back to their held buffers (so the restore is exact).
// - Basin hopping: acceptance compares f, the mean loss on a fixed evaluation subset of the
//   training split (the first `evaluationSize` samples of a seeded permutation), which costs
//   no gradient evaluation. The accepted point holds every variable's buffer (see `hold`:
//   nothing is copied); the next hop starts from it, and it is the trajectory's end point.
// - Tensors: every step runs inside tf.tidy; the state (g, e, update slots, accepted point,
//   current batch, evaluation subset) is allocated once and replaced in place, so the tensor
//   count stays flat along a trajectory and returns to where it was at the end.
// - Snapshots: every `every` gradient evaluations (taken just before the next evaluation is
//   spent, so after the update that used the previous ones), every `every` steps (just after
//   the update) or every `every` loop passes (after the pass), plus one at the end unless the
//   reported model is unchanged since the last one. Inside a hop a snapshot records the
//   accepted point, the reported model. A snapshot's loss is f on the evaluation subset; its
//   metric is the caller's callback.
// - Divergence: a non-finite minibatch loss, or a non-finite f at a snapshot, stops the
//   trajectory; the result says `diverged` and keeps the snapshots taken before.

import * as tf from "@tensorflow/tfjs-core";
// The IR's own queries (a leaf module of plain functions: the plan carries the IR to tasks).
import { conditionReads, flattenSteps, type CondIR, type DistributionFamily, type OptimizerIR, type Step, type UpdateMethod, type ValueIR } from "../../compiler/lower/ir.js";
import { BatchCache, BatchOrder, derivedDataKey, evaluationIndices, SampleSource, sampleCount, type TrainingSamples } from "./train-batches.js";
import { EvaluationSet } from "./train-evaluate.js";
import { NoiseStream } from "./train-noise.js";
import { applyUpdate, disposeSlot, initSlot, type SlotState } from "./train-update.js";
import type { Snapshot, TrainableModel } from "./types.js";

export { batchesPerEpoch, derivedDataKey, sampleCount, type HostTrainingData, type TrainingData, type TrainingSamples } from "./train-batches.js";

/** When snapshots are taken. */
export interface SnapshotSchedule {
  /** A positive integer. */
  readonly every: number;
  /**
   * "gradients": every `every` gradient evaluations (an epoch budget's unit: `snapshot every
   * k epochs` is k × batchesPerEpoch gradients); "steps": every `every` updates (t; an epoch
   * of data is batchesPerEpoch steps, since each update advances the batch cursor);
   * "iterations": every `every` passes of the optimizer's loop (the iteration budget's unit:
   * updates for GD, NiG, NiM and SAM, hops for basin hopping).
   */
  readonly unit: "gradients" | "steps" | "iterations";
  /** Also snapshot the starting model (step 0). Default false. */
  readonly atStart?: boolean;
}

export interface TrainOptions {
  /** Its variables are trained in place: at the end they hold the trajectory's end point. */
  readonly model: TrainableModel;
  readonly optimizer: OptimizerIR;
  /** The training split: tensors, or the loaders' host arrays (which saves a read-back). */
  readonly data: TrainingSamples;
  readonly batch: number;
  /** A trajectory stops when either limit is reached; null means no limit of that kind. */
  readonly budget: { readonly gradients: number | null; readonly iterations: number | null };
  /** Absent: only the end snapshot. */
  readonly snapshot?: SnapshotSchedule;
  /** The trajectory's noise key: restartKey(seed, noiseStream(experiment, optimizer, task), trajectory). */
  readonly key: readonly [number, number];
  /**
   * Keys the batch order and the evaluation subset. Default: derived from `key`. Pass a key
   * that does not depend on the optimizer (e.g. restartKey(seed, `data/${experiment}/${task}`,
   * trajectory)) for a paired design: every optimizer's trajectory r then sees the same
   * batch order and is judged on the same subset.
   */
  readonly dataKey?: readonly [number, number];
  /** Samples in the evaluation subset; default min(1024, count). */
  readonly evaluationSize?: number;
  /** The task's metric on the test split, for the model as it stands (called inside tf.tidy). */
  readonly metric: (model: TrainableModel) => number;
  /** Called with each snapshot as it is taken, the model standing at the snapshot's point. */
  readonly onSnapshot?: (snapshot: Snapshot, model: TrainableModel) => void;
}

export interface TrajectoryResult {
  readonly snapshots: Snapshot[];
  readonly gradientEvaluations: number;
  /** Updates done (t). */
  readonly steps: number;
  /** Passes of the optimizer's loop completed (one cut short by the budget is not counted). */
  readonly iterations: number;
  /** A non-finite loss stopped the trajectory. */
  readonly diverged: boolean;
  readonly hops: number;
  /** Hops whose candidate replaced the accepted point. */
  readonly acceptedHops: number;
  /** Draws taken from the trajectory's noise stream. */
  readonly noiseDraws: number;
}

/** Trains `options.model` with `options.optimizer` for one trajectory; see the conventions above. */
export function trainTrajectory(options: TrainOptions): TrajectoryResult {
  const trajectory = new Trajectory(options);
  try {
    return trajectory.run();
  } finally {
    trajectory.dispose();
  }
}

// Sentinels thrown to leave the IR's nested steps (not Errors: no stack to capture).
const BUDGET_SPENT = { reason: "budget spent" } as const;
const DIVERGED = { reason: "diverged" } as const;

class Trajectory {
  private readonly model: TrainableModel;
  private readonly params: readonly tf.Variable[];
  private readonly optimizer: OptimizerIR;
  private readonly gradientBudget: number;
  private readonly iterationBudget: number;
  private readonly schedule: SnapshotSchedule | undefined;
  private readonly noise: NoiseStream;
  private readonly batches: BatchCache;
  private readonly evaluation: EvaluationSet;
  private readonly hasHop: boolean;

  // The IR's state.
  private t = 0;
  private evals = 0;
  /** Loop passes started (the iteration budget's count) and completed (the result's). */
  private passes = 0;
  private completedPasses = 0;
  private gradient: tf.Tensor[] | null = null;
  private gradientValid = false;
  private gradientNormCache: number | undefined;
  private lastLoss = NaN;
  private ascent: tf.Tensor[] | null = null;
  private ascentPending = false;
  private readonly slots = new Map<number, SlotState>();
  private accepted: tf.Tensor[] | null = null;
  private acceptedLoss = NaN;
  private hopDepth = 0;

  // Bookkeeping.
  private readonly snapshots: Snapshot[] = [];
  private nextSnapshot = Infinity;
  private movedSinceSnapshot = true;
  private hops = 0;
  private acceptedHops = 0;
  private diverged = false;

  constructor(private readonly options: TrainOptions) {
    const { model, optimizer, data, budget, snapshot } = options;
    this.model = model;
    this.params = model.parameters;
    this.optimizer = optimizer;
    if (budget.gradients === null && budget.iterations === null) throw new RangeError("trainTrajectory: a budget of gradients or iterations is needed");
    for (const [name, value] of Object.entries(budget))
      if (value !== null && !(Number.isSafeInteger(value) && value >= 0)) throw new RangeError(`trainTrajectory: the ${name} budget must be a non-negative integer, got ${value}`);
    this.gradientBudget = budget.gradients ?? Infinity;
    this.iterationBudget = budget.iterations ?? Infinity;
    if (snapshot && !(Number.isSafeInteger(snapshot.every) && snapshot.every >= 1)) throw new RangeError(`trainTrajectory: snapshots every ${snapshot.every} ${snapshot.unit}: a positive integer is needed`);
    this.schedule = snapshot;
    const count = sampleCount(data);
    if (count < 1) throw new RangeError("trainTrajectory: the training split is empty");
    const dataKey = options.dataKey ?? derivedDataKey(options.key);
    const size = options.evaluationSize ?? Math.min(1024, count);
    if (!(Number.isSafeInteger(size) && size >= 1 && size <= count)) throw new RangeError(`trainTrajectory: the evaluation subset must hold 1 to ${count} samples, got ${size}`);

    this.noise = new NoiseStream(options.key);
    const source = new SampleSource(data);
    this.batches = new BatchCache(source, new BatchOrder(count, options.batch, dataKey));
    this.evaluation = new EvaluationSet(source, evaluationIndices(count, size, dataKey));
    // Every state tensor exists from the start, so the tensor count stays flat along the run.
    const all = [...flattenSteps(optimizer.start), ...flattenSteps(optimizer.loop)];
    this.hasHop = all.some((s) => s.op === "hop");
    for (const step of all) if (step.op === "descend" && !this.slots.has(step.slot)) this.slots.set(step.slot, initSlot(step.method, this.params));
    if (all.some((s) => s.op === "ascend")) this.ascent = this.params.map((p) => tf.zerosLike(p));
    if (this.hasHop) this.accepted = this.params.map(hold);
  }

  run(): TrajectoryResult {
    if (this.schedule) {
      if (this.schedule.atStart) this.snapshotHere();
      this.nextSnapshot = this.schedule.every;
    }
    try {
      this.runTrajectory();
    } catch (signal) {
      if (signal === DIVERGED) this.diverged = true;
      else if (signal !== BUDGET_SPENT) throw signal;
    }
    // The end point: the accepted point of a basin hopper, else w.
    if (this.accepted) this.params.forEach((p, i) => p.assign(this.accepted![i]!));
    if (!this.diverged && (this.movedSinceSnapshot || this.snapshots.length === 0)) {
      try {
        this.snapshotHere();
      } catch (signal) {
        if (signal !== DIVERGED) throw signal;
        this.diverged = true;
      }
    }
    return {
      snapshots: this.snapshots,
      gradientEvaluations: this.evals,
      steps: this.t,
      iterations: this.completedPasses,
      diverged: this.diverged,
      hops: this.hops,
      acceptedHops: this.acceptedHops,
      noiseDraws: this.noise.counter,
    };
  }

  dispose(): void {
    if (this.gradient) tf.dispose(this.gradient);
    if (this.ascent) tf.dispose(this.ascent);
    if (this.accepted) tf.dispose(this.accepted);
    this.gradient = this.ascent = this.accepted = null;
    for (const slot of this.slots.values()) disposeSlot(slot);
    this.batches.dispose();
    this.evaluation.dispose();
  }

  /** The kernels' trajectory: `start` once, then loop passes until a budget is spent. */
  private runTrajectory(): void {
    if (this.optimizer.start.length === 0) {
      if (this.hasHop) this.acceptCurrent(this.evaluation.meanLoss(this.model));
    } else {
      let spent = false;
      try {
        this.pass(this.optimizer.start);
      } catch (signal) {
        if (signal !== BUDGET_SPENT) throw signal;
        spent = true;
      }
      // The first local search's result is accepted unconditionally.
      if (this.hasHop) this.acceptCurrent(this.evaluation.meanLoss(this.model));
      if (spent) throw BUDGET_SPENT;
    }
    while (this.passes < this.iterationBudget) {
      this.passes++;
      const before = this.evals;
      this.pass(this.optimizer.loop);
      this.completedPasses++;
      if (this.schedule?.unit === "iterations" && this.passes === this.nextSnapshot) this.scheduledSnapshot();
      if (this.evals === before && this.iterationBudget === Infinity) throw new Error(`trainTrajectory: a pass of ${this.optimizer.name}'s loop spent no gradient, so a gradient budget would never end`);
    }
  }

  /** One pass of a loop body: it starts with a stale gradient (compiler/lower/ir.ts). */
  private pass(steps: readonly Step[]): void {
    this.gradientValid = false;
    for (const step of steps) this.step(step);
  }

  private step(step: Step): void {
    switch (step.op) {
      case "perturb":
        if (step.target === "gradient") {
          this.needGradient();
          this.perturbGradient(step.family, step.scale);
        } else {
          this.checkBudget();
          this.perturbModel(step.family, step.scale);
          this.gradientValid = false;
        }
        return;
      case "ascend": {
        this.needGradient();
        const g = this.gradient!;
        const factor = step.normalized ? this.normalizedFactor(step.radius) : step.radius;
        const next = tf.tidy(() => g.map((gi) => tf.mul(gi, factor)));
        if (this.ascent) tf.dispose(this.ascent);
        this.ascent = next;
        this.ascentPending = true;
        this.gradientValid = false;
        return;
      }
      case "descend":
        this.needGradient();
        this.descend(step.rate, step.method, step.slot);
        return;
      case "if":
        if (conditionReads(step.condition, "gradnorm")) this.needGradient();
        if (this.condition(step.condition)) for (const inner of step.body) this.step(inner);
        return;
      case "repeat":
        for (let i = 0; i < step.times; i++) {
          this.gradientValid = false;
          if (step.until) {
            if (conditionReads(step.until, "gradnorm")) this.needGradient();
            if (this.condition(step.until)) break;
          }
          for (const inner of step.body) this.step(inner);
        }
        this.gradientValid = false;
        return;
      case "hop":
        this.hop(step.body, step.accept);
        return;
    }
  }

  private checkBudget(): void {
    if (this.evals >= this.gradientBudget) throw BUDGET_SPENT;
  }

  /** Makes g valid, spending one gradient evaluation (on the current batch, at w + e when an ascent is pending). */
  private needGradient(): void {
    if (this.gradientValid) return;
    this.checkBudget();
    if (this.schedule?.unit === "gradients" && this.evals === this.nextSnapshot) this.scheduledSnapshot();
    this.evals++;
    const batch = this.batches.get(this.t);
    const ascent = this.ascentPending ? this.ascent : null;
    const result = tf.tidy(() => {
      const saved = ascent ? this.params.map(hold) : null;
      if (ascent) this.params.forEach((p, i) => p.assign(tf.add(p, ascent[i]!)));
      try {
        const { loss, gradients } = this.model.lossAndGradients(batch.x, batch.labels);
        return { loss, gradients };
      } finally {
        if (saved) this.params.forEach((p, i) => p.assign(saved[i]!));
      }
    });
    this.lastLoss = result.loss.dataSync()[0]!;
    result.loss.dispose();
    if (this.gradient) tf.dispose(this.gradient);
    this.gradient = result.gradients;
    this.gradientValid = true;
    this.gradientNormCache = undefined;
    if (!Number.isFinite(this.lastLoss)) throw DIVERGED;
  }

  private gradientNorm(): number {
    if (this.gradientNormCache === undefined) {
      const g = this.gradient!;
      const squares = tf.tidy(() => tf.addN(g.map((gi) => tf.sum(tf.square(gi)))).dataSync()[0]!);
      this.gradientNormCache = Math.sqrt(squares);
    }
    return this.gradientNormCache;
  }

  /** rho / |g|, or 0 where |g| is 0 (or not finite): SAM stays put instead of dividing by zero. */
  private normalizedFactor(radius: number): number {
    const norm = this.gradientNorm();
    return norm > 0 && Number.isFinite(norm) ? radius / norm : 0;
  }

  private descend(rate: number, method: UpdateMethod, slot: number): void {
    applyUpdate(this.params, this.gradient!, rate, method, this.slots.get(slot)!);
    this.ascentPending = false;
    this.t++;
    this.gradientValid = false;
    this.reportedPointMoved();
    if (this.schedule?.unit === "steps" && this.t === this.nextSnapshot) this.scheduledSnapshot();
  }

  private perturbGradient(family: DistributionFamily, scale: number): void {
    const g = this.gradient!;
    const next = tf.tidy(() => g.map((gi, i) => tf.add(gi, this.drawTensor(i, family, scale))));
    tf.dispose(g);
    this.gradient = next;
    this.gradientNormCache = undefined;
  }

  private perturbModel(family: DistributionFamily, scale: number): void {
    tf.tidy(() => this.params.forEach((p, i) => p.assign(tf.add(p, this.drawTensor(i, family, scale)))));
    this.reportedPointMoved();
  }

  /**
   * A draw for parameter tensor `index`, as a tensor (inside a tidy). The cpu backend keeps
   * the array it is given rather than copying it, and the draw is a view the next draw
   * overwrites: the tensor is used at once, by the one operation that reads it.
   */
  private drawTensor(index: number, family: DistributionFamily, scale: number): tf.Tensor {
    const parameter = this.params[index]!;
    return tf.tensor(this.noise.drawView(family, scale, parameter.size), parameter.shape, "float32");
  }

  /** A basin hop: the body makes a candidate from the accepted point; `accept` decides. */
  private hop(body: readonly Step[], accept: Extract<Step, { op: "hop" }>["accept"]): void {
    let spent = false;
    this.hopDepth++;
    try {
      this.pass(body);
    } catch (signal) {
      if (signal !== BUDGET_SPENT) throw signal;
      spent = true;
    } finally {
      this.hopDepth--;
    }
    const candidate = this.evaluation.meanLoss(this.model);
    this.hops++;
    const take =
      accept.rule === "always" ||
      candidate < this.acceptedLoss ||
      (accept.rule === "metropolis" && this.noise.uniform() < Math.exp((this.acceptedLoss - candidate) / accept.temperature));
    if (take) {
      this.acceptCurrent(candidate);
      this.acceptedHops++;
    } else {
      // The next hop starts from the accepted point: the variables take its buffers back.
      this.params.forEach((p, i) => p.assign(this.accepted![i]!));
    }
    this.gradientValid = false;
    if (spent) throw BUDGET_SPENT;
  }

  /** Makes the current point the accepted one (the variables' buffers, shared, not copied). */
  private acceptCurrent(loss: number): void {
    const held = this.params.map(hold);
    if (this.accepted) tf.dispose(this.accepted);
    this.accepted = held;
    this.acceptedLoss = loss;
    this.movedSinceSnapshot = true;
  }

  /** w moved: inside a hop the reported model is the accepted point, which did not. */
  private reportedPointMoved(): void {
    if (this.hopDepth === 0) this.movedSinceSnapshot = true;
  }

  private scheduledSnapshot(): void {
    this.nextSnapshot += this.schedule!.every;
    this.snapshotHere();
  }

  /** Records a snapshot of the reported model: the accepted point inside a hop, else w. */
  private snapshotHere(): void {
    const atAccepted = this.hopDepth > 0 && this.accepted !== null;
    const saved = atAccepted ? this.params.map(hold) : null;
    if (atAccepted) this.params.forEach((p, i) => p.assign(this.accepted![i]!));
    let snapshot: Snapshot;
    try {
      const loss = this.evaluation.meanLoss(this.model);
      if (!Number.isFinite(loss)) throw DIVERGED;
      const metric = tf.tidy(() => this.options.metric(this.model));
      snapshot = { step: this.t, gradientEvaluations: this.evals, loss, metric };
      this.options.onSnapshot?.(snapshot, this.model);
    } finally {
      if (saved) {
        this.params.forEach((p, i) => p.assign(saved[i]!));
        tf.dispose(saved);
      }
    }
    this.snapshots.push(snapshot);
    this.movedSinceSnapshot = false;
  }

  private condition(c: CondIR): boolean {
    switch (c.op) {
      case "compare": {
        const left = this.value(c.left);
        const right = this.value(c.right);
        switch (c.operator) {
          case "<": return left < right;
          case "<=": return left <= right;
          case ">": return left > right;
          case ">=": return left >= right;
          case "==": return left === right;
          case "!=": return left !== right;
        }
        break;
      }
      case "and":
      case "or": {
        // Conditions have no side effects, so the side that needs no |g| (a device
        // reduction) is tested first, and may decide alone.
        const [first, second] = conditionReads(c.left, "gradnorm") && !conditionReads(c.right, "gradnorm") ? [c.right, c.left] : [c.left, c.right];
        return c.op === "and" ? this.condition(first) && this.condition(second) : this.condition(first) || this.condition(second);
      }
      case "not":
        return !this.condition(c.operand);
    }
  }

  private value(v: ValueIR): number {
    switch (v.op) {
      case "const":
        return v.value;
      case "state":
        return v.name === "gradnorm" ? this.gradientNorm() : v.name === "t" ? this.t : v.name === "evals" ? this.evals : this.lastLoss;
      case "neg":
        return -this.value(v.operand);
      case "call": {
        const fn = (Math as unknown as Record<string, (x: number) => number>)[v.fn];
        if (typeof fn !== "function") throw new Error(`trainTrajectory: unknown function '${v.fn}' in a condition`);
        return fn(this.value(v.arg));
      }
      case "binary": {
        const left = this.value(v.left);
        const right = this.value(v.right);
        switch (v.operator) {
          case "+": return left + right;
          case "-": return left - right;
          case "*": return left * right;
          case "/": return left / right;
          case "^": return Math.pow(left, right);
        }
      }
    }
  }
}

/**
 * A tensor that keeps `variable`'s current buffer alive after the variable is assigned
 * another: restoring it (variable.assign) gives back the very same values. reshape shares the
 * buffer on every backend; tf.clone copies it on wasm.
 */
function hold(variable: tf.Variable): tf.Tensor {
  return tf.reshape(variable, variable.shape);
}


