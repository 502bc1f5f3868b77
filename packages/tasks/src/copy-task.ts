import type { ComponentInfo } from '@credo/core';
import type { SequenceBatch } from '@credo/rules';
import { Rng } from '@credo/tensor';
import { emptyBatch, rowOf, type SequenceSource, type SequenceTask, type SequenceTaskImpl } from './sequence-task.js';

export const copyTaskInfo: ComponentInfo = {
  kind: 'task',
  name: 'copy',
  description: 'copy after a delay: see `length` random symbols, wait `delay` blank steps (a go marker on the last), then output the symbols in order; episodes, softmax, scored by the recall error rate',
  reference: 'Hochreiter & Schmidhuber 1997; the credit horizon is delay + length steps',
  params: {
    delay: { type: 'integer', min: 1, default: 10, description: 'H: blank steps between the last symbol and the first recall step' },
    length: { type: 'integer', min: 1, default: 5, description: 'symbols to remember' },
    symbols: { type: 'integer', min: 2, default: 8, description: 'alphabet size (chance error 1 − 1/symbols)' },
    sequences: { type: 'integer', min: 1, default: 4000, description: 'training episodes per epoch (rounded up to whole batches)' },
    testSequences: { type: 'integer', min: 1, default: 200, description: 'test episodes' },
  },
};

/**
 * Fills `rows` copy episodes into `b`. Inputs (symbols + 2 channels): symbol one-hots for steps
 * 0 … L−1, the blank channel for the delay with the go marker (last channel) at step L+H−1, the
 * blank channel during recall. Targets: symbol j at step L+H+j, supervised only there.
 */
function fillEpisodes(b: SequenceBatch, rng: Rng, L: number, H: number, K: number): void {
  const rows = b.rows, I = K + 2, T = 2 * L + H;
  b.x.fill(0);
  b.y.fill(0);
  b.mask!.fill(0);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < L; j++) {
      const s = rng.int(K);
      b.x[(j * rows + r) * I + s] = 1;
      const t = L + H + j;
      b.y[(t * rows + r) * K + s] = 1;
      b.mask![t * rows + r] = 1;
    }
    for (let t = L; t < T; t++) b.x[(t * rows + r) * I + (t === L + H - 1 ? K + 1 : K)] = 1;
  }
}

/**
 * The copy task with delay H. A model must carry `length` symbols across H + length steps, so the
 * credit-assignment horizon grows with H: TBPTT with k below it cannot learn the recall, RTRL and
 * UORO can in principle, SAB can reach the stored symbols through attention. The test episodes are
 * the same for every trial seed.
 *
 * @example
 * ```ts
 * // task: { name: copy, delay: [5, 10, 20, 40] }, model: { name: rnn, hidden: 64 }, rule: [bptt, sab, { name: tbptt, k: 10 }]
 * ```
 */
export const copyTask: SequenceTaskImpl = {
  kind: 'sequence',
  score: 'error',
  create(params): SequenceTask {
    const H = params['delay'] as number, L = params['length'] as number, K = params['symbols'] as number;
    const T = 2 * L + H, seqs = params['sequences'] as number;
    const test = emptyBatch(T, params['testSequences'] as number, K + 2, K, true);
    fillEpisodes(test, Rng.derive(0, 'task/copy/test'), L, H, K);
    return {
      kind: 'sequence', inputs: K + 2, outputs: K, loss: 'softmax-ce', score: 'error', mode: 'episodes',
      segment: T,
      stepsPerEpoch: (rows) => Math.ceil(seqs / rows) * T,
      source: (rng, rows): SequenceSource => {
        const b = emptyBatch(T, rows, K + 2, K, true);
        return { next: () => (fillEpisodes(b, rng, L, H, K), b) };
      },
      test,
      probe: rowOf(test, 0),
    };
  },
};
