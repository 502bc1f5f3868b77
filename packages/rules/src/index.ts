/**
 * @module @credo/rules
 * The rule library: models, learning rules, optimizers and their diagnostics, in registries keyed
 * by name with parameter schemas. Importing the package registers the built-ins: model `mlp`,
 * rules `bp`, `fa`, `dfa`, optimizer `sgd`. No I/O.
 *
 * @example
 * ```ts
 * import { createLearner, ruleRegistry } from '@credo/rules';
 * ruleRegistry.list().map((r) => r.name); // ['bp', 'fa', 'dfa']
 * const learner = createLearner(
 *   { model: { name: 'mlp', hidden: [256] }, rule: { name: 'fa' }, optimizer: { name: 'sgd', lr: 0.1 } },
 *   { inputs: 784, outputs: 10, loss: 'softmax-ce' },
 *   0,
 * );
 * const loss = learner.trainStep(x, labels, 32);
 * ```
 */
import './builtins.js';

export { Registry, catalogOf, type Registered } from './registry.js';
export { modelRegistry, optimizerRegistry, ruleRegistry } from './registries.js';
export { createLearner } from './create-learner.js';
export type { Learner, LearnerConfig, LearnerOptions, LearnerShape, LossKind } from './learner.js';
export type { ModelBuildArgs, ModelImpl } from './model.js';
export type { Optimizer, OptimizerImpl } from './optimizer.js';
export type { MlpBackwardView, MlpRule, MlpRuleContext, MlpRuleState, RuleImpl } from './rule.js';
export { MLP_INFO, MLP_INITS, MLP_PARAMS, mlpModel, type MlpInit } from './models/mlp.js';
export { BP_INFO, bpRule } from './rules/bp.js';
export { FA_INFO, faRule } from './rules/fa.js';
export { DFA_INFO, dfaRule } from './rules/dfa.js';
export { drawFeedback, FEEDBACK_PARAMS } from './rules/feedback.js';
export { SGD_INFO, sgdOptimizer } from './optimizers/sgd.js';
