import { CredoError, type ComponentInfo } from '@credo/core';
import { allocFloats, gemmNN, influenceFloats, influencePlan, type InfluencePlan } from '@credo/tensor';
import { mm } from '../small-products.js';
import type { ParamUpdater } from '../param-updater.js';
import type { ParamBlock, RecurrentCell } from '../recurrent-cell.js';
import type { SequenceRuleContext, SequenceRuleState, TemporalRuleImpl } from '../sequence-rule.js';
import type { Unroll } from '../unroll.js';

/** Registry entry of the `rtrl` rule. */
export const RTRL_INFO: ComponentInfo = {
  kind: 'rule',
  name: 'rtrl',
  description: 'real-time recurrent learning: the exact influence matrix M = ∂s_t/∂θ carried forward, M ← J_t·M + ∂s_t/∂θ|immediate, gradient q_tᵀ·M every step; O(n²P) time, O(nP) memory',
  params: {
    influence: {
      type: 'enum', values: ['all', 'W'], default: 'all',
      description: 'which recurrent parameters get an influence matrix and are trained: all of θ, or only the recurrent weights W (perf-baseline §4.3(b); U and b then stay fixed)',
    },
  },
  reference: 'papers.md §5.1 (Williams & Zipser 1989); perf-baseline.md §4.3(b)',
  models: ['rnn', 'influence-chain'],
};

/**
 * Exact RTRL. Each sequence keeps M ∈ ℝ^{n×C} (C = the tracked parameters), updated every step as
 * M ← J_t·M + ∂s_t/∂θ (J_t·M is one real GEMM: 2N⁴ FLOP for the rnn with influence W), and
 * the parameters move by q_tᵀ·M each step, where q_t = ∂ℓ_t/∂s_t. Cells with a Kronecker form
 * (the rnn: J_t = (1−α)I + diag(α·φ′)·W) run the whole step as @credo/tensor's fused
 * `influenceStep` — J never formed, M in its panel layout, qᵀ·M accumulated in the same pass —
 * others (influence-chain) as J_t (dense) times M. With the parameters frozen the
 * sum of these per-step gradients over a sequence equals BPTT's gradient of the summed loss
 * (tested); when they move, M mixes Jacobians of past parameters, which is standard online RTRL.
 *
 * @example
 * ```ts
 * createSequenceLearner({ model: { name: 'rnn', hidden: 16 }, rule: { name: 'rtrl', influence: 'W' }, optimizer: { name: 'sgd', lr: 0.01 } }, shape, seed, 1);
 * ```
 */
export const rtrlRule: TemporalRuleImpl = {
  sequence: {
    init: (ctx) => new RtrlState(ctx),
  },
};

class RtrlState implements SequenceRuleState {
  private readonly cell: RecurrentCell;
  private readonly rows: number;
  private readonly updater: ParamUpdater;
  /** Tracked blocks: a prefix of θ, so the influence matrix's columns are θ's first C entries. */
  private readonly tracked: readonly ParamBlock[];
  readonly trainedBlocks: readonly number[];
  private readonly C: number;
  /** The influence matrices: one per row and one spare; row r's is `mats[slot[r]]`, the spare `mats[spare]`. */
  private readonly mats: Float32Array[] = [];
  private readonly slot: number[] = [];
  private spare: number;
  private readonly gView: Float32Array;
  /** The fused path (cell.kroneckerForm): the per-row d and z, and the kernel bound to them and to `mats`. */
  private readonly fused: { d: Float32Array; z: Float32Array; plan: InfluencePlan } | undefined;
  /** The dense path: J_t, n × n (M is then row-major n × C). */
  private readonly J: Float32Array | undefined;

  constructor(ctx: SequenceRuleContext) {
    const cell = ctx.cell;
    this.cell = cell;
    this.rows = ctx.rows;
    this.updater = ctx.updater;
    if (ctx.params.influence === 'W') {
      const first = cell.blocks[0];
      if (first?.name !== 'W' && first?.name !== 'Wt') {
        throw new CredoError('BAD_PARAM', `model ${cell.model} has no recurrent weight block W`, { field: 'rule.influence', value: 'W', allowed: 'all' });
      }
      this.tracked = [first];
    } else {
      this.tracked = cell.blocks;
    }
    this.trainedBlocks = this.tracked.map((_, i) => i);
    const last = this.tracked[this.tracked.length - 1]!;
    this.C = last.offset + last.rows * last.cols;
    const n = cell.n;
    const form = cell.kroneckerForm?.();
    const L = form !== undefined && cell.kroneckerFactors !== undefined && this.C % n === 0 && this.C / n <= form.groups ? this.C / n : 0;
    const len = L > 0 ? influenceFloats(n, L) : n * this.C;
    for (let r = 0; r <= this.rows; r++) this.mats.push(allocFloats(len));
    for (let r = 0; r < this.rows; r++) this.slot.push(r);
    this.spare = this.rows;
    this.gView = ctx.updater.gTheta.subarray(0, this.C);
    if (form !== undefined && L > 0) {
      const d = allocFloats(n), z = allocFloats(form.groups);
      this.fused = { d, z, plan: influencePlan(n, L, form.At, d, form.beta, z, this.gView, this.mats) };
      this.J = undefined;
    } else {
      this.fused = undefined;
      this.J = allocFloats(n * n);
    }
  }

  reset(): void {
    for (const m of this.mats) m.fill(0);
  }

  step(u: Unroll, x: Float32Array, target: Float32Array, mask: Float32Array | undefined): number {
    u.advance(x);
    const loss = u.loss(target, mask);
    this.updater.backOutput(u);
    const { cell, C, fused } = this;
    const n = cell.n, I = cell.inputs, A = cell.auxSize;
    const single = this.rows === 1;
    for (let r = 0; r < this.rows; r++) {
      const sPrev = single ? u.sPrev : u.sPrev.subarray(r * n, (r + 1) * n);
      const xr = single ? u.x : u.x.subarray(r * I, (r + 1) * I);
      const aux = single ? u.aux : u.aux.subarray(r * A, (r + 1) * A);
      const q = single ? u.q : u.q.subarray(r * n, (r + 1) * n);
      const inIdx = this.slot[r]!, outIdx = this.spare;
      if (fused !== undefined) {
        // M ← J_t·M + ∂s_t/∂θ and g[0..C) += q_rᵀ·M in one pass (q already carries the 1/rows of the batch mean),
        // into the spare matrix or, where the kernel can, in place.
        cell.kroneckerFactors!(sPrev, xr, aux, fused.d, fused.z);
        if (fused.plan.step(q, inIdx, outIdx) === inIdx) continue;
      } else {
        const M = this.mats[inIdx]!, out = this.mats[outIdx]!;
        // J_t·M as one GEMM (2n²C FLOP, the N⁴ of RTRL), then the immediate influence.
        cell.jacobianDense(sPrev, xr, aux, this.J!);
        gemmNN(n, C, n, this.J!, M, out);
        for (const b of this.tracked) cell.addImmediate(sPrev, xr, aux, out, C, b, b.offset);
        mm('NN', 1, C, n, q, out, this.gView, 1, 1);
      }
      this.slot[r] = outIdx;
      this.spare = inIdx;
    }
    this.updater.commit(this.trainedBlocks);
    return loss;
  }

  endSegment(): void {}

  memoryFloats(): number {
    return this.mats.length * this.mats[0]!.length;
  }
}
