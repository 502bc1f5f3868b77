import type { ComponentInfo } from '@credo/core';
import { gemmNN } from '@credo/tensor';
import type { RuleImpl } from '../rule.js';

/** Registry entry (name, description, parameter schema) of this component. */
export const BP_INFO: ComponentInfo = {
  kind: 'rule',
  name: 'bp',
  description: 'backpropagation: δh_l = δ_{l+1}·W_{l+1}',
  params: {},
  reference: 'papers.md §1.1 (BP); perf-baseline.md §4.2',
  models: ['mlp'],
};

/**
 * Backpropagation: each hidden layer's teaching signal is the layer above's δ sent back through
 * the transpose of that layer's (pre-update) forward weights.
 *
 * @example
 * ```ts
 * ruleRegistry.register(BP_INFO, bpRule);
 * ```
 */
export const bpRule: RuleImpl = {
  mlp: {
    isBackprop: true,
    init: ({ sizes }) => ({
      tensors: {},
      hiddenSignal(l, net, rows, out) {
        gemmNN(rows, sizes[l]!, sizes[l + 1]!, net.delta(l + 1), net.weight(l + 1), out);
      },
    }),
  },
};
