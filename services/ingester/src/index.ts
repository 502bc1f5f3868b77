/**
 * @module @credo/ingester
 * The JetStream → ClickHouse ingester service.
 *
 * @example
 * ```ts
 * import { main } from '@credo/ingester';
 * process.exitCode = await main(['--clickhouse-url-file', '/etc/credo/clickhouse-url']);
 * ```
 */
export { main } from './main.js';
export { Ingester, type IngesterOptions, type IngestTarget } from './ingester.js';
export { INGESTER_CONFIG, INGESTER_SECRETS } from './config.js';
