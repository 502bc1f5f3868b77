import { describe, expect, it } from 'vitest';
import { CredoError } from '@credo/core';
import { createLearner, modelRegistry, optimizerRegistry, ruleRegistry, type LearnerConfig } from '@credo/rules';

const SHAPE = { inputs: 6, outputs: 3, loss: 'softmax-ce' } as const;
const BASE: LearnerConfig = { model: { name: 'mlp', hidden: [4] }, rule: { name: 'bp' }, optimizer: { name: 'sgd' } };

function errorOf(f: () => unknown): CredoError {
  try {
    f();
  } catch (e) {
    if (e instanceof CredoError) return e;
    throw e;
  }
  throw new Error('expected a CredoError, got none');
}

describe('component parameters', () => {
  it('registers the built-ins at import time (other models\' rules may follow)', () => {
    expect(modelRegistry.names()[0]).toBe('mlp');
    expect(ruleRegistry.names().slice(0, 10)).toEqual(['bp', 'fa', 'dfa', 'pbp', 'shallow', 'usf', 'frsf', 'brsf', 'kp', 'wm']);
    expect(optimizerRegistry.names()).toEqual(['sgd', 'momentum', 'adam']);
  });

  it('every registered rule, model and optimizer rejects an unknown parameter with UNKNOWN_PARAM', () => {
    const cases: [keyof LearnerConfig, string][] = [
      ...ruleRegistry.names().map((n) => ['rule', n] as [keyof LearnerConfig, string]),
      ...modelRegistry.names().map((n) => ['model', n] as [keyof LearnerConfig, string]),
      ...optimizerRegistry.names().map((n) => ['optimizer', n] as [keyof LearnerConfig, string]),
    ];
    expect(cases.length).toBeGreaterThanOrEqual(14);
    for (const [kind, name] of cases) {
      const cfg = { ...BASE, [kind]: { ...(kind === 'model' && name === 'mlp' ? BASE.model : {}), name, lerningRate: 0.1 } };
      const e = errorOf(() => createLearner(cfg, SHAPE, 0));
      expect(e.code, `${kind} ${name}`).toBe('UNKNOWN_PARAM');
      expect(e.field).toBe(`${kind}.lerningRate`);
      // and components that go with an mlp work without it
      const mlpRule = kind !== 'rule' || (ruleRegistry.get(name).info.models ?? ['mlp']).includes('mlp');
      if ((kind !== 'model' || name === 'mlp') && mlpRule) createLearner({ ...BASE, [kind]: { ...(kind === 'model' ? BASE.model : {}), name } }, SHAPE, 0);
    }
  });

  it('rejects unknown component names with UNKNOWN_COMPONENT listing what is allowed', () => {
    const e = errorOf(() => createLearner({ ...BASE, rule: { name: 'bq' } }, SHAPE, 0));
    expect(e.code).toBe('UNKNOWN_COMPONENT');
    expect(e.field).toBe('rule.name');
    expect(e.value).toBe('bq');
    expect(e.allowed).toMatch(/^bp, fa, dfa(, |$)/);
    expect(errorOf(() => createLearner({ ...BASE, model: { name: 'cnn' } }, SHAPE, 0)).field).toBe('model.name');
    expect(errorOf(() => createLearner({ ...BASE, optimizer: { name: 'adamw' } }, SHAPE, 0)).field).toBe('optimizer.name');
  });

  it('rejects bad values with BAD_PARAM naming the field', () => {
    const bad: [LearnerConfig, string][] = [
      [{ ...BASE, optimizer: { name: 'sgd', lr: 0 } }, 'optimizer.lr'],
      [{ ...BASE, optimizer: { name: 'sgd', momentum: -0.1 } }, 'optimizer.momentum'],
      [{ ...BASE, optimizer: { name: 'sgd', momentum: 1 } }, 'optimizer.momentum'],
      [{ ...BASE, optimizer: { name: 'sgd', weightDecay: -1 } }, 'optimizer.weightDecay'],
      [{ ...BASE, model: { name: 'mlp', hidden: [] } }, 'model.hidden'],
      [{ ...BASE, model: { name: 'mlp', hidden: [0] } }, 'model.hidden'],
      [{ ...BASE, model: { name: 'mlp', activation: 'swish' } }, 'model.activation'],
      [{ ...BASE, model: { name: 'mlp', init: 'zeros' } }, 'model.init'],
      [{ ...BASE, rule: { name: 'fa', scale: 0 } }, 'rule.scale'],
      [{ ...BASE, rule: { name: 'dfa', distribution: 'cauchy' } }, 'rule.distribution'],
      [{ ...BASE, rule: { name: 'fa', scaleBy: 'fan-out' } }, 'rule.scaleBy'],
      [{ ...BASE, rule: { name: 'kp', decay: 1 } }, 'rule.decay'],
      [{ ...BASE, rule: { name: 'wm', mirrorRate: 0 } }, 'rule.mirrorRate'],
      [{ ...BASE, rule: { name: 'wm', mirrorBatch: 0 } }, 'rule.mirrorBatch'],
      [{ ...BASE, rule: { name: 'pbp', rcond: -1 } }, 'rule.rcond'],
      [{ ...BASE, model: { name: 'mlp', initScale: 0 } }, 'model.initScale'],
      [{ ...BASE, optimizer: { name: 'momentum', momentum: 0 } }, 'optimizer.momentum'],
      [{ ...BASE, optimizer: { name: 'adam', beta2: 1 } }, 'optimizer.beta2'],
      [{ ...BASE, optimizer: { name: 'adam', eps: 0 } }, 'optimizer.eps'],
    ];
    for (const [cfg, field] of bad) {
      const e = errorOf(() => createLearner(cfg, SHAPE, 0));
      expect(e.code, field).toBe('BAD_PARAM');
      expect(e.field).toBe(field);
    }
  });

  it('fills documented defaults', () => {
    const mlp = modelRegistry.get('mlp').info.params;
    expect(mlp.hidden!.default).toEqual([256]);
    expect(mlp.activation!.default).toBe('tanh');
    expect(mlp.init!.default).toBe('uniform-fanin');
    const fa = ruleRegistry.get('fa').info.params;
    expect(fa.scale!.default).toBe(1);
    expect(fa.distribution!.default).toBe('uniform');
    expect(ruleRegistry.get('dfa').info.params).toEqual(fa);
    const l = createLearner({ model: { name: 'mlp' }, rule: { name: 'fa' }, optimizer: { name: 'sgd' } }, SHAPE, 0);
    expect(l.parameters().W1t!.length).toBe(6 * 256);
  });

  it('every built-in declares which models it can train, and refuses others', () => {
    for (const info of ruleRegistry.list()) expect(info.models?.length, info.name).toBeGreaterThan(0);
    ruleRegistry.register({ kind: 'rule', name: 'rnn-only', description: 'test', params: {}, models: ['rnn'] }, {});
    const e = errorOf(() => createLearner({ ...BASE, rule: { name: 'rnn-only' } }, SHAPE, 0));
    expect(e.code).toBe('SPEC_INVALID');
    expect(e.field).toBe('rule.name');
    // a rule without an mlp hook is refused by the model even if its info does not say so
    ruleRegistry.register({ kind: 'rule', name: 'hookless', description: 'test', params: {} }, {});
    expect(errorOf(() => createLearner({ ...BASE, rule: { name: 'hookless' } }, SHAPE, 0)).code).toBe('SPEC_INVALID');
  });
});
