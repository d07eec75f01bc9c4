// Shared helpers for the end-to-end tests of the `optc` command line: they run the bundled
// CLI (dist/optc.js) as a child process from the repository root and write into temporary
// folders only.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, rmdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";

export const REPO = fileURLToPath(new URL("../..", import.meta.url));
export const OPTC = join(REPO, "dist", "optc.js");
export const PAPER_SPEC = "specs/paper/synthetic.optspec";

/**
 * Builds dist/optc.js once when it is missing (`npm test` builds it in `pretest`; a bare
 * `npx vitest run test/e2e` may not). Test files run in parallel forks, so a lock folder keeps
 * two of them from building at the same time.
 */
export function ensureBuilt(): void {
  if (existsSync(OPTC)) return;
  const lock = join(REPO, "dist", ".e2e-build.lock");
  mkdirSync(join(REPO, "dist"), { recursive: true });
  let owner = false;
  try {
    mkdirSync(lock);
    owner = true;
  } catch {
    // Another test file is building; wait for it (a lock older than two minutes is stale).
    const deadline = Date.now() + 120_000;
    while (existsSync(lock) && !existsSync(OPTC) && Date.now() < deadline) {
      if (Date.now() - statSync(lock, { throwIfNoEntry: false })!.mtimeMs > 120_000) break;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
  }
  try {
    if (!existsSync(OPTC)) execFileSync("npm", ["run", "build", "--silent"], { cwd: REPO, stdio: "pipe", shell: process.platform === "win32" });
  } finally {
    if (owner) rmdirSync(lock);
  }
  if (!existsSync(OPTC)) throw new Error(`building ${OPTC} failed`);
}

export interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The command line, for failure messages. */
  readonly command: string;
}

/** Runs `node dist/optc.js ...args` (cwd: the repository root unless given; `env` adds to the environment). */
export function optc(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Run {
  const result = spawnSync(process.execPath, [OPTC, ...args], {
    cwd: options.cwd ?? REPO,
    encoding: "utf8",
    timeout: 60_000,
    maxBuffer: 256 * 1024 * 1024,
    // Under GitHub Actions every test run would otherwise append its report to the job's summary.
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0", GITHUB_STEP_SUMMARY: "", ...options.env },
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, command: `optc ${args.join(" ")}` };
}

/** Asserts the exit code, printing the command's output when it differs. */
export function expectExit(run: Run, code: number): void {
  expect(run.status, `${run.command}\n--- stdout\n${run.stdout.slice(0, 2000)}\n--- stderr\n${run.stderr.slice(0, 2000)}`).toBe(code);
}

/** No line of stdout or stderr looks like a JavaScript stack frame. */
export function expectNoStackTrace(run: Run): void {
  for (const [name, text] of [
    ["stdout", run.stdout],
    ["stderr", run.stderr],
  ] as const) {
    const frame = text.split("\n").find((line) => line.includes("    at "));
    expect(frame, `${run.command}: a stack frame on ${name}`).toBeUndefined();
  }
}

/** Runs optc, expects exit code `code` and no stack trace. */
export function optcExpect(args: readonly string[], code: number, options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Run {
  const run = optc(args, options);
  expectExit(run, code);
  expectNoStackTrace(run);
  return run;
}

const temporaryFolders: string[] = [];

/** A fresh temporary folder, removed by `removeTemporaryFolders`. */
export function temporaryFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), "optc-e2e-"));
  temporaryFolders.push(dir);
  return dir;
}

export function removeTemporaryFolders(): void {
  for (const dir of temporaryFolders.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Writes `text` to `dir/name` and returns the path. */
export function writeSpec(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Files whose names end in `.tmp` anywhere under `dir` (what an interrupted atomic write leaves). */
export function leftoverTemporaryFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".tmp"));
}

/** A small experiment on the standard library. */
export function experimentSpec(options: {
  name?: string;
  on: string;
  run: string;
  restarts: number;
  gradients: number;
  seed: number;
  radius?: number;
  extra?: string;
}): string {
  return `import "std/landscapes"
import "std/optimizers"
${options.extra ?? ""}
experiment ${options.name ?? "Small"} {
  on ${options.on}
  run ${options.run}
  restarts ${options.restarts}
  budget ${options.gradients} gradients
  init uniform
  seed ${options.seed}
  assign nearest minimum within ${options.radius ?? 0.1}
}
`;
}

// The JSON written by `optc run --json` (see runtime/results.ts); non-finite numbers are strings.
export interface JsonCell {
  landscape: string;
  optimizer: string;
  restarts: number;
  gradientEvaluations: number;
  diverged: number;
  counts: Record<string, number>;
  trajectories: {
    minimum: number[];
    loss: (number | string)[];
    gradientEvaluations: number[];
    iterations: number[];
    end: (number | string)[][];
  };
}

export interface JsonExperiment {
  name: string;
  seed: number;
  restarts: number;
  budget: { gradients: number | null; iterations: number | null };
  radius: number;
  landscapes: { name: string; declaration: string; params: Record<string, number>; coordinates: string[]; minima: { name: string; kind: string; at: number[]; value?: number }[] }[];
  optimizers: { name: string; declaration: string; params: Record<string, number> }[];
  cells: JsonCell[];
}

export interface JsonResults {
  spec: string;
  specHash: string;
  optspecVersion: string;
  seed: number | null;
  backend: string;
  workers: number;
  wallSeconds: number;
  experiments: JsonExperiment[];
}

/** Parses stdout as the whole JSON document (it must hold nothing else). */
export function parseResults(text: string): JsonResults {
  return JSON.parse(text) as JsonResults;
}
