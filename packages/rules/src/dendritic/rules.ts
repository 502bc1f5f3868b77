import type { ComponentInfo, Params } from '@credo/core';
import { sigmoidDeriv } from './kernel.js';

/**
 * How a rule trains a `dendritic` network: it supplies the error E_l of each hidden layer from what
 * the two phases left behind; the model runs the dynamics, computes the output error from the
 * teaching current, and applies W_l ← W_l − η_l·P·E_l·PSP̄_fᵀ, b_l ← b_l − η_l·P·E_l.
 *
 * @example
 * ```ts
 * const rule: DendriticRule = {
 *   init: () => ({ hiddenError: (l, v, out) => { const af = v.alphaForward(l), at = v.alphaTarget(l); for (let i = 0; i < out.length; i++) out[i] = af[i]! - at[i]!; } }),
 * };
 * ```
 */
export interface DendriticRule {
  /** True when the hidden errors are backprop's own; the learner then reports no angle diagnostics. */
  readonly isBackprop?: boolean;
  init(ctx: DendriticRuleContext): DendriticRuleState;
}

/** What {@link DendriticRule.init} gets. */
export interface DendriticRuleContext {
  /** [inputs, hidden…, outputs]; layer l (1 … L) maps sizes[l−1] → sizes[l]. */
  readonly sizes: readonly number[];
  readonly params: Params;
}

/** A rule set up for one network. */
export interface DendriticRuleState {
  /**
   * Writes E_l of hidden layer l (1 ≤ l < L) into `out` (sizes[l] values). Called for l = L−1 down
   * to 1 after each target phase, so `view.error(j)` is final for every j > l.
   */
  hiddenError(l: number, view: DendriticErrorView, out: Float64Array): void;
}

/**
 * What a rule may read when it computes hidden errors (all from before the update).
 *
 * @example
 * ```ts
 * const e = view.error(2), w = view.weightT(2); // output error and W_2 stored (sizes[1] × sizes[2])
 * ```
 */
export interface DendriticErrorView {
  readonly sizes: readonly number[];
  /** k_B = g_B/(g_L + g_B + g_A). */
  readonly kB: number;
  readonly lambdaMax: number;
  /** Plateau potentials α_f = σ(Ā_f), α_t = σ(Ā_t) of hidden layer l (papers.md Eq. 5). */
  alphaForward(l: number): Float64Array;
  alphaTarget(l: number): Float64Array;
  /** Mean somatic voltage C̄_f of layer l over the end of the forward phase. */
  meanSomaForward(l: number): Float64Array;
  /** E_j of a layer j above the one being computed (E_L is the output error). */
  error(j: number): Float64Array;
  /** Forward weights W_j stored transposed, (sizes[j−1] × sizes[j]) row-major. */
  weightT(j: number): Float32Array;
}

/** Registry entry of the `guerguiev` rule. */
export const GUERGUIEV_INFO: ComponentInfo = {
  kind: 'rule',
  name: 'guerguiev',
  description: 'segregated-dendrite learning: hidden target φ̄_f + α_t − α_f from apical plateau potentials, E_l = −(α_t − α_f)·k_B·λ_max·σ′(C̄_f), output error from the teaching current',
  params: {},
  reference: 'Guerguiev, Lillicrap & Richards 2017, papers.md §2.4',
  models: ['dendritic'],
};

/**
 * The paper's rule (Eq. 8–10, code form): a hidden neuron's error is the difference of its apical
 * plateau potentials between the target and the forward phase, times its rate slope.
 *
 * @example
 * ```ts
 * ruleRegistry.register(GUERGUIEV_INFO, guerguievRule);
 * ```
 */
export const guerguievRule: { readonly dendritic: DendriticRule } = {
  dendritic: {
    init: () => ({
      hiddenError(l, view, out) {
        const af = view.alphaForward(l), at = view.alphaTarget(l), c = view.meanSomaForward(l);
        const k = view.kB * view.lambdaMax;
        for (let i = 0; i < out.length; i++) out[i] = -(at[i]! - af[i]!) * k * sigmoidDeriv(c[i]!);
      },
    }),
  },
};

/** Registry entry of the `dendritic-bp` rule. */
export const DENDRITIC_BP_INFO: ComponentInfo = {
  kind: 'rule',
  name: 'dendritic-bp',
  description: 'baseline for the dendritic model: hidden errors by backprop through the phase-averaged rates, E_l = (W_{l+1}ᵀ·E_{l+1})·k_B·λ_max·σ′(C̄_f) (the code\'s use_backprop)',
  params: {},
  reference: 'papers.md §2.4; deep_learning.py use_backprop',
  models: ['dendritic'],
};

/**
 * Backprop's hidden errors for the same network and phases, the reference the paper's angle is
 * measured against; as a rule it gives the baseline the plateau rule is compared with.
 *
 * @example
 * ```ts
 * ruleRegistry.register(DENDRITIC_BP_INFO, dendriticBpRule);
 * ```
 */
export const dendriticBpRule: { readonly dendritic: DendriticRule } = {
  dendritic: {
    isBackprop: true,
    init: () => ({ hiddenError: dendriticBackpropError }),
  },
};

/**
 * E_l = (W_{l+1}ᵀ·E_{l+1}) ⊙ k_B·λ_max·σ′(C̄_f,l): backprop through the phase-averaged rates.
 *
 * @example
 * ```ts
 * dendriticBackpropError(1, view, eBp1);
 * ```
 */
export function dendriticBackpropError(l: number, view: DendriticErrorView, out: Float64Array): void {
  const n = view.sizes[l]!, nAbove = view.sizes[l + 1]!;
  const w = view.weightT(l + 1), e = view.error(l + 1), c = view.meanSomaForward(l);
  const k = view.kB * view.lambdaMax;
  for (let j = 0; j < n; j++) {
    let s = 0;
    const row = j * nAbove;
    for (let i = 0; i < nAbove; i++) s += w[row + i]! * e[i]!;
    out[j] = s * k * sigmoidDeriv(c[j]!);
  }
}
