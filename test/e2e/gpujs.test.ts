// End to end: `optc run --backend gpujs` (webasm here: no GPU), and `optc compile --backend gpujs`.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ensureBuilt, experimentSpec, optcExpect, parseResults, removeTemporaryFolders, temporaryFolder, writeSpec } from "./helpers.js";

ensureBuilt();
afterAll(removeTemporaryFolders);

const TINY = experimentSpec({ on: "Himmelblau", run: "GD, NiG_GD", restarts: 12, gradients: 200, seed: 4 });

describe("optc run --backend gpujs", () => {
  it("runs the gpu.js kernels, records gpujs:<mode> and f32, and finds the minima JavaScript finds", () => {
    const dir = temporaryFolder();
    const spec = writeSpec(dir, "tiny.optspec", TINY);
    const run = optcExpect(["run", spec, "--backend", "gpujs", "--no-report", "--json", "-"], 0);
    expect(run.stderr).not.toContain("warning");
    const results = parseResults(run.stdout) as ReturnType<typeof parseResults> & { precision: string };
    expect(results.backend).toBe("gpujs:webasm");
    expect(results.precision).toBe("f32");
    const reference = parseResults(optcExpect(["run", spec, "--backend", "js", "--no-report", "--json", "-"], 0).stdout);
    const cells = results.experiments[0]!.cells;
    expect(cells.map((c) => c.optimizer)).toEqual(["GD", "NiG_GD"]);
    cells.forEach((cell, i) => {
      expect(cell.trajectories.minimum).toEqual(reference.experiments[0]!.cells[i]!.trajectories.minimum);
      expect((cell as { curve?: unknown }).curve).toBeUndefined();
    });
  });

  it("lists the accepted values when --backend is wrong", () => {
    const run = optcExpect(["run", "any.optspec", "--backend", "cuda"], 2);
    expect(run.stderr).toContain("--backend must be one of 'auto', 'js', 'wasm', 'gpujs', 'cpu', 'tfjs-node', 'tfjs-node-gpu', got 'cuda'");
  });

  it("rejects --precision f64, which gpu.js cannot compute, as a usage error", () => {
    const run = optcExpect(["run", "any.optspec", "--backend", "gpujs", "--precision", "f64"], 2);
    expect(run.stderr).toContain("--precision f64 cannot run on gpu.js: its kernels compute in single precision only; drop --precision");
  });

  it("runs a plan compiled with --backend gpujs, and falls back with a warning on one compiled without", () => {
    const dir = temporaryFolder();
    const spec = writeSpec(dir, "tiny.optspec", TINY);
    const compiled = optcExpect(["compile", spec, "--out", join(dir, "with"), "--backend", "gpujs"], 0);
    expect(compiled.stderr).toContain("2 JavaScript and 2 WebAssembly kernels (text and binary) and 2 gpu.js kernels");
    expect(readdirSync(join(dir, "with", "kernels")).filter((f) => f.endsWith(".gpujs.js")).sort()).toEqual(["Small.GD.Himmelblau.gpujs.js", "Small.NiG_GD.Himmelblau.gpujs.js"]);
    const withKernels = parseResults(optcExpect(["run", join(dir, "with", "plan.json"), "--backend", "gpujs", "--no-report", "--json", "-"], 0).stdout);
    expect(withKernels.backend).toBe("gpujs:webasm");
    optcExpect(["compile", spec, "--out", join(dir, "without")], 0);
    const without = optcExpect(["run", join(dir, "without", "plan.json"), "--backend", "gpujs", "--no-report", "--json", "-"], 0);
    expect(without.stderr).toContain("optc: warning: the plan has no gpu.js kernels");
    expect(parseResults(without.stdout).backend).toBe("wasm");
    expect(optcExpect(["compile", spec, "--backend", "wasm"], 2).stderr).toContain("compile's --backend takes only 'gpujs'");
  });
});
