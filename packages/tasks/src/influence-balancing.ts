import type { ComponentInfo } from '@credo/core';
import type { SequenceBatch } from '@credo/rules';
import { emptyBatch, StreamSource, type SequenceTask, type SequenceTaskImpl } from './sequence-task.js';

export const influenceBalancingInfo: ComponentInfo = {
  kind: 'task',
  name: 'influence-balancing',
  description: "Tallec & Ollivier's influence balancing: drive the first unit of the influence-chain model to 1, online, on one unending stream; scored by ½(s₅₀₀[0] − 1)² after a 500-step unroll from s₀ (pair with model influence-chain)",
  reference: 'papers.md §6.3 (UORO paper; google-research persistent_es/influence_balancing.py)',
  params: {
    steps: { type: 'integer', min: 1, default: 3000, description: 'time steps per epoch (the reference runs 3000)' },
    segment: { type: 'integer', min: 1, default: 200, description: "stream window: bptt's backprop span (state carries across windows)" },
    evalSteps: { type: 'integer', min: 1, default: 500, description: 'length of the test unroll from s₀; only its last step is scored (the reference\'s long_unroll_loss)' },
  },
};

/** Input 1 and target 1 at every step: all the structure is in the influence-chain model. */
class Ones extends StreamSource {
  protected fill(_r: number, x: Float32Array, y: Float32Array): void {
    x[0] = 1;
    y[0] = 1;
  }
}

function ones(steps: number, lastOnly: boolean): SequenceBatch {
  const b = emptyBatch(steps, 1, 1, 1, lastOnly);
  b.x.fill(1);
  b.y.fill(1);
  if (lastOnly) b.mask![steps - 1] = 1;
  return b;
}

/**
 * The influence-balancing task (papers.md §6.3). Deterministic: the data is constant, only the
 * rules' own noise (uoro's signs) differs between seeds. `test/mse` is the reference's
 * long-unroll loss; the gradient probe is the same unroll with every step scored.
 *
 * @example
 * ```ts
 * // task: { name: influence-balancing }, model: { name: influence-chain }, rule: [rtrl, uoro, { name: tbptt, k: [1, 10, 100] }]
 * ```
 */
export const influenceBalancingTask: SequenceTaskImpl = {
  kind: 'sequence',
  score: 'mse',
  create(params): SequenceTask {
    const steps = params['steps'] as number, evalSteps = params['evalSteps'] as number;
    return {
      kind: 'sequence', inputs: 1, outputs: 1, loss: 'mse', score: 'mse', mode: 'stream',
      segment: params['segment'] as number,
      stepsPerEpoch: () => steps,
      source: (_rng, rows) => new Ones(rows, 1, 1),
      test: ones(evalSteps, true),
      probe: ones(evalSteps, false),
    };
  },
};
