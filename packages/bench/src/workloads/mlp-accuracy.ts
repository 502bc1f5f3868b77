import { resolveParams, TRAIN_SCHEMA, type ComponentConfig, type TrialConfig } from '@credo/core';
import { modelRegistry, optimizerRegistry, ruleRegistry } from '@credo/rules';
import { MetricSink, trainTrial } from '@credo/runtime';
import { taskRegistry } from '@credo/tasks';
import { median, now } from '../record.js';
import type { BenchContext, Workload } from '../workload.js';

/**
 * The trial of perf-baseline §4.2's accuracy protocol (also examples/baseline-mnist.yaml): full
 * MNIST, 784-1000-10 tanh MLP with U(±1/√fan_in) init, plain SGD lr 0.1, batch 32, a new
 * permutation every epoch, test error on all 10,000 test images after every epoch.
 */
export function baselineTrial(rule: string, seed: number, epochs: number): TrialConfig {
  const resolve = (kind: 'task' | 'model' | 'rule' | 'optimizer', c: Record<string, unknown> & { name: string }): ComponentConfig => {
    const reg = { task: taskRegistry, model: modelRegistry, rule: ruleRegistry, optimizer: optimizerRegistry }[kind];
    const { name, ...rest } = c;
    return { name, ...resolveParams(reg.get(name).info.params, rest, kind) } as ComponentConfig;
  };
  return {
    task: resolve('task', { name: 'mnist' }),
    model: resolve('model', { name: 'mlp', hidden: [1000], activation: 'tanh', init: 'uniform-fanin' }),
    rule: resolve('rule', { name: rule }),
    optimizer: resolve('optimizer', { name: 'sgd', lr: 0.1 }),
    train: resolveParams(TRAIN_SCHEMA, { epochs, batch: 32, logEvery: 1875, evalEvery: 0 }, 'train') as unknown as TrialConfig['train'],
    seed,
  };
}

/**
 * Test error after each epoch on perf-baseline §4.2's protocol, for bp and fa, run through the
 * runtime's `trainTrial` exactly as a sweep trial. Full mode: seeds 0 and 1, 5 epochs (about a
 * minute per trial), plus the mean over seeds per epoch; --quick: seed 0, 1 epoch (as the
 * baseline's QUICK mode).
 *
 * @example
 * ```sh
 * npm run bench -- --only mlp_mnist_test_error
 * ```
 */
export const mlpAccuracyWorkload: Workload = {
  name: 'mlp_mnist_test_error',
  description: 'MLP 784-1000-10 test error after each epoch (perf-baseline §4.2 protocol), bp and fa; full mode 2 seeds × 5 epochs',
  run(ctx: BenchContext) {
    const seeds = ctx.quick ? [0] : [0, 1];
    const epochs = ctx.quick ? 1 : 5;
    for (const rule of ['bp', 'fa']) {
      const byEpoch = new Map<number, number[]>();
      for (const seed of seeds) {
        const errors: number[] = [];
        const t0 = now();
        const outcome = trainTrial(baselineTrial(rule, seed, epochs), new MetricSink((batch) => {
          for (const p of batch) if (p.name === 'test/error') errors.push(p.value);
        }, 1));
        const secs = now() - t0;
        ctx.log(`${rule} seed ${seed}: ${outcome.status}, test error by epoch ${errors.map((e) => (100 * e).toFixed(2) + '%').join(' ')} (${secs.toFixed(1)} s with evaluation)`);
        errors.forEach((err, i) => {
          const epoch = i + 1;
          byEpoch.set(epoch, [...(byEpoch.get(epoch) ?? []), err]);
          ctx.emit({
            workload: 'mlp_mnist_test_error', impl: 'credo',
            params: { rule, batch: 32, lr: 0.1, seed, epoch },
            metric: 'test_error', value: err, unit: 'fraction', wall_seconds: Math.round(secs * 1000) / 1000,
          });
        });
      }
      for (const [epoch, errs] of [...byEpoch].sort((a, b) => a[0] - b[0])) {
        ctx.emit({
          workload: 'mlp_mnist_test_error', impl: 'credo',
          params: { rule, batch: 32, lr: 0.1, seeds, epoch },
          metric: 'test_error_mean', value: errs.reduce((a, b) => a + b, 0) / errs.length, unit: 'fraction', samples: errs,
          median: median(errs),
        });
      }
    }
  },
};
