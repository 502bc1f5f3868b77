import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allocFloats, gemmNN, gemmTN, kernelBackend, Rng, setKernelBackend, SparseMatrix, sparseGemmNN, sparseGemmTN, sparseSgdTN } from '@credo/tensor';
import { BACKENDS, firstDifference, randomMatrix, withBackend } from './helpers.js';

function expectSame(got: Float32Array, want: Float32Array, what: string): void {
  const d = firstDifference(got, want);
  if (d !== -1) expect.fail(`${what}: element ${d} is ${got[d]}, want ${want[d]}`);
}

for (const backend of BACKENDS) describe(`SparseMatrix (${backend} backend builds the lists)`, () => {
  let prev: ReturnType<typeof kernelBackend>;
  beforeAll(() => {
    prev = kernelBackend();
    setKernelBackend(backend);
  });
  afterAll(() => setKernelBackend(prev));

  it('builds row and column lists of a small block', () => {
    // [0 2 0]
    // [3 0 0]
    // [0 5 -0]
    const x = Float32Array.of(0, 2, 0, 3, 0, 0, 0, 5, -0);
    const s = new SparseMatrix(3).load(x, 3);
    expect(s.nnz).toBe(3);
    expect(s.density).toBeCloseTo(3 / 9);
    expect(Array.from(s.rowPtr.subarray(0, 4))).toEqual([0, 1, 2, 3]);
    expect(Array.from(s.colIdx.subarray(0, 3))).toEqual([1, 0, 1]);
    expect(Array.from(s.values.subarray(0, 3))).toEqual([2, 3, 5]);
    expect(Array.from(s.colPtr)).toEqual([0, 1, 3, 3]);
    expect(Array.from(s.rowIdx.subarray(0, 3))).toEqual([1, 0, 2]);
    expect(Array.from(s.colValues.subarray(0, 3))).toEqual([3, 2, 5]);
    expect(Array.from(s.activeCols.subarray(0, s.activeCount))).toEqual([0, 1]);
  });

  it('reuses and grows its buffers across loads', () => {
    const rng = new Rng(1);
    const s = new SparseMatrix(7, 2);
    for (const rows of [2, 5, 1, 9, 3]) {
      const x = randomMatrix(rng, rows * 7, 0.6);
      if (rows === 9) x[4] = Number.NaN; // NaN counts as nonzero
      s.load(x, rows);
      let nz = 0;
      for (const v of x) if (v !== 0) nz++;
      expect(s.nnz).toBe(nz);
      expect(s.rows).toBe(rows);
      // every CSR entry points at its dense value
      for (let i = 0; i < rows; i++) for (let t = s.rowPtr[i]!; t < s.rowPtr[i + 1]!; t++) expect(s.values[t]).toBe(x[i * 7 + s.colIdx[t]!]);
      // rows of the CSC lists increase within each column, and the active list is exactly the nonempty columns
      for (let p = 0; p < 7; p++) for (let t = s.colPtr[p]! + 1; t < s.colPtr[p + 1]!; t++) expect(s.rowIdx[t]!).toBeGreaterThan(s.rowIdx[t - 1]!);
      expect(Array.from(s.activeCols.subarray(0, s.activeCount))).toEqual([0, 1, 2, 3, 4, 5, 6].filter((p) => s.colPtr[p + 1]! > s.colPtr[p]!));
      for (let p = 0; p < 7; p++) for (let t = s.colPtr[p]!; t < s.colPtr[p + 1]!; t++) expect(s.colValues[t]).toBe(x[s.rowIdx[t]! * 7 + p]);
    }
  });
});

for (const backend of BACKENDS) describe(`sparse kernels (${backend} backend)`, () => {
  const shapes = [[1, 1, 1], [3, 5, 17], [5, 17, 3], [17, 13, 29], [32, 30, 50], [4, 25, 12], [6, 40, 70]] as const;
  let prev: ReturnType<typeof kernelBackend>;
  beforeAll(() => {
    prev = kernelBackend();
    setKernelBackend(backend);
  });
  afterAll(() => setKernelBackend(prev));

  it('sparseGemmNN equals dense gemmNN bit for bit, at every density, with alpha and beta', () => {
    const rng = new Rng(2);
    for (const [m, k, n] of shapes) for (const zf of [0, 0.5, 0.81, 0.99, 1]) for (const [alpha, beta] of [[1, 0], [1, 1], [0.5, -2]] as const) {
      const x = randomMatrix(rng, m * k, zf);
      const B = randomMatrix(rng, k * n);
      const C0 = randomMatrix(rng, m * n);
      const want = Float32Array.from(C0);
      gemmNN(m, n, k, x, B, want, alpha, beta);
      const got = Float32Array.from(C0);
      sparseGemmNN(new SparseMatrix(k).load(x, m), n, B, got, alpha, beta);
      expectSame(got, want, `NN m=${m} k=${k} n=${n} zeros=${zf} alpha=${alpha} beta=${beta}`);
    }
  });

  it('sparseGemmTN equals dense gemmTN bit for bit, including all-zero columns', () => {
    const rng = new Rng(3);
    for (const [m, k, n] of shapes) for (const zf of [0, 0.5, 0.81, 0.99, 1]) for (const [alpha, beta] of [[1, 0], [1, 1], [0.5, -2]] as const) {
      const x = randomMatrix(rng, m * k, zf);
      const B = randomMatrix(rng, m * n);
      const C0 = randomMatrix(rng, k * n);
      const want = Float32Array.from(C0);
      gemmTN(k, n, m, x, B, want, alpha, beta);
      const got = Float32Array.from(C0);
      sparseGemmTN(new SparseMatrix(k).load(x, m), n, B, got, alpha, beta);
      expectSame(got, want, `TN m=${m} k=${k} n=${n} zeros=${zf} alpha=${alpha} beta=${beta}`);
    }
  });

  it('sparseSgdTN equals gemmTN into G followed by the float32 step W ← W − fround(lr)·G, bit for bit', () => {
    const rng = new Rng(4);
    const lr = Math.fround(0.1);
    for (const [m, k, n] of shapes) for (const zf of [0, 0.81, 1]) {
      const x = randomMatrix(rng, m * k, zf);
      const D = randomMatrix(rng, m * n);
      const W0 = randomMatrix(rng, k * n);
      const G = new Float32Array(k * n);
      gemmTN(k, n, m, x, D, G);
      const want = Float32Array.from(W0);
      for (let i = 0; i < want.length; i++) want[i] = Math.fround(want[i]! - Math.fround(lr * G[i]!));
      for (const W of [Float32Array.from(W0), allocFloats(W0.length)]) {
        W.set(W0);
        sparseSgdTN(new SparseMatrix(k).load(x, m), n, D, W, 0.1);
        expectSame(W, want, `SGD m=${m} k=${k} n=${n} zeros=${zf}`);
      }
    }
  });

  it('rejects operands of the wrong size', () => {
    const s = new SparseMatrix(4).load(new Float32Array(8), 2);
    expect(() => sparseGemmNN(s, 3, new Float32Array(11), new Float32Array(6))).toThrow(/B has 11 elements/);
    expect(() => sparseGemmTN(s, 3, new Float32Array(6), new Float32Array(11))).toThrow(/C has 11 elements/);
    expect(() => s.load(new Float32Array(7), 2)).toThrow(/x has 7 elements/);
  });
});
