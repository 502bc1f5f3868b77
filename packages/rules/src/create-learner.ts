import { CredoError, resolveParams, type ComponentConfig, type Params } from '@credo/core';
import type { Learner, LearnerConfig, LearnerOptions, LearnerShape } from './learner.js';
import { modelRegistry, optimizerRegistry, ruleRegistry } from './registries.js';

const LOSSES = ['softmax-ce', 'mse'] as const;

/**
 * Builds a trial's learner from the registries: looks up the model, rule and optimizer by name,
 * validates their parameters against the registered schemas (filling defaults; unknown names give
 * `UNKNOWN_COMPONENT`, unknown parameters `UNKNOWN_PARAM`, bad values `BAD_PARAM`), checks that the
 * rule can train the model, and initialises everything from `seed`.
 *
 * @example
 * ```ts
 * const learner = createLearner(
 *   { model: { name: 'mlp', hidden: [256] }, rule: { name: 'fa' }, optimizer: { name: 'sgd', lr: 0.1 } },
 *   { inputs: 784, outputs: 10, loss: 'softmax-ce' },
 *   0,
 * );
 * ```
 */
export function createLearner(cfg: LearnerConfig, shape: LearnerShape, seed: number, options: LearnerOptions = {}): Learner {
  const { model, rule, optimizer, modelParams, ruleParams, optParams } = resolveLearnerConfig(cfg);
  checkShape(shape);
  if (!Number.isSafeInteger(seed)) throw new CredoError('BAD_PARAM', 'seed must be a safe integer', { field: 'seed', value: seed });
  const mode = options.sparseInput;
  if (mode !== undefined && mode !== 'auto' && mode !== 'always' && mode !== 'never') {
    throw new CredoError('BAD_PARAM', 'invalid value', { field: 'sparseInput', value: mode, allowed: 'auto, always, never' });
  }
  return model.impl.build({
    params: modelParams,
    rule: { name: rule.info.name, info: rule.info, impl: rule.impl, params: ruleParams },
    optimizer: optimizer.impl.create(optParams),
    shape,
    seed,
    options,
  });
}

/**
 * The registered model, rule and optimizer of `cfg` with their resolved parameters, once it is
 * checked that the rule can train the model: what both learner factories start from.
 */
export function resolveLearnerConfig(cfg: LearnerConfig) {
  const model = modelRegistry.get(cfg.model.name);
  const rule = ruleRegistry.get(cfg.rule.name);
  const optimizer = optimizerRegistry.get(cfg.optimizer.name);
  const modelParams = resolveParams(model.info.params, paramsOf(cfg.model), 'model');
  const ruleParams = resolveParams(rule.info.params, paramsOf(cfg.rule), 'rule');
  const optParams = resolveParams(optimizer.info.params, paramsOf(cfg.optimizer), 'optimizer');
  if (rule.info.models !== undefined && !rule.info.models.includes(model.info.name)) {
    const able = ruleRegistry.list().filter((r) => r.models === undefined || r.models.includes(model.info.name)).map((r) => r.name);
    throw new CredoError('SPEC_INVALID', `rule ${rule.info.name} cannot train model ${model.info.name}`, { field: 'rule.name', value: rule.info.name, allowed: able.join(', ') });
  }
  return { model, rule, optimizer, modelParams, ruleParams, optParams };
}

function paramsOf(c: ComponentConfig): Params {
  const { name: _name, ...rest } = c;
  return rest;
}

function checkShape(shape: LearnerShape): void {
  for (const k of ['inputs', 'outputs'] as const) {
    const v = shape[k];
    if (!Number.isSafeInteger(v) || v < 1) throw new CredoError('SHAPE_MISMATCH', 'must be a positive integer', { field: `shape.${k}`, value: v });
  }
  if (!(LOSSES as readonly string[]).includes(shape.loss)) {
    throw new CredoError('BAD_PARAM', 'unknown loss', { field: 'shape.loss', value: shape.loss, allowed: LOSSES.join(', ') });
  }
  if (shape.loss === 'softmax-ce' && shape.outputs < 2) {
    throw new CredoError('SHAPE_MISMATCH', 'softmax-ce needs at least 2 outputs', { field: 'shape.outputs', value: shape.outputs });
  }
}
