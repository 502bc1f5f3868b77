import { CredoError } from '@credo/core';

const TWO_32 = 4294967296;
const TWO_NEG_53 = 1 / 9007199254740992;

/**
 * A seeded pseudo-random generator: xoshiro128** (Blackman & Vigna, 2018) with its 128-bit state
 * filled from the seed (and an optional stream name) by a splitmix32-style mixer.
 *
 * Every random number in credo comes from one of these, never from `Math.random`, so that a trial
 * with a given seed repeats bit for bit (design promise 7). Independent substreams — weights,
 * feedback matrices, data order — come from {@link Rng.derive} with a stream name, so that adding
 * draws to one stream never shifts another: two rules trained from the same seed start from the
 * same forward weights.
 *
 * xoshiro128** was chosen because it needs only 32-bit integer operations, which JavaScript does
 * natively (`Math.imul`, `>>>`), passes BigCrush, and has a 2^128 − 1 period.
 *
 * @example
 * ```ts
 * const weights = Rng.derive(seed, 'weights');
 * const order = Rng.derive(seed, 'data');
 * weights.fillUniform(w, -0.1, 0.1);
 * const perm = order.permutation(60000);
 * ```
 */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  // Box–Muller makes two normals at a time; NaN (not undefined) keeps the field monomorphic.
  private spare = Number.NaN;

  /**
   * A generator for an integer `seed` (any safe integer, negative allowed). Its stream is distinct
   * from every `Rng.derive(seed, …)` stream.
   */
  constructor(seed: number) {
    const [a, b, c, d] = seedState(seedWords(seed, [0]));
    this.s0 = a;
    this.s1 = b;
    this.s2 = c;
    this.s3 = d;
  }

  /**
   * An independent generator for the substream `stream` of `seed`. The same pair always gives the
   * same generator; different pairs give unrelated ones (the state is a 128-bit hash of the pair).
   *
   * @example
   * ```ts
   * const a = Rng.derive(7, 'weights');
   * const b = Rng.derive(7, 'weights');
   * a.nextU32() === b.nextU32(); // true
   * ```
   */
  static derive(seed: number, stream: string | number): Rng {
    const words: number[] = [];
    if (typeof stream === 'number') {
      checkSafeInteger(stream, 'stream');
      words.push(1, stream >>> 0, Math.floor(stream / TWO_32) >>> 0);
    } else {
      words.push(2, stream.length);
      for (let i = 0; i < stream.length; i++) words.push(stream.charCodeAt(i));
    }
    return Rng.fromState(...seedState(seedWords(seed, words)));
  }

  /**
   * A generator with an explicit xoshiro128** state (four uint32 words, not all zero). For tests
   * against reference implementations and for restoring a saved {@link Rng.state}.
   */
  static fromState(s0: number, s1: number, s2: number, s3: number): Rng {
    if ((s0 | s1 | s2 | s3) === 0) {
      throw new CredoError('BAD_PARAM', 'xoshiro128** state must not be all zero', { field: 'state', value: [s0, s1, s2, s3] });
    }
    const r = Object.create(Rng.prototype) as Rng;
    r.s0 = s0 | 0;
    r.s1 = s1 | 0;
    r.s2 = s2 | 0;
    r.s3 = s3 | 0;
    r.spare = Number.NaN;
    return r;
  }

  /** The current state as four uint32 words (a pending Box–Muller spare is not included). */
  state(): [number, number, number, number] {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0];
  }

  /**
   * A new generator seeded from four draws of this one: deterministic, and statistically
   * independent of this generator's further output. Prefer {@link Rng.derive} with a name when the
   * substream has a meaning, because forks depend on how many draws came before.
   */
  fork(): Rng {
    const w = [3, this.nextU32(), this.nextU32(), this.nextU32(), this.nextU32()];
    return Rng.fromState(...seedState(w));
  }

  /** Next raw 32-bit output, an integer in [0, 2^32). */
  nextU32(): number {
    const s0 = this.s0;
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    let s2 = this.s2 ^ s0;
    let s3 = this.s3 ^ s1;
    this.s1 = s1 ^ s2;
    this.s0 = s0 ^ s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    this.s2 = s2;
    this.s3 = s3;
    return result >>> 0;
  }

  /** A double in [0, 1) with 53 random bits (consumes two 32-bit outputs). */
  next(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) * TWO_NEG_53;
  }

  /** A double in [lo, hi) (as a double; rounding to float32 may give exactly `hi`). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** A standard normal deviate (Box–Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    const spare = this.spare;
    if (spare === spare) {
      this.spare = Number.NaN;
      return spare;
    }
    const u1 = 1 - this.next(); // (0, 1]: log stays finite
    const u2 = this.next();
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u2;
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /**
   * An unbiased integer in [0, n) for an integer 1 ≤ n ≤ 2^32 (rejection sampling, so no modulo
   * bias even for large n).
   */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_32) {
      throw new CredoError('BAD_PARAM', 'Rng.int needs an integer bound', { field: 'n', value: n, allowed: 'integer 1 … 2^32' });
    }
    // Accept only the largest multiple of n below 2^32, so every residue is equally likely.
    const limit = TWO_32 - (TWO_32 % n);
    let r = this.nextU32();
    while (r >= limit) r = this.nextU32();
    return r % n;
  }

  /**
   * A uniformly random permutation of 0 … n−1 (Fisher–Yates).
   *
   * @example
   * ```ts
   * const order = Rng.derive(seed, 'data').permutation(60000);
   * ```
   */
  permutation(n: number): Uint32Array {
    checkSafeInteger(n, 'n');
    if (n < 0 || n > TWO_32) throw new CredoError('BAD_PARAM', 'permutation length out of range', { field: 'n', value: n, allowed: '0 … 2^32' });
    const p = new Uint32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    this.shuffle(p);
    return p;
  }

  /** Shuffles `arr` in place (Fisher–Yates, from the end). */
  shuffle(arr: { length: number; [i: number]: number }): void {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = arr[i]!;
      arr[i] = arr[j]!;
      arr[j] = t;
    }
  }

  /** Fills `arr` with independent draws from U[lo, hi), in index order. */
  fillUniform(arr: Float32Array | Float64Array, lo: number, hi: number): void {
    const w = hi - lo;
    for (let i = 0; i < arr.length; i++) arr[i] = lo + w * this.next();
  }

  /** Fills `arr` with independent draws from N(mean, std²), in index order. */
  fillNormal(arr: Float32Array | Float64Array, mean: number, std: number): void {
    for (let i = 0; i < arr.length; i++) arr[i] = mean + std * this.normal();
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

function checkSafeInteger(v: number, field: string): void {
  if (!Number.isSafeInteger(v)) {
    throw new CredoError('BAD_PARAM', 'must be a safe integer', { field, value: v, allowed: 'integer' });
  }
}

function seedWords(seed: number, tail: readonly number[]): number[] {
  checkSafeInteger(seed, 'seed');
  return [seed >>> 0, Math.floor(seed / TWO_32) >>> 0, ...tail];
}

/** The splitmix32 / lowbias32 finalizer: a bijection on 32-bit words with good avalanche. */
function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x21f0aaad);
  x ^= x >>> 15;
  x = Math.imul(x, 0x735a2d97);
  x ^= x >>> 15;
  return x;
}

// Four lanes with distinct starting constants (hex digits of π) absorb the same words, so the
// 128-bit state only collides when all four 32-bit lanes do.
const LANES = [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344] as const;

function seedState(words: readonly number[]): [number, number, number, number] {
  const out: number[] = [];
  for (const start of LANES) {
    let h = start | 0;
    for (const w of words) h = mix32((h ^ (w | 0)) + 0x9e3779b9);
    // A final splitmix32 step, so that lanes differing only in their last word still diverge.
    out.push(mix32(h + 0x9e3779b9));
  }
  if ((out[0]! | out[1]! | out[2]! | out[3]!) === 0) out[0] = 1;
  return [out[0]!, out[1]!, out[2]!, out[3]!];
}
