import type { ComponentInfo } from '@credo/core';
import type { ParamUpdater } from '../param-updater.js';
import type { SequenceRuleContext, SequenceRuleState, TemporalRuleImpl } from '../sequence-rule.js';
import { StepHistory } from '../step-history.js';
import type { Unroll } from '../unroll.js';

/** Registry entry of the `bptt` rule. */
export const BPTT_INFO: ComponentInfo = {
  kind: 'rule',
  name: 'bptt',
  description: 'backpropagation through time over each whole training segment: an episode, or for stream tasks a window of the task\'s `segment` steps (state carried across windows, gradient not)',
  params: {},
  reference: 'papers.md §5.2 (Werbos 1990); perf-baseline.md §4.3(a)',
  models: ['rnn', 'influence-chain'],
};

/**
 * Full BPTT: every step of a segment is stored, and at the segment's end the exact gradient of
 * Σ_t mean_rows ℓ_t is sent back to the segment's start and applied once (with the readout's).
 * Memory grows with the segment: O(n·T) per sequence. On an episodic task this is the exact
 * gradient; on a stream it is Marschall et al.'s E-BPTT with window = the task's `segment`.
 *
 * @example
 * ```ts
 * createSequenceLearner({ model: { name: 'rnn' }, rule: { name: 'bptt' }, optimizer: { name: 'sgd', lr: 0.01 } }, shape, seed, 32);
 * ```
 */
export const bpttRule: TemporalRuleImpl = {
  sequence: {
    isReference: true,
    init: (ctx) => new BpttState(ctx),
  },
};

class BpttState implements SequenceRuleState {
  private readonly history: StepHistory;
  private readonly updater: ParamUpdater;

  constructor(ctx: SequenceRuleContext) {
    this.history = new StepHistory(ctx.cell, ctx.rows, 64, true);
    this.updater = ctx.updater;
  }

  reset(u: Unroll): void {
    this.history.start(u);
  }

  step(u: Unroll, x: Float32Array, target: Float32Array, mask: Float32Array | undefined): number {
    u.advance(x);
    const loss = u.loss(target, mask);
    this.history.push(u);
    return loss;
  }

  endSegment(): void {
    const h = this.history;
    if (h.len === 0) return;
    h.backward(0, 0, this.updater.gTheta, undefined, this.updater.gReadout);
    this.updater.commit();
    h.trim(0);
  }

  memoryFloats(): number {
    return this.history.floats();
  }
}
