/**
 * @module @credo/client
 * TypeScript SDK for credo's cluster mode.
 *
 * @example
 * ```ts
 * import { connectCoordinator } from '@credo/client';
 * const c = connectCoordinator({ address: '127.0.0.1:50051', token });
 * console.log(await c.listSweeps({}));
 * ```
 */
export { connectCoordinator, describeGrpcError, type CoordinatorConnection } from './coordinator.js';
