// The cache of assembled WebAssembly kernels: the same bytes as wabt's, reused across runs,
// a corrupt entry assembled again, and off when OPTSPEC_CACHE_DIR is empty; and the binaries
// `optc compile` writes beside a plan, used only for the exact text they were assembled from.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { assembleWat, cachedWasm, checkSourceDigest, wasmCacheDir, wasmCacheKey, withSourceDigest } from "../../runtime/backends/wasm.js";

const WAT = `(module (func (export "twice") (param f64) (result f64) local.get 0 local.get 0 f64.add))`;
const saved = process.env["OPTSPEC_CACHE_DIR"];

afterEach(() => {
  if (saved === undefined) delete process.env["OPTSPEC_CACHE_DIR"];
  else process.env["OPTSPEC_CACHE_DIR"] = saved;
});

async function twice(binary: Uint8Array): Promise<number> {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(binary as Uint8Array<ArrayBuffer>));
  return (instance.exports["twice"] as (x: number) => number)(21);
}

describe("assembleWat's cache", () => {
  it("stores one file per kernel text and returns the same bytes from it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "optspec-cache-"));
    try {
      process.env["OPTSPEC_CACHE_DIR"] = dir;
      const first = await assembleWat(WAT);
      expect(readdirSync(join(dir, "wasm"))).toHaveLength(1);
      const second = await assembleWat(WAT);
      expect([...second]).toEqual([...first]);
      expect(await twice(second)).toBe(42);
      await assembleWat(WAT.replace("f64.add", "f64.mul"));
      expect(readdirSync(join(dir, "wasm"))).toHaveLength(2);
      // A caller that kept the text's key finds the binary without the text.
      expect([...cachedWasm(wasmCacheKey(WAT))!]).toEqual([...first]);
      expect(cachedWasm(wasmCacheKey(`${WAT} `))).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("assembles again over a corrupt entry", async () => {
    const dir = mkdtempSync(join(tmpdir(), "optspec-cache-"));
    try {
      process.env["OPTSPEC_CACHE_DIR"] = dir;
      const good = await assembleWat(WAT);
      const [file] = readdirSync(join(dir, "wasm"));
      writeFileSync(join(dir, "wasm", file!), "not wasm");
      expect([...(await assembleWat(WAT))]).toEqual([...good]);
      // A module that still decodes but means something else (f64.add became f64.mul): the checksum catches it.
      const entry = readFileSync(join(dir, "wasm", file!));
      const body = entry.indexOf(Buffer.from([0x20, 0x00, 0x20, 0x00, 0xa0]));
      expect(body).toBeGreaterThan(0);
      entry[body + 4] = 0xa2;
      expect(WebAssembly.validate(entry.subarray(0, entry.length - 32))).toBe(true);
      writeFileSync(join(dir, "wasm", file!), entry);
      const again = await assembleWat(WAT);
      expect([...again]).toEqual([...good]);
      expect(await twice(again)).toBe(42);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("is off with an empty OPTSPEC_CACHE_DIR, and defaults under XDG_CACHE_HOME or ~/.cache", async () => {
    expect(wasmCacheDir({ OPTSPEC_CACHE_DIR: "" })).toBeUndefined();
    expect(wasmCacheDir({ OPTSPEC_CACHE_DIR: "/c" })).toBe(join("/c", "wasm"));
    expect(wasmCacheDir({ XDG_CACHE_HOME: "/x" })).toBe(join("/x", "optspec", "wasm"));
    expect(wasmCacheDir({})).toMatch(/\.cache[/\\]optspec[/\\]wasm$/);
    process.env["OPTSPEC_CACHE_DIR"] = "";
    expect(await twice(await assembleWat(WAT))).toBe(42);
  });
});

describe("the binaries beside a compiled plan", () => {
  it("are valid modules that give back the assembled bytes for their own text only", async () => {
    const binary = await assembleWat(WAT);
    const written = withSourceDigest(binary, WAT);
    // The appended custom section keeps the file a module that runs as the binary does.
    expect(WebAssembly.validate(written as Uint8Array<ArrayBuffer>)).toBe(true);
    expect(await twice(written)).toBe(42);
    expect([...(checkSourceDigest(written, WAT) as Uint8Array)]).toEqual([...binary]);
    // Another text, even one that differs only by a comment, is assembled again.
    expect(checkSourceDigest(written, `;; edited\n${WAT}`)).toMatch(/assembled from another text/);
    // A flipped byte in the code (f64.add -> f64.mul) still validates: the digest catches it.
    const flipped = Buffer.from(written);
    const body = flipped.indexOf(Buffer.from([0x20, 0x00, 0x20, 0x00, 0xa0]));
    flipped[body + 4] = 0xa2;
    expect(WebAssembly.validate(flipped)).toBe(true);
    expect(checkSourceDigest(flipped, WAT)).toMatch(/damaged/);
    // A bare binary, a truncated file, an empty one: not written by optc compile.
    for (const bytes of [binary, written.subarray(0, written.length - 1), new Uint8Array(0)]) expect(checkSourceDigest(bytes, WAT)).toMatch(/not a kernel that 'optc compile' wrote/);
  });
});

describe("pruneCache", () => {
  it("keeps the most recently written entries and removes the rest", async () => {
    const { pruneCache } = await import("../../runtime/cache.js");
    const { utimesSync } = await import("node:fs");
    const dir = mkdtempSync(join(tmpdir(), "optspec-prune-"));
    try {
      for (let i = 0; i < 5; i++) {
        writeFileSync(join(dir, `e${i}.json`), "{}");
        utimesSync(join(dir, `e${i}.json`), 1000 + i, 1000 + i);
      }
      pruneCache(dir, 3);
      expect(readdirSync(dir).sort()).toEqual(["e2.json", "e3.json", "e4.json"]);
      pruneCache(dir, 3);
      expect(readdirSync(dir)).toHaveLength(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
