/**
 * @module @credo/runtime
 * Runs trials: assembles task, model, rule and optimizer from the registries, trains, emits
 * metrics in batches; and a Piscina pool with cancellation and timeouts.
 *
 * @example
 * ```ts
 * import { TrialPool, defaultCatalog } from '@credo/runtime';
 * const pool = new TrialPool({ workers: 2 });
 * const result = await pool.run(trial.config, { onMetrics: console.log });
 * ```
 */
// The kernel backend the trial threads will use (CREDO_KERNELS): services that run trials check
// it at start, so that a bad value is a usage error instead of a failure in every trial.
export { kernelBackend } from '@credo/tensor';
export { defaultCatalog } from './catalog.js';
export { MetricSink } from './metric-sink.js';
export { TrialPool, type RunOptions, type TrialPoolOptions, type TrialRunResult } from './pool.js';
export { evaluate, primaryMetric, trainTrial, type TrainOutcome } from './train.js';
