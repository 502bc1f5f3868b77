/**
 * The segregated-dendrite network of Guerguiev, Lillicrap & Richards (2017): model `dendritic`,
 * rules `guerguiev` (the paper's plateau-potential targets) and `dendritic-bp` (backprop baseline).
 *
 * @example
 * ```ts
 * createLearner({ model: { name: 'dendritic', hidden: [500] }, rule: { name: 'guerguiev' }, optimizer: { name: 'sgd', lr: 1 } },
 *   { inputs: 784, outputs: 10, loss: 'softmax-ce' }, 0);
 * ```
 */
export { DENDRITIC_CONSTANTS, PspKernel } from './kernel.js';
/** The kernel, samplers and nonlinearities of the model, namespaced (their names are generic). */
export * as dendriticKernel from './kernel.js';
export { DENDRITIC_FEEDBACK, DENDRITIC_INFO, DENDRITIC_MODES, DENDRITIC_PARAMS, dendriticConfig, type DendriticConfig } from './params.js';
export { initDendriticWeights, dendriticInitStats, syncSymmetricFeedback, type DendriticWeights } from './init.js';
export { DendriticState } from './state.js';
export { DendriticNetwork, DendriticPhaseStats } from './network.js';
export { dendriticModel } from './learner.js';
export {
  dendriticBackpropError, DENDRITIC_BP_INFO, dendriticBpRule, GUERGUIEV_INFO, guerguievRule,
  type DendriticErrorView, type DendriticRule, type DendriticRuleContext, type DendriticRuleState,
} from './rules.js';
