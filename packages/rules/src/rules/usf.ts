import type { ComponentInfo } from '@credo/core';
import type { RuleImpl } from '../rule.js';
import { FEEDBACK_PARAMS } from './feedback.js';
import { signSymmetryRule } from './sign-symmetry.js';

/** Registry entry (name, description, parameter schema) of this component. */
export const USF_INFO: ComponentInfo = {
  kind: 'rule',
  name: 'usf',
  description: 'uniform sign-concordant feedback: δh_l = δ_{l+1}·(c·sign(W_{l+1})), c = scale/√fan_in',
  params: { scale: FEEDBACK_PARAMS.scale!, scaleBy: FEEDBACK_PARAMS.scaleBy! },
  reference: 'Liao, Leibo & Poggio 2016 (uSF; BioTorch usf), papers.md §4.1',
  models: ['mlp'],
};

/**
 * uSF: the feedback has W's signs and one common magnitude c (BioTorch scales sign(W) by
 * √(2/(fan_in + fan_out)); here c = scale/√fan_in, or scale with `scaleBy: none`).
 *
 * @example
 * ```ts
 * createLearner({ model: { name: 'mlp' }, rule: { name: 'usf' }, optimizer: { name: 'sgd' } }, shape, seed);
 * ```
 */
export const usfRule: RuleImpl = signSymmetryRule('uniform');
