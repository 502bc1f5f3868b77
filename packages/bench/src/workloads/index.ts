import type { Workload } from '../workload.js';

/** Every benchmark group, in the order `npm run bench` runs them. */
export const WORKLOADS: readonly Workload[] = [];
