import type { ComponentConfig } from '@credo/core';

/** Loss of the output layer: softmax cross-entropy on integer labels, or ½‖y − t‖² on real targets. Both are means over minibatch rows (`'softmax-ce'` for MNIST). */
export type LossKind = 'softmax-ce' | 'mse';

/** What the task dictates about the network: input and output widths and the loss, e.g. `{ inputs: 784, outputs: 10, loss: 'softmax-ce' }`. */
export interface LearnerShape {
  readonly inputs: number;
  readonly outputs: number;
  readonly loss: LossKind;
}

/**
 * The trial's component selections (name plus parameters; missing parameters take defaults), e.g.
 * `{ model: { name: 'mlp', hidden: [256] }, rule: { name: 'fa' }, optimizer: { name: 'sgd', lr: 0.1 } }`.
 */
export interface LearnerConfig {
  readonly model: ComponentConfig;
  readonly rule: ComponentConfig;
  readonly optimizer: ComponentConfig;
}

/** Knobs that change speed, never results, e.g. `{ sparseInput: 'never' }`. */
export interface LearnerOptions {
  /**
   * How the first layer treats zero inputs. `auto` (default) uses the sparse kernels for a
   * minibatch that is at most half nonzero; `always` / `never` force one path. All three give
   * bit-identical results (the tests check it).
   */
  readonly sparseInput?: 'auto' | 'always' | 'never';
}

/**
 * A network with its learning rule and optimizer, ready to train. All buffers are allocated per
 * minibatch size and reused, so `trainStep` allocates nothing once it has seen its batch size.
 *
 * @example
 * ```ts
 * const learner = createLearner({ model: { name: 'mlp', hidden: [256] }, rule: { name: 'fa' }, optimizer: { name: 'sgd', lr: 0.1 } },
 *   { inputs: 784, outputs: 10, loss: 'softmax-ce' }, seed);
 * const loss = learner.trainStep(xBatch, labels, 32);
 * const { 'angle/fa_bp/h1': angle } = learner.diagnostics(xBatch, labels, 32);
 * ```
 */
export interface Learner {
  /**
   * One optimizer step on a minibatch of `rows` rows (x row-major rows×inputs). Returns the
   * minibatch mean loss of the forward pass (before the update). For softmax-ce `target` is an
   * Int32Array of labels; for mse a Float32Array rows×outputs.
   */
  trainStep(x: Float32Array, target: Int32Array | Float32Array, rows: number): number;
  /** Outputs (logits for softmax-ce) for `rows` rows of x, as a new array; parameters unchanged. */
  predict(x: Float32Array, rows: number): Float32Array;
  /**
   * Diagnostics on a minibatch without changing parameters, as metric name → value. The `mlp`
   * reports `norm/W<l>` (Frobenius norms); for every hidden layer l the rule trains
   * `angle/<rule>_bp/h<l>` (the angle in degrees between the rule's teaching signal δ_l and
   * backprop's, flattened over the minibatch; not for backprop itself), `angle/<rule>_pbp/h<l>`
   * (the same against pseudobackprop's δ_l = (W_{l+1}⁺δ_{l+1}) ⊙ f′, Lillicrap's Fig. 4; not for
   * pbp itself) and `ewbe_pos/<rule>/h<l>` (the fraction of samples with eᵀWBe > 0); for rules
   * with a feedback matrix B_l in W_l's place, `wb_dist/W<l>` = ‖W_l − B_l‖/‖W_l‖ (‖W − Bᵀ‖/‖W‖ in
   * the papers' convention) and `wb_angle/W<l>`. Undefined values (a zero signal) are omitted.
   */
  diagnostics(x: Float32Array, target: Int32Array | Float32Array, rows: number): Record<string, number>;
  /** Named live views of the parameters (mutating them changes the network); see the model for names. */
  parameters(): Record<string, Float32Array>;
  /**
   * The rule's update direction (the gradient, for backprop) of each trainable parameter on this
   * minibatch, as new arrays with the same names and layouts as {@link Learner.parameters};
   * parameters unchanged.
   */
  gradients(x: Float32Array, target: Int32Array | Float32Array, rows: number): Record<string, Float32Array>;
}
