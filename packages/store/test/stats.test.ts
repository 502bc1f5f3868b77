import { describe, expect, it } from 'vitest';
import { ci95HalfWidth, mean, normalQuantile, sampleSd, studentTCdf, studentTQuantile, summarize, tCritical95 } from '@credo/store';

describe('t quantiles', () => {
  it('match the printed table at 3 decimals', () => {
    // Two-sided 95% critical values, as in every statistics table.
    const table: Array<[number, number]> = [
      [1, 12.706], [2, 4.303], [3, 3.182], [4, 2.776], [5, 2.571], [6, 2.447], [7, 2.365], [8, 2.306], [9, 2.262],
      [10, 2.228], [15, 2.131], [20, 2.086], [25, 2.06], [30, 2.042], [40, 2.021], [60, 2.0], [120, 1.98],
    ];
    for (const [df, t] of table) expect(tCritical95(df).toFixed(3), `df=${df}`).toBe(t.toFixed(3));
    expect(tCritical95(Infinity).toFixed(3)).toBe('1.960');
    expect(tCritical95(1e6)).toBeCloseTo(1.959966, 5);
  });

  it('agree with high-precision reference values', () => {
    // Reference values from scipy.stats (t.ppf, norm.ppf), equal to R's qt/qnorm.
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.70620474, 7);
    expect(studentTQuantile(0.975, 3)).toBeCloseTo(3.182446305, 8);
    expect(studentTQuantile(0.975, 5)).toBeCloseTo(2.570581836, 8);
    expect(studentTQuantile(0.975, 30)).toBeCloseTo(2.042272456, 8);
    expect(studentTQuantile(0.995, 4)).toBeCloseTo(4.604094871, 8);
    expect(studentTQuantile(0.9, 7)).toBeCloseTo(1.414923928, 8);
    expect(studentTQuantile(0.975, 2.5)).toBeCloseTo(3.574654842, 8);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963985, 9);
    expect(normalQuantile(1e-10)).toBeCloseTo(-6.361340902, 8);
  });

  it('are symmetric and invert the CDF', () => {
    for (const df of [1, 1.5, 3, 7, 19, 250]) {
      for (const p of [0.6, 0.9, 0.975, 0.999]) {
        const t = studentTQuantile(p, df);
        expect(studentTQuantile(1 - p, df)).toBeCloseTo(-t, 10);
        expect(studentTCdf(t, df)).toBeCloseTo(p, 12);
      }
    }
    expect(studentTQuantile(0.5, 3)).toBe(0);
    expect(studentTQuantile(0.975, 0)).toBeNaN();
    expect(studentTQuantile(1.2, 3)).toBeNaN();
  });
});

describe('sample statistics', () => {
  it('mean, sample sd (n − 1) and the 95% CI half-width', () => {
    const xs = [2, 4, 4, 4, 5, 5, 7, 9];
    expect(mean(xs)).toBe(5);
    expect(sampleSd(xs)).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(ci95HalfWidth(xs)).toBeCloseTo((2.364624252 * Math.sqrt(32 / 7)) / Math.sqrt(8), 8);
    expect(ci95HalfWidth([1, 2, 3])).toBeCloseTo(4.302652730 / Math.sqrt(3), 8);
  });

  it('keeps precision with a large common offset', () => {
    expect(sampleSd([1e9 + 1, 1e9 + 2, 1e9 + 3])).toBeCloseTo(1, 9);
  });

  it('gives NaN spread for a single value and NaN everything for none', () => {
    expect(summarize([0.3])).toEqual({ n: 1, mean: 0.3, sd: NaN, ci95: NaN, min: 0.3, max: 0.3 });
    expect(summarize([])).toEqual({ n: 0, mean: NaN, sd: NaN, ci95: NaN, min: NaN, max: NaN });
    expect(summarize([3, 1, 2])).toMatchObject({ n: 3, mean: 2, sd: 1, min: 1, max: 3 });
  });
});
