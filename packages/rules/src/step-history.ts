import { CredoError } from '@credo/core';
import { allocFloats } from '@credo/tensor';
import type { RecurrentCell } from './recurrent-cell.js';
import type { Unroll } from './unroll.js';

/**
 * The stored past of a batch of sequences, and backprop through it: what bptt, tbptt and sab keep.
 *
 * Records are contiguous in time (record t holds s_t's step: input x_t, the cell's Jacobian data
 * and the output error dy_t; the states are S[0] = s before record 0 and S[t+1] = s after record
 * t), so the parameter gradient of a whole window is one call of {@link RecurrentCell.paramGrad}
 * over stacked steps — a GEMM with k = steps × rows for the rnn — and the readout's error is sent
 * back for every step at once. Only the recursion through J_t runs step by step.
 *
 * @example
 * ```ts
 * const h = new StepHistory(cell, rows, 64, true);
 * h.start(u);                        // after u.reset()
 * // each step, after u.advance(x) and u.loss(…):
 * h.push(u);
 * // at the end of the window: exact gradient of every stored loss, back to record 0
 * h.backward(0, 0, updater.gTheta);
 * h.trim(0);
 * ```
 */
export class StepHistory {
  readonly cell: RecurrentCell;
  readonly rows: number;
  /** Records stored. */
  len = 0;
  private cap: number;
  private readonly growable: boolean;
  private S: Float32Array;
  private X: Float32Array;
  private AUX: Float32Array;
  private DY: Float32Array;
  private Q: Float32Array;
  private DPRE: Float32Array;
  private readonly u0: Float32Array;
  private readonly u1: Float32Array;

  /** `capacity` records; a growable history doubles when full, a fixed one throws. */
  constructor(cell: RecurrentCell, rows: number, capacity: number, growable: boolean) {
    this.cell = cell;
    this.rows = rows;
    this.cap = Math.max(1, capacity);
    this.growable = growable;
    const c = this.cap;
    // In the kernels' memory: the window's GEMMs then run on these arrays in place.
    this.S = allocFloats((c + 1) * rows * cell.n);
    this.X = allocFloats(c * rows * cell.inputs);
    this.AUX = allocFloats(c * rows * cell.auxSize);
    this.DY = allocFloats(c * rows * cell.outputs);
    this.Q = allocFloats(c * rows * cell.n);
    this.DPRE = allocFloats(c * rows * cell.n);
    this.u0 = allocFloats(rows * cell.n);
    this.u1 = allocFloats(rows * cell.n);
  }

  /** Empties the history and stores `u.s` as the state before the first record. */
  start(u: Unroll): void {
    this.len = 0;
    this.S.set(u.s.subarray(0, this.rows * this.cell.n), 0);
  }

  /** Stores the step `u` just took (after `advance` and `loss`). */
  push(u: Unroll): void {
    if (this.len === this.cap) this.grow();
    const { rows, cell } = this;
    const t = this.len;
    const n = rows * cell.n;
    this.S.set(u.s.subarray(0, n), (t + 1) * n);
    this.X.set(u.x.subarray(0, rows * cell.inputs), t * rows * cell.inputs);
    if (cell.auxSize > 0) this.AUX.set(u.aux.subarray(0, rows * cell.auxSize), t * rows * cell.auxSize);
    this.DY.set(u.dy.subarray(0, rows * cell.outputs), t * rows * cell.outputs);
    this.len++;
  }

  /** State after record t − 1 (S[0] is the state before record 0): rows × n, a live view. */
  state(t: number): Float32Array {
    const n = this.rows * this.cell.n;
    return this.S.subarray(t * n, (t + 1) * n);
  }

  /** Input of record t (rows × inputs), a live view. */
  input(t: number): Float32Array {
    const k = this.rows * this.cell.inputs;
    return this.X.subarray(t * k, (t + 1) * k);
  }

  /** Jacobian data of record t, a live view. */
  aux(t: number): Float32Array {
    const k = this.rows * this.cell.auxSize;
    return this.AUX.subarray(t * k, (t + 1) * k);
  }

  /**
   * Backprop through records [from, len) of the losses of records [lossFrom, len) (the losses of
   * older records are not sent back), adding ∂/∂θ into `g`. The recursion stops at record `from`:
   * influences of θ older than that are dropped (truncation). `hook(t, u)`, when given, may change
   * u = ∂L/∂s_t before it is sent through record t (sab adds its attention paths there). When
   * `readout` is given, the readout's gradient of the same losses is added into it (one GEMM for
   * the window, instead of one per step).
   */
  backward(
    from: number, lossFrom: number, g: Float32Array, hook?: (t: number, u: Float32Array) => void,
    readout?: Readonly<Record<string, Float32Array>>,
  ): void {
    const { rows, cell, len } = this;
    if (len === 0 || from >= len) return;
    const n = cell.n, rn = rows * n;
    const lf = Math.max(from, lossFrom);
    if (lf < len) {
      const cnt = (len - lf) * rows;
      cell.outputBackward(
        this.S.subarray((lf + 1) * rn, (len + 1) * rn),
        this.DY.subarray(lf * rows * cell.outputs, len * rows * cell.outputs),
        this.Q.subarray(lf * rn, len * rn),
        cnt, readout,
      );
    }
    cell.beginBackward?.();
    // Two fixed buffers: u = ∂L/∂s_t is built in one, backStep writes uᵀJ_t into the other.
    const carry = this.u0, u = this.u1;
    carry.fill(0);
    const Q = this.Q, D = this.DPRE;
    for (let t = len - 1; t >= from; t--) {
      const qo = t * rn;
      if (t >= lf) for (let i = 0; i < rn; i++) u[i] = carry[i]! + Q[qo + i]!;
      else u.set(carry);
      if (hook !== undefined) hook(t, u);
      cell.backStep(this.state(t), this.input(t), this.aux(t), u, carry, D.subarray(qo, qo + rn), rows);
    }
    const k = len - from;
    cell.paramGrad(
      D.subarray(from * rn, len * rn),
      this.S.subarray(from * rn, len * rn),
      this.X.subarray(from * rows * cell.inputs, len * rows * cell.inputs),
      k * rows, g,
    );
  }

  /** Keeps only the last `keep` records (and the state before them). */
  trim(keep: number): void {
    const { rows, cell } = this;
    keep = Math.max(0, Math.min(keep, this.len));
    const drop = this.len - keep;
    if (drop === 0) return;
    const rn = rows * cell.n, ri = rows * cell.inputs, ra = rows * cell.auxSize, ro = rows * cell.outputs;
    this.S.copyWithin(0, drop * rn, (this.len + 1) * rn);
    this.X.copyWithin(0, drop * ri, this.len * ri);
    if (ra > 0) this.AUX.copyWithin(0, drop * ra, this.len * ra);
    this.DY.copyWithin(0, drop * ro, this.len * ro);
    this.len = keep;
  }

  /** Floats held for the stored records (what the `memory/floats` metric reports). */
  floats(): number {
    const { rows, cell } = this;
    return this.len * rows * (2 * cell.n + cell.inputs + cell.auxSize + cell.outputs) + rows * cell.n;
  }

  private grow(): void {
    if (!this.growable) throw new CredoError('INTERNAL', `StepHistory: capacity ${this.cap} exceeded`);
    const c = this.cap * 2;
    const { rows, cell } = this;
    const re = (a: Float32Array, per: number, extra = 0): Float32Array => {
      const b = allocFloats((c + extra) * rows * per);
      b.set(a);
      return b;
    };
    this.S = re(this.S, cell.n, 1);
    this.X = re(this.X, cell.inputs);
    this.AUX = re(this.AUX, cell.auxSize);
    this.DY = re(this.DY, cell.outputs);
    this.Q = allocFloats(c * rows * cell.n);
    this.DPRE = allocFloats(c * rows * cell.n);
    this.cap = c;
  }
}
