import type { ComponentInfo } from '@credo/core';
import type { RuleImpl } from '../rule.js';

/** Registry entry (name, description, parameter schema) of this component. */
export const SHALLOW_INFO: ComponentInfo = {
  kind: 'rule',
  name: 'shallow',
  description: 'shallow learning: only the output layer learns; hidden layers keep their random initial weights',
  params: {},
  reference: 'Lillicrap et al. 2016 (the "shallow" baseline of Fig. 2), papers.md §1.3',
  models: ['mlp'],
};

/**
 * Shallow learning, Lillicrap et al.'s baseline: the output layer learns from e·h_{L−1}ᵀ as in
 * every rule, and no hidden layer learns at all (no teaching signal, and the optimizer never
 * touches them, so weight decay or momentum do not move them either). What any rule that trains
 * hidden layers has to beat.
 *
 * @example
 * ```ts
 * createLearner({ model: { name: 'mlp' }, rule: { name: 'shallow' }, optimizer: { name: 'sgd' } }, shape, seed);
 * ```
 */
export const shallowRule: RuleImpl = {
  mlp: {
    init: ({ sizes }) => {
      const L = sizes.length - 1;
      return {
        tensors: {},
        hiddenSignal(l, _net, rows, out) {
          out.fill(0, 0, rows * sizes[l]!);
        },
        updatesLayer: (l) => l === L,
      };
    },
  },
};
