import { describe, expect, it } from 'vitest';
import { optimizerRegistry, sgdOptimizer } from '@credo/rules';

const f = Math.fround;

describe('sgd', () => {
  it('plain: p ← p ⊖ (fround(lr) ⊗ g) in float32, exactly, and advertises its rate for fusing', () => {
    const opt = sgdOptimizer.create({ lr: 0.1, momentum: 0, weightDecay: 0 });
    expect(opt.plainRate).toBe(0.1);
    const p = Float32Array.of(1, -2, 0.3);
    const slot = opt.add(p);
    opt.step(slot, Float32Array.of(0.5, 0.25, -1));
    const lr = f(0.1);
    expect(Array.from(p)).toEqual([f(1 - f(lr * 0.5)), f(-2 - f(lr * 0.25)), f(f(0.3) + lr)]);
    expect(Array.from(p)).toEqual([f(0.95), f(-2.025), f(0.4)]);
    // a step below half an ulp of 1 rounds away in float32
    const q = Float32Array.of(1);
    const o2 = sgdOptimizer.create({ lr: 1, momentum: 0, weightDecay: 0 });
    o2.step(o2.add(q), Float32Array.of(f(3e-8)));
    expect(q[0]).toBe(f(1 - f(3e-8)));
  });

  it('momentum: v ← μv + g; p ← p − lr·v (hand-computed two steps)', () => {
    const opt = sgdOptimizer.create({ lr: 0.5, momentum: 0.5, weightDecay: 0 });
    expect(opt.plainRate).toBeUndefined();
    const p = Float32Array.of(1);
    const slot = opt.add(p);
    opt.step(slot, Float32Array.of(2)); // v = 2, p = 1 − 1 = 0
    expect(p[0]).toBe(0);
    opt.step(slot, Float32Array.of(2)); // v = 1 + 2 = 3, p = 0 − 1.5
    expect(p[0]).toBe(-1.5);
  });

  it('weight decay adds λ·p to the gradient', () => {
    const opt = sgdOptimizer.create({ lr: 0.5, momentum: 0, weightDecay: 0.5 });
    expect(opt.plainRate).toBeUndefined();
    const p = Float32Array.of(2, -4);
    const slot = opt.add(p);
    opt.step(slot, Float32Array.of(0, 1)); // g' = (1, −1): p = (1.5, −3.5)
    expect(Array.from(p)).toEqual([1.5, -3.5]);
  });

  it('keeps one state per parameter', () => {
    const opt = sgdOptimizer.create({ lr: 1, momentum: 0.5, weightDecay: 0 });
    const a = Float32Array.of(0), b = Float32Array.of(0);
    const sa = opt.add(a), sb = opt.add(b);
    opt.step(sa, Float32Array.of(1));
    opt.step(sb, Float32Array.of(-1));
    opt.step(sa, Float32Array.of(0));
    expect(a[0]).toBe(-1.5);
    expect(b[0]).toBe(1);
  });

  it('has the documented schema and rejects momentum 1 and short gradients', () => {
    const { info } = optimizerRegistry.get('sgd');
    expect(Object.keys(info.params).sort()).toEqual(['lr', 'momentum', 'weightDecay']);
    expect(info.params.lr!.default).toBe(0.1);
    expect(() => sgdOptimizer.create({ lr: 0.1, momentum: 1, weightDecay: 0 })).toThrow(/momentum/);
    const opt = sgdOptimizer.create({ lr: 0.1, momentum: 0, weightDecay: 0 });
    const s = opt.add(new Float32Array(3));
    expect(() => opt.step(s, new Float32Array(2))).toThrow(/gradient has 2 elements/);
  });
});
