import type { ComponentInfo } from '@credo/core';
import type { RuleImpl } from '../rule.js';
import { FEEDBACK_PARAMS } from './feedback.js';
import { signSymmetryRule } from './sign-symmetry.js';

/** Registry entry (name, description, parameter schema) of this component. */
export const FRSF_INFO: ComponentInfo = {
  kind: 'rule',
  name: 'frsf',
  description: 'fixed random-magnitude sign-concordant feedback: B = |M| ⊙ sign(W), M drawn once with fa\'s law',
  params: FEEDBACK_PARAMS,
  reference: 'Liao, Leibo & Poggio 2016 (frSF; BioTorch frsf), papers.md §4.1',
  models: ['mlp'],
};

/**
 * frSF: random magnitudes |M| fixed for the whole run (exposed as `M2 … ML`), signs of the current W.
 *
 * @example
 * ```ts
 * createLearner({ model: { name: 'mlp' }, rule: { name: 'frsf', scale: 2 }, optimizer: { name: 'sgd' } }, shape, seed);
 * ```
 */
export const frsfRule: RuleImpl = signSymmetryRule('fixed-random');
