import { fmaAvailable, fmaFuses, Rng, wasmSimdAvailable, withKernelBackend, type KernelBackend } from '@credo/tensor';

/** A float32 matrix with entries in [-1, 1), and about `zeroFrac` of them exactly zero. */
export function randomMatrix(rng: Rng, len: number, zeroFrac = 0): Float32Array {
  const a = new Float32Array(len);
  for (let i = 0; i < len; i++) a[i] = rng.next() < zeroFrac ? 0 : rng.uniform(-1, 1);
  return a;
}

export type Form = 'NN' | 'NT' | 'TN';

/** Every backend that can run here (the tests run each contract). */
export const BACKENDS: readonly KernelBackend[] = wasmSimdAvailable() ? ['wasm', ...(fmaAvailable() ? (['fma'] as const) : []), 'js'] : ['js'];

/** Runs `f` with the kernels switched to `backend` (the package's own helper, under the tests' short name). */
export const withBackend = withKernelBackend;

/** Whether the `fma` kernels fuse on this machine (the library's own probe; wasm.test.ts checks it against the CPU's flags). */
export const FMA_FUSES: boolean = fmaFuses();

/**
 * One term of a backend's dot product: float64 for js; every product and sum rounded to float32
 * for wasm; rounded once per term for fma where it fuses.
 */
export function accumulator(backend: KernelBackend): (s: number, a: number, b: number) => number {
  if (backend === 'js') return (s, a, b) => s + a * b;
  // A float32 product is exact in float64, so fround(s + a·b) is the fused result (double
  // rounding through float64 could differ only in ties no test operand comes near).
  if (backend === 'fma' && FMA_FUSES) return (s, a, b) => Math.fround(s + a * b);
  return (s, a, b) => Math.fround(s + Math.fround(a * b));
}

/**
 * The arithmetic contract written naively: S = Σ_p a·b in increasing p, accumulated as the
 * backend does (see {@link accumulator}), then
 * fround(alpha·S + beta·C) in float64 (C unread when beta = 0).
 */
export function referenceGemm(form: Form, m: number, n: number, k: number, A: Float32Array, B: Float32Array, C: Float32Array, alpha: number, beta: number,
  backend: KernelBackend = 'js'): Float32Array {
  const acc = accumulator(backend);
  const out = Float32Array.from(C);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const a = form === 'TN' ? A[p * m + i]! : A[i * k + p]!;
        const b = form === 'NT' ? B[j * k + p]! : B[p * n + j]!;
        s = acc(s, a, b);
      }
      out[i * n + j] = beta === 0 ? alpha * s : alpha * s + beta * C[i * n + j]!;
    }
  }
  return out;
}

/** Index of the first element where two arrays differ bitwise (NaN equal to NaN), or -1. */
export function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}
