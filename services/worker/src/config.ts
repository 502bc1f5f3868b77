import type { ParamSchema } from '@credo/core';
import { availableParallelism, hostname } from 'node:os';

/**
 * Trials one set of trial threads runs before the agent replaces it (`--recycle-after`). A
 * replacement costs the new threads' start (modules, wasm compile: ~0.1 s of CPU each), so it
 * is amortised over many trials; between replacements memory is bounded by V8's collector and
 * by the wasm blocks that collected arrays give back (the soak test watches both).
 */
export const DEFAULT_RECYCLE_AFTER = 10_000;

/** Every setting of a worker agent: flags `--kebab-case`, env `CREDO_*`. */
export const WORKER_CONFIG: ParamSchema = {
  natsUrl: { type: 'string', default: 'nats://127.0.0.1:4222', description: 'NATS server(s), comma-separated' },
  natsUser: { type: 'string', default: '', description: 'NATS user (empty = none)' },
  natsPassword: { type: 'string', default: '', description: 'NATS password' },
  workers: { type: 'integer', min: 1, default: availableParallelism(), description: 'Piscina threads (trials run at once)' },
  slots: { type: 'integer', min: 0, default: 0, description: 'trials held at once (0 = workers); more than workers queues them locally' },
  maxMemoryMb: { type: 'integer', min: 0, default: 0, description: 'V8 heap limit per trial thread in MB (0 = default)' },
  recycleAfter: { type: 'integer', min: 0, default: DEFAULT_RECYCLE_AFTER, description: 'trials per set of threads before they are replaced, returning memory threads keep (0 = never)' },
  drainSec: { type: 'number', min: 0, default: 30, description: 'on SIGTERM: how long running trials may finish before they are released' },
  id: { type: 'string', default: `${hostname()}-${process.pid}`, description: 'agent id, recorded with each result' },
  metricsPort: { type: 'integer', min: 0, default: 0, description: 'Prometheus /metrics port (0 = off)' },
};
export const WORKER_SECRETS = ['natsPassword'];
