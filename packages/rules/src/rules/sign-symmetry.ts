import type { Params } from '@credo/core';
import { allocFloats, gemmNN, type Rng } from '@credo/tensor';
import type { RuleImpl } from '../rule.js';
import { drawFeedback, feedbackBound, fillFeedback } from './feedback.js';

/** How the magnitudes of sign-concordant feedback are made (Liao, Leibo & Poggio 2016). */
export type SignMagnitudes = 'uniform' | 'fixed-random' | 'batch-random';

/**
 * The sign-symmetry family: B_l = |M_l| ⊙ sign(W_l), with the signs taken from the current
 * (pre-update) forward weights at every step and the magnitudes M_l either one constant
 * (`uniform`: uSF, M = {@link feedbackBound}), drawn once with fa's law (`fixed-random`: frSF), or
 * redrawn with it after every update (`batch-random`: brSF). δ_l = δ_{l+1}·B_{l+1}, as in fa.
 * B_l (exposed as `B2 … BL`, rebuilt at every backward pass) therefore always has the signs of
 * the W_l it was built from.
 *
 * @example
 * ```ts
 * const usfRule = signSymmetryRule('uniform');
 * ```
 */
export function signSymmetryRule(magnitudes: SignMagnitudes): RuleImpl {
  return {
    mlp: {
      init: ({ sizes, params, rng }) => {
        const L = sizes.length - 1;
        const M: Float32Array[] = [];
        const B: Float32Array[] = [];
        const tensors: Record<string, Float32Array> = {};
        for (let l = 2; l <= L; l++) {
          B[l] = allocFloats(sizes[l]! * sizes[l - 1]!);
          tensors[`B${l}`] = B[l]!;
          if (magnitudes !== 'uniform') {
            M[l] = drawMagnitudes(rng, sizes[l]!, sizes[l - 1]!, params);
            tensors[`M${l}`] = M[l]!;
          }
        }
        return {
          tensors,
          hiddenSignal(l, net, rows, out) {
            const W = net.weight(l + 1), b = B[l + 1]!, m = M[l + 1];
            if (m === undefined) {
              const c = feedbackBound(sizes[l]!, params);
              for (let i = 0; i < W.length; i++) b[i] = c * Math.sign(W[i]!);
            } else {
              for (let i = 0; i < W.length; i++) b[i] = m[i]! * Math.sign(W[i]!);
            }
            gemmNN(rows, sizes[l]!, sizes[l + 1]!, net.delta(l + 1), b, out);
          },
          feedback: (l) => B[l],
          ...(magnitudes === 'batch-random'
            ? {
              afterUpdate() {
                // New magnitudes after every update of W (each minibatch), from the same stream.
                for (let l = 2; l <= L; l++) {
                  const m = fillFeedback(rng, M[l]!, sizes[l - 1]!, params);
                  for (let i = 0; i < m.length; i++) m[i] = Math.abs(m[i]!);
                }
              },
            }
            : {}),
        };
      },
    },
  };
}

/** |M| with M drawn like fa's B, so the magnitudes have fa's scale. */
function drawMagnitudes(rng: Rng, rows: number, cols: number, params: Params): Float32Array {
  const m = drawFeedback(rng, rows, cols, params);
  for (let i = 0; i < m.length; i++) m[i] = Math.abs(m[i]!);
  return m;
}
