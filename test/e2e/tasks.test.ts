// End to end: `optc run` on specs with experiments on tasks (tiny synthetic and text tasks
// written to temporary folders), their results JSON, hypotheses and exit codes, and the
// errors a user meets with missing or broken data.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ensureBuilt, expectNoStackTrace, optc, optcExpect, removeTemporaryFolders, temporaryFolder, writeSpec } from "./helpers.js";

ensureBuilt();
afterAll(removeTemporaryFolders);

const spec = (data: string, hypotheses = "") => `import "std/optimizers"
task Tiny {
  data ${data}
  model mlp(hidden = [6])
  metric accuracy
  batch 16
  evaluate 40
}
experiment E {
  on Tiny
  run GD(lr = 0.3) as SGD, SAM(lr = 0.3, rho = 0.05)
  trajectories 2
  budget 3 epochs
  snapshot every 3 steps
  seed 3
  population SetA = lowest 3 by loss per trajectory
  population SetB = highest 3 by metric per trajectory
}
${hypotheses}`;

const SPIRALS = "synthetic(spirals, train = 96, test = 48, classes = 2, noise = 0.05)";

interface TaskJson {
  taskExperiments: {
    name: string;
    backend: string;
    tasks: { name: string; batchesPerEpoch: number }[];
    runs: { optimizer: string; task: string; trajectories: { snapshots: { step: number; gradientEvaluations: number; loss: number; metric: number }[]; gradientEvaluations: number }[]; populations: Record<string, { trajectory: number; snapshot: number }[]> }[];
  }[];
  hypotheses?: { name: string; passed: boolean; checks: { text: string; passed: boolean | null }[] }[];
}

describe("optc run on a task", () => {
  it("trains, prints a table per task, writes results JSON with snapshots and populations", () => {
    const dir = temporaryFolder();
    const file = writeSpec(dir, "tiny.optspec", spec(SPIRALS));
    const run = optcExpect(["run", file, "--no-report", "--json", join(dir, "results.json"), "--backend", "cpu"], 0);
    expect(run.stdout).toContain("Experiment E: 2 trajectories, budget 3 epochs, snapshot every 3 steps, seed 3, tfjs backend cpu");
    expect(run.stdout).toMatch(/SGD\s+0\s+18\s/);
    const results = JSON.parse(readFileSync(join(dir, "results.json"), "utf8")) as TaskJson;
    const facts = results as unknown as { seed: number; backend: string; precision: string };
    expect([facts.seed, facts.backend, facts.precision]).toEqual([3, "tfjs:cpu", "f32"]);
    const [experiment] = results.taskExperiments;
    expect(experiment!.backend).toBe("cpu");
    expect(experiment!.tasks[0]!.batchesPerEpoch).toBe(6);
    expect(experiment!.runs.map((r) => r.optimizer)).toEqual(["SGD", "SAM"]);
    for (const r of experiment!.runs) {
      expect(r.trajectories.map((t) => t.gradientEvaluations)).toEqual([18, 18]);
      expect(r.populations["SetA"]).toHaveLength(6);
      expect(r.populations["SetB"]).toHaveLength(6);
    }
  });

  it("gives the same numbers for the same seed, and others for --seed", () => {
    const dir = temporaryFolder();
    const file = writeSpec(dir, "tiny.optspec", spec(SPIRALS));
    const series = (args: string[]) => (JSON.parse(optcExpect(["run", file, "--no-report", "--quiet", "--json", "-", "--backend", "cpu", ...args], 0).stdout) as TaskJson).taskExperiments[0]!.runs.map((r) => r.trajectories);
    const first = series([]);
    expect(series([])).toEqual(first);
    expect(series(["--seed", "4"])).not.toEqual(first);
  });

  it("exits 1 when an expectation about task populations fails, 0 when it holds", () => {
    const dir = temporaryFolder();
    // With 6 snapshots per population SetB's accuracy cannot lie below 0; the claim that it does fails.
    const failing = writeSpec(dir, "fail.optspec", spec(SPIRALS, `hypothesis "impossible" {\n  expect median(E.SGD on Tiny.SetB.metric) < 0\n}\n`));
    const run = optc(["run", failing, "--no-report", "--backend", "cpu"]);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('FAIL  expect median(E.SGD on Tiny.SetB.metric) < 0');
    const holding = writeSpec(dir, "hold.optspec", spec(SPIRALS, `hypothesis "bounded" {\n  expect median(E.SGD on Tiny.SetB.metric) <= 1\n}\n`));
    expect(optc(["run", holding, "--no-report", "--backend", "cpu"]).status).toBe(0);
  });

  it("reads a labelled text file relative to the spec", () => {
    const dir = temporaryFolder();
    const rows = ["text,label"];
    for (let i = 0; i < 60; i++) rows.push(i % 2 ? `"good fine great, ${i}",pos` : `bad awful poor ${i},neg`);
    writeFileSync(join(dir, "reviews.csv"), `${rows.join("\n")}\n`);
    const file = writeSpec(dir, "text.optspec", spec('text("reviews.csv", max_length = 8, vocabulary = 20)').replace("mlp(hidden = [6])", "bag_of_embeddings(dimension = 4)"));
    const results = JSON.parse(optcExpect(["run", file, "--no-report", "--quiet", "--json", "-", "--backend", "cpu"], 0).stdout) as TaskJson;
    // 60 rows, 20% held out: 48 to train, 3 batches per epoch.
    expect(results.taskExperiments[0]!.tasks[0]!.batchesPerEpoch).toBe(3);
  });

  it("names the missing or broken data file, without a stack trace", () => {
    const dir = temporaryFolder();
    const missing = optc(["run", writeSpec(dir, "m.optspec", spec('text("nowhere.tsv")')), "--no-report", "--backend", "cpu"]);
    expect(missing.status).toBe(3);
    expect(missing.stderr).toContain("nowhere.tsv");
    expectNoStackTrace(missing);
    writeFileSync(join(dir, "broken.jsonl"), '{"text": "a", "label": "x"}\n{"text": \n');
    const broken = optc(["run", writeSpec(dir, "b.optspec", spec('text("broken.jsonl")')), "--no-report", "--backend", "cpu"]);
    expect(broken.status).toBe(3);
    expect(broken.stderr).toMatch(/broken\.jsonl.*line 2/);
    expectNoStackTrace(broken);
    const cifar = optc(["run", writeSpec(dir, "c.optspec", spec('cifar10("no-cifar")')), "--no-report", "--backend", "cpu"]);
    expect(cifar.status).toBe(3);
    expect(cifar.stderr).toContain("https://www.cs.toronto.edu/~kriz/cifar.html");
    expectNoStackTrace(cifar);
  });

  it("refuses a backend it does not know, naming the flag", () => {
    const dir = temporaryFolder();
    const run = optc(["run", writeSpec(dir, "t.optspec", spec(SPIRALS)), "--no-report", "--backend", "tpu"]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("--backend");
    expectNoStackTrace(run);
  });
});
