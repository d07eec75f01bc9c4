// The counter-based generator: a pure function of (key, counter), uniform on (0, 1), with
// streams that differ by seed, name and restart.
import { describe, expect, it } from "vitest";
import { bits, hashString, initStream, noiseStream, restartKey, restartKeys, uniform } from "../../runtime/rng.js";
import { chiSquareGoodnessOfFit } from "../../runtime/stats/index.js";

describe("uniform draws", () => {
  const [k0, k1] = restartKey(42, noiseStream("E", "GD", "Himmelblau"), 0);
  const n = 200_000;
  const us = Array.from({ length: n }, (_, c) => uniform(k0, k1, c));

  it("lie strictly inside (0, 1)", () => {
    expect(us.every((u) => u > 0 && u < 1)).toBe(true);
    expect(uniform(0, 0, 0)).toBeGreaterThan(0);
  });

  it("have the moments of U(0, 1)", () => {
    const mean = us.reduce((a, b) => a + b, 0) / n;
    const variance = us.reduce((a, u) => a + (u - mean) ** 2, 0) / n;
    expect(Math.abs(mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.002);
  });

  it("fill 100 bins evenly and consecutive pairs fill a 20 x 20 grid evenly", () => {
    const bins = new Array(100).fill(0);
    for (const u of us) bins[Math.floor(u * 100)]++;
    expect(chiSquareGoodnessOfFit(bins).pValue).toBeGreaterThan(1e-4);
    const grid = new Array(400).fill(0);
    for (let i = 0; i + 1 < n; i += 2) grid[Math.floor(us[i]! * 20) * 20 + Math.floor(us[i + 1]! * 20)]++;
    expect(chiSquareGoodnessOfFit(grid).pValue).toBeGreaterThan(1e-4);
  });

  it("have no lag-1 correlation", () => {
    let sum = 0;
    for (let i = 0; i + 1 < n; i++) sum += (us[i]! - 0.5) * (us[i + 1]! - 0.5);
    expect(Math.abs(sum / (n - 1) / (1 / 12))).toBeLessThan(5 / Math.sqrt(n));
  });

  it("are int32 bits mapped to (0, 1)", () => {
    expect(uniform(k0, k1, 5)).toBe((bits(k0, k1, 5) + 2147483648.5) / 4294967296);
    expect(Number.isInteger(bits(k0, k1, 5))).toBe(true);
    expect(bits(k0, k1, 5) | 0).toBe(bits(k0, k1, 5));
  });
});

describe("keys", () => {
  it("are a pure function of seed, stream and restart", () => {
    expect(restartKey(1, "a", 3)).toEqual(restartKey(1, "a", 3));
    const keys = restartKeys(1, "a", 2, 3);
    expect([keys[2], keys[3]]).toEqual(restartKey(1, "a", 3));
  });

  it("differ between seeds (also above 2^32), streams and restarts", () => {
    const all = new Set<string>();
    for (const seed of [0, 1, 2 ** 32, 2 ** 32 + 1, 2 ** 40])
      for (const stream of [noiseStream("E", "GD", "H"), noiseStream("E", "SAM", "H"), initStream("E", "H")])
        for (let r = 0; r < 50; r++) all.add(restartKey(seed, stream, r).join(","));
    expect(all.size).toBe(5 * 3 * 50);
  });

  it("give first draws that are uncorrelated across restarts", () => {
    const first = Array.from({ length: 50_000 }, (_, r) => {
      const [k0, k1] = restartKey(9, "s", r);
      return uniform(k0, k1, 0);
    });
    const bins = new Array(50).fill(0);
    for (const u of first) bins[Math.floor(u * 50)]++;
    expect(chiSquareGoodnessOfFit(bins).pValue).toBeGreaterThan(1e-4);
  });

  it("hash stream names with FNV-1a", () => {
    expect(hashString("")).toBe(0x811c9dc5);
    expect(hashString("a")).toBe(0xe40c292c);
  });
});
