// Every task names a known data loader and model with arguments of the right type, a known
// loss and metric, and a positive batch; every setting is given once. Lowers each task to
// the plan's form, so the runtime reads checked values only.
import { dirname, resolve } from "node:path";
import type { Expr, Span, TaskDecl, TaskValue } from "../../../grammar/index.js";
import { diagnostic } from "../../diagnostics/diagnostic.js";
import { didYouMean } from "../../diagnostics/suggest.js";
import { evaluateConstant } from "../../resolve/constants.js";
import type { PlanTask, PlanTaskData, PlanTaskModel, TaskArgumentValue } from "../../plan-tasks.js";
import type { CheckContext } from "../context.js";

/** What an argument accepts; `positional` arguments may be written without their name, in table order. */
type ArgumentKind =
  | { readonly type: "count"; readonly default?: number }
  | { readonly type: "number"; readonly default?: number; readonly valid?: (v: number) => boolean; readonly explain?: string }
  | { readonly type: "string"; readonly default?: string }
  /** A column: a header name (string) or a 0-based column number of a headerless file. */
  | { readonly type: "field"; readonly default?: string }
  | { readonly type: "word"; readonly words: readonly string[]; readonly default?: string }
  | { readonly type: "counts"; readonly default?: readonly number[] };

interface Signature {
  readonly args: Readonly<Record<string, ArgumentKind>>;
  readonly positional: readonly string[];
  readonly example: string;
}

const loaders: Readonly<Record<PlanTaskData["loader"], Signature>> = {
  mnist: { args: { train: { type: "count", default: 8000 }, test: { type: "count", default: 2000 } }, positional: [], example: "mnist(train = 8000, test = 2000)" },
  cifar10: { args: { dir: { type: "string" }, train: { type: "count" }, test: { type: "count" } }, positional: ["dir"], example: 'cifar10("data/cifar-10-batches-bin")' },
  cifar100: { args: { dir: { type: "string" }, train: { type: "count" }, test: { type: "count" } }, positional: ["dir"], example: 'cifar100("data/cifar-100-binary")' },
  text: {
    args: {
      path: { type: "string" },
      test_path: { type: "string" },
      format: { type: "word", words: ["csv", "tsv", "jsonl"] },
      text: { type: "field", default: "text" },
      label: { type: "field", default: "label" },
      max_length: { type: "count", default: 64 },
      vocabulary: { type: "count", default: 10000 },
      test_share: { type: "number", default: 0.2, valid: (v) => v > 0 && v < 1, explain: "it must lie in (0, 1)" },
    },
    positional: ["path"],
    example: 'text("data/tweets.tsv", text = "text", label = "label")',
  },
  synthetic: {
    args: {
      kind: { type: "word", words: ["blobs", "spirals"], default: "blobs" },
      train: { type: "count", default: 1000 },
      test: { type: "count", default: 500 },
      classes: { type: "count", default: 3 },
      dims: { type: "count", default: 2 },
      noise: { type: "number", default: 0.1, valid: (v) => v >= 0, explain: "it must not be negative" },
    },
    positional: ["kind"],
    example: "synthetic(spirals, train = 1000, test = 500, classes = 3)",
  },
};

const models: Readonly<Record<PlanTaskModel["kind"], Signature>> = {
  mlp: { args: { hidden: { type: "counts", default: [128] } }, positional: ["hidden"], example: "mlp(hidden = [256])" },
  cnn: { args: { channels: { type: "counts", default: [16, 32] }, kernel: { type: "count", default: 3 }, dense: { type: "counts", default: [] } }, positional: ["channels"], example: "cnn(channels = [16, 32], kernel = 3)" },
  resnet: { args: { depth: { type: "count", default: 20 } }, positional: ["depth"], example: "resnet(depth = 20)" },
  bag_of_embeddings: { args: { dimension: { type: "count", default: 64 }, hidden: { type: "counts", default: [] } }, positional: ["dimension"], example: "bag_of_embeddings(dimension = 64)" },
  tfjs: { args: { path: { type: "string" } }, positional: ["path"], example: 'tfjs("models/bert/model.json")' },
};

const settingNames = ["data", "model", "loss", "metric", "batch", "evaluate"] as const;
type SettingName = (typeof settingNames)[number];
const losses = ["cross_entropy"] as const;
const metrics = ["accuracy", "macro_f1"] as const;
const DEFAULT_BATCH = 64;
const DEFAULT_EVALUATION = 1024;

/** Checks and lowers every declared task; returns those without errors, by name. */
export function checkTasks(ctx: CheckContext): Map<string, PlanTask> {
  const lowered = new Map<string, PlanTask>();
  for (const decl of ctx.symbols.tasks.values()) {
    const task = checkTask(decl, ctx);
    if (task) lowered.set(task.name, task);
  }
  return lowered;
}

function checkTask(decl: TaskDecl, ctx: CheckContext): PlanTask | undefined {
  const before = ctx.diagnostics.length;
  const settings = new Map<SettingName, TaskDecl["settings"][number]>();
  for (const setting of decl.settings) {
    const name = setting.name.name;
    if (!(settingNames as readonly string[]).includes(name)) {
      ctx.diagnostics.push(diagnostic("UnknownTaskSetting", setting.name.span, `unknown task setting '${name}'`, { suggestion: didYouMean(name, settingNames) ?? `a task has ${settingNames.join(", ")}` }));
      continue;
    }
    const first = settings.get(name as SettingName);
    if (first) {
      ctx.diagnostics.push(diagnostic("DuplicateClause", setting.name.span, `'${name}' is given twice in task '${decl.name.name}'`, { related: [{ message: "first given here", span: first.span }], suggestion: "keep one" }));
      continue;
    }
    settings.set(name as SettingName, setting);
  }
  for (const name of ["data", "model"] as const)
    if (!settings.has(name))
      ctx.diagnostics.push(diagnostic("MissingTaskSetting", decl.name.span, `task '${decl.name.name}' has no '${name}'`, { suggestion: `add e.g. '${name} ${name === "data" ? loaders.mnist.example : models.mlp.example}'` }));

  const dataSetting = settings.get("data");
  const data = dataSetting && lowerCall(dataSetting.value, loaders, "data set", ctx);
  const modelSetting = settings.get("model");
  const model = modelSetting && lowerCall(modelSetting.value, models, "model", ctx);
  const loss = word(settings.get("loss")?.value, losses, "loss", ctx) ?? "cross_entropy";
  const metric = word(settings.get("metric")?.value, metrics, "metric", ctx) ?? "accuracy";
  const batch = count(settings.get("batch")?.value, "the batch size", ctx) ?? DEFAULT_BATCH;
  const evaluation = count(settings.get("evaluate")?.value, "the evaluation subset size", ctx) ?? DEFAULT_EVALUATION;
  if (ctx.diagnostics.slice(before).some((d) => d.severity === "error") || !data || !model) return undefined;
  return {
    name: decl.name.name,
    // Absolute, so a compiled plan runs from any folder.
    baseDir: resolve(dirname(decl.span.file)),
    data: { loader: data.callee as PlanTaskData["loader"], args: data.args },
    model: { kind: model.callee, ...model.args } as unknown as PlanTaskModel,
    loss,
    metric,
    batch,
    evaluation,
  };
}

/** A word setting (`metric macro_f1`): one of `allowed`. */
function word<const W extends string>(value: TaskValue | undefined, allowed: readonly W[], what: string, ctx: CheckContext): W | undefined {
  if (!value) return undefined;
  if (value.kind !== "TaskCall" || value.args) {
    ctx.diagnostics.push(diagnostic("BadTaskValue", value.span, `the ${what} is a name`, { suggestion: `write one of ${allowed.join(", ")}` }));
    return undefined;
  }
  const name = value.callee.name;
  if ((allowed as readonly string[]).includes(name)) return name as W;
  ctx.diagnostics.push(diagnostic("BadTaskValue", value.span, `unknown ${what} '${name}'`, { suggestion: didYouMean(name, allowed) ?? `use ${allowed.join(" or ")}` }));
  return undefined;
}

/** A positive integer setting (`batch 128`). */
function count(value: TaskValue | undefined, what: string, ctx: CheckContext): number | undefined {
  if (!value) return undefined;
  const v = argumentValue(value, { type: "count" }, what, ctx);
  return typeof v === "number" ? v : undefined;
}

/** `name(args)` against a table of signatures: the callee and every argument checked, defaults filled in. */
function lowerCall<K extends string>(value: TaskValue, table: Readonly<Record<K, Signature>>, what: string, ctx: CheckContext): { callee: K; args: Record<string, TaskArgumentValue> } | undefined {
  const names = Object.keys(table) as K[];
  if (value.kind !== "TaskCall") {
    ctx.diagnostics.push(diagnostic("BadTaskValue", value.span, `the ${what} is a call like '${table[names[0]!].example}'`, { suggestion: `known: ${names.join(", ")}` }));
    return undefined;
  }
  const callee = value.callee.name;
  if (!(names as string[]).includes(callee)) {
    ctx.diagnostics.push(diagnostic("BadTaskValue", value.callee.span, `unknown ${what} '${callee}'`, { suggestion: didYouMean(callee, names) ?? `known: ${names.join(", ")}` }));
    return undefined;
  }
  const signature = table[callee as K];
  const args: Record<string, TaskArgumentValue> = {};
  const given = new Map<string, Span>();
  let ok = true;
  (value.args ?? []).forEach((argument, index) => {
    const name = argument.name?.name ?? signature.positional[index];
    if (name === undefined) {
      ok = false;
      ctx.diagnostics.push(diagnostic("ArgumentCount", argument.span, `'${callee}' takes ${signature.positional.length === 0 ? "no positional arguments" : `at most ${signature.positional.length} positional argument${signature.positional.length === 1 ? "" : "s"}`}`, { suggestion: `name it, as in '${signature.example}'` }));
      return;
    }
    const kind = signature.args[name];
    if (!kind) {
      ok = false;
      ctx.diagnostics.push(diagnostic("UnknownParameter", argument.name?.span ?? argument.span, `'${callee}' has no argument '${name}'`, { suggestion: didYouMean(name, Object.keys(signature.args)) ?? `its arguments: ${Object.keys(signature.args).join(", ")}` }));
      return;
    }
    const previous = given.get(name);
    if (previous) {
      ok = false;
      ctx.diagnostics.push(diagnostic("DuplicateArgument", argument.span, `'${name}' is given twice`, { related: [{ message: "first here", span: previous }] }));
      return;
    }
    given.set(name, argument.span);
    const v = argumentValue(argument.value, kind, `'${name}' of '${callee}'`, ctx);
    if (v === undefined) ok = false;
    else args[name] = v;
  });
  for (const [name, kind] of Object.entries(signature.args)) {
    if (name in args) continue;
    if (kind.default !== undefined) args[name] = kind.default;
    else if (signature.positional[0] === name && !given.has(name)) {
      ok = false;
      ctx.diagnostics.push(diagnostic("MissingArgument", value.span, `'${callee}' needs '${name}'`, { suggestion: `write e.g. '${signature.example}'` }));
    }
  }
  return ok ? { callee: callee as K, args } : undefined;
}

function argumentValue(value: TaskValue, kind: ArgumentKind, what: string, ctx: CheckContext): TaskArgumentValue | undefined {
  const fail = (expected: string, suggestion?: string) => {
    ctx.diagnostics.push(diagnostic("BadTaskValue", value.span, `${what} must be ${expected}`, suggestion ? { suggestion } : {}));
    return undefined;
  };
  switch (kind.type) {
    case "string":
      return value.kind === "String" ? value.value : fail("a string", 'put it in double quotes, e.g. "data/file.tsv"');
    case "field": {
      if (value.kind === "String") return value.value;
      const column = value.kind === "List" || value.kind === "TaskCall" ? undefined : evaluateConstant(value, new Map(), ctx.diagnostics, what);
      return column !== undefined && Number.isInteger(column) && column >= 0 ? column : fail('a column: a header name in quotes ("text") or a column number from 0 (headerless files)');
    }
    case "word": {
      if (value.kind !== "TaskCall" || value.args) return fail(`one of ${kind.words.join(", ")}`);
      const name = value.callee.name;
      if (kind.words.includes(name)) return name;
      return fail(`one of ${kind.words.join(", ")}`, didYouMean(name, kind.words));
    }
    case "counts": {
      if (value.kind !== "List") return fail("a list of positive integers, e.g. [256, 128]");
      const items = value.items.map((item) => countOf(item, ctx));
      if (items.some((item) => item === undefined)) return fail("a list of positive integers, e.g. [256, 128]");
      return items as number[];
    }
    case "count":
    case "number": {
      if (value.kind === "String" || value.kind === "List" || value.kind === "TaskCall") return fail(kind.type === "count" ? "a positive integer" : "a number");
      const v = evaluateConstant(value, new Map(), ctx.diagnostics, what);
      if (v === undefined) return undefined;
      if (kind.type === "count") return Number.isInteger(v) && v >= 1 ? v : fail("a positive integer", `it is ${v}`);
      if (!Number.isFinite(v) || (kind.valid && !kind.valid(v))) return fail(kind.explain ? `valid: ${kind.explain}` : "a finite number", `it is ${v}`);
      return v;
    }
  }
}

function countOf(expr: Expr, ctx: CheckContext): number | undefined {
  const v = evaluateConstant(expr, new Map(), ctx.diagnostics, "a layer width");
  return v !== undefined && Number.isInteger(v) && v >= 1 ? v : undefined;
}
