import { parseSweep, type Trial } from '@credo/spec';
import { describe, expect, it } from 'vitest';
import { catalog } from './catalog-fixture.js';

const range = (n: number, f: (k: number) => number): number[] => Array.from({ length: n }, (_, k) => f(k));

/** rule fa × `scales` values, optimizer sgd × `lrs` values, `seeds` seeds: index = (s·|lr| + l)·|seeds| + seed. */
function bigSpec(n: number, seeds: number | string): string {
  const scales = range(n, (k) => k + 1);
  const lrs = range(n, (k) => (k + 1) / 1e5);
  return `name: big\ntask: mnist\nmodel: mlp\nrule: {name: fa, scale: [${scales.join(', ')}]}\noptimizer: {name: sgd, lr: [${lrs.join(', ')}]}\nseeds: ${seeds}\n`;
}

const tuple = (t: Trial): unknown[] => [t.params['rule.scale'], t.params['optimizer.lr'], t.params['seed']];

describe('lazy expansion', () => {
  it('handles a 10^6-trial sweep by arithmetic', () => {
    const sweep = parseSweep(bigSpec(100, 100), catalog);
    expect(sweep.count).toBe(1e6);
    expect(sweep.varied).toEqual(['rule.scale', 'optimizer.lr']);
    expect(tuple(sweep.at(999_999))).toEqual([100, 100 / 1e5, 99]);
    expect(tuple(sweep.at(123_456))).toEqual([13, 35 / 1e5, 56]);
    const first: Trial[] = [];
    for (const t of sweep.trials()) {
      first.push(t);
      if (first.length === 10) break;
    }
    expect(first.map((t) => t.index)).toEqual(range(10, (k) => k));
    expect(first.map(tuple)).toEqual(range(10, (k) => [1, 1e-5, k]));
    expect(new Set(first.map((t) => t.key)).size).toBe(10);
    expect(new Set(first.map((t) => t.configKey)).size).toBe(1);
  });

  it('handles a 10^12-trial sweep, which could never be materialized', () => {
    const sweep = parseSweep(bigSpec(10_000, 10_000), catalog);
    expect(sweep.count).toBe(1e12);
    expect(tuple(sweep.at(1e12 - 1))).toEqual([10_000, 10_000 / 1e5, 9_999]);
    expect(tuple(sweep.at(123_456_789_012))).toEqual([1235, 5679 / 1e5, 9012]);
    expect([...sweep.trials(1e12 - 2)].map((t) => t.index)).toEqual([1e12 - 2, 1e12 - 1]);
    expect(sweep.at(1e12 - 1).key).toBe(parseSweep(bigSpec(10_000, 10_000), catalog).at(1e12 - 1).key);
  });

  it('indexes exactly up to 2^53 − 1 and rejects larger grids', () => {
    const top = 2 ** 52 - 1;
    const sweep = parseSweep(`task: mnist\nmodel: mlp\nrule: [bp, fa]\nseeds: ${top}\n`, catalog);
    expect(sweep.count).toBe(2 * top);
    // Indices near 2^53 are where floating-point division would round the wrong way.
    expect(tuple(sweep.at(2 * top - 1))).toEqual([1, 0.1, top - 1]);
    expect(sweep.at(2 * top - 1).params['rule.name']).toBe('fa');
    expect(sweep.at(top - 1).params).toMatchObject({ 'rule.name': 'bp', seed: top - 1 });
    expect(sweep.at(top).params).toMatchObject({ 'rule.name': 'fa', seed: 0 });

    let err: unknown;
    try {
      parseSweep(`task: mnist\nmodel: mlp\nrule: [bp, fa, dfa]\nseeds: ${top}\n`, catalog);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'SPEC_INVALID' });
    expect((err as Error).message).toMatch(/grid too large/);
    expect((err as Error).message).toContain(String(top));
  });
});
