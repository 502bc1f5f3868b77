import type { Params } from '@credo/core';
import type { Rng } from '@credo/tensor';
import type { DendriticRule } from './dendritic/rules.js';

/**
 * A registered learning rule: one hook per model kind it can train. A rule without a hook for a
 * model cannot train it (and its `ComponentInfo.models` should say so).
 *
 * @example
 * ```ts
 * const myRule: RuleImpl = { mlp: { init: ({ sizes }) => ({ tensors: {}, hiddenSignal(l, net, rows, out) { ... } }) } };
 * ruleRegistry.register({ kind: 'rule', name: 'mine', description: '…', params: {}, models: ['mlp'] }, myRule);
 * ```
 */
export interface RuleImpl {
  readonly mlp?: MlpRule;
  /** Segregated-dendrite networks (model `dendritic`): supplies the hidden layers' errors. */
  readonly dendritic?: DendriticRule;
}

/**
 * How a rule trains an `mlp`: it supplies the teaching signal of each hidden layer; the model does
 * the forward pass, the activation derivative, the weight gradients δ_lᵀ·h_{l−1} and the update.
 *
 * @example
 * ```ts
 * // sign-symmetric feedback: δh_l = δ_{l+1}·sign(W_{l+1})
 * const signSymmetry: MlpRule = {
 *   init: ({ sizes }) => {
 *     const S = sizes.map((n, l) => new Float32Array(l >= 2 ? n * sizes[l - 1]! : 0));
 *     return {
 *       tensors: {},
 *       hiddenSignal(l, net, rows, out) {
 *         const W = net.weight(l + 1), s = S[l + 1]!;
 *         for (let i = 0; i < W.length; i++) s[i] = Math.sign(W[i]!);
 *         gemmNN(rows, sizes[l]!, sizes[l + 1]!, net.delta(l + 1), s, out);
 *       },
 *     };
 *   },
 * };
 * ```
 */
export interface MlpRule {
  /** True for backprop itself; the learner then reports no rule-vs-backprop diagnostics. */
  readonly isBackprop?: boolean;
  /** True for pseudobackprop itself; the learner then reports no rule-vs-pseudobackprop angle. */
  readonly isPseudoBackprop?: boolean;
  /** Sets the rule up for one network; draws fixed matrices from `ctx.rng`, in a fixed order. */
  init(ctx: MlpRuleContext): MlpRuleState;
}

/** What {@link MlpRule.init} gets (e.g. `ctx.rng.fillUniform(B, -b, b)` for a feedback matrix). */
export interface MlpRuleContext {
  /** Layer widths [inputs, hidden_1, …, outputs]; layer l (1 … L) maps sizes[l−1] → sizes[l]. */
  readonly sizes: readonly number[];
  /** The rule's resolved parameters. */
  readonly params: Params;
  /** The trial's feedback stream (`Rng.derive(seed, 'rule/feedback')`), shared by every rule. */
  readonly rng: Rng;
}

/**
 * A rule set up for one network.
 *
 * @example
 * ```ts
 * const state: MlpRuleState = { tensors: { B2 }, hiddenSignal: (l, net, rows, out) => gemmNN(rows, sizes[l]!, sizes[l + 1]!, net.delta(l + 1), B2, out) };
 * ```
 */
export interface MlpRuleState {
  /** The rule's fixed tensors, exposed by `Learner.parameters()` (e.g. `B2` for fa, `B1` for dfa). */
  readonly tensors: Readonly<Record<string, Float32Array>>;
  /**
   * Writes the teaching signal of hidden layer l (1 ≤ l < L) into `out` (rows × sizes[l]),
   * before the activation derivative: e.g. δ_{l+1}·W_{l+1} for backprop. Called for l = L−1
   * down to 1, so `net.delta(j)` is final for every j > l.
   */
  hiddenSignal(l: number, net: MlpBackwardView, rows: number, out: Float32Array): void;
  /**
   * The matrix B_l (W_l's shape) this rule sends δ_l back through in place of W_l, if it has one
   * (fa, kp, sign symmetry, weight mirrors; not dfa): the learner reports ‖W_l − B_l‖/‖W_l‖ and
   * the angle between them (in the papers' column convention, B_l stands for W_lᵀ's replacement).
   */
  feedback?(l: number): Float32Array | undefined;
  /** False for a layer the rule does not train (its weights and biases stay fixed); default true. */
  updatesLayer?(l: number): boolean;
  /** Called after the teaching signals are computed, before the optimizer changes any weight. */
  beforeUpdate?(net: MlpUpdateView, rows: number): void;
  /** Called after the optimizer has updated every layer (e.g. Kolen–Pollack's mirrored update of B). */
  afterUpdate?(net: MlpUpdateView, rows: number): void;
}

/**
 * What a rule may touch around the optimizer step (`beforeUpdate` / `afterUpdate`).
 *
 * @example
 * ```ts
 * // decay every forward weight by (1 − λ), whatever its layout
 * for (let l = 1; l <= net.layers; l++) scale(net.weightStorage(l).length, 1 - lambda, net.weightStorage(l));
 * ```
 */
export interface MlpUpdateView extends MlpBackwardView {
  /** W_l's live storage for elementwise use: W_l (out, in) for l ≥ 2, W1 transposed (in, out) for l = 1. */
  weightStorage(l: number): Float32Array;
}

/**
 * What a rule may read while the model computes teaching signals (all from before the update).
 *
 * @example
 * ```ts
 * gemmNN(rows, sizes[l]!, sizes[l + 1]!, net.delta(l + 1), net.weight(l + 1), out); // backprop
 * ```
 */
export interface MlpBackwardView {
  readonly sizes: readonly number[];
  /** Number of weight layers L (= sizes.length − 1). */
  readonly layers: number;
  /** Forward weights W_l, shaped (sizes[l], sizes[l−1]), for 2 ≤ l ≤ L. */
  weight(l: number): Float32Array;
  /** δ_l (rows × sizes[l]) for l above the layer being computed; δ_L is the output error e. */
  delta(l: number): Float32Array;
}
