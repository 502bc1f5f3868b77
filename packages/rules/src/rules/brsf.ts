import type { ComponentInfo } from '@credo/core';
import type { RuleImpl } from '../rule.js';
import { FEEDBACK_PARAMS } from './feedback.js';
import { signSymmetryRule } from './sign-symmetry.js';

/** Registry entry (name, description, parameter schema) of this component. */
export const BRSF_INFO: ComponentInfo = {
  kind: 'rule',
  name: 'brsf',
  description: 'batchwise random-magnitude sign-concordant feedback: B = |M| ⊙ sign(W), M redrawn after every update',
  params: FEEDBACK_PARAMS,
  reference: 'Liao, Leibo & Poggio 2016 (brSF; BioTorch brsf), papers.md §4.1',
  models: ['mlp'],
};

/**
 * brSF: like frsf, but the magnitudes M (exposed as `M2 … ML`) are redrawn from the feedback
 * stream after each update of W, i.e. once per minibatch.
 *
 * @example
 * ```ts
 * createLearner({ model: { name: 'mlp' }, rule: { name: 'brsf' }, optimizer: { name: 'sgd' } }, shape, seed);
 * ```
 */
export const brsfRule: RuleImpl = signSymmetryRule('batch-random');
