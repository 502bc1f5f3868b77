import { CredoError, type ComponentInfo } from '@credo/core';
import { allocFloats, FLOAT32_EPS, gemmNN, pseudoInverse } from '@credo/tensor';
import type { RuleImpl } from '../rule.js';

/** Registry entry (name, description, parameter schema) of this component. */
export const PBP_INFO: ComponentInfo = {
  kind: 'rule',
  name: 'pbp',
  description: 'pseudobackprop: δh_l = W_{l+1}⁺·δ_{l+1}, the Moore–Penrose pseudoinverse in place of backprop\'s transpose (Gauss–Newton-like)',
  params: {
    rcond: {
      type: 'number', min: 0, default: 0,
      description: 'singular values ≤ rcond·σ_max are dropped from W⁺; 0 means max(out, in)·2⁻²³ (float32 epsilon, as torch.linalg.pinv)',
    },
  },
  reference: 'Lillicrap et al. 2016, papers.md §1.1 (PBP) and Fig. 4',
  models: ['mlp'],
};

/**
 * (W⁺)ᵀ for a row-major W (rows × cols), as float32 with W's own shape, so that in the row
 * convention δ_l = δ_{l+1}·(W⁺)ᵀ is one `gemmNN`. The SVD runs in float64 ({@link pseudoInverse});
 * `rcond` ≤ 0 selects the default cut-off max(rows, cols)·2⁻²³. A W with a non-finite entry (a
 * diverged run) gives an all-NaN result rather than an error.
 *
 * @example
 * ```ts
 * const P = pinvTransposed(W2, nOut, nHidden, 0);
 * gemmNN(rows, nHidden, nOut, e, P, dh); // dh = e·(W2⁺)ᵀ, i.e. W2⁺e per row
 * ```
 */
export function pinvTransposed(W: Float32Array, rows: number, cols: number, rcond: number, out?: Float32Array): Float32Array {
  const P = out ?? allocFloats(rows * cols);
  if (P.length < rows * cols) throw new CredoError('SHAPE_MISMATCH', `pinvTransposed: out has ${P.length} elements, needs ${rows * cols}`, { field: 'out' });
  for (let i = 0; i < rows * cols; i++) {
    if (!Number.isFinite(W[i]!)) {
      // A diverged network: let NaN flow into the loss (the trial ends as `diverged`) instead of throwing.
      return P.fill(Number.NaN, 0, rows * cols);
    }
  }
  const pinv = pseudoInverse(W, rows, cols, rcond > 0 ? rcond : Math.max(rows, cols) * FLOAT32_EPS); // cols × rows
  for (let i = 0; i < cols; i++) for (let j = 0; j < rows; j++) P[j * cols + i] = pinv[i * rows + j]!;
  return P;
}

/**
 * Pseudobackprop (Lillicrap et al. 2016): every hidden layer's teaching signal is the layer above's
 * δ sent back through the pseudoinverse of that layer's (pre-update) forward weights, recomputed
 * at every step by an SVD. Lillicrap uses it as the analysis reference that FA approaches ("FA
 * shows elements of second-order learning"); its cost is an SVD of every W_l (l ≥ 2) per step,
 * cheap for narrow output layers (10×1000: a few ms in float64 JS), slow for wide hidden ones.
 *
 * @example
 * ```ts
 * createLearner({ model: { name: 'mlp', hidden: [20], activation: 'linear' }, rule: { name: 'pbp' }, optimizer: { name: 'sgd' } }, shape, seed);
 * ```
 */
export const pbpRule: RuleImpl = {
  mlp: {
    isPseudoBackprop: true,
    init: ({ sizes, params }) => {
      const rcond = params.rcond as number;
      const P: Float32Array[] = sizes.map((n, l) => (l >= 2 ? allocFloats(n * sizes[l - 1]!) : new Float32Array(0)));
      return {
        tensors: {},
        hiddenSignal(l, net, rows, out) {
          const nUp = sizes[l + 1]!, n = sizes[l]!;
          pinvTransposed(net.weight(l + 1), nUp, n, rcond, P[l + 1]);
          gemmNN(rows, n, nUp, net.delta(l + 1), P[l + 1]!, out);
        },
      };
    },
  },
};
