import { createRequire } from 'node:module';

/** influenceStep of assembly/kernels.ts on Float32Arrays anywhere in memory; lengths are checked. */
export type NativeInfluenceStep = (n: number, L: number, At: Float32Array, d: Float32Array, beta: number, z: Float32Array, q: Float32Array,
  Min: Float32Array, Mout: Float32Array, g: Float32Array) => void;

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
  /** The vector instructions the build used: 'avx512', 'avx2' or 'scalar'. */
  isa(): string;
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
