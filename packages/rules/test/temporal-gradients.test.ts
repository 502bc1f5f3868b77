import { describe, expect, it } from 'vitest';
import { createSequenceLearner, type SequenceBatch, type SequenceLearner } from '@credo/rules';
import { finiteDifferences, maxRelErr, paramsOf, randomBatch, relErr, rnnGradient, rnnLoss, sabTopLoss, toReference } from './temporal-reference.js';

type Loss = 'mse' | 'softmax-ce';

function rnn(rule: Record<string, unknown> & { name: string }, o: { N?: number; I?: number; O?: number; alpha?: number; loss?: Loss; rows?: number; seed?: number; gain?: number } = {}): SequenceLearner {
  return createSequenceLearner(
    { model: { name: 'rnn', hidden: o.N ?? 6, alpha: o.alpha ?? 1, gain: o.gain ?? 1.5 }, rule: rule as never, optimizer: { name: 'sgd', lr: 0.01 } },
    { inputs: o.I ?? 3, outputs: o.O ?? 2, loss: o.loss ?? 'mse' },
    o.seed ?? 7, o.rows ?? 1,
  );
}

/** A library gradient (θ stored as Wt, Ut, b) in the reference's (W, U, b) layout. */
function asRef(l: SequenceLearner, g: Float32Array): Float64Array {
  return toReference(g, l.cell.n, l.cell.inputs);
}

function chain(rule: Record<string, unknown> & { name: string }, theta0 = 0.5): SequenceLearner {
  return createSequenceLearner(
    { model: { name: 'influence-chain', theta0 }, rule: rule as never, optimizer: { name: 'sgd', lr: 1e-4 } },
    { inputs: 1, outputs: 1, loss: 'mse' }, 0, 1,
  );
}

/** The influence-balancing data: constant input 1, target 1 on the output at every step. */
function ones(steps: number): SequenceBatch {
  return { steps, rows: 1, x: new Float32Array(steps).fill(1), y: new Float32Array(steps).fill(1), mask: undefined };
}

describe('RTRL equals BPTT on a full-sequence loss with fixed parameters', () => {
  const cases: Array<{ alpha: number; loss: Loss; rows: number; masked: boolean }> = [
    { alpha: 1, loss: 'mse', rows: 1, masked: false },
    { alpha: 0.5, loss: 'mse', rows: 2, masked: true },
    { alpha: 1, loss: 'softmax-ce', rows: 3, masked: false },
  ];
  for (const c of cases) {
    it(`α=${c.alpha}, ${c.loss}, rows=${c.rows}${c.masked ? ', masked' : ''}: both match a float64 BPTT`, () => {
      const batch = randomBatch(11, 12, c.rows, 3, 2, c.loss, c.masked);
      const l = rnn({ name: 'rtrl' }, { alpha: c.alpha, loss: c.loss, rows: c.rows });
      const ref = rnnGradient(paramsOf(l, c.alpha), batch);
      const gRtrl = asRef(l, l.gradientEstimate(batch));
      const gBptt = asRef(l, l.exactGradient(batch));
      // float32 storage, float64 accumulation: agreement to float precision
      expect(maxRelErr(gRtrl, ref)).toBeLessThan(2e-5);
      expect(maxRelErr(gBptt, ref)).toBeLessThan(2e-5);
      expect(maxRelErr(gRtrl, gBptt)).toBeLessThan(2e-5);
      // …and the reference itself is right: finite differences of the loss
      const fd = finiteDifferences(paramsOf(l, c.alpha), (p) => rnnLoss(p, batch));
      expect(maxRelErr(ref, fd)).toBeLessThan(1e-6);
    });
  }
  it('influence W only: the W block matches, U and b are untouched', () => {
    const batch = randomBatch(3, 10, 1, 3, 2, 'mse');
    const l = rnn({ name: 'rtrl', influence: 'W' });
    const g = asRef(l, l.gradientEstimate(batch));
    const ref = rnnGradient(paramsOf(l, 1), batch);
    expect(maxRelErr(g.subarray(0, 36), ref.subarray(0, 36))).toBeLessThan(2e-5);
    expect([...g.subarray(36)].every((v) => v === 0)).toBe(true);
  });
  it('on the influence chain', () => {
    const l = chain({ name: 'rtrl' });
    const g = l.gradientEstimate(ones(200))[0]!;
    const e = l.exactGradient(ones(200))[0]!;
    expect(Math.abs(g - e) / Math.abs(e)).toBeLessThan(1e-5);
  });
  it('a wrong influence update would be caught: dropping the immediate term of U breaks agreement', () => {
    // Guard against a vacuous test: RTRL W-only differs from BPTT on the full θ.
    const batch = randomBatch(3, 10, 1, 3, 2, 'mse');
    const l = rnn({ name: 'rtrl', influence: 'W' });
    expect(maxRelErr(l.gradientEstimate(batch), l.exactGradient(batch))).toBeGreaterThan(0.1);
  });
});

describe('UORO is unbiased', () => {
  it("the mean of K estimates converges to RTRL's gradient, error shrinking like 1/√K", () => {
    const batch = randomBatch(5, 6, 1, 3, 2, 'mse');
    const l = rnn({ name: 'uoro' }, { N: 4 });
    const rtrl = rnn({ name: 'rtrl' }, { N: 4 }).gradientEstimate(batch);
    const sum = new Float64Array(rtrl.length);
    const errs: Record<number, number> = {};
    for (let k = 1; k <= 6400; k++) {
      const g = l.gradientEstimate(batch, k);
      for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! + g[i]!;
      if (k === 100 || k === 400 || k === 1600 || k === 6400) errs[k] = relErr(sum.map((s) => s / k), rtrl);
    }
    // 1/√K: ×4 draws halves the error. Allow Monte-Carlo slack on each ratio, and demand the full
    // 64× fall to be close to 8× (a biased estimator would level off instead).
    expect(errs[400]! / errs[100]!).toBeLessThan(0.8);
    expect(errs[1600]! / errs[400]!).toBeLessThan(0.8);
    expect(errs[6400]! / errs[1600]!).toBeLessThan(0.8);
    const slope = Math.log(errs[6400]! / errs[100]!) / Math.log(64);
    expect(slope).toBeGreaterThan(-0.75);
    expect(slope).toBeLessThan(-0.3);
    expect(errs[6400]!).toBeLessThan(0.2);
  });
  it('without the ρ scaling it is still unbiased (but noisier)', () => {
    const batch = randomBatch(5, 6, 1, 3, 2, 'mse');
    const l = rnn({ name: 'uoro', scaling: 'none' }, { N: 4 });
    const rtrl = rnn({ name: 'rtrl' }, { N: 4 }).gradientEstimate(batch);
    const sum = new Float64Array(rtrl.length);
    const K = 4000;
    for (let k = 0; k < K; k++) {
      const g = l.gradientEstimate(batch, k);
      for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! + g[i]! / K;
    }
    expect(relErr(sum, rtrl)).toBeLessThan(0.35);
  });
});

describe('influence balancing: truncation gets the sign of dL/dθ wrong', () => {
  // 500 steps from s_0 = 1 at θ = 0.5: s[0] settles at −6θ = −3, below its target 1, and θ's
  // long-run influence on s[0] is −6, so the exact dL/dθ is positive; every influence shorter
  // than p = 10 steps is positive, so short truncations see a negative derivative.
  const T = 500;
  const exact = chain({ name: 'bptt' }).gradientEstimate(ones(T))[0]!;
  it('BPTT over the long horizon and RTRL: positive, and equal', () => {
    expect(exact).toBeGreaterThan(0);
    const rtrl = chain({ name: 'rtrl' }).gradientEstimate(ones(T))[0]!;
    expect(rtrl).toBeGreaterThan(0);
    expect(Math.abs(rtrl - exact) / exact).toBeLessThan(1e-4);
  });
  it('TBPTT with k = 1 and k = 10: negative; with k = 100: positive', () => {
    for (const k of [1, 10]) expect(chain({ name: 'tbptt', k }).gradientEstimate(ones(T))[0]!).toBeLessThan(0);
    expect(chain({ name: 'tbptt', k: 100 }).gradientEstimate(ones(T))[0]!).toBeGreaterThan(0);
    // chunked TBPTT(10) (stride = k) is wrong too
    expect(chain({ name: 'tbptt', k: 10, stride: 0 }).gradientEstimate(ones(T))[0]!).toBeLessThan(0);
  });
  it('UORO in expectation: the mean of estimates has the exact sign and is within 4 standard errors of it', () => {
    const l = chain({ name: 'uoro' });
    const K = 400;
    const g: number[] = [];
    for (let k = 0; k < K; k++) g.push(l.gradientEstimate(ones(T), k)[0]!);
    const mean = g.reduce((a, b) => a + b, 0) / K;
    const sd = Math.sqrt(g.reduce((a, b) => a + (b - mean) ** 2, 0) / (K - 1));
    expect(mean).toBeGreaterThan(0);
    expect(Math.abs(mean - exact)).toBeLessThan((4 * sd) / Math.sqrt(K));
    // single estimates are noisy: some have the wrong sign, which is why UORO needs a smaller step
    expect(g.some((v) => v < 0)).toBe(true);
  });
});

describe('SAB', () => {
  const batch = randomBatch(21, 8, 2, 3, 2, 'mse');
  it('with no attention (kTop = 0) and no truncation it is BPTT, bit for bit', () => {
    const sab = rnn({ name: 'sab', kTop: 0, kTrunc: 8 }, { rows: 2 }).gradientEstimate(batch);
    const bptt = rnn({ name: 'bptt' }, { rows: 2 }).gradientEstimate(batch);
    expect([...sab]).toEqual([...bptt]);
  });
  it('attending to every stored state with no truncation, it is the exact gradient of the attention network', () => {
    const l = rnn({ name: 'sab', kTop: 8, kAtt: 1, kTrunc: 8, memory: 8 }, { rows: 2 });
    const g = asRef(l, l.gradientEstimate(batch));
    const fd = finiteDifferences(paramsOf(l, 1), (p) => rnnLoss(p, batch, true));
    expect(maxRelErr(g, fd)).toBeLessThan(1e-4);
    // and the attention matters: it is not the plain rnn's gradient
    expect(maxRelErr(g, rnnGradient(paramsOf(l, 1), batch))).toBeGreaterThan(0.05);
    // evaluation runs the same attention network
    const ev = l.evaluate(batch);
    expect(ev.loss * ev.count / batch.rows).toBeCloseTo(rnnLoss(paramsOf(l, 1), batch, true), 4);
  });
  it('with kTop = 0 and truncation it is chunked TBPTT(kTrunc), bit for bit', () => {
    // 16 = 4 whole windows (a partial last window backprops only to its own start in sab, while
    // tbptt lets it reach k steps back)
    const b = randomBatch(23, 16, 2, 3, 2, 'mse');
    const sab = rnn({ name: 'sab', kTop: 0, kTrunc: 4 }, { rows: 2 }).gradientEstimate(b);
    const tb = rnn({ name: 'tbptt', k: 4, stride: 0 }, { rows: 2 }).gradientEstimate(b);
    expect([...sab]).toEqual([...tb]);
  });
  it('with truncation, its probes compare it with the exact gradient of the same attention network', () => {
    const b = randomBatch(22, 12, 1, 3, 2, 'mse');
    const l = rnn({ name: 'sab', kTop: 2, kAtt: 2, kTrunc: 3, memory: 6 });
    const exact = asRef(l, l.exactGradient(b));
    // kTop = 2 of up to 6 memories: the selection is piecewise constant, so finite differences
    // of the top-2 network are its gradient away from ties.
    const fd = finiteDifferences(paramsOf(l, 1), (p) => sabTopLoss(p, b, 2, 2, 6));
    expect(maxRelErr(exact, fd)).toBeLessThan(1e-4);
    const est = asRef(l, l.gradientEstimate(b));
    expect(maxRelErr(est, exact)).toBeGreaterThan(1e-3); // truncation changes it
    const out = l.probe(b);
    expect(out['angle/sab_exact']).toBeGreaterThan(0);
    expect(out['angle/sab_exact']).toBeLessThan(180);
  });
});

describe('other exact reductions', () => {
  it('TBPTT with k ≥ T and stride k is BPTT', () => {
    const b = randomBatch(8, 9, 1, 3, 2, 'mse');
    const t = rnn({ name: 'tbptt', k: 9, stride: 0 }).gradientEstimate(b);
    expect([...t]).toEqual([...rnn({ name: 'bptt' }).gradientEstimate(b)]);
  });
  it('RFLO equals RTRL when W = 0 (then J is the leak alone)', () => {
    const b = randomBatch(9, 10, 1, 3, 2, 'mse');
    const r = rnn({ name: 'rflo' }, { alpha: 0.4 });
    const x = rnn({ name: 'rtrl' }, { alpha: 0.4 });
    r.parameters()['Wt']!.fill(0);
    x.parameters()['Wt']!.fill(0);
    expect(maxRelErr(r.gradientEstimate(b), x.gradientEstimate(b))).toBeLessThan(1e-5);
    // …and differs once W ≠ 0
    const r2 = rnn({ name: 'rflo' }, { alpha: 0.4 });
    expect(maxRelErr(r2.gradientEstimate(b), r2.exactGradient(b))).toBeGreaterThan(0.05);
  });
});

describe('probes', () => {
  it('report ~0° for RTRL, a positive variance for UORO, nothing for BPTT', () => {
    const b = randomBatch(4, 20, 1, 3, 2, 'mse');
    expect(rnn({ name: 'bptt' }).probe(b)).toEqual({});
    const r = rnn({ name: 'rtrl' }).probe(b);
    expect(r['angle/rtrl_exact']).toBeLessThan(0.5);
    expect(r['gradbias/rtrl']).toBeLessThan(1e-4);
    const u = rnn({ name: 'uoro' }).probe(b);
    expect(u['gradvar/uoro']).toBeGreaterThan(0);
    expect(u['angle/uoro_exact']).toBeGreaterThan(1);
    const t = rnn({ name: 'tbptt', k: 1 }).probe(b);
    expect(t['gradbias/tbptt']).toBeGreaterThan(0.01);
    expect(t['gradvar/tbptt']).toBeUndefined();
  });
});
