import { describe, expect, it } from 'vitest';
import { CredoError, resolveParams } from '@credo/core';
import { taskRegistry, type SequenceTask } from '@credo/tasks';
import { Rng } from '@credo/tensor';

function create(name: string, given: Record<string, unknown> = {}, seed = 0): SequenceTask {
  const { info, impl } = taskRegistry.get(name);
  expect(impl.kind).toBe('sequence');
  return impl.create(resolveParams(info.params, given, 'task'), seed) as SequenceTask;
}

const argmax = (a: Float32Array, o: number, n: number): number => {
  let b = 0;
  for (let j = 1; j < n; j++) if (a[o + j]! > a[o + b]!) b = j;
  return b;
};

describe('sequence tasks', () => {
  it('are registered as sequence tasks, with their scores', () => {
    expect(taskRegistry.get('influence-balancing').impl.score).toBe('mse');
    expect(taskRegistry.get('add').impl.score).toBe('loss');
    expect(taskRegistry.get('copy').impl.score).toBe('error');
    expect(taskRegistry.get('anbn').impl.score).toBe('loss');
    expect(taskRegistry.get('mnist').impl.kind).toBeUndefined();
  });
  it('influence balancing: constant input and target 1; the test scores only the last of 500 steps', () => {
    const t = create('influence-balancing');
    expect([t.inputs, t.outputs, t.loss, t.mode, t.segment, t.stepsPerEpoch(1)]).toEqual([1, 1, 'mse', 'stream', 200, 3000]);
    expect(t.test.steps).toBe(500);
    expect([...t.test.mask!].reduce((a, b) => a + b, 0)).toBe(1);
    expect(t.test.mask![499]).toBe(1);
    expect(t.probe.mask).toBeUndefined();
    const b = t.source(Rng.derive(0, 'data'), 2).next(7);
    expect([...b.x.subarray(0, 14)].every((v) => v === 1) && [...b.y.subarray(0, 14)].every((v) => v === 1)).toBe(true);
  });
  it("add: y_t = ½ + ½x_{t−t1} − ¼x_{t−t2} as [y, 1−y], inputs one-hot [x, 1−x]", () => {
    const t = create('add', { t1: 3, t2: 5 });
    const b = t.source(Rng.derive(1, 'data'), 2).next(200);
    const xs = (r: number, s: number): number => b.x[(s * 2 + r) * 2]!;
    let checked = 0;
    for (let r = 0; r < 2; r++) {
      for (let s = 5; s < 200; s++) {
        expect(b.x[(s * 2 + r) * 2]! + b.x[(s * 2 + r) * 2 + 1]!).toBe(1);
        const y = b.y[(s * 2 + r) * 2]!;
        expect(y).toBeCloseTo(0.5 + 0.5 * xs(r, s - 3) - 0.25 * xs(r, s - 5), 6);
        expect(y + b.y[(s * 2 + r) * 2 + 1]!).toBeCloseTo(1, 6);
        checked++;
      }
    }
    expect(checked).toBe(390);
    // the two rows are independent streams
    expect([...b.x.filter((_, i) => i % 4 === 0)]).not.toEqual([...b.x.filter((_, i) => i % 4 === 2)]);
    // tau stretches time: every sample is held tau steps
    const s = create('add', { t1: 1, t2: 2, tau: 3 }).source(Rng.derive(2, 'data'), 1).next(30);
    for (let k = 0; k < 10; k++) expect(s.x[6 * k]).toBe(s.x[6 * k + 2]);
    for (let k = 0; k < 10; k++) expect(s.x[6 * k]).toBe(s.x[6 * k + 4]);
    expect(() => create('add', { t1: 4, t2: 4 })).toThrow(CredoError);
  });
  it('copy: L symbols, H blank steps with the go marker last, then recall; supervised only during recall', () => {
    const L = 4, H = 6, K = 5;
    const t = create('copy', { delay: H, length: L, symbols: K, testSequences: 10 });
    const T = 2 * L + H;
    expect([t.inputs, t.outputs, t.segment, t.mode]).toEqual([K + 2, K, T, 'episodes']);
    expect(t.stepsPerEpoch(32)).toBe(Math.ceil(4000 / 32) * T);
    const b = t.test;
    expect(b.rows).toBe(10);
    for (let r = 0; r < 10; r++) {
      for (let s = 0; s < T; s++) {
        const ones = [...b.x.subarray((s * 10 + r) * (K + 2), (s * 10 + r + 1) * (K + 2))];
        expect(ones.reduce((a, c) => a + c, 0)).toBe(1);
        const ch = ones.indexOf(1);
        if (s < L) expect(ch).toBeLessThan(K);
        else if (s === L + H - 1) expect(ch).toBe(K + 1);
        else expect(ch).toBe(K);
        const m = b.mask![s * 10 + r]!;
        expect(m).toBe(s >= L + H ? 1 : 0);
        if (m) expect(argmax(b.y, (s * 10 + r) * K, K)).toBe(argmax(b.x, ((s - L - H) * 10 + r) * (K + 2), K + 2));
      }
    }
    // the test set does not depend on the trial seed; the training data does
    expect([...create('copy', { delay: H, length: L, symbols: K, testSequences: 10 }, 7).test.x]).toEqual([...b.x]);
    const tr = (seed: number): number[] => [...t.source(Rng.derive(seed, 'data'), 4).next(T).x];
    expect(tr(1)).toEqual(tr(1));
    expect(tr(1)).not.toEqual(tr(2));
  });
  it('anbn: runs of n a’s, a separator, n b’s, a separator, with n in [k, l]; the target is the next symbol', () => {
    const t = create('anbn', { k: 2, l: 5 });
    const b = t.source(Rng.derive(3, 'data'), 1).next(600);
    const sym = (s: number): number => argmax(b.x, s * 3, 3);
    for (let s = 0; s + 1 < 600; s++) expect(argmax(b.y, s * 3, 3)).toBe(sym(s + 1));
    const seq = Array.from({ length: 600 }, (_, s) => sym(s)).join('');
    const blocks = seq.split(/(?<=0)(?=1)/).slice(0, -1);
    expect(blocks.length).toBeGreaterThan(20);
    for (const blk of blocks) {
      const m = /^(1+)0(2+)0$/.exec(blk);
      expect(m, blk).not.toBeNull();
      expect(m![1]!.length).toBe(m![2]!.length);
      expect(m![1]!.length).toBeGreaterThanOrEqual(2);
      expect(m![1]!.length).toBeLessThanOrEqual(5);
    }
    expect(() => create('anbn', { k: 5, l: 2 })).toThrow(CredoError);
  });
});
