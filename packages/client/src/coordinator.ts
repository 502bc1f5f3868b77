import { readFileSync } from 'node:fs';
import { CredoError } from '@credo/core';
import { bearerAuthInterceptor, createCoordinatorClient, grpc, type CoordinatorClient } from '@credo/proto';

export interface CoordinatorConnection {
  /** host:port of the coordinator. */
  readonly address: string;
  /** Bearer token (never logged). */
  readonly token: string;
  /** PEM CA certificate file: connect with TLS (the coordinator's certificate must match the host). */
  readonly caFile?: string;
}

/**
 * A typed coordinator client that presents the bearer token on every call.
 *
 * @example
 * ```ts
 * const c = connectCoordinator({ address: 'coord.lab:50051', token: process.env.CREDO_TOKEN! });
 * const { status } = await c.submitSweep({ spec: { yaml, sourceName: 'sweep.yaml', maxAttempts: 0 } });
 * for await (const s of c.watchSweep({ sweepId: status!.sweepId })) console.log(s.done, '/', s.total);
 * c.close();
 * ```
 */
export function connectCoordinator(c: CoordinatorConnection): CoordinatorClient {
  if (!c.token) throw new CredoError('USAGE', 'a token is required to talk to the coordinator', { field: '--token / CREDO_TOKEN' });
  const creds = c.caFile ? grpc.credentials.createSsl(readFileSync(c.caFile)) : grpc.credentials.createInsecure();
  return createCoordinatorClient(c.address, creds, { interceptors: [bearerAuthInterceptor(c.token)] });
}

/** Turns a gRPC error into one line a person can act on. */
export function describeGrpcError(e: unknown): string {
  const err = e as Partial<grpc.ServiceError>;
  if (typeof err.code === 'number') {
    const name = grpc.status[err.code] ?? String(err.code);
    return `${name}: ${err.details ?? err.message ?? ''}`;
  }
  return e instanceof Error ? e.message : String(e);
}
