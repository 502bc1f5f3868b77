/**
 * @module @credo/worker
 * The worker agent service.
 *
 * @example
 * ```ts
 * import { main } from '@credo/worker';
 * process.exitCode = await main(['--nats-url', 'nats://10.0.0.5:4222', '--workers', '8']);
 * ```
 */
export { main } from './main.js';
export { WorkerAgent, retryBackoffMs, type AgentOptions } from './agent.js';
export { WORKER_CONFIG, WORKER_SECRETS, DEFAULT_RECYCLE_AFTER } from './config.js';
