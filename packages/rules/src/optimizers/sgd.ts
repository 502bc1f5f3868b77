import { CredoError, type ComponentInfo, type Params } from '@credo/core';
import { sgdStep } from '@credo/tensor';
import type { Optimizer, OptimizerImpl } from '../optimizer.js';

/** Registry entry (name, description, parameter schema) of this component. */
export const SGD_INFO: ComponentInfo = {
  kind: 'optimizer',
  name: 'sgd',
  description: 'stochastic gradient descent with optional heavy-ball momentum and L2 weight decay',
  params: {
    lr: { type: 'number', min: 0, exclusiveMin: true, default: 0.1, description: 'learning rate' },
    momentum: { type: 'number', min: 0, max: 1, exclusiveMax: true, default: 0, description: 'momentum coefficient μ, 0 ≤ μ < 1' },
    weightDecay: { type: 'number', min: 0, default: 0, description: 'L2 coefficient λ added to the gradient as λ·W' },
  },
};

/**
 * SGD as in torch.optim.SGD (dampening 0): g′ = g + λ·p; v ← μ·v + g′; p ← p − lr·v (Nesterov:
 * p ← p − lr·(g′ + μ·v)).
 *
 * With μ = λ = 0 the step has no state and is done in float32 arithmetic with lr rounded to
 * float32, p ← p ⊖ (fround(lr) ⊗ g) — what torch does to a float32 tensor — which is also exactly
 * what the fused sparse update of the first layer computes (`plainRate`), on either kernel backend.
 * Steps with momentum or decay are evaluated in float64 per element and rounded once.
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
    if (!(momentum >= 0 && momentum < 1)) {
      throw new CredoError('BAD_PARAM', 'invalid value', { field: 'optimizer.momentum', value: momentum, allowed: 'number ≥ 0 and < 1' });
    }
    return new Sgd(lr, momentum, weightDecay, params.nesterov === true);
  },
};

/**
 * The SGD family's update (`sgd` and `momentum` both create one).
 *
 * @example
 * ```ts
 * const opt = new Sgd(0.01, 0.9, 0, true); // lr, μ, λ, Nesterov
 * opt.step(opt.add(W), dW);
 * ```
 */
export class Sgd implements Optimizer {
  readonly plainRate: number | undefined;
  private readonly params: Float32Array[] = [];
  private readonly velocity: (Float32Array | undefined)[] = [];

  constructor(
    private readonly lr: number,
    private readonly momentum: number,
    private readonly weightDecay: number,
    private readonly nesterov = false,
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
      if (wd === 0) {
        sgdStep(n, lr, grad, p);
      } else {
        for (let i = 0; i < n; i++) p[i] = p[i]! - lr * (grad[i]! + wd * p[i]!);
      }
      return;
    }
    if (this.nesterov) {
      for (let i = 0; i < n; i++) {
        const g = grad[i]! + wd * p[i]!;
        v[i] = mu * v[i]! + g;
        p[i] = p[i]! - lr * (g + mu * v[i]!);
      }
      return;
    }
    for (let i = 0; i < n; i++) {
      v[i] = mu * v[i]! + (grad[i]! + wd * p[i]!);
      p[i] = p[i]! - lr * v[i]!;
    }
  }
}
