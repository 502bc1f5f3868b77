import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { createLearner } from '@credo/rules';
import { MetricSink } from '@credo/runtime';
import { Rng } from '@credo/tensor';

/*
 * The thread of the metric_logging_overhead benchmark (metric-logging.ts): trains an MLP step
 * after step as a trial thread does, and on request emits one scalar every `every` steps through
 * a MetricSink whose batches go out on the MessagePort it was given (the pool's port, in a trial).
 */
interface Command {
  readonly steps: number;
  /** Emit one scalar every `every` steps; 0 = no logging. */
  readonly every: number;
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
  let emitted = 0;
  for (let i = 0; i < c.steps; i++) {
    const loss = learner.trainStep(x, y, batch);
    step++;
    if (c.every > 0 && step % c.every === 0) {
      sink.emit('train/loss', step, loss);
      emitted++;
    }
  }
  sink.flush();
  parentPort!.postMessage({ seconds: (performance.now() - t0) / 1000, emitted });
});
parentPort!.postMessage({ ready: true });
