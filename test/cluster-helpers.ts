import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startClickHouse, startNats, startService, type ClickHouseServer, type NatsServer, type ServiceProc } from '@credo/testing';

export const ROOT = new URL('..', import.meta.url).pathname;
export const CREDO = join(ROOT, 'packages/cli/bin/credo.js');

export interface Cluster {
  readonly nats: NatsServer;
  readonly clickhouse: ClickHouseServer;
  readonly address: string;
  readonly token: string;
  readonly dir: string;
  coordinator: ServiceProc;
  ingester: ServiceProc;
  readonly workers: ServiceProc[];
  startCoordinator(): Promise<ServiceProc>;
  /** Starts another ingester as `ingester` (it prints "ready" only once ClickHouse answers). */
  startIngester(): ServiceProc;
  startWorker(extra?: readonly string[]): Promise<ServiceProc>;
  credo(...args: string[]): { code: number; out: string; err: string };
  stop(): Promise<void>;
}

/** Real nats-server and clickhouse-server, a coordinator, an ingester and `workers` agents as separate processes. */
export async function startCluster(opts: { workers: number; workerThreads?: number; coordinatorArgs?: readonly string[] }): Promise<Cluster> {
  const [nats, clickhouse] = await Promise.all([startNats(), startClickHouse()]);
  const token = 'test-token-' + randomBytes(8).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), 'credo-cluster-'));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, token);
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const common = ['--nats-url', nats.url];
  const c: Cluster = {
    nats, clickhouse, address, token, dir,
    coordinator: undefined as unknown as ServiceProc,
    ingester: undefined as unknown as ServiceProc,
    workers: [],
    async startCoordinator() {
      const p = startService('coordinator', [...common, '--listen', address, '--token-file', tokenFile, ...(opts.coordinatorArgs ?? [])]);
      await p.waitFor(/listening /);
      c.coordinator = p;
      return p;
    },
    startIngester() {
      c.ingester = startService('ingester', [...common, '--clickhouse-url', clickhouse.storeUrl()]);
      return c.ingester;
    },
    async startWorker(extra = []) {
      const p = startService('worker', [...common, '--workers', String(opts.workerThreads ?? 1), '--drain-sec', '2', ...extra]);
      await p.waitFor(/ready/);
      c.workers.push(p);
      return p;
    },
    credo(...args) {
      const r = spawnSync(process.execPath, [CREDO, ...args], { cwd: dir, encoding: 'utf8', timeout: 300_000, env: { ...process.env, CREDO_TOKEN: token, CREDO_COORDINATOR: address } });
      return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
    },
    async stop() {
      await Promise.allSettled([...c.workers.map((w) => w.stop('SIGKILL')), c.coordinator?.stop('SIGKILL'), c.ingester.stop()]);
      await Promise.allSettled([nats.stop(), clickhouse.stop()]);
    },
  };
  c.startIngester();
  await c.startCoordinator();
  await c.ingester.waitFor(/ingester ready/, 60_000);
  for (let i = 0; i < opts.workers; i++) await c.startWorker();
  return c;
}

/** Polls until `f` returns a truthy value. */
export async function eventually<T>(f: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 120_000, what = 'condition'): Promise<T> {
  const t0 = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
