// The plan cache of `optc run SPEC`: a second run of unchanged files takes the compiled plan
// from the cache and gives the same results and the same warnings; a changed import, a
// corrupt entry or an empty OPTSPEC_CACHE_DIR make it compile again.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative as relativePath } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ensureBuilt, OPTC, REPO, removeTemporaryFolders, temporaryFolder, writeSpec } from "./helpers.js";

ensureBuilt();
afterAll(removeTemporaryFolders);

function run(spec: string, cache: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [OPTC, "run", spec, "--no-report", "--json", "-", "--quiet"], {
    cwd: REPO,
    encoding: "utf8",
    env: { ...process.env, OPTSPEC_CACHE_DIR: cache, NO_COLOR: "1", GITHUB_STEP_SUMMARY: "" },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The results without the wall time, which differs between runs. */
function numbers(stdout: string): unknown {
  const { wallSeconds: _wall, ...rest } = JSON.parse(stdout) as { wallSeconds: number };
  return rest;
}

const SPEC = `import "std/landscapes"
import "lr.optspec"
landscape Unused { vars x in [-1, 1] f = x^2 }
experiment E { on Himmelblau run Step restarts 8 budget 50 gradients seed 3 }
`;

/** A folder with SPEC and its import, and the cache folder its runs use. */
function freshSpec(): { dir: string; cache: string; spec: string } {
  const dir = temporaryFolder();
  writeSpec(dir, "lr.optspec", "optimizer Step(lr = 1e-3) { descend lr }\n");
  return { dir, cache: join(dir, "cache"), spec: writeSpec(dir, "spec.optspec", SPEC) };
}

describe("optc run's plan cache", () => {
  it("reuses an unchanged compilation, with its warnings, and compiles again after an import changes", () => {
    const { dir, cache, spec } = freshSpec();
    const first = run(spec, cache);
    expect(first.status).toBe(0);
    expect(first.stderr).toContain("W500");
    expect(readdirSync(join(cache, "plans"))).toHaveLength(1);
    const second = run(spec, cache);
    expect(second.status).toBe(0);
    // The warning is printed from the cache, exactly as the compiler printed it.
    expect(second.stderr).toBe(first.stderr);
    expect(numbers(second.stdout)).toEqual(numbers(first.stdout));
    // The second run did read the entry: a plan edited inside it is the one that runs. (An
    // entry is a line of JSON, then the kernels' texts.)
    const [entry] = readdirSync(join(cache, "plans"));
    const bytes = readFileSync(join(cache, "plans", entry!));
    const newline = bytes.indexOf(0x0a);
    const stored = JSON.parse(bytes.toString("utf8", 0, newline)) as { plan: { experiments: { restarts: number }[] } };
    stored.plan.experiments[0]!.restarts = 3;
    writeFileSync(join(cache, "plans", entry!), Buffer.concat([Buffer.from(JSON.stringify(stored)), bytes.subarray(newline)]));
    expect((JSON.parse(run(spec, cache).stdout) as { experiments: { restarts: number }[] }).experiments[0]!.restarts).toBe(3);
    // With the assembled kernels gone from the cache, the entry's own texts are assembled again.
    rmSync(join(cache, "wasm"), { recursive: true });
    expect((JSON.parse(run(spec, cache).stdout) as { experiments: { restarts: number }[] }).experiments[0]!.restarts).toBe(3);
    expect(readdirSync(join(cache, "wasm")).length).toBeGreaterThan(0);
    // The same spec named by another path is another entry: results name the spec as given.
    const relative = relativePath(REPO, spec);
    const byRelative = run(relative, cache);
    expect((JSON.parse(byRelative.stdout) as { spec: string }).spec).toBe(relative);
    expect(readdirSync(join(cache, "plans"))).toHaveLength(2);

    writeSpec(dir, "lr.optspec", "optimizer Step(lr = 1e-2) { descend lr }\n");
    const changed = run(spec, cache);
    expect(changed.status).toBe(0);
    expect(numbers(changed.stdout)).not.toEqual(numbers(first.stdout));
    const loss = (stdout: string) => (JSON.parse(stdout) as { experiments: { cells: { trajectories: { loss: number[] } }[] }[] }).experiments[0]!.cells[0]!.trajectories.loss;
    // A tenfold learning rate moves further in the same 50 steps: lower losses.
    expect(loss(changed.stdout).reduce((a, b) => a + b, 0)).toBeLessThan(loss(first.stdout).reduce((a, b) => a + b, 0));
  });

  it("compiles again over a corrupt entry, and keeps nothing with an empty OPTSPEC_CACHE_DIR", () => {
    const { cache, spec } = freshSpec();
    const first = run(spec, cache);
    const [entry] = readdirSync(join(cache, "plans"));
    const whole = readFileSync(join(cache, "plans", entry!));
    writeFileSync(join(cache, "plans", entry!), "{ not json");
    const again = run(spec, cache);
    expect(again.status).toBe(0);
    expect(numbers(again.stdout)).toEqual(numbers(first.stdout));
    // A truncated entry (a full disk) too: its kernels' texts end early.
    writeFileSync(join(cache, "plans", entry!), whole.subarray(0, whole.length - 10));
    const truncated = run(spec, cache);
    expect(truncated.stderr).toBe(first.stderr);
    expect(numbers(truncated.stdout)).toEqual(numbers(first.stdout));
    expect(readFileSync(join(cache, "plans", entry!)).equals(whole)).toBe(true);

    const off = run(spec, "");
    expect(off.status).toBe(0);
    expect(numbers(off.stdout)).toEqual(numbers(first.stdout));
    expect(existsSync(join(REPO, "plans"))).toBe(false);
  });
});
