import { describe, expect, it } from 'vitest';
import { Rng } from '@credo/tensor';
import { hodgesLehmann, mannWhitneyU, median, normalCdf, welch } from '@credo/report';

/** The exact one-sided p of the rank-sum test by brute force: every way to label n1 of the pooled values "x". */
function bruteForceGreater(x: readonly number[], y: readonly number[]): number {
  const all = [...x, ...y];
  const n = all.length;
  const u = (xs: number[], ys: number[]) => {
    let s = 0;
    for (const a of xs) for (const b of ys) s += a > b ? 1 : a === b ? 0.5 : 0;
    return s;
  };
  const observed = u([...x], [...y]);
  let ge = 0;
  let total = 0;
  for (let mask = 0; mask < 1 << n; mask++) {
    let bits = 0;
    for (let m = mask; m; m &= m - 1) bits++;
    if (bits !== x.length) continue;
    const xs: number[] = [];
    const ys: number[] = [];
    for (let i = 0; i < n; i++) (mask & (1 << i) ? xs : ys).push(all[i]!);
    total++;
    if (u(xs, ys) >= observed - 1e-9) ge++;
  }
  return ge / total;
}

describe('Mann–Whitney U', () => {
  it('gives the textbook exact p-values for small samples', () => {
    // Complete separation, 3 vs 3: one of C(6,3) = 20 labellings is as extreme.
    expect(mannWhitneyU([4, 5, 6], [1, 2, 3], 'greater')).toMatchObject({ u: 9, p: 1 / 20, method: 'exact' });
    expect(mannWhitneyU([4, 5, 6], [1, 2, 3], 'less').p).toBe(1);
    expect(mannWhitneyU([4, 5, 6], [1, 2, 3], 'two-sided').p).toBeCloseTo(0.1, 12);
    // 6 vs 6, complete separation: 1 / C(12, 6) = 1/924.
    expect(mannWhitneyU([7, 8, 9, 10, 11, 12], [1, 2, 3, 4, 5, 6], 'greater').p).toBeCloseTo(1 / 924, 14);
    // Identical samples are as unremarkable as can be.
    expect(mannWhitneyU([1, 2, 3, 4], [1, 2, 3, 4], 'greater').p).toBeGreaterThan(0.5);
  });

  it('matches brute-force enumeration, ties and infinities included', () => {
    const rng = new Rng(7);
    for (let trial = 0; trial < 40; trial++) {
      const n1 = 2 + rng.int(5);
      const n2 = 2 + rng.int(5);
      // Few distinct values, so that ties are common; ±Infinity stand for diverged runs.
      const draw = () => [0, 1, 1, 2, 3, Infinity, -Infinity][rng.int(7)]!;
      const x = Array.from({ length: n1 }, draw);
      const y = Array.from({ length: n2 }, draw);
      expect(mannWhitneyU(x, y, 'greater').p, `${x} vs ${y}`).toBeCloseTo(bruteForceGreater(x, y), 12);
      expect(mannWhitneyU(x, y, 'less').p, `${x} vs ${y}`).toBeCloseTo(bruteForceGreater(y, x), 12);
    }
  });

  it('switches to the normal approximation past 60 values, agreeing with the exact test near the switch', () => {
    const rng = new Rng(11);
    const x = Array.from({ length: 31 }, () => rng.normal() + 0.4);
    const y = Array.from({ length: 31 }, () => rng.normal());
    const approx = mannWhitneyU(x, y, 'greater');
    const exact = mannWhitneyU(x.slice(0, 30), y.slice(0, 30), 'greater');
    expect(approx.method).toBe('normal');
    expect(exact.method).toBe('exact');
    expect(Math.abs(approx.p - exact.p)).toBeLessThan(0.05);
    expect(mannWhitneyU(Array.from({ length: 50 }, (_, i) => i + 100), Array.from({ length: 50 }, (_, i) => i), 'greater').p).toBeLessThan(1e-15);
  });

  it('refuses NaN instead of ranking it arbitrarily', () => {
    expect(() => mannWhitneyU([1, NaN], [2, 3])).toThrow(/NaN/);
  });
});

describe('Welch, Hodges–Lehmann, normal CDF', () => {
  it('Welch: the CI excludes 0 exactly when p < 0.05, with Satterthwaite df', () => {
    const x = [20.1, 19.8, 21.2, 20.7, 20.4];
    const y = [18.9, 19.5, 19.1, 18.2, 19.9, 19.4];
    const w = welch(x, y);
    expect(w.diff).toBeCloseTo(20.44 - 19.1667, 3);
    expect(w.ci95[0]).toBeLessThan(w.diff);
    expect(w.ci95[1]).toBeGreaterThan(w.diff);
    expect(w.p < 0.05).toBe(w.ci95[0] > 0);
    // df between min(n)−1 and n1+n2−2.
    expect(w.df).toBeGreaterThan(4);
    expect(w.df).toBeLessThan(9);
    expect(welch([1], [2, 3]).se).toBeNaN();
    expect(welch([1, 1], [1, 1]).p).toBe(1);
  });

  it('Hodges–Lehmann is the median pairwise difference', () => {
    expect(hodgesLehmann([3, 4, 5], [1, 2, 3])).toBe(2);
    expect(hodgesLehmann([10, 0], [0])).toBe(5);
    expect(median([3, 1, 2])).toBe(2);
    expect(hodgesLehmann([], [1])).toBeNaN();
  });

  it('normal CDF', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-3)).toBeCloseTo(0.0013499, 6);
  });
});
