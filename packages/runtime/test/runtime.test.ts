import { describe, expect, it } from 'vitest';
import type { MetricPoint, TrialConfig } from '@credo/core';
import { MetricSink, TrialPool, trainTrial } from '@credo/runtime';

function config(over: Partial<{ rule: string; lr: number; epochs: number; task: TrialConfig['task']; hidden: number[] }> = {}): TrialConfig {
  return {
    task: over.task ?? { name: 'linear-teacher', inputs: 30, outputs: 10, train: 400, test: 100, teacherSeed: 0 },
    model: { name: 'mlp', hidden: over.hidden ?? [20], activation: 'linear', init: 'uniform-fanin' },
    rule: over.rule === 'fa' || over.rule === 'dfa' ? { name: over.rule, scale: 1, distribution: 'uniform' } : { name: over.rule ?? 'bp' },
    optimizer: { name: 'sgd', lr: over.lr ?? 0.02, momentum: 0, weightDecay: 0 },
    train: { epochs: over.epochs ?? 2, batch: 10, logEvery: 10, evalEvery: 0, timeoutSec: 0 },
    seed: 3,
  };
}

function collect(cfg: TrialConfig): { points: MetricPoint[]; status: string } {
  const points: MetricPoint[] = [];
  const out = trainTrial(cfg, new MetricSink((b) => points.push(...b)));
  return { points, status: out.status };
}

const strip = (ps: MetricPoint[]): Array<[string, number, number]> => ps.map((p) => [p.name, p.step, p.value]);

describe('trainTrial', () => {
  it('is deterministic: two runs of the same trial give identical metrics', () => {
    for (const rule of ['bp', 'fa']) {
      const a = collect(config({ rule }));
      const b = collect(config({ rule }));
      expect(a.status).toBe('done');
      expect(strip(a.points)).toEqual(strip(b.points));
      expect(a.points.length).toBeGreaterThan(10);
    }
  });
  it('is deterministic on real MNIST too', () => {
    const cfg = config({ task: { name: 'mnist', train: 300, test: 100 }, lr: 0.1, epochs: 1, hidden: [16] });
    const mnist = { ...cfg, model: { ...cfg.model, activation: 'tanh' } };
    expect(strip(collect(mnist).points)).toEqual(strip(collect(mnist).points));
  });
  it('learns: test MSE falls on the linear teacher', () => {
    const { points } = collect(config({ epochs: 5 }));
    const mse = points.filter((p) => p.name === 'test/mse').map((p) => p.value);
    expect(mse).toHaveLength(5);
    expect(mse[4]!).toBeLessThan(mse[0]! * 0.8);
  });
  it('ends a trial whose loss explodes as diverged, not as a crash', () => {
    const out = trainTrial(config({ lr: 1e6 }), new MetricSink(() => {}));
    expect(out.status).toBe('diverged');
    expect(out.error).toMatch(/non-finite|became/);
  });
  it('emits diagnostics for feedback alignment', () => {
    const { points } = collect(config({ rule: 'fa' }));
    const angles = points.filter((p) => p.name === 'angle/fa_bp/h1');
    expect(angles.length).toBeGreaterThan(0);
    for (const a of angles) expect(a.value).toBeGreaterThanOrEqual(0);
  });
});

describe('TrialPool', () => {
  it('streams every metric batch before the result, in order', async () => {
    const pool = new TrialPool({ workers: 2 });
    try {
      const got: MetricPoint[] = [];
      const r = await pool.run(config(), { onMetrics: (b) => got.push(...b) });
      expect(r.status).toBe('done');
      expect(strip(got)).toEqual(strip(collect(config()).points));
    } finally {
      await pool.close();
    }
  });
  it('resolves only after the last metric batch, however late the thread\'s messages arrive', async () => {
    // The result comes over Piscina's port and the metrics over the thread's parentPort, so on a
    // starved event loop the result can be handled seconds before the last batches (seen in CI
    // with nine agents on two cores). Hold every thread message back by 1.5 s to make that happen.
    const pool = new TrialPool({ workers: 1 });
    const piscina = (pool as unknown as { piscina: { emit: (e: string | symbol, ...a: unknown[]) => boolean } }).piscina;
    const emit = piscina.emit.bind(piscina);
    piscina.emit = (e, ...a) => {
      if (e !== 'message') return emit(e, ...a);
      setTimeout(() => emit(e, ...a), 1500);
      return true;
    };
    try {
      const got: MetricPoint[] = [];
      const r = await pool.run(config({ epochs: 1 }), { onMetrics: (b) => got.push(...b) });
      expect(r.status).toBe('done');
      expect(strip(got)).toEqual(strip(collect(config({ epochs: 1 })).points));
    } finally {
      await pool.close();
    }
  });
  it('cancels a running trial and times out a slow one', async () => {
    const pool = new TrialPool({ workers: 2 });
    try {
      const slow = config({ task: { name: 'linear-teacher', inputs: 30, outputs: 10, train: 200_000, test: 100, teacherSeed: 0 }, epochs: 50 });
      const ac = new AbortController();
      const running = pool.run(slow, { signal: ac.signal });
      setTimeout(() => ac.abort(), 300);
      const timed = pool.run(slow, { timeoutSec: 0.5 });
      expect((await running).status).toBe('cancelled');
      expect((await timed).status).toBe('timeout');
      // The pool is still usable afterwards.
      expect((await pool.run(config({ epochs: 1 }))).status).toBe('done');
    } finally {
      await pool.close();
    }
  });
  it('reports a trial whose configuration is invalid as failed with the reason', async () => {
    const pool = new TrialPool({ workers: 1 });
    try {
      const bad = { ...config(), rule: { name: 'no-such-rule' } };
      const r = await pool.run(bad);
      expect(r.status).toBe('failed');
      expect(r.error).toMatch(/no-such-rule/);
    } finally {
      await pool.close();
    }
  });
});
