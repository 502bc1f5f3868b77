/**
 * @module @credo/rules
 * The rule library: models, learning rules, optimizers and their diagnostics, in registries keyed
 * by name with parameter schemas. Importing the package registers the built-ins: model `mlp`,
 * rules `bp`, `fa`, `dfa`, `pbp`, `shallow`, `usf`, `frsf`, `brsf`, `kp`, `wm`, optimizers `sgd`,
 * `momentum`, `adam` (and the other models' rules). No I/O.
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
export type { MlpBackwardView, MlpRule, MlpRuleContext, MlpRuleState, MlpUpdateView, RuleImpl } from './rule.js';
export { MLP_INFO, MLP_INITS, MLP_PARAMS, mlpModel, type MlpInit } from './models/mlp.js';
export { BP_INFO, bpRule } from './rules/bp.js';
export { FA_INFO, faRule } from './rules/fa.js';
export { DFA_INFO, dfaRule } from './rules/dfa.js';
export { drawFeedback, feedbackBound, FEEDBACK_PARAMS, fillFeedback } from './rules/feedback.js';
export { PBP_INFO, pbpRule, pinvTransposed } from './rules/pbp.js';
export { SHALLOW_INFO, shallowRule } from './rules/shallow.js';
export { signSymmetryRule, type SignMagnitudes } from './rules/sign-symmetry.js';
export { USF_INFO, usfRule } from './rules/usf.js';
export { FRSF_INFO, frsfRule } from './rules/frsf.js';
export { BRSF_INFO, brsfRule } from './rules/brsf.js';
export { KP_INFO, kpRule } from './rules/kp.js';
export { WM_INFO, wmRule } from './rules/wm.js';
export { ADAM_INFO, adamOptimizer } from './optimizers/adam.js';
export { MOMENTUM_INFO, momentumOptimizer } from './optimizers/momentum.js';
export { Sgd, SGD_INFO, sgdOptimizer } from './optimizers/sgd.js';
export {
  DENDRITIC_BP_INFO, DENDRITIC_CONSTANTS, DENDRITIC_FEEDBACK, DENDRITIC_INFO, DENDRITIC_MODES, DENDRITIC_PARAMS, dendriticBackpropError, dendriticBpRule,
  dendriticConfig, dendriticInitStats, dendriticKernel, dendriticModel, DendriticNetwork, DendriticPhaseStats, DendriticState, GUERGUIEV_INFO,
  guerguievRule, initDendriticWeights, PspKernel, type DendriticConfig, type DendriticErrorView, type DendriticRule, type DendriticRuleContext,
  type DendriticRuleState, type DendriticWeights,
} from './dendritic/index.js';
// Temporal credit assignment: sequence models, temporal rules and the sequence learner.
export { createSequenceLearner, PROBE_DRAWS, type SequenceBatch, type SequenceEvaluation, type SequenceLearner } from './sequence-learner.js';
export type { ParamBlock, RecurrentCell, SequenceLoss } from './recurrent-cell.js';
export {
  sequenceModelOf, sequenceRuleOf,
  type SequenceForward, type SequenceModelBuildArgs, type SequenceModelImpl, type SequenceRule, type SequenceRuleContext,
  type SequenceRuleState, type SequenceShape, type TemporalRuleImpl,
} from './sequence-rule.js';
export { ParamUpdater } from './param-updater.js';
export { outputLoss, Unroll } from './unroll.js';
export { StepHistory } from './step-history.js';
export { RNN_INFO, RNN_INITS, RNN_PARAMS, RnnCell, rnnModel } from './models/rnn.js';
export { INFLUENCE_CHAIN_INFO, INFLUENCE_CHAIN_PARAMS, influenceChainModel } from './models/influence-chain.js';
export { BPTT_INFO, bpttRule } from './rules/bptt.js';
export { TBPTT_INFO, tbpttRule } from './rules/tbptt.js';
export { RTRL_INFO, rtrlRule } from './rules/rtrl.js';
export { UORO_INFO, uoroRule } from './rules/uoro.js';
export { RFLO_INFO, rfloRule } from './rules/rflo.js';
export { SAB_INFO, sabRule } from './rules/sab.js';
