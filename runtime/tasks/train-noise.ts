// Noise for the trainer: a draw from ball, sphere or gaussian in the dimension d of one
// parameter tensor, made from the project's counter-based generator (runtime/rng.ts), so a
// draw is a pure function of the trajectory's key and its running counter: bit-identical on
// every worker thread and every backend.
//
// Each tensor's draw takes a sub-stream: its key is two draws of the trajectory's stream, so
// the trajectory's counter grows by a few per tensor (never wrapping 32 bits however long it
// runs) and the sub-stream's counter restarts at 0 for each tensor. The normals themselves
// (an MLP's tensor holds 200,000) come from train-noise-wasm.ts.

import type { DistributionFamily } from "../../compiler/lower/ir.js";
import { bits, uniform } from "../rng.js";
import { scaleNormals, standardNormals } from "./train-noise-wasm.js";

/**
 * The noise stream of one trajectory: key (k0, k1) from restartKey, and its running counter.
 * Every draw (noise vectors, acceptance draws) advances the counter, so the stream is a pure
 * function of the key and the order of the draws.
 */
export class NoiseStream {
  /** Draws taken from the trajectory's stream so far. */
  counter = 0;
  private readonly k0: number;
  private readonly k1: number;

  constructor(key: readonly [number, number]) {
    this.k0 = key[0] | 0;
    this.k1 = key[1] | 0;
  }

  /** One uniform draw in (0, 1). */
  uniform(): number {
    return uniform(this.k0, this.k1, this.counter++);
  }

  /** Fills `out` with standard normals from a fresh sub-stream; returns their sum of squares. */
  normals(out: Float32Array): number {
    const { values, squares } = this.subStream(out.length);
    out.set(values);
    return squares;
  }

  /**
   * A draw from `family(scale)` in d = `length` dimensions: gaussian is scale * n; sphere is
   * scale * n / |n|; ball is scale * U^(1/d) * n / |n| (uniform in the ball), with
   * n ~ N(0, I_d) and U ~ U(0, 1). The result is a view that the next draw overwrites: use it
   * at once (or copy it).
   */
  drawView(family: DistributionFamily, scale: number, length: number): Float32Array {
    const { values, squares } = this.subStream(length);
    if (length === 0) return values;
    let factor = scale;
    if (family !== "gaussian") {
      // The radius is drawn even when |n| = 0 (probability ~0), so the stream does not depend on it.
      const radius = family === "ball" ? scale * Math.pow(this.uniform(), 1 / length) : scale;
      factor = squares > 0 ? radius / Math.sqrt(squares) : 0;
    }
    scaleNormals(values, factor);
    return values;
  }

  /** The same draw as `drawView`, copied into `out` (d = out.length). */
  draw(family: DistributionFamily, scale: number, out: Float32Array): void {
    out.set(this.drawView(family, scale, out.length));
  }

  private subStream(length: number): { values: Float32Array; squares: number } {
    const s0 = bits(this.k0, this.k1, this.counter++);
    const s1 = bits(this.k0, this.k1, this.counter++);
    return standardNormals(length, s0, s1);
  }
}
