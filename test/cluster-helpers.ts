import { randomBytes } from 'node:crypto';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startClickHouse, startNats, type ClickHouseServer, type NatsServer } from '@credo/testing';

export const ROOT = new URL('..', import.meta.url).pathname;
export const CREDO = join(ROOT, 'packages/cli/bin/credo.js');
const SERVICE_BIN = (name: string): string => join(ROOT, `services/${name}/dist/bin.js`);

export interface Proc {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves when the process prints a line matching `re`. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts a service program directly (as an orchestrator would), capturing its output. */
export function startService(name: 'coordinator' | 'worker' | 'ingester', args: readonly string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, [SERVICE_BIN(name), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    waitFor(re, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const t0 = Date.now();
        const tick = setInterval(() => {
          const m = out.match(re);
          if (m) {
            clearInterval(tick);
            resolve(m);
          } else if (Date.now() - t0 > timeoutMs || child.exitCode !== null) {
            clearInterval(tick);
            reject(new Error(`${name} did not print ${re} (exit ${child.exitCode}):\n${out.slice(-3000)}`));
          }
        }, 25);
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

export interface Cluster {
  readonly nats: NatsServer;
  readonly clickhouse: ClickHouseServer;
  readonly address: string;
  readonly token: string;
  readonly dir: string;
  coordinator: Proc;
  ingester: Proc;
  readonly workers: Proc[];
  startCoordinator(): Promise<Proc>;
  /** Starts another ingester as `ingester` (it prints "ready" only once ClickHouse answers). */
  startIngester(): Proc;
  startWorker(extra?: readonly string[]): Promise<Proc>;
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
    coordinator: undefined as unknown as Proc,
    ingester: undefined as unknown as Proc,
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
