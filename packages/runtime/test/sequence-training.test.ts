import { describe, expect, it } from 'vitest';
import type { MetricPoint, TrialConfig } from '@credo/core';
import { MetricSink, TrialPool, trainTrial, primaryMetric } from '@credo/runtime';

type Rule = TrialConfig['rule'];

function influence(rule: Rule, lr: number, steps = 1500, seed = 0): TrialConfig {
  return {
    task: { name: 'influence-balancing', steps, segment: 200, evalSteps: 500 },
    model: { name: 'influence-chain', n: 23, p: 10, theta0: 0.5 },
    rule,
    optimizer: { name: 'sgd', lr, momentum: 0, weightDecay: 0 },
    train: { epochs: 1, batch: 1, logEvery: 100, evalEvery: 500, timeoutSec: 0 },
    seed,
  };
}

function rnnTrial(task: TrialConfig['task'], rule: Rule, batch = 1, over: Partial<TrialConfig['train']> = {}): TrialConfig {
  return {
    task,
    model: { name: 'rnn', hidden: 8, alpha: 1, init: 'uniform-fanin', gain: 1 },
    rule,
    optimizer: { name: 'sgd', lr: 0.05, momentum: 0, weightDecay: 0 },
    train: { epochs: 1, batch, logEvery: 20, evalEvery: 0, timeoutSec: 0, ...over },
    seed: 4,
  };
}

function run(cfg: TrialConfig): { points: MetricPoint[]; status: string; final: Record<string, number> } {
  const points: MetricPoint[] = [];
  const out = trainTrial(cfg, new MetricSink((b) => points.push(...b)));
  return { points, status: out.status, final: { ...out.final } };
}

const series = (ps: MetricPoint[], name: string): number[] => ps.filter((p) => p.name === name).map((p) => p.value);
const strip = (ps: MetricPoint[]): Array<[string, number, number]> => ps.map((p) => [p.name, p.step, p.value]);
const THETA_STAR = -1 / 6;

describe('sequence trials through trainTrial', () => {
  it('influence balancing: RTRL, TBPTT(100) and BPTT move θ to −1/6; TBPTT(1) and TBPTT(10) move it the wrong way', () => {
    const lr = 1e-4;
    for (const rule of [{ name: 'rtrl', influence: 'all' }, { name: 'tbptt', k: 100, stride: 1 }, { name: 'bptt' }]) {
      const { final, status } = run(influence(rule, lr));
      expect(status).toBe('done');
      expect(Math.abs(final['param/theta']! - THETA_STAR)).toBeLessThan(0.02);
      expect(final['test/mse']!).toBeLessThan(0.01);
    }
    for (const k of [1, 10]) {
      const { points, final } = run(influence({ name: 'tbptt', k, stride: 1 }, lr));
      const theta = series(points, 'param/theta');
      expect(theta[0]).toBe(0.5);
      // the wrong way: θ grows away from −1/6, and the long-unroll loss grows
      expect(final['param/theta']!).toBeGreaterThan(0.9);
      expect(final['test/mse']!).toBeGreaterThan(8);
      expect(series(points, 'angle/tbptt_exact').every((a) => a === 180)).toBe(true);
    }
  });
  it('influence balancing: UORO converges at its smaller step (lr 1e-5, as in the reference)', () => {
    const { final } = run(influence({ name: 'uoro', scaling: 'norm-balanced' }, 1e-5, 3000));
    expect(Math.abs(final['param/theta']! - THETA_STAR)).toBeLessThan(0.05);
  });
  it('is deterministic, UORO included', () => {
    const cfg = influence({ name: 'uoro', scaling: 'norm-balanced' }, 1e-5, 600);
    expect(strip(run(cfg).points)).toEqual(strip(run(cfg).points));
    const add = rnnTrial({ name: 'add', t1: 2, t2: 4, tau: 1, labels: 'probabilities', steps: 300, segment: 30, evalSteps: 100 }, { name: 'uoro', scaling: 'norm-balanced' }, 2);
    const a = run(add), b = run(add);
    expect(a.status).toBe('done');
    expect(strip(a.points)).toEqual(strip(b.points));
    // a different seed changes the data and the noise
    expect(strip(run({ ...add, seed: 5 }).points)).not.toEqual(strip(a.points));
  });
  it('emits the documented metrics: train/loss, test score, memory, probes', () => {
    const cfg = rnnTrial({ name: 'copy', delay: 3, length: 2, symbols: 4, sequences: 64, testSequences: 16 }, { name: 'rtrl', influence: 'all' }, 4);
    const { points, status, final } = run(cfg);
    expect(status).toBe('done');
    expect(primaryMetric(cfg)).toBe('test/error');
    for (const name of ['train/loss', 'test/error', 'test/loss', 'memory/floats', 'angle/rtrl_exact', 'gradbias/rtrl', 'epoch']) {
      expect(points.some((p) => p.name === name), name).toBe(true);
    }
    // rtrl holds (rows + 1)·n·P floats: 5 · 8 · (8·(8+6+1))
    expect(final['memory/floats']).toBe(5 * 8 * 8 * 15);
    expect(final['angle/rtrl_exact']!).toBeLessThan(0.5);
    // the step axis counts time steps: 64 episodes / 4 rows × (2·2 + 3) steps
    expect(final['epoch']).toBe(1);
    expect(points.find((p) => p.name === 'epoch')!.step).toBe(16 * 7);
  });
  it('UORO reports a gradient variance, BPTT memory grows with the segment', () => {
    const task = { name: 'anbn', k: 1, l: 4, steps: 200, segment: 40, evalSteps: 100 };
    const u = run(rnnTrial(task, { name: 'uoro', scaling: 'norm-balanced' }));
    expect(u.final['gradvar/uoro']!).toBeGreaterThan(0);
    const b = run(rnnTrial(task, { name: 'bptt' }, 1, { logEvery: 10 }));
    const mem = series(b.points, 'memory/floats');
    expect(Math.max(...mem)).toBeGreaterThan(Math.min(...mem.slice(1)));
  });
  it('learns the add task: test cross-entropy falls below the nothing-learned level', () => {
    const cfg = rnnTrial({ name: 'add', t1: 1, t2: 3, tau: 1, labels: 'probabilities', steps: 4000, segment: 20, evalSteps: 500 }, { name: 'bptt' }, 4, { epochs: 2 });
    const { final, points } = run({ ...cfg, model: { ...cfg.model, hidden: 16 }, optimizer: { ...cfg.optimizer, lr: 0.1 } });
    const losses = series(points, 'test/loss');
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]!);
    expect(final['test/loss']!).toBeLessThan(0.6);
  });
  it('a diverging sequence trial ends as diverged, not as a crash', () => {
    const out = trainTrial(influence({ name: 'tbptt', k: 10, stride: 1 }, 1e-2, 3000), new MetricSink(() => {}));
    expect(out.status).toBe('diverged');
  });
  it('rejects an rnn rule paired with a feedforward task, and vice versa, with clear errors', () => {
    const bad = rnnTrial({ name: 'linear-teacher', inputs: 3, outputs: 2, train: 10, test: 5, teacherSeed: 0 }, { name: 'bptt' });
    expect(() => trainTrial(bad, new MetricSink(() => {}))).toThrow(/sequence model|sequence task|cannot train/);
    const bad2 = rnnTrial({ name: 'copy', delay: 3, length: 2, symbols: 4, sequences: 8, testSequences: 4 }, { name: 'bp' });
    expect(() => trainTrial(bad2, new MetricSink(() => {}))).toThrow(/cannot train/);
  });
  it('runs in the pool threads like any trial', async () => {
    const pool = new TrialPool({ workers: 1 });
    try {
      const points: MetricPoint[] = [];
      const r = await pool.run(influence({ name: 'rtrl', influence: 'all' }, 1e-4, 500), { onMetrics: (b) => points.push(...b) });
      expect(r.status).toBe('done');
      expect(points.some((p) => p.name === 'param/theta')).toBe(true);
    } finally {
      await pool.close();
    }
  });
});
