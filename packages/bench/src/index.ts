/**
 * @module @credo/bench
 * Benchmark harness behind `npm run bench`.
 *
 * @example
 * ```ts
 * import { timeReps, median } from '@credo/bench';
 * const secs = median(timeReps(5, () => step()));
 * ```
 */
export { envRecord, median, now, timeReps, type BenchRecord } from './record.js';
export type { BenchContext, Workload } from './workload.js';
export { WORKLOADS } from './workloads/index.js';
