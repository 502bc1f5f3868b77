import { CredoError, type ComponentInfo } from '@credo/core';
import type { ParamUpdater } from '../param-updater.js';
import type { SequenceRuleContext, SequenceRuleState, TemporalRuleImpl } from '../sequence-rule.js';
import { StepHistory } from '../step-history.js';
import type { Unroll } from '../unroll.js';

/** Registry entry of the `tbptt` rule. */
export const TBPTT_INFO: ComponentInfo = {
  kind: 'rule',
  name: 'tbptt',
  description: 'truncated BPTT(k; stride): every `stride` steps, backprop the losses of those steps through the last k steps only (Williams & Peng\'s BPTT(h; h′))',
  params: {
    k: { type: 'integer', min: 1, default: 10, description: 'truncation: steps of history any gradient flows back through' },
    stride: {
      type: 'integer', min: 0, default: 1,
      description: 'steps between updates (≤ k); 1 = every step backprops the newest loss k steps, k = chunked TBPTT; 0 means k',
    },
  },
  reference: 'papers.md §5.2',
  models: ['rnn', 'influence-chain'],
};

/**
 * Truncated BPTT. With stride s ≤ k, every s steps the losses of the last s steps are sent back
 * through the last k stored steps and the resulting gradient is applied (so the newest loss sees k
 * steps of history and the oldest k − s + 1). Influences of θ older than that are dropped: the
 * estimate is biased, and on influence balancing a short k gets the sign of dL/dθ wrong
 * (papers.md §6.3). A segment's end also flushes the pending losses. Memory: k steps per sequence.
 *
 * @example
 * ```ts
 * createSequenceLearner({ model: { name: 'rnn' }, rule: { name: 'tbptt', k: 20, stride: 20 }, optimizer: { name: 'sgd' } }, shape, seed, 1);
 * ```
 */
export const tbpttRule: TemporalRuleImpl = {
  sequence: {
    init: (ctx) => new TbpttState(ctx),
  },
};

class TbpttState implements SequenceRuleState {
  private readonly history: StepHistory;
  private readonly updater: ParamUpdater;
  private readonly k: number;
  private readonly stride: number;
  private pending = 0;

  constructor(ctx: SequenceRuleContext) {
    this.k = ctx.params.k as number;
    const s = ctx.params.stride as number;
    this.stride = s === 0 ? this.k : s;
    if (this.stride > this.k) {
      throw new CredoError('BAD_PARAM', 'stride must not exceed k (losses older than k steps would get no gradient)', { field: 'rule.stride', value: s, allowed: `integer 0 … ${this.k}` });
    }
    // Twice the window, so that dropping old records (a copy) happens once every k steps, not every step.
    this.history = new StepHistory(ctx.cell, ctx.rows, 2 * this.k, false);
    this.updater = ctx.updater;
  }

  reset(u: Unroll): void {
    this.history.start(u);
    this.pending = 0;
  }

  step(u: Unroll, x: Float32Array, target: Float32Array, mask: Float32Array | undefined): number {
    u.advance(x);
    const loss = u.loss(target, mask);
    const h = this.history;
    if (h.len === 2 * this.k) h.trim(this.k - 1);
    h.push(u);
    if (++this.pending === this.stride) this.flush();
    return loss;
  }

  endSegment(): void {
    if (this.pending > 0) this.flush();
  }

  memoryFloats(): number {
    return this.history.floats();
  }

  private flush(): void {
    const h = this.history;
    h.backward(Math.max(0, h.len - this.k), h.len - this.pending, this.updater.gTheta, undefined, this.updater.gReadout);
    this.updater.commit();
    this.pending = 0;
  }
}
