import type { ComponentInfo } from '@credo/core';
import { allocFloats, gemmNN } from '@credo/tensor';
import type { RuleImpl } from '../rule.js';
import { drawFeedback, FEEDBACK_PARAMS } from './feedback.js';

/** Registry entry (name, description, parameter schema) of this component. */
export const KP_INFO: ComponentInfo = {
  kind: 'rule',
  name: 'kp',
  description: 'Kolen–Pollack: fa whose B gets W\'s update (transposed) and both decay by (1−λ), so ‖W − Bᵀ‖ shrinks by (1−λ) per step',
  params: {
    ...FEEDBACK_PARAMS,
    decay: {
      type: 'number', min: 0, max: 1, exclusiveMax: true, default: 1e-4,
      description: 'λ: every forward weight and every B decay by (1−λ) per step; the mismatch W − Bᵀ falls as (1−λ)^t (our default; the paper\'s value is not in our sources)',
    },
  },
  reference: 'Akrout et al. 2019 (Kolen & Pollack 1994), papers.md §4.2',
  models: ['mlp'],
};

/**
 * Kolen–Pollack (Akrout et al. 2019, Eqs. 16–17): the backward pass is fa's, δ_l = δ_{l+1}·B_{l+1};
 * after the optimizer has changed W_l by ΔW_l, B_l receives the same change, and then every W and
 * every B is multiplied by (1−λ):
 *   W_l ← (1−λ)(W_l + ΔW_l),  B_l ← (1−λ)(B_l + ΔW_l)   ⇒   W_l − B_l ← (1−λ)(W_l − B_l).
 * (B_l has W_l's shape here; in the papers' column convention it is Bᵀ.) Mirroring the actual
 * change ΔW rather than recomputing −η·δhᵀ keeps the identity exact under any optimizer
 * (momentum, Adam, its own weight decay). B starts random with fa's law, exposed as `B2 … BL`.
 *
 * @example
 * ```ts
 * createLearner({ model: { name: 'mlp' }, rule: { name: 'kp', decay: 1e-3 }, optimizer: { name: 'sgd' } }, shape, seed);
 * ```
 */
export const kpRule: RuleImpl = {
  mlp: {
    init: ({ sizes, params, rng }) => {
      const L = sizes.length - 1;
      const keep = 1 - (params.decay as number);
      const B: Float32Array[] = [];
      const before: Float32Array[] = [];
      const tensors: Record<string, Float32Array> = {};
      for (let l = 2; l <= L; l++) {
        B[l] = drawFeedback(rng, sizes[l]!, sizes[l - 1]!, params);
        before[l] = allocFloats(sizes[l]! * sizes[l - 1]!);
        tensors[`B${l}`] = B[l]!;
      }
      return {
        tensors,
        hiddenSignal(l, net, rows, out) {
          gemmNN(rows, sizes[l]!, sizes[l + 1]!, net.delta(l + 1), B[l + 1]!, out);
        },
        feedback: (l) => B[l],
        beforeUpdate(net) {
          for (let l = 2; l <= L; l++) before[l]!.set(net.weight(l));
        },
        afterUpdate(net) {
          for (let l = 1; l <= L; l++) {
            const W = net.weightStorage(l);
            if (l === 1) {
              if (keep !== 1) for (let i = 0; i < W.length; i++) W[i] = keep * W[i]!;
              continue;
            }
            const b = B[l]!, w0 = before[l]!;
            for (let i = 0; i < W.length; i++) {
              const w = W[i]!;
              b[i] = keep * (b[i]! + (w - w0[i]!));
              W[i] = keep * w;
            }
          }
        },
      };
    },
  },
};
