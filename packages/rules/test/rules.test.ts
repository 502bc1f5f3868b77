import { describe, expect, it } from 'vitest';
import { Rng } from '@credo/tensor';
import { createLearner, pinvTransposed, type Learner } from '@credo/rules';
import { batch, differingTensors, makeLearner, snapshot, type NetSpec } from './helpers.js';

/**
 * A 1-2-2 linear net with hand-set weights: x = 1, W1 = [0.5, −0.5]ᵀ, W2 = [[1, 2], [3, 4]], b = 0,
 * so h = (0.5, −0.5), z = (−0.5, −0.5); with target t = z − (1, 0) the output error is e = (1, 0)
 * (one row, squared error). Each rule's hidden signal δh (W1's gradient, since x = 1 and the units
 * are linear) is then computable by hand.
 */
function handNet(rule: string, ruleParams: Record<string, unknown> = {}, activation = 'linear') {
  const l = makeLearner({ inputs: 1, hidden: [2], outputs: 2, loss: 'mse', rule, ruleParams, activation });
  const p = l.parameters();
  p.W1t!.set([0.5, -0.5]);
  p.W2!.set([1, 2, 3, 4]);
  return l;
}
const X = Float32Array.of(1), T = Float32Array.of(-1.5, -0.5);

describe('each rule on a hand-computed 1-2-2 net (e = (1, 0))', () => {
  it('bp: δh = Wᵀe = (1, 2); output layer e·hᵀ = [[0.5, −0.5], [0, 0]] for every rule', () => {
    const g = handNet('bp').gradients(X, T, 1);
    expect(Array.from(g.W1t!)).toEqual([1, 2]);
    expect(Array.from(g.W2!)).toEqual([0.5, -0.5, 0, 0]);
    for (const rule of ['pbp', 'shallow', 'usf', 'frsf', 'brsf', 'kp', 'wm', 'fa']) {
      expect(Array.from(handNet(rule).gradients(X, T, 1).W2!), rule).toEqual([0.5, -0.5, 0, 0]);
    }
  });

  it('pbp: δh = W⁺e = W⁻¹e = (−2, 1.5)', () => {
    const g = handNet('pbp').gradients(X, T, 1);
    expect(g.W1t![0]).toBeCloseTo(-2, 5);
    expect(g.W1t![1]).toBeCloseTo(1.5, 5);
    expect(g.b1![0]).toBeCloseTo(-2, 5);
  });

  it('shallow: no hidden signal and no hidden update, even with momentum and weight decay', () => {
    const g = handNet('shallow').gradients(X, T, 1);
    expect(Array.from(g.W1t!)).toEqual([0, 0]);
    expect(Array.from(g.b1!)).toEqual([0, 0]);
    const spec: NetSpec = { inputs: 12, hidden: [9, 7], outputs: 3, rule: 'shallow', momentum: 0.9, weightDecay: 0.01, seed: 5 };
    const l = makeLearner(spec);
    const before = snapshot(l);
    const rng = new Rng(3);
    for (let s = 0; s < 10; s++) {
      const { x, t } = batch(rng, 4, 12, 3, 'softmax-ce');
      l.trainStep(x, t, 4);
    }
    expect(differingTensors(before, snapshot(l))).toEqual(['W3', 'b3']);
  });

  it('usf: δh = eᵀ·c·sign(W) with c = scale/√fan_in: (c, c) for W > 0', () => {
    const g = handNet('usf').gradients(X, T, 1);
    const c = 1 / Math.sqrt(2);
    expect(g.W1t![0]).toBeCloseTo(c, 6);
    expect(g.W1t![1]).toBeCloseTo(c, 6);
    const none = handNet('usf', { scale: 3, scaleBy: 'none' }).gradients(X, T, 1);
    expect(Array.from(none.W1t!)).toEqual([3, 3]);
  });

  it('frsf and brsf: δh = eᵀ·(|M| ⊙ sign(W)) with their drawn magnitudes M', () => {
    for (const rule of ['frsf', 'brsf']) {
      const l = handNet(rule);
      l.parameters().W2!.set([1, -2, 3, 4]);
      const M = Float32Array.from(l.parameters().M2!);
      const g = l.gradients(X, T, 1);
      // e = (1, 0) picks row 0 of B = (|M00|·sign(1), |M01|·sign(−2)); z changed, so recompute e
      const z0 = 1 * 0.5 + -2 * -0.5, e0 = z0 - -1.5, z1 = 3 * 0.5 + 4 * -0.5, e1 = z1 - -0.5;
      expect(g.W1t![0]).toBeCloseTo(e0 * M[0]! + e1 * M[2]!, 6);
      expect(g.W1t![1]).toBeCloseTo(-e0 * M[1]! + e1 * M[3]!, 6);
    }
  });

  it('kp and wm: δh = eᵀB with their random initial B, like fa', () => {
    for (const rule of ['kp', 'wm', 'fa']) {
      const l = handNet(rule);
      const B = Float32Array.from(l.parameters().B2!);
      const g = l.gradients(X, T, 1);
      expect(g.W1t![0], rule).toBeCloseTo(B[0]!, 6);
      expect(g.W1t![1], rule).toBeCloseTo(B[1]!, 6);
    }
  });

  it('kp: one sgd step moves B by W\'s change, then both decay by (1 − λ)', () => {
    const l = handNet('kp', { decay: 0.1 });
    const B0 = Float32Array.from(l.parameters().B2!);
    l.trainStep(X, T, 1); // lr 0.1: ΔW2 = −0.1·[[0.5, −0.5], [0, 0]]
    const W2 = l.parameters().W2!, B2 = l.parameters().B2!;
    const dW = [-0.05, 0.05, 0, 0], W0 = [1, 2, 3, 4];
    for (let i = 0; i < 4; i++) {
      expect(W2[i]).toBeCloseTo(0.9 * (W0[i]! + dW[i]!), 6);
      expect(B2[i]).toBeCloseTo(0.9 * (B0[i]! + dW[i]!), 6);
    }
    // the first layer decays too
    expect(l.parameters().W1t![0]).toBeCloseTo(0.9 * (0.5 - 0.1 * B0[0]!), 6);
  });
});

describe('pbp', () => {
  it('uses a true pseudoinverse: W·W⁺·W = W for a rank-deficient W, and δh = W⁺e', () => {
    // W2 (3×4) of rank 2: rows r0, r1, r0 + r1
    const W2 = Float32Array.of(1, 2, 0, -1, 0, 1, 1, 2, 1, 3, 1, 1);
    const P = pinvTransposed(W2, 3, 4, 0); // (W⁺)ᵀ, 3×4
    // W·W⁺·W with W⁺ = Pᵀ (4×3): (W Pᵀ) is 3×3
    const WPt = new Float64Array(9);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) WPt[i * 3 + j]! += W2[i * 4 + k]! * P[j * 4 + k]!;
    for (let i = 0; i < 3; i++) for (let k = 0; k < 4; k++) {
      let s = 0;
      for (let j = 0; j < 3; j++) s += WPt[i * 3 + j]! * W2[j * 4 + k]!;
      expect(Math.abs(s - W2[i * 4 + k]!)).toBeLessThan(1e-5);
    }
    // W W⁺ is the projector onto range(W), not the identity: rank 2 of 3
    const trace = WPt[0]! + WPt[4]! + WPt[8]!;
    expect(trace).toBeCloseTo(2, 5);
    // the rule's signal on a 1-4-3 linear net with x = 1 is W⁺e
    const l = makeLearner({ inputs: 1, hidden: [4], outputs: 3, loss: 'mse', rule: 'pbp', activation: 'linear' });
    l.parameters().W2!.set(W2);
    const x = Float32Array.of(1), t = new Float32Array(3);
    const z = l.predict(x, 1);
    const e = Array.from(z, (v, i) => v - t[i]!);
    const g = l.gradients(x, t, 1);
    for (let k = 0; k < 4; k++) {
      let want = 0;
      for (let j = 0; j < 3; j++) want += P[j * 4 + k]! * e[j]!;
      expect(g.W1t![k]).toBeCloseTo(want, 5);
    }
  });
});

describe('sign symmetry', () => {
  it('the feedback always has the signs of the W it stands for (usf, frsf, brsf), magnitudes as documented', () => {
    const rng = new Rng(8);
    for (const rule of ['usf', 'frsf', 'brsf']) {
      const l = makeLearner({ inputs: 10, hidden: [8, 6], outputs: 4, rule, seed: 2 });
      for (let s = 0; s < 5; s++) {
        const { x, t } = batch(rng, 5, 10, 4, 'softmax-ce');
        l.trainStep(x, t, 5);
        l.gradients(x, t, 5); // rebuilds B from the current W without changing it
        const p = l.parameters();
        for (const k of ['2', '3']) {
          const W = p[`W${k}`]!, B = p[`B${k}`]!;
          for (let i = 0; i < W.length; i++) expect(Math.sign(B[i]!), `${rule} B${k}[${i}]`).toBe(Math.sign(W[i]!));
          if (rule === 'usf') for (const v of B) expect(Math.abs(v)).toBeCloseTo(1 / Math.sqrt(k === '2' ? 8 : 6), 6);
          else for (let i = 0; i < W.length; i++) expect(Math.abs(B[i]!)).toBe(p[`M${k}`]![i]!);
        }
      }
    }
  });

  it('frsf keeps its magnitudes for the whole run; brsf redraws them after every update', () => {
    const rng = new Rng(9);
    const { x, t } = batch(rng, 5, 10, 4, 'softmax-ce');
    for (const [rule, changes] of [['frsf', false], ['brsf', true]] as const) {
      const l = makeLearner({ inputs: 10, hidden: [8], outputs: 4, rule });
      const M0 = Float32Array.from(l.parameters().M2!);
      l.trainStep(x, t, 5);
      expect(differingTensors({ M: M0 }, { M: l.parameters().M2! }).length > 0).toBe(changes);
      for (const v of l.parameters().M2!) expect(v).toBeGreaterThanOrEqual(0);
    }
  });
});

describe('kp', () => {
  it('‖W − B‖ (‖W − Bᵀ‖ in column convention) decays by exactly (1 − λ) per step, under sgd, momentum and adam', () => {
    const rng = new Rng(10);
    for (const optimizer of [{ name: 'sgd', lr: 0.1 }, { name: 'momentum', lr: 0.05 }, { name: 'adam', lr: 0.01, weightDecay: 1e-3 }]) {
      {
        const learner = makeLearnerWith(optimizer);
        const dist = () => ['2', '3'].map((k) => {
          const p = learner.parameters();
          const W = p[`W${k}`]!, B = p[`B${k}`]!;
          let s = 0;
          for (let i = 0; i < W.length; i++) s += (W[i]! - B[i]!) ** 2;
          return Math.sqrt(s);
        });
        let prev = dist();
        for (let s = 0; s < 30; s++) {
          const { x, t } = batch(rng, 6, 12, 4, 'softmax-ce');
          learner.trainStep(x, t, 6);
          const cur = dist();
          for (let i = 0; i < 2; i++) expect(cur[i]! / prev[i]!).toBeCloseTo(0.98, 4);
          prev = cur;
        }
      }
    }
  });

  it('reports ‖W − B‖/‖W‖ falling as B converges to W, and its signal aligns with backprop\'s', () => {
    const l = makeLearner({ inputs: 12, hidden: [9], outputs: 4, rule: 'kp', ruleParams: { decay: 0.01 }, lr: 0.5 });
    const rng = new Rng(11);
    // a learnable task (labels = argmax of a fixed linear map), so that W keeps a learned scale while decaying
    const T = new Float32Array(4 * 12);
    new Rng(12).fillNormal(T, 0, 1);
    const labelled = () => {
      const { x } = batch(rng, 8, 12, 4, 'softmax-ce', 0);
      const t = new Int32Array(8);
      for (let r = 0; r < 8; r++) {
        let best = 0, bv = -Infinity;
        for (let k = 0; k < 4; k++) {
          let v = 0;
          for (let i = 0; i < 12; i++) v += T[k * 12 + i]! * (x[r * 12 + i]! - 0.5);
          if (v > bv) { bv = v; best = k; }
        }
        t[r] = best;
      }
      return { x, t };
    };
    const probe = labelled();
    const first = l.diagnostics(probe.x, probe.t, 8);
    for (let s = 0; s < 400; s++) {
      const { x, t } = labelled();
      l.trainStep(x, t, 8);
    }
    const d = l.diagnostics(probe.x, probe.t, 8);
    expect(d['wb_dist/W2']!).toBeLessThan(0.2 * first['wb_dist/W2']!);
    expect(d['angle/kp_bp/h1']!).toBeLessThan(20);
    expect(first['angle/kp_bp/h1']!).toBeGreaterThan(40);
  });
});

describe('wm', () => {
  it('a mirror step with ρ = 1 sets B to the noise estimate yᵀx/batch of W, which approaches W as the batch grows', () => {
    const l = makeLearner({ inputs: 5, hidden: [6], outputs: 4, rule: 'wm', ruleParams: { mirrorRate: 1, mirrorBatch: 20000 }, lr: 1e-9 });
    const { x, t } = batch(new Rng(12), 2, 5, 4, 'softmax-ce');
    l.trainStep(x, t, 2);
    const { W2, B2 } = l.parameters();
    let err = 0, norm = 0;
    for (let i = 0; i < W2!.length; i++) {
      err += (W2![i]! - B2![i]!) ** 2;
      norm += W2![i]! ** 2;
    }
    expect(Math.sqrt(err / norm)).toBeLessThan(0.05);
    expect(Math.sqrt(err / norm)).toBeGreaterThan(0); // an estimate, not a copy
  });

  it('B aligns with W during training (the W–B angle falls well below 90°)', () => {
    const l = makeLearner({ inputs: 12, hidden: [16], outputs: 4, rule: 'wm', ruleParams: { mirrorRate: 0.05, mirrorBatch: 64 }, lr: 0.2 });
    const rng = new Rng(13);
    const probe = batch(rng, 8, 12, 4, 'softmax-ce');
    const start = l.diagnostics(probe.x, probe.t, 8)['wb_angle/W2']!;
    expect(start).toBeGreaterThan(60);
    for (let s = 0; s < 200; s++) {
      const b = batch(rng, 8, 12, 4, 'softmax-ce');
      l.trainStep(b.x, b.t, 8);
    }
    expect(l.diagnostics(probe.x, probe.t, 8)['wb_angle/W2']!).toBeLessThan(15);
  });
});

/** A 12-9-7-4 tanh net trained by kp (λ = 0.02) with the given optimizer. */
function makeLearnerWith(optimizer: Record<string, unknown>): Learner {
  return createLearner(
    { model: { name: 'mlp', hidden: [9, 7] }, rule: { name: 'kp', decay: 0.02 }, optimizer: optimizer as { name: string } },
    { inputs: 12, outputs: 4, loss: 'softmax-ce' }, 4,
  );
}
