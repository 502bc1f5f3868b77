import type { ComponentInfo } from '@credo/core';
import { gemmNN } from '@credo/tensor';
import type { RuleImpl } from '../rule.js';
import { drawFeedback, FEEDBACK_PARAMS } from './feedback.js';

/** Registry entry (name, description, parameter schema) of this component. */
export const DFA_INFO: ComponentInfo = {
  kind: 'rule',
  name: 'dfa',
  description: 'direct feedback alignment: δh_l = e·B_l, the output error sent straight to every hidden layer',
  params: FEEDBACK_PARAMS,
  reference: 'Nøkland 2016, papers.md §3',
  models: ['mlp'],
};

/**
 * Direct feedback alignment: hidden layer l gets e·B_l with a fixed random B_l shaped
 * (outputs, hidden_l) (exposed as `B1 … B(L−1)`), drawn in layer order from the feedback stream
 * with fa's law. With one hidden layer this is fa exactly: same matrix shape, same draws, same
 * product, so the two train bit-for-bit identically.
 *
 * @example
 * ```ts
 * createLearner({ model: { name: 'mlp', hidden: [256, 256] }, rule: { name: 'dfa' }, optimizer: { name: 'sgd' } }, shape, seed);
 * ```
 */
export const dfaRule: RuleImpl = {
  mlp: {
    init: ({ sizes, params, rng }) => {
      const L = sizes.length - 1;
      const nOut = sizes[L]!;
      const B: Float32Array[] = [];
      const tensors: Record<string, Float32Array> = {};
      for (let l = 1; l < L; l++) {
        B[l] = drawFeedback(rng, nOut, sizes[l]!, params);
        tensors[`B${l}`] = B[l]!;
      }
      return {
        tensors,
        hiddenSignal(l, net, rows, out) {
          gemmNN(rows, sizes[l]!, nOut, net.delta(L), B[l]!, out);
        },
      };
    },
  },
};
