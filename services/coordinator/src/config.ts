import type { ParamSchema } from '@credo/core';

/** Every setting of the coordinator: flags `--kebab-case`, env `CREDO_*`, secrets also as `--token-file`. */
export const COORDINATOR_CONFIG: ParamSchema = {
  listen: { type: 'string', default: '127.0.0.1:50051', description: 'gRPC address to serve on' },
  natsUrl: { type: 'string', default: 'nats://127.0.0.1:4222', description: 'NATS server(s), comma-separated' },
  natsUser: { type: 'string', default: '', description: 'NATS user (empty = none)' },
  natsPassword: { type: 'string', default: '', description: 'NATS password' },
  token: { type: 'string', default: '', description: 'bearer token(s) clients must present, comma-separated for rotation; required' },
  tlsCert: { type: 'string', default: '', description: 'PEM certificate file: serve TLS when set' },
  tlsKey: { type: 'string', default: '', description: 'PEM private key file for --tls-cert' },
  window: { type: 'integer', min: 1, default: 2000, description: 'per sweep: trials published but unfinished' },
  maxAttempts: { type: 'integer', min: 1, default: 3, description: 'default attempt limit per trial (a sweep may set its own)' },
  maxMessageBytes: { type: 'integer', min: 1024, default: 4 * 1024 * 1024, description: 'largest gRPC request accepted' },
  metricsPort: { type: 'integer', min: 0, default: 0, description: 'Prometheus /metrics port (0 = off)' },
};
export const COORDINATOR_SECRETS = ['token', 'natsPassword'];
