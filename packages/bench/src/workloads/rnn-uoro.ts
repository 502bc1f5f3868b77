import { withKernelBackend } from '@credo/tensor';
import { median, now } from '../record.js';
import type { BenchContext, Workload } from '../workload.js';
import { backendsToMeasure, implName } from './gemm.js';
import { emitScaling, ONLINE_WARMUP, RNN_IN, RNN_LR, RNN_OUT, rnnLearner, timeOnline } from './rnn-common.js';

const REQUIRED = [32, 64, 128, 256];
const EXTENDED = [512, 1024, 2048];

/**
 * perf-baseline §4.3(c): seconds per online UORO step (batch 1; θ = (W, U, b), P = N² + 9N; V, c
 * take their immediate gradient; lr 0.01) through the library's `uoro` rule. Torch's protocol
 * ({@link timeOnline}): the JIT is warmed on a throwaway learner, then a fresh one runs 20 warm-up
 * steps and 5 reps (3 with --quick, which also skips N = 2048) of 100 steps (50 at N = 2048). Then
 * the fitted exponents: the baseline's sets (`required`, `large` = 256…2048, `all`) and the
 * acceptance set of issue 4, `64-1024`.
 *
 * @example
 * ```sh
 * npm run bench -- --only rnn_uoro_step
 * ```
 */
export const rnnUoroWorkload: Workload = {
  name: 'rnn_uoro_step',
  description: 'vanilla RNN (I=O=8), UORO seconds per online step at N ∈ {32…256} (+512…2048) and the scaling exponent',
  run(ctx: BenchContext) {
    const reps = ctx.quick ? 3 : 5;
    const ext = ctx.quick ? [512, 1024] : EXTENDED;
    for (const backend of backendsToMeasure(ctx.quick)) {
      withKernelBackend(backend, () => {
        const res = new Map<number, number>();
        for (const N of [...REQUIRED, ...ext]) {
          const steps = N <= 1024 ? 100 : 50;
          const { wall: ts, cpu } = timeOnline(() => rnnLearner(N, { name: 'uoro' }, RNN_LR, 1), steps, reps, ONLINE_WARMUP, now);
          res.set(N, median(ts));
          ctx.emit({
            workload: 'rnn_uoro_step', impl: implName(backend),
            params: { N, batch: 1, in: RNN_IN, out: RNN_OUT, lr: RNN_LR, steps_per_rep: steps, warmup_steps: ONLINE_WARMUP, set: REQUIRED.includes(N) ? 'required' : 'extended', threads: 1, backend },
            metric: 'seconds_per_step', value: median(ts), unit: 's', reps, samples: ts,
            cpu_seconds_per_step: median(cpu), cpu_samples: cpu,
          });
        }
        emitScaling(ctx, 'rnn_uoro_scaling', implName(backend), res, {
          required: REQUIRED, large: [256, ...EXTENDED], all: [...REQUIRED, ...EXTENDED], '64-1024': [64, 128, 256, 512, 1024],
        }, 2);
      });
    }
  },
};
