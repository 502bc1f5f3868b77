import { gemmNN, gemmNT, gemmTN } from '@credo/tensor';

/**
 * Products below this many multiply-adds run as plain loops: a call into the wasm kernels costs
 * about 0.15–0.3 µs, more than such a product itself, and an online step of a small rnn makes
 * several of them (the RTRL benchmark at N = 16 spent half its time on call overhead).
 */
export const SMALL_PRODUCT = 256;

/**
 * C(m×n) = alpha·op(A)·op(B) + beta·C like the tensor kernels (`form` as gemmNN / gemmNT / gemmTN),
 * but computed in place with float64 sums when m·n·k ≤ {@link SMALL_PRODUCT}. Deterministic: the
 * path depends only on the shape.
 *
 * @example
 * ```ts
 * mm('NN', 1, N, I, x, Ut, pre, 1, 1);   // pre += x·Ut for one sequence
 * ```
 */
export function mm(form: 'NN' | 'NT' | 'TN', m: number, n: number, k: number, A: Float32Array, B: Float32Array, C: Float32Array, alpha = 1, beta = 0): void {
  if (m * n * k > SMALL_PRODUCT) {
    if (form === 'NN') gemmNN(m, n, k, A, B, C, alpha, beta);
    else if (form === 'NT') gemmNT(m, n, k, A, B, C, alpha, beta);
    else gemmTN(m, n, k, A, B, C, alpha, beta);
    return;
  }
  // One loop nest per form (no branch in the inner loops), each element's float64 sum taken in
  // increasing p, so the result does not depend on which nest computes it. These run several
  // times on every online step: one generic nest testing the form per element took 0.8 µs for the
  // readout's 16×8 outer product, four times the wasm call it is meant to save.
  if (k === 1) {
    // Outer product (the readout gradient of one row): every form reads A[i]·B[j]; `0 +` keeps
    // the sum's sign of zero.
    for (let i = 0, o = 0; i < m; i++, o += n) {
      const ai = A[i]!;
      if (beta === 0) for (let j = 0; j < n; j++) C[o + j] = alpha * (0 + ai * B[j]!);
      else for (let j = 0; j < n; j++) C[o + j] = alpha * (0 + ai * B[j]!) + beta * C[o + j]!;
    }
    return;
  }
  // NN and NT keep four columns' sums in registers while streaming A's row once: every product
  // costs two loads instead of three plus an accumulator round trip, about twice as fast as one
  // column at a time (the rnn's forward and readout at N = 16). Same sums, same order.
  const n4 = n - (n % 4);
  if (form === 'NN') {
    for (let i = 0; i < m; i++) {
      const a0 = i * k, o = i * n;
      for (let j = 0; j < n4; j += 4) {
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (let p = 0, a = a0, b = j; p < k; p++, a++, b += n) {
          const x = A[a]!;
          s0 += x * B[b]!; s1 += x * B[b + 1]!; s2 += x * B[b + 2]!; s3 += x * B[b + 3]!;
        }
        put4(C, o + j, alpha, beta, s0, s1, s2, s3);
      }
      for (let j = n4; j < n; j++) {
        let s = 0;
        for (let p = 0, a = a0, b = j; p < k; p++, a++, b += n) s += A[a]! * B[b]!;
        C[o + j] = beta === 0 ? alpha * s : alpha * s + beta * C[o + j]!;
      }
    }
  } else if (form === 'NT') {
    for (let i = 0; i < m; i++) {
      const a0 = i * k, o = i * n;
      for (let j = 0; j < n4; j += 4) {
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (let p = 0, a = a0, b = j * k; p < k; p++, a++, b++) {
          const x = A[a]!;
          s0 += x * B[b]!; s1 += x * B[b + k]!; s2 += x * B[b + 2 * k]!; s3 += x * B[b + 3 * k]!;
        }
        put4(C, o + j, alpha, beta, s0, s1, s2, s3);
      }
      for (let j = n4; j < n; j++) {
        let s = 0;
        for (let p = 0, a = a0, b = j * k; p < k; p++, a++, b++) s += A[a]! * B[b]!;
        C[o + j] = beta === 0 ? alpha * s : alpha * s + beta * C[o + j]!;
      }
    }
  } else {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0, a = i, b = j; p < k; p++, a += m, b += n) s += A[a]! * B[b]!;
        const o = i * n + j;
        C[o] = beta === 0 ? alpha * s : alpha * s + beta * C[o]!;
      }
    }
  }
}

/**
 * One row of a small product plus a bias: C[j] = bias[j] + Σ_p a[p]·B[p·n + j] for j < n, each sum
 * taken in float64 from +0 in increasing p and rounded once with the bias added — the bits of
 * `broadcastRows(bias, C, 1, n)` then `mm('NN', 1, n, k, a, B, C, 1, 1)` when k·n ≤
 * {@link SMALL_PRODUCT}, in one pass and one call (an online step of the rnn makes three of these).
 * `bias` may be `C` itself (then this is C += a·B).
 *
 * @example
 * ```ts
 * rowProduct(aPrev, Wt, N, N, pre, b);   // pre = b + W·a_{t−1}, W stored transposed
 * rowProduct(x, Ut, I, N, pre, pre);     // pre += U·x
 * ```
 */
export function rowProduct(a: Float32Array, B: Float32Array, k: number, n: number, C: Float32Array, bias: Float32Array): void {
  const n4 = n - (n % 4);
  for (let j = 0; j < n4; j += 4) {
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let p = 0, b = j; p < k; p++, b += n) {
      const x = a[p]!;
      s0 += x * B[b]!; s1 += x * B[b + 1]!; s2 += x * B[b + 2]!; s3 += x * B[b + 3]!;
    }
    C[j] = s0 + bias[j]!; C[j + 1] = s1 + bias[j + 1]!; C[j + 2] = s2 + bias[j + 2]!; C[j + 3] = s3 + bias[j + 3]!;
  }
  for (let j = n4; j < n; j++) {
    let s = 0;
    for (let p = 0, b = j; p < k; p++, b += n) s += a[p]! * B[b]!;
    C[j] = s + bias[j]!;
  }
}

function put4(C: Float32Array, o: number, alpha: number, beta: number, s0: number, s1: number, s2: number, s3: number): void {
  if (beta === 0) {
    C[o] = alpha * s0; C[o + 1] = alpha * s1; C[o + 2] = alpha * s2; C[o + 3] = alpha * s3;
  } else {
    C[o] = alpha * s0 + beta * C[o]!; C[o + 1] = alpha * s1 + beta * C[o + 1]!;
    C[o + 2] = alpha * s2 + beta * C[o + 2]!; C[o + 3] = alpha * s3 + beta * C[o + 3]!;
  }
}
