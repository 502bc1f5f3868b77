import { nativeKernels, withKernelBackend } from '@credo/tensor';
import { median, now } from '../record.js';
import type { BenchContext, Workload } from '../workload.js';
import { backendsToMeasure, implName } from './gemm.js';
import { emitScaling, ONLINE_WARMUP, RNN_IN, RNN_LR, RNN_OUT, rnnLearner, timeOnline } from './rnn-common.js';

const REQUIRED = [8, 16, 32, 48];
const EXTENDED = [64, 96, 128];

/**
 * perf-baseline §4.3(b): seconds per fully online RTRL step (batch 1) with the exact influence
 * matrix over the recurrent weights W only (`rtrl` with `influence: W`; U and b stay fixed, V and c
 * take their immediate gradient; lr 0.01). Torch's protocol ({@link timeOnline}): the JIT is warmed on
 * a throwaway learner, then a fresh one runs 20 warm-up steps and 5 reps (3 with --quick, which
 * also skips N = 96, 128) of 100 steps (50 at N = 64, 96; 20 at 128). Then the fitted exponents
 * of time per step against N: the baseline's sets (`required`, `large` = 48…128, `all`) and the
 * acceptance set of issue 4, `16-64` (N ∈ {16, 32, 48, 64}).
 *
 * @example
 * ```sh
 * npm run bench -- --only rnn_rtrl_step
 * ```
 */
export const rnnRtrlWorkload: Workload = {
  name: 'rnn_rtrl_step',
  description: 'vanilla RNN (I=O=8), exact RTRL over W, seconds per online step at N ∈ {8…48} (+64…128) and the scaling exponent',
  run(ctx: BenchContext) {
    const reps = ctx.quick ? 3 : 5;
    const ext = ctx.quick ? [64] : EXTENDED;
    for (const backend of backendsToMeasure(ctx.quick)) {
      withKernelBackend(backend, () => {
        const res = new Map<number, number>();
        for (const N of [...REQUIRED, ...ext]) {
          const steps = N <= 48 ? 100 : N <= 96 ? 50 : 20;
          const { wall: ts, cpu } = timeOnline(() => rnnLearner(N, { name: 'rtrl', influence: 'W' }, RNN_LR, 1), steps, reps, ONLINE_WARMUP, now);
          res.set(N, median(ts));
          ctx.emit({
            workload: 'rnn_rtrl_step', impl: implName(backend),
            params: { N, batch: 1, in: RNN_IN, out: RNN_OUT, lr: RNN_LR, steps_per_rep: steps, warmup_steps: ONLINE_WARMUP, set: REQUIRED.includes(N) ? 'required' : 'extended', influence: 'W', threads: 1, backend, ...(backend !== 'js' ? { native: nativeKernels()?.isa() ?? 'none' } : {}) },
            metric: 'seconds_per_step', value: median(ts), unit: 's', reps, samples: ts,
            cpu_seconds_per_step: median(cpu), cpu_samples: cpu,
          });
        }
        emitScaling(ctx, 'rnn_rtrl_scaling', implName(backend), res, {
          required: REQUIRED, large: [48, ...EXTENDED], all: [...REQUIRED, ...EXTENDED], '16-64': [16, 32, 48, 64],
        }, 4);
      });
    }
  },
};
