import { describe, expect, it } from 'vitest';
import { CredoError } from '@credo/core';
import { createSequenceLearner, modelRegistry, ruleRegistry, sequenceRuleOf, type SequenceLearner } from '@credo/rules';
import { randomBatch } from './temporal-reference.js';

const TEMPORAL = ['bptt', 'tbptt', 'rtrl', 'uoro', 'rflo', 'sab'] as const;
const shape = { inputs: 3, outputs: 2, loss: 'mse' as const };

function make(rule: Record<string, unknown> & { name: string }, model: Record<string, unknown> & { name: string } = { name: 'rnn', hidden: 5 }, rows = 1): SequenceLearner {
  return createSequenceLearner({ model: model as never, rule: rule as never, optimizer: { name: 'sgd', lr: 0.01 } }, shape, 0, rows);
}

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof CredoError) return `${e.code} ${e.field ?? ''}`;
    throw e;
  }
  return undefined;
}

describe('temporal rules in the registry', () => {
  it('are registered with a sequence hook, declare the models they train, and only sequence models', () => {
    for (const name of TEMPORAL) {
      const r = ruleRegistry.get(name);
      expect(sequenceRuleOf(r.impl), name).toBeDefined();
      expect(r.info.models, name).toContain('rnn');
      for (const m of r.info.models!) expect(modelRegistry.has(m), `${name} → ${m}`).toBe(true);
    }
    expect(ruleRegistry.get('rflo').info.models).toEqual(['rnn']);
    expect(ruleRegistry.get('sab').info.models).toEqual(['rnn']);
    expect(ruleRegistry.get('rtrl').info.models).toContain('influence-chain');
  });
  it('every rule rejects an unknown parameter, naming it', () => {
    for (const name of TEMPORAL) expect(code(() => make({ name, bogus: 1 })), name).toBe('UNKNOWN_PARAM rule.bogus');
  });
  it('bad values are BAD_PARAM with the field', () => {
    expect(code(() => make({ name: 'tbptt', k: 0 }))).toBe('BAD_PARAM rule.k');
    expect(code(() => make({ name: 'tbptt', k: 3, stride: 4 }))).toBe('BAD_PARAM rule.stride');
    expect(code(() => make({ name: 'rtrl', influence: 'U' }))).toBe('BAD_PARAM rule.influence');
    expect(code(() => make({ name: 'uoro', scaling: 'rho' }))).toBe('BAD_PARAM rule.scaling');
    expect(code(() => make({ name: 'sab', kAtt: 0 }))).toBe('BAD_PARAM rule.kAtt');
    expect(code(() => make({ name: 'rflo', alpha: 2 }))).toBe('BAD_PARAM rule.alpha');
    expect(code(() => make({ name: 'bptt' }, { name: 'rnn', hidden: 0 }))).toBe('BAD_PARAM model.hidden');
    expect(code(() => make({ name: 'bptt' }, { name: 'rnn', alpha: 0 }))).toBe('BAD_PARAM model.alpha');
    expect(code(() => make({ name: 'bptt' }, { name: 'rnn', leak: 0.5 }))).toBe('UNKNOWN_PARAM model.leak');
  });
  it('pairings are checked: feedforward rules on the rnn, rnn-only rules on the chain, sequence rules on the mlp', () => {
    expect(code(() => make({ name: 'bp' }))).toBe('SPEC_INVALID rule.name');
    expect(code(() => make({ name: 'rflo' }, { name: 'influence-chain' }))).toBe('SPEC_INVALID rule.name');
    expect(code(() => make({ name: 'sab' }, { name: 'influence-chain' }))).toBe('SPEC_INVALID rule.name');
    const one = { inputs: 1, outputs: 1, loss: 'mse' as const };
    expect(code(() => createSequenceLearner({ model: { name: 'influence-chain' }, rule: { name: 'rtrl', influence: 'W' }, optimizer: { name: 'sgd' } }, one, 0, 1))).toBe('BAD_PARAM rule.influence');
    expect(code(() => createSequenceLearner({ model: { name: 'mlp' }, rule: { name: 'bp' }, optimizer: { name: 'sgd' } }, shape, 0, 1))).toBe('SPEC_INVALID model.name');
    // the chain needs one mse output
    expect(code(() => make({ name: 'rtrl' }, { name: 'influence-chain' }))).toBe('SHAPE_MISMATCH model.name');
  });
});

describe('the rnn model', () => {
  it('initialises as perf-baseline §4.3: W, U, V ~ U(±1/√fan_in), b = c = 0, same for every rule', () => {
    const a = make({ name: 'bptt' }, { name: 'rnn', hidden: 50 }).parameters();
    const b = make({ name: 'uoro' }, { name: 'rnn', hidden: 50 }).parameters();
    expect([...a['Wt']!]).toEqual([...b['Wt']!]);
    const max = (v: Float32Array): number => Math.max(...v.map(Math.abs));
    expect(max(a['Wt']!)).toBeLessThanOrEqual(1 / Math.sqrt(50));
    expect(max(a['Wt']!)).toBeGreaterThan(0.9 / Math.sqrt(50));
    expect(max(a['Ut']!)).toBeLessThanOrEqual(1 / Math.sqrt(3));
    expect(max(a['Vt']!)).toBeLessThanOrEqual(1 / Math.sqrt(50));
    expect(max(a['b']!)).toBe(0);
    expect(max(a['c']!)).toBe(0);
    // different seeds, different weights
    const c = createSequenceLearner({ model: { name: 'rnn', hidden: 50 }, rule: { name: 'bptt' }, optimizer: { name: 'sgd' } }, shape, 1, 1).parameters();
    expect([...c['Wt']!]).not.toEqual([...a['Wt']!]);
  });
  it('a leaky rnn forgets slowly: with W = U = 0 the state decays by (1 − α) per step', () => {
    const l = make({ name: 'bptt' }, { name: 'rnn', hidden: 4, alpha: 0.25 });
    const p = l.parameters();
    p['Wt']!.fill(0);
    p['Ut']!.fill(0);
    p['b']!.fill(0.5);
    const u = l.cell;
    const s = new Float32Array(4), s2 = new Float32Array(4), aux = new Float32Array(4);
    u.forward(s, new Float32Array(3), s2, aux, 1);
    expect(s2[0]).toBeCloseTo(0.25 * Math.tanh(0.5), 6);
    u.forward(s2, new Float32Array(3), s, aux, 1);
    expect(s[0]).toBeCloseTo(0.75 * 0.25 * Math.tanh(0.5) + 0.25 * Math.tanh(0.5), 6);
  });
  it('training with every rule lowers the loss on a learnable sequence (an echo of the input one step back)', () => {
    // target_t = x_{t−1}: needs one step of memory, so every temporal rule can learn it
    const T = 60;
    const b = randomBatch(9, T, 2, 3, 2, 'mse');
    for (let t = 0; t < T; t++) for (let r = 0; r < 2; r++) for (let o = 0; o < 2; o++) b.y[(t * 2 + r) * 2 + o] = t > 0 ? 0.5 * b.x[((t - 1) * 2 + r) * 3 + o]! : 0;
    for (const rule of [{ name: 'bptt' }, { name: 'tbptt', k: 3 }, { name: 'rtrl' }, { name: 'uoro' }, { name: 'rflo' }, { name: 'sab', kTop: 2, kAtt: 2, kTrunc: 4 }]) {
      const l = createSequenceLearner({ model: { name: 'rnn', hidden: 12 }, rule: rule as never, optimizer: { name: 'sgd', lr: rule.name === 'bptt' ? 0.02 : 0.05 } }, shape, 3, 2);
      const before = l.evaluate(b).loss;
      for (let epoch = 0; epoch < 40; epoch++) {
        l.reset();
        for (let t = 0; t < T; t++) l.step(b.x.subarray(t * 6, t * 6 + 6), b.y.subarray(t * 4, t * 4 + 4));
        l.endSegment();
      }
      expect(l.evaluate(b).loss, rule.name).toBeLessThan(0.7 * before);
    }
  });
  it('is deterministic: two learners with the same seed produce the same parameters', () => {
    for (const name of TEMPORAL) {
      const b = randomBatch(5, 30, 1, 3, 2, 'mse');
      const run = (): Float32Array => {
        const l = make(name === 'tbptt' ? { name, k: 4 } : { name });
        for (let t = 0; t < 30; t++) l.step(b.x.subarray(t * 3, t * 3 + 3), b.y.subarray(t * 2, t * 2 + 2));
        l.endSegment();
        return Float32Array.from(l.parameters()['Wt']!);
      };
      expect([...run()], name).toEqual([...run()]);
    }
  });
  it('reports memory held per step in the order of the algorithms (rtrl n·P ≫ uoro n + P ≥ rflo P)', () => {
    const N = 8, P = N * (N + 3 + 1);
    const mem = (rule: { name: string } & Record<string, unknown>): number => {
      const l = make(rule, { name: 'rnn', hidden: N });
      for (let t = 0; t < 20; t++) l.step(new Float32Array(3), new Float32Array(2));
      return l.metrics()['memory/floats']!;
    };
    expect(mem({ name: 'rtrl' })).toBe(2 * N * P);
    expect(mem({ name: 'rflo' })).toBe(P);
    expect(mem({ name: 'uoro' })).toBeGreaterThanOrEqual(P + N);
    expect(mem({ name: 'tbptt', k: 3 })).toBeLessThan(mem({ name: 'bptt' }));
  });
});
