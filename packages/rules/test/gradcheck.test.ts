import { describe, expect, it } from 'vitest';
import { Rng } from '@credo/tensor';
import type { LossKind } from '@credo/rules';
import { batch, makeLearner } from './helpers.js';

/**
 * The network's loss recomputed from scratch in float64 with plain JS numbers, independent of the
 * kernels: W1t is (in, h1), the other W_l are (out, in).
 */
function referenceLoss(p: Record<string, Float64Array>, sizes: number[], act: string, loss: LossKind, x: Float32Array, t: Int32Array | Float32Array, rows: number): number {
  const f = (a: number): number => {
    switch (act) {
      case 'tanh': return Math.tanh(a);
      case 'sigmoid': return 1 / (1 + Math.exp(-a));
      case 'relu': return a > 0 ? a : 0;
      default: return a;
    }
  };
  const L = sizes.length - 1;
  let total = 0;
  for (let r = 0; r < rows; r++) {
    let h = Array.from(x.subarray(r * sizes[0]!, (r + 1) * sizes[0]!));
    for (let l = 1; l <= L; l++) {
      const nIn = sizes[l - 1]!, nOut = sizes[l]!;
      const W = p[l === 1 ? 'W1t' : `W${l}`]!, b = p[`b${l}`]!;
      const a: number[] = [];
      for (let j = 0; j < nOut; j++) {
        let s = b[j]!;
        for (let i = 0; i < nIn; i++) s += h[i]! * (l === 1 ? W[i * nOut + j]! : W[j * nIn + i]!);
        a.push(l < L ? f(s) : s);
      }
      h = a;
    }
    if (loss === 'softmax-ce') {
      const mx = Math.max(...h);
      const lse = Math.log(h.reduce((s, v) => s + Math.exp(v - mx), 0)) + mx;
      total += lse - h[(t as Int32Array)[r]!]!;
    } else {
      const n = sizes[L]!;
      for (let j = 0; j < n; j++) total += 0.5 * (h[j]! - (t as Float32Array)[r * n + j]!) ** 2;
    }
  }
  return total / rows;
}

const NETS = [
  { name: '5-4-3', inputs: 5, hidden: [4], outputs: 3 },
  { name: '5-4-4-3', inputs: 5, hidden: [4, 4], outputs: 3 },
];

describe('bp gradients match centered finite differences of the loss (float64 reference)', () => {
  for (const net of NETS) {
    for (const act of ['tanh', 'sigmoid', 'relu', 'linear']) {
      for (const loss of ['softmax-ce', 'mse'] as LossKind[]) {
        it(`${net.name} ${act} ${loss}`, () => {
          const rows = 3;
          const learner = makeLearner({ ...net, activation: act, loss, seed: 3 });
          const params = learner.parameters();
          // Larger-than-default weights so that every layer's contribution is visible in the gradient.
          const wrng = new Rng(99);
          for (const [k, v] of Object.entries(params)) for (let i = 0; i < v.length; i++) v[i] = k.startsWith('b') ? wrng.uniform(-0.5, 0.5) : wrng.uniform(-1, 1);
          const { x, t } = batch(new Rng(7), rows, net.inputs, net.outputs, loss, 0.3);
          const grads = learner.gradients(x, t, rows);
          expect(Object.keys(grads).sort()).toEqual(Object.keys(params).sort());
          const sizes = [net.inputs, ...net.hidden, net.outputs];
          const p64 = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Float64Array.from(v)]));
          const eps = 1e-6;
          let checked = 0, maxErr = 0;
          for (const [k, v] of Object.entries(p64)) {
            for (let i = 0; i < v.length; i++) {
              const orig = v[i]!;
              v[i] = orig + eps;
              const lp = referenceLoss(p64, sizes, act, loss, x, t, rows);
              v[i] = orig - eps;
              const lm = referenceLoss(p64, sizes, act, loss, x, t, rows);
              v[i] = orig;
              const fd = (lp - lm) / (2 * eps);
              const g = grads[k]![i]!;
              const err = Math.abs(g - fd) / (2e-5 + 1e-3 * Math.abs(fd));
              maxErr = Math.max(maxErr, err);
              if (err > 1) expect.fail(`${k}[${i}]: analytic ${g}, finite difference ${fd}`);
              checked++;
            }
          }
          expect(checked).toBeGreaterThan(30);
          // the loss the learner reports is the same loss
          const l0 = learner.trainStep(x, t, rows);
          expect(l0).toBeCloseTo(referenceLoss(p64, sizes, act, loss, x, t, rows), 5);
          expect(maxErr).toBeLessThanOrEqual(1);
        });
      }
    }
  }

  it('a deliberately wrong gradient would fail this check (the check has teeth)', () => {
    const learner = makeLearner({ inputs: 5, hidden: [4], outputs: 3, seed: 3 });
    const { x, t } = batch(new Rng(7), 3, 5, 3, 'softmax-ce', 0.3);
    const g = learner.gradients(x, t, 3);
    const p64 = Object.fromEntries(Object.entries(learner.parameters()).map(([k, v]) => [k, Float64Array.from(v)]));
    // FA's update for W1 is not the gradient: its W1t direction must disagree with finite differences.
    const fa = makeLearner({ inputs: 5, hidden: [4], outputs: 3, seed: 3, rule: 'fa' });
    const gfa = fa.gradients(x, t, 3);
    const eps = 1e-6;
    const v = p64.W1t!;
    let worst = 0;
    for (let i = 0; i < v.length; i++) {
      const orig = v[i]!;
      v[i] = orig + eps;
      const lp = referenceLoss(p64, [5, 4, 3], 'tanh', 'softmax-ce', x, t, 3);
      v[i] = orig - eps;
      const lm = referenceLoss(p64, [5, 4, 3], 'tanh', 'softmax-ce', x, t, 3);
      v[i] = orig;
      const fd = (lp - lm) / (2 * eps);
      expect(Math.abs(g.W1t![i]! - fd)).toBeLessThan(2e-5 + 1e-3 * Math.abs(fd));
      worst = Math.max(worst, Math.abs(gfa.W1t![i]! - fd) / (2e-5 + 1e-3 * Math.abs(fd)));
    }
    expect(worst).toBeGreaterThan(1);
  });
});
