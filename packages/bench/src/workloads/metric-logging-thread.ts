import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { createLearner } from '@credo/rules';
import { MetricSink } from '@credo/runtime';
import { Rng } from '@credo/tensor';

/*
 * The thread of the metric_logging_overhead benchmark (metric-logging.ts): trains an MLP step
 * after step as a trial thread does, and on request emits `hz` scalars per second (one after a
 * step once 1/hz has passed) through a MetricSink whose batches go out on the MessagePort it was
 * given (the pool's port, in a trial).
 */
interface Command {
  readonly steps: number;
  /** Scalars per second to emit (at most one per step); 0 = no logging. */
  readonly hz: number;
}

const { port, inputs, hidden, outputs, batch } = workerData as { port: MessagePort; inputs: number; hidden: number; outputs: number; batch: number };
const learner = createLearner(
  { model: { name: 'mlp', hidden: [hidden], activation: 'tanh' }, rule: { name: 'bp' }, optimizer: { name: 'sgd', lr: 0.01 } },
  { inputs, outputs, loss: 'mse' },
  0,
);
const rng = new Rng(1);
const x = new Float32Array(batch * inputs);
const y = new Float32Array(batch * outputs);
rng.fillNormal(x, 0, 1);
rng.fillNormal(y, 0, 1);
const sink = new MetricSink((points) => port.postMessage({ type: 'metrics', points }));
let step = 0;

parentPort!.on('message', (c: Command) => {
  const t0 = performance.now();
  const interval = c.hz > 0 ? 1000 / c.hz : Infinity;
  let next = t0 + interval;
  let emitted = 0;
  for (let i = 0; i < c.steps; i++) {
    const loss = learner.trainStep(x, y, batch);
    step++;
    if (c.hz > 0 && performance.now() >= next) {
      sink.emit('train/loss', step, loss);
      emitted++;
      next += interval;
    }
  }
  sink.flush();
  parentPort!.postMessage({ seconds: (performance.now() - t0) / 1000, emitted });
});
parentPort!.postMessage({ ready: true });
