import { describe, expect, it } from 'vitest';
import { Rng } from '@credo/tensor';
import { decide, type BenchmarkSpec, type SuiteSettings } from '@credo/report';

/*
 * The regression decision on synthetic histories, simulated with the seeded Rng (never
 * Math.random): each night draws every seed's final value afresh from N(μ, σ²), as if the code
 * changed its random streams every night. An injected regression of the stated size must be
 * flagged; noise alone must alarm at most at the configured level.
 */

const SETTINGS: SuiteSettings = { alpha: 0.05, zMin: 3, lookback: 14, minHistory: 5 };
const bench = (over: Partial<BenchmarkSpec> = {}): BenchmarkSpec => ({
  id: 'fa/linear-teacher/test/mse',
  rule: 'fa',
  task: 'linear-teacher',
  metric: 'test/mse',
  better: 'lower',
  minChange: 0.15,
  relative: true,
  where: {},
  ...over,
});

function night(rng: Rng, n: number, mu: number, sigma: number): { seeds: number[]; values: number[] } {
  return { seeds: Array.from({ length: n }, (_, i) => i), values: Array.from({ length: n }, () => mu + sigma * rng.normal()) };
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Simulates `runs` independent histories and returns the fraction whose last night is flagged. */
function flagRate(opts: { seed: number; runs: number; n: number; mu: number; sigma: number; shift: number; historyNights: number; b?: BenchmarkSpec; s?: SuiteSettings }): number {
  const rng = new Rng(opts.seed);
  let flagged = 0;
  for (let r = 0; r < opts.runs; r++) {
    const history: number[] = [];
    let baseline = night(rng, opts.n, opts.mu, opts.sigma);
    for (let h = 0; h < opts.historyNights; h++) {
      const x = night(rng, opts.n, opts.mu, opts.sigma);
      history.push(mean(x.values));
      if (h === opts.historyNights - 1) baseline = x;
    }
    const tonight = night(rng, opts.n, opts.mu + opts.shift, opts.sigma);
    const d = decide(opts.b ?? bench(), tonight, baseline, history, opts.s ?? SETTINGS);
    if (d.verdict === 'regression') flagged++;
  }
  return flagged / opts.runs;
}

describe('regression decision on synthetic histories', () => {
  // Baseline mean 2.5 with 6 seeds and a 4% seed-to-seed spread (σ = 0.1), like BP on the suite's linear teacher.
  const base = { n: 6, mu: 2.5, sigma: 0.1, historyNights: 10 };

  it('flags an injected regression of the stated size (minChange = 15% of the mean) with power ≥ 95%', () => {
    const rate = flagRate({ ...base, seed: 1, runs: 400, shift: 0.15 * 2.5 });
    console.log(`power at the stated size (n = 6, shift = minChange = 3.75σ): ${(rate * 100).toFixed(1)}%`);
    expect(rate).toBeGreaterThanOrEqual(0.95);
  });

  it('flags it also with no history (first nights: z criterion not yet applicable)', () => {
    const rate = flagRate({ ...base, seed: 2, runs: 400, shift: 0.15 * 2.5, historyNights: 0 });
    expect(rate).toBeGreaterThanOrEqual(0.95);
  });

  it('noise only: the false-alarm rate stays at or below alpha, even with a negligible minChange and no history', () => {
    const runs = 4000;
    // The worst case for false alarms: only the Mann–Whitney test stands between noise and an alarm.
    const bare = flagRate({ ...base, seed: 3, runs, shift: 0, historyNights: 0, b: bench({ minChange: 1e-9, relative: false }) });
    // The suite's real rule: minChange 15%, z against 10 nights.
    const full = flagRate({ ...base, seed: 4, runs, shift: 0 });
    console.log(`false-alarm rate under noise only (${runs} nights): Mann–Whitney alone ${(bare * 100).toFixed(2)}%, full rule ${(full * 100).toFixed(2)}% (alpha 5%)`);
    // The exact one-sided 6-vs-6 test's largest level ≤ 5% is 0.0465; allow 2 binomial SDs of simulation noise above it.
    expect(bare).toBeLessThanOrEqual(0.05 + 2 * Math.sqrt((0.05 * 0.95) / runs));
    expect(full).toBeLessThanOrEqual(0.05);
    expect(full).toBeLessThan(bare);
  });

  it('noise only with many seeds (n = 30, normal approximation past 60 values): still at most alpha', () => {
    const rate = flagRate({ n: 40, mu: 2.5, sigma: 0.1, historyNights: 0, seed: 5, runs: 1500, shift: 0, b: bench({ minChange: 1e-9, relative: false }) });
    expect(rate).toBeLessThanOrEqual(0.05 + 2 * Math.sqrt((0.05 * 0.95) / 1500));
  });

  it('does not flag a significant change well below half the smallest change that matters', () => {
    // 40 seeds make a 1σ shift highly significant; it is 4% of the mean, below 7.5% (= ½·15%).
    const rate = flagRate({ n: 40, mu: 2.5, sigma: 0.1, historyNights: 0, seed: 6, runs: 200, shift: 0.1 });
    expect(rate).toBe(0);
  });

  it('a benchmark whose nightly mean wanders is not flagged for a change its history has seen (z criterion)', () => {
    const rng = new Rng(8);
    // Nightly means wander with sd 0.3 (e.g. data-order effects), seeds within a night agree closely.
    const history = Array.from({ length: 10 }, () => 2.5 + 0.3 * rng.normal());
    const baseline = night(rng, 6, 2.5, 0.02);
    const tonight = night(rng, 6, 2.5 + 0.45, 0.02); // +18%, 1.5 nightly sd
    const d = decide(bench(), tonight, baseline, history, SETTINGS);
    expect(d.pValue).toBeLessThan(0.05);
    expect(d.verdict).toBe('ok');
    expect(d.reason).toMatch(/within the nightly spread/);
    // The same change without history is flagged.
    expect(decide(bench(), tonight, baseline, [], SETTINGS).verdict).toBe('regression');
  });

  it('diverged seeds rank worst: a rule that starts diverging is flagged even if its other seeds look fine', () => {
    const baseline = { seeds: [0, 1, 2, 3, 4, 5], values: [2.4, 2.5, 2.6, 2.45, 2.55, 2.5] };
    const tonight = { seeds: [0, 1, 2, 3, 4, 5], values: [NaN, NaN, NaN, NaN, 2.5, 2.45] };
    const d = decide(bench(), tonight, baseline, [], SETTINGS);
    expect(d.verdict).toBe('regression');
    expect(d.diverged).toBe(4);
    expect(d.reason).toMatch(/4 of 6 seeds diverged/);
  });

  it('identical nights (deterministic seeds, unchanged code) never alarm; a change in them is z = ∞', () => {
    const v = { seeds: [0, 1, 2, 3, 4, 5], values: [2.4, 2.5, 2.6, 2.45, 2.55, 2.5] };
    const same = decide(bench(), v, v, [2.5, 2.5, 2.5, 2.5, 2.5, 2.5], SETTINGS);
    expect(same.verdict).toBe('ok');
    expect(same.zScore).toBe(0);
    const worse = decide(bench(), { ...v, values: v.values.map((x) => x * 1.3) }, v, [2.5, 2.5, 2.5, 2.5, 2.5, 2.5], SETTINGS);
    expect(worse.verdict).toBe('regression');
    expect(worse.zScore).toBe(Infinity);
  });

  it('higher-is-better metrics: a drop is a regression, a rise an improvement', () => {
    const b = bench({ metric: 'test/accuracy', better: 'higher', minChange: 0.02, relative: false });
    const base6 = { seeds: [0, 1, 2, 3, 4, 5], values: [0.9, 0.91, 0.92, 0.9, 0.91, 0.92] };
    expect(decide(b, { ...base6, values: base6.values.map((x) => x - 0.05) }, base6, [], SETTINGS).verdict).toBe('regression');
    expect(decide(b, { ...base6, values: base6.values.map((x) => x + 0.05) }, base6, [], SETTINGS).verdict).toBe('improvement');
  });

  it('no baseline: new; no values: error', () => {
    const v = { seeds: [0, 1], values: [1, 2] };
    expect(decide(bench(), v, undefined, [], SETTINGS).verdict).toBe('new');
    expect(decide(bench(), { seeds: [], values: [] }, v, [], SETTINGS).verdict).toBe('error');
  });
});
