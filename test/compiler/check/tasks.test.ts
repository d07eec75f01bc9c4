// Tasks and experiments on tasks: settings and their arguments, the task-only clauses,
// population rules, and hypotheses over task populations.
import { describe, expect, it } from "vitest";
import { format } from "../../../grammar/index.js";
import { diagnose, expectDiagnostics, STD } from "./helpers.js";

const TASK = `task Digits {
  data mnist(train = 200, test = 100)
  model mlp(hidden = [32, 16])
  loss cross_entropy
  metric macro_f1
  batch 32
}
`;

const EXPERIMENT = `experiment Pop {
  on Digits
  run GD, SAM
  trajectories 3
  budget 2 epochs
  snapshot every 5 steps
  seed 7
  population SetA = lowest 4 by loss per trajectory
  population SetB = highest 4 by metric per trajectory
  population Tail = last 2
  population Everything = all
}
`;

describe("a task and an experiment on it", () => {
  it("lowers to the plan with every default filled in", () => {
    const d = expectDiagnostics(`${STD}${TASK}${EXPERIMENT}`, []);
    const plan = d.result.plan!;
    expect(plan.experiments).toEqual([]);
    expect(plan.taskExperiments).toHaveLength(1);
    const e = plan.taskExperiments![0]!;
    expect(e).toMatchObject({
      name: "Pop",
      seed: 7,
      trajectories: 3,
      budget: { gradients: null, iterations: null, epochs: 2 },
      snapshot: { every: 5, unit: "iterations" },
      populations: [
        { name: "SetA", rule: { kind: "lowest", count: 4, by: "loss" } },
        { name: "SetB", rule: { kind: "highest", count: 4, by: "metric" } },
        { name: "Tail", rule: { kind: "last", count: 2 } },
        { name: "Everything", rule: { kind: "all" } },
      ],
    });
    expect(e.tasks).toEqual([
      {
        name: "Digits",
        baseDir: "/virtual",
        data: { loader: "mnist", args: { train: 200, test: 100 } },
        model: { kind: "mlp", hidden: [32, 16] },
        loss: "cross_entropy",
        metric: "macro_f1",
        batch: 32,
        evaluation: 1024,
      },
    ]);
    expect(e.optimizers.map((o) => o.name)).toEqual(["GD", "SAM"]);
    // SAM's IR travels in the plan: an ascent, then a descent.
    expect(e.optimizers[1]!.loop.map((s) => s.op)).toEqual(["ascend", "descend"]);
  });

  it("fills loader and model defaults, and positional arguments", () => {
    const text = `${STD}task T {\n  data text("tweets.tsv", max_length = 32)\n  model cnn([8])\n}\n${EXPERIMENT.replace("Digits", "T")}`;
    const task = diagnose(text).result.plan!.taskExperiments![0]!.tasks[0]!;
    expect(task.data).toEqual({ loader: "text", args: { path: "tweets.tsv", max_length: 32, text: "text", label: "label", vocabulary: 10000, test_share: 0.2 } });
    expect(task.model).toEqual({ kind: "cnn", channels: [8], kernel: 3, dense: [] });
    expect(task).toMatchObject({ metric: "accuracy", batch: 64 });
  });

  it("prints and reparses to the same text (fmt)", () => {
    const text = `${TASK}\n${EXPERIMENT}`;
    expect(format(text, "x.optspec").formatted).toBe(text);
  });
});

describe("task settings (E700, E701, E702)", () => {
  it("reports unknown settings, loaders, models, metrics and argument types with suggestions", () => {
    const d = expectDiagnostics(
      `${STD}task T {\n  ⟨1⟩dta mnist()\n  data ⟨2⟩mnst(train = 10)\n  model mlp(⟨3⟩hiden = [4])\n  metric ⟨4⟩acuracy\n  batch ⟨5⟩0\n}\nexperiment E { on T run GD trajectories 1 budget 1 epochs }`,
      [
        { code: "E700", message: "unknown task setting 'dta'", at: 1 },
        { code: "E701", message: "unknown data set 'mnst'", at: 2 },
        { code: "E102", message: "'mlp' has no argument 'hiden'", at: 3 },
        { code: "E701", message: "unknown metric 'acuracy'", at: 4 },
        { code: "E701", message: "the batch size must be a positive integer", at: 5 },
      ],
    );
    expect(d.diagnostics.map((x) => x.suggestion)).toEqual(["did you mean 'data'?", "did you mean 'mnist'?", "did you mean 'hidden'?", "did you mean 'accuracy'?", "it is 0"]);
  });

  it("requires data and a model, and the path of a file-based loader", () => {
    expectDiagnostics(`${STD}task ⟨1⟩T {\n  data ⟨2⟩cifar10\n}\nexperiment E { on T run GD trajectories 1 budget 1 epochs }`, [
      { code: "E702", message: "task 'T' has no 'model'", at: 1 },
      { code: "E104", message: "'cifar10' needs 'dir'", at: 2 },
    ]);
  });

  it("checks argument kinds: strings, words and lists", () => {
    expectDiagnostics(`${STD}task T {\n  data text(⟨1⟩tweets, format = ⟨2⟩xml)\n  model mlp(hidden = ⟨3⟩4)\n}\nexperiment E { on T run GD trajectories 1 budget 1 epochs }`, [
      { code: "E701", message: "'path' of 'text' must be a string", at: 1 },
      { code: "E701", message: "'format' of 'text' must be one of csv, tsv, jsonl", at: 2 },
      { code: "E701", message: "'hidden' of 'mlp' must be a list of positive integers, e.g. [256, 128]", at: 3 },
    ]);
  });
});

describe("experiments on tasks (E703, E704, E705)", () => {
  it("refuses landscape clauses on a task experiment and task clauses on a landscape one", () => {
    expectDiagnostics(
      `${STD}${TASK}experiment A { on Digits run GD trajectories 1 budget 1 epochs ⟨1⟩restarts 5 }\nexperiment B { on Himmelblau run GD restarts 2 budget 10 gradients ⟨2⟩trajectories 3 }`,
      [
        { code: "E703", message: "'restarts' belongs to experiments on landscapes; 'A' trains on tasks", at: 1 },
        { code: "E703", message: "'trajectories' belongs to experiments on tasks; 'B' runs on landscapes", at: 2 },
      ],
    );
  });

  it("refuses a landscape among tasks", () => {
    expectDiagnostics(`${STD}${TASK}experiment A { on Digits, ⟨1⟩Himmelblau run GD trajectories 1 budget 1 epochs }`, [
      { code: "E705", message: "'Himmelblau' is a landscape, but experiment 'A' trains on tasks", at: 1 },
    ]);
  });

  it("checks population rules", () => {
    expectDiagnostics(
      `${STD}${TASK}experiment A {\n on Digits run GD trajectories 1 budget 1 epochs\n population P = ⟨1⟩lowst 3 by loss\n ⟨2⟩population Q = lowest 3\n population R = highest 2 by ⟨3⟩accuracy\n population S = last 2 ⟨4⟩by loss\n population T = lowest ⟨5⟩0 by loss\n}`,
      [
        { code: "E704", message: "unknown population rule 'lowst'", at: 1 },
        { code: "E704", message: "'lowest 3' needs 'by loss' or 'by metric'", at: 2 },
        { code: "E704", message: "a population is chosen by 'loss' or 'metric', not 'accuracy'", at: 3 },
        { code: "E704", message: "'last' takes no 'by'", at: 4 },
        { code: "E704", message: "the population size is 0; it must be a positive integer", at: 5 },
      ],
    );
  });

  it("reports an unknown snapshot unit and a missing 'trajectories'", () => {
    expectDiagnostics(`${STD}${TASK}experiment ⟨1⟩A { on Digits run GD budget 1 epochs snapshot every 2 ⟨2⟩weeks }`, [
      { code: "E302", message: "experiment 'A' has no 'trajectories' clause", at: 1 },
      { code: "E404", message: "unknown snapshot unit 'weeks'", at: 2 },
    ]);
  });
});

describe("hypotheses over task populations", () => {
  const spec = (claims: string) => `${STD}${TASK}${EXPERIMENT}hypothesis "h" {\n adjust holm\n ${claims}\n}\n`;

  it("expands 'for each optimizer' over the shorthand SetA.metric, and takes the full form", () => {
    const d = expectDiagnostics(spec("for each optimizer in Pop: expect mannwhitney(SetA.metric, SetB.metric) not significant at 0.05\n expect ttest(Pop.GD on Digits.SetA.loss, Pop.SAM on Digits.SetA.loss) not significant at 0.05"), []);
    const tests = d.result.plan!.hypotheses[0]!.checks.map((c) => (c.kind === "test" ? c.test : undefined));
    expect(tests).toEqual([
      expect.objectContaining({ test: "mannwhitney", x: { experiment: "Pop", optimizer: "GD", landscape: "Digits", population: "SetA", attribute: "metric" }, y: { experiment: "Pop", optimizer: "GD", landscape: "Digits", population: "SetB", attribute: "metric" } }),
      expect.objectContaining({ test: "mannwhitney", x: expect.objectContaining({ optimizer: "SAM", population: "SetA" }) }),
      expect.objectContaining({ test: "ttest", x: expect.objectContaining({ optimizer: "GD", attribute: "loss" }), y: expect.objectContaining({ optimizer: "SAM", attribute: "loss" }) }),
    ]);
  });

  it("reports unknown populations and attributes, the shorthand outside a loop, and counts on tasks", () => {
    expectDiagnostics(
      spec("expect mannwhitney(⟨1⟩SetA.metric, Pop.GD on Digits.SetA.metric) significant at 0.05\n expect mannwhitney(Pop.GD on Digits.⟨2⟩SetC.metric, Pop.GD on Digits.SetA.⟨3⟩acc) significant at 0.05\n expect chisquare(⟨4⟩Pop.GD on Digits, ⟨5⟩Pop.SAM on Digits) significant at 0.05"),
      [
        { code: "E601", message: /needs 'for each optimizer in EXPERIMENT'/, at: 1 },
        { code: "E100", message: "experiment 'Pop' has no population 'SetC'", at: 2 },
        { code: "E100", message: "unknown attribute 'acc' of a task population", at: 3 },
        { code: "E602", message: "'chisquare' counts end points per minimum; a task has no minima", at: 4 },
        { code: "E602", message: "'chisquare' counts end points per minimum; a task has no minima", at: 5 },
      ],
    );
  });
});

describe("text columns", () => {
  it("takes a header name or a column number from 0, and nothing else", () => {
    const ok = diagnose(`${STD}task T {\n  data text("g.tsv", text = 0, label = 1)\n  model bag_of_embeddings()\n}\n${EXPERIMENT.replace("Digits", "T")}`);
    expect(ok.result.plan!.taskExperiments![0]!.tasks[0]!.data.args).toMatchObject({ text: 0, label: 1 });
    expectDiagnostics(`${STD}task T {\n  data text("g.tsv", text = ⟨1⟩-1)\n  model mlp()\n}\nexperiment E { on T run GD trajectories 1 budget 1 epochs }`, [
      { code: "E701", message: "'text' of 'text' must be a column: a header name in quotes (\"text\") or a column number from 0 (headerless files)", at: 1 },
    ]);
  });
});

describe("loops over tasks", () => {
  const twoTasks = `${STD}${TASK}task Other {\n  data synthetic(spirals)\n  model mlp()\n}\n${EXPERIMENT.replace("on Digits", "on Digits, Other")}`;

  it("expands 'for each task' with the shorthand and with the loop variable named", () => {
    const d = expectDiagnostics(`${twoTasks}hypothesis "h" {\n adjust holm\n for each task in Pop {\n  for each optimizer in Pop: observe mannwhitney(SetA.metric, Pop.optimizer on task.SetB.metric)\n }\n}\n`, []);
    const checks = d.result.plan!.hypotheses[0]!.checks;
    const pairs = checks.map((c) => (c.kind === "test" && c.test.test === "mannwhitney" ? [c.test.x.landscape, c.test.x.optimizer, c.test.y.landscape, c.test.y.population] : []));
    expect(pairs).toEqual([
      ["Digits", "GD", "Digits", "SetB"],
      ["Digits", "SAM", "Digits", "SetB"],
      ["Other", "GD", "Other", "SetB"],
      ["Other", "SAM", "Other", "SetB"],
    ]);
    expect(checks[2]!.text).toBe("observe mannwhitney(SetA.metric, Pop.GD on Other.SetB.metric)");
  });

  it("asks for the shorthand's task when an experiment has several, and refuses 'task' loops on landscapes", () => {
    expectDiagnostics(`${twoTasks}experiment L { on Himmelblau run GD restarts 2 budget 10 gradients }\nhypothesis "h" {\n adjust holm\n for each optimizer in Pop: observe mannwhitney(⟨1⟩SetA.metric, ⟨3⟩SetB.metric)\n ⟨2⟩for each task in L: observe median(L.GD on Himmelblau.f)\n}\n`, [
      { code: "E602", message: "experiment 'Pop' trains on several tasks; say which", at: 1 },
      { code: "E602", message: "experiment 'Pop' trains on several tasks; say which", at: 3 },
      { code: "E602", message: "experiment 'L' runs on landscapes: loop with 'for each landscape in L'", at: 2 },
    ]);
  });
});
