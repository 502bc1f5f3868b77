import type { Params } from '@credo/core';

/**
 * A registered optimizer: makes one {@link Optimizer} per learner from resolved parameters.
 *
 * @example
 * ```ts
 * const opt = optimizerRegistry.get('sgd').impl.create({ lr: 0.1, momentum: 0, weightDecay: 0 });
 * ```
 */
export interface OptimizerImpl {
  create(params: Params): Optimizer;
}

/**
 * Updates parameter tensors in place from gradients. State (e.g. momentum buffers) is allocated
 * once per parameter in {@link Optimizer.add}, never per step.
 *
 * @example
 * ```ts
 * const slot = opt.add(W);
 * opt.step(slot, dW); // W ← W − lr·dW for plain SGD
 * ```
 */
export interface Optimizer {
  /** Registers a parameter tensor, allocating any per-parameter state; returns its slot. */
  add(param: Float32Array): number;
  /** One update of the parameter in `slot` from its gradient (same length). */
  step(slot: number, grad: Float32Array): void;
  /**
   * When the update is exactly `p ← fround(p − rate·g)` with no state (plain SGD), the rate;
   * otherwise undefined. Learners use it to fuse the update into a sparse gradient kernel and
   * skip rows whose gradient is exactly zero, which leaves the result bit-for-bit unchanged.
   */
  readonly plainRate: number | undefined;
}
