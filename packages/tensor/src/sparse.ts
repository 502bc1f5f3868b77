import { activeWasm, allocFloats, allocInts } from './backend.js';
import { checkDims, checkLength, type FloatArray } from './check.js';

/**
 * The nonzero pattern of a dense row-major block (rows × cols), as both per-row lists (CSR) and
 * per-column lists (CSC), so that a first layer can skip zero inputs in its forward product x·W1ᵀ
 * (row lists) and in its weight gradient δᵀ·x (column lists). MNIST is about 19% nonzero, which
 * makes those two products about 5× cheaper.
 *
 * Buffers grow to the largest block loaded and are reused, so loading a minibatch allocates nothing
 * once the capacity is reached. A value counts as nonzero when `v !== 0` (so NaN is kept and −0 is
 * skipped, which changes no result: see the arithmetic contract in gemm.ts).
 *
 * @example
 * ```ts
 * const sx = new SparseMatrix(784);
 * sx.load(xBatch, 32);
 * broadcastRows(b1, a1, 32, 256);
 * sparseGemmNN(sx, 256, W1t, a1, 1, 1); // a1 = x·W1t + b1, touching only nonzero pixels
 * ```
 */
export class SparseMatrix {
  /** Columns of the dense block. */
  readonly cols: number;
  /** Rows of the block last loaded. */
  rows = 0;
  /** Nonzeros of the block last loaded. */
  nnz = 0;
  /** CSR: row i's entries are at [rowPtr[i], rowPtr[i+1]) of colIdx / values, columns increasing. */
  rowPtr: Int32Array;
  colIdx: Int32Array;
  values: Float32Array;
  /** CSC: column p's entries are at [colPtr[p], colPtr[p+1]) of rowIdx / colValues, rows increasing. */
  colPtr: Int32Array;
  rowIdx: Int32Array;
  colValues: Float32Array;
  /** Columns with at least one nonzero, increasing; the first `activeCount` entries are valid. */
  activeCols: Int32Array;
  activeCount = 0;
  // Scratch for precomputed row offsets (index · n) inside the kernels.
  private offsets: Int32Array;
  // Per-column write cursors of the wasm load (cols + 1 ints, in wasm memory).
  private readonly cursor: Int32Array;
  private capacity = 0;

  constructor(cols: number, rowCapacity = 1) {
    checkDims('SparseMatrix', cols, rowCapacity, 0, 'cols,rowCapacity');
    this.cols = cols;
    // The lists live in wasm memory where it exists, so that the wasm kernels read them in place.
    this.colPtr = allocInts(cols + 1);
    this.activeCols = allocInts(cols);
    this.cursor = allocInts(cols + 1);
    this.rowPtr = allocInts(1);
    this.colIdx = this.rowIdx = this.offsets = new Int32Array(0);
    this.values = this.colValues = new Float32Array(0);
    this.reserve(Math.max(1, rowCapacity));
  }

  /** Fraction of nonzero entries in the block last loaded (0 for an empty block). */
  get density(): number {
    const total = this.rows * this.cols;
    return total === 0 ? 0 : this.nnz / total;
  }

  /** Makes room for blocks of up to `rows` rows (e.g. `sx.reserve(batchSize)` up front). */
  reserve(rows: number): void {
    if (rows <= this.capacity) return;
    const cap = rows * this.cols;
    this.rowPtr = allocInts(rows + 1);
    this.colIdx = allocInts(cap);
    this.values = allocFloats(cap);
    this.rowIdx = allocInts(cap);
    this.colValues = allocFloats(cap);
    this.offsets = new Int32Array(Math.max(cap, this.cols));
    this.capacity = rows;
  }

  /**
   * Scans the dense block `x` (rows × cols, row-major) and builds both index lists.
   *
   * @example
   * ```ts
   * if (sx.load(x, rows).density < 0.5) sparseGemmNN(sx, n, W1t, a1, 1, 1);
   * ```
   */
  load(x: FloatArray, rows: number): this {
    checkDims('SparseMatrix.load', rows, 0, 0, 'rows');
    checkLength('SparseMatrix.load', 'x', x, rows * this.cols);
    this.reserve(rows);
    const w = activeWasm();
    const done = w !== undefined && x instanceof Float32Array ? w.sparseLoad(this, x, rows, this.cursor) : undefined;
    if (done !== undefined) {
      this.rows = rows;
      this.nnz = done.nnz;
      this.activeCount = done.active;
      return this;
    }
    const k = this.cols;
    const { rowPtr, colIdx, values, colPtr } = this;
    colPtr.fill(0);
    let q = 0;
    for (let i = 0; i < rows; i++) {
      rowPtr[i] = q;
      const base = i * k;
      for (let p = 0; p < k; p++) {
        const v = x[base + p]!;
        if (v !== 0) {
          colIdx[q] = p;
          values[q] = v;
          colPtr[p + 1]!++;
          q++;
        }
      }
    }
    rowPtr[rows] = q;
    this.rows = rows;
    this.nnz = q;
    // Counting sort of the CSR entries by column; walking rows in order keeps each column's rows increasing.
    let active = 0;
    for (let p = 0; p < k; p++) {
      if (colPtr[p + 1] !== 0) this.activeCols[active++] = p;
      colPtr[p + 1]! += colPtr[p]!;
    }
    this.activeCount = active;
    const fill = this.offsets; // borrowed as per-column write cursors
    for (let p = 0; p < k; p++) fill[p] = colPtr[p]!;
    const { rowIdx, colValues } = this;
    for (let i = 0; i < rows; i++) {
      for (let t = rowPtr[i]!, e = rowPtr[i + 1]!; t < e; t++) {
        const p = colIdx[t]!;
        const d = fill[p]!++;
        rowIdx[d] = i;
        colValues[d] = values[t]!;
      }
    }
    return this;
  }

  /** @internal scratch of at least nnz entries for the kernels. */
  scratch(): Int32Array {
    return this.offsets;
  }
}

function put(C: FloatArray, o: number, s: number, alpha: number, beta: number): void {
  C[o] = beta === 0 ? alpha * s : alpha * s + beta * C[o]!;
}

/**
 * C(m×n) = alpha · X(m×k) · B(k×n) + beta · C for a loaded {@link SparseMatrix} X (m = X.rows,
 * k = X.cols), summing only over X's nonzeros. Bit-for-bit equal to `gemmNN(m, n, k, x, B, C, alpha, beta)`
 * on the dense x (see the arithmetic contract in gemm.ts).
 *
 * @example
 * ```ts
 * sparseGemmNN(sx.load(x, rows), nHidden, W1t, a1, 1, 1);
 * ```
 */
export function sparseGemmNN(X: SparseMatrix, n: number, B: FloatArray, C: FloatArray, alpha = 1, beta = 0): void {
  const m = X.rows;
  checkDims('sparseGemmNN', n, 0, 0, 'n');
  checkLength('sparseGemmNN', 'B', B, X.cols * n);
  checkLength('sparseGemmNN', 'C', C, m * n);
  const w = activeWasm();
  if (w !== undefined && B instanceof Float32Array && C instanceof Float32Array) return w.sparseNN(X, n, B, C, alpha, beta);
  const { rowPtr, colIdx, values } = X;
  const off = X.scratch();
  for (let q = 0; q < X.nnz; q++) off[q] = colIdx[q]! * n;
  const n12 = n - (n % 12);
  const n4 = n - (n % 4);
  // One row at a time with 12 column accumulators: rows have different nonzero sets, so blocking
  // over rows would add zero terms; 12 accumulators measured best for n = 256 and n = 1000.
  for (let i = 0; i < m; i++) {
    const q0 = rowPtr[i]!, q1 = rowPtr[i + 1]!;
    const co = i * n;
    let j = 0;
    for (; j < n12; j += 12) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0, s8 = 0, s9 = 0, s10 = 0, s11 = 0;
      for (let q = q0; q < q1; q++) {
        const a = values[q]!;
        const b = off[q]! + j;
        s0 += a * B[b]!; s1 += a * B[b + 1]!; s2 += a * B[b + 2]!; s3 += a * B[b + 3]!;
        s4 += a * B[b + 4]!; s5 += a * B[b + 5]!; s6 += a * B[b + 6]!; s7 += a * B[b + 7]!;
        s8 += a * B[b + 8]!; s9 += a * B[b + 9]!; s10 += a * B[b + 10]!; s11 += a * B[b + 11]!;
      }
      const o = co + j;
      put(C, o, s0, alpha, beta); put(C, o + 1, s1, alpha, beta); put(C, o + 2, s2, alpha, beta); put(C, o + 3, s3, alpha, beta);
      put(C, o + 4, s4, alpha, beta); put(C, o + 5, s5, alpha, beta); put(C, o + 6, s6, alpha, beta); put(C, o + 7, s7, alpha, beta);
      put(C, o + 8, s8, alpha, beta); put(C, o + 9, s9, alpha, beta); put(C, o + 10, s10, alpha, beta); put(C, o + 11, s11, alpha, beta);
    }
    for (; j < n4; j += 4) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let q = q0; q < q1; q++) {
        const a = values[q]!;
        const b = off[q]! + j;
        s0 += a * B[b]!; s1 += a * B[b + 1]!; s2 += a * B[b + 2]!; s3 += a * B[b + 3]!;
      }
      const o = co + j;
      put(C, o, s0, alpha, beta); put(C, o + 1, s1, alpha, beta); put(C, o + 2, s2, alpha, beta); put(C, o + 3, s3, alpha, beta);
    }
    for (; j < n; j++) {
      let s = 0;
      for (let q = q0; q < q1; q++) s += values[q]! * B[off[q]! + j]!;
      put(C, co + j, s, alpha, beta);
    }
  }
}

/**
 * C(k×n) = alpha · X(m×k)ᵀ · B(m×n) + beta · C for a loaded {@link SparseMatrix} X, summing only
 * over X's nonzeros (column lists). Rows of C for all-zero columns of X become fround(beta·C)
 * (zero when beta is 0; untouched when beta is 1). Bit-for-bit equal to
 * `gemmTN(k, n, m, x, B, C, alpha, beta)` on the dense x.
 *
 * @example
 * ```ts
 * // dW1t = xᵀ · δ1  (x: rows×in, δ1: rows×hidden, dW1t: in×hidden)
 * sparseGemmTN(sx, nHidden, delta1, dW1t);
 * ```
 */
export function sparseGemmTN(X: SparseMatrix, n: number, B: FloatArray, C: FloatArray, alpha = 1, beta = 0): void {
  checkDims('sparseGemmTN', n, 0, 0, 'n');
  checkLength('sparseGemmTN', 'B', B, X.rows * n);
  checkLength('sparseGemmTN', 'C', C, X.cols * n);
  const w = activeWasm();
  if (w !== undefined && B instanceof Float32Array && C instanceof Float32Array) return w.sparseTN(X, n, B, C, alpha, beta);
  const { colPtr } = X;
  prepareColumnOffsets(X, n);
  for (let p = 0; p < X.cols; p++) {
    const q0 = colPtr[p]!, q1 = colPtr[p + 1]!;
    const co = p * n;
    if (q0 === q1) {
      if (beta === 0) C.fill(0, co, co + n);
      else if (beta !== 1) for (let j = co; j < co + n; j++) C[j] = beta * C[j]!;
      continue;
    }
    columnKernel(X, q0, q1, n, B, C, co, alpha, beta, false, 0);
  }
}

/**
 * Fused sparse weight update for plain SGD: W(k×n) ← W − lr · G with G = X(m×k)ᵀ · B(m×n),
 * computed row by row for the nonzero columns of X only (other rows of G are exactly zero and
 * leave W unchanged). Each element is updated in float32 arithmetic with lr rounded to float32,
 * `W[o] = W[o] ⊖ (fround(lr) ⊗ G[o])` (in JS: `W[o] - Math.fround(fround(lr) * G[o])`, which rounds
 * to the same float32), so the result is bit-for-bit that of `gemmTN(k, n, m, x, B, G)` followed by
 * that update — the plain step of the `sgd` optimizer — without ever writing G.
 *
 * @example
 * ```ts
 * sparseSgdTN(sx, nHidden, delta1, W1t, 0.1); // W1t -= 0.1 · xᵀ·δ1
 * ```
 */
export function sparseSgdTN(X: SparseMatrix, n: number, B: FloatArray, W: FloatArray, lr: number): void {
  checkDims('sparseSgdTN', n, 0, 0, 'n');
  checkLength('sparseSgdTN', 'B', B, X.rows * n);
  checkLength('sparseSgdTN', 'W', W, X.cols * n);
  const w = activeWasm();
  if (w !== undefined && B instanceof Float32Array && W instanceof Float32Array) return w.sparseTN(X, n, B, W, 1, 0, lr);
  const { colPtr, activeCols } = X;
  prepareColumnOffsets(X, n);
  for (let t = 0; t < X.activeCount; t++) {
    const p = activeCols[t]!;
    columnKernel(X, colPtr[p]!, colPtr[p + 1]!, n, B, W, p * n, 1, 1, true, Math.fround(lr));
  }
}

function prepareColumnOffsets(X: SparseMatrix, n: number): void {
  const off = X.scratch();
  const { rowIdx } = X;
  for (let q = 0; q < X.nnz; q++) off[q] = rowIdx[q]! * n;
}

/**
 * One row p of Xᵀ·B from column p's entries [q0, q1): either C[co+j] = put(alpha·S + beta·C) or,
 * when `sgd`, C[co+j] ← C ⊖ (lr ⊗ fround(S)) in float32 (lr already rounded to float32). 12 column accumulators, as in sparseGemmNN.
 */
function columnKernel(X: SparseMatrix, q0: number, q1: number, n: number, B: FloatArray, C: FloatArray, co: number,
  alpha: number, beta: number, sgd: boolean, lr: number): void {
  const vals = X.colValues;
  const off = X.scratch();
  const n12 = n - (n % 12);
  const n4 = n - (n % 4);
  let j = 0;
  for (; j < n12; j += 12) {
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0, s8 = 0, s9 = 0, s10 = 0, s11 = 0;
    for (let q = q0; q < q1; q++) {
      const a = vals[q]!;
      const b = off[q]! + j;
      s0 += a * B[b]!; s1 += a * B[b + 1]!; s2 += a * B[b + 2]!; s3 += a * B[b + 3]!;
      s4 += a * B[b + 4]!; s5 += a * B[b + 5]!; s6 += a * B[b + 6]!; s7 += a * B[b + 7]!;
      s8 += a * B[b + 8]!; s9 += a * B[b + 9]!; s10 += a * B[b + 10]!; s11 += a * B[b + 11]!;
    }
    const o = co + j;
    if (sgd) {
      C[o] = C[o]! - Math.fround(lr * Math.fround(s0)); C[o + 1] = C[o + 1]! - Math.fround(lr * Math.fround(s1));
      C[o + 2] = C[o + 2]! - Math.fround(lr * Math.fround(s2)); C[o + 3] = C[o + 3]! - Math.fround(lr * Math.fround(s3));
      C[o + 4] = C[o + 4]! - Math.fround(lr * Math.fround(s4)); C[o + 5] = C[o + 5]! - Math.fround(lr * Math.fround(s5));
      C[o + 6] = C[o + 6]! - Math.fround(lr * Math.fround(s6)); C[o + 7] = C[o + 7]! - Math.fround(lr * Math.fround(s7));
      C[o + 8] = C[o + 8]! - Math.fround(lr * Math.fround(s8)); C[o + 9] = C[o + 9]! - Math.fround(lr * Math.fround(s9));
      C[o + 10] = C[o + 10]! - Math.fround(lr * Math.fround(s10)); C[o + 11] = C[o + 11]! - Math.fround(lr * Math.fround(s11));
    } else {
      put(C, o, s0, alpha, beta); put(C, o + 1, s1, alpha, beta); put(C, o + 2, s2, alpha, beta); put(C, o + 3, s3, alpha, beta);
      put(C, o + 4, s4, alpha, beta); put(C, o + 5, s5, alpha, beta); put(C, o + 6, s6, alpha, beta); put(C, o + 7, s7, alpha, beta);
      put(C, o + 8, s8, alpha, beta); put(C, o + 9, s9, alpha, beta); put(C, o + 10, s10, alpha, beta); put(C, o + 11, s11, alpha, beta);
    }
  }
  for (; j < n4; j += 4) {
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let q = q0; q < q1; q++) {
      const a = vals[q]!;
      const b = off[q]! + j;
      s0 += a * B[b]!; s1 += a * B[b + 1]!; s2 += a * B[b + 2]!; s3 += a * B[b + 3]!;
    }
    const o = co + j;
    if (sgd) {
      C[o] = C[o]! - Math.fround(lr * Math.fround(s0)); C[o + 1] = C[o + 1]! - Math.fround(lr * Math.fround(s1));
      C[o + 2] = C[o + 2]! - Math.fround(lr * Math.fround(s2)); C[o + 3] = C[o + 3]! - Math.fround(lr * Math.fround(s3));
    } else {
      put(C, o, s0, alpha, beta); put(C, o + 1, s1, alpha, beta); put(C, o + 2, s2, alpha, beta); put(C, o + 3, s3, alpha, beta);
    }
  }
  for (; j < n; j++) {
    let s = 0;
    for (let q = q0; q < q1; q++) s += vals[q]! * B[off[q]! + j]!;
    if (sgd) C[co + j] = C[co + j]! - Math.fround(lr * Math.fround(s));
    else put(C, co + j, s, alpha, beta);
  }
}
