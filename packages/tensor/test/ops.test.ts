import { describe, expect, it } from 'vitest';
import {
  activate, angleDegrees, argmaxRows, axpy, broadcastRows, colSums, dot, meanSquaredError, mulActivationDerivative,
  allocFloats, Rng, rowSums, scale, sgdStep, softmaxCrossEntropy, transpose, type Activation,
} from '@credo/tensor';
import { BACKENDS, randomMatrix, withBackend } from './helpers.js';

const f32 = (xs: number[]) => Float32Array.from(xs);

describe('elementwise', () => {
  it('applies each activation and multiplies by its derivative', () => {
    const a = [-2, -0.5, 0, 0.5, 3];
    const cases: [Activation, (x: number) => number, (x: number) => number][] = [
      ['tanh', Math.tanh, (x) => 1 - Math.tanh(x) ** 2],
      ['sigmoid', (x) => 1 / (1 + Math.exp(-x)), (x) => Math.exp(-x) / (1 + Math.exp(-x)) ** 2],
      ['relu', (x) => Math.max(0, x), (x) => (x > 0 ? 1 : 0)],
      ['linear', (x) => x, () => 1],
    ];
    for (const [kind, f, df] of cases) {
      const h = f32(a);
      activate(kind, h);
      a.forEach((x, i) => expect(h[i]).toBeCloseTo(f(x), 6));
      const d = f32([1, 2, -1, 0.5, 3]);
      const d0 = Array.from(d);
      mulActivationDerivative(kind, h, d);
      a.forEach((x, i) => expect(d[i]).toBeCloseTo(d0[i]! * df(x), 5));
    }
  });

  it('keeps NaN visible through relu', () => {
    const h = f32([Number.NaN, -1]);
    activate('relu', h);
    expect(Number.isNaN(h[0])).toBe(true);
    expect(h[1]).toBe(0);
  });

  it('rejects an unknown activation', () => {
    expect(() => activate('softplus' as Activation, f32([1]))).toThrow(/unknown activation/);
  });

  it('broadcasts rows, axpy, scale and transpose', () => {
    const C = new Float32Array(6);
    broadcastRows(f32([1, 2, 3]), C, 2, 3);
    expect(Array.from(C)).toEqual([1, 2, 3, 1, 2, 3]);
    const y = f32([1, 1, 1]);
    axpy(3, -2, f32([1, 2, 3]), y);
    expect(Array.from(y)).toEqual([-1, -3, -5]);
    scale(2, 0.5, y);
    expect(Array.from(y)).toEqual([-0.5, -1.5, -5]);
    const t = new Float32Array(6);
    transpose(f32([1, 2, 3, 4, 5, 6]), 2, 3, t);
    expect(Array.from(t)).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('sgdStep is float32 SGD, bit for bit on both backends, in or out of wasm memory, and clears the gradient on request', () => {
    const rng = new Rng(11);
    for (const len of [1, 3, 4, 7, 16, 37]) {
      const p0 = randomMatrix(rng, len), g0 = randomMatrix(rng, len, 0.2);
      g0[0] = -0;
      const lr = 0.01, r = Math.fround(lr);
      const want = p0.map((v, i) => Math.fround(v - Math.fround(r * g0[i]!)));
      for (const backend of BACKENDS) {
        for (const inWasm of [true, false]) {
          const p = inWasm ? allocFloats(len) : new Float32Array(len), g = inWasm ? allocFloats(len) : new Float32Array(len);
          p.set(p0);
          g.set(g0);
          withBackend(backend, () => sgdStep(len, lr, g, p));
          expect(p, `${backend} ${len}`).toEqual(want);
          expect(g).toEqual(g0);
          p.set(p0);
          withBackend(backend, () => sgdStep(len - 1, lr, g, p, true));
          expect(Array.from(p.subarray(0, len - 1))).toEqual(Array.from(want.subarray(0, len - 1)));
          expect(p[len - 1]).toBe(p0[len - 1]);
          expect(Array.from(g.subarray(0, len - 1)).every((v) => v === 0)).toBe(true);
          expect(g[len - 1]).toBe(g0[len - 1]);
        }
      }
    }
  });
});

describe('reductions', () => {
  it('sums rows and columns, with alpha and beta', () => {
    const A = f32([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]); // 2×5
    const c = new Float32Array(5);
    colSums(A, 2, 5, c);
    expect(Array.from(c)).toEqual([7, 9, 11, 13, 15]);
    colSums(A, 2, 5, c, -1, 1);
    expect(Array.from(c)).toEqual([0, 0, 0, 0, 0]);
    const r = f32([100, 100]);
    rowSums(A, 2, 5, r, 2, 1);
    expect(Array.from(r)).toEqual([130, 180]);
  });

  it('takes the row argmax with ties to the lowest index and NaN never winning', () => {
    const A = f32([1, 3, 3, 0, Number.NaN, 2, 5, 5, Number.NaN, Number.NaN, Number.NaN, Number.NaN]); // 3×4
    const out = new Int32Array(3);
    argmaxRows(A, 3, 4, out);
    expect(Array.from(out)).toEqual([1, 2, 0]);
  });

  it('measures dot products and angles', () => {
    expect(dot(f32([1, 2, 3]), f32([4, 5, 6]))).toBe(32);
    expect(angleDegrees(f32([1, 0]), f32([0, 2]))).toBeCloseTo(90, 10);
    expect(angleDegrees(f32([1, 1]), f32([2, 2]))).toBeCloseTo(0, 5);
    expect(angleDegrees(f32([1, 1]), f32([-1, -1]))).toBeCloseTo(180, 5);
    expect(angleDegrees(f32([1, 0]), f32([1, 1]))).toBeCloseTo(45, 10);
    expect(Number.isNaN(angleDegrees(f32([0, 0]), f32([1, 1])))).toBe(true);
  });
});

describe('losses', () => {
  function naiveSoftmaxCE(z: number[], y: number[], n: number) {
    const m = y.length;
    let loss = 0;
    const e: number[] = [];
    for (let i = 0; i < m; i++) {
      const row = z.slice(i * n, i * n + n);
      const ex = row.map(Math.exp);
      const s = ex.reduce((a, b) => a + b, 0);
      loss += -Math.log(ex[y[i]!]! / s);
      ex.forEach((v, j) => e.push((v / s - (j === y[i] ? 1 : 0)) / m));
    }
    return { loss: loss / m, e };
  }

  it('softmax cross-entropy matches the textbook formula and its gradient', () => {
    const z = [0.1, -1, 2, 0.5, 0.3, 0.3, -2, 1, 0];
    const y = [2, 0, 1];
    const e = new Float32Array(9);
    const loss = softmaxCrossEntropy(f32(z), Int32Array.from(y), 3, 3, e);
    const want = naiveSoftmaxCE(Array.from(f32(z)), y, 3);
    expect(loss).toBeCloseTo(want.loss, 6);
    want.e.forEach((v, i) => expect(e[i]).toBeCloseTo(v, 6));
    // each row of e sums to zero
    for (let i = 0; i < 3; i++) expect(Math.abs(e[3 * i]! + e[3 * i + 1]! + e[3 * i + 2]!)).toBeLessThan(1e-7);
  });

  it('softmax cross-entropy is stable for huge logits', () => {
    const e = new Float32Array(3);
    const loss = softmaxCrossEntropy(f32([1000, 0, -1000]), Int32Array.of(1), 1, 3, e);
    expect(loss).toBeCloseTo(1000, 3);
    expect(Array.from(e)).toEqual([1, -1, 0]);
    expect(softmaxCrossEntropy(f32([1e30, 1e30]), Int32Array.of(0), 1, 2)).toBeCloseTo(Math.log(2), 6);
  });

  it('softmax cross-entropy rejects labels out of range', () => {
    expect(() => softmaxCrossEntropy(f32([0, 0]), Int32Array.of(2), 1, 2)).toThrow(/label out of range/);
    expect(() => softmaxCrossEntropy(f32([0, 0]), Int32Array.of(-1), 1, 2)).toThrow(/label out of range/);
  });

  it('mean squared error is ½‖y−t‖² averaged over rows, with e = (y−t)/m', () => {
    const e = new Float32Array(4);
    const loss = meanSquaredError(f32([1, 2, 3, 4]), f32([0, 0, 3, 6]), 2, 2, e);
    // row 0: ½(1+4) = 2.5; row 1: ½(0+4) = 2; mean 2.25
    expect(loss).toBe(2.25);
    expect(Array.from(e)).toEqual([0.5, 1, 0, -1]);
  });
});
