import { CredoError, type ComponentInfo, type Params } from '@credo/core';
import type { Optimizer, OptimizerImpl } from '../optimizer.js';

/** Registry entry (name, description, parameter schema) of this component. */
export const SGD_INFO: ComponentInfo = {
  kind: 'optimizer',
  name: 'sgd',
  description: 'stochastic gradient descent with optional heavy-ball momentum and L2 weight decay',
  params: {
    lr: { type: 'number', min: 0, exclusiveMin: true, default: 0.1, description: 'learning rate' },
    // The schema language has no exclusive maximum; create() rejects momentum = 1.
    momentum: { type: 'number', min: 0, max: 1, default: 0, description: 'momentum coefficient μ, 0 ≤ μ < 1' },
    weightDecay: { type: 'number', min: 0, default: 0, description: 'L2 coefficient λ added to the gradient as λ·W' },
  },
};

/**
 * SGD as in torch.optim.SGD (dampening 0, no Nesterov): g′ = g + λ·p; v ← μ·v + g′; p ← p − lr·v.
 * With μ = λ = 0 the update is exactly p ← fround(p − lr·g), with no state.
 *
 * @example
 * ```ts
 * const opt = sgdOptimizer.create({ lr: 0.1, momentum: 0.9, weightDecay: 0 });
 * const slot = opt.add(W);
 * opt.step(slot, dW);
 * ```
 */
export const sgdOptimizer: OptimizerImpl = {
  create(params: Params): Optimizer {
    const lr = params.lr as number, momentum = params.momentum as number, weightDecay = params.weightDecay as number;
    if (!(momentum < 1)) {
      throw new CredoError('BAD_PARAM', 'invalid value', { field: 'optimizer.momentum', value: momentum, allowed: 'number ≥ 0 and < 1' });
    }
    return new Sgd(lr, momentum, weightDecay);
  },
};

class Sgd implements Optimizer {
  readonly plainRate: number | undefined;
  private readonly params: Float32Array[] = [];
  private readonly velocity: (Float32Array | undefined)[] = [];

  constructor(
    private readonly lr: number,
    private readonly momentum: number,
    private readonly weightDecay: number,
  ) {
    this.plainRate = momentum === 0 && weightDecay === 0 ? lr : undefined;
  }

  add(param: Float32Array): number {
    this.params.push(param);
    this.velocity.push(this.momentum === 0 ? undefined : new Float32Array(param.length));
    return this.params.length - 1;
  }

  step(slot: number, grad: Float32Array): void {
    const p = this.params[slot];
    if (p === undefined) throw new CredoError('INTERNAL', `sgd: unknown parameter slot ${slot}`);
    if (grad.length < p.length) {
      throw new CredoError('SHAPE_MISMATCH', `sgd: gradient has ${grad.length} elements, parameter ${p.length}`, { field: 'grad' });
    }
    const { lr, weightDecay: wd, momentum: mu } = this;
    const v = this.velocity[slot];
    const n = p.length;
    if (v === undefined) {
      if (wd === 0) for (let i = 0; i < n; i++) p[i] = p[i]! - lr * grad[i]!;
      else for (let i = 0; i < n; i++) p[i] = p[i]! - lr * (grad[i]! + wd * p[i]!);
      return;
    }
    for (let i = 0; i < n; i++) {
      v[i] = mu * v[i]! + (grad[i]! + wd * p[i]!);
      p[i] = p[i]! - lr * v[i]!;
    }
  }
}
