import { describe, expect, it } from 'vitest';
import { Rng } from '@credo/tensor';
import { batch, differingTensors, makeLearner, snapshot, type NetSpec } from './helpers.js';

function train(spec: NetSpec, steps: number, rows: number, dataSeed = 1) {
  const learner = makeLearner(spec);
  const rng = new Rng(dataSeed);
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    const { x, t } = batch(rng, rows, spec.inputs, spec.outputs, spec.loss ?? 'softmax-ce', 0.6);
    losses.push(learner.trainStep(x, t, rows));
  }
  return { learner, losses };
}

describe('fa and dfa', () => {
  it('are bit-for-bit identical with one hidden layer after many steps', () => {
    const base: NetSpec = { inputs: 30, hidden: [17], outputs: 5, seed: 4 };
    const fa = train({ ...base, rule: 'fa' }, 300, 8);
    const dfa = train({ ...base, rule: 'dfa' }, 300, 8);
    const pf = snapshot(fa.learner), pd = snapshot(dfa.learner);
    // fa names its feedback matrix after the W it replaces (B2), dfa after the layer it feeds (B1)
    expect(Object.keys(pf).sort()).toEqual(['B2', 'W1t', 'W2', 'b1', 'b2']);
    expect(Object.keys(pd).sort()).toEqual(['B1', 'W1t', 'W2', 'b1', 'b2']);
    const { B2, ...fRest } = pf;
    const { B1, ...dRest } = pd;
    expect(differingTensors({ B: B2! }, { B: B1! })).toEqual([]);
    expect(differingTensors(fRest, dRest)).toEqual([]);
    expect(fa.losses.every((l, i) => Object.is(l, dfa.losses[i]))).toBe(true);
    // and the weights did move
    const init = snapshot(makeLearner({ ...base, rule: 'fa' }));
    expect(differingTensors(init, pf)).toEqual(['W1t', 'W2', 'b1', 'b2']);
  });

  it('are identical with one hidden layer for every activation, the normal law, mse, and momentum', () => {
    for (const activation of ['sigmoid', 'relu']) {
      const base: NetSpec = { inputs: 12, hidden: [9], outputs: 4, activation, seed: 8, ruleParams: { distribution: 'normal', scale: 0.7 }, momentum: 0.9, loss: 'mse' };
      const a = snapshot(train({ ...base, rule: 'fa' }, 50, 5).learner);
      const b = snapshot(train({ ...base, rule: 'dfa' }, 50, 5).learner);
      const { B2: _fb, ...fw } = a;
      const { B1: _db, ...dw } = b;
      expect(differingTensors(fw, dw)).toEqual([]);
      expect(differingTensors({ B: a.B2! }, { B: b.B1! })).toEqual([]);
    }
  });

  it('differ with two hidden layers', () => {
    const base: NetSpec = { inputs: 30, hidden: [17, 11], outputs: 5, seed: 4 };
    const fa = snapshot(train({ ...base, rule: 'fa' }, 20, 8).learner);
    const dfa = snapshot(train({ ...base, rule: 'dfa' }, 20, 8).learner);
    expect(Object.keys(fa).sort()).toEqual(['B2', 'B3', 'W1t', 'W2', 'W3', 'b1', 'b2', 'b3']);
    expect(Object.keys(dfa).sort()).toEqual(['B1', 'B2', 'W1t', 'W2', 'W3', 'b1', 'b2', 'b3']);
    expect(differingTensors(fa, dfa)).toEqual(['B1', 'B2', 'B3', 'W1t', 'W2', 'W3', 'b1', 'b2', 'b3']);
    // After one step only the hidden layers differ: the top layer learns from e·h2 in both, and h2
    // still came from the same initial weights.
    const fa1 = snapshot(train({ ...base, rule: 'fa' }, 1, 8).learner);
    const dfa1 = snapshot(train({ ...base, rule: 'dfa' }, 1, 8).learner);
    expect(differingTensors(fa1, dfa1)).toEqual(['B1', 'B2', 'B3', 'W1t', 'W2', 'b1', 'b2']);
    // feedback shapes: fa's B_l like W_l, dfa's B_l (outputs, hidden_l)
    expect(fa.B2!.length).toBe(11 * 17);
    expect(fa.B3!.length).toBe(5 * 11);
    expect(dfa.B1!.length).toBe(5 * 17);
    expect(dfa.B2!.length).toBe(5 * 11);
  });

  it('differ from bp, though all three start from the same forward weights', () => {
    const base: NetSpec = { inputs: 30, hidden: [17], outputs: 5, seed: 4 };
    const init = (rule: string) => snapshot(makeLearner({ ...base, rule }));
    const ib = init('bp'), ifa = init('fa'), idfa = init('dfa');
    for (const k of ['W1t', 'b1', 'W2', 'b2']) {
      expect(differingTensors({ [k]: ib[k]! }, { [k]: ifa[k]! })).toEqual([]);
      expect(differingTensors({ [k]: ib[k]! }, { [k]: idfa[k]! })).toEqual([]);
    }
    const bp = snapshot(train({ ...base, rule: 'bp' }, 20, 8).learner);
    const fa = snapshot(train({ ...base, rule: 'fa' }, 20, 8).learner);
    expect(differingTensors(bp, fa)).toContain('W1t');
  });

  it('draw feedback with the documented law: U(±scale/√fan_in)', () => {
    const l = makeLearner({ inputs: 10, hidden: [400], outputs: 50, rule: 'fa', ruleParams: { scale: 2 } });
    const B = l.parameters().B2!;
    const bound = 2 / Math.sqrt(400);
    let mx = 0, s2 = 0;
    for (const v of B) {
      mx = Math.max(mx, Math.abs(v));
      s2 += v * v;
    }
    expect(mx).toBeLessThanOrEqual(bound);
    expect(mx).toBeGreaterThan(0.99 * bound);
    expect(s2 / B.length).toBeCloseTo(bound ** 2 / 3, 4);
    const n = makeLearner({ inputs: 10, hidden: [400], outputs: 50, rule: 'dfa', ruleParams: { distribution: 'normal' } }).parameters().B1!;
    const sd = Math.sqrt(n.reduce((s, v) => s + v * v, 0) / n.length);
    expect(sd).toBeCloseTo(1 / Math.sqrt(400), 3);
  });
});

describe('teaching signals on a hand-computed net (1 input, 1 hidden, 1 output)', () => {
  // x = 1, W1 = 0.5, b1 = 0, W2 = 2, b2 = 0, target 0, squared error:
  // h = f(0.5), z = 2h, e = z − 0 (m = 1); bp: dh = e·W2; fa: dh = e·B2; dfa: dh = e·B1.
  function handNet(rule: string, activation: string) {
    const l = makeLearner({ inputs: 1, hidden: [1], outputs: 1, loss: 'mse', rule, activation });
    const p = l.parameters();
    p.W1t![0] = 0.5;
    p.W2![0] = 2;
    if (p.B2) p.B2[0] = -3;
    if (p.B1) p.B1[0] = -3;
    return l;
  }
  const x = Float32Array.of(1), t = Float32Array.of(0);

  it('linear units: bp sends e·W2 = 2, fa and dfa send e·B = −3', () => {
    // h = 0.5, z = 1, e = 1, loss ½
    const bp = handNet('bp', 'linear').gradients(x, t, 1);
    expect(bp).toEqual({ W1t: Float32Array.of(2), b1: Float32Array.of(2), W2: Float32Array.of(0.5), b2: Float32Array.of(1) });
    for (const rule of ['fa', 'dfa']) {
      const g = handNet(rule, 'linear').gradients(x, t, 1);
      expect(g).toEqual({ W1t: Float32Array.of(-3), b1: Float32Array.of(-3), W2: Float32Array.of(0.5), b2: Float32Array.of(1) });
    }
    expect(handNet('fa', 'linear').trainStep(x, t, 1)).toBe(0.5);
  });

  it('tanh units: fa uses B, not W, and then multiplies by 1 − h²', () => {
    const h = Math.tanh(0.5), z = 2 * h, e = z;
    const g = handNet('fa', 'tanh').gradients(x, t, 1);
    expect(g.W2![0]).toBeCloseTo(e * h, 6);
    expect(g.W1t![0]).toBeCloseTo(e * -3 * (1 - h * h), 6);
    const gbp = handNet('bp', 'tanh').gradients(x, t, 1);
    expect(gbp.W1t![0]).toBeCloseTo(e * 2 * (1 - h * h), 6);
  });
});
