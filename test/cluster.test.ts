import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openClickHouseStore, type MetricsStore } from '@credo/store';
import { startService } from '@credo/testing';
import { eventually, startCluster, type Cluster } from './cluster-helpers.js';

// 5 rules/lrs × 100 seeds = 500 short trials: the acceptance sweep of the cluster-mode issue.
const SWEEP = (name: string, seeds: number, extra = '') => `name: ${name}
task: { name: linear-teacher, train: 64, test: 16 }
model: { name: mlp, hidden: [8], activation: tanh }
rule: [bp, fa, dfa]
optimizer: { name: sgd, lr: [0.01, 0.05] }
train: { epochs: 1, batch: 8, logEvery: 2${extra} }
seeds: ${seeds}
`;

let cluster: Cluster;
let ro: MetricsStore;

async function scalar(sql: string): Promise<number> {
  const r = await ro.query(sql);
  return Number(r.rows[0]![0]);
}

beforeAll(async () => {
  cluster = await startCluster({ workers: 3 });
  ro = await openClickHouseStore(cluster.clickhouse.storeUrl({ readonly: true }), { readOnly: true });
}, 180_000);

afterAll(async () => {
  await ro?.close();
  await cluster?.stop();
});

describe('cluster mode end to end (real NATS, ClickHouse, gRPC; separate processes)', () => {
  it('runs a 500-trial sweep exactly once and reports the same leaderboard as a local run', async () => {
    const spec = join(cluster.dir, 'e2e.yaml');
    writeFileSync(spec, SWEEP('e2e', 84));
    const sub = cluster.credo('submit', spec, '--watch');
    expect(sub.code, sub.err + sub.out).toBe(0);
    expect(sub.out).toMatch(/e2e\s+done\s+504\s+504\s+504\s+0/);
    expect(sub.err).toMatch(/\d+\/504 trials/);
    // Every trial has one final result, and the workers shared the work.
    await eventually(async () => (await scalar(`SELECT count() FROM trials FINAL WHERE sweep_id = 'e2e' AND status = 'done'`)) === 504, 120_000, 'all results ingested');
    expect(await scalar(`SELECT count() FROM trials FINAL WHERE sweep_id = 'e2e'`)).toBe(504);
    expect(await scalar(`SELECT uniqExact(worker) FROM trials FINAL WHERE sweep_id = 'e2e'`)).toBe(3);
    // Every metric point once: same count as the local (DuckDB) run of the same sweep, no duplicate keys.
    const local = cluster.credo('run', spec, '--store', join(cluster.dir, 'local.duckdb'), '--no-progress');
    expect(local.code, local.err).toBe(0);
    const localCount = cluster.credo('query', `SELECT count(*) AS n FROM metrics WHERE sweep_id = 'e2e'`, '--store', join(cluster.dir, 'local.duckdb'), '--format', 'csv');
    const expected = Number(localCount.out.split('\n')[1]);
    expect(expected).toBeGreaterThan(504 * 5);
    await eventually(async () => (await scalar(`SELECT count() FROM metrics FINAL WHERE sweep_id = 'e2e'`)) === expected, 120_000, `${expected} metric rows`);
    expect(await scalar(`SELECT count() - uniqExact(trial_key, name, step) FROM metrics FINAL WHERE sweep_id = 'e2e'`)).toBe(0);
    // The leaderboard from ClickHouse equals the local one.
    const top = cluster.credo('top', 'e2e', '--store', cluster.clickhouse.storeUrl({ readonly: true }), '--format', 'csv');
    const topLocal = cluster.credo('top', 'e2e', '--store', join(cluster.dir, 'local.duckdb'), '--format', 'csv');
    expect(top.code, top.err).toBe(0);
    expect(top.out).toBe(topLocal.out);
    expect(top.out.split('\n').length).toBeGreaterThan(6);
  }, 300_000);

  it('cancel stops a sweep within seconds; retry-failed re-runs exactly the failed trials', async () => {
    // Trials with a 50 ms limit time out (counted with the failures); the others finish.
    const spec = join(cluster.dir, 'retry.yaml');
    writeFileSync(spec, SWEEP('retry', 4, ', timeoutSec: [0.001, 0]').replace('train: 64', 'train: 20000'));
    const sub = cluster.credo('submit', spec, '--watch', '--max-attempts', '1');
    expect(sub.code).toBe(1);
    const failed = await eventually(async () => {
      const n = await scalar(`SELECT count() FROM trials FINAL WHERE sweep_id = 'retry' AND status = 'timeout'`);
      const all = await scalar(`SELECT count() FROM trials FINAL WHERE sweep_id = 'retry'`);
      return all === 48 && n;
    }, 120_000, 'retry sweep ingested');
    expect(failed).toBe(24);
    const retry = cluster.credo('retry-failed', 'retry');
    expect(retry.code, retry.err).toBe(0);
    expect(retry.err).toContain('24 failed trial(s) of retry requeued');
    const watch = cluster.credo('watch', 'retry', '--no-progress');
    expect(watch.code).toBe(1);
    await eventually(async () => (await scalar(`SELECT count() FROM trials FINAL WHERE sweep_id = 'retry' AND attempt = 2`)) === 24, 60_000, 'second attempts ingested');
    // Exactly the failed ones ran again; the done ones kept attempt 1.
    expect(await scalar(`SELECT count() FROM trials FINAL WHERE sweep_id = 'retry' AND status = 'done' AND attempt = 1`)).toBe(24);

    writeFileSync(spec, SWEEP('long', 50).replace('train: 64', 'train: 50000').replace('epochs: 1', 'epochs: 20'));
    expect(cluster.credo('submit', spec).code).toBe(0);
    await new Promise((r) => setTimeout(r, 1500));
    const t0 = Date.now();
    expect(cluster.credo('cancel', 'long').code).toBe(0);
    const st = await eventually(async () => {
      const r = cluster.credo('status', 'long', '--format', 'json');
      const s = JSON.parse(r.out.trim()) as { state: string; dispatched: number; done: number; cancelled: number; failed: number };
      return s.state === 'cancelled' && s.cancelled > 0 ? s : undefined;
    }, 20_000, 'cancelled trials reported');
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(st.done).toBeLessThan(300);
    // Nothing of the sweep runs any more: the finished count stops moving.
    const settled = JSON.parse(cluster.credo('status', 'long', '--format', 'json').out.trim()) as typeof st;
    await new Promise((r) => setTimeout(r, 3000));
    const later = JSON.parse(cluster.credo('status', 'long', '--format', 'json').out.trim()) as typeof st;
    expect(later.done + later.cancelled + later.failed).toBe(settled.done + settled.cancelled + settled.failed);
  }, 300_000);

  it('rejects bad input at the edge', async () => {
    const spec = join(cluster.dir, 'bad.yaml');
    writeFileSync(spec, SWEEP('bad', 1).replace('rule: [bp, fa, dfa]', 'rule: [bp, nope]'));
    const bad = cluster.credo('submit', spec);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/INVALID_ARGUMENT: .*rule\[1\]\.name.*"nope"/);
    const noToken = cluster.credo('list', '--token', 'wrong');
    expect(noToken.code).toBe(2);
    expect(noToken.err).toMatch(/UNAUTHENTICATED/);
    const big = join(cluster.dir, 'big.yaml');
    writeFileSync(big, SWEEP('big', 1) + `# ${'x'.repeat(5 * 1024 * 1024)}\n`);
    const tooBig = cluster.credo('submit', big);
    expect(tooBig.code).toBe(2);
    expect(tooBig.err).toMatch(/RESOURCE_EXHAUSTED/);
    // The read-only query path cannot write.
    const w = cluster.credo('query', `INSERT INTO trials (sweep_id) VALUES ('x')`, '--store', cluster.clickhouse.storeUrl({ readonly: true }));
    expect(w.code).toBe(2);
    expect(w.err).toMatch(/read-only/);
    // A worker agent with a bad CREDO_KERNELS stops at start instead of failing every trial it takes.
    const badKernels = startService('worker', ['--nats-url', cluster.nats.url, '--id', 'bad-kernels'], { CREDO_KERNELS: 'fast' });
    await badKernels.waitFor(/credo worker: error: CREDO_KERNELS: unknown kernel backend \(got "fast"\) — allowed: wasm, fma, js/);
    const child = badKernels.child;
    expect(await new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', r)))).toBe(2);
    // No secret reaches a log line.
    expect(cluster.coordinator.output()).not.toContain(cluster.token);
    expect(cluster.ingester.output()).not.toContain(cluster.clickhouse.users.admin.password);
    for (const wk of cluster.workers) expect(wk.output()).not.toContain(cluster.token);
  }, 120_000);
});
