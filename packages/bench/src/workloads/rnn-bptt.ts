import { withKernelBackend } from '@credo/tensor';
import { median, now } from '../record.js';
import type { BenchContext, Workload } from '../workload.js';
import { backendsToMeasure, implName } from './gemm.js';
import { RNN_IN, RNN_LR, RNN_OUT, RNN_T, rnnData, rnnLearner, timeFresh } from './rnn-common.js';

/** Untimed training steps on the timed learner, as torch's `bench_bptt`. */
const BPTT_WARMUP = 1;

/**
 * perf-baseline §4.3(a): one BPTT training step of a vanilla tanh rnn (I = O = 8) on a batch of B
 * sequences of T = 100 — forward, full backward through time, SGD on W, U, b, V, c — through the
 * library's `bptt` rule (`reset`, 100 × `step`, `endSegment`). The baseline's loss is the mean
 * over T·B while the library's updates follow Σ_t mean_rows ℓ_t, so lr = 0.01 / T gives the same
 * arithmetic. Torch's protocol ({@link timeFresh}): the JIT is warmed on a throwaway learner, then a
 * fresh one runs 1 warm-up step and 5 reps (3 with --quick) of 5 steps on the same batch.
 *
 * @example
 * ```sh
 * npm run bench -- --only rnn_bptt_train
 * ```
 */
export const rnnBpttWorkload: Workload = {
  name: 'rnn_bptt_train',
  description: 'vanilla RNN (I=O=8, T=100), BPTT training step at N ∈ {32, 64, 128}, B ∈ {1, 32}: sequences/s',
  run(ctx: BenchContext) {
    const reps = ctx.quick ? 3 : 5, steps = 5;
    for (const backend of backendsToMeasure(ctx.quick)) {
      withKernelBackend(backend, () => {
        for (const B of [1, 32]) {
          for (const N of [32, 64, 128]) {
            const { x, y } = rnnData(RNN_T, B);
            const xs = Array.from({ length: RNN_T }, (_, t) => x.subarray(t * B * RNN_IN, (t + 1) * B * RNN_IN));
            const ys = Array.from({ length: RNN_T }, (_, t) => y.subarray(t * B * RNN_OUT, (t + 1) * B * RNN_OUT));
            const { wall: ts, cpu } = timeFresh(() => rnnLearner(N, { name: 'bptt' }, RNN_LR / RNN_T, B), (learner) => {
              learner.reset();
              for (let t = 0; t < RNN_T; t++) learner.step(xs[t]!, ys[t]!);
              learner.endSegment();
            }, steps, reps, BPTT_WARMUP, now);
            const sps = ts.map((t) => B / t);
            ctx.emit({
              workload: 'rnn_bptt_train', impl: implName(backend),
              params: { N, batch: B, T: RNN_T, in: RNN_IN, out: RNN_OUT, lr: RNN_LR, steps_per_rep: steps, warmup_steps: BPTT_WARMUP, threads: 1, backend },
              metric: 'sequences_per_s', value: median(sps), unit: 'sequences/s', reps, samples: sps.map((v) => Math.round(v * 10) / 10),
              seconds_per_train_step: median(ts), cpu_seconds_per_train_step: median(cpu),
            });
          }
        }
      });
    }
  },
};
