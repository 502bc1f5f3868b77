/**
 * @module @credo/testing
 * Private test helpers: real nats-server and clickhouse-server processes on free ports in temp
 * dirs, killed with the test process, the credo services as separate processes, plus the native
 * `clickhouse-client` for benchmarks.
 */
export { freePort, freePorts, acceptsTcp } from './ports.js';
export { startNats, type NatsServer, type NatsServerOptions } from './nats.js';
export {
  startClickHouse,
  clickhouseClient,
  clickhouseClientInsert,
  type ClickHouseServer,
  type ClickHouseServerOptions,
  type ClickHouseUser,
} from './clickhouse.js';
export { findBinary, INSTALL_HINT } from './process.js';
export { startService, type ServiceProc } from './service.js';
export { rssBytes, cpuSecondsOf } from './proc-stats.js';
