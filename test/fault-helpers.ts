import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectCoordinator } from '@credo/client';
import { connectNats, TOPOLOGY, TrialResultCodec, type CoordinatorClient, type SweepStatus, type TrialResult } from '@credo/proto';
import { openClickHouseStore, type MetricsStore } from '@credo/store';
import { DeliverPolicy } from '@nats-io/jetstream';
import { afterAll, beforeAll } from 'vitest';
import { startCluster, type Cluster } from './cluster-helpers.js';

/*
 * What the fault tests and the soak share: the cluster set-up, sweep files, the exactly-once
 * check read straight from ClickHouse, the TrialResult messages in the RESULTS stream, the trial
 * count of the TRIALS work queue, process memory and a worker agent's in-flight gauge.
 */

export interface SweepShape {
  readonly name: string;
  readonly seeds: number;
  /** Training examples per trial; 2000 ≈ 50 ms of training (250 steps of batch 8). */
  readonly train?: number;
  /** Test examples; default 100. */
  readonly test?: number;
  readonly rules?: readonly string[];
  /** Hidden-layer width, or several: an axis of the grid. */
  readonly hidden?: number | readonly number[];
  readonly logEvery?: number;
  /** Extra model alternatives (YAML flow mappings), each crossed with rules and seeds. */
  readonly extraModels?: readonly string[];
}

/** A small linear-teacher sweep: 2 rules × `seeds` trials of ~50 ms and 100–200 metric points each. */
export function sweepYaml(s: SweepShape): string {
  const h = s.hidden ?? 16;
  const model = `{ name: mlp, hidden: ${typeof h === 'number' ? `[${h}]` : `[${h.map((x) => `[${x}]`).join(', ')}]`} }`;
  const models = s.extraModels?.length ? `[${[model, ...s.extraModels].join(', ')}]` : model;
  return `name: ${s.name}
task: { name: linear-teacher, train: ${s.train ?? 2000}, test: ${s.test ?? 100} }
model: ${models}
rule: [${(s.rules ?? ['bp', 'fa']).join(', ')}]
optimizer: { name: sgd, lr: 0.01 }
train: { epochs: 1, batch: 8, logEvery: ${s.logEvery ?? 10} }
seeds: ${s.seeds}
`;
}

/**
 * Metric points per trial configuration (config_key: the trial's hash without its seed), from a
 * local DuckDB run (`credo run --store X.duckdb`) of the same sweep with one seed: on these
 * tasks the number of points does not depend on the seed, so the cluster's count for every
 * trial can be checked against it.
 */
export function localPointsPerConfig(cluster: Cluster, shape: SweepShape): Map<string, number> {
  const name = `${shape.name}-local`;
  const spec = join(cluster.dir, `${name}.yaml`);
  writeFileSync(spec, sweepYaml({ ...shape, name, seeds: 1, extraModels: [] }));
  const store = join(cluster.dir, `${name}.duckdb`);
  const run = cluster.credo('run', spec, '--store', store, '--no-progress', '--workers', '1');
  if (run.code !== 0) throw new Error(`local run failed: ${run.err}`);
  const q = cluster.credo('query', `SELECT t.config_key, count(*) AS n FROM metrics m JOIN trials t USING (sweep_id, trial_key) WHERE t.status = 'done' GROUP BY t.config_key`, '--store', store, '--format', 'csv');
  if (q.code !== 0) throw new Error(`local query failed: ${q.err}`);
  const out = new Map<string, number>();
  for (const line of q.out.trim().split('\n').slice(1)) {
    const [k, n] = line.split(',');
    out.set(k!, Number(n));
  }
  const configs = (shape.rules ?? ['bp', 'fa']).length * (typeof shape.hidden === 'object' ? shape.hidden.length : 1);
  if (out.size !== configs) throw new Error(`local run: expected one config per rule, got ${q.out}`);
  return out;
}

export interface ExactlyOnceReport {
  readonly trials: number;
  /** Final status → trials. */
  readonly statuses: Record<string, number>;
  /** Final attempt number → trials. */
  readonly attempts: Record<string, number>;
  /** Metric rows after FINAL, and physically stored rows (re-sent points not yet merged away). */
  readonly points: number;
  readonly storedRows: number;
  readonly workers: number;
}

/**
 * The check every fault test ends with, read straight from ClickHouse:
 * - `trials FINAL` holds exactly `total` trials of the sweep, each with a final status: `done`
 *   for the configs in `pointsPerConfig`, `failed` for every other config;
 * - every `done` trial has exactly the local run's number of metric points at its final attempt
 *   and none left from any other attempt (after FINAL), and no (trial, name, step) appears twice.
 */
export async function checkExactlyOnce(ro: MetricsStore, sweepId: string, total: number, pointsPerConfig: ReadonlyMap<string, number>, timeoutMs = 150_000): Promise<ExactlyOnceReport> {
  // The ingester drains METRICS and RESULTS independently, so a trial's final row may land
  // before its last points; and messages in flight when NATS died come back only after their
  // ack wait (60 s for the ingester). Retry until the tables agree, or report what is wrong.
  const t0 = Date.now();
  for (;;) {
    const r = await checkOnce(ro, sweepId, total, pointsPerConfig);
    if (!('problems' in r)) {
      if (Date.now() - t0 > 2000) console.log(`[check] ${sweepId}: ClickHouse agreed after ${Date.now() - t0} ms of retries`);
      return r;
    }
    if (process.env['CREDO_DEBUG_CHECK']) console.log(`[check] ${sweepId} +${Date.now() - t0} ms: ${r.problems.length} problems, e.g. ${r.problems.slice(0, 3).join('; ')}`);
    if (Date.now() - t0 > timeoutMs) throw new Error(`exactly-once check of ${sweepId} failed (${r.problems.length} problems):\n  ${r.problems.slice(0, 20).join('\n  ')}`);
    await sleep(1000);
  }
}

async function checkOnce(ro: MetricsStore, sweepId: string, total: number, pointsPerConfig: ReadonlyMap<string, number>): Promise<ExactlyOnceReport | { problems: string[] }> {
  const problems: string[] = [];
  const trials = (await ro.query(`SELECT trial_key, config_key, status, attempt, worker FROM trials FINAL WHERE sweep_id = '${sweepId}'`)).rows;
  const keys = new Set(trials.map((r) => String(r[0])));
  if (trials.length !== total) problems.push(`trials FINAL has ${trials.length} rows, expected ${total}`);
  if (keys.size !== trials.length) problems.push(`trials FINAL has ${trials.length - keys.size} duplicate trial keys`);
  const statuses: Record<string, number> = {};
  const attempts: Record<string, number> = {};
  const finalAttempt = new Map<string, { attempt: number; expected: number | undefined }>();
  for (const [key, config, status, attempt] of trials) {
    const expected = pointsPerConfig.get(String(config));
    const want = expected === undefined ? 'failed' : 'done';
    statuses[String(status)] = (statuses[String(status)] ?? 0) + 1;
    attempts[String(attempt)] = (attempts[String(attempt)] ?? 0) + 1;
    if (status !== want) problems.push(`trial ${key}: status ${String(status)}, expected ${want}`);
    finalAttempt.set(String(key), { attempt: Number(attempt), expected });
  }
  const perAttempt = (await ro.query(`SELECT trial_key, attempt, count() AS n, uniqExact(name, step) AS u FROM metrics FINAL WHERE sweep_id = '${sweepId}' GROUP BY trial_key, attempt`)).rows;
  const atFinal = new Map<string, number>();
  let points = 0;
  for (const [key, attempt, n, u] of perAttempt) {
    points += Number(n);
    const t = finalAttempt.get(String(key));
    if (!t) {
      problems.push(`metrics of trial ${String(key)}, which has no trial row`);
      continue;
    }
    if (Number(n) !== Number(u)) problems.push(`trial ${String(key)} attempt ${String(attempt)}: ${Number(n) - Number(u)} duplicate points after FINAL`);
    if (Number(attempt) === t.attempt) atFinal.set(String(key), Number(n));
    else if (t.expected !== undefined) problems.push(`trial ${String(key)}: ${String(n)} points of attempt ${String(attempt)} survive beside final attempt ${t.attempt}`);
  }
  for (const [key, t] of finalAttempt) {
    if (t.expected !== undefined && (atFinal.get(key) ?? 0) !== t.expected) problems.push(`trial ${key}: ${atFinal.get(key) ?? 0} points at its final attempt ${t.attempt}, expected ${t.expected}`);
  }
  const dup = Number((await ro.query(`SELECT count() - uniqExact(trial_key, name, step) FROM metrics FINAL WHERE sweep_id = '${sweepId}'`)).rows[0]![0]);
  if (dup !== 0) problems.push(`${dup} duplicate (trial, name, step) rows after FINAL`);
  const storedRows = Number((await ro.query(`SELECT count() FROM metrics WHERE sweep_id = '${sweepId}'`)).rows[0]![0]);
  if (problems.length) return { problems };
  return { trials: trials.length, statuses, attempts, points, storedRows, workers: new Set(trials.map((r) => String(r[4]))).size };
}

/** Waits until ClickHouse holds a final row for every trial of the sweep (the ingester may lag the coordinator). */
export async function waitIngested(ro: MetricsStore, sweepId: string, total: number, timeoutMs = 180_000): Promise<void> {
  const t0 = Date.now();
  let last = -1;
  for (;;) {
    try {
      const r = await ro.query(`SELECT count() FROM trials FINAL WHERE sweep_id = '${sweepId}' AND status IN ('done', 'failed', 'diverged', 'cancelled', 'timeout')`);
      last = Number(r.rows[0]![0]);
      if (process.env['CREDO_DEBUG_CHECK']) console.log(`[ingested] ${sweepId} +${Date.now() - t0} ms: ${last}/${total}`);
      if (last >= total) return;
    } catch {
      // ClickHouse may be coming back
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`only ${last}/${total} final trials of ${sweepId} in ClickHouse after ${timeoutMs} ms`);
    await sleep(500);
  }
}

/** Every TrialResult of the sweep in the RESULTS stream (an ordered consumer reads the whole stream). */
export async function resultsInStream(natsUrl: string, sweepId: string): Promise<TrialResult[]> {
  const h = await connectNats({ url: natsUrl, name: 'credo-test-reader' });
  try {
    const last = (await h.jsm.streams.info(TOPOLOGY.resultsStream)).state.last_seq;
    const out: TrialResult[] = [];
    if (last === 0) return out;
    const c = await h.js.consumers.get(TOPOLOGY.resultsStream, { deliver_policy: DeliverPolicy.All });
    const it = await c.consume({ max_messages: 5000 });
    for await (const m of it) {
      const r = TrialResultCodec.decode(m.data);
      if (r.sweepId === sweepId) out.push(r);
      if (m.seq >= last) break;
    }
    return out;
  } finally {
    await h.nc.close();
  }
}

/** Per trial: how many TrialResult messages, how many of them final, and the attempts seen. */
export function resultsPerTrial(results: readonly TrialResult[]): Map<string, { results: number; finals: number; attempts: number[]; workers: string[] }> {
  const out = new Map<string, { results: number; finals: number; attempts: number[]; workers: string[] }>();
  for (const r of results) {
    const e = out.get(r.trialKey) ?? { results: 0, finals: 0, attempts: [], workers: [] };
    e.results++;
    if (r.final) e.finals++;
    e.attempts.push(r.attempt);
    e.workers.push(r.worker);
    out.set(r.trialKey, e);
  }
  return out;
}

/** Messages ever stored in the TRIALS work queue (its last sequence): duplicates dropped by message id do not count. */
export async function trialsPublished(natsUrl: string): Promise<number> {
  const h = await connectNats({ url: natsUrl, name: 'credo-test-reader' });
  try {
    return (await h.jsm.streams.info(TOPOLOGY.trialsStream)).state.last_seq;
  } finally {
    await h.nc.close();
  }
}

/** What a fault or soak test file shares: its cluster, a read-only store on its ClickHouse, a client of its coordinator. */
export interface SharedCluster {
  cluster: Cluster;
  ro: MetricsStore;
  client: CoordinatorClient;
}

/**
 * Registers the calling test file's beforeAll and afterAll: a cluster with no worker agents (each
 * test starts its own), a read-only store on its ClickHouse and a coordinator client, handed to
 * `use` once started; all stopped after the file's last test.
 */
export function useSharedCluster(coordinatorArgs: readonly string[], use: (shared: SharedCluster) => void): void {
  let shared: Partial<SharedCluster> = {};
  beforeAll(async () => {
    const cluster = await startCluster({ workers: 0, coordinatorArgs });
    shared = { cluster };
    shared.ro = await openClickHouseStore(cluster.clickhouse.storeUrl({ readonly: true }), { readOnly: true });
    shared.client = coordinatorClient(cluster);
    use(shared as SharedCluster);
  }, 180_000);
  afterAll(async () => {
    shared.client?.close();
    await shared.ro?.close();
    await shared.cluster?.stop();
  });
}

/** A coordinator client for the cluster (the address may be another coordinator's). */
export function coordinatorClient(cluster: Cluster, address = cluster.address): CoordinatorClient {
  return connectCoordinator({ address, token: cluster.token });
}

/** The sweep's status, or undefined while the coordinator does not answer (it may be restarting). */
export async function statusOf(client: CoordinatorClient, sweepId: string): Promise<SweepStatus | undefined> {
  try {
    return await client.getSweep({ sweepId }, { deadline: Date.now() + 5000 });
  } catch {
    return undefined;
  }
}

export function finishedOf(s: SweepStatus): number {
  return s.done + s.failed + s.diverged + s.cancelled + s.timeout;
}

/** `credo_agent_trials_running` of a worker agent started with `--metrics-port`: trials it holds (running or queued in its pool). */
export async function agentHolding(metricsPort: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  const text = await res.text();
  const m = /^credo_agent_trials_running(?:\{[^}]*\})?\s+(\d+)/m.exec(text);
  return m ? Number(m[1]) : 0;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
