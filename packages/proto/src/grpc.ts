import { createHash, timingSafeEqual } from 'node:crypto';
import { CredoError } from '@credo/core';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { codec } from './codec.js';
import {
  descriptor, serviceMethods,
  type CoordinatorServiceClient, type CoordinatorServiceHandlers, type HealthCheckResponse_ServingStatus,
  type HealthClient, type HealthHandlers, type MessageTypeName,
} from './gen/credo-v1.js';
import type { ServerStream, UnaryCallOptions } from './rpc-types.js';

// The shapes the generated types promise: 64-bit integers as numbers, enums by name, every field present.
const LOADER_OPTIONS: protoLoader.Options = { keepCase: false, longs: Number, enums: String, defaults: true, arrays: true, oneofs: true };

const packageDefinition = protoLoader.fromJSON(descriptor, LOADER_OPTIONS);
const grpcObject = grpc.loadPackageDefinition(packageDefinition);

type ServiceName = keyof typeof serviceMethods;

declare const handlersOf: unique symbol;

/**
 * A grpc-js service definition that remembers the handler interface it expects, so that
 * {@link addService} type-checks the implementation. At run time it is a plain
 * `grpc.ServiceDefinition` and works with `server.addService` too.
 */
export type TypedServiceDefinition<H extends grpc.UntypedServiceImplementation> = grpc.ServiceDefinition & { readonly [handlersOf]?: H };

function serviceDefinition<H extends grpc.UntypedServiceImplementation>(name: ServiceName): TypedServiceDefinition<H> {
  let node: unknown = grpcObject;
  for (const part of name.split('.')) node = (node as Record<string, unknown>)[part];
  const ctor = node as grpc.ServiceClientConstructor | undefined;
  if (typeof ctor !== 'function' || !ctor.service) throw new CredoError('INTERNAL', `service ${name} is missing from the embedded descriptor`);
  // proto-loader's serializers coerce silently (a negative uint64 wraps, a misspelt field
  // vanishes) and its deserializers round 64-bit integers beyond 2^53; our codecs reject both,
  // so every message crossing the wire is checked in both directions.
  const def: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [key, m] of Object.entries(ctor.service)) {
    const meta = Object.values(serviceMethods[name]).find((x) => x.path === m.path);
    if (!meta) throw new CredoError('INTERNAL', `method ${m.path} is missing from the generated method table; regenerate src/gen`);
    const req = codec(meta.requestType as MessageTypeName);
    const res = codec(meta.responseType as MessageTypeName);
    def[key] = {
      ...m,
      requestSerialize: (v: unknown) => toBuffer(req.encode(v as never)),
      requestDeserialize: (b: Buffer) => req.decode(b),
      responseSerialize: (v: unknown) => toBuffer(res.encode(v as never)),
      responseDeserialize: (b: Buffer) => res.decode(b),
    };
  }
  return def as TypedServiceDefinition<H>;
}

function toBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/**
 * The grpc-js definition of `credo.v1.CoordinatorService`, built from the embedded descriptor
 * (no .proto file is read at run time). Messages are checked by the same codecs as
 * {@link TrialCodec} & co.
 *
 * @example
 * ```ts
 * const server = new grpc.Server({ interceptors: [requireBearerToken(() => token)] });
 * addService(server, CoordinatorServiceDefinition, handlers); // or server.addService(CoordinatorServiceDefinition, handlers)
 * ```
 */
export const CoordinatorServiceDefinition: TypedServiceDefinition<CoordinatorServiceHandlers> = serviceDefinition('credo.v1.CoordinatorService');

/**
 * The grpc-js definition of the standard `grpc.health.v1.Health` service (what grpc-health-probe,
 * Kubernetes gRPC probes and load balancers call). Implement it with {@link healthImplementation}.
 *
 * @example
 * ```ts
 * addService(server, HealthServiceDefinition, healthImplementation(() => 'SERVING'));
 * ```
 */
export const HealthServiceDefinition: TypedServiceDefinition<HealthHandlers> = serviceDefinition('grpc.health.v1.Health');

/**
 * `server.addService` with the implementation type-checked against the definition's handler interface.
 *
 * @example
 * ```ts
 * addService(server, CoordinatorServiceDefinition, { submitSweep, getSweep, listSweeps, watchSweep, cancelSweep, retryFailed });
 * ```
 */
export function addService<H extends grpc.UntypedServiceImplementation>(server: grpc.Server, definition: TypedServiceDefinition<H>, implementation: H): void {
  server.addService(definition, implementation);
}

/** A typed client plus the channel controls of the underlying grpc-js client. */
export type TypedClient<C> = C & {
  /** The grpc-js client, for anything the typed surface does not cover. */
  readonly grpcClient: grpc.Client;
  /** Closes the channel; calls in flight fail with UNAVAILABLE or CANCELLED. */
  close(): void;
  /** Resolves once the channel is connected, rejects at the deadline. */
  waitForReady(deadline: grpc.Deadline): Promise<void>;
};

/** The typed, promise-based client of `credo.v1.CoordinatorService`. */
export type CoordinatorClient = TypedClient<CoordinatorServiceClient>;

/**
 * Connects a typed `CoordinatorService` client. Unary methods return promises that reject with
 * the grpc-js `ServiceError` (branch on `err.code`, a `grpc.status`); `watchSweep` returns a
 * stream to iterate with `for await`.
 *
 * @param address `host:port` (or any grpc-js target).
 * @param credentials `grpc.credentials.createInsecure()` or `grpc.credentials.createSsl(ca)`.
 * @param options grpc-js client options: channel options such as `'grpc.max_receive_message_length'`,
 *   and `interceptors` such as {@link bearerAuthInterceptor}.
 * @example
 * ```ts
 * const client = createCoordinatorClient('127.0.0.1:7070', grpc.credentials.createInsecure(), {
 *   interceptors: [bearerAuthInterceptor(process.env.CREDO_TOKEN!)],
 * });
 * const { status } = await client.submitSweep({ spec: { yaml, sourceName: 'fa-vs-bp.yaml', maxAttempts: 0 } });
 * for await (const s of client.watchSweep({ sweepId: status!.sweepId })) console.log(s.done, '/', s.total);
 * client.close();
 * ```
 */
export function createCoordinatorClient(address: string, credentials: grpc.ChannelCredentials, options: grpc.ClientOptions = {}): CoordinatorClient {
  return createClient<CoordinatorServiceClient>('credo.v1.CoordinatorService', CoordinatorServiceDefinition, address, credentials, options);
}

/** The typed, promise-based client of `grpc.health.v1.Health`. */
export type HealthServiceClient = TypedClient<HealthClient>;

/**
 * Connects a typed client of the standard health service.
 *
 * @example
 * ```ts
 * const health = createHealthClient('127.0.0.1:7070', grpc.credentials.createInsecure());
 * const { status } = await health.check({ service: '' }, { deadline: Date.now() + 1000 }); // 'SERVING'
 * ```
 */
export function createHealthClient(address: string, credentials: grpc.ChannelCredentials, options: grpc.ClientOptions = {}): HealthServiceClient {
  return createClient<HealthClient>('grpc.health.v1.Health', HealthServiceDefinition, address, credentials, options);
}

function createClient<C>(
  name: ServiceName, definition: grpc.ServiceDefinition, address: string, credentials: grpc.ChannelCredentials, options: grpc.ClientOptions,
): TypedClient<C> {
  const client = new grpc.Client(address, credentials, options);
  const byPath = new Map(Object.values(definition).map((d) => [d.path, d]));
  const out: Record<string, unknown> = {
    grpcClient: client,
    close: () => client.close(),
    waitForReady: (deadline: grpc.Deadline) => new Promise<void>((resolve, reject) => client.waitForReady(deadline, (err) => (err ? reject(err) : resolve()))),
  };
  for (const [method, meta] of Object.entries(serviceMethods[name])) {
    const def = byPath.get(meta.path);
    if (!def) throw new CredoError('INTERNAL', `method ${meta.path} is missing from the service definition`);
    out[method] = meta.responseStream
      ? (request: unknown, opts?: UnaryCallOptions) => serverStream(client, def, request, opts)
      : (request: unknown, opts?: UnaryCallOptions) => unary(client, def, request, opts);
  }
  return out as TypedClient<C>;
}

function unary(client: grpc.Client, def: grpc.MethodDefinition<unknown, unknown>, request: unknown, opts: UnaryCallOptions = {}): Promise<unknown> {
  const { metadata = new grpc.Metadata(), signal, ...callOptions } = opts;
  return new Promise((resolve, reject) => {
    let call: grpc.ClientUnaryCall | undefined;
    const onAbort = (): void => call?.cancel();
    call = client.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, request, metadata, callOptions, (err, res) => {
      signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(res);
    });
    if (signal?.aborted) call.cancel();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function serverStream(client: grpc.Client, def: grpc.MethodDefinition<unknown, unknown>, request: unknown, opts: UnaryCallOptions = {}): ServerStream<unknown> {
  const { metadata = new grpc.Metadata(), signal, ...callOptions } = opts;
  const stream = client.makeServerStreamRequest(def.path, def.requestSerialize, def.responseDeserialize, request, metadata, callOptions);
  if (signal) {
    const onAbort = (): void => stream.cancel();
    if (signal.aborted) stream.cancel();
    else {
      signal.addEventListener('abort', onAbort, { once: true });
      stream.on('status', () => signal.removeEventListener('abort', onAbort));
    }
  }
  return stream as ServerStream<unknown>;
}

/** A serving status of the health service, by name. */
export type ServingStatus = HealthCheckResponse_ServingStatus;

/** Options of {@link healthImplementation}. */
export interface HealthOptions {
  /** How often a Watch call re-reads the status to notice changes, in ms (default 1000). */
  watchIntervalMs?: number;
}

/**
 * Handlers of the standard health service around one status function. `service` is the name
 * the prober asks about; `''` means the whole server. Return `undefined` for a service you do
 * not know: Check then answers NOT_FOUND and Watch sends SERVICE_UNKNOWN, as the protocol says.
 * A status function that throws or rejects reads as NOT_SERVING.
 *
 * @example
 * ```ts
 * addService(server, HealthServiceDefinition, healthImplementation((service) =>
 *   service === '' || service === 'credo.v1.CoordinatorService' ? (natsUp() ? 'SERVING' : 'NOT_SERVING') : undefined));
 * ```
 */
export function healthImplementation(
  getStatus: (service: string) => ServingStatus | undefined | Promise<ServingStatus | undefined>,
  options: HealthOptions = {},
): HealthHandlers {
  const interval = options.watchIntervalMs ?? 1000;
  const read = async (service: string): Promise<ServingStatus | undefined> => {
    try {
      return await getStatus(service);
    } catch {
      return 'NOT_SERVING';
    }
  };
  return {
    check(call, callback) {
      void read(call.request.service).then((status) => {
        if (status === undefined) callback({ code: grpc.status.NOT_FOUND, details: `unknown service ${JSON.stringify(call.request.service)}` });
        else callback(null, { status });
      });
    },
    watch(call) {
      let last: ServingStatus | undefined;
      let timer: NodeJS.Timeout | undefined;
      let stopped = false;
      const stop = (): void => {
        stopped = true;
        clearTimeout(timer);
      };
      call.on('cancelled', stop);
      call.on('error', stop);
      call.on('close', stop);
      const tick = async (): Promise<void> => {
        const status = (await read(call.request.service)) ?? 'SERVICE_UNKNOWN';
        if (stopped) return;
        if (status !== last) {
          last = status;
          call.write({ status });
        }
        timer = setTimeout(() => void tick(), interval);
        // A watcher must not keep a process alive that is otherwise done.
        timer.unref();
      };
      void tick();
    },
  };
}

/**
 * A client interceptor that sends `authorization: Bearer <token>` on every call. Pass a function
 * to pick up a rotated token without reconnecting.
 *
 * @throws CredoError `USAGE` when the token is empty or not printable ASCII (it could not travel as a header).
 * @example
 * ```ts
 * const client = createCoordinatorClient(addr, grpc.credentials.createInsecure(), { interceptors: [bearerAuthInterceptor(token)] });
 * ```
 */
export function bearerAuthInterceptor(token: string | (() => string)): grpc.Interceptor {
  if (typeof token === 'string') checkToken(token);
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        const t = typeof token === 'string' ? token : checkToken(token());
        metadata.set('authorization', `Bearer ${t}`);
        next(metadata, listener);
      },
    });
}

function checkToken(token: string): string {
  if (typeof token !== 'string' || !/^[\x21-\x7e]+$/.test(token)) {
    throw new CredoError('USAGE', 'bearer token must be a non-empty string of printable ASCII without spaces', { field: 'token', allowed: 'characters ! … ~' });
  }
  return token;
}

/** Options of {@link requireBearerToken}. */
export interface RequireBearerTokenOptions {
  /**
   * Method paths that need no token: an exact path (`/grpc.health.v1.Health/Check`) or a service
   * prefix ending in `/` (`/grpc.health.v1.Health/`), typically so that probes can check health.
   */
  exempt?: readonly string[];
}

/**
 * A grpc-js server interceptor that lets a call through only with `authorization: Bearer <t>`
 * where `t` is one of the current tokens; any other call ends with UNAUTHENTICATED before its
 * handler runs. `tokens` is called per call, so tokens can rotate; return several to accept an
 * old and a new one during a rotation. Empty tokens are ignored (an empty configuration admits
 * nobody). Tokens are compared as SHA-256 digests with `crypto.timingSafeEqual`, so neither
 * the content nor the length of a token leaks through timing.
 *
 * @example
 * ```ts
 * const server = new grpc.Server({
 *   interceptors: [requireBearerToken(() => process.env.CREDO_TOKEN ?? '', { exempt: ['/grpc.health.v1.Health/'] })],
 * });
 * ```
 */
export function requireBearerToken(tokens: () => string | readonly string[], options: RequireBearerTokenOptions = {}): grpc.ServerInterceptor {
  const exempt = options.exempt ?? [];
  const isExempt = (path: string): boolean => exempt.some((e) => (e.endsWith('/') ? path.startsWith(e) : path === e));
  return (methodDescriptor, call) => {
    if (isExempt(methodDescriptor.path)) return new grpc.ServerInterceptingCall(call);
    return new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, mdNext) {
            const refusal = authenticate(metadata, tokens);
            if (refusal === undefined) mdNext(metadata);
            else call.sendStatus({ code: grpc.status.UNAUTHENTICATED, details: refusal, metadata: new grpc.Metadata() });
          },
        });
      },
    });
  };
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Undefined when the call may proceed, else why not (safe to tell the caller: it names no token). */
function authenticate(metadata: grpc.Metadata, tokens: () => string | readonly string[]): string | undefined {
  const values = metadata.get('authorization');
  if (values.length === 0) return 'missing bearer token: send the header "authorization: Bearer <token>"';
  if (values.length > 1) return 'more than one authorization header';
  const match = /^Bearer +(\S+) *$/i.exec(String(values[0]));
  if (!match) return 'the authorization header is not "Bearer <token>"';
  let configured: string | readonly string[];
  try {
    configured = tokens();
  } catch {
    return 'the server cannot check tokens right now';
  }
  const presented = digest(match[1]!);
  let ok = false;
  for (const t of typeof configured === 'string' ? [configured] : configured) {
    if (typeof t !== 'string' || t.length === 0) continue;
    // No early exit: every configured token costs the same whether or not an earlier one matched.
    ok = timingSafeEqual(presented, digest(t)) || ok;
  }
  return ok ? undefined : 'invalid bearer token';
}
