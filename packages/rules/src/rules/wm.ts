import type { ComponentInfo } from '@credo/core';
import { allocFloats, gemmNN, gemmNT, gemmTN } from '@credo/tensor';
import type { RuleImpl } from '../rule.js';
import { drawFeedback, FEEDBACK_PARAMS } from './feedback.js';

/** Registry entry (name, description, parameter schema) of this component. */
export const WM_INFO: ComponentInfo = {
  kind: 'rule',
  name: 'wm',
  description: 'weight mirrors: fa whose B_l learns W_l from noise after every step, B ← (1−ρ)B + ρ·yᵀx/batch with x ~ N(0, I), y = x·W_lᵀ',
  params: {
    ...FEEDBACK_PARAMS,
    mirrorRate: { type: 'number', min: 0, max: 1, exclusiveMin: true, default: 0.01, description: 'ρ: how far B moves towards the noise estimate of W per step (time constant 1/ρ steps)' },
    mirrorBatch: { type: 'integer', min: 1, default: 32, description: 'noise samples per mirror step (the estimate of W has variance ∝ 1/mirrorBatch)' },
  },
  reference: 'Akrout et al. 2019 (weight mirrors), papers.md §4.2',
  models: ['mlp'],
};

/**
 * Weight mirrors (Akrout et al. 2019) with linear mirror units, the paper's analysis case: the
 * engaged (learning) pass is fa's, δ_l = δ_{l+1}·B_{l+1}; after every update a mirror step lets
 * each layer's input units fire white noise x (mirrorBatch × n_{l−1}, N(0, 1), from the feedback
 * stream), the layer responds y = x·W_lᵀ, and B_l ← (1−ρ)·B_l + ρ·yᵀx/mirrorBatch. Since
 * E[yᵀx]/batch = W_l, B_l tracks W_l (i.e. Wᵀ in the papers' convention) with time constant 1/ρ.
 * The released code's sigmoid mirror units and its rescaling of B are not implemented.
 *
 * @example
 * ```ts
 * createLearner({ model: { name: 'mlp' }, rule: { name: 'wm', mirrorRate: 0.05 }, optimizer: { name: 'sgd' } }, shape, seed);
 * ```
 */
export const wmRule: RuleImpl = {
  mlp: {
    init: ({ sizes, params, rng }) => {
      const L = sizes.length - 1;
      const rho = params.mirrorRate as number, mb = params.mirrorBatch as number;
      const B: Float32Array[] = [];
      const tensors: Record<string, Float32Array> = {};
      for (let l = 2; l <= L; l++) {
        B[l] = drawFeedback(rng, sizes[l]!, sizes[l - 1]!, params);
        tensors[`B${l}`] = B[l]!;
      }
      const widest = Math.max(...sizes.slice(1));
      const x = allocFloats(mb * widest), y = allocFloats(mb * widest);
      return {
        tensors,
        hiddenSignal(l, net, rows, out) {
          gemmNN(rows, sizes[l]!, sizes[l + 1]!, net.delta(l + 1), B[l + 1]!, out);
        },
        feedback: (l) => B[l],
        afterUpdate(net) {
          for (let l = 2; l <= L; l++) {
            const nIn = sizes[l - 1]!, nOut = sizes[l]!;
            const xs = x.subarray(0, mb * nIn);
            rng.fillNormal(xs, 0, 1);
            gemmNT(mb, nOut, nIn, xs, net.weight(l), y);
            gemmTN(nOut, nIn, mb, y, xs, B[l]!, rho / mb, 1 - rho);
          }
        },
      };
    },
  },
};
