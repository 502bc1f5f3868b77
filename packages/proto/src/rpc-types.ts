import type * as grpc from '@grpc/grpc-js';

/**
 * Options of one call made through a typed client ({@link createCoordinatorClient}).
 *
 * @example
 * ```ts
 * const ctl = new AbortController();
 * const status = await client.getSweep({ sweepId }, { deadline: Date.now() + 5_000, signal: ctl.signal });
 * ```
 */
export interface UnaryCallOptions extends grpc.CallOptions {
  /** Extra request metadata (headers); interceptors such as {@link bearerAuthInterceptor} add theirs on top. */
  metadata?: grpc.Metadata;
  /** Cancels the call: a pending promise rejects and a stream ends with status CANCELLED. */
  signal?: AbortSignal;
}

/**
 * A server stream as the typed client returns it: the grpc-js stream (for `cancel()`, `on('metadata')`,
 * …) whose async iterator yields typed messages. A non-OK status is thrown from the loop.
 *
 * @example
 * ```ts
 * for await (const status of client.watchSweep({ sweepId })) console.log(status.done, '/', status.total);
 * ```
 */
export type ServerStream<T> = AsyncIterable<T> & grpc.ClientReadableStream<T>;
