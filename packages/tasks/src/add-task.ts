import { CredoError, type ComponentInfo } from '@credo/core';
import { Rng } from '@credo/tensor';
import { rowOf, StreamSource, type SequenceTask, type SequenceTaskImpl } from './sequence-task.js';

export const addTaskInfo: ComponentInfo = {
  kind: 'task',
  name: 'add',
  description: "Marschall et al.'s add task: x_t ~ Bernoulli(½), y_t = ½ + ½x_{t−t1} − ¼x_{t−t2}, inputs and outputs as [v, 1−v], softmax cross-entropy on one stream; scored by test cross-entropy",
  reference: 'papers.md §7.3 (vanilla-rtrl gen_data/Add_Task.py, after Pitis 2016)',
  params: {
    t1: { type: 'integer', min: 1, default: 6, description: 'first dependency (steps back)' },
    t2: { type: 'integer', min: 1, default: 10, description: 'second dependency (steps back)' },
    tau: { type: 'integer', min: 1, default: 1, description: 'tau_task: each sample (and label) is held for tau steps' },
    labels: { type: 'enum', values: ['probabilities', 'sampled'], default: 'probabilities', description: 'targets [y, 1−y] as probabilities (deterministic), or a Bernoulli(y) draw one-hot' },
    steps: { type: 'integer', min: 1, default: 20000, description: 'time steps per epoch' },
    segment: { type: 'integer', min: 1, default: 50, description: "stream window: bptt's backprop span" },
    evalSteps: { type: 'integer', min: 1, default: 2000, description: 'length of the test stream' },
  },
};

/** Per row: a ring of the last t2 + 1 samples, and how long the current one has been held. */
class AddStream extends StreamSource {
  private readonly hist: Uint8Array;
  private readonly label: Float32Array;
  private readonly held: Int32Array;
  private readonly cur: Int32Array;
  private readonly len: number;

  constructor(rows: number, private readonly rng: Rng, private readonly t1: number, private readonly t2: number, private readonly tau: number, private readonly sampled: boolean) {
    super(rows, 2, 2);
    this.len = Math.max(t1, t2) + 1;
    this.hist = new Uint8Array(rows * this.len);
    this.label = new Float32Array(rows);
    this.held = new Int32Array(rows).fill(tau);
    this.cur = new Int32Array(rows);
    // The inputs before the stream starts are random too (unseen), so no step has a fake history.
    for (let i = 0; i < this.hist.length; i++) this.hist[i] = rng.next() < 0.5 ? 1 : 0;
  }

  protected fill(r: number, x: Float32Array, y: Float32Array): void {
    const L = this.len, o = r * L;
    if (this.held[r] === this.tau) {
      this.held[r] = 0;
      const c = (this.cur[r]! + 1) % L;
      this.cur[r] = c;
      this.hist[o + c] = this.rng.next() < 0.5 ? 1 : 0;
      const back = (k: number): number => this.hist[o + ((c - k + L) % L)]!;
      let p = 0.5 + 0.5 * back(this.t1) - 0.25 * back(this.t2);
      if (this.sampled) p = this.rng.next() < p ? 1 : 0;
      this.label[r] = p;
    }
    this.held[r] = this.held[r]! + 1;
    const v = this.hist[o + this.cur[r]!]!;
    x[0] = v;
    x[1] = 1 - v;
    y[0] = this.label[r]!;
    y[1] = 1 - this.label[r]!;
  }
}

/**
 * The add task (papers.md §7.3). The ideal predictor's cross-entropy is the labels' entropy; with
 * probability labels and (t1, t2) learnable the levels are about 0.66 (nothing learned), 0.52
 * (the t1 dependency) and 0.45 (both) nats. The test stream is the same for every trial seed.
 *
 * @example
 * ```ts
 * // task: { name: add, t1: 6, t2: 10 }, model: { name: rnn, hidden: 32 }, rule: [bptt, rtrl, uoro, rflo]
 * ```
 */
export const addTask: SequenceTaskImpl = {
  kind: 'sequence',
  score: 'loss',
  create(params): SequenceTask {
    const t1 = params['t1'] as number, t2 = params['t2'] as number, tau = params['tau'] as number;
    if (t1 === t2) throw new CredoError('BAD_PARAM', 't1 and t2 must differ', { field: 'task.t2', value: t2 });
    const sampled = params['labels'] === 'sampled';
    const steps = params['steps'] as number, evalSteps = params['evalSteps'] as number;
    const make = (rng: Rng, rows: number): AddStream => new AddStream(rows, rng, t1, t2, tau, sampled);
    const test = make(Rng.derive(0, 'task/add/test'), 1).next(evalSteps);
    const frozen = { ...test, x: Float32Array.from(test.x), y: Float32Array.from(test.y) };
    return {
      kind: 'sequence', inputs: 2, outputs: 2, loss: 'softmax-ce', score: 'loss', mode: 'stream',
      segment: params['segment'] as number,
      stepsPerEpoch: () => steps,
      source: make,
      test: frozen,
      probe: rowOf(frozen, 0, Math.min(evalSteps, 200)),
    };
  },
};
