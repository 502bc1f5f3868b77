/**
 * A failed call to the coordinator, with the exit code it maps to (2 for what the caller got
 * wrong, 1 otherwise). Apart from the cluster commands so that `main` can recognise it without
 * loading gRPC.
 *
 * @example
 * ```ts
 * throw new ClusterCallError('coordinator 127.0.0.1:50051: UNAUTHENTICATED: bad token', 2);
 * ```
 */
export class ClusterCallError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}
