import { CredoError, type Params, type TrialConfig } from '@credo/core';
import { createLearner, type Learner } from '@credo/rules';
import { taskRegistry, type Dataset, type SupervisedTask } from '@credo/tasks';
import { Rng } from '@credo/tensor';
import type { MetricSink } from './metric-sink.js';
import { trainSequenceTrial } from './train-sequence.js';

/** How a trial's training ended, as the thread reports it. Crashes are not outcomes: they throw. */
export interface TrainOutcome {
  readonly status: 'done' | 'diverged';
  readonly steps: number;
  /** The last value of each metric, for summaries. */
  readonly final: Readonly<Record<string, number>>;
  readonly error?: string;
}

/** Evaluation is chunked so that predict() never needs a buffer the size of the test set. */
const EVAL_CHUNK = 1000;

function withoutName(c: Readonly<Record<string, unknown>>): Params {
  const { name: _name, ...rest } = c;
  return rest as Params;
}

/** The metric a task is judged by, as stored: `test/error` for classification, `test/mse` for regression. */
export function primaryMetric(config: Pick<TrialConfig, 'task'>): string {
  return `test/${taskRegistry.get(config.task.name).impl.score}`;
}

/** Test score (error rate or MSE) and mean loss of `learner` on `data`. */
export function evaluate(learner: Learner, task: SupervisedTask, data: Dataset): { score: number; loss: number } {
  const nIn = task.inputs;
  const nOut = task.outputs;
  let wrong = 0;
  let loss = 0;
  for (let off = 0; off < data.n; off += EVAL_CHUNK) {
    const rows = Math.min(EVAL_CHUNK, data.n - off);
    const out = learner.predict(data.x.subarray(off * nIn, (off + rows) * nIn), rows);
    for (let r = 0; r < rows; r++) {
      const o = r * nOut;
      if (task.loss === 'softmax-ce') {
        const label = (data.y as Int32Array)[off + r]!;
        let best = 0;
        let max = out[o]!;
        for (let j = 1; j < nOut; j++) if (out[o + j]! > max) { max = out[o + j]!; best = j; }
        if (best !== label) wrong++;
        let z = 0;
        for (let j = 0; j < nOut; j++) z += Math.exp(out[o + j]! - max);
        loss += Math.log(z) + max - out[o + label]!;
      } else {
        const t = data.y as Float32Array;
        for (let j = 0; j < nOut; j++) {
          const d = out[o + j]! - t[(off + r) * nOut + j]!;
          loss += 0.5 * d * d;
        }
      }
    }
  }
  loss /= data.n;
  return { score: task.score === 'error' ? wrong / data.n : loss, loss };
}

/**
 * Trains one trial to the end and emits its metrics through `sink`. Deterministic: the seed
 * fixes the initialization (inside the learner) and the order of the examples (stream
 * `order`), so two runs give identical metrics. A non-finite loss ends the trial as `diverged`.
 *
 * @example
 * ```ts
 * const outcome = trainTrial(sweep.at(0).config, new MetricSink((b) => points.push(...b)));
 * ```
 */
export function trainTrial(config: TrialConfig, sink: MetricSink): TrainOutcome {
  const impl = taskRegistry.get(config.task.name).impl;
  // Sequence tasks (influence-balancing, add, copy, anbn) have their own loop: train-sequence.ts.
  if (impl.kind === 'sequence') return trainSequenceTrial(config, impl.create(withoutName(config.task), config.seed), sink);
  const task = impl.create(withoutName(config.task), config.seed);
  const learner = createLearner(
    { model: config.model, rule: config.rule, optimizer: config.optimizer },
    { inputs: task.inputs, outputs: task.outputs, loss: task.loss },
    config.seed,
  );
  const { epochs, batch, logEvery, evalEvery } = config.train;
  const n = task.train.n;
  const nIn = task.inputs;
  const nOut = task.outputs;
  const order = Rng.derive(config.seed, 'order');
  const xb = new Float32Array(batch * nIn);
  const classify = task.loss === 'softmax-ce';
  const yb = classify ? new Int32Array(batch) : new Float32Array(batch * nOut);
  const final: Record<string, number> = {};
  const emit = (name: string, step: number, value: number): void => {
    final[name] = value;
    sink.emit(name, step, value);
  };
  const scoreName = `test/${task.score}`;
  const runEval = (step: number): boolean => {
    const { score, loss } = evaluate(learner, task, task.test);
    emit(scoreName, step, score);
    emit('test/loss', step, loss);
    return Number.isFinite(loss);
  };

  let step = 0;
  let lossSum = 0;
  let lossCount = 0;
  const diverged = (why: string): TrainOutcome => {
    sink.flush();
    return { status: 'diverged', steps: step, final, error: why };
  };
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const perm = order.permutation(n);
    for (let start = 0; start < n; start += batch) {
      const rows = Math.min(batch, n - start);
      for (let r = 0; r < rows; r++) {
        const i = perm[start + r]!;
        xb.set(task.train.x.subarray(i * nIn, (i + 1) * nIn), r * nIn);
        if (classify) (yb as Int32Array)[r] = (task.train.y as Int32Array)[i]!;
        else (yb as Float32Array).set((task.train.y as Float32Array).subarray(i * nOut, (i + 1) * nOut), r * nOut);
      }
      if (step % logEvery === 0) {
        // Diagnostics compare teaching signals on the batch about to be learned from, before the update.
        for (const [k, v] of Object.entries(learner.diagnostics(xb, yb, rows))) emit(k, step, v);
      }
      const loss = learner.trainStep(xb, yb, rows);
      step++;
      if (!Number.isFinite(loss)) {
        emit('train/loss', step, loss);
        return diverged(`train/loss became ${loss} at step ${step}`);
      }
      lossSum += loss;
      lossCount++;
      if (step % logEvery === 0) {
        emit('train/loss', step, lossSum / lossCount);
        lossSum = 0;
        lossCount = 0;
      }
      if (evalEvery > 0 && step % evalEvery === 0 && !runEval(step)) return diverged(`test loss became non-finite at step ${step}`);
    }
    if (lossCount > 0) {
      emit('train/loss', step, lossSum / lossCount);
      lossSum = 0;
      lossCount = 0;
    }
    emit('epoch', step, epoch);
    if (evalEvery === 0 && !runEval(step)) return diverged(`test loss became non-finite at step ${step}`);
  }
  if (evalEvery > 0 && step % evalEvery !== 0 && !runEval(step)) return diverged(`test loss became non-finite at step ${step}`);
  sink.flush();
  if (!(scoreName in final)) throw new CredoError('INTERNAL', `trial finished without ${scoreName}`);
  return { status: 'done', steps: step, final };
}
