import { CredoError, type ComponentInfo } from '@credo/core';
import { Rng } from '@credo/tensor';
import { rowOf, StreamSource, type SequenceTask, type SequenceTaskImpl } from './sequence-task.js';

export const anbnTaskInfo: ComponentInfo = {
  kind: 'task',
  name: 'anbn',
  description: 'aⁿbⁿ(k, l) next-symbol prediction on one stream: n ~ U{k … l} a’s, a separator, n b’s, a separator, …; 3 one-hot symbols, softmax, scored by test cross-entropy',
  reference: 'papers.md §6.4 (UORO paper\'s anbn(1, 32); petered/uoro-demo uoro_demo/anbn.py)',
  params: {
    k: { type: 'integer', min: 1, default: 1, description: 'shortest run n' },
    l: { type: 'integer', min: 1, default: 32, description: 'longest run n' },
    steps: { type: 'integer', min: 1, default: 20000, description: 'time steps per epoch' },
    segment: { type: 'integer', min: 1, default: 50, description: "stream window: bptt's backprop span" },
    evalSteps: { type: 'integer', min: 1, default: 2000, description: 'length of the test stream' },
  },
};

/** Symbols: 0 = separator, 1 = a, 2 = b, as in the reference generator (a^n 0 b^n 0 …). */
class AnbnStream extends StreamSource {
  /** Per row: the symbol sequence of the current block and the position in it (one step ahead, for the target). */
  private readonly block: number[][];
  private readonly pos: Int32Array;

  constructor(rows: number, private readonly rng: Rng, private readonly k: number, private readonly l: number) {
    super(rows, 3, 3);
    this.block = Array.from({ length: rows }, () => []);
    this.pos = new Int32Array(rows);
  }

  private symbolAt(r: number, i: number): number {
    const b = this.block[r]!;
    while (i >= b.length) {
      const n = this.k + this.rng.int(this.l - this.k + 1);
      for (let j = 0; j < n; j++) b.push(1);
      b.push(0);
      for (let j = 0; j < n; j++) b.push(2);
      b.push(0);
    }
    return b[i]!;
  }

  protected fill(r: number, x: Float32Array, y: Float32Array): void {
    const p = this.pos[r]!;
    x[this.symbolAt(r, p)] = 1;
    y[this.symbolAt(r, p + 1)] = 1;
    this.pos[r] = p + 1;
    // Drop the consumed part now and then, so that a row's block stays short.
    if (p > 256) {
      this.block[r]!.splice(0, p + 1);
      this.pos[r] = 0;
    }
  }
}

/**
 * aⁿbⁿ (papers.md §6.4): the number of a's is random, so some next symbols are unpredictable; what
 * a network can learn is the count — when the b's end. The test stream is the same for every trial.
 *
 * @example
 * ```ts
 * // task: { name: anbn, k: 1, l: 8 }, model: { name: rnn, hidden: 32 }, rule: [uoro, rtrl]
 * ```
 */
export const anbnTask: SequenceTaskImpl = {
  kind: 'sequence',
  score: 'loss',
  create(params): SequenceTask {
    const k = params['k'] as number, l = params['l'] as number;
    if (l < k) throw new CredoError('BAD_PARAM', 'l must be at least k', { field: 'task.l', value: l, allowed: `integer ≥ ${k}` });
    const steps = params['steps'] as number, evalSteps = params['evalSteps'] as number;
    const make = (rng: Rng, rows: number): AnbnStream => new AnbnStream(rows, rng, k, l);
    const t = make(Rng.derive(0, 'task/anbn/test'), 1).next(evalSteps);
    const test = { ...t, x: Float32Array.from(t.x), y: Float32Array.from(t.y) };
    return {
      kind: 'sequence', inputs: 3, outputs: 3, loss: 'softmax-ce', score: 'loss', mode: 'stream',
      segment: params['segment'] as number,
      stepsPerEpoch: () => steps,
      source: make,
      test,
      probe: rowOf(test, 0, Math.min(evalSteps, 200)),
    };
  },
};
