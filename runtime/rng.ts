// The counter-based random number generator: every draw is a pure function of a 64-bit key
// (derived from seed, experiment, optimizer, landscape and restart) and a counter, so a
// trajectory's noise does not depend on which thread or in which order it runs.
//
// The generator is two rounds of Wellons' lowbias32 integer hash on int32 values (no uint32
// values, which V8 would box): u = (h(h(c ^ k0) ^ k1) + 2^31 + 0.5) / 2^32, in (0, 1) with 32
// bits of resolution. The same source text is inlined into every
// emitted kernel, so the kernels and the runtime draw identical streams.

/**
 * Wellons' lowbias32 hash: for each (shift, multiplier), h = imul(h ^ (h >>> shift), multiplier);
 * then h ^= h >>> FINAL_SHIFT. The generator's one definition: the JS and wasm emitters and
 * `mix32` all write their code from these numbers.
 */
export const LOWBIAS32_ROUNDS: readonly (readonly [shift: number, multiplier: number])[] = [
  [16, 0x7feb352d],
  [15, 0x846ca68b],
];
export const LOWBIAS32_FINAL_SHIFT = 16;

/**
 * JavaScript statements that set the int32 `target` to draw `counter` of stream (k0, k1):
 * h = lowbias32(lowbias32(c ^ k0) ^ k1). Kernels inline them (a call per draw costs more than
 * the draw once V8 stops inlining into a large kernel); RNG_SOURCE wraps them in functions.
 */
export function drawStatements(target: string, k0: string, k1: string, counter: string): string {
  const t = target;
  const rounds = LOWBIAS32_ROUNDS.map(([shift, multiplier]) => `${t} = Math.imul(${t} ^ (${t} >>> ${shift}), 0x${multiplier.toString(16)});`).join(" ");
  const final = `${t} >>> ${LOWBIAS32_FINAL_SHIFT}`;
  return `${t} = ${counter} ^ ${k0}; ${rounds} ${t} = (${t} ^ (${final})) ^ ${k1}; ${rounds} ${t} ^= ${final};`;
}

/** Maps an int32 draw to (0, 1): (h + 2^31 + 0.5) / 2^32. */
export function unitExpression(bits: string): string {
  return `(${bits} + 2147483648.5) * 2.3283064365386963e-10`;
}

/** JavaScript source of `bits(k0, k1, c)` (int32) and `uniform(k0, k1, c)` (in (0, 1)). */
export const RNG_SOURCE = `function bits(k0, k1, c) {
  let h; ${drawStatements("h", "k0", "k1", "c")}
  return h;
}
function uniform(k0, k1, c) {
  return ${unitExpression("bits(k0, k1, c)")};
}`;

const built = new Function(`${RNG_SOURCE}\nreturn { bits, uniform };`)() as {
  bits: (k0: number, k1: number, counter: number) => number;
  uniform: (k0: number, k1: number, counter: number) => number;
};

/** Wellons' lowbias32 hash, a bijection on int32 (the generator's round, for key derivation). */
export function mix32(h: number): number {
  // An index loop: keys for every restart of every cell go through here (destructuring each round costs 3x).
  for (let i = 0; i < LOWBIAS32_ROUNDS.length; i++) h = Math.imul(h ^ (h >>> LOWBIAS32_ROUNDS[i]![0]), LOWBIAS32_ROUNDS[i]![1]);
  return h ^ (h >>> LOWBIAS32_FINAL_SHIFT);
}

/** The counter-th draw of the stream with key (k0, k1), as a signed 32-bit integer. */
export const bits = built.bits;

/** The counter-th uniform draw in (0, 1) of the stream with key (k0, k1). */
export const uniform = built.uniform;

/** FNV-1a hash of a string (the stream's name), as uint32. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The key of restart `restart` in stream `stream` under `seed` (a non-negative integer < 2^53). */
export function restartKey(seed: number, stream: string, restart: number): [number, number] {
  const k0 = restartKey0(streamBase(seed, stream), restart);
  return [k0 >>> 0, restartKey1(k0, restart) >>> 0];
}

/** What the keys of a stream share: its name and the seed, hashed. */
function streamBase(seed: number, stream: string): number {
  const seedLow = seed >>> 0;
  const seedHigh = Math.floor(seed / 4294967296) >>> 0;
  return mix32(hashString(stream) ^ mix32(seedLow ^ mix32(seedHigh)));
}

const restartKey0 = (base: number, restart: number) => mix32(base ^ mix32(restart | 0));
const restartKey1 = (k0: number, restart: number) => mix32(k0 ^ 0x9e3779b9 ^ mix32((restart + 0x632be5ab) | 0));

/** Keys of restarts [from, from + count) as interleaved (k0, k1) pairs (the stream hashed once). */
export function restartKeys(seed: number, stream: string, from: number, count: number): Uint32Array {
  const keys = new Uint32Array(2 * count);
  const base = streamBase(seed, stream);
  for (let i = 0; i < count; i++) {
    const k0 = restartKey0(base, from + i);
    keys[2 * i] = k0;
    keys[2 * i + 1] = restartKey1(k0, from + i);
  }
  return keys;
}

/** The stream name of an optimizer's noise in one cell of an experiment. */
export function noiseStream(experiment: string, optimizer: string, landscape: string): string {
  return `noise/${experiment}/${optimizer}/${landscape}`;
}

/** The stream name of the starting points: shared by all optimizers (a paired design). */
export function initStream(experiment: string, landscape: string): string {
  return `init/${experiment}/${landscape}`;
}
