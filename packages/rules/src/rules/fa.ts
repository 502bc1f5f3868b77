import type { ComponentInfo } from '@credo/core';
import { gemmNN } from '@credo/tensor';
import type { RuleImpl } from '../rule.js';
import { drawFeedback, FEEDBACK_PARAMS } from './feedback.js';

/** Registry entry (name, description, parameter schema) of this component. */
export const FA_INFO: ComponentInfo = {
  kind: 'rule',
  name: 'fa',
  description: 'feedback alignment: δh_l = δ_{l+1}·B_{l+1}, B fixed random with W_{l+1}\'s shape',
  params: FEEDBACK_PARAMS,
  reference: 'Lillicrap et al. 2016, papers.md §1',
  models: ['mlp'],
};

/**
 * Feedback alignment: backprop with every W_{l+1} in the backward pass replaced by a fixed random
 * B_{l+1} of the same shape (exposed as `B2 … BL`), drawn in layer order from the feedback stream.
 *
 * @example
 * ```ts
 * createLearner({ model: { name: 'mlp' }, rule: { name: 'fa', scale: 0.5 }, optimizer: { name: 'sgd' } }, shape, seed);
 * ```
 */
export const faRule: RuleImpl = {
  mlp: {
    init: ({ sizes, params, rng }) => {
      const L = sizes.length - 1;
      const B: Float32Array[] = [];
      const tensors: Record<string, Float32Array> = {};
      for (let l = 2; l <= L; l++) {
        B[l] = drawFeedback(rng, sizes[l]!, sizes[l - 1]!, params);
        tensors[`B${l}`] = B[l]!;
      }
      return {
        tensors,
        hiddenSignal(l, net, rows, out) {
          gemmNN(rows, sizes[l]!, sizes[l + 1]!, net.delta(l + 1), B[l + 1]!, out);
        },
        feedback: (l) => B[l],
      };
    },
  },
};
