import type { ParamSchema } from '@credo/core';

/** Every setting of the ingester: flags `--kebab-case`, env `CREDO_*`, secrets also as files. */
export const INGESTER_CONFIG: ParamSchema = {
  natsUrl: { type: 'string', default: 'nats://127.0.0.1:4222', description: 'NATS server(s), comma-separated' },
  natsUser: { type: 'string', default: '', description: 'NATS user (empty = none)' },
  natsPassword: { type: 'string', default: '', description: 'NATS password' },
  clickhouseUrl: { type: 'string', default: 'clickhouse://credo@127.0.0.1:8123/credo', description: 'ClickHouse with a user that may insert: clickhouse://user:password@host:port/database' },
  batchMessages: { type: 'integer', min: 1, default: 2000, description: 'messages fetched per batch and stream' },
  maxBackoffSec: { type: 'number', min: 0.1, default: 10, description: 'longest wait between retries while ClickHouse is down' },
  metricsPort: { type: 'integer', min: 0, default: 0, description: 'Prometheus /metrics port (0 = off)' },
};
export const INGESTER_SECRETS = ['natsPassword', 'clickhouseUrl'];
