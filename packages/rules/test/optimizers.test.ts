import { describe, expect, it } from 'vitest';
import { adamOptimizer, momentumOptimizer, optimizerRegistry, sgdOptimizer } from '@credo/rules';

const f = Math.fround;

describe('adam', () => {
  it('first step moves each weight by lr·g/(|g| + ε) (m̂ = g, v̂ = g²); second step hand-computed', () => {
    const opt = adamOptimizer.create({ lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false });
    expect(opt.plainRate).toBeUndefined();
    const p = Float32Array.of(1, -1, 0.5);
    const slot = opt.add(p);
    opt.step(slot, Float32Array.of(2, -0.5, 0));
    expect(p[0]).toBe(f(1 - 0.1 * (2 / (2 + 1e-8))));
    expect(p[1]).toBe(f(-1 + 0.1 * (0.5 / (0.5 + 1e-8))));
    expect(p[2]).toBe(0.5); // zero gradient: m = v = 0, no move
    // step 2 with g = 1 on the first weight: m = 0.9·0.2 + 0.1·1 = 0.28 (m after step 1 is 0.1·2), v = 0.999·0.004 + 0.001
    const before = p[0]!;
    opt.step(slot, Float32Array.of(1, 0, 0));
    const m = 0.9 * f(0.2) + 0.1, v = 0.999 * f(0.004) + 0.001;
    const mh = m / (1 - 0.81), vh = v / (1 - 0.999 ** 2);
    expect(p[0]).toBe(f(before - (0.1 * mh) / (Math.sqrt(vh) + 1e-8)));
  });

  it('L2 weight decay enters the gradient; decoupled (AdamW) shrinks the weight directly', () => {
    const l2 = adamOptimizer.create({ lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.5, decoupled: false });
    const a = Float32Array.of(2);
    l2.step(l2.add(a), Float32Array.of(0));
    // g = 0 + 0.5·2 = 1 → the first step is lr·sign(g)
    expect(a[0]).toBeCloseTo(2 - 0.1, 6);
    const w = adamOptimizer.create({ lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.5, decoupled: true });
    const b = Float32Array.of(2);
    w.step(w.add(b), Float32Array.of(0));
    // no gradient: only the decay p·(1 − lr·λ) = 2·0.95
    expect(b[0]).toBe(f(1.9));
  });

  it('counts steps per parameter (bias correction per slot)', () => {
    const opt = adamOptimizer.create({ lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false });
    const a = Float32Array.of(0), b = Float32Array.of(0);
    const sa = opt.add(a), sb = opt.add(b);
    opt.step(sa, Float32Array.of(1));
    opt.step(sa, Float32Array.of(1));
    opt.step(sb, Float32Array.of(1));
    // b's first step is a first step: exactly lr·g/(|g| + ε)
    expect(b[0]).toBe(f(-0.01 * (1 / (1 + 1e-8))));
    expect(a[0]).toBeCloseTo(-0.02, 6);
  });
});

describe('momentum', () => {
  it('is sgd with μ = 0.9 by default (heavy ball), bit for bit', () => {
    const { info } = optimizerRegistry.get('momentum');
    expect(info.params.momentum!.default).toBe(0.9);
    const a = momentumOptimizer.create({ lr: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: false });
    const b = sgdOptimizer.create({ lr: 0.1, momentum: 0.9, weightDecay: 0.01 });
    const pa = Float32Array.of(1, -2), pb = Float32Array.of(1, -2);
    const sa = a.add(pa), sb = b.add(pb);
    for (const g of [[0.5, 1], [-1, 0.25], [2, 2]]) {
      a.step(sa, Float32Array.from(g));
      b.step(sb, Float32Array.from(g));
    }
    expect(Array.from(pa)).toEqual(Array.from(pb));
  });

  it('Nesterov: p ← p − lr·(g + μ·v), hand-computed', () => {
    const opt = momentumOptimizer.create({ lr: 0.5, momentum: 0.5, weightDecay: 0, nesterov: true });
    const p = Float32Array.of(1);
    const slot = opt.add(p);
    opt.step(slot, Float32Array.of(2)); // v = 2; p = 1 − 0.5·(2 + 1) = −0.5
    expect(p[0]).toBe(-0.5);
    opt.step(slot, Float32Array.of(2)); // v = 1 + 2 = 3; p = −0.5 − 0.5·(2 + 1.5) = −2.25
    expect(p[0]).toBe(-2.25);
  });
});
