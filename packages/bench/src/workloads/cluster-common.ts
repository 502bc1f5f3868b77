import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bearerAuthInterceptor, createCoordinatorClient, grpc, type CoordinatorClient, type SweepStatus } from '@credo/proto';
import { openClickHouseStore, type MetricsStore } from '@credo/store';
import { freePort, startClickHouse, startNats, startService, type ClickHouseServer, type NatsServer, type ServiceProc } from '@credo/testing';
export { cpuSecondsOf, rssBytes } from '@credo/testing';

/*
 * What the cluster benchmarks share: real nats-server and clickhouse-server (from @credo/testing),
 * the three services started from their built entry points as separate processes (as an
 * orchestrator would run them), a coordinator client, and the no-op trial.
 */

export interface BenchCluster {
  readonly nats: NatsServer;
  readonly clickhouse: ClickHouseServer | undefined;
  readonly coordinator: ServiceProc | undefined;
  readonly ingester: ServiceProc | undefined;
  readonly workers: ServiceProc[];
  readonly client: CoordinatorClient | undefined;
  /** Read-only store on the ClickHouse server (when there is one). */
  readonly ro: MetricsStore | undefined;
  startWorker(args: readonly string[]): Promise<ServiceProc>;
  stop(): Promise<void>;
}

export interface BenchClusterOptions {
  readonly clickhouse?: boolean;
  readonly coordinatorArgs?: readonly string[] | false;
  readonly ingester?: boolean;
}

/** NATS, and optionally ClickHouse, a coordinator and an ingester; worker agents are added with `startWorker`. */
export async function startBenchCluster(opts: BenchClusterOptions): Promise<BenchCluster> {
  const [nats, clickhouse] = await Promise.all([startNats(), opts.clickhouse || opts.ingester ? startClickHouse() : Promise.resolve(undefined)]);
  const dir = mkdtempSync(join(tmpdir(), 'credo-bench-'));
  const token = `bench-${process.pid}-${Date.now()}`;
  writeFileSync(join(dir, 'token'), token);
  const common = ['--nats-url', nats.url];
  const procs: ServiceProc[] = [];
  const workers: ServiceProc[] = [];
  let coordinator: ServiceProc | undefined;
  let ingester: ServiceProc | undefined;
  let client: CoordinatorClient | undefined;
  let ro: MetricsStore | undefined;
  const stop = async (): Promise<void> => {
    client?.close();
    await ro?.close().catch(() => {});
    await Promise.allSettled(procs.map((p) => p.stop('SIGKILL')));
    await Promise.allSettled([nats.stop(), clickhouse?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    if (opts.ingester && clickhouse) {
      ingester = startService('ingester', [...common, '--clickhouse-url', clickhouse.storeUrl()]);
      procs.push(ingester);
      await ingester.waitFor(/ingester ready/);
    }
    if (opts.coordinatorArgs !== false) {
      const address = `127.0.0.1:${await freePort()}`;
      coordinator = startService('coordinator', [...common, '--listen', address, '--token-file', join(dir, 'token'), ...(opts.coordinatorArgs ?? [])]);
      procs.push(coordinator);
      await coordinator.waitFor(/listening /);
      client = createCoordinatorClient(address, grpc.credentials.createInsecure(), { interceptors: [bearerAuthInterceptor(token)] });
    }
    if (clickhouse) ro = await openClickHouseStore(clickhouse.storeUrl({ readonly: true }), { readOnly: true });
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    nats, clickhouse, coordinator, ingester, workers, client, ro,
    async startWorker(args) {
      const w = startService('worker', [...common, ...args]);
      procs.push(w);
      workers.push(w);
      await w.waitFor(/ready/);
      return w;
    },
    stop,
  };
}

/**
 * The no-op trial: a registered task, model and rule with (almost) nothing to do — linear
 * teacher with one training and one test example, one hidden unit, one step of batch 1 — so that
 * the cluster path, not the training, is measured. No component is registered for the benchmark.
 */
export function noopSweepYaml(name: string, trials: number): string {
  return `name: ${name}
task: { name: linear-teacher, inputs: 1, outputs: 1, train: 1, test: 1 }
model: { name: mlp, hidden: [1] }
rule: bp
optimizer: { name: sgd, lr: 0.01 }
train: { epochs: 1, batch: 1, logEvery: 1000 }
seeds: ${trials}
`;
}

export async function submit(client: CoordinatorClient, yaml: string): Promise<SweepStatus> {
  const r = await client.submitSweep({ spec: { yaml, sourceName: 'bench.yaml', maxAttempts: 0 } });
  return r.status!;
}

/** Final trial rows of a sweep in ClickHouse. */
export async function finalTrials(ro: MetricsStore, sweepId: string): Promise<number> {
  const r = await ro.query(`SELECT count() FROM trials FINAL WHERE sweep_id = '${sweepId}' AND status IN ('done', 'failed', 'diverged', 'cancelled', 'timeout')`);
  return Number(r.rows[0]![0]);
}

/** Polls `probe` every `everyMs` until it returns true; throws after `timeoutMs`. */
export async function until(probe: () => Promise<boolean> | boolean, timeoutMs: number, what: string, everyMs = 100): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    try {
      if (await probe()) return;
    } catch {
      // not yet
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
