import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { allocFloats, nativeKernels, rnnRowPlan, Rng, sgdPlan, sgdStep, tanhInPlace, wasmSimdAvailable } from '@credo/tensor';
import { BACKENDS, firstDifference, randomMatrix, withBackend } from './helpers.js';

// The contract rnnRowPlan's native kernels keep (the JavaScript in @credo/rules' rnn model), written
// out plainly: float64 sums from +0 in increasing index, rounded once with the bias.
function rowProduct(a: Float32Array, B: Float32Array, k: number, n: number, bias: Float32Array): Float32Array {
  const C = new Float32Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += a[p]! * B[p * n + j]!;
    C[j] = s + bias[j]!;
  }
  return C;
}

function heapCopy(a: Float32Array): Float32Array {
  const h = allocFloats(a.length);
  h.set(a);
  return h;
}

interface Net {
  n: number;
  I: number;
  O: number;
  alpha: number;
  Wt: Float32Array;
  Ut: Float32Array;
  b: Float32Array;
  Vt: Float32Array;
  c: Float32Array;
}

function net(n: number, I: number, O: number, alpha: number, seed: number): Net {
  const rng = Rng.derive(seed, 'rnn-row-test');
  const m = (len: number, scale: number) => heapCopy(randomMatrix(rng, len, 0.1).map((v) => v * scale));
  return { n, I, O, alpha, Wt: m(n * n, 1.5 / Math.sqrt(n)), Ut: m(n * I, 2), b: m(n, 0.5), Vt: m(n * O, 1), c: m(O, 0.3) };
}

const built = nativeKernels()?.rnnRowBind !== undefined;

describe('rnnRowPlan: the rnn’s one-row kernels', () => {
  it('is built wherever g++ is (npm run build compiles native/rnn-row.cc with the influence kernels)', () => {
    if (spawnSync('g++', ['--version']).status !== 0) return;
    expect(built, 'packages/tensor/build/credo-native.node exports rnnRowBind').toBe(true);
  });

  // n, I, O cover the sixteen-, four- and one-column paths of the products, the eight-lane and
  // one-lane paths of tanh, q's four-row and one-row paths and the readout step's eight-, four-
  // and one-lane paths.
  for (const [n, I, O, alpha] of [[16, 8, 8, 1], [16, 8, 8, 0.3], [13, 5, 3, 1], [24, 3, 6, 0.7], [10, 2, 12, 0.5], [1, 1, 1, 1]] as const) {
    it(`n = ${n}, I = ${I}, O = ${O}, α = ${alpha}: forward, readout and readout backward follow the contract bit for bit`, () => {
      if (!built || !wasmSimdAvailable()) return;
      withBackend('wasm', () => {
        const m = net(n, I, O, alpha, n * 31 + I);
        const plan = rnnRowPlan(n, I, O, alpha, m)!;
        const rng = Rng.derive(n, 'rnn-row-operands');
        const sPrev = heapCopy(randomMatrix(rng, n, 0.1)), s = allocFloats(n), aux = allocFloats(n), y = allocFloats(O);
        sPrev[0] = -0;
        // x not in the heap (the usual case: a view of a task's sequence) and x in it.
        for (const x of [randomMatrix(rng, I).map((v) => 3 * v), heapCopy(randomMatrix(rng, I))]) {
          expect(plan.forward(sPrev, x, s, aux)).toBe(true);
          const pre = rowProduct(x, m.Ut, I, n, rowProduct(sPrev, m.Wt, n, n, m.b));
          const f = Float32Array.from(pre);
          tanhInPlace(f);
          const want = f.map((v, i) => (1 - alpha) * sPrev[i]! + alpha * v);
          expect(firstDifference(s, want), 's').toBe(-1);
          expect(firstDifference(aux, f.map((v) => 1 - v * v)), 'aux').toBe(-1);
          expect(plan.output(s, y)).toBe(true);
          expect(firstDifference(y, rowProduct(s, m.Vt, n, O, m.c)), 'y').toBe(-1);
        }
        const dy = heapCopy(randomMatrix(rng, O, 0.2)), q = allocFloats(n);
        dy[O - 1] = -0;
        const qWant = new Float32Array(n);
        for (let i = 0; i < n; i++) {
          let acc = 0;
          for (let k = 0; k < O; k++) acc += dy[k]! * m.Vt[i * O + k]!;
          qWant[i] = acc;
        }
        // q alone, then the gradients accumulated (twice, onto nonzero ones), then plain SGD folded in.
        expect(plan.backOutput(s, dy, q, undefined, undefined)).toBe(true);
        expect(firstDifference(q, qWant), 'q').toBe(-1);
        const gV = heapCopy(randomMatrix(rng, n * O)), gc = heapCopy(randomMatrix(rng, O));
        const gVWant = Float32Array.from(gV), gcWant = Float32Array.from(gc);
        for (let rep = 0; rep < 2; rep++) {
          q.fill(0);
          expect(plan.backOutput(s, dy, q, gV, gc)).toBe(true);
          for (let i = 0; i < n; i++) for (let k = 0; k < O; k++) gVWant[i * O + k] = (0 + s[i]! * dy[k]!) + gVWant[i * O + k]!;
          for (let k = 0; k < O; k++) gcWant[k] = (0 + dy[k]!) + gcWant[k]!;
          expect(firstDifference(q, qWant), 'q').toBe(-1);
          expect(firstDifference(gV, gVWant), 'gV').toBe(-1);
          expect(firstDifference(gc, gcWant), 'gc').toBe(-1);
        }
        const rate = 0.37;
        const VtWant = Float32Array.from(m.Vt), cWant = Float32Array.from(m.c);
        for (let i = 0; i < n * O; i++) gVWant[i] = (0 + s[Math.floor(i / O)]! * dy[i % O]!) + gVWant[i]!;
        for (let k = 0; k < O; k++) gcWant[k] = (0 + dy[k]!) + gcWant[k]!;
        sgdStep(n * O, rate, gVWant, VtWant, true);
        sgdStep(O, rate, gcWant, cWant, true);
        expect(plan.backOutput(s, dy, q, gV, gc, rate)).toBe(true);
        expect(firstDifference(q, qWant), 'q (from V before its step)').toBe(-1);
        expect(firstDifference(m.Vt, VtWant), 'Vt').toBe(-1);
        expect(firstDifference(m.c, cWant), 'c').toBe(-1);
        expect(firstDifference(gV, new Float32Array(n * O)), 'gV cleared').toBe(-1);
        expect(firstDifference(gc, new Float32Array(O)), 'gc cleared').toBe(-1);
      });
    });
  }

  it("tanh is the wasm kernels' tanh, bit for bit, over every magnitude and the special values", () => {
    if (!built || !wasmSimdAvailable()) return;
    withBackend('wasm', () => {
      // x reaches tanh unchanged through n = I = 1 with W = 0, U = 1, b = 0: h = (0 + 0·0 + 0) + x·1.
      const one = { Wt: heapCopy(Float32Array.of(0)), Ut: heapCopy(Float32Array.of(1)), b: allocFloats(1), Vt: allocFloats(1), c: allocFloats(1) };
      const lane = rnnRowPlan(1, 1, 1, 1, one)!;
      // And sixteen at a time (the eight-lane path) through U = I.
      const Ut = allocFloats(256);
      for (let i = 0; i < 16; i++) Ut[i * 16 + i] = 1;
      const wide = rnnRowPlan(16, 16, 1, 1, { Wt: allocFloats(256), Ut, b: allocFloats(16), Vt: allocFloats(16), c: allocFloats(1) })!;
      const rng = Rng.derive(7, 'tanh-values');
      const values: number[] = [0, 1e-45, -1e-45, 1e-38, 1e-8, -1e-8, 0.5, -0.5, 8.99, 9, 9.01, -20, 88, 1e30, 3.4e38, Infinity, -Infinity, NaN];
      for (let e = -30; e <= 6; e++) for (let t = 0; t < 40; t++) values.push((rng.next() < 0.5 ? -1 : 1) * rng.uniform(1, 2) * 2 ** e);
      const sPrev = allocFloats(16), s = allocFloats(16), aux = allocFloats(16), x = allocFloats(16);
      for (const v of values) {
        x[0] = v;
        lane.forward(sPrev, x, s, aux);
        const want = Float32Array.of(v);
        tanhInPlace(want);
        expect(firstDifference(s.subarray(0, 1), want), `tanh(${v})`).toBe(-1);
      }
      for (let i = 0; i + 16 <= values.length; i += 16) {
        const finite = values.slice(i, i + 16).map((v) => (Number.isFinite(v) ? v : 0));
        x.set(finite);
        wide.forward(sPrev, x, s, aux);
        const want = Float32Array.from(finite);
        tanhInPlace(want);
        expect(firstDifference(s, want), `tanh of values ${i}…${i + 15}`).toBe(-1);
      }
    });
  });

  it('declines (returns false, touches nothing) on the js backend and for operands outside wasm memory, and checks lengths', () => {
    if (!built || !wasmSimdAvailable()) return;
    const m = net(4, 2, 2, 1, 3);
    const plan = rnnRowPlan(4, 2, 2, 1, m)!;
    const s = allocFloats(4).fill(7), aux = allocFloats(4), x = new Float32Array(2);
    withBackend('js', () => expect(plan.forward(allocFloats(4), x, s, aux)).toBe(false));
    withBackend('wasm', () => {
      expect(plan.forward(new Float32Array(4), x, s, aux)).toBe(false);
      expect(Array.from(s)).toEqual([7, 7, 7, 7]);
      expect(() => plan.forward(allocFloats(3), x, s, aux)).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH', field: 'sPrev' }));
      expect(() => plan.output(s, allocFloats(1))).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH', field: 'y' }));
      expect(() => plan.backOutput(s, allocFloats(2), allocFloats(4), allocFloats(7), allocFloats(2), 0.1))
        .toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH', field: 'gV' }));
    });
    expect(() => rnnRowPlan(4, 2, 2, 1, { ...m, Vt: allocFloats(7) })).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH', field: 'Vt' }));
  });
});

describe('sgdPlan', () => {
  it('gives the bits of sgdStep on every backend, in wasm memory or not, and follows a backend switch', () => {
    for (const inHeap of [true, false]) {
      const rng = Rng.derive(inHeap ? 1 : 2, 'sgd-plan');
      const mk = (len: number) => (inHeap ? heapCopy(randomMatrix(rng, len)) : randomMatrix(rng, len));
      const p = mk(37), g = mk(37);
      const p2 = Float32Array.from(p), g2 = Float32Array.from(g);
      const step = sgdPlan(g, p);
      for (const backend of BACKENDS) {
        withBackend(backend, () => {
          for (const clear of [false, true]) {
            g.set(g2.map((v) => v * 1.5));
            g2.set(g);
            step(0.1, clear);
            sgdStep(37, 0.1, g2, p2, clear);
            expect(firstDifference(p, p2), `${backend} p`).toBe(-1);
            expect(firstDifference(g, g2), `${backend} g`).toBe(-1);
          }
        });
      }
    }
    expect(() => sgdPlan(new Float32Array(3), new Float32Array(4))).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH', field: 'g' }));
  });
});
