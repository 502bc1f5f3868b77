import { CredoError, type TrialConfig } from '@credo/core';
import { createSequenceLearner, type SequenceLearner } from '@credo/rules';
import type { SequenceTask } from '@credo/tasks';
import { Rng } from '@credo/tensor';
import type { MetricSink } from './metric-sink.js';
import type { TrainOutcome } from './train.js';

/**
 * Trains one trial of a sequence task (influence-balancing, add, copy, anbn) with a temporal rule
 * and emits its metrics through `sink`; `trainTrial` dispatches here by the task's `kind`.
 *
 * How the train section maps onto sequences:
 * - `batch` = parallel sequences (rows); 1 is fully online learning.
 * - `epochs` × the task's steps per epoch: its `steps` for a stream task (every row one unending
 *   sequence, reset once), or its `sequences` episodes rounded up to whole batches for an episodic
 *   one (reset before each batch). Data are fed in segments of the task's `segment` steps; a
 *   segment's end is where bptt applies its update.
 * - Metric steps count **time steps** (per row), for every rule alike, so an online rule that
 *   updates every step and bptt that updates once per segment share the x-axis.
 * - Every `logEvery` steps (and at step 0): `train/loss` (mean ℓ over the supervised steps since
 *   the last point), `memory/floats` (floats the rule holds between steps) and the model's own
 *   metrics (`param/theta` for the influence chain).
 * - Every `evalEvery` steps, or at each epoch's end when 0 (and at step 0): `test/<score>` and
 *   `test/loss` on the task's fixed test set from reset (parameters frozen), plus the gradient
 *   probe on the task's probe sequence: `angle/<rule>_exact`, `gradbias/<rule>` and, for uoro,
 *   `gradvar/<rule>` (see `SequenceLearner.probe`).
 * A non-finite training or test loss ends the trial as `diverged`. Deterministic: the seed fixes
 * the initialisation, the data (stream `data`) and the rule's noise.
 *
 * @example
 * ```ts
 * const outcome = trainTrial(sweep.at(0).config, new MetricSink((b) => points.push(...b)));  // dispatches here
 * ```
 */
export function trainSequenceTrial(config: TrialConfig, task: SequenceTask, sink: MetricSink): TrainOutcome {
  const { epochs, batch: rows, logEvery, evalEvery } = config.train;
  const learner = createSequenceLearner(
    { model: config.model, rule: config.rule, optimizer: config.optimizer },
    { inputs: task.inputs, outputs: task.outputs, loss: task.loss },
    config.seed, rows,
  );
  const source = task.source(Rng.derive(config.seed, 'data'), rows);
  const I = task.inputs, O = task.outputs;
  const final: Record<string, number> = {};
  const emit = (name: string, step: number, value: number): void => {
    final[name] = value;
    sink.emit(name, step, value);
  };
  const scoreName = `test/${task.score}`;
  const runEval = (step: number): boolean => {
    const ev = learner.evaluate(task.test);
    const score = task.score === 'error' ? ev.error : ev.loss;
    emit(scoreName, step, score);
    if (task.score !== 'loss') emit('test/loss', step, ev.loss);
    if (!Number.isFinite(ev.loss)) return false;
    for (const [k, v] of Object.entries(learner.probe(task.probe))) if (Number.isFinite(v)) emit(k, step, v);
    return true;
  };
  const logState = (step: number, l: SequenceLearner): void => {
    for (const [k, v] of Object.entries(l.metrics())) emit(k, step, v);
  };

  let step = 0;
  let lossSum = 0;
  let lossCount = 0;
  const diverged = (why: string): TrainOutcome => {
    sink.flush();
    return { status: 'diverged', steps: step, final, error: why };
  };
  logState(0, learner);
  if (!runEval(0)) return diverged('test loss is non-finite at the start');
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const total = task.stepsPerEpoch(rows);
    for (let done = 0; done < total;) {
      const len = Math.min(task.segment, total - done);
      const seg = source.next(len);
      if (task.mode === 'episodes') learner.reset();
      for (let t = 0; t < len; t++) {
        const mask = seg.mask?.subarray(t * rows, (t + 1) * rows);
        const loss = learner.step(seg.x.subarray(t * rows * I, (t + 1) * rows * I), seg.y.subarray(t * rows * O, (t + 1) * rows * O), mask);
        step++;
        if (!Number.isFinite(loss)) {
          emit('train/loss', step, loss);
          return diverged(`train/loss became ${loss} at step ${step}`);
        }
        lossSum += loss;
        if (mask === undefined) lossCount += rows;
        else for (let r = 0; r < rows; r++) lossCount += mask[r]!;
        if (step % logEvery === 0) {
          if (lossCount > 0) emit('train/loss', step, lossSum / lossCount);
          lossSum = 0;
          lossCount = 0;
          logState(step, learner);
        }
        if (evalEvery > 0 && step % evalEvery === 0 && !runEval(step)) return diverged(`test loss became non-finite at step ${step}`);
      }
      learner.endSegment();
      done += len;
    }
    if (lossCount > 0) {
      emit('train/loss', step, lossSum / lossCount);
      lossSum = 0;
      lossCount = 0;
    }
    if (step % logEvery !== 0) logState(step, learner);
    emit('epoch', step, epoch);
    if (evalEvery === 0 && !runEval(step)) return diverged(`test loss became non-finite at step ${step}`);
  }
  if (evalEvery > 0 && step % evalEvery !== 0 && !runEval(step)) return diverged(`test loss became non-finite at step ${step}`);
  sink.flush();
  if (!(scoreName in final)) throw new CredoError('INTERNAL', `trial finished without ${scoreName}`);
  return { status: 'done', steps: step, final };
}
