import { CredoError, type ComponentInfo } from '@credo/core';
import { allocFloats, gemmNN } from '@credo/tensor';
import { RnnCell } from '../models/rnn.js';
import type { ParamUpdater } from '../param-updater.js';
import type { SequenceRuleContext, SequenceRuleState, TemporalRuleImpl } from '../sequence-rule.js';
import type { Unroll } from '../unroll.js';

/** Registry entry of the `rflo` rule. */
export const RFLO_INFO: ComponentInfo = {
  kind: 'rule',
  name: 'rflo',
  description: "random-feedback local online learning (Murray 2019): eligibility trace B ← (1−λ)B + α·φ′(h)·[a_{t−1}; x_t; 1]ᵀ, gradient q_i·B_ij — RTRL with J replaced by its leak; O(P) per step",
  params: {
    alpha: {
      type: 'number', min: 0, max: 1, default: 0,
      description: "the trace's inverse time constant λ; 0 means the network's own α (Murray's choice)",
    },
    feedback: {
      type: 'enum', values: ['symmetric', 'random'], default: 'symmetric',
      description: 'q = Vᵀ·e (the readout weights), or Bᵀ·e with B fixed random of V\'s shape, U(±1/√N) (Murray\'s original)',
    },
  },
  reference: 'papers.md §7.2 (Marschall et al. 2020, RFLO row; vanilla-rtrl learning_algorithms/RFLO.py)',
  models: ['rnn'],
};

/**
 * RFLO. The trace B has θ's layout (each entry belongs to one hidden unit), because the
 * immediate influence of the rnn is block-diagonal in the unit: ∂a_i/∂W_ij only. Dropping the
 * recurrent part α·φ′·W of J_t and keeping its leak 1 − α makes the influence matrix stay
 * block-diagonal, so it costs O(P) instead of RTRL's O(n·P). The estimate is biased (deterministic);
 * with α = 1 it keeps only the current step's influence.
 *
 * @example
 * ```ts
 * createSequenceLearner({ model: { name: 'rnn', alpha: 0.5 }, rule: { name: 'rflo' }, optimizer: { name: 'sgd' } }, shape, seed, 1);
 * ```
 */
export const rfloRule: TemporalRuleImpl = {
  sequence: {
    init: (ctx) => new RfloState(ctx),
  },
};

class RfloState implements SequenceRuleState {
  private readonly cell: RnnCell;
  private readonly rows: number;
  private readonly updater: ParamUpdater;
  private readonly decay: number;
  private readonly B: Float32Array[] = [];
  private readonly ones: Float32Array;
  /** Random feedback (outputs × N), or undefined for symmetric. */
  private readonly fb: Float32Array | undefined;
  private readonly qfb: Float32Array;

  constructor(ctx: SequenceRuleContext) {
    if (!(ctx.cell instanceof RnnCell)) {
      throw new CredoError('SPEC_INVALID', `rule rflo cannot train model ${ctx.cell.model}`, { field: 'rule.name', value: 'rflo', allowed: 'models rnn' });
    }
    const cell = ctx.cell;
    this.cell = cell;
    this.rows = ctx.rows;
    this.updater = ctx.updater;
    const lam = ctx.params.alpha as number;
    this.decay = 1 - (lam === 0 ? cell.alpha : lam);
    for (let r = 0; r < this.rows; r++) this.B.push(allocFloats(cell.theta.length));
    this.ones = new Float32Array(cell.n).fill(1);
    if (ctx.params.feedback === 'random') {
      this.fb = new Float32Array(cell.outputs * cell.n);
      const s = 1 / Math.sqrt(cell.n);
      ctx.feedbackRng.fillUniform(this.fb, -s, s);
    }
    this.qfb = allocFloats(this.rows * cell.n);
  }

  reset(): void {
    for (const b of this.B) b.fill(0);
  }

  step(u: Unroll, x: Float32Array, target: Float32Array, mask: Float32Array | undefined): number {
    u.advance(x);
    const loss = u.loss(target, mask);
    this.updater.backOutput(u);
    const { cell, rows } = this;
    const N = cell.n, I = cell.inputs;
    let q = u.q;
    if (this.fb !== undefined) {
      gemmNN(rows, N, cell.outputs, u.dy, this.fb, this.qfb);
      q = this.qfb;
    }
    const g = this.updater.gTheta;
    for (let r = 0; r < rows; r++) {
      const B = this.B[r]!;
      cell.scaledImmediateVjp(
        u.sPrev.subarray(r * N, (r + 1) * N), u.x.subarray(r * I, (r + 1) * I), u.aux.subarray(r * N, (r + 1) * N),
        this.ones, 1, B, this.decay,
      );
      // θ's blocks are stored transposed (rows of Wt, Ut, then b): entry j·N + i belongs to unit i.
      const qr = q.subarray(r * N, (r + 1) * N);
      for (let j = 0; j < N + I + 1; j++) {
        const o = j * N;
        for (let i = 0; i < N; i++) g[o + i] = g[o + i]! + qr[i]! * B[o + i]!;
      }
    }
    this.updater.commit();
    return loss;
  }

  endSegment(): void {}

  memoryFloats(): number {
    return this.rows * this.cell.theta.length;
  }
}
