import { CredoError } from '@credo/core';
import { allocFloats } from '@credo/tensor';
import type { RecurrentCell, SequenceLoss } from './recurrent-cell.js';

/**
 * The running state of `rows` parallel sequences through one {@link RecurrentCell}: the current and
 * previous state, the current step's Jacobian data, output and output error. A rule advances it
 * one step at a time; training, evaluation and gradient probes each use their own Unroll, so they
 * never disturb one another.
 *
 * Loss convention: each step's loss is Σ_rows mask·ℓ, and `dy` holds its gradient divided by
 * `rows` (the mean over the batch), so that a rule's update is the gradient of
 * Σ_{steps it covers} mean_rows ℓ_t — summed over time. At equal learning rate an online rule that
 * updates every step and BPTT that updates once per sequence then move parameters by comparable
 * amounts.
 *
 * @example
 * ```ts
 * const u = new Unroll(cell, 1);
 * u.reset();
 * u.advance(x);                        // s ← F(s, x)
 * const loss = u.loss(target, undefined);
 * u.backOutput(grads);                 // q = ∂ℓ/∂s, readout gradients accumulated
 * ```
 */
export class Unroll {
  readonly cell: RecurrentCell;
  readonly rows: number;
  /** s_t (rows × n). */
  s: Float32Array;
  /** s_{t−1} (rows × n). */
  sPrev: Float32Array;
  /** The cell's Jacobian data of the last step (rows × auxSize). */
  readonly aux: Float32Array;
  /** The last input x_t (a view of the caller's array). */
  x: Float32Array;
  /** Outputs of the last step (rows × outputs), logits for softmax-ce. */
  readonly y: Float32Array;
  /** ∂(Σ_rows mask·ℓ / rows)/∂y of the last step (rows × outputs); zero on masked rows. */
  readonly dy: Float32Array;
  /** ∂(Σ_rows mask·ℓ / rows)/∂s_t of the last step (rows × n), after {@link Unroll.backOutput}. */
  readonly q: Float32Array;
  /** Time steps since the last reset. */
  t = 0;

  constructor(cell: RecurrentCell, rows: number) {
    if (!Number.isSafeInteger(rows) || rows < 1) throw new CredoError('SHAPE_MISMATCH', 'rows must be a positive integer', { field: 'rows', value: rows });
    this.cell = cell;
    this.rows = rows;
    this.s = allocFloats(rows * cell.n);
    this.sPrev = allocFloats(rows * cell.n);
    this.aux = allocFloats(rows * cell.auxSize);
    this.x = new Float32Array(rows * cell.inputs);
    this.y = allocFloats(rows * cell.outputs);
    this.dy = allocFloats(rows * cell.outputs);
    this.q = allocFloats(rows * cell.n);
    this.reset();
  }

  /** Starts new sequences in every row: s ← s_0. */
  reset(): void {
    this.cell.initialState(this.s, this.rows);
    this.sPrev.set(this.s);
    this.t = 0;
  }

  /** One transition of every row: s_{t−1} ← s_t, s_t ← F(s_{t−1}, x). */
  advance(x: Float32Array): void {
    const c = this.cell;
    if (x.length < this.rows * c.inputs) {
      throw new CredoError('SHAPE_MISMATCH', `x must hold rows × inputs = ${this.rows * c.inputs} values`, { field: 'x', value: x.length });
    }
    const t = this.sPrev;
    this.sPrev = this.s;
    this.s = t;
    this.x = x;
    c.forward(this.sPrev, x, this.s, this.aux, this.rows);
    this.t++;
  }

  /**
   * Output, loss and output error of the current state: returns Σ_rows mask·ℓ and fills `y` and
   * `dy`. `target` is rows × outputs (a probability vector per row for softmax-ce); `mask` (rows
   * weights, usually 0/1) defaults to all ones.
   */
  loss(target: Float32Array, mask: Float32Array | undefined): number {
    const c = this.cell, rows = this.rows, O = c.outputs;
    if (target.length < rows * O) {
      throw new CredoError('SHAPE_MISMATCH', `target must hold rows × outputs = ${rows * O} values`, { field: 'target', value: target.length });
    }
    c.output(this.s, this.y, rows);
    return outputLoss(c.loss, this.y, target, mask, rows, O, this.dy, 1 / rows);
  }

  /**
   * q = (∂y/∂s)ᵀ·dy for the current step; adds the readout gradients into `grads` when given, and
   * with `rate` steps the readout by plain SGD at once (see {@link RecurrentCell.outputBackward}).
   */
  backOutput(grads: Readonly<Record<string, Float32Array>> | undefined, rate?: number): void {
    this.cell.outputBackward(this.s, this.dy, this.q, this.rows, grads, rate);
  }
}

/**
 * Σ_rows mask·ℓ of outputs `y` against `target`, writing dℓ/dy·mask·scale into `dy`.
 * softmax-ce: ℓ = −Σ_j y*_j·log softmax(y)_j and dℓ/dy = softmax(y)·Σ_j y*_j − y* (targets need not
 * be normalised; one-hot labels are the usual case). mse: ℓ = ½‖y − y*‖².
 */
export function outputLoss(
  kind: SequenceLoss, y: Float32Array, target: Float32Array, mask: Float32Array | undefined,
  rows: number, O: number, dy: Float32Array, scale: number,
): number {
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const m = mask === undefined ? 1 : mask[r]!;
    const o = r * O;
    if (m === 0) {
      for (let j = 0; j < O; j++) dy[o + j] = 0;
      continue;
    }
    if (kind === 'mse') {
      let l = 0;
      for (let j = 0; j < O; j++) {
        const d = y[o + j]! - target[o + j]!;
        l += d * d;
        dy[o + j] = m * scale * d;
      }
      total += 0.5 * m * l;
    } else {
      let max = -Infinity;
      for (let j = 0; j < O; j++) if (y[o + j]! > max) max = y[o + j]!;
      let z = 0;
      for (let j = 0; j < O; j++) z += Math.exp(y[o + j]! - max);
      const logZ = Math.log(z) + max;
      let l = 0, tsum = 0;
      for (let j = 0; j < O; j++) {
        const tj = target[o + j]!;
        tsum += tj;
        if (tj !== 0) l -= tj * (y[o + j]! - logZ);
      }
      for (let j = 0; j < O; j++) dy[o + j] = m * scale * (Math.exp(y[o + j]! - logZ) * tsum - target[o + j]!);
      total += m * l;
    }
  }
  return total;
}
