import { createRequire } from 'node:module';

/**
 * The native kernels of the `fma` backend (native/influence.cc, built for this machine's CPU by
 * scripts/build-native.mjs). They follow the fused contract of the `fma` wasm module exactly, so
 * using them changes speed, never bits.
 */
export interface NativeKernels {
  /** influenceStep of assembly/kernels.ts (`fma` build) on Float32Arrays anywhere in memory; lengths are checked. */
  influenceStep(n: number, L: number, At: Float32Array, d: Float32Array, beta: number, z: Float32Array, q: Float32Array,
    Min: Float32Array, Mout: Float32Array, g: Float32Array): void;
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
      // Not built here: the fma backend runs on its wasm module alone.
    }
  }
  return loaded;
}
