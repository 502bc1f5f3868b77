/**
 * @module @credo/coordinator
 * The gRPC coordinator service.
 *
 * @example
 * ```ts
 * import { main } from '@credo/coordinator';
 * process.exitCode = await main(['--token-file', '/etc/credo/token', '--nats-url', 'nats://10.0.0.5:4222']);
 * ```
 */
export { main } from './main.js';
export { Coordinator, type CoordinatorOptions } from './coordinator.js';
export { COORDINATOR_CONFIG, COORDINATOR_SECRETS } from './config.js';
