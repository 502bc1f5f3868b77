import { describe, expect, it } from 'vitest';
import { pseudoInverse, Rng, svd } from '@credo/tensor';

/** C (m×n) = A (m×k) · B (k×n), float64, naive. */
function mul(A: ArrayLike<number>, B: ArrayLike<number>, m: number, k: number, n: number): Float64Array {
  const C = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) C[i * n + j]! += A[i * k + p]! * B[p * n + j]!;
  return C;
}
function transposeOf(A: ArrayLike<number>, m: number, n: number): Float64Array {
  const T = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) T[j * m + i] = A[i * n + j]!;
  return T;
}
function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}
function maxAbs(a: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]!));
  return d;
}

/** The four Penrose conditions, as relative residuals. */
function penrose(A: ArrayLike<number>, P: ArrayLike<number>, m: number, n: number): number[] {
  const AP = mul(A, P, m, n, m), PA = mul(P, A, n, m, n);
  return [
    maxAbsDiff(mul(AP, A, m, m, n), A) / maxAbs(A),
    maxAbsDiff(mul(PA, P, n, n, m), P) / maxAbs(P),
    maxAbsDiff(AP, transposeOf(AP, m, m)),
    maxAbsDiff(PA, transposeOf(PA, n, n)),
  ];
}

describe('svd and pseudoInverse', () => {
  it('a hand-computed case: diag(3, 4) has singular values 4, 3 and inverse diag(1/3, 1/4)', () => {
    const { s, rank } = svd(Float64Array.of(3, 0, 0, 4), 2, 2);
    expect(Array.from(s)).toEqual([4, 3]);
    expect(rank).toBe(2);
    const P = pseudoInverse(Float64Array.of(3, 0, 0, 4), 2, 2);
    expect(Array.from(P)).toEqual([1 / 3, 0, 0, 0.25]);
    // a row vector's pseudoinverse is vᵀ/‖v‖²: [3 4]⁺ = [3; 4]/25
    const r = pseudoInverse(Float64Array.of(3, 4), 1, 2);
    expect(r[0]).toBeCloseTo(0.12, 15);
    expect(r[1]).toBeCloseTo(0.16, 15);
  });

  it('reconstructs A = U·diag(s)·Vᵀ with orthonormal U, V for tall and wide matrices', () => {
    const rng = new Rng(1);
    for (const [m, n] of [[7, 3], [3, 7], [10, 10], [1, 5], [50, 10]] as const) {
      const A = new Float32Array(m * n);
      rng.fillUniform(A, -1, 1);
      const { U, s, V } = svd(A, m, n);
      const r = Math.min(m, n);
      const US = Float64Array.from(U, (u, i) => u * s[i % r]!);
      expect(maxAbsDiff(mul(US, transposeOf(V, n, r), m, r, n), A)).toBeLessThan(1e-13);
      const eye = new Float64Array(r * r).map((_, i) => (i % (r + 1) === 0 ? 1 : 0));
      expect(maxAbsDiff(mul(transposeOf(U, m, r), U, r, m, r), eye)).toBeLessThan(1e-13);
      expect(maxAbsDiff(mul(transposeOf(V, n, r), V, r, n, r), eye)).toBeLessThan(1e-13);
      for (let k = 1; k < r; k++) expect(s[k]).toBeLessThanOrEqual(s[k - 1]!);
    }
  });

  it('W·W⁺·W = W and the other Penrose conditions hold: full rank (tall, wide, square) and rank-deficient', () => {
    const rng = new Rng(2);
    for (const [m, n] of [[10, 30], [30, 10], [12, 12], [10, 1000]] as const) {
      const W = new Float32Array(m * n);
      rng.fillUniform(W, -0.1, 0.1);
      const P = pseudoInverse(W, m, n);
      for (const r of penrose(W, P, m, n)) expect(r).toBeLessThan(1e-10);
    }
    // rank 2 exactly (integer outer products, exact in float64): W = u1 v1ᵀ + u2 v2ᵀ, 6×5
    const u1 = [1, 2, 0, -1, 3, 1], v1 = [2, -1, 0, 1, 1], u2 = [0, 1, 1, 2, -1, 1], v2 = [1, 1, 1, 0, -2];
    const W = new Float64Array(30);
    for (let i = 0; i < 6; i++) for (let j = 0; j < 5; j++) W[i * 5 + j] = u1[i]! * v1[j]! + u2[i]! * v2[j]!;
    expect(svd(W, 6, 5).s[2]).toBeLessThan(1e-13);
    const P = pseudoInverse(W, 6, 5);
    for (const r of penrose(W, P, 6, 5)) expect(r).toBeLessThan(1e-12);
    // a plain inverse of the normal equations would blow up here; the cut-off keeps W⁺ bounded
    expect(maxAbs(P)).toBeLessThan(1);
  });

  it('drops singular values at or below rcond·s_max (so a tiny rcond changes the answer)', () => {
    const W = Float64Array.of(1, 0, 0, 1e-9);
    expect(Array.from(pseudoInverse(W, 2, 2))).toEqual([1, 0, 0, 0]); // default cut-off 2·2⁻²³
    const P = pseudoInverse(W, 2, 2, 1e-12);
    expect(P[3]).toBeCloseTo(1e9, 0);
    expect(() => pseudoInverse(W, 2, 2, -1)).toThrow(/rcond/);
    expect(() => svd(Float64Array.of(1, Number.NaN), 1, 2)).toThrow(/non-finite/);
  });
});
