import type { Params } from '@credo/core';
import type { SequenceBatch } from '@credo/rules';
import type { Rng } from '@credo/tensor';
import type { TaskScore } from './task.js';

/**
 * A sequence problem as a trial sees it: a generator of training sequences, a fixed test set,
 * the widths, the readout loss and the score.
 *
 * How `train.epochs` maps onto it: one epoch is {@link SequenceTask.stepsPerEpoch} time steps of
 * every row, fed in segments of {@link SequenceTask.segment} steps. For an `episodes` task a segment
 * is one batch of `train.batch` fresh episodes (state reset before each), so an epoch is the task's
 * `sequences` episodes, rounded up to whole batches. For a `stream` task every row is one unending
 * sequence (reset once, at the start of the trial) and a segment is a window of it — the span bptt
 * backprops through; an epoch is the task's `steps`. Metric steps count time steps.
 *
 * @example
 * ```ts
 * const task = taskRegistry.get('copy').impl.create({ delay: 20 }, seed) as SequenceTask;
 * const src = task.source(Rng.derive(seed, 'data'), 32);
 * const batch = src.next(task.segment);   // 32 episodes of the copy task
 * ```
 */
export interface SequenceTask {
  readonly kind: 'sequence';
  readonly inputs: number;
  readonly outputs: number;
  readonly loss: 'mse' | 'softmax-ce';
  /** `error` = argmax mismatch rate over supervised steps; `mse` = mean ½‖y − y*‖²; `loss` = mean loss (cross-entropy, nats). */
  readonly score: TaskScore;
  /** `episodes`: independent sequences, state reset before each; `stream`: one unending sequence per row. */
  readonly mode: 'episodes' | 'stream';
  /** Steps per training segment: the episode length, or the stream window. */
  readonly segment: number;
  /** Time steps per epoch with `rows` parallel sequences (a multiple of `segment` for episodes). */
  stepsPerEpoch(rows: number): number;
  /** A training data generator for `rows` parallel sequences, drawing only from `rng`. */
  source(rng: Rng, rows: number): SequenceSource;
  /** The test set, identical for every trial seed (evaluated from reset, parameters frozen). */
  readonly test: SequenceBatch;
  /** One sequence (rows = 1) on which gradient diagnostics compare each rule with the exact gradient. */
  readonly probe: SequenceBatch;
}

/** Training data, produced segment by segment. */
export interface SequenceSource {
  /**
   * The next `steps` steps of every row: a continuation of each stream, or fresh episodes (then
   * `steps` is the episode length). The returned batch's buffers are reused by the next call.
   */
  next(steps: number): SequenceBatch;
}

/** What a registered sequence task provides (the `kind` tells the runtime which loop to use). */
export interface SequenceTaskImpl {
  readonly kind: 'sequence';
  readonly score: TaskScore;
  create(params: Params, seed: number): SequenceTask;
}

/** A zeroed batch with reusable buffers; `masked` allocates a mask (all zeros). */
export function emptyBatch(steps: number, rows: number, inputs: number, outputs: number, masked: boolean): SequenceBatch {
  return {
    steps, rows,
    x: new Float32Array(steps * rows * inputs),
    y: new Float32Array(steps * rows * outputs),
    mask: masked ? new Float32Array(steps * rows) : undefined,
  };
}

/** The first `steps` steps of row `r` of `b`, as a one-row batch (copied). */
export function rowOf(b: SequenceBatch, r: number, steps = b.steps): SequenceBatch {
  const I = b.x.length / (b.steps * b.rows), O = b.y.length / (b.steps * b.rows);
  const out = emptyBatch(steps, 1, I, O, b.mask !== undefined);
  for (let t = 0; t < steps; t++) {
    out.x.set(b.x.subarray((t * b.rows + r) * I, (t * b.rows + r + 1) * I), t * I);
    out.y.set(b.y.subarray((t * b.rows + r) * O, (t * b.rows + r + 1) * O), t * O);
    if (b.mask !== undefined) out.mask![t] = b.mask[t * b.rows + r]!;
  }
  return out;
}

/** A stream source whose buffers are reallocated only when a longer segment is asked for. */
export abstract class StreamSource implements SequenceSource {
  private buf: SequenceBatch;

  constructor(readonly rows: number, private readonly inputs: number, private readonly outputs: number) {
    this.buf = emptyBatch(1, rows, inputs, outputs, false);
  }

  next(steps: number): SequenceBatch {
    if (this.buf.x.length < steps * this.rows * this.inputs) this.buf = emptyBatch(steps, this.rows, this.inputs, this.outputs, false);
    const b = { ...this.buf, steps };
    b.x.fill(0, 0, steps * this.rows * this.inputs);
    b.y.fill(0, 0, steps * this.rows * this.outputs);
    for (let t = 0; t < steps; t++) {
      for (let r = 0; r < this.rows; r++) this.fill(r, b.x.subarray((t * this.rows + r) * this.inputs), b.y.subarray((t * this.rows + r) * this.outputs));
    }
    return b;
  }

  /** Writes the next step of row `r`: its input into x[0..inputs) and target into y[0..outputs) (both zeroed). */
  protected abstract fill(r: number, x: Float32Array, y: Float32Array): void;
}
