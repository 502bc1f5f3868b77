import { mean, sampleSd, type RegressResultRecord } from '@credo/store';
import { mannWhitneyU } from '../two-sample.js';
import type { BenchmarkSpec, SuiteSettings } from './suite.js';

/*
 * The per-benchmark verdict. Seeds are replicates: tonight's seeds are tested against the
 * baseline night's seeds, not one number against another. A regression needs all three of
 *
 * 1. significance — the one-sided Mann–Whitney U test of "tonight is worse" at level `alpha`
 *    (exact for the few seeds a nightly suite runs; rank-based, so one wild seed cannot carry
 *    it). Diverged seeds rank as the worst possible value, so a rule that starts to diverge is
 *    caught even when its surviving seeds look fine;
 * 2. an effect that matters — the worsening of the mean is at least half the benchmark's
 *    `minChange` (or more seeds diverged than in the baseline). Half, because the decision
 *    boundary between "no change" and "a change of minChange" lies midway: a real change of
 *    minChange is then caught about as reliably as the test's power allows, and an estimated
 *    change below minChange/2 is never flagged however many seeds make it significant;
 * 3. unusualness — with at least `minHistory` past nights in the lookback window, tonight's
 *    mean is at least `zMin` standard deviations of the nightly means worse than their average.
 *    This keeps a benchmark whose nightly mean wanders (data order, thread timing) from
 *    alarming on a wander the history has seen before.
 *
 * Under no change the false-alarm rate is at most `alpha` per benchmark (criterion 1 alone has
 * that level; the others only remove alarms), which the tests check by simulation. The same
 * criteria mirrored give `improvement`, which never fails a run.
 */

/** One night's values of a benchmark: per seed its final value, NaN when the trial diverged. */
export interface BenchmarkSample {
  readonly seeds: readonly number[];
  readonly values: readonly number[];
}

/** A benchmark's verdict and the figures behind it: the decided fields of the stored result. */
export type Decision = Pick<
  RegressResultRecord,
  'n' | 'diverged' | 'mean' | 'sd' | 'baselineMean' | 'change' | 'relChange' | 'pValue' | 'zScore' | 'historyN' | 'verdict' | 'reason'
>;

/**
 * Decides one benchmark. `history` holds the means of past nights in the lookback window
 * (oldest first; tonight excluded), `baseline` the baseline night's sample, if any.
 *
 * @example
 * ```ts
 * const d = decide(bench, { seeds: [0, 1, 2, 3, 4, 5], values: tonight }, { seeds: [0, 1, 2, 3, 4, 5], values: baseline }, pastMeans, suite);
 * if (d.verdict === 'regression') process.exitCode = 1;
 * ```
 */
export function decide(bench: BenchmarkSpec, current: BenchmarkSample, baseline: BenchmarkSample | undefined, history: readonly number[], s: SuiteSettings): Decision {
  const finite = current.values.filter(Number.isFinite);
  const diverged = current.values.length - finite.length;
  const m = mean(finite);
  const sd = sampleSd(finite);
  const base = { n: finite.length, diverged, mean: m, sd, historyN: 0 };
  const na = { baselineMean: NaN, change: NaN, relChange: NaN, pValue: NaN, zScore: NaN };
  if (current.values.length === 0) {
    return { ...base, ...na, verdict: 'error', reason: `no trial of rule ${bench.rule} on task ${bench.task} reported ${bench.metric}` };
  }
  if (!baseline || baseline.values.length === 0) {
    return { ...base, ...na, verdict: 'new', reason: 'no baseline yet: this run is the first of its suite (or the suite’s sweeps changed)' };
  }
  const sign = bench.better === 'lower' ? 1 : -1;
  const worst = bench.better === 'lower' ? Infinity : -Infinity;
  const bFinite = baseline.values.filter(Number.isFinite);
  const bDiverged = baseline.values.length - bFinite.length;
  const bMean = mean(bFinite);
  const change = finite.length && bFinite.length ? m - bMean : NaN;
  const relChange = change / Math.abs(bMean);
  const threshold = bench.relative ? bench.minChange * Math.abs(bMean) : bench.minChange;
  const worse = sign * change; // > 0: worse than the baseline

  const ranked = (xs: readonly number[]) => xs.map((v) => (Number.isFinite(v) ? v : worst));
  const pWorse = mannWhitneyU(ranked(current.values), ranked(baseline.values), bench.better === 'lower' ? 'greater' : 'less').p;
  const pBetter = mannWhitneyU(ranked(current.values), ranked(baseline.values), bench.better === 'lower' ? 'less' : 'greater').p;

  const past = history.filter(Number.isFinite).slice(-s.lookback);
  let z = NaN;
  if (past.length >= s.minHistory && finite.length > 0) {
    const hm = mean(past);
    const hs = sampleSd(past);
    const d = sign * (m - hm);
    // Identical past nights (deterministic seeds, unchanged code): any change at all is unusual.
    z = hs > 0 ? d / hs : d === 0 ? 0 : d > 0 ? Infinity : -Infinity;
  }
  const zOk = (dir: 1 | -1): boolean => Number.isNaN(z) || dir * z >= s.zMin;
  const moreDiverged = diverged > bDiverged;
  const fmt = (v: number) => (Number.isFinite(v) ? Number(v.toPrecision(3)).toString() : String(v));
  const pct = (v: number) => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}%` : '–');
  const zText = Number.isNaN(z) ? `z n/a (${past.length} past night${past.length === 1 ? '' : 's'} < ${s.minHistory})` : `z = ${fmt(z)} over ${past.length} past nights`;
  const out = { ...base, baselineMean: bMean, change, relChange, pValue: pWorse, zScore: z, historyN: past.length };

  const bigWorse = worse >= threshold / 2 || (finite.length === 0 && bFinite.length > 0);
  if (pWorse < s.alpha && (bigWorse || moreDiverged) && zOk(1)) {
    const what = moreDiverged ? `${diverged} of ${current.values.length} seeds diverged (baseline ${bDiverged}); ` : '';
    return {
      ...out,
      verdict: 'regression',
      reason: `${what}worse by ${fmt(Math.abs(change))} (${pct(relChange)}) vs ½·min change ${fmt(threshold / 2)}; Mann–Whitney p = ${fmt(pWorse)} < ${s.alpha}; ${zText}`,
    };
  }
  const bigBetter = -worse >= threshold / 2;
  if (pBetter < s.alpha && bigBetter && !moreDiverged && zOk(-1)) {
    return { ...out, pValue: pBetter, verdict: 'improvement', reason: `better by ${fmt(Math.abs(change))} (${pct(relChange)}); Mann–Whitney p = ${fmt(pBetter)} < ${s.alpha}; ${zText}; accept it as the new baseline if intended` };
  }
  const why: string[] = [];
  if (!(pWorse < s.alpha)) why.push(`not significantly worse (p = ${fmt(pWorse)} ≥ ${s.alpha})`);
  if (!(bigWorse || moreDiverged)) why.push(`change ${fmt(change)} (${pct(relChange)}) below ½·min change ${fmt(threshold / 2)}`);
  if (pWorse < s.alpha && (bigWorse || moreDiverged) && !zOk(1)) why.push(`within the nightly spread (${zText} < ${s.zMin})`);
  return { ...out, verdict: 'ok', reason: why.join('; ') || 'no change' };
}
