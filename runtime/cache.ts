// Where optspec keeps what it can rebuild: assembled WebAssembly kernels and compiled plans,
// each keyed by a hash of everything it was made from, so a stale entry is never used.
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
