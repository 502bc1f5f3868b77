import {
  addService, bearerAuthInterceptor, CoordinatorServiceDefinition, createCoordinatorClient, createHealthClient, grpc,
  HealthServiceDefinition, healthImplementation, requireBearerToken, serviceMethods,
  type CoordinatorClient, type CoordinatorServiceHandlers, type ServingStatus, type SweepStatus,
} from '@credo/proto';
import { CredoError } from '@credo/core';
import { afterEach, describe, expect, it } from 'vitest';

const status = (sweepId: string, done: number): SweepStatus => ({
  sweepId, name: 'demo', state: done >= 3 ? 'done' : 'running', total: 3, dispatched: 3, done, failed: 0, diverged: 0,
  cancelled: 0, timeout: 0, createdMs: 1_700_000_000_000, updatedMs: 1_700_000_000_000 + done, specHash: 'h',
});

/** A trivial coordinator: remembers what it was called with and answers from fixed data. */
function fakeCoordinator(calls: string[] = []): CoordinatorServiceHandlers {
  return {
    submitSweep(call, cb) {
      calls.push(`submit:${call.request.spec?.sourceName}:${call.request.spec?.yaml.length}`);
      cb(null, { status: status('sw-1', 0), existing: false });
    },
    getSweep(call, cb) {
      calls.push(`get:${call.request.sweepId}`);
      if (call.request.sweepId === 'missing') cb({ code: grpc.status.NOT_FOUND, details: 'no sweep "missing"' });
      else if (call.request.sweepId === 'hang') {
        // never answers: the client has to cancel
      } else if (call.request.sweepId === 'bad-response') cb(null, { ...status('x', 0), total: -1 });
      else cb(null, status(call.request.sweepId, 1));
    },
    listSweeps(_call, cb) {
      cb(null, { sweeps: [] });
    },
    watchSweep(call) {
      calls.push(`watch:${call.request.sweepId}`);
      if (call.request.sweepId === 'forever') {
        call.write(status('forever', 0));
        return; // keeps the stream open until the client cancels
      }
      for (let done = 1; done <= 3; done++) call.write(status(call.request.sweepId, done));
      call.end();
    },
    cancelSweep(call, cb) {
      cb(null, { ...status(call.request.sweepId, 1), state: 'cancelled' });
    },
    retryFailed(call, cb) {
      cb(null, { status: status(call.request.sweepId, 3), requeued: Number.MAX_SAFE_INTEGER });
    },
  };
}

const servers: grpc.Server[] = [];
const clients: { close(): void }[] = [];

afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) s.forceShutdown();
});

async function start(server: grpc.Server): Promise<string> {
  servers.push(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  return `127.0.0.1:${port}`;
}

function connect(address: string, options: grpc.ClientOptions = {}): CoordinatorClient {
  const client = createCoordinatorClient(address, grpc.credentials.createInsecure(), options);
  clients.push(client);
  return client;
}

async function rejection(p: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await p;
  } catch (e) {
    return e as grpc.ServiceError;
  }
  throw new Error('expected the call to fail');
}

describe('CoordinatorService over a real grpc-js server', () => {
  it('answers unary calls through the typed client', async () => {
    const calls: string[] = [];
    const server = new grpc.Server();
    addService(server, CoordinatorServiceDefinition, fakeCoordinator(calls));
    const client = connect(await start(server));

    const submitted = await client.submitSweep({ spec: { yaml: 'a: 1', sourceName: 'demo.yaml', maxAttempts: 0 } });
    expect(submitted).toStrictEqual({ status: status('sw-1', 0), existing: false });
    expect(await client.getSweep({ sweepId: 'sw-9' })).toStrictEqual(status('sw-9', 1));
    expect(await client.listSweeps({})).toStrictEqual({ sweeps: [] });
    expect((await client.retryFailed({ sweepId: 'sw-1' })).requeued).toBe(Number.MAX_SAFE_INTEGER);
    expect(calls).toEqual(['submit:demo.yaml:4', 'get:sw-9']);

    const err = await rejection(client.getSweep({ sweepId: 'missing' }));
    expect(err.code).toBe(grpc.status.NOT_FOUND);
    expect(err.details).toBe('no sweep "missing"');
  });

  it('streams WatchSweep statuses to a for-await loop', async () => {
    const server = new grpc.Server();
    addService(server, CoordinatorServiceDefinition, fakeCoordinator());
    const client = connect(await start(server));
    const seen: SweepStatus[] = [];
    for await (const s of client.watchSweep({ sweepId: 'sw-1' })) seen.push(s);
    expect(seen).toStrictEqual([status('sw-1', 1), status('sw-1', 2), status('sw-1', 3)]);
  });

  it('cancels a unary call and a stream through an AbortSignal', async () => {
    const server = new grpc.Server();
    addService(server, CoordinatorServiceDefinition, fakeCoordinator());
    const client = connect(await start(server));

    const ctl = new AbortController();
    const pending = client.getSweep({ sweepId: 'hang' }, { signal: ctl.signal });
    setTimeout(() => ctl.abort(), 50);
    expect((await rejection(pending)).code).toBe(grpc.status.CANCELLED);

    const ctl2 = new AbortController();
    const seen: string[] = [];
    const loop = (async () => {
      for await (const s of client.watchSweep({ sweepId: 'forever' }, { signal: ctl2.signal })) {
        seen.push(s.sweepId);
        ctl2.abort();
      }
    })();
    expect((await rejection(loop)).code).toBe(grpc.status.CANCELLED);
    expect(seen).toEqual(['forever']);
  });

  it('honours deadlines', async () => {
    const server = new grpc.Server();
    addService(server, CoordinatorServiceDefinition, fakeCoordinator());
    const client = connect(await start(server));
    const err = await rejection(client.getSweep({ sweepId: 'hang' }, { deadline: Date.now() + 100 }));
    expect(err.code).toBe(grpc.status.DEADLINE_EXCEEDED);
  });

  it('checks messages with the codecs in both directions', async () => {
    const server = new grpc.Server();
    addService(server, CoordinatorServiceDefinition, fakeCoordinator());
    const client = connect(await start(server));

    // A bad request never leaves the client.
    const req = await rejection(client.getSweep({ sweepId: 7 } as unknown as { sweepId: string }));
    expect(req.code).toBe(grpc.status.INTERNAL);
    expect(req.details).toMatch(/credo\.v1\.GetSweepRequest\.sweepId: cannot encode: must be a string/);

    // A handler bug (a negative uint64) becomes INTERNAL instead of a silently wrapped number.
    const res = await rejection(client.getSweep({ sweepId: 'bad-response' }));
    expect(res.code).toBe(grpc.status.INTERNAL);
  });

  it('answers RESOURCE_EXHAUSTED to a message above the server limit, without running the handler', async () => {
    const calls: string[] = [];
    const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 });
    addService(server, CoordinatorServiceDefinition, fakeCoordinator(calls));
    const client = connect(await start(server));

    const err = await rejection(client.submitSweep({ spec: { yaml: 'x'.repeat(100 * 1024), sourceName: 'big.yaml', maxAttempts: 0 } }));
    expect(err.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(err.details).toMatch(/larger than max/);
    expect(calls).toEqual([]);

    // The same server still serves messages under the limit.
    await client.submitSweep({ spec: { yaml: 'x'.repeat(1000), sourceName: 'small.yaml', maxAttempts: 0 } });
    expect(calls).toEqual(['submit:small.yaml:1000']);
  });

  it('uses the method names that grpc-js looks handlers up by', () => {
    for (const def of Object.values(CoordinatorServiceDefinition)) {
      expect(Object.keys(serviceMethods['credo.v1.CoordinatorService'])).toContain(def.originalName);
    }
  });
});

describe('bearer token auth', () => {
  const TOKEN = 'sekret-token-1';

  async function authServer(tokens: () => string | readonly string[], exempt?: readonly string[]): Promise<{ address: string; calls: string[] }> {
    const calls: string[] = [];
    const server = new grpc.Server({ interceptors: [requireBearerToken(tokens, exempt ? { exempt } : {})] });
    addService(server, CoordinatorServiceDefinition, fakeCoordinator(calls));
    addService(server, HealthServiceDefinition, healthImplementation(() => 'SERVING'));
    return { address: await start(server), calls };
  }

  it('refuses a call without a token', async () => {
    const { address, calls } = await authServer(() => TOKEN);
    const err = await rejection(connect(address).getSweep({ sweepId: 'a' }));
    expect(err.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(err.details).toMatch(/missing bearer token/);
    expect(calls).toEqual([]);
  });

  it('refuses a wrong token, a longer one and a prefix of the right one', async () => {
    const { address, calls } = await authServer(() => TOKEN);
    for (const wrong of ['nope', `${TOKEN}x`, TOKEN.slice(0, -1)]) {
      const err = await rejection(connect(address, { interceptors: [bearerAuthInterceptor(wrong)] }).getSweep({ sweepId: 'a' }));
      expect(err.code).toBe(grpc.status.UNAUTHENTICATED);
      expect(err.details).toBe('invalid bearer token');
    }
    // A streaming call is refused before its handler runs too.
    const stream = connect(address, { interceptors: [bearerAuthInterceptor('nope')] }).watchSweep({ sweepId: 'a' });
    const err = await rejection((async () => {
      for await (const _ of stream) throw new Error('no message expected');
    })());
    expect(err.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(calls).toEqual([]);
  });

  it('refuses a header that is not a bearer token', async () => {
    const { address } = await authServer(() => TOKEN);
    const md = new grpc.Metadata();
    md.set('authorization', `Basic ${TOKEN}`);
    const err = await rejection(connect(address).getSweep({ sweepId: 'a' }, { metadata: md }));
    expect(err.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(err.details).toMatch(/not "Bearer <token>"/);
  });

  it('lets the right token through, for unary and streaming calls', async () => {
    const { address, calls } = await authServer(() => TOKEN);
    const client = connect(address, { interceptors: [bearerAuthInterceptor(TOKEN)] });
    expect(await client.getSweep({ sweepId: 'a' })).toStrictEqual(status('a', 1));
    const seen: number[] = [];
    for await (const s of client.watchSweep({ sweepId: 'b' })) seen.push(s.done);
    expect(seen).toEqual([1, 2, 3]);
    expect(calls).toEqual(['get:a', 'watch:b']);
  });

  it('accepts any of several tokens during a rotation, and picks up a new token without a restart', async () => {
    let tokens: string[] = ['old', 'new'];
    const { address } = await authServer(() => tokens);
    let current = 'old';
    const client = connect(address, { interceptors: [bearerAuthInterceptor(() => current)] });
    await client.getSweep({ sweepId: 'a' });
    tokens = ['new'];
    expect((await rejection(client.getSweep({ sweepId: 'a' }))).code).toBe(grpc.status.UNAUTHENTICATED);
    current = 'new';
    await client.getSweep({ sweepId: 'a' });
  });

  it('admits nobody when the configured token is empty', async () => {
    const { address } = await authServer(() => '');
    const md = new grpc.Metadata();
    md.set('authorization', 'Bearer ');
    expect((await rejection(connect(address).getSweep({ sweepId: 'a' }, { metadata: md }))).code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('lets exempt paths through without a token', async () => {
    const { address } = await authServer(() => TOKEN, ['/grpc.health.v1.Health/']);
    const health = createHealthClient(address, grpc.credentials.createInsecure());
    clients.push(health);
    expect(await health.check({ service: '' })).toStrictEqual({ status: 'SERVING' });
    expect((await rejection(connect(address).getSweep({ sweepId: 'a' }))).code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('refuses to send an empty or multi-line token', () => {
    expect(() => bearerAuthInterceptor('')).toThrow(CredoError);
    expect(() => bearerAuthInterceptor('a\nb')).toThrow(/printable ASCII/);
  });
});

describe('health service', () => {
  it('answers Check, NOT_FOUND for unknown services, and streams changes on Watch', async () => {
    let state: ServingStatus = 'SERVING';
    const server = new grpc.Server();
    addService(server, HealthServiceDefinition, healthImplementation(
      (service) => (service === '' || service === 'credo.v1.CoordinatorService' ? state : undefined),
      { watchIntervalMs: 20 },
    ));
    const address = await start(server);
    const health = createHealthClient(address, grpc.credentials.createInsecure());
    clients.push(health);

    expect(await health.check({ service: 'credo.v1.CoordinatorService' })).toStrictEqual({ status: 'SERVING' });
    const err = await rejection(health.check({ service: 'other' }));
    expect(err.code).toBe(grpc.status.NOT_FOUND);

    const ctl = new AbortController();
    const seen: string[] = [];
    const watching = (async () => {
      for await (const r of health.watch({ service: '' }, { signal: ctl.signal })) {
        seen.push(r.status);
        if (seen.length === 1) state = 'NOT_SERVING';
        else ctl.abort();
      }
    })();
    expect((await rejection(watching)).code).toBe(grpc.status.CANCELLED);
    expect(seen).toEqual(['SERVING', 'NOT_SERVING']);

    const unknown = health.watch({ service: 'other' });
    for await (const r of unknown) {
      expect(r.status).toBe('SERVICE_UNKNOWN');
      unknown.cancel();
      break;
    }
  });

  it('reads a throwing status function as NOT_SERVING', async () => {
    const server = new grpc.Server();
    addService(server, HealthServiceDefinition, healthImplementation(() => {
      throw new Error('nats down');
    }));
    const health = createHealthClient(await start(server), grpc.credentials.createInsecure());
    clients.push(health);
    expect(await health.check({ service: '' })).toStrictEqual({ status: 'NOT_SERVING' });
  });
});
