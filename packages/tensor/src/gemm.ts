import { activeWasm } from './backend.js';
import { checkDims, checkLength, type FloatArray } from './check.js';

/*
 * Matrix products, all row-major and contiguous, in the three transpose forms that a dense layer
 * needs: forward (A·Bᵀ with B = W stored (out, in)), backward (A·B) and weight gradient (Aᵀ·B).
 *
 * Arithmetic contract (shared by the sparse kernels, and relied on by the tests):
 *   C[i,j] ← fround(alpha·S + beta·C[i,j])      (C is not read when beta === 0)
 * where S = Σ_p a_ip·b_pj is accumulated in float64 in increasing p, starting from +0, and rounded
 * to float32 exactly once, on the store. Products of two float32 values are exact in float64, so
 * the result does not depend on the blocking, and a kernel that skips terms whose factor is zero
 * (the sparse kernels) gives bit-for-bit the same C as the dense one. (The one exception: a zero
 * factor times an infinite or NaN one is NaN in the dense kernel and skipped in the sparse one;
 * by then the run has diverged anyway.) C must not overlap A or B.
 *
 * Speed: V8 does not vectorize, so the kernels are register-blocked 4×4 (16 accumulators, each A
 * and B element loaded once per 4 multiply-adds) with contiguous inner loops; this runs at about
 * 4 GFLOP/s on the project machine, against ~0.85 for the naive i-k-j loop.
 *
 * That is the `js` backend. Under the `wasm` backend (the default where available, see
 * backend.ts) the same functions run the WebAssembly SIMD kernels of assembly/kernels.ts on
 * Float32Array operands: S is then accumulated in float32 (in the same increasing p, so the sparse
 * kernels still agree bit for bit with the dense ones), with the same float64 epilogue.
 */

function put(C: FloatArray, o: number, s: number, alpha: number, beta: number): void {
  C[o] = beta === 0 ? alpha * s : alpha * s + beta * C[o]!;
}

/**
 * C(m×n) = alpha · A(m×k) · B(k×n) + beta · C.
 *
 * @example
 * ```ts
 * // dh = δ · W  (δ: rows×out, W: out×in)
 * gemmNN(rows, nIn, nOut, delta, W, dh);
 * ```
 */
export function gemmNN(m: number, n: number, k: number, A: FloatArray, B: FloatArray, C: FloatArray, alpha = 1, beta = 0): void {
  checkDims('gemmNN', m, n, k);
  checkLength('gemmNN', 'A', A, m * k);
  checkLength('gemmNN', 'B', B, k * n);
  checkLength('gemmNN', 'C', C, m * n);
  const w = activeWasm();
  if (w !== undefined && A instanceof Float32Array && B instanceof Float32Array && C instanceof Float32Array) return w.gemm('NN', m, n, k, A, B, C, alpha, beta);
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  for (let i = 0; i < m4; i += 4) {
    const a0 = i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
    for (let j = 0; j < n4; j += 4) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let p = 0, b = j; p < k; p++, b += n) {
        const b0 = B[b]!, b1 = B[b + 1]!, b2 = B[b + 2]!, b3 = B[b + 3]!;
        let a = A[a0 + p]!;
        c00 += a * b0; c01 += a * b1; c02 += a * b2; c03 += a * b3;
        a = A[a1 + p]!;
        c10 += a * b0; c11 += a * b1; c12 += a * b2; c13 += a * b3;
        a = A[a2 + p]!;
        c20 += a * b0; c21 += a * b1; c22 += a * b2; c23 += a * b3;
        a = A[a3 + p]!;
        c30 += a * b0; c31 += a * b1; c32 += a * b2; c33 += a * b3;
      }
      let o = i * n + j;
      put(C, o, c00, alpha, beta); put(C, o + 1, c01, alpha, beta); put(C, o + 2, c02, alpha, beta); put(C, o + 3, c03, alpha, beta);
      o += n;
      put(C, o, c10, alpha, beta); put(C, o + 1, c11, alpha, beta); put(C, o + 2, c12, alpha, beta); put(C, o + 3, c13, alpha, beta);
      o += n;
      put(C, o, c20, alpha, beta); put(C, o + 1, c21, alpha, beta); put(C, o + 2, c22, alpha, beta); put(C, o + 3, c23, alpha, beta);
      o += n;
      put(C, o, c30, alpha, beta); put(C, o + 1, c31, alpha, beta); put(C, o + 2, c32, alpha, beta); put(C, o + 3, c33, alpha, beta);
    }
    for (let j = n4; j < n; j++) {
      let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
      for (let p = 0, b = j; p < k; p++, b += n) {
        const w = B[b]!;
        c0 += A[a0 + p]! * w; c1 += A[a1 + p]! * w; c2 += A[a2 + p]! * w; c3 += A[a3 + p]! * w;
      }
      const o = i * n + j;
      put(C, o, c0, alpha, beta); put(C, o + n, c1, alpha, beta); put(C, o + 2 * n, c2, alpha, beta); put(C, o + 3 * n, c3, alpha, beta);
    }
  }
  for (let i = m4; i < m; i++) {
    const a0 = i * k;
    for (let j = 0; j < n4; j += 4) {
      let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
      for (let p = 0, b = j; p < k; p++, b += n) {
        const a = A[a0 + p]!;
        c0 += a * B[b]!; c1 += a * B[b + 1]!; c2 += a * B[b + 2]!; c3 += a * B[b + 3]!;
      }
      const o = i * n + j;
      put(C, o, c0, alpha, beta); put(C, o + 1, c1, alpha, beta); put(C, o + 2, c2, alpha, beta); put(C, o + 3, c3, alpha, beta);
    }
    for (let j = n4; j < n; j++) {
      let c = 0;
      for (let p = 0, b = j; p < k; p++, b += n) c += A[a0 + p]! * B[b]!;
      put(C, i * n + j, c, alpha, beta);
    }
  }
}

/**
 * C(m×n) = alpha · A(m×k) · B(n×k)ᵀ + beta · C. Both operands are read along contiguous rows, which
 * makes this the natural forward product of a layer whose weights are stored (out, in).
 *
 * @example
 * ```ts
 * // a = h · Wᵀ + b  (h: rows×in, W: out×in): fill a with b, then accumulate
 * broadcastRows(b, a, rows, nOut);
 * gemmNT(rows, nOut, nIn, h, W, a, 1, 1);
 * ```
 */
export function gemmNT(m: number, n: number, k: number, A: FloatArray, B: FloatArray, C: FloatArray, alpha = 1, beta = 0): void {
  checkDims('gemmNT', m, n, k);
  checkLength('gemmNT', 'A', A, m * k);
  checkLength('gemmNT', 'B', B, n * k);
  checkLength('gemmNT', 'C', C, m * n);
  const w = activeWasm();
  if (w !== undefined && A instanceof Float32Array && B instanceof Float32Array && C instanceof Float32Array) return w.gemm('NT', m, n, k, A, B, C, alpha, beta);
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  for (let i = 0; i < m4; i += 4) {
    const a0 = i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
    for (let j = 0; j < n4; j += 4) {
      const b0 = j * k, b1 = b0 + k, b2 = b1 + k, b3 = b2 + k;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let p = 0; p < k; p++) {
        const w0 = B[b0 + p]!, w1 = B[b1 + p]!, w2 = B[b2 + p]!, w3 = B[b3 + p]!;
        let a = A[a0 + p]!;
        c00 += a * w0; c01 += a * w1; c02 += a * w2; c03 += a * w3;
        a = A[a1 + p]!;
        c10 += a * w0; c11 += a * w1; c12 += a * w2; c13 += a * w3;
        a = A[a2 + p]!;
        c20 += a * w0; c21 += a * w1; c22 += a * w2; c23 += a * w3;
        a = A[a3 + p]!;
        c30 += a * w0; c31 += a * w1; c32 += a * w2; c33 += a * w3;
      }
      let o = i * n + j;
      put(C, o, c00, alpha, beta); put(C, o + 1, c01, alpha, beta); put(C, o + 2, c02, alpha, beta); put(C, o + 3, c03, alpha, beta);
      o += n;
      put(C, o, c10, alpha, beta); put(C, o + 1, c11, alpha, beta); put(C, o + 2, c12, alpha, beta); put(C, o + 3, c13, alpha, beta);
      o += n;
      put(C, o, c20, alpha, beta); put(C, o + 1, c21, alpha, beta); put(C, o + 2, c22, alpha, beta); put(C, o + 3, c23, alpha, beta);
      o += n;
      put(C, o, c30, alpha, beta); put(C, o + 1, c31, alpha, beta); put(C, o + 2, c32, alpha, beta); put(C, o + 3, c33, alpha, beta);
    }
    for (let j = n4; j < n; j++) {
      const b0 = j * k;
      let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
      for (let p = 0; p < k; p++) {
        const w = B[b0 + p]!;
        c0 += A[a0 + p]! * w; c1 += A[a1 + p]! * w; c2 += A[a2 + p]! * w; c3 += A[a3 + p]! * w;
      }
      const o = i * n + j;
      put(C, o, c0, alpha, beta); put(C, o + n, c1, alpha, beta); put(C, o + 2 * n, c2, alpha, beta); put(C, o + 3 * n, c3, alpha, beta);
    }
  }
  for (let i = m4; i < m; i++) {
    const a0 = i * k;
    for (let j = 0; j < n4; j += 4) {
      const b0 = j * k, b1 = b0 + k, b2 = b1 + k, b3 = b2 + k;
      let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
      for (let p = 0; p < k; p++) {
        const a = A[a0 + p]!;
        c0 += a * B[b0 + p]!; c1 += a * B[b1 + p]!; c2 += a * B[b2 + p]!; c3 += a * B[b3 + p]!;
      }
      const o = i * n + j;
      put(C, o, c0, alpha, beta); put(C, o + 1, c1, alpha, beta); put(C, o + 2, c2, alpha, beta); put(C, o + 3, c3, alpha, beta);
    }
    for (let j = n4; j < n; j++) {
      const b0 = j * k;
      let c = 0;
      for (let p = 0; p < k; p++) c += A[a0 + p]! * B[b0 + p]!;
      put(C, i * n + j, c, alpha, beta);
    }
  }
}

/**
 * C(m×n) = alpha · A(k×m)ᵀ · B(k×n) + beta · C, i.e. A is stored (k, m). With k = minibatch rows
 * this is the weight gradient δᵀ·h of a layer.
 *
 * @example
 * ```ts
 * // dW = δᵀ · h  (δ: rows×out, h: rows×in, dW: out×in)
 * gemmTN(nOut, nIn, rows, delta, h, dW);
 * ```
 */
export function gemmTN(m: number, n: number, k: number, A: FloatArray, B: FloatArray, C: FloatArray, alpha = 1, beta = 0): void {
  checkDims('gemmTN', m, n, k);
  checkLength('gemmTN', 'A', A, k * m);
  checkLength('gemmTN', 'B', B, k * n);
  checkLength('gemmTN', 'C', C, m * n);
  const w = activeWasm();
  if (w !== undefined && A instanceof Float32Array && B instanceof Float32Array && C instanceof Float32Array) return w.gemm('TN', m, n, k, A, B, C, alpha, beta);
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  for (let i = 0; i < m4; i += 4) {
    for (let j = 0; j < n4; j += 4) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let p = 0, ao = i, b = j; p < k; p++, ao += m, b += n) {
        const b0 = B[b]!, b1 = B[b + 1]!, b2 = B[b + 2]!, b3 = B[b + 3]!;
        let a = A[ao]!;
        c00 += a * b0; c01 += a * b1; c02 += a * b2; c03 += a * b3;
        a = A[ao + 1]!;
        c10 += a * b0; c11 += a * b1; c12 += a * b2; c13 += a * b3;
        a = A[ao + 2]!;
        c20 += a * b0; c21 += a * b1; c22 += a * b2; c23 += a * b3;
        a = A[ao + 3]!;
        c30 += a * b0; c31 += a * b1; c32 += a * b2; c33 += a * b3;
      }
      let o = i * n + j;
      put(C, o, c00, alpha, beta); put(C, o + 1, c01, alpha, beta); put(C, o + 2, c02, alpha, beta); put(C, o + 3, c03, alpha, beta);
      o += n;
      put(C, o, c10, alpha, beta); put(C, o + 1, c11, alpha, beta); put(C, o + 2, c12, alpha, beta); put(C, o + 3, c13, alpha, beta);
      o += n;
      put(C, o, c20, alpha, beta); put(C, o + 1, c21, alpha, beta); put(C, o + 2, c22, alpha, beta); put(C, o + 3, c23, alpha, beta);
      o += n;
      put(C, o, c30, alpha, beta); put(C, o + 1, c31, alpha, beta); put(C, o + 2, c32, alpha, beta); put(C, o + 3, c33, alpha, beta);
    }
    for (let j = n4; j < n; j++) {
      let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
      for (let p = 0, ao = i, b = j; p < k; p++, ao += m, b += n) {
        const w = B[b]!;
        c0 += A[ao]! * w; c1 += A[ao + 1]! * w; c2 += A[ao + 2]! * w; c3 += A[ao + 3]! * w;
      }
      const o = i * n + j;
      put(C, o, c0, alpha, beta); put(C, o + n, c1, alpha, beta); put(C, o + 2 * n, c2, alpha, beta); put(C, o + 3 * n, c3, alpha, beta);
    }
  }
  for (let i = m4; i < m; i++) {
    for (let j = 0; j < n4; j += 4) {
      let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
      for (let p = 0, ao = i, b = j; p < k; p++, ao += m, b += n) {
        const a = A[ao]!;
        c0 += a * B[b]!; c1 += a * B[b + 1]!; c2 += a * B[b + 2]!; c3 += a * B[b + 3]!;
      }
      const o = i * n + j;
      put(C, o, c0, alpha, beta); put(C, o + 1, c1, alpha, beta); put(C, o + 2, c2, alpha, beta); put(C, o + 3, c3, alpha, beta);
    }
    for (let j = n4; j < n; j++) {
      let c = 0;
      for (let p = 0, ao = i, b = j; p < k; p++, ao += m, b += n) c += A[ao]! * B[b]!;
      put(C, i * n + j, c, alpha, beta);
    }
  }
}
