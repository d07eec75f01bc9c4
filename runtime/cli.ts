// optc: the one thin module that wires the compiler and the runtime together.
//   optc compile SPEC [--out DIR] [--precision f32] [--backend gpujs]
//                                       check, write plan.json and the kernels
//   optc run SPEC|PLAN [options]        run, print the stationary-distribution table and
//                                       evaluate the hypotheses
//   optc check SPEC                     report diagnostics only
//   optc fmt SPEC [--write]             print the spec in canonical form
//   optc report RESULTS.json [--report DIR]  rebuild a run's report from its saved results
// Exit codes: 0 success (every hypothesis holds), 1 errors in the spec or a failed
// expectation, 2 bad command line, 3 the run itself failed.
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
// The compiler (and its parser) loads only for commands that read a spec: `report`, `run
// PLAN.json` and `--version` start without it.
import type { Backend, CompileResult, Diagnostic, formatDiagnostic as FormatDiagnostic, Precision } from "../compiler/index.js";
import { SpecNotFoundError } from "../compiler/source.js";
import { OPTSPEC_VERSION } from "../compiler/version.js";
import { availableParallelism } from "node:os";
import { defaultWorkers, runPlan, RunOptionsError, withOverrides, type AssembledKernel, type KernelSource } from "./execute.js";
import { WorkerPool } from "./workers.js";
import { assembleWat, binaryFileName, checkSourceDigest, withSourceDigest } from "./backends/wasm.js";
import { bundleIdentity, readCachedCompile, writeCachedCompile } from "./plan-cache.js";
import { PLAN_FORMAT, PLAN_VERSION, type Plan, type PlanHypothesis } from "./plan.js";
// The hypotheses (with the statistics, a third of optc's code), the tables and the report
// writers load when a command needs them: `run --quiet --no-report` prints no table.
import { checkReportFolder, defaultReportDir, ReportError } from "./report/folder.js";
import { createProgress } from "./progress.js";
import { resultsToJson, type Results } from "./results.js";

export const EXIT = { ok: 0, specErrors: 1, hypothesisFailed: 1, usage: 2, runFailed: 3 } as const;

const USAGE = `optc ${OPTSPEC_VERSION}: compile and run .optspec optimizer experiments

usage:
  optc compile SPEC [--out DIR] [--precision f64|f32] [--backend gpujs]
                                       check SPEC, write DIR/plan.json and DIR/kernels/*.js
                                       (DIR defaults to out/<spec name>; --precision f32 adds
                                       the single-precision WebAssembly kernels, --backend gpujs
                                       the gpu.js kernels)
  optc run SPEC|PLAN [options]         run a spec or a compiled plan.json
      --json FILE                      write results as JSON (- for stdout)
      --junit FILE                     write the hypotheses' outcomes as JUnit XML
      --no-hypotheses                  do not evaluate the hypotheses
      --restarts N                     override every experiment's restarts
      --seed S                         override every experiment's seed
      --workers K                      worker threads (0 = this thread; default: by amount of work)
      --backend auto|js|wasm|gpujs     kernels to run (default auto: WebAssembly where it loads,
                                       else JavaScript; these give the same bits; gpujs runs the
                                       gpu.js kernels, in f32, on a GPU where gpu.js finds one;
                                       auto uses them only on a GPU for >= 1e9 trajectory-steps,
                                       and not with --precision f64). Tasks train on tfjs: auto
                                       (tfjs-node-gpu, tfjs-node, wasm, cpu: the first that loads),
                                       or force one with cpu (or js), wasm, tfjs-node, tfjs-node-gpu
      --trajectories N                 override every task experiment's trajectories
      --precision f64|f32              arithmetic (default f64; f32 runs the single-precision
                                       WebAssembly kernels, with auto or wasm backends;
                                       gpujs is f32 only)
      --report DIR                     write the report (index.html, report.md, figures, results.json,
                                       junit.xml) to DIR (default reports/<spec name>)
      --no-report                      write no report
      --quiet                          print no table and no progress
  optc check SPEC                      report problems in SPEC and exit
  optc fmt SPEC [--write]              print SPEC in canonical form, comments kept (or rewrite it in place)
  optc report RESULTS.json [--report DIR]
                                       rebuild the report from results written by --json or a report's
                                       results.json, without running (DIR defaults to reports/<spec name>)
  optc --version | --help

exit codes: 0 ok (every hypothesis holds), 1 errors in the spec or a hypothesis failed,
            2 bad command line, 3 the run failed`;

class UsageError extends Error {}

interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly color: boolean;
  /** stderr when it is a terminal, where progress bars are drawn; else progress is plain lines. */
  readonly terminal?: NodeJS.WriteStream;
}

const processIo: Io = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  color: process.stderr.isTTY === true,
  ...(process.stderr.isTTY ? { terminal: process.stderr } : {}),
};

/** Runs optc with `argv` (without node and script) and returns the exit code. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  try {
    const [command, ...rest] = argv;
    switch (command) {
      case "compile":
        return await commandCompile(rest, io);
      case "run":
        return await commandRun(rest, io);
      case "check":
        return await commandCheck(rest, io);
      case "fmt":
        return await commandFmt(rest, io);
      case "report":
        return await commandReport(rest, io);
      case "--version":
      case "-v":
        io.stdout(`${OPTSPEC_VERSION}\n`);
        return EXIT.ok;
      case "--help":
      case "-h":
      case "help":
        io.stdout(`${USAGE}\n`);
        return EXIT.ok;
      case undefined:
        throw new UsageError("missing command");
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`optc: ${error.message}\n\n${USAGE}\n`);
      return EXIT.usage;
    }
    if (error instanceof SpecNotFoundError) {
      io.stderr(`optc: ${error.message}: check the path (it is relative to the current directory)\n`);
      return EXIT.usage;
    }
    if (error instanceof ReportError) {
      io.stderr(`optc: ${error.message}\n`);
      return EXIT.runFailed;
    }
    if (error instanceof RunOptionsError) {
      io.stderr(`optc: ${error.message}\n`);
      return EXIT.usage;
    }
    io.stderr(`optc: the run failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.runFailed;
  }
}

function options<T extends Record<string, { type: "string" | "boolean" }>>(args: readonly string[], spec: T) {
  // `--workers -1` is a value, not a flag: join it so the flag's own check explains the range.
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]!.startsWith("--") ? args[i]!.slice(2) : undefined;
    const next = args[i + 1];
    if (flag !== undefined && spec[flag]?.type === "string" && next !== undefined && /^-\d/.test(next)) {
      joined.push(`--${flag}=${next}`);
      i++;
    } else joined.push(args[i]!);
  }
  try {
    return parseArgs({ args: joined, options: spec, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message.replace(/\s*To specify an option argument.*$/s, "") : String(error));
  }
}

function onePositional(positionals: readonly string[], what: string): string {
  if (positionals.length === 0) throw new UsageError(`missing ${what}`);
  if (positionals.length > 1) throw new UsageError(`expected one ${what}, got ${positionals.length}: ${positionals.join(" ")}`);
  return positionals[0]!;
}

/** What `optc run --backend` accepts: kernel backends, and tfjs backends for tasks. */
const RUN_BACKENDS: readonly string[] = ["auto", "js", "wasm", "gpujs", "cpu", "tfjs-node", "tfjs-node-gpu"];

/** The --precision flag's value (f64 when absent). */
function precisionFlag(value: string | undefined): Precision {
  const precision = value ?? "f64";
  if (precision !== "f64" && precision !== "f32") throw new UsageError(`--precision must be 'f64' or 'f32', got '${precision}'`);
  return precision;
}

function integerFlag(value: string | undefined, flag: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min)
    throw new UsageError(`--${flag} must be an integer of at least ${min}, got '${value}'`);
  return n;
}

/** Compiles and prints diagnostics; returns the result (plan undefined on errors). */
/**
 * As compileAndReport, but from the plan cache when this optc bundle compiled the same files
 * with the same options before (runtime/plan-cache.ts); the diagnostics are printed either way.
 */
async function compileCached(specPath: string, io: Io, backends: readonly Backend[], precisions: readonly Precision[]): Promise<{ plan?: Plan; kernelSource: KernelSource; assembled?: AssembledKernel }> {
  const build = bundleIdentity();
  const key = build === undefined ? undefined : { build, backends, precisions };
  const cached = key && readCachedCompile(specPath, key);
  if (cached) {
    if (cached.diagnostics.length > 0) printDiagnostics(cached.diagnostics, cached.files, io, await import("../compiler/index.js"));
    return { plan: cached.plan, kernelSource: (file) => cached.kernel(file)!, assembled: cached.assembled };
  }
  const result = await compileAndReport(specPath, io, backends, precisions);
  if (key && result.plan) writeCachedCompile(specPath, key, { ...result, plan: result.plan });
  return { ...(result.plan ? { plan: result.plan } : {}), kernelSource: (file) => result.kernels.get(file)! };
}

async function compileAndReport(specPath: string, io: Io, backends: readonly Backend[] = ["js"], precisions: readonly Precision[] = ["f64"]): Promise<CompileResult> {
  const compiler = await import("../compiler/index.js");
  const result = compiler.compileSpec(specPath, { backends, precisions });
  printDiagnostics(result.diagnostics, result.files, io, compiler);
  return result;
}

/** Each diagnostic with its code frame, then the counts (nothing when there are none). */
function printDiagnostics(diagnostics: readonly Diagnostic[], files: readonly { path: string; text: string }[], io: Io, compiler: { formatDiagnostic: typeof FormatDiagnostic }): void {
  const texts = new Map(files.map((f) => [f.path, f.text]));
  for (const d of diagnostics) io.stderr(`${compiler.formatDiagnostic(d, (file) => texts.get(file), io.color)}\n\n`);
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.length - errors;
  if (diagnostics.length) io.stderr(`${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"}\n`);
}

async function commandCheck(args: readonly string[], io: Io): Promise<number> {
  const { positionals } = options(args, {});
  const result = await compileAndReport(onePositional(positionals, "spec file"), io);
  return result.diagnostics.some((d) => d.severity === "error") ? EXIT.specErrors : EXIT.ok;
}

async function commandCompile(args: readonly string[], io: Io): Promise<number> {
  const { positionals, values } = options(args, { out: { type: "string" }, precision: { type: "string" }, backend: { type: "string" } });
  const specPath = onePositional(positionals, "spec file");
  const precision = precisionFlag(values.precision);
  if (values.backend !== undefined && values.backend !== "gpujs")
    throw new UsageError(`compile's --backend takes only 'gpujs' (which adds the gpu.js kernels; JavaScript and WebAssembly kernels are always written), got '${values.backend}'`);
  // A compiled plan carries both backends' kernels, so `run PLAN --backend` can pick either;
  // single-precision kernels only when asked (they add a quarter to the compile time), and
  // gpu.js kernels with --backend gpujs (they cost ~1 ms for the paper's 24 cells, but are
  // another file per cell that most plans never run).
  const result = await compileAndReport(specPath, io, values.backend === "gpujs" ? ["js", "wasm", "gpujs"] : ["js", "wasm"], precision === "f32" ? ["f64", "f32"] : ["f64"]);
  if (!result.plan) return EXIT.specErrors;
  const out = resolve(values.out ?? join("out", basename(specPath).replace(/\.optspec$/, "")));
  if (existsSync(out) && !statSync(out).isDirectory()) throw new UsageError(`--out '${values.out}' is a file; give a folder (it is created if missing)`);
  mkdirSync(join(out, "kernels"), { recursive: true });
  for (const [file, source] of result.kernels) {
    writeAtomically(join(out, "kernels", file), source);
    // Each WAT kernel's binary beside it (assembled from the cache when a run met it before), so `run PLAN` needs no assembler.
    if (file.endsWith(".wat")) writeAtomically(join(out, "kernels", binaryFileName(file)), withSourceDigest(await assembleWat(source, file), source));
  }
  writeAtomically(join(out, "plan.json"), `${JSON.stringify(result.plan, null, 2)}\n`);
  const wat = [...result.kernels.keys()].filter((f) => f.endsWith(".wat")).length;
  const single = [...result.kernels.keys()].filter((f) => f.endsWith(".f32.wat")).length;
  const gpujs = [...result.kernels.keys()].filter((f) => f.endsWith(".gpujs.js")).length;
  io.stderr(
    `wrote ${join(out, "plan.json")} and ${result.kernels.size - wat - gpujs} JavaScript and ${wat - single} WebAssembly kernels (text and binary${single ? `; and ${single} in single precision` : ""})${values.backend === "gpujs" ? ` and ${gpujs} gpu.js kernels` : ""} in ${join(out, "kernels")}\n`,
  );
  return EXIT.ok;
}

async function commandRun(args: readonly string[], io: Io): Promise<number> {
  const { positionals, values } = options(args, {
    json: { type: "string" },
    junit: { type: "string" },
    "no-hypotheses": { type: "boolean" },
    restarts: { type: "string" },
    seed: { type: "string" },
    workers: { type: "string" },
    quiet: { type: "boolean" },
    report: { type: "string" },
    "no-report": { type: "boolean" },
    backend: { type: "string" },
    precision: { type: "string" },
    trajectories: { type: "string" },
  });
  const requested = values.backend ?? "auto";
  if (!RUN_BACKENDS.includes(requested))
    throw new UsageError(`--backend must be one of ${RUN_BACKENDS.map((b) => `'${b}'`).join(", ")}, got '${requested}' (auto, js, wasm and gpujs choose the landscape kernels; tasks train on tfjs's auto, cpu (also for js), wasm, tfjs-node or tfjs-node-gpu backend)`);
  // The tfjs-only names leave the landscape kernels to `auto` (`cpu`, like `js`, means plain JavaScript).
  const backend = requested === "cpu" ? "js" : requested === "tfjs-node" || requested === "tfjs-node-gpu" ? "auto" : (requested as "js" | "wasm" | "gpujs" | "auto");
  const precision = precisionFlag(values.precision);
  if (precision === "f32" && backend === "js") throw new UsageError("--precision f32 needs the WebAssembly kernels: the JavaScript backend is double precision only; use --backend wasm or auto");
  if (values.precision === "f64" && backend === "gpujs")
    throw new UsageError("--precision f64 cannot run on gpu.js: its kernels compute in single precision only; drop --precision (the cells gpu.js cannot run still run in double precision), or keep double precision with --backend wasm or auto");
  const input = onePositional(positionals, "spec file or plan.json");
  const restarts = integerFlag(values.restarts, "restarts", 1);
  const seed = integerFlag(values.seed, "seed", 0);
  const workers = integerFlag(values.workers, "workers", 0);
  const trajectories = integerFlag(values.trajectories, "trajectories", 1);
  if (values.json !== undefined && values.json !== "-") checkWritableFile(values.json, "--json");
  if (values.junit !== undefined) checkWritableFile(values.junit, "--junit");
  if (values.report !== undefined && values["no-report"]) throw new UsageError("--report and --no-report contradict each other; give one");
  let reportDir: string | undefined;
  let results: Results;
  let plan: Plan;
  let hypotheses: readonly PlanHypothesis[] = [];
  let loadingHypotheses: Promise<HypothesesModules> | undefined;
  // Workers start now and come up while the spec compiles; they go unused for small plans.
  const pool = workers === 0 ? undefined : new WorkerPool(workers ?? availableParallelism());
  let closed: Promise<void> | undefined;
  const progress = createProgress({ quiet: values.quiet, write: io.stderr, ...(io.terminal ? { terminal: io.terminal } : {}) });
  try {
    const warn = (message: string) => io.stderr(`optc: warning: ${message}\n`);
    let kernelSource: KernelSource;
    let assembled: AssembledKernel | undefined;
    if (input.endsWith(".json")) {
      plan = readPlan(input);
      const kernelDir = join(dirname(input), "kernels");
      kernelSource = (file) => {
        try {
          return readFileSync(join(kernelDir, file), "utf8");
        } catch {
          throw new Error(`kernel '${file}' of the plan is missing from ${kernelDir}; run 'optc compile' again`);
        }
      };
      // The binaries `optc compile` wrote beside the texts, when they were assembled from them;
      // a plan without them (or with a stale one: the warning says why) assembles the text.
      assembled = (file) => {
        const path = join(kernelDir, binaryFileName(file));
        let bytes: Uint8Array;
        try {
          bytes = readFileSync(path);
        } catch {
          return undefined;
        }
        const binary = checkSourceDigest(bytes, kernelSource(file));
        if (typeof binary !== "string") return binary;
        warn(`${path} is not used: ${binary}; its text ${file} is assembled instead ('optc compile' writes both again)`);
        return undefined;
      };
    } else {
      // gpu.js kernels cost ~1 ms to emit for the paper's 24 cells: auto gets them too, for a large run on a GPU.
      const result = await compileCached(input, io, backend === "js" ? ["js"] : backend === "wasm" ? ["js", "wasm"] : ["js", "wasm", "gpujs"], [precision]);
      if (!result.plan) return EXIT.specErrors;
      plan = result.plan;
      kernelSource = result.kernelSource;
      assembled = result.assembled;
    }
    if (!values["no-report"]) reportDir = checkedReportDir(values.report ?? defaultReportDir(plan.spec));
    hypotheses = values["no-hypotheses"] ? [] : (plan.hypotheses ?? []);
    // The statistics load (~10 ms) while the workers run.
    if (hypotheses.length) loadingHypotheses = prefetch(loadHypotheses());
    const overrides = { ...(restarts !== undefined ? { restarts } : {}), ...(seed !== undefined ? { seed } : {}) };
    const useWorkers = pool && (workers !== undefined || defaultWorkers(withOverrides(plan, overrides)) > 0);
    progress.start(plan.experiments.map((e) => ({ name: e.name, cells: e.cells.length })));
    // Loss curves feed the report's figures and saved results only; without either, skip them.
    const curves = reportDir !== undefined || values.json !== undefined;
    results = await runPlan(plan, kernelSource, { ...overrides, ...(useWorkers ? { pool, closePool: true } : { workers: 0 }), onProgress: progress.update, curves, backend, ...(assembled ? { assembled } : {}), ...(values.precision !== undefined ? { precision } : {}), onWarning: warn });
    if (plan.taskExperiments?.length) results = await runTasks(plan, results, { backend: requested, seed, trajectories, workers, quiet: values.quiet ?? false, io });
  } finally {
    progress.stop();
    // Awaited at the end: the threads shut down while the hypotheses are evaluated and printed.
    closed = pool?.close();
  }
  const modules = await loadingHypotheses;
  const evaluated = modules ? { ...results, hypotheses: modules.evaluateHypotheses(hypotheses, results) } : results;
  if (values.json === "-") io.stdout(`${resultsToJson(evaluated)}\n`);
  else if (values.json !== undefined) writeAtomically(resolve(values.json), `${resultsToJson(evaluated)}\n`);
  if (values.junit !== undefined) writeAtomically(resolve(values.junit), (await import("./report/junit.js")).formatJUnit(evaluated.hypotheses ?? [], plan.spec, results.wallSeconds));
  const report = values.json === "-" ? io.stderr : io.stdout;
  if (!values.quiet) {
    const { formatStationaryTables, formatTaskTables } = await import("./report/table.js");
    const tables = [formatStationaryTables(results), formatTaskTables(results)].filter((t) => t !== "").join("\n\n");
    const taskWorkers = Math.max(0, ...(results.taskExperiments ?? []).map((e) => e.workers ?? 0));
    const threads = (n: number) => (n === 0 ? "this thread" : `${n} worker threads`);
    const where = results.taskExperiments?.length
      ? results.experiments.length
        ? `landscapes on ${threads(results.workers)}, tasks on ${threads(taskWorkers)}`
        : threads(taskWorkers)
      : threads(results.workers);
    report(`${tables}\n\nran in ${results.wallSeconds.toFixed(2)} s on ${where}\n`);
  }
  if (modules && evaluated.hypotheses) report(`\n${modules.formatHypotheses(evaluated.hypotheses, io.color)}\n`);
  if (reportDir !== undefined) {
    await (await import("./report/write-report.js")).writeReport(reportDir, evaluated);
    if (!values.quiet) io.stderr(`report: ${join(reportDir, "index.html")}\n`);
  }
  await appendStepSummary(evaluated, io);
  await closed;
  return modules && evaluated.hypotheses && modules.tallyChecks(evaluated.hypotheses).failed > 0 ? EXIT.hypothesisFailed : EXIT.ok;
}

/** What evaluating and printing hypotheses takes, loaded together. */
type HypothesesModules = Pick<typeof import("./hypotheses.js"), "evaluateHypotheses" | "tallyChecks"> & Pick<typeof import("./report/hypotheses.js"), "formatHypotheses">;

async function loadHypotheses(): Promise<HypothesesModules> {
  const [{ evaluateHypotheses, tallyChecks }, { formatHypotheses }] = await Promise.all([import("./hypotheses.js"), import("./report/hypotheses.js")]);
  return { evaluateHypotheses, tallyChecks, formatHypotheses };
}

/** A module loading ahead of its use: a failure surfaces where it is awaited, not as an unhandled rejection before. */
function prefetch<T>(loading: Promise<T>): Promise<T> {
  loading.catch(() => {});
  return loading;
}

/**
 * Trains the plan's experiments on tasks (after the landscapes) and adds them to the results.
 * tfjs loads only here, so specs without tasks start as fast as before.
 */
async function runTasks(plan: Plan, results: Results, options: { backend: string; seed: number | undefined; trajectories: number | undefined; workers: number | undefined; quiet: boolean; io: Io }): Promise<Results> {
  const started = performance.now();
  const { runTaskExperiments } = await import("./tasks/run.js");
  const taskExperiments = await runTaskExperiments(plan.taskExperiments!, {
    backend: taskBackend(options.backend),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.trajectories !== undefined ? { trajectories: options.trajectories } : {}),
    // --workers K trains the units on K task worker threads; without it the tasks' own default rule decides.
    ...(options.workers !== undefined ? { workers: options.workers } : {}),
    onProgress: ({ experiment, done, total }) => {
      if (!options.quiet) options.io.stderr(`optc: ${experiment}: ${done}/${total} trajectories trained (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
    },
  });
  // The run's facts cover the tasks too: tfjs trains in single precision on its own backend.
  const tfjs = [...new Set(taskExperiments.map((e) => `tfjs:${e.backend}`))].join("+");
  const landscapes = results.experiments.length > 0;
  const seeds = new Set([...results.experiments.map((e) => e.seed), ...taskExperiments.map((e) => e.seed)]);
  return {
    ...results,
    seed: seeds.size === 1 ? [...seeds][0]! : null,
    backend: landscapes ? `${results.backend}+${tfjs}` : tfjs,
    precision: landscapes ? ((results.precision ?? "f64").includes("f32") ? results.precision : `f32+${results.precision ?? "f64"}`) : "f32",
    taskExperiments,
    wallSeconds: results.wallSeconds + (performance.now() - started) / 1000,
  };
}

/** The tfjs backend a `--backend` value asks for: `js` is tfjs's pure-JavaScript `cpu` backend. */
function taskBackend(backend: string): "auto" | "tfjs-node-gpu" | "tfjs-node" | "wasm" | "cpu" {
  if (backend === "js" || backend === "cpu") return "cpu";
  if (backend === "wasm" || backend === "tfjs-node" || backend === "tfjs-node-gpu") return backend;
  return "auto";
}

function readPlan(path: string): Plan {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new UsageError(`cannot read plan '${path}'`);
  }
  let plan: Plan;
  try {
    plan = JSON.parse(text) as Plan;
  } catch (error) {
    throw new UsageError(`'${path}' is not valid JSON (${error instanceof Error ? error.message : error}); make a plan with 'optc compile SPEC'`);
  }
  if (plan?.format !== PLAN_FORMAT) throw new UsageError(`'${path}' is not an optspec plan; make one with 'optc compile SPEC'`);
  if (plan.version !== PLAN_VERSION)
    throw new UsageError(`'${path}' is a plan of format version ${plan.version}, but this optc reads version ${PLAN_VERSION}; compile the spec again with this optc`);
  const problem = planProblem(plan);
  if (problem) throw new UsageError(`'${path}' is not a valid optspec plan (${problem}); compile the spec again with 'optc compile'`);
  return plan;
}

async function commandReport(args: readonly string[], io: Io): Promise<number> {
  const { positionals, values } = options(args, { report: { type: "string" } });
  const path = onePositional(positionals, "results file");
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new UsageError(`cannot read results '${path}'; give the file written by 'optc run SPEC --json FILE' or a report's results.json`);
  }
  const { resultsFromJson, writeReport } = await import("./report/write-report.js");
  let results: Results;
  try {
    results = resultsFromJson(text);
  } catch (error) {
    throw new UsageError(`'${path}' is ${error instanceof Error ? error.message : error}; give the file written by 'optc run SPEC --json FILE' or a report's results.json`);
  }
  const dir = checkedReportDir(values.report ?? defaultReportDir(results.spec));
  await writeReport(dir, results);
  io.stderr(`report: ${join(dir, "index.html")}\n`);
  return EXIT.ok;
}

/** `dir`, once it is known that a report may be written there (before a long run, not after). */
function checkedReportDir(dir: string): string {
  try {
    checkReportFolder(dir);
  } catch (error) {
    if (error instanceof ReportError) throw new UsageError(error.message);
    throw error;
  }
  return dir;
}

/** GitHub Actions shows the Markdown appended to $GITHUB_STEP_SUMMARY on the run's page. */
async function appendStepSummary(results: Results, io: Io): Promise<void> {
  const summary = process.env.GITHUB_STEP_SUMMARY;
  if (!summary) return;
  const { formatMarkdownReport } = await import("./report/markdown.js");
  try {
    appendFileSync(summary, `${formatMarkdownReport(results)}\n`);
  } catch (error) {
    io.stderr(`optc: warning: cannot append to GITHUB_STEP_SUMMARY '${summary}': ${error instanceof Error ? error.message : error}\n`);
  }
}

async function commandFmt(args: readonly string[], io: Io): Promise<number> {
  const { positionals, values } = options(args, { write: { type: "boolean" } });
  const path = onePositional(positionals, "spec file");
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new SpecNotFoundError(path);
  }
  const [{ format }, { formatDiagnostic }] = await Promise.all([import("../grammar/index.js"), import("../compiler/index.js")]);
  const { formatted, problems } = format(text, path);
  if (formatted === undefined) {
    for (const p of problems) io.stderr(`${formatDiagnostic({ code: p.code, severity: "error", message: p.message, span: p.span, related: [] }, () => text, io.color)}\n\n`);
    io.stderr("optc fmt: not formatted, the file has syntax errors\n");
    return EXIT.specErrors;
  }
  if (values.write) {
    if (formatted !== text) writeAtomically(path, formatted);
  } else io.stdout(formatted);
  return EXIT.ok;
}

/** Writes through a temporary file and a rename, so a reader never sees half a file. */
function writeAtomically(path: string, text: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, text);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new Error(`cannot write '${path}': ${error instanceof Error ? error.message : error}`);
  }
}

/** Fails early (before a run) when `path` cannot become a file. */
function checkWritableFile(path: string, flag: string): void {
  if (existsSync(path) && statSync(path).isDirectory()) throw new UsageError(`${flag} '${path}' is a folder; give a file name`);
}

/** What is structurally wrong with a parsed plan, if anything (a hand-edited or truncated file). */
function planProblem(plan: Plan): string | undefined {
  if (!Array.isArray(plan.experiments)) return "no experiments list";
  for (const [i, e] of plan.experiments.entries()) {
    const where = `experiment ${i + 1}`;
    if (typeof e?.name !== "string") return `${where} has no name`;
    if (!Number.isInteger(e.restarts) || e.restarts < 1) return `${where} has no valid restarts`;
    if (!Number.isInteger(e.seed) || e.seed < 0) return `${where} has no valid seed`;
    if (typeof e.radius !== "number" || !e.budget || typeof e.budget !== "object") return `${where} has no budget or radius`;
    if (!Array.isArray(e.landscapes) || !Array.isArray(e.cells) || !Array.isArray(e.optimizers)) return `${where} lacks landscapes, optimizers or cells`;
    for (const cell of e.cells) {
      if (typeof cell?.kernel !== "string" || typeof cell.optimizer !== "string") return `${where} has a cell without kernel or optimizer`;
      const landscape = e.landscapes.find((l: { name?: string }) => l?.name === cell.landscape) as (typeof e.landscapes)[number] | undefined;
      if (!landscape) return `${where} has a cell on an unknown landscape '${cell.landscape}'`;
      if (!Number.isInteger(landscape.dims) || !Array.isArray(landscape.minima) || !landscape.init) return `landscape '${landscape.name}' is incomplete`;
    }
  }
  return undefined;
}
