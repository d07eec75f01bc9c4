// Standard normals in bulk for the trainer's noise: Box–Muller in WebAssembly SIMD (four lanes,
// four blocks interleaved so their long polynomial chains overlap), with a JavaScript
// emulation that gives the same bits, used where the module cannot run and for the tail
// of a draw. The numbers are a pure function of the stream key, so a draw is the same on
// every thread and with either implementation.
//
// The definition, per block b of 8 normals (counters of the stream (k0, k1) from 0):
//   for lane l in 0..3: h1 = bits(k0, k1, 8b + l), h2 = bits(k0, k1, 8b + 4 + l)
//   u = ((h1 >>> 8) + 0.5) 2^-24                       in (0, 1), 24 bits
//   r2 = -2 ln u (Cephes' logf), r = sqrt(r2)
//   x = ((h2 >>> 8) + 0.5) 2^-24 (pi/2) - pi/4          in (-pi/4, pi/4); q = (h2 >>> 6) & 3
//   theta = q pi/2 + x: cos and sin from Cephes' sinf/cosf polynomials on x, rotated by q
//   out[8b + l] = r cos(theta), out[8b + 4 + l] = r sin(theta)
// all in float32 arithmetic (each operation rounded to float32, no fused multiply-add), so
// the emulation reproduces it with Math.fround after every operation. The sum of squares
// that scales ball and sphere draws is (s0 + s1) + (s2 + s3) + t, where s_l sums lane l's r2
// over the full blocks in block order (in float64) and t the squares of a partial last
// block's values.
//
// 200,704 normals (an MLP's 784 × 256 tensor) take about 0.43 ms here, against 1.1 ms for a
// ziggurat in JavaScript, 2.7 ms for Marsaglia's polar method and 7.6 ms for the emulation,
// where a training step of that MLP on the wasm backend takes 5 ms.
//
// The module is written by a small encoder below (no assembler at run time, so it loads
// synchronously); its text form is kept too, and a test checks that wabt assembles the text
// to the very same bytes.

import { bits, LOWBIAS32_FINAL_SHIFT, LOWBIAS32_ROUNDS } from "../rng.js";

/** Blocks of 8 normals a loop pass of the module makes: four interleaved chains. */
const BLOCKS_PER_PASS = 4;

const F = Math.fround;
const TWO_TO_MINUS_24 = 5.9604644775390625e-8;
const LOG = {
  sqrtHalf: 0.707106781186547524,
  poly: [7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1],
  c1: -2.1219444e-4,
  c2: 0.693359375,
};
const ANGLE_SCALE = 9.362762229614042e-8; // (pi / 2) 2^-24
const QUARTER_PI = 0.7853981633974483;
const SIN_POLY = [-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1];
const COS_POLY = [2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2];

// ---------------------------------------------------------------------------------------------
// A small WebAssembly encoder: expressions in, flat instruction text and bytes out.

type ValueType = "i32" | "f32" | "f64" | "v128";
const VALUE_TYPE: Record<ValueType, number> = { i32: 0x7f, f32: 0x7d, f64: 0x7c, v128: 0x7b };

/** Opcodes (SIMD ones after the 0xfd prefix) of the instructions without immediates. */
const PLAIN: Record<string, readonly number[]> = {
  "i32.add": [0x6a],
  "i32.ge_u": [0x4f],
  "v128.and": [0xfd, 0x4e],
  "v128.or": [0xfd, 0x50],
  "v128.xor": [0xfd, 0x51],
  "v128.bitselect": [0xfd, 0x52],
  "i32x4.splat": [0xfd, 0x11],
  "f32x4.splat": [0xfd, 0x13],
  "f32x4.lt": [0xfd, 0x43],
  "f64x2.promote_low_f32x4": [0xfd, 0x5f],
  "i32x4.neg": [0xfd, 0xa1, 0x01],
  "i32x4.shl": [0xfd, 0xab, 0x01],
  "i32x4.shr_u": [0xfd, 0xad, 0x01],
  "i32x4.add": [0xfd, 0xae, 0x01],
  "i32x4.sub": [0xfd, 0xb1, 0x01],
  "i32x4.mul": [0xfd, 0xb5, 0x01],
  "f32x4.sqrt": [0xfd, 0xe3, 0x01],
  "f32x4.add": [0xfd, 0xe4, 0x01],
  "f32x4.sub": [0xfd, 0xe5, 0x01],
  "f32x4.mul": [0xfd, 0xe6, 0x01],
  "f64x2.add": [0xfd, 0xf0, 0x01],
  "f32x4.convert_i32x4_s": [0xfd, 0xfa, 0x01],
};

/** An expression: a local's value, a constant, or an instruction applied to operands. */
type Expr =
  | { readonly kind: "local"; readonly name: string }
  | { readonly kind: "i32"; readonly value: number }
  | { readonly kind: "i32x4"; readonly lanes: readonly [number, number, number, number] }
  | { readonly kind: "f32x4"; readonly value: number }
  | { readonly kind: "op"; readonly name: string; readonly args: readonly Expr[] }
  | { readonly kind: "load"; readonly address: Expr };

const local = (name: string): Expr => ({ kind: "local", name });
const i32 = (value: number): Expr => ({ kind: "i32", value: value | 0 });
const i32x4 = (value: number, ...others: number[]): Expr => {
  const lanes = others.length === 3 ? [value, ...others] : [value, value, value, value];
  return { kind: "i32x4", lanes: lanes.map((v) => v | 0) as unknown as [number, number, number, number] };
};
const f32x4 = (value: number): Expr => ({ kind: "f32x4", value });
const op = (name: string, ...args: Expr[]): Expr => ({ kind: "op", name, args });

function unsignedLeb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

function signedLeb(value: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function littleEndian(write: (view: DataView) => void, size: number): number[] {
  const view = new DataView(new ArrayBuffer(size));
  write(view);
  return Array.from(new Uint8Array(view.buffer));
}

/** One function's body, as text (one instruction a line) and as bytes, built side by side. */
class FunctionBody {
  readonly text: string[] = [];
  readonly bytes: number[] = [];
  private readonly index = new Map<string, number>();
  private readonly declared: [string, ValueType][] = [];

  constructor(readonly params: readonly [string, ValueType][]) {
    params.forEach(([name], i) => this.index.set(name, i));
  }

  declare(name: string, type: ValueType): void {
    this.index.set(name, this.params.length + this.declared.length);
    this.declared.push([name, type]);
  }

  private emit(text: string, bytes: readonly number[]): void {
    this.text.push(text);
    this.bytes.push(...bytes);
  }

  private localIndex(name: string): number {
    const i = this.index.get(name);
    if (i === undefined) throw new Error(`internal: no local ${name}`);
    return i;
  }

  push(e: Expr): void {
    switch (e.kind) {
      case "local":
        return this.emit(`local.get $${e.name}`, [0x20, ...unsignedLeb(this.localIndex(e.name))]);
      case "i32":
        return this.emit(`i32.const ${e.value}`, [0x41, ...signedLeb(e.value)]);
      case "i32x4":
        return this.emit(`v128.const i32x4 ${e.lanes.join(" ")}`, [0xfd, 0x0c, ...e.lanes.flatMap((lane) => littleEndian((v) => v.setInt32(0, lane, true), 4))]);
      case "f32x4": {
        const value = F(e.value);
        return this.emit(`v128.const f32x4 ${value} ${value} ${value} ${value}`, [0xfd, 0x0c, ...[0, 1, 2, 3].flatMap(() => littleEndian((v) => v.setFloat32(0, value, true), 4))]);
      }
      case "load":
        this.push(e.address);
        return this.emit("v128.load", [0xfd, 0x00, 0x04, 0x00]);
      case "op": {
        for (const arg of e.args) this.push(arg);
        const code = PLAIN[e.name];
        if (code) return this.emit(e.name, code);
        const shuffle = /^i8x16\.shuffle (.*)$/.exec(e.name);
        if (shuffle) return this.emit(e.name, [0xfd, 0x0d, ...shuffle[1]!.split(" ").map(Number)]);
        throw new Error(`internal: no opcode for ${e.name}`);
      }
    }
  }

  set(name: string, value: Expr): void {
    this.push(value);
    this.emit(`local.set $${name}`, [0x21, ...unsignedLeb(this.localIndex(name))]);
  }

  /** v128.store at `address` + `offset` (16-byte alignment). */
  store(address: Expr, offset: number, value: Expr): void {
    this.push(address);
    this.push(value);
    this.emit(offset ? `v128.store offset=${offset}` : "v128.store", [0xfd, 0x0b, 0x04, ...unsignedLeb(offset)]);
  }

  /** `block $done (loop $next (br_if $done (stop)) ...body... (br $next))`. */
  loopUntil(stop: Expr, body: () => void): void {
    this.emit("block $done", [0x02, 0x40]);
    this.emit("loop $next", [0x03, 0x40]);
    this.push(stop);
    this.emit("br_if $done", [0x0d, 0x01]);
    body();
    this.emit("br $next", [0x0c, 0x00]);
    this.emit("end", [0x0b]);
    this.emit("end", [0x0b]);
  }

  /** The code section entry: local declarations (runs of one type, as wabt writes them), instructions, end. */
  encode(): number[] {
    const groups: [number, number][] = [];
    for (const [, type] of this.declared) {
      const last = groups.at(-1);
      if (last && last[1] === VALUE_TYPE[type]) last[0]++;
      else groups.push([1, VALUE_TYPE[type]]);
    }
    const content = [...unsignedLeb(groups.length), ...groups.flatMap(([count, type]) => [...unsignedLeb(count), type]), ...this.bytes, 0x0b];
    return [...unsignedLeb(content.length), ...content];
  }

  /** `(func (export "name") (param ...) (local ...) instructions)`. */
  toText(name: string): string {
    const params = this.params.map(([n, t]) => `(param $${n} ${t})`).join(" ");
    const locals = this.declared.map(([n, t]) => `(local $${n} ${t})`).join(" ");
    return `  (func (export "${name}") ${params}\n    ${locals}\n    ${this.text.join("\n    ")})`;
  }
}

// ---------------------------------------------------------------------------------------------
// The module: `fill(out, passes, k0, k1)` writes passes × 4 blocks of normals at `out` and the
// four float64 sums of r2 at address 0; `scale(at, vectors, factor)` multiplies in place.

/** Address of the first normal (the sums of r2 take the first 32 bytes). */
const NORMALS_ADDRESS = 64;

const horner = (x: Expr, coefficients: readonly number[]) => coefficients.slice(1).reduce((acc, c) => op("f32x4.add", op("f32x4.mul", acc, x), f32x4(c)), f32x4(coefficients[0]!));

/** The project's generator on four counters at once (runtime/rng.ts, lowbias32 twice). */
function hashInto(body: FunctionBody, target: string, counters: Expr): void {
  const rounds = () => {
    for (const [shift, multiplier] of LOWBIAS32_ROUNDS)
      body.set(target, op("i32x4.mul", op("v128.xor", local(target), op("i32x4.shr_u", local(target), i32(shift))), i32x4(multiplier)));
  };
  const finalMix = () => op("v128.xor", local(target), op("i32x4.shr_u", local(target), i32(LOWBIAS32_FINAL_SHIFT)));
  body.set(target, op("v128.xor", counters, local("K0")));
  rounds();
  body.set(target, op("v128.xor", finalMix(), local("K1")));
  rounds();
  body.set(target, finalMix());
}

/** One block's statements (suffix k), to interleave with the other blocks of a pass. */
function blockStatements(k: number): ((body: FunctionBody) => void)[] {
  const L = (name: string) => `${name}${k}`;
  const g = (name: string) => local(L(name));
  const fromTop24 = (h: string, scale: number) => op("f32x4.mul", op("f32x4.add", op("f32x4.convert_i32x4_s", op("i32x4.shr_u", g(h), i32(8))), f32x4(0.5)), f32x4(scale));
  return [
    (b) => hashInto(b, L("h1"), op("i32x4.add", local("c"), i32x4(8 * k))),
    (b) => hashInto(b, L("h2"), op("i32x4.add", local("c"), i32x4(8 * k + 4))),
    // r2 = -2 ln u, Cephes' logf: u = m 2^e with m in [sqrt(1/2), sqrt(2)).
    (b) => b.set(L("u"), fromTop24("h1", TWO_TO_MINUS_24)),
    (b) => b.set(L("e"), op("i32x4.sub", op("i32x4.shr_u", g("u"), i32(23)), i32x4(126))),
    (b) => b.set(L("m"), op("v128.or", op("v128.and", g("u"), i32x4(0x007fffff)), i32x4(0x3f000000))),
    (b) => b.set(L("mask"), op("f32x4.lt", g("m"), f32x4(LOG.sqrtHalf))),
    (b) => b.set(L("e"), op("i32x4.add", g("e"), g("mask"))),
    (b) => b.set(L("m"), op("v128.bitselect", op("f32x4.sub", op("f32x4.add", g("m"), g("m")), f32x4(1)), op("f32x4.sub", g("m"), f32x4(1)), g("mask"))),
    (b) => b.set(L("z"), op("f32x4.mul", g("m"), g("m"))),
    (b) => b.set(L("y"), op("f32x4.mul", op("f32x4.mul", horner(g("m"), LOG.poly), g("m")), g("z"))),
    (b) => b.set(L("ef"), op("f32x4.convert_i32x4_s", g("e"))),
    (b) => b.set(L("y"), op("f32x4.add", g("y"), op("f32x4.mul", f32x4(LOG.c1), g("ef")))),
    (b) => b.set(L("y"), op("f32x4.add", g("y"), op("f32x4.mul", f32x4(-0.5), g("z")))),
    (b) => b.set(L("z"), op("f32x4.add", op("f32x4.add", g("m"), g("y")), op("f32x4.mul", f32x4(LOG.c2), g("ef")))),
    (b) => b.set(L("r2"), op("f32x4.mul", g("z"), f32x4(-2))),
    (b) => b.set(L("r"), op("f32x4.sqrt", g("r2"))),
    // theta = q pi/2 + x, x in (-pi/4, pi/4): Cephes' sinf and cosf polynomials.
    (b) => b.set(L("x"), op("f32x4.sub", fromTop24("h2", ANGLE_SCALE), f32x4(QUARTER_PI))),
    (b) => b.set(L("x2"), op("f32x4.mul", g("x"), g("x"))),
    (b) => b.set(L("s"), op("f32x4.add", op("f32x4.mul", op("f32x4.mul", horner(g("x2"), SIN_POLY), g("x2")), g("x")), g("x"))),
    (b) => b.set(L("co"), op("f32x4.add", op("f32x4.sub", op("f32x4.mul", op("f32x4.mul", horner(g("x2"), COS_POLY), g("x2")), g("x2")), op("f32x4.mul", f32x4(0.5), g("x2"))), f32x4(1))),
    (b) => b.set(L("q"), op("v128.and", op("i32x4.shr_u", g("h2"), i32(6)), i32x4(3))),
    (b) => b.set(L("mask"), op("i32x4.neg", op("v128.and", g("q"), i32x4(1)))),
    // Odd quadrants swap cos and sin; the sign bits flip where cos (q = 1, 2) or sin (q = 2, 3) is negative.
    (b) => b.store(local("out"), 32 * k, op("f32x4.mul", g("r"), op("v128.xor", op("v128.bitselect", g("s"), g("co"), g("mask")), op("i32x4.shl", op("v128.and", op("i32x4.add", g("q"), i32x4(1)), i32x4(2)), i32(30))))),
    (b) => b.store(local("out"), 32 * k + 16, op("f32x4.mul", g("r"), op("v128.xor", op("v128.bitselect", g("co"), g("s"), g("mask")), op("i32x4.shl", op("v128.and", g("q"), i32x4(2)), i32(30))))),
    (b) => b.set("acc0", op("f64x2.add", local("acc0"), op("f64x2.promote_low_f32x4", g("r2")))),
    (b) => b.set("acc1", op("f64x2.add", local("acc1"), op("f64x2.promote_low_f32x4", op("i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7", g("r2"), g("r2"))))),
  ];
}

const BLOCK_LOCALS = ["h1", "h2", "u", "e", "m", "mask", "z", "y", "ef", "r2", "r", "x", "x2", "s", "co", "q"];

function fillFunction(): FunctionBody {
  const body = new FunctionBody([["out", "i32"], ["passes", "i32"], ["k0", "i32"], ["k1", "i32"]]);
  for (const name of ["K0", "K1", "c", "acc0", "acc1"]) body.declare(name, "v128");
  body.declare("i", "i32");
  for (let k = 0; k < BLOCKS_PER_PASS; k++) for (const name of BLOCK_LOCALS) body.declare(`${name}${k}`, "v128");
  body.set("K0", op("i32x4.splat", local("k0")));
  body.set("K1", op("i32x4.splat", local("k1")));
  body.set("c", i32x4(0, 1, 2, 3));
  const blocks = Array.from({ length: BLOCKS_PER_PASS }, (_, k) => blockStatements(k));
  body.loopUntil(op("i32.ge_u", local("i"), local("passes")), () => {
    // Statement by statement across the blocks, so their dependency chains overlap.
    for (let s = 0; s < blocks[0]!.length; s++) for (const block of blocks) block[s]!(body);
    body.set("c", op("i32x4.add", local("c"), i32x4(8 * BLOCKS_PER_PASS)));
    body.set("out", op("i32.add", local("out"), i32(32 * BLOCKS_PER_PASS)));
    body.set("i", op("i32.add", local("i"), i32(1)));
  });
  body.store(i32(0), 0, local("acc0"));
  body.store(i32(0), 16, local("acc1"));
  return body;
}

function scaleFunction(): FunctionBody {
  const body = new FunctionBody([["at", "i32"], ["vectors", "i32"], ["factor", "f32"]]);
  body.declare("f", "v128");
  body.declare("i", "i32");
  body.set("f", op("f32x4.splat", local("factor")));
  body.loopUntil(op("i32.ge_u", local("i"), local("vectors")), () => {
    body.store(local("at"), 0, op("f32x4.mul", { kind: "load", address: local("at") }, local("f")));
    body.set("at", op("i32.add", local("at"), i32(16)));
    body.set("i", op("i32.add", local("i"), i32(1)));
  });
  return body;
}

function section(id: number, content: readonly number[]): number[] {
  return [id, ...unsignedLeb(content.length), ...content];
}

function name(text: string): number[] {
  const bytes = Array.from(new TextEncoder().encode(text));
  return [...unsignedLeb(bytes.length), ...bytes];
}

/** The module as bytes and as text (which wabt assembles to the same bytes). */
export function noiseModule(): { bytes: Uint8Array<ArrayBuffer>; text: string } {
  const functions = [
    { name: "fill", body: fillFunction() },
    { name: "scale", body: scaleFunction() },
  ];
  const types = functions.map(({ body }) => [0x60, ...unsignedLeb(body.params.length), ...body.params.map(([, t]) => VALUE_TYPE[t]), 0x00]);
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [...unsignedLeb(types.length), ...types.flat()]),
    ...section(3, [...unsignedLeb(functions.length), ...functions.map((_, i) => i)]),
    ...section(5, [1, 0x00, 1]),
    ...section(7, [3, ...name("memory"), 0x02, 0, ...name("fill"), 0x00, 0, ...name("scale"), 0x00, 1]),
    ...section(10, [...unsignedLeb(functions.length), ...functions.flatMap(({ body }) => body.encode())]),
  ];
  const text = `(module\n  (memory (export "memory") 1)\n${functions.map(({ name: n, body }) => body.toText(n)).join("\n")})\n`;
  return { bytes: new Uint8Array(bytes), text };
}

// ---------------------------------------------------------------------------------------------
// The same numbers in JavaScript: float32 arithmetic as Math.fround after every operation.

const floatView = new Float32Array(1);
const intView = new Int32Array(floatView.buffer);
const C = {
  twoToMinus24: F(TWO_TO_MINUS_24),
  sqrtHalf: F(LOG.sqrtHalf),
  logPoly: LOG.poly.map(F),
  c1: F(LOG.c1),
  c2: F(LOG.c2),
  angle: F(ANGLE_SCALE),
  quarterPi: F(QUARTER_PI),
  sinPoly: SIN_POLY.map(F),
  cosPoly: COS_POLY.map(F),
};

function hornerJs(x: number, coefficients: readonly number[]): number {
  let acc = coefficients[0]!;
  for (let i = 1; i < coefficients.length; i++) acc = F(F(acc * x) + coefficients[i]!);
  return acc;
}

/** Block `block` of stream (k0, k1): its 8 normals into `into` (cos lanes, then sin lanes), its 4 lanes' r2 into `r2Lanes`. */
function blockJs(block: number, k0: number, k1: number, into: Float32Array, r2Lanes: Float64Array): void {
  for (let lane = 0; lane < 4; lane++) {
    const h1 = bits(k0, k1, 8 * block + lane);
    const h2 = bits(k0, k1, 8 * block + 4 + lane);
    const u = F(F((h1 >>> 8) + 0.5) * C.twoToMinus24);
    floatView[0] = u;
    const uBits = intView[0]!;
    let e = (uBits >>> 23) - 126;
    intView[0] = (uBits & 0x007fffff) | 0x3f000000;
    let m = floatView[0]!;
    if (m < C.sqrtHalf) {
      e -= 1;
      m = F(F(m + m) - 1);
    } else m = F(m - 1);
    let z = F(m * m);
    let y = F(F(hornerJs(m, C.logPoly) * m) * z);
    y = F(y + F(C.c1 * e));
    y = F(y + F(-0.5 * z));
    z = F(F(m + y) + F(C.c2 * e));
    const r2 = F(z * -2);
    const r = F(Math.sqrt(r2));
    const x = F(F(F((h2 >>> 8) + 0.5) * C.angle) - C.quarterPi);
    const x2 = F(x * x);
    const s = F(F(F(hornerJs(x2, C.sinPoly) * x2) * x) + x);
    const co = F(F(F(F(hornerJs(x2, C.cosPoly) * x2) * x2) - F(0.5 * x2)) + 1);
    const q = (h2 >>> 6) & 3;
    let a = q & 1 ? s : co;
    let b = q & 1 ? co : s;
    if ((q + 1) & 2) a = -a;
    if (q & 2) b = -b;
    into[lane] = F(r * a);
    into[4 + lane] = F(r * b);
    r2Lanes[lane] = r2;
  }
}

// ---------------------------------------------------------------------------------------------
// Filling a buffer: the module where it runs, the emulation for the rest.

interface Instance {
  readonly memory: WebAssembly.Memory;
  readonly fill: (out: number, passes: number, k0: number, k1: number) => void;
  readonly scale: (at: number, vectors: number, factor: number) => void;
}

function instantiate(): Instance | null {
  try {
    const { bytes } = noiseModule();
    if (!WebAssembly.validate(bytes)) return null;
    const exports = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports;
    return exports as unknown as Instance;
  } catch {
    return null;
  }
}

let instance: Instance | null | undefined;
let forceEmulation = false;
let scratch = new Float32Array(0);
const r2Lanes = new Float64Array(4);
const block = new Float32Array(8);

/** Runs the JavaScript emulation instead of the module (for tests), or the module again. */
export function useEmulation(on: boolean): void {
  forceEmulation = on;
}

/** Whether the WebAssembly module runs here. */
export function moduleAvailable(): boolean {
  instance ??= instantiate();
  return instance !== null;
}

/**
 * `length` standard normals of stream (k0, k1) and their sum of squares (as defined above).
 * The array is a view that the next call overwrites (and may detach): use it at once.
 */
export function standardNormals(length: number, k0: number, k1: number): { values: Float32Array; squares: number } {
  k0 |= 0;
  k1 |= 0;
  const blocks = Math.ceil(length / 8);
  const module = forceEmulation ? null : (instance ??= instantiate());
  // The module makes full blocks only: a partial last block's sum is of its values' squares.
  const passes = module ? Math.floor(Math.floor(length / 8) / BLOCKS_PER_PASS) : 0;
  let values: Float32Array;
  const sums = [0, 0, 0, 0];
  if (module) {
    const bytes = NORMALS_ADDRESS + 32 * blocks;
    const have = module.memory.buffer.byteLength;
    if (bytes > have) module.memory.grow(Math.ceil((bytes - have) / 65536));
    module.fill(NORMALS_ADDRESS, passes, k0, k1);
    const acc = new Float64Array(module.memory.buffer, 0, 4);
    for (let i = 0; i < 4; i++) sums[i] = acc[i]!;
    values = new Float32Array(module.memory.buffer, NORMALS_ADDRESS, 8 * blocks);
  } else {
    if (scratch.length < 8 * blocks) scratch = new Float32Array(8 * blocks);
    values = scratch;
  }
  let tail = 0;
  for (let b = passes * BLOCKS_PER_PASS; b < blocks; b++) {
    blockJs(b, k0, k1, block, r2Lanes);
    const take = Math.min(8, length - 8 * b);
    if (take === 8) {
      values.set(block, 8 * b);
      for (let lane = 0; lane < 4; lane++) sums[lane] += r2Lanes[lane]!;
    } else
      for (let i = 0; i < take; i++) {
        values[8 * b + i] = block[i]!;
        tail += block[i]! * block[i]!;
      }
  }
  return { values: values.subarray(0, length), squares: sums[0]! + sums[1]! + (sums[2]! + sums[3]!) + tail };
}

/** Multiplies the values `standardNormals` just returned by `factor` (rounded to float32), in place. */
export function scaleNormals(values: Float32Array, factor: number): void {
  const module = forceEmulation ? null : instance;
  if (module && values.buffer === module.memory.buffer) {
    module.scale(values.byteOffset, Math.ceil(values.length / 4), factor);
    return;
  }
  const f = F(factor);
  for (let i = 0; i < values.length; i++) values[i] = F(values[i]! * f);
}
