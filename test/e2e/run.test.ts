// End to end: `optc run` on the paper spec and on small specs written to temporary files.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  PAPER_SPEC,
  ensureBuilt,
  experimentSpec,
  leftoverTemporaryFiles,
  optcExpect,
  parseResults,
  removeTemporaryFolders,
  temporaryFolder,
  writeSpec,
  type JsonResults,
} from "./helpers.js";

ensureBuilt();
afterAll(removeTemporaryFolders);

const LANDSCAPES = ["Himmelblau", "ThreeHumpCamel", "SixHumpCamel"];
const OPTIMIZERS = ["GD", "NiG_GD", "NiM_GD", "SAM", "NiG_BH", "NiM_BH", "NiG_MBH", "NiM_MBH"];
const MINIMA: Record<string, string[]> = {
  Himmelblau: ["GM1", "GM2", "GM3", "GM4"],
  ThreeHumpCamel: ["GM", "LM1", "LM2"],
  SixHumpCamel: ["GM1", "GM2", "LM1", "LM2", "LM3", "LM4"],
};

describe("optc run on the paper spec", () => {
  let stdout = "";
  let stderr = "";
  let results: JsonResults;

  beforeAll(() => {
    const run = optcExpect(["run", PAPER_SPEC, "--no-report", "--no-hypotheses", "--restarts", "16", "--json", "-"], 0);
    stdout = run.stdout;
    stderr = run.stderr;
    results = parseResults(stdout);
  });

  it("prints only JSON on stdout with --json -, and the table on stderr", () => {
    expect(stdout.trim().startsWith("{")).toBe(true);
    expect(() => JSON.parse(stdout)).not.toThrow();
    for (const name of [...LANDSCAPES, ...OPTIMIZERS, "Else"]) expect(stderr).toContain(name);
    expect(stderr).toMatch(/ran in \d+\.\d+ s/);
  });

  it("has the documented top-level shape", () => {
    expect(results.spec).toBe(PAPER_SPEC);
    expect(results.seed).toBe(42);
    // The default backend, auto, runs the WebAssembly kernels where they load.
    expect(results.backend).toBe("wasm");
    expect(typeof results.specHash).toBe("string");
    expect(results.experiments).toHaveLength(1);
    const experiment = results.experiments[0]!;
    expect(experiment.name).toBe("Table1");
    expect(experiment.restarts).toBe(16);
    expect(experiment.budget).toEqual({ gradients: 5000, iterations: null });
    expect(experiment.landscapes.map((l) => l.name)).toEqual(LANDSCAPES);
    expect(experiment.optimizers.map((o) => o.name)).toEqual(OPTIMIZERS);
    for (const landscape of experiment.landscapes) {
      expect(landscape.minima.map((m) => m.name)).toEqual(MINIMA[landscape.name]);
      for (const minimum of landscape.minima) {
        expect(["global", "local"]).toContain(minimum.kind);
        expect(minimum.at).toHaveLength(2);
        for (const x of minimum.at) expect(Number.isFinite(x)).toBe(true);
      }
    }
  });

  it("gives the Himmelblau minima GM1..GM4 at their coordinates", () => {
    const himmelblau = results.experiments[0]!.landscapes.find((l) => l.name === "Himmelblau")!;
    expect(himmelblau.coordinates).toEqual(["x", "y"]);
    expect(himmelblau.minima).toMatchObject([
      { name: "GM1", kind: "global", at: [3, 2] },
      { name: "GM2", kind: "global", at: [-2.805118087, 3.131312518] },
      { name: "GM3", kind: "global", at: [-3.779310253, -3.283185991] },
      { name: "GM4", kind: "global", at: [3.58442834, -1.848126527] },
    ]);
    // f at each minimum is recorded too: 0 for all four, up to the coordinates' 9 decimals.
    for (const m of himmelblau.minima) expect(Math.abs(m.value!)).toBeLessThan(1e-12);
  });

  it("has 24 cells, one per landscape and optimizer, each spending its budget exactly", () => {
    const experiment = results.experiments[0]!;
    expect(experiment.cells).toHaveLength(24);
    const pairs = experiment.cells.map((c) => `${c.landscape}/${c.optimizer}`);
    expect(new Set(pairs).size).toBe(24);
    for (const l of LANDSCAPES) for (const o of OPTIMIZERS) expect(pairs).toContain(`${l}/${o}`);
    for (const cell of experiment.cells) {
      const where = `${cell.landscape}/${cell.optimizer}`;
      expect(cell.restarts, where).toBe(16);
      expect(Object.keys(cell.counts), where).toEqual([...MINIMA[cell.landscape]!, "Else"]);
      const total = Object.values(cell.counts).reduce((a, b) => a + b, 0);
      expect(total, where).toBe(cell.restarts);
      expect(cell.gradientEvaluations, where).toBe(cell.restarts * 5000);
      expect(cell.diverged, where).toBe(0);
      expect(cell.counts.Else, where).toBeGreaterThanOrEqual(cell.diverged);
      expect(cell.trajectories.gradientEvaluations, where).toEqual(new Array(16).fill(5000));
      expect(cell.trajectories.minimum, where).toHaveLength(16);
      expect(cell.trajectories.loss, where).toHaveLength(16);
      expect(cell.trajectories.end, where).toHaveLength(2);
      for (const coordinate of cell.trajectories.end) expect(coordinate, where).toHaveLength(16);
      // The per-restart minimum indices agree with the counts.
      const names = MINIMA[cell.landscape]!;
      const recount: Record<string, number> = Object.fromEntries([...names, "Else"].map((n) => [n, 0]));
      for (const m of cell.trajectories.minimum) recount[m < 0 ? "Else" : names[m]!]! += 1;
      expect(recount, where).toEqual(cell.counts);
    }
  });

  it("prints the table on stdout without --json", () => {
    const run = optcExpect(["run", PAPER_SPEC, "--no-report", "--no-hypotheses", "--restarts", "4"], 0);
    for (const name of [...LANDSCAPES, ...OPTIMIZERS, "Else", "diverged"]) expect(run.stdout).toContain(name);
    for (const names of Object.values(MINIMA)) for (const name of names) expect(run.stdout).toContain(name);
    expect(run.stdout).toContain("4 restarts");
    expect(run.stdout).toMatch(/ran in \d+\.\d+ s/);
    expect(() => JSON.parse(run.stdout)).toThrow();
  });
});

describe("optc run options", () => {
  const trajectories = (r: JsonResults) => r.experiments.map((e) => e.cells.map((c) => c.trajectories));
  const runJson = (...args: string[]) => parseResults(optcExpect(["run", ...args, "--no-report", "--json", "-", "--quiet"], 0).stdout);

  it("--seed changes the results and the same seed reproduces them bit for bit", () => {
    const a = runJson(PAPER_SPEC, "--no-hypotheses", "--restarts", "8", "--seed", "1");
    const b = runJson(PAPER_SPEC, "--no-hypotheses", "--restarts", "8", "--seed", "2");
    const again = runJson(PAPER_SPEC, "--no-hypotheses", "--restarts", "8", "--seed", "1");
    expect(a.seed).toBe(1);
    expect(b.seed).toBe(2);
    expect(a.experiments[0]!.seed).toBe(1);
    expect(trajectories(again)).toEqual(trajectories(a));
    expect(again.experiments).toEqual(a.experiments);
    expect(trajectories(b)).not.toEqual(trajectories(a));
  });

  it("--seed equal to the spec's seed gives the same results as no --seed", () => {
    const spec = writeSpec(temporaryFolder(), "s.optspec", experimentSpec({ on: "SixHumpCamel", run: "GD, NiM_MBH", restarts: 6, gradients: 200, seed: 13 }));
    expect(runJson(spec, "--seed", "13").experiments).toEqual(runJson(spec).experiments);
  });

  it("--restarts N sets every cell's restarts", () => {
    const results = runJson(PAPER_SPEC, "--no-hypotheses", "--restarts", "3");
    const experiment = results.experiments[0]!;
    expect(experiment.restarts).toBe(3);
    for (const cell of experiment.cells) {
      expect(cell.restarts).toBe(3);
      expect(cell.trajectories.minimum).toHaveLength(3);
      expect(cell.gradientEvaluations).toBe(3 * 5000);
    }
  });

  it("--quiet prints nothing but diagnostics", () => {
    const spec = writeSpec(temporaryFolder(), "q.optspec", experimentSpec({ on: "Himmelblau", run: "GD", restarts: 2, gradients: 20, seed: 1 }));
    const run = optcExpect(["run", spec, "--no-report", "--quiet"], 0);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe("");
  });

  it("--json FILE writes the results and keeps the table on stdout", () => {
    const dir = temporaryFolder();
    const spec = writeSpec(dir, "j.optspec", experimentSpec({ on: "Himmelblau", run: "GD", restarts: 3, gradients: 30, seed: 1 }));
    const out = join(dir, "nested", "results.json");
    const run = optcExpect(["run", spec, "--no-report", "--json", out], 0);
    expect(run.stdout).toContain("Himmelblau");
    expect(existsSync(out)).toBe(true);
    const results = parseResults(readFileSync(out, "utf8"));
    expect(results.experiments[0]!.cells[0]!.restarts).toBe(3);
    expect(results.experiments).toEqual(runJson(spec).experiments);
    expect(leftoverTemporaryFiles(dir)).toEqual([]);
  });
});

describe("determinism across worker counts", () => {
  const experimentsWith = (args: string[], workers: string) => {
    const results = parseResults(optcExpect(["run", ...args, "--no-report", "--workers", workers, "--json", "-", "--quiet"], 0).stdout);
    expect(results.workers).toBe(Number(workers));
    return results.experiments;
  };

  it("--workers 0, 1 and 3 give identical experiments on the paper spec", () => {
    const args = [PAPER_SPEC, "--no-hypotheses", "--restarts", "20"];
    const inThread = experimentsWith(args, "0");
    expect(experimentsWith(args, "1")).toEqual(inThread);
    expect(experimentsWith(args, "3")).toEqual(inThread);
  });

  it("--workers 0, 1 and 3 give identical experiments when cells are split into slices", () => {
    // 2 cells of 200 restarts on 3 workers: each cell is cut into slices of 64 restarts.
    const spec = writeSpec(temporaryFolder(), "w.optspec", experimentSpec({ on: "SixHumpCamel", run: "NiG_MBH, NiM_BH", restarts: 200, gradients: 150, seed: 11 }));
    const inThread = experimentsWith([spec], "0");
    expect(inThread[0]!.cells.every((c) => c.restarts === 200)).toBe(true);
    expect(experimentsWith([spec], "1")).toEqual(inThread);
    expect(experimentsWith([spec], "3")).toEqual(inThread);
  });
});

describe("special landscapes and optimizers", () => {
  it("reports diverging trajectories as diverged and in Else, and exits 0", () => {
    const spec = writeSpec(temporaryFolder(), "diverge.optspec", experimentSpec({ on: "Himmelblau", run: "GD(lr = 10)", restarts: 5, gradients: 100, seed: 3 }));
    const run = optcExpect(["run", spec, "--no-report", "--json", "-"], 0);
    const cell = parseResults(run.stdout).experiments[0]!.cells[0]!;
    expect(cell.optimizer).toBe("GD");
    expect(cell.diverged).toBe(5);
    expect(cell.counts).toEqual({ GM1: 0, GM2: 0, GM3: 0, GM4: 0, Else: 5 });
    expect(cell.gradientEvaluations).toBe(500);
    expect(cell.trajectories.minimum).toEqual([-1, -1, -1, -1, -1]);
    // Non-finite numbers are written as strings, so the JSON stays valid.
    for (const loss of cell.trajectories.loss) expect(Number.isFinite(Number(loss))).toBe(false);
    expect(run.stderr).toMatch(/GD\s.*100\.0\s+5\s+100/);
  });

  it("runs an n-dimensional landscape (Rastrigin with n = 5)", () => {
    const spec = writeSpec(temporaryFolder(), "ras.optspec", experimentSpec({ on: "Rastrigin(n = 5)", run: "GD, NiM_MBH", restarts: 8, gradients: 200, seed: 7, radius: 0.5 }));
    const run = optcExpect(["run", spec, "--no-report", "--json", "-"], 0);
    const experiment = parseResults(run.stdout).experiments[0]!;
    const landscape = experiment.landscapes[0]!;
    expect(landscape.name).toBe("Rastrigin");
    expect(landscape.params).toEqual({ n: 5 });
    expect(landscape.coordinates).toHaveLength(5);
    expect(landscape.minima).toEqual([{ name: "GM", kind: "global", at: [0, 0, 0, 0, 0], value: 0 }]);
    expect(experiment.cells).toHaveLength(2);
    for (const cell of experiment.cells) {
      expect(cell.trajectories.end).toHaveLength(5);
      expect(cell.counts.GM! + cell.counts.Else!).toBe(8);
      expect(cell.gradientEvaluations).toBe(8 * 200);
      expect(cell.diverged).toBe(0);
    }
    expect(run.stderr).toContain("Rastrigin");
  });

  it("runs every kind of statement and the other n-dimensional landscapes", () => {
    const extra = `
optimizer Mom(lr = 1e-2) {
  repeat 3 { descend lr with momentum(beta = 0.9) } until gradnorm < 1e-3 or (t + 1) * 2 > 10
  perturb model gaussian(0.1) when not loss < -1e9
  descend lr
}
optimizer Met(lr = 1e-3, temp = 0.5) {
  start { descend lr; descend lr }
  hop {
    perturb model sphere(0.2)
    LocalSearch(lr, 5, 1e-2)
    accept metropolis(temp)
  }
}`;
    const spec = writeSpec(
      temporaryFolder(),
      "all.optspec",
      experimentSpec({ on: "Rosenbrock(n = 3) as Rosen3, Ackley(n = 4)", run: "Mom, Met, SAM", restarts: 4, gradients: 60, seed: 5, extra }),
    );
    const experiment = parseResults(optcExpect(["run", spec, "--no-report", "--json", "-", "--quiet"], 0).stdout).experiments[0]!;
    expect(experiment.landscapes.map((l) => l.name)).toEqual(["Rosen3", "Ackley"]);
    expect(experiment.cells).toHaveLength(6);
    for (const cell of experiment.cells) {
      expect(Object.values(cell.counts).reduce((a, b) => a + b, 0)).toBe(4);
      expect(cell.gradientEvaluations).toBe(4 * 60);
    }
  });

  it("runs several experiments with their own seeds; --seed overrides all of them", () => {
    const one = experimentSpec({ name: "A", on: "Himmelblau", run: "GD", restarts: 3, gradients: 10, seed: 1 });
    const two = experimentSpec({ name: "B", on: "Himmelblau", run: "GD", restarts: 4, gradients: 10, seed: 2 }).replace(/^import .*\n/gm, "");
    const spec = writeSpec(temporaryFolder(), "two.optspec", one + two);
    const results = parseResults(optcExpect(["run", spec, "--no-report", "--json", "-", "--quiet"], 0).stdout);
    expect(results.seed).toBeNull();
    expect(results.experiments.map((e) => [e.name, e.seed, e.restarts])).toEqual([
      ["A", 1, 3],
      ["B", 2, 4],
    ]);
    const overridden = parseResults(optcExpect(["run", spec, "--no-report", "--seed", "7", "--json", "-", "--quiet"], 0).stdout);
    expect(overridden.seed).toBe(7);
    expect(overridden.experiments.map((e) => e.seed)).toEqual([7, 7]);
  });
});
