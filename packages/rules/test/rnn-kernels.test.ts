import { describe, expect, it } from 'vitest';
import { createSequenceLearner, type SequenceLearner } from '@credo/rules';
import { kernelBackend, setKernelBackend, fmaAvailable, wasmSimdAvailable, type KernelBackend } from '@credo/tensor';
import { randomBatch, relErr } from './temporal-reference.js';

/**
 * The uoro rule has a GEMM-only kernel for the rnn trained on one sequence with plain SGD
 * (rules/uoro-rnn.ts). Weight decay 1e-30 changes nothing numerically but makes the optimizer
 * non-plain, which selects the generic path: the two must follow the same trajectory (the same
 * random signs, the same arithmetic up to float32 rounding). The learning rate is small enough
 * that training is not chaotic: at lr 0.02 on random targets rounding differences grow ×10 every
 * ~25 steps on either path alone.
 */
function uoro(opts: { N: number; alpha?: number; wd?: number; loss?: 'mse' | 'softmax-ce'; scaling?: string; I?: number; O?: number }): SequenceLearner {
  return createSequenceLearner(
    { model: { name: 'rnn', hidden: opts.N, alpha: opts.alpha ?? 1, gain: 1.2 }, rule: { name: 'uoro', scaling: opts.scaling ?? 'norm-balanced' }, optimizer: { name: 'sgd', lr: 0.003, momentum: 0, weightDecay: opts.wd ?? 0 } },
    { inputs: opts.I ?? 3, outputs: opts.O ?? 2, loss: opts.loss ?? 'mse' }, 5, 1,
  );
}

function train(l: SequenceLearner, steps: number, resetEvery = 0, masked = false): void {
  const b = randomBatch(31, steps, 1, l.cell.inputs, l.cell.outputs, l.cell.loss, masked);
  const I = l.cell.inputs, O = l.cell.outputs;
  for (let t = 0; t < steps; t++) {
    if (resetEvery > 0 && t % resetEvery === 0) l.reset();
    l.step(b.x.subarray(t * I, (t + 1) * I), b.y.subarray(t * O, (t + 1) * O), b.mask?.subarray(t, t + 1));
  }
}

function params(l: SequenceLearner): Float64Array {
  const p = l.parameters();
  return Float64Array.from([...p['Wt']!, ...p['Ut']!, ...p['b']!, ...p['Vt']!, ...p['c']!]);
}

describe('uoro kernel for the rnn', () => {
  const cases = [
    { name: 'vanilla, mse', N: 20 },
    { name: 'leaky α = 0.6, softmax, masked', N: 12, alpha: 0.6, loss: 'softmax-ce' as const, O: 3, masked: true },
    { name: 'no ρ scaling', N: 9, scaling: 'none' },
    { name: 'N = 64 (several flushes and folds, episodes reset every 37 steps)', N: 64, resetEvery: 37 },
  ];
  for (const c of cases) {
    it(`${c.name}: same trajectory as the generic rule`, () => {
      const fast = uoro({ ...c }), slow = uoro({ ...c, wd: 1e-30 });
      const p0 = params(fast);
      train(fast, 300, c.resetEvery ?? 0, c.masked ?? false);
      train(slow, 300, c.resetEvery ?? 0, c.masked ?? false);
      const pf = params(fast), ps = params(slow);
      // the parameters moved, and moved the same way on both paths
      expect(relErr(ps, p0)).toBeGreaterThan(1e-3);
      expect(relErr(pf.map((v, i) => v - p0[i]!), ps.map((v, i) => v - p0[i]!))).toBeLessThan(1e-3);
    });
  }
  it('writes θ back before evaluations and picks up parameters written from outside', () => {
    const l = uoro({ N: 16 });
    train(l, 50);
    const b = randomBatch(2, 20, 1, 3, 2, 'mse');
    const before = l.evaluate(b).loss;
    expect(l.evaluate(b).loss).toBe(before);
    l.parameters()['Wt']!.fill(0);
    l.parameters()['Ut']!.fill(0);
    l.parameters()['b']!.fill(0);
    // with all recurrent weights zero the state stays 0, so the output is the bias c alone
    const ev = l.evaluate(b);
    train(l, 1);
    expect(Number.isFinite(ev.loss)).toBe(true);
    const wt = l.parameters()['Wt']!;
    // one step from W = 0 moves W only by the step's rank-one term: tiny, not the old weights
    expect(Math.max(...wt.map(Math.abs))).toBeLessThan(0.05);
  });
});

describe('online rtrl with plain SGD', () => {
  /**
   * The rnn's per-step path at batch 1 — the fused readout backward, the blocked small products and
   * the plain-SGD commit (one float32 kernel pass per block that also clears its gradient) — against
   * the optimizer's generic path (weight decay 1e-30 again), on both kernel backends.
   */
  const rtrl = (N: number, wd: number): SequenceLearner => createSequenceLearner(
    { model: { name: 'rnn', hidden: N, gain: 1.2 }, rule: { name: 'rtrl', influence: 'W' }, optimizer: { name: 'sgd', lr: 0.003, momentum: 0, weightDecay: wd } },
    { inputs: 3, outputs: 5, loss: 'mse' }, 5, 1,
  );
  for (const N of [7, 16, 33]) {
    it(`N = ${N}: same trajectory as the generic optimizer path, and on the js backend; U and b stay fixed`, () => {
      const run = (wd: number, backend: KernelBackend) => {
        const prev = kernelBackend();
        setKernelBackend(backend);
        try {
          const l = rtrl(N, wd);
          const p0 = params(l);
          train(l, 200, 0, true);
          return { p0, p: params(l) };
        } finally {
          setKernelBackend(prev);
        }
      };
      const backends: KernelBackend[] = wasmSimdAvailable() ? ['wasm', ...(fmaAvailable() ? (['fma'] as const) : []), 'js'] : ['js'];
      const ref = run(1e-30, 'js');
      const dRef = ref.p.map((v, i) => v - ref.p0[i]!);
      expect(relErr(ref.p, ref.p0)).toBeGreaterThan(1e-3);
      for (const b of backends) {
        const fast = run(0, b);
        expect(relErr(fast.p.map((v, i) => v - fast.p0[i]!), dRef), b).toBeLessThan(1e-3);
        // U and b (θ after the N² entries of Wt) never move when only W is tracked
        for (let i = N * N; i < N * N + 4 * N; i++) expect(fast.p[i]).toBe(fast.p0[i]);
      }
    });
  }
});
