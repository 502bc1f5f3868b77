import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredoError, hashKey, type MetricPoint, type ParamValue, type TrialStatus } from '@credo/core';
import {
  escapeString,
  leaderboard,
  openClickHouseStore,
  openDuckDbStore,
  sqlValue,
  type ClickHouseStore,
  type IngestBatch,
  type IngestMetric,
  type IngestTrial,
  type MetricsStore,
  type SweepRecord,
  type TrialRecord,
  MetricBuffer,
} from '@credo/store';
import { clickhouseClient, clickhouseClientInsert, startClickHouse, type ClickHouseServer } from '@credo/testing';

/*
 * The MetricsStore conformance suite: one scenario run against DuckDB (a temp file) and
 * ClickHouse 18.16 (a private server from @credo/testing), which must give identical numbers.
 * Below it, what only ClickHouse has: collapsing of re-sent rows, the read-only user, escaping
 * round trips through the real server, the ingester's batch API, an outage, and (with
 * CREDO_BENCH=1) the ingest rate. Server start-up times are printed, not asserted.
 */

let ch: ClickHouseServer;
let dir: string;
let dbCounter = 0;
/** A fresh ClickHouse database per store, so that tests do not see each other's rows. */
const freshDb = () => `t${process.pid}_${++dbCounter}`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'credo-conformance-'));
  const t0 = performance.now();
  ch = await startClickHouse();
  console.log(`clickhouse-server 18.16 ready in ${ch.startupMs.toFixed(0)} ms (startClickHouse() total ${(performance.now() - t0).toFixed(0)} ms)`);
});

afterAll(async () => {
  await ch?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// The shared scenario

function sweepRec(id: string, count: number, name = `sweep ${id}`): SweepRecord {
  const spec = { name: id, grid: { 'rule.name': ['bp', 'fa'] }, seeds: [1, 2, 3] };
  return { id, name, description: "a sweep with a 'quote'", specHash: hashKey(spec), spec, count };
}

function trialRec(index: number, params: Record<string, ParamValue>): TrialRecord {
  const { seed, ...rest } = params;
  return { key: hashKey(params), configKey: hashKey(rest), index, config: { rule: { name: params['rule.name'] }, seed }, params };
}

function pts(name: string, values: readonly number[], firstStep = 0): MetricPoint[] {
  return values.map((value, i) => ({ name, step: firstStep + i, value, time: 1_700_000_000_000 + (firstStep + i) * 1000 }));
}

async function rejection(p: Promise<unknown>): Promise<CredoError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof CredoError) return e;
    throw e;
  }
  throw new Error('expected a CredoError, but the call succeeded');
}

const TRIALS = [
  trialRec(0, { 'rule.name': 'bp', 'optimizer.lr': 0.1, seed: 1 }),
  trialRec(1, { 'rule.name': 'bp', 'optimizer.lr': 0.1, seed: 2 }),
  trialRec(2, { 'rule.name': 'bp', 'optimizer.lr': 0.1, seed: 3 }),
  trialRec(3, { 'rule.name': 'fa', 'optimizer.lr': 0.1, seed: 1 }),
  trialRec(4, { 'rule.name': 'fa', 'optimizer.lr': 0.1, seed: 2 }),
  trialRec(5, { 'rule.name': 'fa', 'optimizer.lr': 0.1, seed: 3 }),
  trialRec(6, { 'rule.name': 'fa', 'optimizer.lr': 0.1, seed: 4 }),
];

/**
 * Runs the scenario and returns everything a user can read back, times removed. Each step
 * mirrors something the runner or the cluster does.
 */
async function scenario(store: MetricsStore): Promise<Record<string, unknown>> {
  const [t0, t1, t2, t3, t4, t5] = TRIALS as [TrialRecord, TrialRecord, TrialRecord, TrialRecord, TrialRecord, TrialRecord];
  await store.upsertSweep(sweepRec('conf', 8));
  const created = (await store.getSweep('conf'))!.createdAt;
  await new Promise((r) => setTimeout(r, 10));
  // An edited spec re-run under the same id: new name/count, same creation time.
  await store.upsertSweep(sweepRec('conf', 7, 'conformance'));
  const sweep = (await store.getSweep('conf'))!;
  expect(sweep.createdAt).toBe(created);
  expect(sweep.updatedAt >= created).toBe(true);

  // t0: done; one batch re-sent (at-least-once delivery).
  const a0 = await store.startTrial('conf', t0);
  const batch0 = pts('loss', [1.0, 0.5, 0.25]);
  await store.appendMetrics('conf', t0.key, a0, batch0);
  await store.appendMetrics('conf', t0.key, a0, batch0);
  await store.appendMetrics('conf', t0.key, a0, pts('acc', [0.5, 0.9]));
  await store.finishTrial('conf', t0.key, a0, { status: 'done', durationMs: 100 });

  // t1: NaN in the middle of the series.
  const a1 = await store.startTrial('conf', t1);
  await store.appendMetrics('conf', t1.key, a1, pts('loss', [0.9, NaN, 0.3]));
  await store.appendMetrics('conf', t1.key, a1, pts('acc', [0.4, 0.8]));
  await store.finishTrial('conf', t1.key, a1, { status: 'done', durationMs: 110 });

  // t2: attempt 1 crashes after 5 points; attempt 2 wins with 2 points. Late points and a late
  // outcome of attempt 1 are ignored.
  const a2a = await store.startTrial('conf', t2);
  await store.appendMetrics('conf', t2.key, a2a, pts('loss', [5, 5, 5, 5, 5]));
  await (store as { flushMetrics?: () => Promise<void> }).flushMetrics?.();
  const a2b = await store.startTrial('conf', t2);
  expect([a2a, a2b]).toEqual([1, 2]);
  await store.appendMetrics('conf', t2.key, a2a, pts('loss', [7, 7, 7, 7, 7, 7, 7]));
  await store.appendMetrics('conf', t2.key, a2b, pts('loss', [0.8, 0.4]));
  await store.appendMetrics('conf', t2.key, a2b, pts('acc', [0.7]));
  await store.finishTrial('conf', t2.key, a2a, { status: 'failed', error: 'late', durationMs: 1 });
  await store.finishTrial('conf', t2.key, a2b, { status: 'done', durationMs: 120 });

  // t3: -Infinity (min), +Infinity never last.
  const a3 = await store.startTrial('conf', t3);
  await store.appendMetrics('conf', t3.key, a3, pts('loss', [2, -Infinity, Infinity, 1.5]));
  await store.appendMetrics('conf', t3.key, a3, pts('acc', [0.6]));
  await store.finishTrial('conf', t3.key, a3, { status: 'done', durationMs: 130 });

  // t4: diverged, last value NaN.
  const a4 = await store.startTrial('conf', t4);
  await store.appendMetrics('conf', t4.key, a4, pts('loss', [3, NaN]));
  await store.finishTrial('conf', t4.key, a4, { status: 'diverged', error: 'loss is NaN', durationMs: 40 });

  // t5: the runner dies while it runs; markInterrupted cancels it; a late outcome of the same
  // attempt still lands (as in the DuckDB adapter), then it is run again and fails.
  const a5 = await store.startTrial('conf', t5);
  await store.appendMetrics('conf', t5.key, a5, pts('loss', [9, 8]));
  expect(await store.markInterrupted('conf')).toBe(1);
  expect(await store.markInterrupted('conf')).toBe(0);
  const afterInterrupt = await store.trialCounts('conf');
  await store.finishTrial('conf', t5.key, a5, { status: 'timeout', durationMs: 50 });
  const afterLateOutcome = await store.trialCounts('conf');
  const a5b = await store.startTrial('conf', t5);
  await store.appendMetrics('conf', t5.key, a5b, pts('loss', [1.1]));
  await store.finishTrial('conf', t5.key, a5b, { status: 'failed', error: "bad\tthing's\nhappened \\ 🎉", durationMs: 60 });

  // A second sweep, newer: listSweeps puts it first.
  await new Promise((r) => setTimeout(r, 10));
  await store.upsertSweep(sweepRec('conf-b', 2));

  const errors = {
    unknownSweepCounts: (await rejection(store.trialCounts('nope'))).code,
    unknownSweepStart: (await rejection(store.startTrial('nope', t0))).code,
    neverStarted: (await rejection(store.appendMetrics('conf', 'no-such-trial', 1, pts('loss', [1])))).code,
    badPoint: (await rejection(store.appendMetrics('conf', t0.key, a0, [{ name: '', step: 0, value: 1, time: 0 }]))).code,
    badStep: (await rejection(store.appendMetrics('conf', t0.key, a0, [{ name: 'x', step: 1.5, value: 1, time: 0 }]))).code,
  };

  const completed = [...(await store.completedKeys('conf'))].sort();
  const final: Record<string, unknown> = {};
  for (const metric of ['loss', 'acc']) {
    for (const mode of ['last', 'min', 'max'] as const) {
      final[`${metric}/${mode}`] = await store.finalValues('conf', metric, mode);
      final[`${metric}/${mode}/+diverged`] = (await store.finalValues('conf', metric, mode, { statuses: ['done', 'diverged'] })).map((f) => [f.trialKey, f.value]);
    }
  }
  final['loss/last/failed'] = await store.finalValues('conf', 'loss', 'last', { statuses: ['failed'] });
  const lastWithDiverged = await store.finalValues('conf', 'loss', 'last', { statuses: ['done', 'diverged'] });
  const board = leaderboard(lastWithDiverged, { order: 'asc' });
  const boardAcc = leaderboard(await store.finalValues('conf', 'acc', 'max'), { order: 'desc', by: ['rule.name'] });
  const sweeps = (await store.listSweeps()).map(({ createdAt: _c, updatedAt: _u, ...rest }) => rest);
  const { createdAt: _c, updatedAt: _u, ...storedSweep } = sweep;
  return {
    storedSweep,
    counts: await store.trialCounts('conf'),
    countsB: await store.trialCounts('conf-b'),
    afterInterrupt,
    afterLateOutcome,
    completed,
    final,
    board,
    boardAcc,
    sweeps,
    errors,
    oneRow: (await store.query('SELECT 1 + 1 AS two')).rows,
  };
}

const WRITES = [
  "INSERT INTO metrics VALUES ('s', 't', 1, 'n', 0, 1.0, now())",
  'DROP TABLE trials',
  'CREATE TABLE x (a INTEGER)',
  'DELETE FROM trials',
  '  /* sneaky */ INSERT INTO sweeps SELECT * FROM sweeps',
];

describe('MetricsStore conformance: DuckDB and ClickHouse give the same answers', () => {
  const results: Record<string, Record<string, unknown>> = {};

  it('DuckDB runs the scenario', async () => {
    const store = await openDuckDbStore(join(dir, 'conformance.duckdb'));
    try {
      results['duckdb'] = await scenario(store);
      for (const w of WRITES) expect((await rejection(store.query(w))).code, w).toBe('QUERY_READONLY');
    } finally {
      await store.close();
    }
  });

  it('ClickHouse runs the scenario', async () => {
    const store = await openClickHouseStore(ch.storeUrl({ database: freshDb() }));
    try {
      results['clickhouse'] = await scenario(store);
      for (const w of WRITES) expect((await rejection(store.query(w))).code, w).toBe('QUERY_READONLY');
      // The re-sent batch of t0 collapsed: FINAL reads each (trial, name, step) once.
      const t0 = TRIALS[0]!.key;
      const { rows } = await store.query(`SELECT count() FROM metrics FINAL WHERE sweep_id = 'conf' AND trial_key = ${sqlValue(t0)} AND name = 'loss'`);
      expect(rows).toEqual([[3]]);
    } finally {
      await store.close();
    }
  });

  it('the numbers are identical, and the expected ones', () => {
    const duck = results['duckdb'];
    const click = results['clickhouse'];
    expect(duck).toBeDefined();
    expect(click).toBeDefined();
    expect(click).toEqual(duck);

    const [t0, t1, t2, t3, t4, t5] = TRIALS.map((t) => t.key);
    const r = duck!;
    expect(r['counts']).toEqual({ pending: 1, running: 0, done: 4, failed: 1, diverged: 1, cancelled: 0, timeout: 0 });
    expect(r['afterInterrupt']).toMatchObject({ running: 0, cancelled: 1 });
    expect(r['afterLateOutcome']).toMatchObject({ cancelled: 0, timeout: 1 });
    expect(r['countsB']).toEqual({ pending: 2, running: 0, done: 0, failed: 0, diverged: 0, cancelled: 0, timeout: 0 });
    expect(r['completed']).toEqual([t0, t1, t2, t3, t4].sort());
    const f = r['final'] as Record<string, Array<{ trialKey: string; value: number }> | Array<[string, number]>>;
    const byKey = (name: string) => Object.fromEntries((f[name] as Array<{ trialKey: string; value: number }>).map((x) => [x.trialKey, x.value]));
    expect(byKey('loss/last')).toEqual({ [t0!]: 0.25, [t1!]: 0.3, [t2!]: 0.4, [t3!]: 1.5 });
    expect(byKey('loss/min')).toEqual({ [t0!]: 0.25, [t1!]: 0.3, [t2!]: 0.4, [t3!]: -Infinity });
    // NaN sorts above every number: max is NaN when any point is.
    expect(byKey('loss/max')).toEqual({ [t0!]: 1, [t1!]: NaN, [t2!]: 0.8, [t3!]: Infinity });
    expect(f['loss/last/+diverged']).toEqual([[t0, 0.25], [t1, 0.3], [t2, 0.4], [t3, 1.5], [t4, NaN]]);
    expect((f['loss/last/failed'] as Array<{ trialKey: string; value: number }>).map((x) => [x.trialKey, x.value])).toEqual([[t5, 1.1]]);
    const board = r['board'] as Array<{ group: Record<string, unknown>; n: number; mean: number; diverged: number }>;
    expect(board.map((b) => [b.group['rule.name'], b.n, b.diverged])).toEqual([['bp', 3, 0], ['fa', 1, 1]]);
    expect(board[0]!.mean).toBeCloseTo((0.25 + 0.3 + 0.4) / 3, 12);
    const sweeps = r['sweeps'] as Array<{ id: string; name: string }>;
    expect(sweeps.map((s) => [s.id, s.name])).toEqual([['conf-b', 'sweep conf-b'], ['conf', 'conformance']]);
    expect(r['errors']).toEqual({ unknownSweepCounts: 'NOT_FOUND', unknownSweepStart: 'NOT_FOUND', neverStarted: 'NOT_FOUND', badPoint: 'STORE_ERROR', badStep: 'STORE_ERROR' });
    expect(r['oneRow']).toEqual([[2]]);
  });
});

// ---------------------------------------------------------------------------------------------
// ClickHouse only

async function httpAs(user: { user: string; password: string }, sql: string): Promise<{ status: number; body: string }> {
  const res = await fetch(ch.httpUrl, { method: 'POST', body: sql, headers: { 'X-ClickHouse-User': user.user, 'X-ClickHouse-Key': user.password } });
  return { status: res.status, body: await res.text() };
}

describe('ClickHouse store: read-only access', () => {
  it('the read-only user reads through query() and cannot write, not even bypassing the store', async () => {
    const db = freshDb();
    const writer = await openClickHouseStore(ch.storeUrl({ database: db }));
    await writer.upsertSweep(sweepRec('ro', 1));
    await writer.close();

    // Opened read-only as credo_ro, whose profile has readonly = 1.
    const ro = await openClickHouseStore(ch.storeUrl({ database: db, readonly: true }), { readOnly: true });
    try {
      expect((await ro.query("SELECT name FROM sweeps FINAL WHERE sweep_id = 'ro'")).rows).toEqual([['sweep ro']]);
      expect((await ro.getSweep('ro'))?.count).toBe(1);
      expect((await rejection(ro.upsertSweep(sweepRec('ro', 2)))).code).toBe('STORE_ERROR');
      expect((await rejection(ro.ingest({ sweeps: [sweepRec('x', 1)] }))).code).toBe('STORE_ERROR');
      for (const w of WRITES) expect((await rejection(ro.query(w))).code, w).toBe('QUERY_READONLY');
      // A statement the client-side check lets through still meets the server's readonly mode.
      expect((await rejection(ro.query("SELECT * FROM file('x', 'TSV', 'a String')"))).code).toBe('QUERY_READONLY');
    } finally {
      await ro.close();
    }

    // Directly over HTTP as credo_ro, no store involved: refused by the server (Code 164).
    const direct = await httpAs(ch.users.readonly, `INSERT INTO ${db}.sweeps (sweep_id) VALUES ('evil')`);
    expect(direct.status).not.toBe(200);
    expect(direct.body).toMatch(/Code: 164/);
    expect((await httpAs(ch.users.readonly, `DROP TABLE ${db}.sweeps`)).body).toMatch(/Code: 164/);
    expect((await httpAs(ch.users.admin, `SELECT count() FROM ${db}.sweeps WHERE sweep_id = 'evil'`)).body).toBe('0\n');
  });

  it('a read-write store runs query() as the configured query user', async () => {
    const db = freshDb();
    const store = await openClickHouseStore(ch.storeUrl({ database: db }), { queryUser: { username: ch.users.readonly.user, password: ch.users.readonly.password } });
    try {
      // 18.16 has no currentUser(); a query sees itself in system.processes.
      const { rows } = await store.query("SELECT user FROM system.processes WHERE query LIKE '%who-am-i%'");
      expect(rows).toEqual([['credo_ro']]);
    } finally {
      await store.close();
    }
  });

  it('opens from connection options as well as from a URL', async () => {
    const db = freshDb();
    const store = await openClickHouseStore({ url: ch.httpUrl, username: ch.users.admin.user, password: ch.users.admin.password, database: db });
    try {
      expect(store.database).toBe(db);
      expect(store.location).toBe(`clickhouse ${ch.httpUrl.replace('//', '//credo@')}/${db}`);
      expect((await store.query('SELECT currentDatabase()')).rows).toEqual([[db]]);
    } finally {
      await store.close();
    }
    expect((await rejection(openClickHouseStore({ url: ch.httpUrl, database: 'no-dashes' }))).code).toBe('STORE_ERROR');
  });

  it('read-only open of a database without a credo schema is NOT_FOUND', async () => {
    const err = await rejection(openClickHouseStore(ch.storeUrl({ database: 'nothing_here', readonly: true }), { readOnly: true }));
    expect(err.code).toBe('NOT_FOUND');
  });

  it('a failed connection names the server but never the password', async () => {
    const wrong = ch.storeUrl({ database: freshDb() }).replace(ch.users.admin.password, 'wr0ngPassw0rd');
    const e1 = await rejection(openClickHouseStore(wrong));
    expect(e1.code).toBe('STORE_ERROR');
    expect(e1.message).not.toContain('wr0ngPassw0rd');
    expect(e1.message).toMatch(/Code: 193|password/i);
    const down = `clickhouse://credo:${ch.users.admin.password}@127.0.0.1:1/credo`;
    const e2 = await rejection(openClickHouseStore(down, { requestTimeoutMs: 2000 }));
    expect(e2.code).toBe('STORE_ERROR');
    expect(e2.message).not.toContain(ch.users.admin.password);
    expect(e2.message).toContain('127.0.0.1:1');
  });

  it('an error in the middle of a streamed result fails the query instead of truncating it', async () => {
    const store = await openClickHouseStore(ch.storeUrl({ database: freshDb() }));
    try {
      const err = await rejection(store.query('SELECT number, throwIf(number = 300000) FROM system.numbers LIMIT 500000'));
      expect(err.code).toBe('QUERY_ERROR');
      expect(err.message).toMatch(/Code: 395/);
      // And a syntax error is QUERY_ERROR, a big UInt64 a string, NaN a number.
      expect((await rejection(store.query('SELEC 1'))).code).toBe('QUERY_ERROR');
      const { columns, rows } = await store.query('SELECT toUInt64(18446744073709551615) AS big, toUInt64(42) AS small, nan AS n, [inf, -inf] AS a');
      expect(columns).toEqual(['big', 'small', 'n', 'a']);
      expect(rows).toEqual([['18446744073709551615', 42, NaN, [Infinity, -Infinity]]]);
    } finally {
      await store.close();
    }
  });
});

const NASTY = [
  "O'Brien",
  'back\\slash\\',
  "\\'",
  'tab\there',
  'new\nline\r\ncrlf',
  'nul\0byte',
  'ünïcödé 日本語 🎉 \u2028',
  '"double" `back`',
  "'; DROP TABLE trials; --",
  '\\N',
  '',
  '[\'a\',\'b\']',
];

describe('ClickHouse store: escaping round-trips through the real server', () => {
  it('as SQL literals', async () => {
    const store = await openClickHouseStore(ch.storeUrl({ database: freshDb() }));
    try {
      for (const s of NASTY) {
        const { rows } = await store.query(`SELECT ${sqlValue(s)} AS s, length(s) AS n`);
        expect(rows[0]![0], JSON.stringify(s)).toBe(s);
        expect(rows[0]![1], JSON.stringify(s)).toBe(Buffer.byteLength(s));
      }
      const { rows } = await store.query(`SELECT ${sqlValue(NASTY)} AS a`);
      expect(rows[0]![0]).toEqual(NASTY);
    } finally {
      await store.close();
    }
  });

  it('as TSV fields of sweeps, trials and metrics, and through the native client', async () => {
    const store = await openClickHouseStore(ch.storeUrl({ database: freshDb() }));
    try {
      const nonEmpty = NASTY.filter((s) => s !== '');
      for (const [i, s] of nonEmpty.entries()) {
        await store.upsertSweep({ ...sweepRec(`s${i}`, 1), name: s, description: s, spec: { s } });
        const got = await store.getSweep(`s${i}`);
        expect(got?.name, JSON.stringify(s)).toBe(s);
        expect(got?.description).toBe(s);
        expect(got?.spec).toEqual({ s });
      }
      await store.upsertSweep(sweepRec('esc', 1));
      const t = trialRec(0, Object.fromEntries(nonEmpty.map((s, i) => [`p${i}.${s}`, s])));
      const a = await store.startTrial('esc', t);
      await store.appendMetrics('esc', t.key, a, nonEmpty.map((s, i) => ({ name: s, step: i, value: i, time: 1_700_000_000_000 })));
      await store.finishTrial('esc', t.key, a, { status: 'done', durationMs: 1, error: NASTY.join('|') });
      for (const s of nonEmpty) {
        const [fv] = await store.finalValues('esc', s, 'last');
        expect(fv?.value, JSON.stringify(s)).toBe(nonEmpty.indexOf(s));
        expect(fv?.params).toEqual(t.params);
      }
      const { rows } = await store.query("SELECT error, param_keys FROM trials FINAL WHERE sweep_id = 'esc'");
      expect(rows).toEqual([[NASTY.join('|'), Object.keys(t.params).sort()]]);

      // The same escaping is what the native client reads as TabSeparated.
      const tsv = nonEmpty.map((s, i) => `native\t${escapeString(s)}\t1\t${escapeString(s)}\t${i}\t${i}\t1700000000\t1700000000000\n`).join('');
      await clickhouseClientInsert(ch, `${store.database}.metrics`, 'TabSeparated', tsv);
      const back = await store.query("SELECT trial_key, name FROM metrics FINAL WHERE sweep_id = 'native' ORDER BY step");
      expect(back.rows).toEqual(nonEmpty.map((s) => [s, s]));
    } finally {
      await store.close();
    }
  });
});

function ingestTrial(t: TrialRecord, sweepId: string, attempt: number, status: TrialStatus, extra: Partial<IngestTrial> = {}): IngestTrial {
  const { key, ...rest } = t;
  return { ...rest, trialKey: key, sweepId, attempt, status, worker: 'w1', startedMs: 1_700_000_000_000, error: '', ...extra };
}

function metricRows(sweepId: string, trialKey: string, attempt: number, name: string, values: readonly number[]): IngestMetric[] {
  return values.map((value, step) => ({ sweepId, trialKey, attempt, name, step, value, timeMs: 1_700_000_000_000 + step }));
}

describe('ClickHouse store: ingest (the cluster ingester)', () => {
  it('metrics as a MetricBuffer (the ingester\'s binary path) round-trip exactly: NaN, ±Infinity, -0, 5e-324, steps up to 2^53 - 1, long and non-ASCII names', async () => {
    const store = await openClickHouseStore(ch.storeUrl({ database: freshDb() }));
    try {
      const values = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 5e-324, -1.7976931348623157e308, 0.1, 1 / 3];
      const steps = [0, 1, 127, 128, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 3, Number.MAX_SAFE_INTEGER];
      const names = ['ünïcode/✓', 'n'.repeat(300)];
      const b = new MetricBuffer();
      const sid = b.seriesId('bin', 'trial-ä', 2 ** 32 - 1);
      for (const name of names) values.forEach((v, i) => b.add(sid, name, steps[i]!, v, 1_700_000_000_000 + i));
      await store.ingest({ metrics: b });
      const r = await store.query("SELECT trial_key, attempt, name, step, hex(reinterpretAsString(value)), time_ms, toUInt32(time) FROM metrics WHERE sweep_id = 'bin' ORDER BY name, step");
      // The value's 8 bytes, little-endian, as reinterpretAsString gives them (trailing zero bytes dropped).
      const bits = (v: number): string => {
        const b = Buffer.alloc(8);
        b.writeDoubleLE(v);
        return b.toString('hex').toUpperCase().replace(/(00)+$/, '');
      };
      // Read back bit for bit (text output of NaN/-0 would hide a wrong sign or payload).
      expect(r.rows.map((x) => x.map(String))).toEqual(
        [...names].sort().flatMap((name) => values.map((v, i) => ['trial-ä', String(2 ** 32 - 1), name, String(steps[i]), bits(v), String(1_700_000_000_000 + i), String(1_700_000_000)])),
      );
      // The buffer is checked like rows: a bad point rejects the whole call and writes nothing.
      const bad = new MetricBuffer();
      bad.add(bad.seriesId('bin2', 't', 1), 'ok', 1, 1, 1);
      bad.add(bad.seriesId('bin2', 't', 1), 'ok', -1, 1, 1);
      expect((await rejection(store.ingest({ metrics: bad }))).message).toContain('step');
      expect((await store.query("SELECT count() FROM metrics WHERE sweep_id = 'bin2'")).rows).toEqual([[0]]);
    } finally {
      await store.close();
    }
  });

  it('writes sweeps, trials and metrics; the same batch twice changes nothing', async () => {
    const store = await openClickHouseStore(ch.storeUrl({ database: freshDb() }));
    try {
      const [t0, t1] = TRIALS as [TrialRecord, TrialRecord];
      const batch: IngestBatch = {
        sweeps: [{ ...sweepRec('ing', 2), createdMs: 1_700_000_000_000, updatedMs: 1_700_000_000_000 }],
        metrics: [...metricRows('ing', t0.key, 1, 'loss', [1, 0.5, NaN, 0.2]), ...metricRows('ing', t1.key, 1, 'loss', [2, 1])],
        trials: [
          ingestTrial(t0, 'ing', 1, 'done', { durationMs: 5, finishedMs: 1_700_000_001_000 }),
          // Arrives after the final status of the same attempt: must not win.
          ingestTrial(t0, 'ing', 1, 'running'),
          ingestTrial(t1, 'ing', 1, 'running'),
        ],
      };
      await store.ingest(batch);
      const first = {
        counts: await store.trialCounts('ing'),
        last: await store.finalValues('ing', 'loss', 'last', { statuses: ['done', 'running'] }),
        rows: (await store.query("SELECT count() FROM metrics FINAL WHERE sweep_id = 'ing'")).rows,
        sweep: await store.getSweep('ing'),
      };
      expect(first.counts).toMatchObject({ done: 1, running: 1, pending: 0 });
      expect(first.last.map((f) => [f.trialKey, f.value, f.status])).toEqual([[t0.key, 0.2, 'done'], [t1.key, 1, 'running']]);
      expect(first.rows).toEqual([[6]]);
      expect(first.sweep?.createdAt).toBe(new Date(1_700_000_000_000).toISOString());

      await store.ingest(batch);
      const second = {
        counts: await store.trialCounts('ing'),
        last: await store.finalValues('ing', 'loss', 'last', { statuses: ['done', 'running'] }),
        rows: (await store.query("SELECT count() FROM metrics FINAL WHERE sweep_id = 'ing'")).rows,
        sweep: await store.getSweep('ing'),
      };
      expect(second).toEqual(first);
      const worker = await store.query(`SELECT worker, duration_ms, toUInt32(finished_at), error FROM trials FINAL WHERE trial_key = ${sqlValue(t0.key)}`);
      // An empty error (protobuf's default) is stored as no error.
      expect(worker.rows).toEqual([['w1', 5, 1_700_000_001, null]]);
    } finally {
      await store.close();
    }
  });

  it('the latest attempt wins whatever the arrival order, and only its points count', async () => {
    const store = await openClickHouseStore(ch.storeUrl({ database: freshDb() }));
    try {
      const t = TRIALS[0]!;
      await store.ingest({ sweeps: [sweepRec('att', 1)] });
      // Attempt 2 (redelivered after a worker died) arrives before attempt 1's late messages.
      await store.ingest({ trials: [ingestTrial(t, 'att', 2, 'done')], metrics: metricRows('att', t.key, 2, 'loss', [0.9, 0.6]) });
      await store.ingest({ trials: [ingestTrial(t, 'att', 1, 'failed')], metrics: metricRows('att', t.key, 1, 'loss', [5, 5, 5, 5]) });
      const [last] = await store.finalValues('att', 'loss', 'last');
      const [max] = await store.finalValues('att', 'loss', 'max');
      expect([last?.value, max?.value]).toEqual([0.6, 0.9]);
      expect(await store.trialCounts('att')).toMatchObject({ done: 1, failed: 0 });
      expect((await store.query("SELECT attempt FROM trials FINAL WHERE sweep_id = 'att'")).rows).toEqual([[2]]);
    } finally {
      await store.close();
    }
  });

  it('refuses a batch with a bad row and writes nothing', async () => {
    const store = await openClickHouseStore(ch.storeUrl({ database: freshDb() }));
    try {
      const t = TRIALS[0]!;
      const good = metricRows('bad', t.key, 1, 'loss', [1, 2]);
      for (const badBatch of [
        { sweeps: [sweepRec('bad', 1)], metrics: [...good, { ...good[0]!, step: -1 }] },
        { sweeps: [sweepRec('bad', 1)], metrics: [...good, { ...good[0]!, timeMs: NaN }] },
        { sweeps: [sweepRec('bad', 1)], trials: [ingestTrial(t, 'bad', 0, 'done')] },
        { sweeps: [sweepRec('bad', 1)], trials: [ingestTrial(t, 'bad', 1, 'exploded' as TrialStatus)] },
        { sweeps: [{ ...sweepRec('bad', 1), count: -1 }], metrics: good },
      ] as IngestBatch[]) {
        const err = await rejection(store.ingest(badBatch));
        expect(err.code).toBe('STORE_ERROR');
      }
      expect((await store.query('SELECT (SELECT count() FROM sweeps) + (SELECT count() FROM trials) + (SELECT count() FROM metrics)')).rows).toEqual([[0]]);
    } finally {
      await store.close();
    }
  });

  it('a schema migration is idempotent: opening twice keeps one schema_version row', async () => {
    const db = freshDb();
    await (await openClickHouseStore(ch.storeUrl({ database: db }))).close();
    const store = await openClickHouseStore(ch.storeUrl({ database: db }));
    try {
      expect((await store.query('SELECT version FROM schema_version ORDER BY version')).rows).toEqual([[1], [2]]);
    } finally {
      await store.close();
    }
  });
});

describe('ClickHouse store: the server goes away', () => {
  it('a flush that fails keeps its rows, and they land once the server is back', async () => {
    const store = await openClickHouseStore(ch.storeUrl({ database: freshDb() }), { requestTimeoutMs: 5000 });
    try {
      const t = TRIALS[0]!;
      await store.upsertSweep(sweepRec('down', 1));
      const a = await store.startTrial('down', t);
      await store.appendMetrics('down', t.key, a, pts('loss', [3, 2]));
      await ch.kill('SIGKILL');
      try {
        const err = await rejection(store.flushMetrics());
        expect(err.code).toBe('STORE_ERROR');
        expect(err.message).not.toContain(ch.users.admin.password);
        await store.appendMetrics('down', t.key, a, pts('loss', [1], 2));
        expect((await rejection(store.finishTrial('down', t.key, a, { status: 'done', durationMs: 1 }))).code).toBe('STORE_ERROR');
      } finally {
        await ch.start();
      }
      await store.finishTrial('down', t.key, a, { status: 'done', durationMs: 1 });
      const [last] = await store.finalValues('down', 'loss', 'last');
      expect(last?.value).toBe(1);
      expect((await store.query("SELECT count() FROM metrics FINAL WHERE sweep_id = 'down'")).rows).toEqual([[3]]);
    } finally {
      await store.close();
    }
  });
});

describe.runIf(process.env['CREDO_BENCH'] === '1')('ClickHouse ingest rate (CREDO_BENCH=1)', () => {
  it('1M metric rows: ingest() vs native clickhouse-client', { timeout: 300_000 }, async () => {
    const N = 1_000_000;
    const store = await openClickHouseStore(ch.storeUrl({ database: freshDb() }));
    try {
      const rows: IngestMetric[] = new Array(N);
      const names = ['train/loss', 'test/error', 'angle/fa_bp/h1', 'train/acc'];
      for (let i = 0; i < N; i++) {
        const trial = i >> 12;
        rows[i] = { sweepId: 'bench', trialKey: `trial-${trial}`, attempt: 1, name: names[i & 3]!, step: (i & 4095) >> 2, value: Math.sin(i), timeMs: 1_700_000_000_000 + i };
      }
      const t0 = performance.now();
      await store.ingest({ metrics: rows });
      const ingestMs = performance.now() - t0;

      // The same rows for the native client, all eight columns (time as 10-digit unix seconds), under other trial keys.
      const tsv = rows
        .map((r) => `${r.sweepId}\tn-${r.trialKey}\t${r.attempt}\t${r.name}\t${r.step}\t${r.value}\t${Math.floor(r.timeMs / 1000)}\t${r.timeMs}\n`)
        .join('');
      const nativeMs = await clickhouseClientInsert(ch, `${store.database}.metrics`, 'TabSeparated', tsv);
      const count = (await store.query("SELECT count() FROM metrics WHERE sweep_id = 'bench'")).rows[0]![0];
      console.log(
        `1M metric rows: ingest() ${ingestMs.toFixed(0)} ms = ${Math.round(N / (ingestMs / 1000)).toLocaleString('en')} rows/s; ` +
          `native clickhouse-client TSV ${nativeMs.toFixed(0)} ms = ${Math.round(N / (nativeMs / 1000)).toLocaleString('en')} rows/s ` +
          `(rows stored ${String(count)}, TSV ${(tsv.length / 1e6).toFixed(0)} MB)`,
      );

      // The local runner's path: appendMetrics in batches of 1000, buffered, inserted every 100k rows.
      await store.upsertSweep(sweepRec('bench-append', 1));
      const t = TRIALS[0]!;
      const a = await store.startTrial('bench-append', t);
      const batches: MetricPoint[][] = [];
      for (let o = 0; o < N; o += 1000) batches.push(Array.from({ length: 1000 }, (_, j) => ({ name: names[(o + j) & 3]!, step: o + j, value: Math.sin(o + j), time: 1_700_000_000_000 + o + j })));
      const t1 = performance.now();
      for (const b of batches) await store.appendMetrics('bench-append', t.key, a, b);
      await store.finishTrial('bench-append', t.key, a, { status: 'done', durationMs: 1 });
      const appendMs = performance.now() - t1;
      console.log(`1M metric rows: appendMetrics() (1000-point batches, flushRows 100k) ${appendMs.toFixed(0)} ms = ${Math.round(N / (appendMs / 1000)).toLocaleString('en')} rows/s`);
      expect((await store.query("SELECT count() FROM metrics WHERE sweep_id = 'bench-append'")).rows).toEqual([[N]]);
      await clickhouseClient(ch, 'SELECT 1');
    } finally {
      await store.close();
    }
  });
});
