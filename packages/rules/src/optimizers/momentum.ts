import type { ComponentInfo, Params } from '@credo/core';
import type { Optimizer, OptimizerImpl } from '../optimizer.js';
import { Sgd } from './sgd.js';

/** Registry entry (name, description, parameter schema) of this component. */
export const MOMENTUM_INFO: ComponentInfo = {
  kind: 'optimizer',
  name: 'momentum',
  description: 'SGD with heavy-ball (or Nesterov) momentum, μ = 0.9 by default; sgd with momentum > 0 under its own name',
  params: {
    lr: { type: 'number', min: 0, exclusiveMin: true, default: 0.01, description: 'learning rate' },
    momentum: { type: 'number', min: 0, max: 1, exclusiveMin: true, exclusiveMax: true, default: 0.9, description: 'momentum coefficient μ, 0 < μ < 1' },
    weightDecay: { type: 'number', min: 0, default: 0, description: 'L2 coefficient λ added to the gradient as λ·W' },
    nesterov: { type: 'boolean', default: false, description: 'Nesterov momentum: p ← p − lr·(g + μ·v)' },
  },
};

/**
 * Momentum SGD exactly as `sgd` computes it with μ > 0 (torch.optim.SGD, dampening 0), registered
 * as its own optimizer so that a sweep can put `[sgd, momentum, adam]` on one axis with sensible
 * defaults for each (the BioTorch recipe is μ = 0.9).
 *
 * @example
 * ```ts
 * const opt = momentumOptimizer.create({ lr: 0.01, momentum: 0.9, weightDecay: 1e-3, nesterov: false });
 * ```
 */
export const momentumOptimizer: OptimizerImpl = {
  create(params: Params): Optimizer {
    return new Sgd(params.lr as number, params.momentum as number, params.weightDecay as number, params.nesterov === true);
  },
};
