import { checkDims, checkLength, type FloatArray } from './check.js';

/**
 * out[j] = fround(alpha · Σ_i A[i,j] + beta · out[j]) for A (m×n): the bias gradient of a layer
 * (Σ over minibatch rows of δ). Sums run in float64 over increasing i.
 *
 * @example
 * ```ts
 * colSums(delta1, rows, nHidden, db1);
 * ```
 */
export function colSums(A: FloatArray, m: number, n: number, out: FloatArray, alpha = 1, beta = 0): void {
  checkDims('colSums', m, n);
  checkLength('colSums', 'A', A, m * n);
  checkLength('colSums', 'out', out, n);
  const n4 = n - (n % 4);
  let j = 0;
  for (; j < n4; j += 4) {
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let i = 0, o = j; i < m; i++, o += n) {
      s0 += A[o]!; s1 += A[o + 1]!; s2 += A[o + 2]!; s3 += A[o + 3]!;
    }
    store(out, j, s0, alpha, beta); store(out, j + 1, s1, alpha, beta);
    store(out, j + 2, s2, alpha, beta); store(out, j + 3, s3, alpha, beta);
  }
  for (; j < n; j++) {
    let s = 0;
    for (let i = 0, o = j; i < m; i++, o += n) s += A[o]!;
    store(out, j, s, alpha, beta);
  }
}

/**
 * out[i] = fround(alpha · Σ_j A[i,j] + beta · out[i]) for A (m×n), float64 sums over increasing j.
 *
 * @example
 * ```ts
 * rowSums(sq, rows, n, perRow);
 * ```
 */
export function rowSums(A: FloatArray, m: number, n: number, out: FloatArray, alpha = 1, beta = 0): void {
  checkDims('rowSums', m, n);
  checkLength('rowSums', 'A', A, m * n);
  checkLength('rowSums', 'out', out, m);
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let j = 0, o = i * n; j < n; j++) s += A[o + j]!;
    store(out, i, s, alpha, beta);
  }
}

function store(out: FloatArray, o: number, s: number, alpha: number, beta: number): void {
  out[o] = beta === 0 ? alpha * s : alpha * s + beta * out[o]!;
}

/**
 * out[i] = index of the largest element of row i of A (m×n); ties go to the lowest index, and NaN
 * never wins (a row of NaN gives 0), matching the baseline's evaluation rule.
 *
 * @example
 * ```ts
 * argmaxRows(logits, rows, 10, predicted);
 * ```
 */
export function argmaxRows(A: FloatArray, m: number, n: number, out: Int32Array): void {
  checkDims('argmaxRows', m, n);
  checkLength('argmaxRows', 'A', A, m * n);
  checkLength('argmaxRows', 'out', out, m);
  for (let i = 0; i < m; i++) {
    const o = i * n;
    let best = 0;
    let bestV = -Infinity;
    for (let j = 0; j < n; j++) {
      const v = A[o + j]!;
      if (v > bestV) {
        bestV = v;
        best = j;
      }
    }
    out[i] = best;
  }
}

/**
 * Σ a[i]·b[i] over the first `len` elements, in float64.
 *
 * @example
 * ```ts
 * dot(Float32Array.of(1, 2), Float32Array.of(3, 4)); // 11
 * ```
 */
export function dot(a: FloatArray, b: FloatArray, len = a.length): number {
  checkLength('dot', 'a', a, len);
  checkLength('dot', 'b', b, len);
  let s = 0;
  for (let i = 0; i < len; i++) s += a[i]! * b[i]!;
  return s;
}

/**
 * The angle in degrees, in [0, 180], between the first `len` elements of `a` and `b` seen as
 * vectors; NaN when either is the zero vector (the angle is undefined). This is the standard
 * alignment diagnostic between a rule's teaching signal and backprop's.
 *
 * @example
 * ```ts
 * angleDegrees(deltaFa, deltaBp, rows * nHidden); // below 90 once FA has aligned
 * ```
 */
export function angleDegrees(a: FloatArray, b: FloatArray, len = a.length): number {
  checkLength('angleDegrees', 'a', a, len);
  checkLength('angleDegrees', 'b', b, len);
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < len; i++) {
    const x = a[i]!, y = b[i]!;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  if (aa === 0 || bb === 0) return Number.NaN;
  const c = ab / (Math.sqrt(aa) * Math.sqrt(bb));
  return (Math.acos(Math.min(1, Math.max(-1, c))) * 180) / Math.PI;
}
