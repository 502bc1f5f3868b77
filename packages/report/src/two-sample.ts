import { CredoError } from '@credo/core';
import { mean, normalCdf, normalQuantile, sampleSd, studentTCdf, studentTQuantile } from '@credo/store';

/*
 * Two-sample tests for comparing seeds: Mann–Whitney U (rank-based, so one wild seed cannot
 * carry the verdict, and exact for the small samples a nightly suite has), Welch's t interval
 * for a difference of means, and the Hodges–Lehmann shift estimate that goes with U.
 */

/** Which way the alternative hypothesis points, for `x` relative to `y`. */
export type Alternative = 'two-sided' | 'greater' | 'less';

export interface MannWhitneyResult {
  /** U of the first sample: the number of pairs (x, y) with x > y, ties counting ½. */
  readonly u: number;
  readonly n1: number;
  readonly n2: number;
  readonly p: number;
  /** `exact` (the permutation distribution of the rank sum, ties included) or `normal`. */
  readonly method: 'exact' | 'normal';
}

/** Up to this many values in both samples the p-value is exact (a DP over rank sums: ~N²·n/2 steps). */
const EXACT_MAX_N = 60;

/**
 * Mann–Whitney U test of `x` against `y`. With `greater`, small p means x tends to be larger.
 * The p-value is exact up to 60 values in all (ties handled exactly, by the permutation
 * distribution of mid-rank sums), beyond that the normal approximation with tie and continuity
 * corrections. NaN values are refused: map diverged runs to ±Infinity first, which ranks them
 * as the extremes they are.
 *
 * @example
 * ```ts
 * mannWhitneyU([5, 6, 7, 8, 9], [1, 2, 3, 4, 5], 'greater') // { u: 24.5, p: 0.0060, method: 'exact', … }
 * ```
 */
export function mannWhitneyU(x: readonly number[], y: readonly number[], alternative: Alternative = 'two-sided'): MannWhitneyResult {
  if (x.some(Number.isNaN) || y.some(Number.isNaN)) {
    throw new CredoError('BAD_PARAM', 'NaN cannot be ranked; map diverged runs to ±Infinity', { field: 'values' });
  }
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) return { u: NaN, n1, n2, p: NaN, method: 'exact' };
  const all = [...x.map((v) => ({ v, s: 0 })), ...y.map((v) => ({ v, s: 1 }))].sort((a, b) => (a.v < b.v ? -1 : a.v > b.v ? 1 : 0));
  const n = n1 + n2;
  // Doubled mid-ranks are integers: 2·rank of a tie block spanning ranks i+1..j is i+1+j.
  const rank2 = new Array<number>(n);
  let tieTerm = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && all[j + 1]!.v === all[i]!.v) j++;
    const r2 = i + 1 + (j + 1);
    for (let k = i; k <= j; k++) rank2[k] = r2;
    const t = j - i + 1;
    tieTerm += t * t * t - t;
    i = j + 1;
  }
  let w2 = 0;
  for (let k = 0; k < n; k++) if (all[k]!.s === 0) w2 += rank2[k]!;
  const u = w2 / 2 - (n1 * (n1 + 1)) / 2;

  let pGreater: number;
  let pLess: number;
  let method: 'exact' | 'normal';
  if (n <= EXACT_MAX_N) {
    method = 'exact';
    const dist = rankSumDistribution(rank2, n1);
    let ge = 0;
    let le = 0;
    let total = 0;
    for (let s = 0; s < dist.length; s++) {
      const c = dist[s]!;
      if (c === 0) continue;
      total += c;
      if (s >= w2) ge += c;
      if (s <= w2) le += c;
    }
    pGreater = ge / total;
    pLess = le / total;
  } else {
    method = 'normal';
    const mu = (n1 * n2) / 2;
    const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
    if (sigma === 0) {
      pGreater = 1;
      pLess = 1;
    } else {
      pGreater = 1 - normalCdf((u - mu - 0.5) / sigma);
      pLess = normalCdf((u - mu + 0.5) / sigma);
    }
  }
  const p = alternative === 'greater' ? pGreater : alternative === 'less' ? pLess : Math.min(1, 2 * Math.min(pGreater, pLess));
  return { u, n1, n2, p: Math.min(1, p), method };
}

/**
 * Number of ways (as doubles: C(60, 30) ≈ 1.2e17 is still represented to 1e-16 relative) to
 * pick `k` of the items whose doubled ranks are `rank2`, by their doubled rank sum.
 */
function rankSumDistribution(rank2: readonly number[], k: number): Float64Array {
  const maxSum = rank2.reduce((a, b) => a + b, 0);
  // ways[j][s]: subsets of size j with doubled-rank sum s, over the items seen so far.
  const ways = Array.from({ length: k + 1 }, () => new Float64Array(maxSum + 1));
  ways[0]![0] = 1;
  for (const r of rank2) {
    for (let j = Math.min(k, rank2.length); j >= 1; j--) {
      const dst = ways[j]!;
      const src = ways[j - 1]!;
      for (let s = maxSum; s >= r; s--) dst[s] += src[s - r]!;
    }
  }
  return ways[k]!;
}

/**
 * Hodges–Lehmann estimate of the shift of `x` relative to `y`: the median of all differences
 * x_i − y_j. Robust to a single wild seed, and the estimate that goes with the U test.
 *
 * @example
 * ```ts
 * hodgesLehmann([3, 4, 5], [1, 2, 3]) // 2
 * ```
 */
export function hodgesLehmann(x: readonly number[], y: readonly number[]): number {
  if (x.length === 0 || y.length === 0) return NaN;
  const d: number[] = [];
  for (const a of x) for (const b of y) d.push(a - b);
  return median(d);
}

/**
 * The median (mean of the middle two for an even count); NaN when empty.
 *
 * @example
 * ```ts
 * median([3, 1, 2, 10]) // 2.5
 * ```
 */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface WelchResult {
  /** mean(x) − mean(y). */
  readonly diff: number;
  readonly se: number;
  /** Welch–Satterthwaite degrees of freedom (fractional). */
  readonly df: number;
  /** 95% CI of the difference. */
  readonly ci95: readonly [number, number];
  /** Two-sided p-value. */
  readonly p: number;
}

/**
 * Welch's unequal-variance t interval and test for mean(x) − mean(y). NaN fields when either
 * sample has fewer than two values; with zero variance in both, the CI collapses to the
 * difference and p is 0 (different means) or 1 (equal).
 *
 * @example
 * ```ts
 * welch([0.30, 0.32, 0.31], [0.20, 0.21, 0.22]).ci95 // ≈ [0.075, 0.125]
 * ```
 */
export function welch(x: readonly number[], y: readonly number[]): WelchResult {
  const diff = mean(x) - mean(y);
  if (x.length < 2 || y.length < 2) return { diff, se: NaN, df: NaN, ci95: [NaN, NaN], p: NaN };
  const vx = sampleSd(x) ** 2 / x.length;
  const vy = sampleSd(y) ** 2 / y.length;
  const se = Math.sqrt(vx + vy);
  if (se === 0) return { diff, se, df: Infinity, ci95: [diff, diff], p: diff === 0 ? 1 : 0 };
  const df = (vx + vy) ** 2 / (vx ** 2 / (x.length - 1) + vy ** 2 / (y.length - 1));
  const t = studentTQuantile(0.975, df);
  const p = 2 * (1 - studentTCdf(Math.abs(diff) / se, df));
  return { diff, se, df, ci95: [diff - t * se, diff + t * se], p: Math.max(0, Math.min(1, p)) };
}

/** Re-exported so that callers of this module need not reach into the store for it. */
export { normalCdf, normalQuantile };
