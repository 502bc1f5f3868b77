import { createLearner } from '@credo/rules';
import { loadMnist } from '@credo/tasks';
import { Rng, withKernelBackend } from '@credo/tensor';
import { median, now } from '../record.js';
import { backendsToMeasure, cpuSeconds, implName } from './gemm.js';
import type { BenchContext, Workload } from '../workload.js';

/** perf-baseline §4.2 throughput protocol: batch 32 at lr 0.1 (150 steps per rep), batch 1 at lr 0.01 (1500 steps). */
const SETTINGS = [
  { batch: 32, lr: 0.1, steps: 150 },
  { batch: 1, lr: 0.01, steps: 1500 },
] as const;
const RULES = ['bp', 'fa', 'dfa'] as const;

/**
 * Samples/s of one training step of the 784-1000-10 tanh MLP on MNIST (softmax cross-entropy,
 * plain SGD), through the library's own path: `createLearner` + `trainStep`, for bp, fa and dfa at
 * batch 32 and 1. The timed region includes gathering the minibatch rows from the preloaded
 * (60000, 784) float32 array along a fixed permutation (seed 1000), as in the baseline; parameters
 * start from seed 0 and keep training across reps; one untimed warm-up rep, then 5 (3 with --quick).
 *
 * @example
 * ```sh
 * npm run bench -- --only mlp_mnist_train
 * ```
 */
export const mlpTrainWorkload: Workload = {
  name: 'mlp_mnist_train',
  description: 'MLP 784-1000-10 on MNIST, bp/fa/dfa at batch 32 and 1: training samples/s per core',
  run(ctx: BenchContext) {
    const train = loadMnist('train', 60_000);
    const labels = train.y as Int32Array;
    const reps = ctx.quick ? 3 : 5;
    for (const backend of backendsToMeasure(ctx.quick)) {
      withKernelBackend(backend, () => {
        for (const { batch, lr, steps } of SETTINGS) {
          for (const rule of RULES) {
            const learner = createLearner(
              { model: { name: 'mlp', hidden: [1000], activation: 'tanh', init: 'uniform-fanin' }, rule: { name: rule }, optimizer: { name: 'sgd', lr } },
              { inputs: 784, outputs: 10, loss: 'softmax-ce' },
              0,
            );
            const perm = new Rng(1000).permutation(train.n);
            const xb = new Float32Array(batch * 784), yb = new Int32Array(batch);
            let pos = 0;
            const run = (): void => {
              for (let s = 0; s < steps; s++) {
                if (pos + batch > perm.length) pos = 0;
                for (let r = 0; r < batch; r++) {
                  const i = perm[pos + r]!;
                  xb.set(train.x.subarray(i * 784, (i + 1) * 784), r * 784);
                  yb[r] = labels[i]!;
                }
                learner.trainStep(xb, yb, batch);
                pos += batch;
              }
            };
            run();
            const sps: number[] = [], cpu: number[] = [];
            for (let r = 0; r < reps; r++) {
              const c0 = cpuSeconds(), t0 = now();
              run();
              sps.push((steps * batch) / (now() - t0));
              cpu.push((steps * batch) / (cpuSeconds() - c0));
            }
            ctx.emit({
              workload: 'mlp_mnist_train', impl: implName(backend),
              params: { rule, batch, arch: '784-1000-10', act: 'tanh', lr, steps_per_rep: steps, threads: 1, backend },
              metric: 'samples_per_s', value: median(sps), unit: 'samples/s', reps, samples: sps.map((v) => Math.round(v * 10) / 10),
              // Per second of this process's CPU time: less sensitive to other jobs on a shared machine.
              cpu_samples_per_s: Math.round(median(cpu) * 10) / 10,
            });
          }
        }
      });
    }
  },
};
