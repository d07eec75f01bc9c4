// Where optspec keeps what it can rebuild: assembled WebAssembly kernels and compiled plans,
// each keyed by a hash of everything it was made from, so a stale entry is never used.
import { readdirSync, rmSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/**
 * The cache folder for `kind` (`wasm`, `plans`): under `OPTSPEC_CACHE_DIR` when it is set (an
 * empty value turns caching off: undefined), else under `$XDG_CACHE_HOME/optspec` or
 * `~/.cache/optspec`.
 */
export function cacheDir(kind: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const configured = env["OPTSPEC_CACHE_DIR"];
  if (configured !== undefined) return configured === "" ? undefined : join(configured, kind);
  return join(env["XDG_CACHE_HOME"] || join(homedir(), ".cache"), "optspec", kind);
}

/**
 * Keeps the `keep` most recently written entries of a cache folder and removes the rest, so a
 * cache that sees many edits of a spec stays bounded. Failures are ignored (another process
 * may be pruning too).
 */
export function pruneCache(dir: string, keep: number): void {
  try {
    const entries = readdirSync(dir)
      .filter((name) => !name.endsWith(".tmp"))
      .map((name) => ({ name, time: statSync(join(dir, name)).mtimeMs }));
    if (entries.length <= keep) return;
    entries.sort((a, b) => b.time - a.time);
    for (const { name } of entries.slice(keep)) rmSync(join(dir, name), { force: true });
  } catch {
    // Nothing lost: pruning is tidying.
  }
}
