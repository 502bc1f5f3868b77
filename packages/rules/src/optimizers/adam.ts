import { CredoError, type ComponentInfo, type Params } from '@credo/core';
import type { Optimizer, OptimizerImpl } from '../optimizer.js';

/** Registry entry (name, description, parameter schema) of this component. */
export const ADAM_INFO: ComponentInfo = {
  kind: 'optimizer',
  name: 'adam',
  description: 'Adam (Kingma & Ba 2015) with L2 weight decay, or decoupled decay (AdamW)',
  params: {
    lr: { type: 'number', min: 0, exclusiveMin: true, default: 0.001, description: 'learning rate' },
    beta1: { type: 'number', min: 0, max: 1, exclusiveMax: true, default: 0.9, description: 'decay of the first-moment estimate' },
    beta2: { type: 'number', min: 0, max: 1, exclusiveMax: true, default: 0.999, description: 'decay of the second-moment estimate' },
    eps: { type: 'number', min: 0, exclusiveMin: true, default: 1e-8, description: 'added to √v̂ in the denominator' },
    weightDecay: { type: 'number', min: 0, default: 0, description: 'λ: L2 (g += λ·p, torch.optim.Adam) or, with decoupled, p −= lr·λ·p first (AdamW)' },
    decoupled: { type: 'boolean', default: false, description: 'decoupled weight decay (AdamW) instead of L2 in the gradient' },
  },
};

/**
 * Adam as torch.optim.Adam / AdamW compute it (no amsgrad), per element in float64, rounded once:
 *   g ← g + λp (L2) | p ← p − lr·λ·p (decoupled);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;
 *   p ← p − lr · (m / (1−β1ᵗ)) / (√(v / (1−β2ᵗ)) + ε),  t counted per parameter from 1.
 *
 * @example
 * ```ts
 * const opt = adamOptimizer.create({ lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false });
 * const slot = opt.add(W);
 * opt.step(slot, dW);
 * ```
 */
export const adamOptimizer: OptimizerImpl = {
  create(params: Params): Optimizer {
    return new Adam(params.lr as number, params.beta1 as number, params.beta2 as number, params.eps as number,
      params.weightDecay as number, params.decoupled === true);
  },
};

class Adam implements Optimizer {
  readonly plainRate = undefined;
  private readonly params: Float32Array[] = [];
  private readonly m: Float32Array[] = [];
  private readonly v: Float32Array[] = [];
  private readonly t: number[] = [];

  constructor(
    private readonly lr: number,
    private readonly beta1: number,
    private readonly beta2: number,
    private readonly eps: number,
    private readonly weightDecay: number,
    private readonly decoupled: boolean,
  ) {}

  add(param: Float32Array): number {
    this.params.push(param);
    this.m.push(new Float32Array(param.length));
    this.v.push(new Float32Array(param.length));
    this.t.push(0);
    return this.params.length - 1;
  }

  step(slot: number, grad: Float32Array): void {
    const p = this.params[slot];
    if (p === undefined) throw new CredoError('INTERNAL', `adam: unknown parameter slot ${slot}`);
    if (grad.length < p.length) {
      throw new CredoError('SHAPE_MISMATCH', `adam: gradient has ${grad.length} elements, parameter ${p.length}`, { field: 'grad' });
    }
    const t = ++this.t[slot]!;
    const { lr, beta1: b1, beta2: b2, eps, weightDecay: wd, decoupled } = this;
    const m = this.m[slot]!, v = this.v[slot]!;
    const c1 = 1 - b1 ** t, c2 = 1 - b2 ** t;
    const l2 = decoupled ? 0 : wd;
    const shrink = decoupled ? 1 - lr * wd : 1;
    for (let i = 0; i < p.length; i++) {
      const g = grad[i]! + l2 * p[i]!;
      const mi = b1 * m[i]! + (1 - b1) * g;
      const vi = b2 * v[i]! + (1 - b2) * g * g;
      m[i] = mi;
      v[i] = vi;
      p[i] = shrink * p[i]! - (lr * (mi / c1)) / (Math.sqrt(vi / c2) + eps);
    }
  }
}
