import { describe, expect, it } from 'vitest';
import { allocFloats, gemmNN, gemmNT, gemmTN, Rng } from '@credo/tensor';
import { BACKENDS, firstDifference, randomMatrix, referenceGemm, withBackend, type Form } from './helpers.js';

const KERNELS = { NN: gemmNN, NT: gemmNT, TN: gemmTN } as const;
const SIZES = [1, 3, 4, 5, 8, 17];

describe('gemm kernels', () => {
  it('the reference itself matches a hand-computed product', () => {
    // [1 2; 3 4]·[5 6; 7 8] = [19 22; 43 50]
    const C = referenceGemm('NN', 2, 2, 2, Float32Array.of(1, 2, 3, 4), Float32Array.of(5, 6, 7, 8), new Float32Array(4), 1, 0);
    expect(Array.from(C)).toEqual([19, 22, 43, 50]);
    const out = new Float32Array(4);
    gemmNN(2, 2, 2, Float32Array.of(1, 2, 3, 4), Float32Array.of(5, 6, 7, 8), out);
    expect(Array.from(out)).toEqual([19, 22, 43, 50]);
    // Aᵀ·B with A stored (k×m) = [1 3; 2 4] is the same product
    gemmTN(2, 2, 2, Float32Array.of(1, 3, 2, 4), Float32Array.of(5, 6, 7, 8), out);
    expect(Array.from(out)).toEqual([19, 22, 43, 50]);
    // A·Bᵀ with B stored (n×k) = [5 7; 6 8]
    gemmNT(2, 2, 2, Float32Array.of(1, 2, 3, 4), Float32Array.of(5, 7, 6, 8), out);
    expect(Array.from(out)).toEqual([19, 22, 43, 50]);
  });

  for (const backend of BACKENDS) for (const form of ['NN', 'NT', 'TN'] as Form[]) {
    it(`${backend}: gemm${form} equals the naive reference of its contract bit for bit on odd sizes, with alpha and beta`, () => {
      withBackend(backend, () => {
        const rng = new Rng(11);
        let cases = 0;
        for (const m of SIZES) for (const n of SIZES) for (const k of [0, ...SIZES, 33]) {
          const A = randomMatrix(rng, m * k);
          const B = randomMatrix(rng, k * n);
          for (const [alpha, beta] of [[1, 0], [1, 1], [-0.3, 0.5], [2, -1]] as const) {
            const C0 = randomMatrix(rng, m * n);
            const want = referenceGemm(form, m, n, k, A, B, C0, alpha, beta, backend);
            const got = Float32Array.from(C0);
            KERNELS[form](m, n, k, A, B, got, alpha, beta);
            const d = firstDifference(got, want);
            if (d !== -1) expect.fail(`gemm${form} m=${m} n=${n} k=${k} alpha=${alpha} beta=${beta}: element ${d} is ${got[d]}, want ${want[d]}`);
            cases++;
          }
        }
        expect(cases).toBe(SIZES.length ** 2 * (SIZES.length + 2) * 4);
      });
    });
  }

  it('wasm: large shapes (row chunks, packed and unpacked B, edge panels, 2- and 1-row tails) follow the float32 contract, in place or copied', () => {
    if (!BACKENDS.includes('wasm')) return;
    withBackend('wasm', () => {
      const rng = new Rng(21);
      for (const [m, n, k] of [[37, 61, 129], [133, 70, 20], [16, 9, 300], [3, 1000, 50], [2, 530, 137], [6, 45, 33], [260, 17, 8]] as const) {
        for (const form of ['NN', 'NT', 'TN'] as Form[]) {
          const A = randomMatrix(rng, m * k), B = randomMatrix(rng, k * n), C0 = randomMatrix(rng, m * n);
          const want = referenceGemm(form, m, n, k, A, B, C0, 1, 1, 'wasm');
          // plain arrays (copied into wasm memory and back) and wasm-resident ones give the same bits
          const plain = Float32Array.from(C0);
          KERNELS[form](m, n, k, A, B, plain, 1, 1);
          const a = allocFloats(A.length), b = allocFloats(B.length), c = allocFloats(C0.length);
          a.set(A); b.set(B); c.set(C0);
          KERNELS[form](m, n, k, a, b, c, 1, 1);
          for (const got of [plain, c]) {
            const d = firstDifference(got, want);
            if (d !== -1) expect.fail(`gemm${form} ${m}×${n}×${k}: element ${d} is ${got[d]}, want ${want[d]}`);
          }
        }
      }
    });
  });

  it('the wasm and js backends agree to float32 rounding (and differ somewhere: they are different contracts)', () => {
    if (!BACKENDS.includes('wasm')) return;
    const rng = new Rng(22);
    const m = 33, n = 45, k = 500;
    let differ = 0;
    for (const form of ['NN', 'NT', 'TN'] as Form[]) {
      const A = randomMatrix(rng, m * k), B = randomMatrix(rng, k * n);
      const cw = withBackend('wasm', () => { const c = new Float32Array(m * n); KERNELS[form](m, n, k, A, B, c); return c; });
      const cj = withBackend('js', () => { const c = new Float32Array(m * n); KERNELS[form](m, n, k, A, B, c); return c; });
      for (let i = 0; i < cw.length; i++) {
        // |error| of a float32-accumulated sum of k products of magnitude ≤ 1: ≲ k·2⁻²⁴·(partial sums)
        expect(Math.abs(cw[i]! - cj[i]!)).toBeLessThan(2e-5 * Math.sqrt(k) * 4);
        if (cw[i] !== cj[i]) differ++;
      }
    }
    expect(differ).toBeGreaterThan(0);
  });

  it('js: agrees with float32-accumulated products to rounding error (the reference is not fooling itself)', () => {
    const rng = new Rng(12);
    const m = 7, n = 9, k = 300;
    const A = randomMatrix(rng, m * k), B = randomMatrix(rng, k * n);
    const C = new Float32Array(m * n);
    withBackend('js', () => gemmNN(m, n, k, A, B, C));
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s = Math.fround(s + Math.fround(A[i * k + p]! * B[p * n + j]!));
      expect(Math.abs(C[i * n + j]! - s)).toBeLessThan(1e-4 * Math.sqrt(k));
    }
  });

  it('does not read C when beta is 0 (NaN garbage in C is overwritten), on every backend', () => {
    const rng = new Rng(13);
    for (const backend of BACKENDS) for (const form of ['NN', 'NT', 'TN'] as Form[]) {
      const A = randomMatrix(rng, 5 * 6), B = randomMatrix(rng, 6 * 7);
      const C = new Float32Array(5 * 7).fill(Number.NaN);
      withBackend(backend, () => KERNELS[form](5, 7, 6, A, B, C));
      expect(C.every(Number.isFinite)).toBe(true);
    }
  });

  it('rejects arrays that are too short and bad dimensions', () => {
    const a = new Float32Array(6), b = new Float32Array(6), c = new Float32Array(3);
    expect(() => gemmNN(2, 2, 3, a, b, c)).toThrow(/C has 3 elements, needs at least 4/);
    expect(() => gemmNT(2, 2, 4, a, b, new Float32Array(4))).toThrow(/A has 6 elements/);
    expect(() => gemmTN(-1, 2, 3, a, b, c)).toThrow(/dimension m/);
    try {
      gemmNN(2, 2, 3, a, b, c);
    } catch (e) {
      expect((e as { code: string }).code).toBe('SHAPE_MISMATCH');
    }
  });
});
