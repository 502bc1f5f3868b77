import { createRequire } from 'node:module';

/** influenceStep of assembly/kernels.ts on Float32Arrays anywhere in memory; lengths are checked. */
export type NativeInfluenceStep = (n: number, L: number, At: Float32Array, d: Float32Array, beta: number, z: Float32Array, q: Float32Array,
  Min: Float32Array, Mout: Float32Array, g: Float32Array) => void;

/**
 * The operands of influenceStep that stay fixed from step to step, bound once: At, d, z, g and
 * the influence matrices `Ms` a rule rotates through (all views on the wasm heap). Returns the
 * bound step, a function of no arguments that reads `slots` (an Int32Array of 3 on its own
 * ArrayBuffer): q's float index in the wasm heap, the index in Ms of the matrix in and of the
 * matrix out (the same one where `inPlace`). It keeps the arrays alive. Only wasm/kernels.ts calls it: it checks what it writes.
 */
export type NativeInfluenceBind = (n: number, L: number, beta: number, At: Float32Array, d: Float32Array, z: Float32Array,
  g: Float32Array, Ms: readonly Float32Array[], slots: Int32Array) => NativeBoundInfluence;

/** A bound native influence step (see {@link NativeInfluenceBind}). */
export interface NativeBoundInfluence {
  (): void;
  /** Whether the matrix in may also be the matrix out: the kernel then updates it in place. */
  readonly inPlace: boolean;
}

/** One arithmetic contract of the native influence step: the plain call and the bound one. */
export interface NativeInfluence {
  step: NativeInfluenceStep;
  bind: NativeInfluenceBind;
}

/**
 * Native kernels (native/influence.cc, built for this machine's CPU by scripts/build-native.mjs).
 * Each follows the arithmetic contract of one wasm module exactly, so using it changes speed,
 * never bits.
 */
export interface NativeKernels {
  /** The default contract (every product and sum rounded): the `wasm` backend's. */
  influenceStep: NativeInfluenceStep;
  /** The fused contract: the `fma` backend's (where that backend fuses). */
  influenceStepFma: NativeInfluenceStep;
  /** Binds operands for the default contract ({@link NativeInfluenceBind}). */
  influenceBind: NativeInfluenceBind;
  /** Binds operands for the fused contract. */
  influenceBindFma: NativeInfluenceBind;
  /**
   * Binds a one-row rnn (native/rnn-row.cc): dimensions, leak, its parameters (views on the wasm
   * heap) and `slots`, through which the three argument-less calls get their operands' float
   * indices into the heap. Only rnn-row.ts calls it: it checks every index it writes.
   */
  rnnRowBind(n: number, I: number, O: number, alpha: number, Wt: Float32Array, Ut: Float32Array, b: Float32Array, Vt: Float32Array,
    c: Float32Array, slots: Int32Array): NativeRnnRow;
  /** The vector instructions the build used: 'avx512', 'avx2' or 'scalar'. */
  isa(): string;
}

/** A bound one-row rnn: see {@link NativeKernels.rnnRowBind} and rnn-row.ts. */
export interface NativeRnnRow {
  /** Slots [sPrev, x, s, aux]: s = F(sPrev, x), aux = φ′. */
  forward(): void;
  /** Slots [s, y]: y = c + V·s. */
  output(): void;
  /** Slots [s, dy, q, gV, gc, mode, rate bits]: q = Vᵀ·dy; mode 1 adds the readout gradients, 2 also steps by plain SGD. */
  backOutput(): void;
}

let loaded: NativeKernels | undefined | null = null;

/**
 * The native kernels, loaded on first use; undefined where they were not built (no g++ or no
 * Node-API headers when `npm run build` ran) or do not load here.
 *
 * @example
 * ```ts
 * nativeKernels()?.isa(); // 'avx512' on a Sapphire Rapids Xeon
 * ```
 */
export function nativeKernels(): NativeKernels | undefined {
  if (loaded === null) {
    loaded = undefined;
    try {
      loaded = createRequire(import.meta.url)('../build/credo-native.node') as NativeKernels;
    } catch {
      // Not built here: every kernel runs on its wasm module (same numbers).
    }
  }
  return loaded;
}
