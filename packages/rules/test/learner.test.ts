import { describe, expect, it } from 'vitest';
import { kernelBackend, Rng, setKernelBackend, fmaAvailable, wasmSimdAvailable, type KernelBackend } from '@credo/tensor';
import { createLearner, type LossKind } from '@credo/rules';
import { batch, differingTensors, makeLearner, snapshot, type NetSpec } from './helpers.js';

function trainSnapshot(spec: NetSpec, steps: number, rows: number, dataSeed = 1) {
  const l = makeLearner(spec);
  const rng = new Rng(dataSeed);
  for (let s = 0; s < steps; s++) {
    const { x, t } = batch(rng, rows, spec.inputs, spec.outputs, spec.loss ?? 'softmax-ce', 0.7);
    l.trainStep(x, t, rows);
  }
  return snapshot(l);
}

describe('mlp learner', () => {
  it('is deterministic: same seed, same weights after N steps; another seed differs', () => {
    const spec: NetSpec = { inputs: 20, hidden: [13, 7], outputs: 4, seed: 5, rule: 'fa' };
    const a = trainSnapshot(spec, 40, 6), b = trainSnapshot(spec, 40, 6);
    expect(differingTensors(a, b)).toEqual([]);
    const c = trainSnapshot({ ...spec, seed: 6 }, 40, 6);
    expect(differingTensors(a, c)).toEqual(Object.keys(a).sort());
  });

  it('initialises W ~ U(±1/√fan_in) and biases at 0, with W1 stored transposed', () => {
    const l = makeLearner({ inputs: 300, hidden: [200], outputs: 100 });
    const p = l.parameters();
    expect(p.W1t!.length).toBe(300 * 200);
    expect(p.W2!.length).toBe(100 * 200);
    for (const [w, fanIn] of [[p.W1t!, 300], [p.W2!, 200]] as const) {
      const bound = 1 / Math.sqrt(fanIn);
      expect(w.reduce((m, v) => Math.max(m, Math.abs(v)), 0)).toBeLessThanOrEqual(bound);
      expect(w.reduce((s, v) => s + v * v, 0) / w.length).toBeCloseTo(bound ** 2 / 3, 4);
    }
    expect(p.b1!.every((v) => v === 0) && p.b2!.every((v) => v === 0)).toBe(true);
    // W1t[i, j] is W1[j, i]: with one input-unit-hot x the pre-activation is that column of W1
    const x = new Float32Array(300);
    x[7] = 1;
    const lin = makeLearner({ inputs: 300, hidden: [200], outputs: 100, activation: 'linear' });
    const pl = lin.parameters();
    const z = lin.predict(x, 1);
    // z = W2 · (W1 x) = W2 · W1t[7, :]
    for (const k of [0, 42, 99]) {
      let s = 0;
      for (let j = 0; j < 200; j++) s += pl.W2![k * 200 + j]! * pl.W1t![7 * 200 + j]!;
      expect(z[k]).toBeCloseTo(s, 5);
    }
  });

  it("init 'uniform' with initScale 0.01 is Lillicrap's U[−0.01, 0.01] at every layer; initScale multiplies the fan-in bound", () => {
    const l = createLearner({ model: { name: 'mlp', hidden: [200], init: 'uniform', initScale: 0.01 }, rule: { name: 'fa' }, optimizer: { name: 'sgd' } },
      { inputs: 300, outputs: 100, loss: 'mse' }, 0);
    for (const w of [l.parameters().W1t!, l.parameters().W2!]) {
      expect(w.reduce((m, v) => Math.max(m, Math.abs(v)), 0)).toBeLessThanOrEqual(0.01);
      expect(w.reduce((m, v) => Math.max(m, Math.abs(v)), 0)).toBeGreaterThan(0.0099);
      expect(Math.abs(w.reduce((s, v) => s + v * v, 0) / w.length / (0.01 ** 2 / 3) - 1)).toBeLessThan(0.03);
    }
    const g = createLearner({ model: { name: 'mlp', hidden: [200], initScale: 3 }, rule: { name: 'bp' }, optimizer: { name: 'sgd' } },
      { inputs: 300, outputs: 100, loss: 'mse' }, 0);
    const base = makeLearner({ inputs: 300, hidden: [200], outputs: 100 });
    expect(g.parameters().W2![5]).toBeCloseTo(3 * base.parameters().W2![5]!, 6);
  });

  it('trains to the same weights on the wasm and js kernel backends, up to float32 rounding', () => {
    const run = (backend: KernelBackend) => {
      const prev = kernelBackend();
      setKernelBackend(backend);
      try {
        return trainSnapshot({ inputs: 50, hidden: [40, 20], outputs: 5, rule: 'fa', seed: 6 }, 30, 16);
      } finally {
        setKernelBackend(prev);
      }
    };
    if (!wasmSimdAvailable()) return;
    const j = run('js');
    for (const b of fmaAvailable() ? (['wasm', 'fma'] as const) : (['wasm'] as const)) {
      const w = run(b);
      expect(differingTensors(w, j).length, b).toBeGreaterThan(0); // two arithmetic contracts…
      for (const k of Object.keys(w)) {
        for (let i = 0; i < w[k]!.length; i++) expect(Math.abs(w[k]![i]! - j[k]![i]!), `${b} ${k}[${i}]`).toBeLessThan(1e-5); // …that agree
      }
    }
  });

  it('draws W1, W2, … in logical (out, in) order from the weights stream, and B from the feedback stream', () => {
    const l = makeLearner({ inputs: 7, hidden: [5], outputs: 3, rule: 'fa', seed: 12 });
    const p = l.parameters();
    const w = Rng.derive(12, 'model/mlp/weights');
    const W1 = new Float32Array(5 * 7), W2 = new Float32Array(3 * 5), B2 = new Float32Array(3 * 5);
    w.fillUniform(W1, -1 / Math.sqrt(7), 1 / Math.sqrt(7));
    w.fillUniform(W2, -1 / Math.sqrt(5), 1 / Math.sqrt(5));
    Rng.derive(12, 'rule/feedback').fillUniform(B2, -1 / Math.sqrt(5), 1 / Math.sqrt(5));
    const W1t = new Float32Array(7 * 5);
    for (let j = 0; j < 5; j++) for (let i = 0; i < 7; i++) W1t[i * 5 + j] = W1[j * 7 + i]!;
    expect(differingTensors({ W1t: p.W1t!, W2: p.W2!, B2: p.B2! }, { W1t, W2, B2 })).toEqual([]);
  });

  it('plain sgd applies exactly W ← W − lr·grad (bitwise), on both input paths', () => {
    for (const sparseInput of ['always', 'never'] as const) {
      for (const loss of ['softmax-ce', 'mse'] as LossKind[]) {
        const l = makeLearner({ inputs: 25, hidden: [10, 6], outputs: 3, lr: 0.37, loss, options: { sparseInput } });
        const { x, t } = batch(new Rng(2), 7, 25, 3, loss, 0.8);
        const before = snapshot(l);
        const g = l.gradients(x, t, 7);
        expect(differingTensors(before, snapshot(l))).toEqual([]); // gradients() changes nothing
        l.trainStep(x, t, 7);
        const want: Record<string, Float32Array> = {};
        // the plain step in float32: W ⊖ (fround(lr) ⊗ g)
        for (const [k, w] of Object.entries(before)) want[k] = Float32Array.from(w, (v, i) => v - Math.fround(Math.fround(0.37) * g[k]![i]!));
        expect(differingTensors(snapshot(l), want)).toEqual([]);
      }
    }
  });

  it('gives bit-identical results on the sparse and dense input paths (plain sgd and momentum with decay)', () => {
    for (const opt of [{}, { momentum: 0.9, weightDecay: 1e-3 }]) {
      const base: NetSpec = { inputs: 40, hidden: [24], outputs: 6, rule: 'fa', seed: 2, ...opt };
      const snaps = (['always', 'never', 'auto'] as const).map((sparseInput) => trainSnapshot({ ...base, options: { sparseInput } }, 30, 9));
      expect(differingTensors(snaps[0]!, snaps[1]!)).toEqual([]);
      expect(differingTensors(snaps[0]!, snaps[2]!)).toEqual([]);
    }
  });

  it('predicts in chunks exactly as row by row, without changing parameters', () => {
    const l = makeLearner({ inputs: 16, hidden: [8], outputs: 3 });
    const { x, t } = batch(new Rng(3), 600, 16, 3, 'softmax-ce');
    l.trainStep(x, t, 32);
    const before = snapshot(l);
    const all = l.predict(x, 600);
    expect(all.length).toBe(1800);
    for (const r of [0, 1, 255, 256, 599]) {
      const one = l.predict(x.subarray(r * 16, r * 16 + 16), 1);
      for (let j = 0; j < 3; j++) expect(Object.is(one[j], all[r * 3 + j])).toBe(true);
    }
    expect(differingTensors(before, snapshot(l))).toEqual([]);
  });

  it('handles changing batch sizes (buffers grow and are reused) identically to fresh learners', () => {
    const spec: NetSpec = { inputs: 10, hidden: [6], outputs: 3, seed: 9 };
    const rng = new Rng(4);
    const batches = [3, 1, 8, 2, 8].map((rows) => ({ rows, ...batch(rng, rows, 10, 3, 'softmax-ce') }));
    const a = makeLearner(spec);
    for (const b of batches) a.trainStep(b.x, b.t, b.rows);
    // the same steps, but each batch padded inside a bigger array: only `rows` rows may be read
    const b2 = makeLearner(spec);
    for (const b of batches) {
      const x = new Float32Array(b.x.length + 50).fill(Number.NaN);
      x.set(b.x);
      b2.trainStep(x, b.t, b.rows);
    }
    expect(differingTensors(snapshot(a), snapshot(b2))).toEqual([]);
  });

  it('learns: loss falls on a learnable classification task and a regression task', () => {
    // classification: label = argmax of a fixed linear map of x
    const rng = new Rng(10);
    const T = new Float32Array(4 * 12);
    rng.fillNormal(T, 0, 1);
    for (const rule of ['bp', 'fa', 'dfa']) {
      const l = makeLearner({ inputs: 12, hidden: [32], outputs: 4, rule, lr: 0.5, seed: 1 });
      const data = new Rng(11);
      const losses: number[] = [];
      for (let s = 0; s < 400; s++) {
        const { x } = batch(data, 16, 12, 4, 'softmax-ce', 0);
        const y = new Int32Array(16);
        for (let r = 0; r < 16; r++) {
          let best = 0, bv = -Infinity;
          for (let k = 0; k < 4; k++) {
            let v = 0;
            for (let i = 0; i < 12; i++) v += T[k * 12 + i]! * (x[r * 12 + i]! - 0.5);
            if (v > bv) { bv = v; best = k; }
          }
          y[r] = best;
        }
        losses.push(l.trainStep(x, y, 16));
      }
      const first = losses.slice(0, 20).reduce((a, b) => a + b) / 20, last = losses.slice(-20).reduce((a, b) => a + b) / 20;
      expect(last, rule).toBeLessThan(0.5 * first);
    }
    // regression: t = A·x
    const A = new Float32Array(2 * 5);
    rng.fillUniform(A, -1, 1);
    const l = makeLearner({ inputs: 5, hidden: [16], outputs: 2, loss: 'mse', lr: 0.1 });
    const data = new Rng(12);
    const losses: number[] = [];
    for (let s = 0; s < 300; s++) {
      const { x } = batch(data, 8, 5, 2, 'mse', 0);
      const t = new Float32Array(16);
      for (let r = 0; r < 8; r++) for (let k = 0; k < 2; k++) for (let i = 0; i < 5; i++) t[r * 2 + k]! += A[k * 5 + i]! * x[r * 5 + i]!;
      losses.push(l.trainStep(x, t, 8));
    }
    expect(losses.slice(-20).reduce((a, b) => a + b) / 20).toBeLessThan(0.2 * (losses.slice(0, 20).reduce((a, b) => a + b) / 20));
  });

  it('rejects malformed batches with SHAPE_MISMATCH and bad labels with BAD_PARAM', () => {
    const l = makeLearner({ inputs: 4, hidden: [3], outputs: 2 });
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as { code: string }).code;
      }
      return 'no error';
    };
    expect(code(() => l.trainStep(new Float32Array(7), new Int32Array(2), 2))).toBe('SHAPE_MISMATCH');
    expect(code(() => l.trainStep(new Float32Array(8), new Int32Array(1), 2))).toBe('SHAPE_MISMATCH');
    expect(code(() => l.trainStep(new Float32Array(8), new Float32Array(4), 2))).toBe('SHAPE_MISMATCH');
    expect(code(() => l.trainStep(new Float32Array(8), new Int32Array(2), 0))).toBe('SHAPE_MISMATCH');
    expect(code(() => l.trainStep(new Float32Array(8), Int32Array.of(0, 2), 2))).toBe('BAD_PARAM');
    expect(code(() => l.predict(new Float32Array(3), 1))).toBe('SHAPE_MISMATCH');
    const m = makeLearner({ inputs: 4, hidden: [3], outputs: 2, loss: 'mse' });
    expect(code(() => m.trainStep(new Float32Array(8), new Int32Array(4), 2))).toBe('SHAPE_MISMATCH');
    expect(code(() => m.trainStep(new Float32Array(8), new Float32Array(3), 2))).toBe('SHAPE_MISMATCH');
    expect(code(() => createLearner({ model: { name: 'mlp' }, rule: { name: 'bp' }, optimizer: { name: 'sgd' } }, { inputs: 0, outputs: 2, loss: 'mse' }, 0))).toBe('SHAPE_MISMATCH');
    expect(code(() => createLearner({ model: { name: 'mlp' }, rule: { name: 'bp' }, optimizer: { name: 'sgd' } }, { inputs: 3, outputs: 2, loss: 'hinge' as LossKind }, 0))).toBe('BAD_PARAM');
    expect(code(() => createLearner({ model: { name: 'mlp' }, rule: { name: 'bp' }, optimizer: { name: 'sgd' } }, { inputs: 3, outputs: 2, loss: 'mse' }, 0.5))).toBe('BAD_PARAM');
  });

  it('reports a diverged step as a NaN loss rather than throwing', () => {
    const l = makeLearner({ inputs: 4, hidden: [3], outputs: 2 });
    l.parameters().W2![0] = Number.NaN;
    const loss = l.trainStep(Float32Array.of(1, 0, 0, 1), Int32Array.of(1), 1);
    expect(Number.isNaN(loss)).toBe(true);
  });
});
