import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricPoint } from '@credo/core';
import { DuckDBInstance } from '@duckdb/node-api';
import { openDuckDbStore, SCHEMA_VERSION, type DuckDbStore } from '@credo/store';
import { points, rejection, sweep, tempDir, trial } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let n = 0;
/** A new store file per test, so that tests do not see each other's rows. */
const fresh = (opts: { flushRows?: number } = {}): Promise<DuckDbStore> => openDuckDbStore(join(dir, `s${++n}.duckdb`), opts);

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterAll(async () => {
  await cleanup();
});

async function count(store: DuckDbStore, sql: string): Promise<number> {
  const r = await store.query(sql);
  return r.rows[0]![0] as number;
}

describe('DuckDB store: round trip', () => {
  it('stores a sweep and reads it back, updating spec and count on re-upsert but keeping createdAt', async () => {
    const store = await fresh();
    try {
      const s = sweep('rt', 4);
      await store.upsertSweep(s);
      const got = await store.getSweep('rt');
      expect(got).toMatchObject({ id: 'rt', name: 'sweep rt', description: 'a test sweep', specHash: s.specHash, spec: s.spec, count: 4 });
      expect(Date.parse(got!.createdAt)).toBeGreaterThan(Date.now() - 60_000);
      await new Promise((r) => setTimeout(r, 5));
      await store.upsertSweep({ ...s, specHash: 'edited', spec: { edited: true }, count: 6, description: undefined });
      const again = await store.getSweep('rt');
      expect(again).toMatchObject({ specHash: 'edited', spec: { edited: true }, count: 6, createdAt: got!.createdAt });
      expect(again!.description).toBeUndefined();
      expect(again!.updatedAt > got!.updatedAt).toBe(true);
      expect(await store.getSweep('nope')).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it('round-trips trials and metrics, NaN and ±Infinity included, across a reopen', async () => {
    const path = join(dir, 'roundtrip.duckdb');
    const t = trial(0, { 'rule.name': 'fa', 'optimizer.lr': 0.05, 'model.hidden': [64, 32], 'task.flip': true, seed: 7 });
    const pts: MetricPoint[] = [
      { name: 'train/loss', step: 0, value: 2.5, time: 1_700_000_000_123 },
      { name: 'train/loss', step: 10, value: NaN, time: 1_700_000_000_456 },
      { name: 'train/loss', step: 20, value: Infinity, time: 1_700_000_000_789 },
      { name: 'train/loss', step: 30, value: -Infinity, time: 1_700_000_001_000 },
      { name: 'test/error', step: 30, value: 0.125, time: 1_700_000_001_000 },
      { name: 'angle/fa_bp/h1', step: 2 ** 40, value: -0, time: 1_700_000_001_001 },
    ];
    let store = await openDuckDbStore(path);
    await store.upsertSweep(sweep('rt2'));
    const attempt = await store.startTrial('rt2', t);
    expect(attempt).toBe(1);
    await store.appendMetrics('rt2', t.key, attempt, pts);
    await store.finishTrial('rt2', t.key, attempt, { status: 'done', durationMs: 1234.5 });
    await store.close();

    store = await openDuckDbStore(path, { readOnly: true });
    try {
      const m = await store.query(`SELECT name, step, value, epoch_ms(time) AS ms FROM metrics ORDER BY time, name`);
      expect(m.columns).toEqual(['name', 'step', 'value', 'ms']);
      expect(m.rows).toEqual(pts.map((p) => [p.name, p.step, p.value, p.time]).sort((a, b) => (a[3] as number) - (b[3] as number) || String(a[0]).localeCompare(String(b[0]))));
      const tr = await store.query(
        `SELECT trial_key, config_key, trial_index, status, attempt, seed, duration_ms, param_keys, param_values, params_json, config_json, error FROM trials`,
      );
      expect(tr.rows).toHaveLength(1);
      const [key, configKey, index, status, att, seed, duration, keys, values, paramsJson, configJson, error] = tr.rows[0]!;
      expect({ key, configKey, index, status, att, seed, duration, error }).toEqual({
        key: t.key, configKey: t.configKey, index: 0, status: 'done', att: 1, seed: 7, duration: 1234.5, error: null,
      });
      expect(keys).toEqual(['model.hidden', 'optimizer.lr', 'rule.name', 'seed', 'task.flip']);
      expect(values).toEqual(['[64,32]', '0.05', '"fa"', '7', 'true']);
      expect(JSON.parse(paramsJson as string)).toEqual(t.params);
      expect(JSON.parse(configJson as string)).toEqual(t.config);
      // Typed access to a parameter without parsing JSON in the client.
      const lr = await store.query(`SELECT param_values[list_position(param_keys, 'optimizer.lr')]::DOUBLE FROM trials`);
      expect(lr.rows).toEqual([[0.05]]);
    } finally {
      await store.close();
    }
  });

  it('appends 100k points in one call and reads every one back exactly', async () => {
    const store = await fresh({ flushRows: 30_000 });
    try {
      await store.upsertSweep(sweep('big', 1));
      const t = trial(0, { 'optimizer.lr': 0.1, seed: 1 });
      const a = await store.startTrial('big', t);
      const N = 100_000;
      const names = ['train/loss', 'test/error', 'angle/fa_bp/h1', 'grad/norm'];
      const pts: MetricPoint[] = Array.from({ length: N }, (_, i) => ({
        name: names[i % 4]!,
        step: Math.floor(i / 4),
        value: i % 997 === 0 ? NaN : Math.sin(i) * 10 ** ((i % 13) - 6),
        time: 1_700_000_000_000 + i,
      }));
      await store.appendMetrics('big', t.key, a, pts);
      await store.finishTrial('big', t.key, a, { status: 'done', durationMs: 1 });
      const back = await store.query(`SELECT name, step, value, epoch_ms(time) FROM metrics ORDER BY time`);
      expect(back.rows).toHaveLength(N);
      for (let i = 0; i < N; i++) {
        const [name, step, value, time] = back.rows[i]!;
        const p = pts[i]!;
        if (name !== p.name || step !== p.step || time !== p.time || !Object.is(value, p.value)) {
          throw new Error(`row ${i}: got ${JSON.stringify([name, step, value, time])}, want ${JSON.stringify(p)} (value ${p.value})`);
        }
      }
    } finally {
      await store.close();
    }
  });

  it('lists sweeps with counts by status, pending derived from the trial count', async () => {
    const store = await fresh();
    try {
      await store.upsertSweep(sweep('a', 5));
      await store.upsertSweep(sweep('b', 2));
      const t0 = trial(0, { seed: 1 });
      const t1 = trial(1, { seed: 2 });
      const t2 = trial(2, { seed: 3 });
      for (const t of [t0, t1, t2]) await store.startTrial('a', t);
      await store.finishTrial('a', t0.key, 1, { status: 'done', durationMs: 1 });
      await store.finishTrial('a', t1.key, 1, { status: 'diverged', durationMs: 1, error: 'loss is NaN at step 3' });
      const list = await store.listSweeps();
      expect(list.map((s) => s.id).sort()).toEqual(['a', 'b']);
      const a = list.find((s) => s.id === 'a')!;
      expect(a.counts).toEqual({ pending: 2, running: 1, done: 1, failed: 0, diverged: 1, cancelled: 0, timeout: 0 });
      expect(list.find((s) => s.id === 'b')!.counts.pending).toBe(2);
      expect(await store.trialCounts('a')).toEqual(a.counts);
      expect((await rejection(store.trialCounts('zzz'))).code).toBe('NOT_FOUND');
    } finally {
      await store.close();
    }
  });
});

describe('DuckDB store: attempts and resume', () => {
  it('completedKeys holds done and diverged trials; failed, cancelled and timeout ones are run again', async () => {
    const store = await fresh();
    try {
      await store.upsertSweep(sweep('r', 6));
      const statuses = ['done', 'diverged', 'failed', 'cancelled', 'timeout'] as const;
      const ts = statuses.map((_, i) => trial(i, { seed: i }));
      for (const [i, t] of ts.entries()) {
        const a = await store.startTrial('r', t);
        await store.finishTrial('r', t.key, a, { status: statuses[i]!, durationMs: 5 });
      }
      const running = trial(9, { seed: 9 });
      await store.startTrial('r', running);
      expect(await store.completedKeys('r')).toEqual(new Set([ts[0]!.key, ts[1]!.key]));
      expect(await store.completedKeys('unknown-sweep')).toEqual(new Set());
      // Re-running a failed trial makes it complete.
      const a2 = await store.startTrial('r', ts[2]!);
      expect(a2).toBe(2);
      await store.finishTrial('r', ts[2]!.key, a2, { status: 'done', durationMs: 5 });
      expect((await store.completedKeys('r')).has(ts[2]!.key)).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('a second startTrial begins attempt 2 and removes the metrics of attempt 1, buffered or written', async () => {
    const store = await fresh();
    try {
      await store.upsertSweep(sweep('att'));
      const t = trial(0, { seed: 1 });
      const a1 = await store.startTrial('att', t);
      await store.appendMetrics('att', t.key, a1, points('train/loss', [1, 2, 3]));
      await store.flushMetrics(); // written rows
      await store.appendMetrics('att', t.key, a1, points('train/loss', [4, 5], 3)); // still buffered
      const a2 = await store.startTrial('att', t);
      expect(a2).toBe(2);
      expect(await count(store, `SELECT count(*) FROM metrics`)).toBe(0);
      await store.appendMetrics('att', t.key, a2, points('train/loss', [9, 8]));
      // The superseded attempt keeps sending: ignored.
      await store.appendMetrics('att', t.key, a1, points('train/loss', [100, 100, 100]));
      const rows = await store.query(`SELECT attempt, step, value FROM metrics ORDER BY step`);
      expect(rows.rows).toEqual([[2, 0, 9], [2, 1, 8]]);
      const tr = await store.query(`SELECT attempt, status, finished_at IS NULL FROM trials`);
      expect(tr.rows).toEqual([[2, 'running', true]]);
    } finally {
      await store.close();
    }
  });

  it('finishTrial with a stale attempt changes nothing', async () => {
    const store = await fresh();
    try {
      await store.upsertSweep(sweep('stale'));
      const t = trial(0, { seed: 1 });
      const a1 = await store.startTrial('stale', t);
      const a2 = await store.startTrial('stale', t);
      await store.finishTrial('stale', t.key, a1, { status: 'failed', durationMs: 3, error: 'old worker died' });
      expect((await store.query(`SELECT status, attempt, error FROM trials`)).rows).toEqual([['running', 2, null]]);
      await store.finishTrial('stale', t.key, a2, { status: 'done', durationMs: 4 });
      await store.finishTrial('stale', t.key, a1, { status: 'failed', durationMs: 3, error: 'old worker died' });
      expect((await store.query(`SELECT status, attempt, error, duration_ms FROM trials`)).rows).toEqual([['done', 2, null, 4]]);
      // Points arriving after the outcome are not part of the result.
      await store.appendMetrics('stale', t.key, a2, points('late', [1]));
      expect(await count(store, `SELECT count(*) FROM metrics`)).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('refuses to start a trial of an unknown sweep, or to append to or finish a trial never started', async () => {
    const store = await fresh();
    try {
      expect((await rejection(store.startTrial('ghost', trial(0, { seed: 1 })))).code).toBe('NOT_FOUND');
      await store.upsertSweep(sweep('s'));
      expect((await rejection(store.appendMetrics('s', 'never', 1, points('x', [1])))).code).toBe('NOT_FOUND');
      expect((await rejection(store.finishTrial('s', 'never', 1, { status: 'done', durationMs: 1 }))).code).toBe('NOT_FOUND');
    } finally {
      await store.close();
    }
  });

  it('markInterrupted turns trials left running by a dead runner into cancelled, and resume reruns them', async () => {
    const path = join(dir, 'crash.duckdb');
    // A "runner" that starts two trials, writes some points and dies without finishing them.
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { openDuckDbStore } from '@credo/store';
         const s = await openDuckDbStore(${JSON.stringify(path)});
         await s.upsertSweep({ id: 'c', name: 'c', specHash: 'h', spec: {}, count: 3 });
         for (const k of ['k1', 'k2']) {
           const a = await s.startTrial('c', { key: k, configKey: k, index: 0, config: {}, params: { seed: 1 } });
           await s.appendMetrics('c', k, a, [{ name: 'm', step: 0, value: 1, time: Date.now() }]);
         }
         const a = await s.startTrial('c', { key: 'k3', configKey: 'k3', index: 2, config: {}, params: { seed: 1 } });
         await s.appendMetrics('c', 'k3', a, Array.from({ length: 50 }, (_, i) => ({ name: 'test/error', step: i, value: 1 / (i + 1), time: Date.now() })));
         await s.finishTrial('c', 'k3', a, { status: 'done', durationMs: 1 });
         process.kill(process.pid, 'SIGKILL');`,
      ],
      { cwd: join(import.meta.dirname, '..'), stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    const signal = await new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_code, sig) => r(sig)));
    expect(signal, stderr).toBe('SIGKILL');

    const store = await openDuckDbStore(path);
    try {
      expect(await store.trialCounts('c')).toMatchObject({ running: 2, done: 1 });
      // A trial recorded done has all its metrics on disk, even though the runner never closed the store.
      expect((await store.finalValues('c', 'test/error', 'last')).map((v) => [v.trialKey, v.value])).toEqual([['k3', 1 / 50]]);
      expect(await count(store, `SELECT count(*) FROM metrics WHERE trial_key = 'k3'`)).toBe(50);
      expect(await store.markInterrupted('c')).toBe(2);
      expect(await store.trialCounts('c')).toMatchObject({ running: 0, cancelled: 2, done: 1 });
      expect((await store.query(`SELECT DISTINCT error FROM trials WHERE status = 'cancelled'`)).rows[0]![0]).toMatch(/interrupted/);
      expect(await store.markInterrupted('c')).toBe(0);
      expect(await store.completedKeys('c')).toEqual(new Set(['k3']));
      expect(await store.startTrial('c', { key: 'k1', configKey: 'k1', index: 0, config: {}, params: { seed: 1 } })).toBe(2);
    } finally {
      await store.close();
    }
  });
});

describe('DuckDB store: buffered metrics of a long trial', () => {
  it('are written after flushIntervalMs while the trial runs, and a rerun after a crash counts them once', async () => {
    for (const flushIntervalMs of [100, 0]) {
      const path = join(dir, `live-${flushIntervalMs}.duckdb`);
      // A runner whose trial logs 10 points, then keeps running (no outcome, far below flushRows) until it is killed.
      const child = spawn(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `import { openDuckDbStore } from '@credo/store';
           const s = await openDuckDbStore(${JSON.stringify(path)}, { flushIntervalMs: ${flushIntervalMs} });
           await s.upsertSweep({ id: 'live', name: 'live', specHash: 'h', spec: {}, count: 1 });
           const a = await s.startTrial('live', { key: 'k1', configKey: 'k1', index: 0, config: {}, params: { seed: 1 } });
           await s.appendMetrics('live', 'k1', a, Array.from({ length: 10 }, (_, i) => ({ name: 'train/loss', step: i, value: 1, time: Date.now() })));
           // 15 flush intervals: the timer has long fired, even on a loaded machine.
           setTimeout(() => console.log('ready'), 1500);
           setInterval(() => {}, 1000);`,
        ],
        { cwd: join(import.meta.dirname, '..'), stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += String(d)));
      await new Promise<void>((res, rej) => {
        child.stdout.on('data', (d) => String(d).includes('ready') && res());
        child.on('exit', (c) => rej(new Error(`runner exited with ${c}: ${stderr}`)));
      });
      child.kill('SIGKILL');
      await new Promise((r) => child.on('exit', r));

      const store = await openDuckDbStore(path);
      try {
        // Written while the trial ran (flushIntervalMs 100), or lost with the process (0: by count only).
        expect(await count(store, `SELECT count(*) FROM metrics WHERE trial_key = 'k1' AND attempt = 1`), `flushIntervalMs ${flushIntervalMs}`).toBe(flushIntervalMs ? 10 : 0);
        expect(await store.trialCounts('live')).toMatchObject({ running: 1 });
        // The resume: interrupted → cancelled → attempt 2, whose start deletes attempt 1's rows.
        expect(await store.markInterrupted('live')).toBe(1);
        const a = await store.startTrial('live', { key: 'k1', configKey: 'k1', index: 0, config: {}, params: { seed: 1 } });
        expect(a).toBe(2);
        await store.appendMetrics('live', 'k1', a, points('train/loss', Array.from({ length: 10 }, () => 2)));
        await store.finishTrial('live', 'k1', a, { status: 'done', durationMs: 1 });
        expect(await count(store, `SELECT count(*) FROM metrics WHERE trial_key = 'k1'`)).toBe(10);
        const stats = await store.curveStats('live', 'train/loss');
        expect(stats.map((c) => [c.n, c.mean])).toEqual(Array.from({ length: 10 }, () => [1, 2]));
      } finally {
        await store.close();
      }
    }
  });

  it('close flushes and clears a pending time-triggered flush; a negative interval is refused', async () => {
    const store = await openDuckDbStore(join(dir, `timer-${++n}.duckdb`), { flushIntervalMs: 50 });
    await store.upsertSweep(sweep('t', 1));
    const a = await store.startTrial('t', trial(0, { seed: 1 }));
    await store.appendMetrics('t', trial(0, { seed: 1 }).key, a, points('m', [1, 2, 3]));
    await store.close(); // flushes; the timer is cleared
    await new Promise((r) => setTimeout(r, 150));
    const ro = await openDuckDbStore(join(dir, `timer-${n}.duckdb`), { readOnly: true });
    try {
      expect(await count(ro, 'SELECT count(*) FROM metrics')).toBe(3);
    } finally {
      await ro.close();
    }
    expect((await rejection(openDuckDbStore(join(dir, 'x.duckdb'), { flushIntervalMs: -1 }))).message).toMatch(/flushIntervalMs.*-1/);
  });
});

describe('DuckDB store: final values', () => {
  it('gives the last, min or max value per trial of done trials, diverged ones on request', async () => {
    const store = await fresh();
    try {
      await store.upsertSweep(sweep('fv', 4));
      const runs = [
        { t: trial(0, { 'rule.name': 'bp', seed: 1 }), status: 'done' as const, vals: [0.9, 0.3, 0.5] },
        { t: trial(1, { 'rule.name': 'bp', seed: 2 }), status: 'done' as const, vals: [0.8, 0.2, 0.4] },
        { t: trial(2, { 'rule.name': 'fa', seed: 1 }), status: 'diverged' as const, vals: [0.9, NaN] },
        { t: trial(3, { 'rule.name': 'fa', seed: 2 }), status: 'failed' as const, vals: [0.7] },
      ];
      for (const r of runs) {
        const a = await store.startTrial('fv', r.t);
        // Steps out of order on purpose: "last" is by step, not by arrival.
        const pts = points('test/error', r.vals).reverse();
        await store.appendMetrics('fv', r.t.key, a, pts);
        await store.appendMetrics('fv', r.t.key, a, points('train/loss', [5, 6]));
        await store.finishTrial('fv', r.t.key, a, { status: r.status, durationMs: 1 });
      }
      const last = await store.finalValues('fv', 'test/error', 'last');
      expect(last.map((v) => [v.params['rule.name'], v.seed, v.value, v.status])).toEqual([
        ['bp', 1, 0.5, 'done'],
        ['bp', 2, 0.4, 'done'],
      ]);
      expect(last[0]).toMatchObject({ trialKey: runs[0]!.t.key, configKey: runs[0]!.t.configKey, params: runs[0]!.t.params });
      expect((await store.finalValues('fv', 'test/error', 'min')).map((v) => v.value)).toEqual([0.3, 0.2]);
      expect((await store.finalValues('fv', 'test/error', 'max')).map((v) => v.value)).toEqual([0.9, 0.8]);
      const withDiverged = await store.finalValues('fv', 'test/error', 'last', { statuses: ['done', 'diverged'] });
      expect(withDiverged.map((v) => [v.status, v.value])).toEqual([['done', 0.5], ['done', 0.4], ['diverged', NaN]]);
      expect(await store.finalValues('fv', 'no/such/metric', 'last')).toEqual([]);
      expect((await rejection(store.finalValues('nope', 'test/error', 'last'))).code).toBe('NOT_FOUND');
    } finally {
      await store.close();
    }
  });
});

describe('DuckDB store: query()', () => {
  it('returns JSON-safe rows: counts as numbers, big integers as strings, NaN as a number', async () => {
    const store = await fresh();
    try {
      await store.upsertSweep(sweep('q'));
      const r = await store.query(
        `SELECT count(*) AS n, 12345678901234567::BIGINT AS big, 'nan'::DOUBLE AS nan, 1.25::DECIMAL(5,2) AS dec, [1, 2]::BIGINT[] AS list,
                {'a': 1::BIGINT} AS st, TIMESTAMP '2024-01-02 03:04:05.678' AS ts FROM sweeps`,
      );
      expect(r.columns).toEqual(['n', 'big', 'nan', 'dec', 'list', 'st', 'ts']);
      expect(r.rows[0]!.slice(0, 2)).toEqual([1, '12345678901234567']);
      expect(Number.isNaN(r.rows[0]![2])).toBe(true);
      expect(r.rows[0]!.slice(3)).toEqual([1.25, [1, 2], { a: 1 }, '2024-01-02 03:04:05.678']);
      expect(() => JSON.stringify(r)).not.toThrow();
      // Reads that DuckDB types as SELECT pass.
      for (const sql of ['SHOW TABLES', 'DESCRIBE trials', 'FROM sweeps', 'EXPLAIN SELECT 1', "FROM pragma_table_info('metrics')", 'WITH x AS (SELECT 1 AS v) SELECT v FROM x;']) {
        await expect(store.query(sql), sql).resolves.toBeDefined();
      }
    } finally {
      await store.close();
    }
  });

  it('refuses every statement that writes, with QUERY_READONLY naming it, and leaves the store unchanged', async () => {
    const store = await fresh();
    const out = join(dir, 'exported.csv');
    try {
      await store.upsertSweep(sweep('ro', 2));
      const t = trial(0, { seed: 1 });
      const a = await store.startTrial('ro', t);
      await store.appendMetrics('ro', t.key, a, points('m', [1, 2, 3]));
      const snapshot = async (): Promise<unknown> => ({
        tables: (await store.query(`SELECT table_name FROM information_schema.tables ORDER BY 1`)).rows,
        sweeps: (await store.query(`SELECT * FROM sweeps`)).rows,
        trials: (await store.query(`SELECT * FROM trials`)).rows,
        metrics: (await store.query(`SELECT * FROM metrics ORDER BY step`)).rows,
        dbs: (await store.query(`SELECT database_name FROM duckdb_databases() ORDER BY 1`)).rows,
      });
      const before = await snapshot();
      const cases: Array<[string, RegExp]> = [
        [`INSERT INTO sweeps SELECT * FROM sweeps`, /INSERT/],
        [`UPDATE trials SET status = 'done'`, /UPDATE/],
        [`DELETE FROM metrics`, /DELETE/],
        [`CREATE TABLE evil (a INT)`, /CREATE/],
        [`CREATE VIEW v AS SELECT 1`, /CREATE/],
        [`DROP TABLE metrics`, /DROP/],
        [`ALTER TABLE trials ADD COLUMN x INT`, /ALTER/],
        [`ATTACH '${join(dir, 'other.duckdb')}' AS other`, /ATTACH/],
        [`COPY metrics TO '${out}'`, /COPY/],
        [`COPY (SELECT * FROM metrics) TO '${out}' (FORMAT csv)`, /COPY/],
        [`EXPORT DATABASE '${join(dir, 'export')}'`, /EXPORT/],
        [`EXPLAIN ANALYZE DELETE FROM metrics`, /EXPLAIN ANALYZE/],
        [`SET threads = 1`, /SET/],
        [`CHECKPOINT`, /CHECKPOINT/],
        [`INSTALL httpfs`, /INSTALL/],
        [`LOAD json`, /LOAD/],
        [`PRAGMA enable_profiling`, /PRAGMA/],
        [`WITH x AS (SELECT 1) INSERT INTO sweeps SELECT * FROM sweeps`, /not a SELECT/],
        [`/* a comment */ DELETE FROM metrics`, /DELETE/],
        [`EXPLAIN DELETE FROM metrics`, /not a SELECT/],
        [`SELECT 1; DROP TABLE metrics`, /DROP/],
        [`BEGIN TRANSACTION`, /BEGIN/],
      ];
      for (const [sql, name] of cases) {
        const e = await rejection(store.query(sql));
        expect(e.code, sql).toBe('QUERY_READONLY');
        expect(e.message, sql).toMatch(name);
      }
      expect(await snapshot()).toEqual(before);
      expect(existsSync(out)).toBe(false);
      expect(existsSync(join(dir, 'other.duckdb'))).toBe(false);
      expect(existsSync(join(dir, 'export'))).toBe(false);
      // The store still works for writes after the refusals.
      await store.finishTrial('ro', t.key, a, { status: 'done', durationMs: 1 });
      expect((await store.completedKeys('ro')).size).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('runs queries in a read-only transaction, which stops a SELECT that writes (nextval)', async () => {
    const path = join(dir, 'sequence.duckdb');
    await (await openDuckDbStore(path)).close();
    const inst = await DuckDBInstance.create(path);
    const conn = await inst.connect();
    await conn.run('CREATE SEQUENCE seq');
    conn.closeSync();
    inst.closeSync();
    const store = await openDuckDbStore(path);
    try {
      const e = await rejection(store.query(`SELECT nextval('seq')`));
      expect(e.code).toBe('QUERY_READONLY');
      expect((await store.query(`SELECT start_value, last_value FROM duckdb_sequences() WHERE sequence_name = 'seq'`)).rows).toEqual([[1, null]]);
    } finally {
      await store.close();
    }
  });

  it('reports SQL that does not parse or bind, and several statements, as QUERY_ERROR', async () => {
    const store = await fresh();
    try {
      expect((await rejection(store.query('SELEC 1'))).code).toBe('QUERY_ERROR');
      const e = await rejection(store.query('SELECT * FROM no_such_table'));
      expect(e.code).toBe('QUERY_ERROR');
      expect(e.message).toMatch(/no_such_table/);
      expect((await rejection(store.query('SELECT 1; SELECT 2'))).code).toBe('QUERY_ERROR');
      expect((await rejection(store.query('  '))).code).toBe('QUERY_ERROR');
      expect((await store.query('SELECT 42 AS answer')).rows).toEqual([[42]]);
    } finally {
      await store.close();
    }
  });
});

describe('DuckDB store: opening', () => {
  it('read-only open of a missing file is NOT_FOUND and creates nothing', async () => {
    const path = join(dir, 'missing', 'nothing.duckdb');
    const e = await rejection(openDuckDbStore(path, { readOnly: true }));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.message).toContain(`no store at ${path}; run a sweep first`);
    expect(existsSync(path)).toBe(false);
    expect(existsSync(join(dir, 'missing'))).toBe(false);
  });

  it('a read-only store refuses writes but answers reads', async () => {
    const path = join(dir, 'ro-open.duckdb');
    const w = await openDuckDbStore(path);
    await w.upsertSweep(sweep('x'));
    await w.close();
    const store = await openDuckDbStore(path, { readOnly: true });
    try {
      expect((await store.getSweep('x'))?.id).toBe('x');
      expect((await rejection(store.upsertSweep(sweep('y')))).code).toBe('STORE_ERROR');
      expect((await rejection(store.markInterrupted('x'))).code).toBe('STORE_ERROR');
      expect((await rejection(store.query(`DELETE FROM sweeps`))).code).toBe('QUERY_READONLY');
    } finally {
      await store.close();
    }
  });

  it('a file held by a running writer is a STORE_ERROR saying so', async () => {
    const path = join(dir, 'locked.duckdb');
    await (await openDuckDbStore(path)).close();
    const holder = spawn(
      process.execPath,
      ['--input-type=module', '-e', `import { openDuckDbStore } from '@credo/store'; await openDuckDbStore(${JSON.stringify(path)}); console.log('ready'); setInterval(() => {}, 1000);`],
      { cwd: join(import.meta.dirname, '..'), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((res, rej) => {
        holder.stdout.on('data', (d) => String(d).includes('ready') && res());
        holder.on('exit', (c) => rej(new Error(`holder exited with ${c}`)));
      });
      for (const readOnly of [false, true]) {
        const e = await rejection(openDuckDbStore(path, { readOnly }));
        expect(e.code).toBe('STORE_ERROR');
        expect(e.message).toMatch(new RegExp(`locked by another process \\(.*PID ${holder.pid}\\)`));
      }
    } finally {
      holder.kill('SIGKILL');
      await new Promise((r) => holder.on('exit', r));
    }
    // Released with the process: opens again.
    await (await openDuckDbStore(path)).close();
  });

  it('refuses a second open of the same file in one process, and a file that is not a store', async () => {
    const path = join(dir, 'twice.duckdb');
    const a = await openDuckDbStore(path);
    try {
      const e = await rejection(openDuckDbStore(path, { readOnly: true }));
      expect(e.code).toBe('STORE_ERROR');
      expect(e.message).toMatch(/already open in this process/);
    } finally {
      await a.close();
    }
    await (await openDuckDbStore(path, { readOnly: true })).close();
    // Two opens racing: exactly one wins.
    const raced = await Promise.allSettled([openDuckDbStore(path), openDuckDbStore(path)]);
    expect(raced.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    for (const r of raced) if (r.status === 'fulfilled') await r.value.close();
    const junk = join(dir, 'junk.duckdb');
    await writeFile(junk, 'not a database at all, just text '.repeat(200));
    expect((await rejection(openDuckDbStore(junk))).code).toBe('STORE_ERROR');
  });

  it('refuses a DuckDB file that is not a credo store, and one written by a newer schema', async () => {
    const plain = join(dir, 'plain.duckdb');
    const inst = await DuckDBInstance.create(plain);
    const conn = await inst.connect();
    await conn.run('CREATE TABLE something (a INT)');
    conn.closeSync();
    inst.closeSync();
    const e = await rejection(openDuckDbStore(plain, { readOnly: true }));
    expect(e.code).toBe('STORE_ERROR');
    expect(e.message).toMatch(/not a credo store/);

    const newer = join(dir, 'newer.duckdb');
    await (await openDuckDbStore(newer)).close();
    const i2 = await DuckDBInstance.create(newer);
    const c2 = await i2.connect();
    await c2.run(`INSERT INTO schema_version VALUES (${SCHEMA_VERSION + 1}, now()::TIMESTAMP)`);
    c2.closeSync();
    i2.closeSync();
    for (const readOnly of [true, false]) {
      const e2 = await rejection(openDuckDbStore(newer, { readOnly }));
      expect(e2.code).toBe('STORE_ERROR');
      expect(e2.message).toMatch(/newer than this credo understands/);
    }
  });

  it('bad input is refused whole and changes nothing; calls after close fail', async () => {
    const store = await fresh();
    await store.upsertSweep(sweep('bad'));
    const t = trial(0, { seed: 1 });
    const a = await store.startTrial('bad', t);
    const good = points('m', [1, 2]);
    const e = await rejection(store.appendMetrics('bad', t.key, a, [...good, { name: 'm', step: 1.5, value: 1, time: 0 }]));
    expect(e.code).toBe('STORE_ERROR');
    expect(e.message).toMatch(/points\[2\]\.step/);
    expect((await rejection(store.finishTrial('bad', t.key, a, { status: 'running', durationMs: 1 }))).message).toMatch(/outcome\.status/);
    expect((await rejection(store.upsertSweep({ ...sweep('bad2'), spec: { x: NaN } }))).code).toBe('STORE_ERROR');
    expect(await count(store, `SELECT count(*) FROM metrics`)).toBe(0);
    expect(await store.getSweep('bad2')).toBeUndefined();
    await store.close();
    await store.close(); // idempotent
    expect((await rejection(store.getSweep('bad'))).message).toMatch(/closed/);
    expect((await rejection(store.appendMetrics('bad', t.key, a, good))).message).toMatch(/closed/);
  });
});
