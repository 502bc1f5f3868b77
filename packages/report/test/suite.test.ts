import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CredoError } from '@credo/core';
import { parseOverride, parseSuite, suiteSweeps } from '@credo/report';
import { defaultCatalog } from '@credo/runtime';

const NIGHTLY = new URL('../../../regress/nightly.yaml', import.meta.url);

function err(f: () => unknown): CredoError {
  try {
    f();
  } catch (e) {
    if (e instanceof CredoError) return e;
    throw e;
  }
  throw new Error('expected a CredoError');
}

describe('regression suite files', () => {
  it('regress/nightly.yaml parses and its sweeps validate against the registered rules', () => {
    const suite = parseSuite(readFileSync(NIGHTLY, 'utf8'), 'regress/nightly.yaml');
    expect(suite.name).toBe('nightly');
    expect(suite.alpha).toBe(0.05);
    expect(suite.benchmarks.map((b) => b.id)).toContain('fa/linear-teacher/test/mse');
    expect(suite.benchmarks.find((b) => b.id === 'fa/linear-teacher/test/mse')).toMatchObject({ better: 'lower', minChange: 0.15, relative: true });
    expect(suite.benchmarks.find((b) => b.metric === 'angle/fa_bp/h1')).toMatchObject({ minChange: 10, relative: false });
    const sweeps = suiteSweeps(suite, defaultCatalog(), 'nightly-2025-01-31-nightly');
    expect(sweeps.map((s) => s.id)).toEqual(['nightly-2025-01-31-nightly-linear', 'nightly-2025-01-31-nightly-nonlinear']);
    // Every benchmark has trials to judge.
    for (const b of suite.benchmarks) {
      const n = sweeps.reduce((acc, s) => acc + [...s.trials()].filter((t) => t.params['rule.name'] === b.rule && t.params['task.name'] === b.task).length, 0);
      expect(n, b.id).toBeGreaterThanOrEqual(5);
    }
  });

  it('names the bad field, value and what is allowed', () => {
    const base = 'suite: s\nsweeps:\n  - { name: a, task: linear-teacher, model: mlp, rule: bp }\nbenchmarks:\n  - { rule: bp, task: linear-teacher, metric: test/mse, better: lower, minChange: 10% }\n';
    expect(parseSuite(base).benchmarks[0]).toMatchObject({ minChange: 0.1, relative: true });
    const e1 = err(() => parseSuite(base.replace('better: lower', 'better: down')));
    expect(e1.code).toBe('SPEC_INVALID');
    expect(e1.field).toBe('benchmarks[0].better');
    expect(e1.allowed).toBe('lower, higher');
    expect(err(() => parseSuite(base.replace('minChange: 10%', 'minChange: -1'))).field).toBe('benchmarks[0].minChange');
    expect(err(() => parseSuite(base + 'alpha: 0.7\n')).field).toBe('alpha');
    expect(err(() => parseSuite(base + 'extra: 1\n')).field).toBe('extra');
    expect(err(() => parseSuite(base.replace('suite: s', 'suite: S!'))).field).toBe('suite');
    expect(err(() => parseSuite('suite: [')).code).toBe('SPEC_SYNTAX');
    // A bad sweep is caught by the spec package, before anything runs.
    const bad = parseSuite(base.replace('rule: bp', 'rule: nope'));
    expect(err(() => suiteSweeps(bad, defaultCatalog(), 'r')).code).toBe('UNKNOWN_COMPONENT');
  });

  it('--set overrides one alternative for one run, and refuses what no sweep can take', () => {
    expect(parseOverride('fa:rule.scale=0.000001')).toEqual({ key: 'fa:rule.scale', alternative: 'fa', kind: 'rule', param: 'scale', value: 0.000001 });
    expect(parseOverride('train.epochs=2')).toMatchObject({ kind: 'train', param: 'epochs', value: 2 });
    expect(err(() => parseOverride('scale=1')).code).toBe('USAGE');
    const suite = parseSuite(readFileSync(NIGHTLY, 'utf8'));
    const [linear] = suiteSweeps(suite, defaultCatalog(), 'x', [parseOverride('fa:rule.scale=0.000001')]);
    const params = [...linear!.trials()].map((t) => t.params);
    expect(params.filter((p) => p['rule.name'] === 'fa').every((p) => p['rule.scale'] === 0.000001)).toBe(true);
    expect(params.filter((p) => p['rule.name'] === 'bp').every((p) => p['rule.scale'] === undefined)).toBe(true);
    // The override changes the trials (new keys), so a broken run never reuses normal results.
    const [normal] = suiteSweeps(suite, defaultCatalog(), 'x');
    expect(linear!.specHash).not.toBe(normal!.specHash);
    expect(err(() => suiteSweeps(suite, defaultCatalog(), 'x', [parseOverride('fa:rule.nosuch=1')])).code).toBe('USAGE');
    expect(err(() => suiteSweeps(suite, defaultCatalog(), 'x', [parseOverride('fa:rule.scale=0')])).code).toBe('BAD_PARAM');
  });
});
