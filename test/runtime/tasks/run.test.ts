// Running experiments on tasks end to end in this process: a tiny synthetic task compiled
// from spec text, trained by several optimizers, snapshots and populations in the results,
// and hypotheses evaluated on them.
import { describe, expect, it } from "vitest";
import { evaluateHypotheses } from "../../../runtime/hypotheses.js";
import type { Results } from "../../../runtime/results.js";
import { availableParallelism } from "node:os";
import { budgetInGradients, dataSpec, defaultTaskWorkers, runTaskExperiments, snapshotStride } from "../../../runtime/tasks/run.js";
import { compileText } from "../../support/run-spec.js";

const SPEC = `import "std/optimizers"
task Blobs {
  data synthetic(blobs, train = 120, test = 60, classes = 3, dims = 4, noise = 0.3)
  model mlp(hidden = [8])
  metric macro_f1
  batch 16
  evaluate 60
}
experiment E {
  on Blobs
  run GD(lr = 0.2) as SGD, SAM(lr = 0.2, rho = 0.05), NiM_MBH(lr = 0.2, rho = 0.5, tau = 5, eps = 0.01)
  trajectories 3
  budget 4 epochs
  snapshot every 4 steps
  seed 5
  population SetA = lowest 2 by loss per trajectory
  population SetB = highest 2 by metric per trajectory
  population Tail = last 1
}
hypothesis "h" {
  adjust holm
  for each optimizer in E: observe mannwhitney(SetA.metric, SetB.metric)
}
`;

describe("runTaskExperiments", () => {
  it("trains every optimizer along every trajectory and selects the populations", async () => {
    const { plan } = compileText(SPEC);
    const [result] = await runTaskExperiments(plan.taskExperiments!, { backend: "cpu" });
    expect(result!.backend).toBe("cpu");
    expect(result!.tasks).toEqual([expect.objectContaining({ name: "Blobs", classes: 3, train: 120, test: 60, batch: 16, batchesPerEpoch: 8, parameters: 4 * 8 + 8 + 8 * 3 + 3 })]);
    expect(result!.runs.map((r) => r.optimizer)).toEqual(["SGD", "SAM", "NiM_MBH"]);
    for (const run of result!.runs) {
      expect(run.trajectories).toHaveLength(3);
      for (const t of run.trajectories) {
        // 4 epochs of 8 batches: the gradient budget is spent exactly.
        expect(t.gradientEvaluations).toBe(32);
        expect(t.diverged).toBe(false);
        for (const s of t.snapshots) {
          expect(s.metric).toBeGreaterThanOrEqual(0);
          expect(s.metric).toBeLessThanOrEqual(1);
          expect(Number.isFinite(s.loss)).toBe(true);
        }
      }
      // Two members per trajectory, each the lowest-loss snapshots of its own series.
      expect(run.populations["SetA"]).toHaveLength(6);
      for (const m of run.populations["SetA"]!) {
        const series = run.trajectories[m.trajectory]!.snapshots;
        const rank = series.filter((s) => s.loss < series[m.snapshot]!.loss).length;
        expect(rank).toBeLessThan(2);
      }
      expect(run.populations["Tail"]!.map((m) => m.snapshot)).toEqual(run.trajectories.map((t) => t.snapshots.length - 1));
    }
    // SGD takes one gradient per step and SAM two: SAM's snapshots every 4 steps come half as often in gradients.
    const sgd = result!.runs[0]!.trajectories[0]!.snapshots.map((s) => s.gradientEvaluations);
    const sam = result!.runs[1]!.trajectories[0]!.snapshots.map((s) => s.gradientEvaluations);
    expect(sgd.slice(0, 3)).toEqual([4, 8, 12]);
    expect(sam.slice(0, 3)).toEqual([8, 16, 24]);

    const results = { spec: "x", specHash: "", optspecVersion: "", seed: 5, backend: "js", workers: 0, node: "", cpu: "", wallSeconds: 0, experiments: [], taskExperiments: [result!] } as Results;
    const [hypothesis] = evaluateHypotheses(plan.hypotheses, results);
    expect(hypothesis!.checks).toHaveLength(3);
    for (const check of hypothesis!.checks) expect(check.pValue).toBeGreaterThan(0);
  }, 60_000);

  it("gives bit-identical results for the same seed, and the same first model to every optimizer", async () => {
    const { plan } = compileText(SPEC);
    const experiments = plan.taskExperiments!.map((e) => ({ ...e, trajectories: 1 }));
    const [a] = await runTaskExperiments(experiments, { backend: "cpu" });
    const [b] = await runTaskExperiments(experiments, { backend: "cpu" });
    const series = (r: typeof a) => r!.runs.map((run) => run.trajectories.map((t) => t.snapshots));
    expect(series(b)).toEqual(series(a));
    const [c] = await runTaskExperiments(experiments, { backend: "cpu", seed: 6 });
    expect(series(c)).not.toEqual(series(a));
  }, 60_000);
});

describe("plan conversions", () => {
  it("turns epochs into gradient evaluations, and snapshot units into the trainer's", () => {
    expect(budgetInGradients({ gradients: null, iterations: null, epochs: 3 }, 8)).toEqual({ gradients: 24, iterations: null });
    expect(budgetInGradients({ gradients: 100, iterations: null, epochs: null }, 8)).toEqual({ gradients: 100, iterations: null });
    expect(snapshotStride({ every: 2, unit: "epochs" }, 8)).toEqual({ every: 16, unit: "gradients" });
    expect(snapshotStride({ every: 5, unit: "iterations" }, 8)).toEqual({ every: 5, unit: "steps" });
  });

  it("maps the language's data arguments to the loaders' options", () => {
    expect(dataSpec({ loader: "cifar100", args: { dir: "d", train: 10 } })).toEqual({ kind: "cifar", dir: "d", classes: 100, train: 10 });
    expect(dataSpec({ loader: "text", args: { path: "p.tsv", text: "t", label: "l", max_length: 5, vocabulary: 50, test_share: 0.3 } })).toEqual({
      kind: "text",
      path: "p.tsv",
      textField: "t",
      labelField: "l",
      maxLength: 5,
      vocabularySize: 50,
      testShare: 0.3,
    });
    expect(dataSpec({ loader: "synthetic", args: { kind: "spirals", train: 1, test: 2, classes: 3, dims: 2, noise: 0.1 } })).toEqual({ kind: "spirals", train: 1, test: 2, classes: 3, dims: 2, noise: 0.1 });
  });
});

describe("the default number of task workers", () => {
  const cores = availableParallelism();
  it("keeps tiny experiments in this thread", () => {
    const { plan } = compileText(SPEC);
    expect(defaultTaskWorkers(plan.taskExperiments!, "cpu")).toBe(0);
    expect(defaultTaskWorkers(plan.taskExperiments!, "wasm")).toBe(0);
  });

  it("takes every core for several big units on a one-thread backend, none on tfjs-node", () => {
    const { plan } = compileText(SPEC.replace("train = 120", "train = 4000").replace("budget 4 epochs", "budget 10 epochs"));
    expect(defaultTaskWorkers(plan.taskExperiments!, "wasm")).toBe(cores >= 2 ? cores : 0);
    expect(defaultTaskWorkers(plan.taskExperiments!, "cpu")).toBe(cores >= 2 ? cores : 0);
    expect(defaultTaskWorkers(plan.taskExperiments!, "tensorflow")).toBe(0);
    expect(defaultTaskWorkers(plan.taskExperiments!, "tfjs-node")).toBe(0);
    // One unit: nothing to share out.
    expect(defaultTaskWorkers(plan.taskExperiments!.map((e) => ({ ...e, trajectories: 1, optimizers: e.optimizers.slice(0, 1) })), "wasm")).toBe(0);
  });
});
