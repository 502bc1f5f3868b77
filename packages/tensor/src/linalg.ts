import { CredoError } from '@credo/core';
import { checkDims, checkLength, type FloatArray } from './check.js';

/** Machine epsilon of float32 (2⁻²³): the default tolerance scale, since credo's matrices are float32 data. */
export const FLOAT32_EPS = 2 ** -23;

/**
 * The thin singular value decomposition A = U·diag(s)·Vᵀ of a row-major A (m×n), in float64, by
 * one-sided Jacobi rotations (Hestenes 1958) applied to whichever of A and Aᵀ has fewer columns.
 * One-sided Jacobi is slower than Golub–Kahan for large matrices but simple, and it computes small
 * singular values to high relative accuracy, which is what a pseudoinverse's cut-off relies on.
 * With r = min(m, n): U is m×r, V is n×r (both row-major, orthonormal columns), s has r values in
 * decreasing order.
 *
 * @example
 * ```ts
 * const { U, s, V } = svd(Float64Array.of(3, 0, 0, 4), 2, 2); // s = [4, 3]
 * ```
 */
export function svd(A: FloatArray, m: number, n: number): { U: Float64Array; s: Float64Array; V: Float64Array; rank: number } {
  checkDims('svd', m, n, 0, 'm,n');
  checkLength('svd', 'A', A, m * n);
  const tall = m >= n;
  // Work on G (rows × cols, cols ≤ rows) stored column by column: G = A if tall, else Aᵀ.
  const rows = tall ? m : n, cols = tall ? n : m;
  const G = new Float64Array(rows * cols);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const v = A[i * n + j]!;
      if (!Number.isFinite(v)) throw new CredoError('BAD_PARAM', 'svd: matrix has a non-finite entry', { field: 'A', value: v });
      if (tall) G[j * rows + i] = v;
      else G[i * rows + j] = v;
    }
  }
  const W = new Float64Array(cols * cols); // accumulated rotations, column-major, starts at I
  for (let j = 0; j < cols; j++) W[j * cols + j] = 1;
  const tol = 2 ** -52 * rows;
  for (let sweep = 0; sweep < 80; sweep++) {
    let rotated = false;
    for (let p = 0; p < cols - 1; p++) {
      const gp = p * rows;
      for (let q = p + 1; q < cols; q++) {
        const gq = q * rows;
        let alpha = 0, beta = 0, gamma = 0;
        for (let i = 0; i < rows; i++) {
          const x = G[gp + i]!, y = G[gq + i]!;
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (gamma === 0 || Math.abs(gamma) <= tol * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t), sn = c * t;
        for (let i = 0; i < rows; i++) {
          const x = G[gp + i]!, y = G[gq + i]!;
          G[gp + i] = c * x - sn * y;
          G[gq + i] = sn * x + c * y;
        }
        const wp = p * cols, wq = q * cols;
        for (let i = 0; i < cols; i++) {
          const x = W[wp + i]!, y = W[wq + i]!;
          W[wp + i] = c * x - sn * y;
          W[wq + i] = sn * x + c * y;
        }
      }
    }
    if (!rotated) break;
  }
  // Column norms are the singular values; normalized columns are the left vectors of G.
  const sv: { s: number; j: number }[] = [];
  for (let j = 0; j < cols; j++) {
    let ss = 0;
    for (let i = 0; i < rows; i++) ss += G[j * rows + i]! ** 2;
    sv.push({ s: Math.sqrt(ss), j });
  }
  sv.sort((a, b) => b.s - a.s || a.j - b.j);
  const r = cols;
  const left = new Float64Array(rows * r), right = new Float64Array(cols * r), s = new Float64Array(r);
  let rank = 0;
  for (let k = 0; k < r; k++) {
    const { s: sk, j } = sv[k]!;
    s[k] = sk;
    if (sk > 0) rank++;
    for (let i = 0; i < rows; i++) left[i * r + k] = sk > 0 ? G[j * rows + i]! / sk : 0;
    for (let i = 0; i < cols; i++) right[i * r + k] = W[j * cols + i]!;
  }
  // G = left·diag(s)·rightᵀ; A = G (tall) or Gᵀ = right·diag(s)·leftᵀ.
  return tall ? { U: left, s, V: right, rank } : { U: right, s, V: left, rank };
}

/**
 * The Moore–Penrose pseudoinverse A⁺ (n×m, row-major, float64) of a row-major A (m×n), from
 * {@link svd}: A⁺ = V·diag(1/s)·Uᵀ over the singular values above `rcond`·s_max. The default
 * cut-off is max(m, n)·2⁻²³ relative — the float32 machine epsilon, because credo's matrices are
 * float32 data (torch.linalg.pinv uses the same rule for float32 inputs). It satisfies the four
 * Penrose conditions, A·A⁺·A = A among them, also for rank-deficient A.
 *
 * @example
 * ```ts
 * const P = pseudoInverse(W2, nOut, nHidden); // nHidden × nOut: δh_PBP = P·e
 * ```
 */
export function pseudoInverse(A: FloatArray, m: number, n: number, rcond = Math.max(m, n) * FLOAT32_EPS): Float64Array {
  if (!(rcond >= 0)) throw new CredoError('BAD_PARAM', 'rcond must be a number ≥ 0', { field: 'rcond', value: rcond });
  const { U, s, V } = svd(A, m, n);
  const r = s.length;
  const out = new Float64Array(n * m);
  const cut = rcond * (s[0] ?? 0);
  for (let k = 0; k < r; k++) {
    const sk = s[k]!;
    if (!(sk > cut) || sk === 0) break;
    const inv = 1 / sk;
    for (let i = 0; i < n; i++) {
      const v = V[i * r + k]! * inv;
      if (v === 0) continue;
      const o = i * m;
      for (let j = 0; j < m; j++) out[o + j]! += v * U[j * r + k]!;
    }
  }
  return out;
}
