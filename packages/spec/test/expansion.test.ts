import { hashKey } from '@credo/core';
import { parseSweep, sweepFromSpec, type Sweep } from '@credo/spec';
import { describe, expect, it } from 'vitest';
import { catalog, COMPONENTS } from './catalog-fixture.js';

const QUICKSTART = `
name: quickstart
description: BP vs FA vs DFA
task: { name: mnist, train: 10000, test: 2000 }
model: { name: mlp, hidden: [256] }
rule: [bp, fa, dfa]
optimizer: { name: sgd, lr: [0.1, 0.3] }
train: { epochs: 2, batch: 32 }
seeds: [0, 1]
`;

const keysOf = (s: Sweep): string[] => [...s.trials()].map((t) => t.key);

/**
 * An independent expansion of a sweep written as a plain object, by nested loops straight from
 * the documented semantics. It returns only the fields the spec mentions (plus names and seed),
 * so that defaults are not re-implemented here.
 */
function bruteForce(spec: Record<string, unknown>): Record<string, unknown>[] {
  const LIST_PARAMS = new Set(['model.hidden@mlp']);
  const expandParams = (prefix: string, name: string | undefined, obj: Record<string, unknown>, start: Record<string, unknown>) => {
    let combos = [start];
    for (const [k, v] of Object.entries(obj)) {
      if (k === 'name' && name !== undefined) continue;
      const isList = LIST_PARAMS.has(`${prefix}.${k}@${name}`);
      const values = Array.isArray(v) && (!isList || v.some(Array.isArray)) ? v : [v];
      combos = combos.flatMap((c) => values.map((x) => ({ ...c, [`${prefix}.${k}`]: x })));
    }
    return combos;
  };
  const sections: Record<string, unknown>[][] = [];
  for (const kind of ['task', 'model', 'rule', 'optimizer']) {
    const v = spec[kind] ?? (kind === 'optimizer' ? 'sgd' : undefined);
    const out: Record<string, unknown>[] = [];
    for (const item of Array.isArray(v) ? v : [v]) {
      const obj = (typeof item === 'string' ? { name: item } : item) as Record<string, unknown>;
      const names = (Array.isArray(obj['name']) ? obj['name'] : [obj['name']]) as string[];
      for (const name of names) out.push(...expandParams(kind, name, obj, { [`${kind}.name`]: name }));
    }
    sections.push(out);
  }
  sections.push(expandParams('train', undefined, (spec['train'] ?? {}) as Record<string, unknown>, {}));
  const seeds = spec['seeds'] ?? [0];
  sections.push((typeof seeds === 'number' ? Array.from({ length: seeds }, (_, i) => i) : (seeds as number[])).map((seed) => ({ seed })));
  let all: Record<string, unknown>[] = [{}];
  for (const section of sections) all = all.flatMap((a) => section.map((b) => ({ ...a, ...b })));
  return all;
}

function expectMatchesBruteForce(spec: Record<string, unknown>): Sweep {
  const sweep = parseSweep(JSON.stringify(spec), catalog, { source: 'brute.json' });
  const expected = bruteForce(spec);
  expect(sweep.count).toBe(expected.length);
  const got = [...sweep.trials()];
  expect(got).toHaveLength(expected.length);
  got.forEach((t, i) => {
    expect(t.index).toBe(i);
    const e = expected[i]!;
    const picked = Object.fromEntries(Object.keys(e).map((k) => [k, t.params[k]]));
    expect(picked).toEqual(e);
  });
  // Distinct configurations must have distinct keys, or exactly-once accounting breaks.
  expect(new Set(got.map((t) => t.key)).size).toBe(expected.length);
  return sweep;
}

describe('expansion order', () => {
  it('follows the documented nested-loop order (rule outer, lr, seeds fastest)', () => {
    const sweep = parseSweep(QUICKSTART, catalog);
    expect(sweep.count).toBe(12);
    const tuples = [...sweep.trials()].slice(0, 8).map((t) => [t.params['rule.name'], t.params['optimizer.lr'], t.params['seed']]);
    expect(tuples).toEqual([
      ['bp', 0.1, 0], ['bp', 0.1, 1], ['bp', 0.3, 0], ['bp', 0.3, 1],
      ['fa', 0.1, 0], ['fa', 0.1, 1], ['fa', 0.3, 0], ['fa', 0.3, 1],
    ]);
    expect(sweep.at(11).params).toMatchObject({ 'rule.name': 'dfa', 'optimizer.lr': 0.3, seed: 1 });
  });

  it('keeps trial keys stable across releases (golden key)', () => {
    // This key is what stored results are resumed against. It changes only if the resolved
    // configuration changes shape (e.g. TRAIN_SCHEMA gains a parameter) or hashing changes;
    // either breaks resume of existing sweeps and must be a deliberate decision.
    const t = parseSweep(QUICKSTART, catalog).at(0);
    const handWritten = {
      seed: 0,
      train: { timeoutSec: 0, evalEvery: 0, logEvery: 100, batch: 32, epochs: 2 },
      optimizer: { momentum: 0, lr: 0.1, name: 'sgd' },
      rule: { name: 'bp' },
      model: { activation: 'tanh', hidden: [256], name: 'mlp' },
      task: { test: 2000, train: 10000, name: 'mnist' },
    };
    expect(t.config).toEqual(handWritten);
    expect(t.key).toBe(hashKey(handWritten));
    expect(t.key).toBe(GOLDEN_KEY_0);
    expect(t.configKey).toBe(hashKey({ task: t.config.task, model: t.config.model, rule: t.config.rule, optimizer: t.config.optimizer, train: t.config.train }));
  });

  it('nests parameters in document order inside a component, name outermost', () => {
    const sweep = parseSweep('task: mnist\nmodel: mlp\nrule: {scale: [1, 2], name: [fa, dfa]}\noptimizer: {name: sgd, momentum: [0, 0.9], lr: [0.1, 0.2]}\n', catalog);
    const tuples = [...sweep.trials()].map((t) => [t.params['rule.name'], t.params['rule.scale'], t.params['optimizer.momentum'], t.params['optimizer.lr']]);
    expect(tuples.slice(0, 5)).toEqual([
      ['fa', 1, 0, 0.1], ['fa', 1, 0, 0.2], ['fa', 1, 0.9, 0.1], ['fa', 1, 0.9, 0.2], ['fa', 2, 0, 0.1],
    ]);
    expect(tuples[8]).toEqual(['dfa', 1, 0, 0.1]);
  });

  it('matches a brute-force expansion: quickstart', () => {
    expectMatchesBruteForce({
      name: 'q', task: { name: 'mnist', train: 10000, test: 2000 }, model: { name: 'mlp', hidden: [256] },
      rule: ['bp', 'fa', 'dfa'], optimizer: { name: 'sgd', lr: [0.1, 0.3] }, train: { epochs: 2, batch: 32 }, seeds: [0, 1],
    });
  });

  it('matches a brute-force expansion: nested choices with per-alternative axes and list params', () => {
    const sweep = expectMatchesBruteForce({
      name: 'nested',
      task: [{ name: 'mnist', train: [100, 200] }, 'mnist'],
      model: [{ name: 'mlp', hidden: [[256], [512, 256]], activation: ['tanh', 'relu'] }, { name: 'mlp', hidden: [64] }],
      rule: ['bp', { name: 'fa', scale: [1, 10] }, { name: ['dfa', 'fa'], scale: [0.5, 2] }],
      optimizer: [{ name: 'sgd', momentum: [0, 0.9], lr: [0.1, 0.3] }, { name: 'adam', lr: 0.001 }],
      train: { epochs: [1, 2], batch: 16 },
      seeds: 3,
    });
    // 3 tasks × (4 + 1) models × (1 + 2 + 4) rules × (4 + 1) optimizers × 2 epochs × 3 seeds
    expect(sweep.count).toBe(3 * 5 * 7 * 5 * 2 * 3);
  });

  it('matches a brute-force expansion: defaults only, explicit seeds list', () => {
    const sweep = expectMatchesBruteForce({ name: 'd', task: 'mnist', model: 'rnn', rule: [{ name: 'rtrl' }, 'bp'], seeds: [7, 3, 5] });
    expect(sweep.at(0).config).toEqual({
      task: { name: 'mnist', train: 60000, test: 10000 },
      model: { name: 'rnn', hidden: 32 },
      rule: { name: 'rtrl' },
      optimizer: { name: 'sgd', lr: 0.1, momentum: 0 },
      train: { epochs: 1, batch: 32, logEvery: 100, evalEvery: 0, timeoutSec: 0 },
      seed: 7,
    });
    expect(sweep.seeds).toEqual([7, 3, 5]);
  });
});

describe('trial keys', () => {
  it('do not depend on the key order of the YAML file', () => {
    const reordered = `
seeds: [0, 1]
train: { batch: 32, epochs: 2 }
optimizer: { lr: [0.1, 0.3], name: sgd }
rule: [bp, fa, dfa]
model: { hidden: [256], name: mlp }
task: { test: 2000, train: 10000, name: mnist }
description: BP vs FA vs DFA
name: quickstart
`;
    const a = parseSweep(QUICKSTART, catalog);
    const b = parseSweep(reordered, catalog);
    // The top-level nesting is fixed and the reordered keys are single-valued: same sequence.
    expect(keysOf(b)).toEqual(keysOf(a));
    expect(b.specHash).toBe(a.specHash);

    // Swapping two multi-valued axes changes the order, never the set of trials.
    const x = parseSweep('task: mnist\nmodel: mlp\nrule: fa\noptimizer: {name: sgd, lr: [0.1, 0.3], momentum: [0, 0.5]}\n', catalog);
    const y = parseSweep('task: mnist\nmodel: mlp\nrule: fa\noptimizer: {momentum: [0, 0.5], lr: [0.1, 0.3], name: sgd}\n', catalog);
    expect(keysOf(y)).not.toEqual(keysOf(x));
    expect(new Set(keysOf(y))).toEqual(new Set(keysOf(x)));
  });

  it('differ when any value differs, and writing a default out changes nothing', () => {
    const base = { task: { name: 'mnist' }, model: { name: 'mlp' }, rule: { name: 'fa' }, optimizer: { name: 'sgd' }, train: {} as Record<string, unknown>, seeds: [0] };
    const keyOf = (patch: (s: typeof base) => void): string => {
      const s = structuredClone(base);
      patch(s);
      const sweep = parseSweep(JSON.stringify(s), catalog, { source: 'k.json' });
      expect(sweep.count).toBe(1);
      return sweep.at(0).key;
    };
    const k0 = keyOf(() => {});
    expect(keyOf((s) => Object.assign(s.task, { train: 60000, test: 10000 }))).toBe(k0);
    expect(keyOf((s) => Object.assign(s.model, { hidden: [256], activation: 'tanh' }))).toBe(k0);
    expect(keyOf((s) => Object.assign(s.train, { epochs: 1, batch: 32 }))).toBe(k0);

    const variants = [
      keyOf((s) => Object.assign(s.task, { train: 59999 })),
      keyOf((s) => Object.assign(s.task, { test: 9999 })),
      keyOf((s) => Object.assign(s.model, { hidden: [255] })),
      keyOf((s) => Object.assign(s.model, { hidden: [256, 256] })),
      keyOf((s) => Object.assign(s.model, { activation: 'relu' })),
      keyOf((s) => Object.assign(s.rule, { name: 'dfa' })),
      keyOf((s) => Object.assign(s.rule, { scale: 2 })),
      keyOf((s) => Object.assign(s.optimizer, { lr: 0.2 })),
      keyOf((s) => Object.assign(s.optimizer, { momentum: 0.5 })),
      keyOf((s) => Object.assign(s.train, { epochs: 2 })),
      keyOf((s) => Object.assign(s.train, { batch: 1 })),
      keyOf((s) => Object.assign(s.train, { timeoutSec: 10 })),
      keyOf((s) => { s.seeds = [1]; }),
    ];
    expect(variants).not.toContain(k0);
    expect(new Set(variants).size).toBe(variants.length);
    for (const k of [k0, ...variants]) expect(k).toMatch(/^[0-9a-f]{16}$/);
  });

  it('group seeds of one configuration under one configKey', () => {
    const trials = [...parseSweep(QUICKSTART, catalog).trials()];
    expect(trials[0]!.configKey).toBe(trials[1]!.configKey);
    expect(trials[0]!.key).not.toBe(trials[1]!.key);
    expect(trials[1]!.configKey).not.toBe(trials[2]!.configKey);
    expect(new Set(trials.map((t) => t.configKey)).size).toBe(6);
  });

  it('are the same on every parse', () => {
    expect(keysOf(parseSweep(QUICKSTART, catalog))).toEqual(keysOf(parseSweep(QUICKSTART, catalog)));
  });
});

describe('the Sweep object', () => {
  it('describes the sweep', () => {
    const sweep = parseSweep(QUICKSTART, catalog);
    expect(sweep.id).toBe('quickstart');
    expect(sweep.name).toBe('quickstart');
    expect(sweep.description).toBe('BP vs FA vs DFA');
    expect(sweep.seeds).toEqual([0, 1]);
    expect(sweep.varied).toEqual(['rule.name', 'optimizer.lr']);
    expect(sweep.specHash).toMatch(/^[0-9a-f]{16}$/);
    expect(sweep.at(4).params).toEqual({
      'task.name': 'mnist', 'task.train': 10000, 'task.test': 2000,
      'model.name': 'mlp', 'model.hidden': [256], 'model.activation': 'tanh',
      'rule.name': 'fa', 'rule.scale': 1,
      'optimizer.name': 'sgd', 'optimizer.lr': 0.1, 'optimizer.momentum': 0,
      'train.epochs': 2, 'train.batch': 32, 'train.logEvery': 100, 'train.evalEvery': 0, 'train.timeoutSec': 0,
      seed: 0,
    });
  });

  it('lists as varied only parameters with more than one value across the grid', () => {
    const sweep = parseSweep(
      'task: mnist\nmodel: {name: mlp, hidden: [[64], [128]]}\nrule: [bp, {name: fa, scale: 2}, {name: dfa, scale: 2}]\noptimizer: [{name: sgd, lr: 0.1}, {name: sgd, lr: 0.1, momentum: 0.9}]\ntrain: {batch: [1, 8]}\nseeds: 5\n',
      catalog,
    );
    expect(sweep.varied).toEqual(['model.hidden', 'rule.name', 'optimizer.momentum', 'train.batch']);
  });

  it('takes its name from the file, or from its content when there is no file', () => {
    const body = 'task: mnist\nmodel: mlp\nrule: bp\n';
    expect(parseSweep(body, catalog, { source: 'runs/FA vs BP.yaml' }).id).toBe('fa-vs-bp');
    const anon = parseSweep(body, catalog);
    expect(anon.id).toMatch(/^sweep-[0-9a-f]{8}$/);
    expect(parseSweep(body, catalog).id).toBe(anon.id);
    expect(parseSweep('task: mnist\nmodel: mlp\nrule: fa\n', catalog).id).not.toBe(anon.id);
  });

  it('fills the default optimizer, and normalizes shorthand so equal grids hash equal', () => {
    const a = parseSweep('name: n\ntask: mnist\nmodel: mlp\nrule: bp\nseeds: 2\n', catalog);
    const b = parseSweep('name: n\ntask: {name: mnist, train: 60000}\nmodel: [mlp]\nrule: {name: [bp]}\noptimizer: {name: sgd, lr: [0.1]}\nseeds: [0, 1]\n', catalog);
    expect(b.specHash).toBe(a.specHash);
    expect(keysOf(b)).toEqual(keysOf(a));
    expect(a.at(0).config.optimizer).toEqual({ name: 'sgd', lr: 0.1, momentum: 0 });
    expect(a.spec.seeds).toBe(2);
    expect(parseSweep('name: n\ntask: mnist\nmodel: mlp\nrule: bp\nseeds: 3\n', catalog).specHash).not.toBe(a.specHash);
  });

  it('has a normalized spec that rebuilds the same sweep', () => {
    const sweep = parseSweep('name: rt\ntask: mnist\nmodel: {name: mlp, hidden: [[64], [128, 64]]}\nrule: [bp, {name: [fa, dfa], scale: [1, 3]}]\noptimizer: {name: sgd, momentum: [0, 0.9], lr: [0.1, 0.3]}\nseeds: [4, 2]\n', catalog);
    const stored = JSON.stringify(sweep.spec);
    expect(JSON.parse(stored)).toEqual(sweep.spec);
    for (const again of [sweepFromSpec(JSON.parse(stored), catalog), parseSweep(stored, catalog)]) {
      expect(again.specHash).toBe(sweep.specHash);
      expect(again.id).toBe('rt');
      expect(keysOf(again)).toEqual(keysOf(sweep));
    }
    expect(sweep.spec.rule).toEqual([
      { name: 'bp' }, { name: 'fa', scale: [1, 3] }, { name: 'dfa', scale: [1, 3] },
    ]);
  });

  it('freezes what it hands out, without freezing the catalog', () => {
    const sweep = parseSweep(QUICKSTART, catalog);
    const t = sweep.at(0);
    expect(Object.isFrozen(t)).toBe(true);
    expect(Object.isFrozen(t.config)).toBe(true);
    expect(Object.isFrozen(t.config.model)).toBe(true);
    expect(Object.isFrozen(t.config.model['hidden'])).toBe(true);
    expect(Object.isFrozen(t.params)).toBe(true);
    expect(Object.isFrozen(sweep.spec)).toBe(true);
    expect(() => { (t.config as { seed: number }).seed = 5; }).toThrow(TypeError);
    parseSweep('task: mnist\nmodel: mlp\nrule: bp\n', catalog).at(0);
    const mlp = COMPONENTS.find((c) => c.name === 'mlp')!;
    expect(Object.isFrozen(mlp.params['hidden']!.default)).toBe(false);
  });

  it('rejects an index outside the grid', () => {
    const sweep = parseSweep(QUICKSTART, catalog);
    for (const i of [-1, 12, 1.5, Number.NaN]) expect(() => sweep.at(i)).toThrow(expect.objectContaining({ code: 'USAGE' }));
    expect([...sweep.trials(12)]).toEqual([]);
    expect([...sweep.trials(10)].map((t) => t.index)).toEqual([10, 11]);
    expect(() => [...sweep.trials(13)]).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });
});

const GOLDEN_KEY_0 = 'ed5ea40225c1c38f';
