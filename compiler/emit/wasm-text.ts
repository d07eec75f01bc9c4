// Text helpers of the WebAssembly emitter (emit-wasm.ts): exact constants, the two precisions'
// types and conversions, and the 2-D noise angle's polynomials as folded WAT.
import type { Precision } from "../plan.js";
import { ANGLE } from "./emit-js.js";

export type { Precision };

/** How numbers of one precision are written: scalar and vector types, constants and conversions. */
export interface Numeric {
  readonly precision: Precision;
  /** The scalar type: f64 or f32. */
  readonly scalar: "f64" | "f32";
  /** The vector type: f64x2 or f32x4. */
  readonly vector: "f64x2" | "f32x4";
  /** Lanes per vector. */
  readonly width: 2 | 4;
  /** An exact scalar constant (single precision: the nearest float). */
  constant(v: number): string;
  /** The vector constant with `v` in every lane. */
  splat(v: number): string;
  /** An f64 expression in this precision (rounded to nearest in single precision). */
  fromF64(expression: string): string;
  /** An expression of this precision as f64 (exact). */
  toF64(expression: string): string;
}

export const DOUBLE: Numeric = {
  precision: "f64",
  scalar: "f64",
  vector: "f64x2",
  width: 2,
  constant: f64,
  splat: f64x2,
  fromF64: (e) => e,
  toF64: (e) => e,
};

export const SINGLE: Numeric = {
  precision: "f32",
  scalar: "f32",
  vector: "f32x4",
  width: 4,
  constant: f32,
  splat: (v) => {
    const literal = hexFloat(Math.fround(v));
    return `(v128.const f32x4 ${literal} ${literal} ${literal} ${literal})`;
  },
  fromF64: (e) => `(f32.demote_f64 ${e})`,
  toF64: (e) => `(f64.promote_f32 ${e})`,
};

/** An exact WAT f64 constant (hexadecimal float, so no decimal rounding is involved). */
export function f64(v: number): string {
  return `(f64.const ${hexFloat(v)})`;
}

/** The f32 constant nearest to `v` (rounded as Math.fround rounds), exact in hexadecimal. */
export function f32(v: number): string {
  return `(f32.const ${hexFloat(Math.fround(v))})`;
}

/** An exact f64x2 constant with `v` in both lanes. */
export function f64x2(v: number): string {
  const literal = hexFloat(v);
  return `(v128.const f64x2 ${literal} ${literal})`;
}

/** An i32x4 constant with `v` in every lane. */
export function i32x4(v: number): string {
  const literal = `0x${(v >>> 0).toString(16)}`;
  return `(v128.const i32x4 ${literal} ${literal} ${literal} ${literal})`;
}

/** `v` as a WAT hexadecimal float literal (exact for any double, and so for any float). */
function hexFloat(v: number): string {
  if (Number.isNaN(v)) return "nan";
  if (v === Infinity) return "inf";
  if (v === -Infinity) return "-inf";
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const sign = hi >>> 31 ? "-" : "";
  const exponent = (hi >>> 20) & 0x7ff;
  const mantissa = ((hi & 0xfffff).toString(16).padStart(5, "0") + lo.toString(16).padStart(8, "0")).replace(/0+$/, "");
  if (exponent === 0) return mantissa === "" ? `${sign}0x0p+0` : `${sign}0x0.${mantissa}p-1022`;
  return `${sign}0x1${mantissa ? "." + mantissa : ""}p${exponent - 1023 >= 0 ? "+" : ""}${exponent - 1023}`;
}

/**
 * Single precision's polynomials for the 2-D angle: sin y = y + y z S(z), cos y = 1 + z C(z)
 * on (0, pi/4) with z = y^2, near-minimax with float coefficients (within about an ulp of
 * float), evaluated as (S0 + S1 z) + z2 S2 and (C0 + C1 z) + z2 (C2 + C3 z).
 */
export const ANGLE_F32 = {
  sine: [-0.166666641831398, 0.008332747966051102, -0.00019587890710681677],
  cosine: [-0.5, 0.04166664928197861, -0.0013887588866055012, 2.4463788577122614e-5],
} as const;

/**
 * The angle's polynomials in z = y * y, by Estrin's scheme with z2 = z^2 and z4 = z^4, in the
 * order JS evaluates (c0 + c1 * z) + z2 * (c2 + c3 * z) + z4 * (c4 + c5 * z): sin y =
 * y + (y * z) * sine, cos y = 1 + z * cosine. `type` is the scalar or vector type, `constant`
 * writes its constants; single precision uses the shorter ANGLE_F32.
 */
export function angleSeries(z: string, z2: string, z4: string, type: string, constant: (v: number) => string, single = false) {
  const pair = (c: readonly number[], k: number) => (k + 1 < c.length ? `(${type}.add ${constant(c[k]!)} (${type}.mul ${constant(c[k + 1]!)} ${z}))` : constant(c[k]!));
  const estrin = (c: readonly number[]) => {
    let sum = `(${type}.add ${pair(c, 0)} (${type}.mul ${z2} ${pair(c, 2)}))`;
    if (c.length > 4) sum = `(${type}.add ${sum} (${type}.mul ${z4} ${pair(c, 4)}))`;
    return sum;
  };
  const { sine, cosine } = single ? ANGLE_F32 : ANGLE;
  return { sine: estrin(sine), cosine: estrin(cosine) };
}

/** Statement k of every list, then statement k + 1 of every list, ..: independent chains side by side. */
export function interleave(lists: readonly (readonly string[])[]): string[] {
  const out: string[] = [];
  for (let k = 0; k < Math.max(0, ...lists.map((l) => l.length)); k++) for (const l of lists) if (k < l.length) out.push(l[k]!);
  return out;
}

