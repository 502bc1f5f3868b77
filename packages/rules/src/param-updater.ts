import { allocFloats, sgdPlan } from '@credo/tensor';
import type { Optimizer } from './optimizer.js';
import type { RecurrentCell } from './recurrent-cell.js';
import type { Unroll } from './unroll.js';

/**
 * Where a temporal rule puts its gradient: it adds into {@link ParamUpdater.gTheta} (and the
 * {@link Unroll} adds the readout's immediate gradient into {@link ParamUpdater.gReadout}), then
 * calls {@link ParamUpdater.commit} whenever its schedule says so: every step for the online rules,
 * at the end of a window for bptt/tbptt.
 *
 * Two modes. `apply` steps the optimizer (one slot per θ block and per readout tensor, so a rule
 * that trains only some blocks — `rtrl` with `influence: W` — leaves the others untouched, even
 * under weight decay). `accumulate` never touches the parameters: commits are summed into
 * {@link ParamUpdater.totalTheta}, which is how gradient probes read a rule's estimate with the
 * parameters frozen.
 *
 * @example
 * ```ts
 * const upd = new ParamUpdater(cell, optimizer);  // or new ParamUpdater(cell) to accumulate
 * upd.gTheta[i] += g;                               // the rule's estimate
 * upd.commit();                                     // θ and readout stepped, buffers zeroed
 * ```
 */
export class ParamUpdater {
  readonly cell: RecurrentCell;
  /** Pending gradient of θ (length P). */
  readonly gTheta: Float32Array;
  /** Pending gradient of each readout tensor. */
  readonly gReadout: Readonly<Record<string, Float32Array>>;
  /** Accumulate mode: the sum of every committed θ gradient. */
  readonly totalTheta: Float32Array;
  /**
   * In apply mode with plain SGD (no state, p ← p − rate·g), the rate: a rule may then fuse its
   * θ update into its own pass and commit with `thetaApplied`. Undefined otherwise.
   */
  readonly fusedRate: number | undefined;
  private readonly opt: Optimizer | undefined;
  private readonly thetaSlots: number[] = [];
  private readonly thetaGrads: Float32Array[] = [];
  /** Plain SGD (fusedRate defined): each θ block's step, then each readout tensor's, bound once. */
  private readonly thetaSteps: ((lr: number, clearGrad: boolean) => void)[] = [];
  private readonly readoutSteps: ((lr: number, clearGrad: boolean) => void)[] = [];
  private readonly readoutSlots: number[] = [];
  private readonly readoutGrads: Float32Array[] = [];
  private readonly readoutKeys: string[];

  constructor(cell: RecurrentCell, optimizer?: Optimizer) {
    this.cell = cell;
    this.opt = optimizer;
    this.gTheta = allocFloats(cell.theta.length);
    this.totalTheta = new Float32Array(optimizer === undefined ? cell.theta.length : 0);
    this.readoutKeys = Object.keys(cell.readout);
    const gr: Record<string, Float32Array> = {};
    for (const k of this.readoutKeys) gr[k] = allocFloats(cell.readout[k]!.length);
    this.gReadout = gr;
    if (optimizer !== undefined) {
      for (const b of cell.blocks) {
        const size = b.rows * b.cols;
        const param = cell.theta.subarray(b.offset, b.offset + size);
        this.thetaSlots.push(optimizer.add(param));
        this.thetaGrads.push(this.gTheta.subarray(b.offset, b.offset + size));
        if (optimizer.plainRate !== undefined) this.thetaSteps.push(sgdPlan(this.thetaGrads[this.thetaGrads.length - 1]!, param));
      }
      for (const k of this.readoutKeys) {
        this.readoutSlots.push(optimizer.add(cell.readout[k]!));
        this.readoutGrads.push(gr[k]!);
        if (optimizer.plainRate !== undefined) this.readoutSteps.push(sgdPlan(gr[k]!, cell.readout[k]!));
      }
    }
    this.fusedRate = optimizer?.plainRate;
  }

  /** θ's gradient outside the last `blocks` given to commit, as [start, end) pairs with adjacent blocks merged. */
  private untrained: { blocks: readonly number[]; ranges: number[] } | undefined;

  // The gradient of the blocks a commit does not step is cleared, one fill per run of adjacent
  // blocks (rtrl over W: U and b in one): at N = 16 each fill of a shared-memory array costs
  // 20–50 ns, and this runs every time step.
  private untrainedRanges(blocks: readonly number[]): number[] {
    if (this.untrained?.blocks === blocks) return this.untrained.ranges;
    const ranges: number[] = [];
    for (const [i, b] of this.cell.blocks.entries()) {
      if (blocks.includes(i)) continue;
      const end = b.offset + b.rows * b.cols;
      if (ranges.length > 0 && ranges[ranges.length - 1] === b.offset) ranges[ranges.length - 1] = end;
      else ranges.push(b.offset, end);
    }
    this.untrained = { blocks, ranges };
    return ranges;
  }

  /** Set by {@link ParamUpdater.backOutput} when it stepped the readout itself; the next commit then leaves it. */
  private readoutApplied = false;

  /**
   * `u.backOutput` for a rule that commits on every step: q for this step, and the readout's
   * immediate gradient either added into {@link ParamUpdater.gReadout} for the next commit or, with
   * plain SGD in apply mode, applied in the same pass (the same bits; the next commit then skips
   * the readout). Online rules commit every time step, and at small n a separate pass over the
   * readout gradient plus two optimizer calls cost as much as the readout's products.
   */
  backOutput(u: Unroll): void {
    if (this.fusedRate === undefined) {
      u.backOutput(this.gReadout);
      return;
    }
    u.backOutput(this.gReadout, this.fusedRate);
    this.readoutApplied = true;
  }

  /** True when commits change the parameters (training), false when they are only summed (probes). */
  get applies(): boolean {
    return this.opt !== undefined;
  }

  /**
   * Applies (or, in accumulate mode, sums) the pending gradients and zeroes them. `blocks` selects
   * the θ blocks by index (default: all); `thetaApplied` says the rule already updated θ itself
   * through {@link ParamUpdater.fusedRate}, so only the readout is stepped. With plain SGD each
   * block goes through @credo/tensor's `sgdPlan` (the same float32 bits as the optimizer's step).
   */
  commit(blocks?: readonly number[], thetaApplied = false): void {
    const opt = this.opt;
    if (opt === undefined) {
      const tot = this.totalTheta, g = this.gTheta;
      for (let i = 0; i < g.length; i++) tot[i] = tot[i]! + g[i]!;
      g.fill(0);
      for (const k of this.readoutKeys) this.gReadout[k]!.fill(0);
      return;
    }
    const rate = this.fusedRate;
    if (rate !== undefined) {
      // Plain SGD has no state, so each block is stepped and its gradient cleared in one kernel
      // pass: online rules commit every time step, and at small n the optimizer's per-slot
      // dispatch plus a separate clearing pass over all of θ cost as much as the step's products.
      if (!thetaApplied) {
        if (blocks === undefined) {
          for (const step of this.thetaSteps) step(rate, true);
        } else {
          for (const i of blocks) this.thetaSteps[i]!(rate, true);
          const r = this.untrainedRanges(blocks);
          for (let k = 0; k < r.length; k += 2) this.gTheta.fill(0, r[k]!, r[k + 1]!);
        }
      }
      if (this.readoutApplied) {
        this.readoutApplied = false;
        return;
      }
      for (const step of this.readoutSteps) step(rate, true);
      return;
    }
    if (!thetaApplied) {
      const n = this.thetaSlots.length;
      if (blocks === undefined) for (let i = 0; i < n; i++) opt.step(this.thetaSlots[i]!, this.thetaGrads[i]!);
      else for (const i of blocks) opt.step(this.thetaSlots[i]!, this.thetaGrads[i]!);
      this.gTheta.fill(0);
    }
    for (let i = 0; i < this.readoutSlots.length; i++) {
      opt.step(this.readoutSlots[i]!, this.readoutGrads[i]!);
      this.readoutGrads[i]!.fill(0);
    }
  }
}
