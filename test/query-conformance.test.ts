import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashKey, type MetricPoint, type ParamValue } from '@credo/core';
import { buildSweepReport, compare, compareConfigs, curves, leaderboardQuery, sql, type CurveSeries } from '@credo/report';
import {
  openClickHouseStore,
  openDuckDbStore,
  type ClickHouseStore,
  type IngestMetric,
  type IngestTrial,
  type MetricsStore,
  type RegressRunRecord,
  type TrialRecord,
} from '@credo/store';
import { Rng } from '@credo/tensor';
import { startClickHouse, type ClickHouseServer } from '@credo/testing';
import { DuckDBInstance } from '@duckdb/node-api';

/*
 * The analysis queries (issue 7) on both stores: the same data written through the
 * MetricsStore port into DuckDB and into ClickHouse 18.16 (a private server) must give
 * identical leaderboards, comparisons, exports, raw SQL and regression records — identical to
 * the last bit, because those statistics are computed in JS from values the adapters return
 * sorted — and curves equal to rounding (each database aggregates its points, see curveStats). Then the sizes the issue names: 10⁶ metric rows exported to Parquet and CSV,
 * and `credo curves` over 10⁶ points on ClickHouse; the times are printed, not asserted.
 */

let ch: ClickHouseServer;
let dir: string;
let dbCounter = 0;
const freshDb = () => `q${process.pid}_${++dbCounter}`;
const CLI = new URL('../packages/cli/bin/credo.js', import.meta.url).pathname;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'credo-query-conf-'));
  ch = await startClickHouse();
});

afterAll(async () => {
  await ch?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function trialRec(index: number, params: Record<string, ParamValue>): TrialRecord {
  const { seed, ...rest } = params;
  return { key: hashKey(params), configKey: hashKey(rest), index, config: { params, seed }, params };
}

/** Deterministic data: `loss` falls with the step, by rule and lr, with per-seed noise. */
function lossAt(rule: string, lr: number, seed: number, step: number): number {
  const rng = Rng.derive(seed * 1000 + step, `${rule}/${lr}`);
  return (rule === 'bp' ? 1 : 1.4) * Math.exp(-lr * step) + 0.05 * rng.normal();
}

const SEEDS = [1, 2, 3, 4];
const STEPS = [0, 10, 20, 30, 40];

/** The trials of sweep `q`: rule × lr × seed; FA has `rule.scale`, BP does not. */
function qTrials(): TrialRecord[] {
  const out: TrialRecord[] = [];
  for (const rule of ['bp', 'fa']) {
    for (const lr of [0.05, 0.1]) {
      for (const seed of SEEDS) {
        out.push(trialRec(out.length, { 'rule.name': rule, ...(rule === 'fa' ? { 'rule.scale': 1 } : {}), 'optimizer.lr': lr, 'task.name': 'linear-teacher', seed }));
      }
    }
  }
  return out;
}

const pts = (name: string, steps: readonly number[], value: (step: number) => number): MetricPoint[] =>
  steps.map((step) => ({ name, step, value: value(step), time: 1_700_000_000_000 + step * 1000 }));

/** Writes the scenario through the port: what the local runner and the ingester do. */
async function writeScenario(store: MetricsStore): Promise<void> {
  const trials = qTrials();
  await store.upsertSweep({ id: 'q', name: 'query conformance', specHash: 'h', spec: { name: 'q' }, count: trials.length });
  for (const t of trials) {
    const rule = String(t.params['rule.name']);
    const lr = Number(t.params['optimizer.lr']);
    const seed = Number(t.params['seed']);
    let attempt = await store.startTrial('q', t);
    if (t.index === 1) {
      // A first attempt that crashed: its (wild) points must not count anywhere.
      await store.appendMetrics('q', t.key, attempt, pts('loss', STEPS, () => 99));
      await (store as { flushMetrics?: () => Promise<void> }).flushMetrics?.();
      attempt = await store.startTrial('q', t);
    }
    const loss = pts('loss', STEPS, (s) => lossAt(rule, lr, seed, s));
    await store.appendMetrics('q', t.key, attempt, loss);
    // Re-sent batch (at-least-once delivery): counts once.
    if (t.index === 2) await store.appendMetrics('q', t.key, attempt, loss);
    await store.appendMetrics('q', t.key, attempt, pts('test/error', [40], () => 0.1 + (rule === 'fa' ? 0.05 : 0) + 0.01 * seed - lr / 10));
    if (rule === 'fa') await store.appendMetrics('q', t.key, attempt, pts('angle/fa_bp/h1', STEPS, (s) => 90 - s + seed));
    if (t.index === 5) await store.appendMetrics('q', t.key, attempt, pts('nanny', [0, 1], (s) => (s === 0 ? NaN : 1)));
    // One FA trial diverges: out of curves by default, counted apart in leaderboards.
    const diverged = t.index === 13;
    if (diverged) await store.appendMetrics('q', t.key, attempt, pts('loss', [50], () => Infinity));
    await store.finishTrial('q', t.key, attempt, { status: diverged ? 'diverged' : 'done', durationMs: 10 });
  }
  // A second sweep for cross-sweep comparison.
  await store.upsertSweep({ id: 'q2', name: 'second', specHash: 'h2', spec: { name: 'q2' }, count: 3 });
  for (const seed of [1, 2, 3]) {
    const t = trialRec(seed - 1, { 'rule.name': 'bp', 'optimizer.lr': 0.05, 'task.name': 'linear-teacher', seed });
    const a = await store.startTrial('q2', t);
    await store.appendMetrics('q2', t.key, a, pts('test/error', [40], () => 0.08 + 0.01 * seed));
    await store.appendMetrics('q2', t.key, a, pts('loss', STEPS, (s) => lossAt('bp', 0.05, seed, s)));
    await store.finishTrial('q2', t.key, a, { status: 'done', durationMs: 10 });
  }
}

function regressRun(accepted: boolean, results: number): RegressRunRecord {
  const result = (i: number) => ({
    benchmark: `fa/linear-teacher/test/mse#${i}`, rule: 'fa', task: 'linear-teacher', metric: 'test/mse', better: 'lower' as const, minChange: 0.15, relative: true,
    seeds: [0, 1, 2], values: [2.5, NaN, 2.25 + i], n: 2, diverged: 1, mean: 2.375, sd: 0.17677669529663687, baselineMean: NaN, change: NaN,
    relChange: NaN, pValue: 1 / 924, zScore: Infinity, historyN: 0, verdict: 'new' as const, reason: "first run: it's \"new\"\tok",
  });
  return {
    runId: 'nightly-2025-01-31-nightly', suite: 'nightly', suiteHash: 'abc', night: '2025-01-31', commit: 'deadbeef', ref: 'main',
    sweepIds: ['q', 'q2'], overrides: { 'fa:rule.scale': 0.000001 }, status: 'ok', accepted,
    ...(accepted ? { acceptedAt: '2025-02-01T00:00:00.000Z', note: 'ok by me' } : {}),
    startedAt: '2025-01-31T03:00:00.000Z', finishedAt: '2025-01-31T03:01:00.123Z',
    results: Array.from({ length: results }, (_, i) => result(i)),
  };
}

/** Everything the analysis API reads back, in plain data. */
async function readAll(store: MetricsStore, tag: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const by of [[], ['rule.name'], ['rule.name', 'optimizer.lr'], ['rule.scale']] as string[][]) {
    out[`curves loss by ${by.join('+') || 'nothing'}`] = await curves(store, 'q', { metric: 'loss', by });
  }
  out['curves loss incl. diverged'] = await curves(store, 'q', { metric: 'loss', by: ['rule.name'], statuses: ['done', 'diverged'] });
  out['curves angle'] = await curves(store, 'q', { metric: 'angle/fa_bp/h1', by: ['rule.name'] });
  out['curves nanny'] = await curves(store, 'q', { metric: 'nanny' });
  out['raw cells'] = (await store.curveCells('q', 'loss', { by: ['rule.name'] })).sort((a, b) => String(a.group['rule.name']).localeCompare(String(b.group['rule.name'])) || a.step - b.step);
  out['leaderboard last'] = await leaderboardQuery(store, 'q', { metric: 'test/error' });
  out['leaderboard best loss'] = await leaderboardQuery(store, 'q', { metric: 'loss', mode: 'best', better: 'lower', by: ['rule.name'] });
  out['compare groups'] = await compare(store, { sweep: 'q', where: { 'rule.name': 'bp' } }, { sweep: 'q', where: { 'rule.name': 'fa' } }, { metric: 'test/error' });
  out['compare configs'] = await compareConfigs(store, { sweep: 'q', where: { 'rule.name': 'bp' } }, { sweep: 'q', where: { 'rule.name': 'fa' } }, { metric: 'test/error' });
  out['compare configs sweeps'] = await compareConfigs(store, { sweep: 'q', where: { 'rule.name': 'bp' } }, { sweep: 'q2' }, { metric: 'loss', mode: 'min' });
  out['compare sweeps'] = await compare(store, { sweep: 'q', where: { 'rule.name': 'bp', 'optimizer.lr': 0.05 } }, { sweep: 'q2' }, { metric: 'test/error' });
  out['raw sql'] = await sql(store, "SELECT name, count(DISTINCT trial_key) AS trials, min(step) AS first, max(step) AS last, min(value) AS lo FROM metrics WHERE sweep_id = 'q2' GROUP BY name ORDER BY name");
  for (const format of ['csv', 'jsonl', 'parquet'] as const) {
    const path = join(dir, `${tag}.${format}`);
    const r = await store.exportMetrics('q', { path, format });
    out[`export ${format}`] = { ...r, content: format === 'parquet' ? await parquetRows(path) : await readFile(path, 'utf8') };
  }
  out['export filtered'] = await store.exportMetrics('q', { path: join(dir, `${tag}-f.csv`), format: 'csv', metrics: ['test/error'], statuses: ['done'] });
  // The same pictures from either store: every figure of the HTML report, as SVG text.
  // (vega numbers gradient ids with a per-process counter; the ids are all that may differ.)
  out['report figures'] = (await buildSweepReport(store, 'q', { metric: 'test/error', generatedAt: new Date(0) })).figures.map((f) => ({
    name: f.name,
    svg: f.svg.replace(/gradient_\d+/g, 'gradient_N'),
  }));
  await store.saveRegressRun(regressRun(false, 3));
  out['regress saved'] = await store.getRegressRun('nightly-2025-01-31-nightly');
  // Accepting saves the run again; a benchmark dropped from it must not linger.
  await store.saveRegressRun(regressRun(true, 2));
  out['regress accepted'] = await store.regressRuns('nightly');
  out['regress none'] = [await store.regressRuns('other'), await store.getRegressRun('nope')];
  return out;
}

async function parquetRows(path: string): Promise<unknown[]> {
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  try {
    const r = await conn.runAndReadAll(`SELECT * FROM read_parquet('${path}')`);
    return r.getRowObjectsJson();
  } finally {
    conn.closeSync();
    inst.closeSync();
  }
}

describe('analysis queries: DuckDB and ClickHouse give identical results', () => {
  const results: Record<string, Record<string, unknown>> = {};

  it('DuckDB', async () => {
    const store = await openDuckDbStore(join(dir, 'q.duckdb'));
    try {
      await writeScenario(store);
      results['duckdb'] = await readAll(store, 'duck');
    } finally {
      await store.close();
    }
  });

  it('ClickHouse', async () => {
    const db = freshDb();
    const store = await openClickHouseStore(ch.storeUrl({ database: db }));
    try {
      await writeScenario(store);
    } finally {
      await store.close();
    }
    // Read as the read-only user, as `credo curves/export/report --store clickhouse://…` do.
    const ro = await openClickHouseStore(ch.storeUrl({ database: db, readonly: true }), { readOnly: true });
    try {
      const rw = await openClickHouseStore(ch.storeUrl({ database: db }));
      // regress writes need the read-write store; everything else reads read-only.
      const out = await readAll(new Proxy(ro, { get: (t, p) => (p === 'saveRegressRun' ? rw.saveRegressRun.bind(rw) : (t as never)[p]) }) as MetricsStore, 'click');
      await rw.close();
      results['clickhouse'] = out;
    } finally {
      await ro.close();
    }
  });

  it('every number is identical, and the expected one', () => {
    const duck = results['duckdb']!;
    const click = results['clickhouse']!;
    expect(duck).toBeDefined();
    expect(click).toBeDefined();
    for (const k of Object.keys(duck)) {
      // Curve points are aggregated by each database (curveStats): equal to rounding, not to the bit.
      if (k.startsWith('curves ')) expectClose(click[k], duck[k], k);
      else expect(click[k], k).toEqual(duck[k]);
    }
    // Bit-identical, not just close: the CSV text (shortest round-trip numbers) matches byte for byte.
    expect((click['export csv'] as { content: string }).content).toBe((duck['export csv'] as { content: string }).content);

    // Independent expectations, from the generating formula.
    const byRule = duck['curves loss by rule.name'] as CurveSeries[];
    expect(byRule.map((s) => s.label)).toEqual(['bp', 'fa']);
    const bp20 = byRule[0]!.points.find((p) => p.step === 20)!;
    const vals = [0.05, 0.1].flatMap((lr) => SEEDS.map((seed) => lossAt('bp', lr, seed, 20)));
    const m = vals.reduce((a, b) => a + b, 0) / vals.length;
    expect(bp20.n).toBe(8);
    expect(bp20.mean).toBeCloseTo(m, 14);
    // The database's statistics (curveStats) are those of the values curveCells returns, on both stores.
    for (const store of [duck, click]) {
      const cells = store['raw cells'] as Array<{ group: Record<string, string>; step: number; values: number[]; nonFinite: number }>;
      const pts = (store['curves loss by rule.name'] as CurveSeries[]).flatMap((s) => s.points.map((p) => ({ rule: s.group['rule.name'], ...p })));
      expect(pts).toHaveLength(cells.length);
      for (const c of cells) {
        const p = pts.find((x) => x.rule === c.group['rule.name'] && x.step === c.step)!;
        const m = c.values.reduce((a, b) => a + b, 0) / c.values.length;
        const sd = Math.sqrt(c.values.reduce((a, b) => a + (b - m) ** 2, 0) / (c.values.length - 1));
        expect([p.n, p.min, p.max, p.nonFinite]).toEqual([c.values.length, c.values[0], c.values.at(-1), c.nonFinite]);
        expect(p.mean).toBeCloseTo(m, 12);
        expect(p.sd).toBeCloseTo(sd, 12);
      }
    }
    // The diverged FA trial is out by default: 7 FA trials per step; included, its +Inf counts as non-finite.
    expect(byRule[1]!.points[0]!.n).toBe(7);
    const inclDiv = (duck['curves loss incl. diverged'] as CurveSeries[])[1]!;
    expect(inclDiv.points.find((p) => p.step === 50)).toMatchObject({ n: 0, nonFinite: 1 });
    // The crashed attempt's 99s never appear; the re-sent batch counts once.
    expect(byRule[0]!.points.every((p) => p.max < 5 && p.n === 8)).toBe(true);
    // A parameter only FA has: BP's trials form the "absent" group, listed last.
    expect((duck['curves loss by rule.scale'] as CurveSeries[]).map((s) => [s.group, s.points[0]!.n])).toEqual([[{ 'rule.scale': 1 }, 7], [{}, 8]]);
    expect((duck['curves nanny'] as CurveSeries[])[0]!.points.map((p) => [p.step, p.n, p.nonFinite])).toEqual([[0, 0, 1], [1, 1, 0]]);
    const cmp = duck['compare groups'] as { verdict: string; difference: { diff: number }; a: { n: number; diverged: number }; b: { n: number; diverged: number } };
    expect(cmp.a).toMatchObject({ n: 8, diverged: 0 });
    expect(cmp.b).toMatchObject({ n: 7, diverged: 1 });
    expect(cmp.difference.diff).toBeGreaterThan(0.03);
    expect(cmp.verdict).toBe('worse');
    // Per configuration (the learning rate, since the rule picks the sides): the same numbers as compare() on each lr alone.
    const perLr = duck['compare configs'] as { by: string[]; rows: Array<{ group: Record<string, number>; a: { n: number }; b: { n: number; diverged: number }; verdict: string }> };
    expect(perLr.by).toEqual(['optimizer.lr']);
    expect(perLr.rows.map((r) => [r.group['optimizer.lr'], r.a.n, r.b.n + r.b.diverged])).toEqual([[0.05, 4, 4], [0.1, 4, 4]]);
    const acrossSweeps = duck['compare configs sweeps'] as { by: string[]; rows: Array<{ verdict: string }> };
    expect(acrossSweeps.by).toEqual(['optimizer.lr']);
    expect(acrossSweeps.rows.map((r) => r.verdict)).toEqual([expect.not.stringMatching(/only/), 'only in A']);
    expect((duck['raw sql'] as { rows: unknown[][] }).rows).toEqual([['loss', 3, 0, 40, expect.any(Number)], ['test/error', 3, 40, 40, expect.closeTo(0.09, 12)]]);
    const csv = (duck['export csv'] as { content: string; rows: number; columns: string[] });
    expect(csv.columns).toEqual(['sweep_id', 'trial_key', 'trial_index', 'seed', 'status', 'optimizer.lr', 'rule.name', 'rule.scale', 'metric', 'step', 'value', 'time']);
    // 16 trials × (5 loss + 1 error) + 8 FA × 5 angles + 2 nanny + 1 diverged point; re-sent and crashed-attempt points excluded.
    expect(csv.rows).toBe(16 * 6 + 8 * 5 + 2 + 1);
    expect(csv.content.split('\n')[0]).toBe(csv.columns.join(','));
    expect((duck['export parquet'] as { content: unknown[] }).content).toHaveLength(csv.rows);
    for (const line of (duck['export jsonl'] as { content: string }).content.trim().split('\n')) JSON.parse(line); // strict JSON, NaN/Inf as strings
    expect((duck['export jsonl'] as { content: string }).content).toContain('"value":"NaN"');
    expect((duck['export jsonl'] as { content: string }).content).toContain('"value":"Infinity"');
    expect((duck['export filtered'] as { rows: number }).rows).toBe(15);
    const figs = duck['report figures'] as Array<{ name: string; svg: string }>;
    expect(figs.map((f) => f.name)).toEqual(['curve-test-error', 'heatmap-rule-name-optimizer-lr', 'diagnostic-angle-fa-bp-h1']);
    const saved = duck['regress saved'] as RegressRunRecord;
    expect(saved.results).toHaveLength(3);
    expect(saved.results[0]!.values).toEqual([2.5, NaN, 2.25]);
    expect(saved.results[0]!.zScore).toBe(Infinity);
    expect(saved.results[0]!.reason).toBe("first run: it's \"new\"\tok");
    const accepted = (duck['regress accepted'] as RegressRunRecord[])[0]!;
    expect(accepted).toMatchObject({ accepted: true, note: 'ok by me', overrides: { 'fa:rule.scale': 0.000001 } });
    expect(accepted.results).toHaveLength(2);
    expect(duck['regress none']).toEqual([[], undefined]);
  });
});

/** Deep equality, except that numbers need only agree to 1e-12 relative (NaN equals NaN). */
function expectClose(actual: unknown, expected: unknown, path: string): void {
  if (typeof expected === 'number') {
    expect(typeof actual, path).toBe('number');
    const a = actual as number;
    if (Number.isNaN(expected) || !Number.isFinite(expected)) expect(a, path).toBe(expected);
    else expect(Math.abs(a - expected), `${path}: ${a} vs ${expected}`).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(expected)));
    return;
  }
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual) && actual.length, path).toBe(expected.length);
    expected.forEach((e, i) => expectClose((actual as unknown[])[i], e, `${path}[${i}]`));
    return;
  }
  if (expected !== null && typeof expected === 'object') {
    expect(Object.keys(actual as object).sort(), path).toEqual(Object.keys(expected).sort());
    for (const [k, e] of Object.entries(expected)) expectClose((actual as Record<string, unknown>)[k], e, `${path}.${k}`);
    return;
  }
  expect(actual, path).toEqual(expected);
}

describe('at scale: 10⁶ metric points (times printed, not asserted)', () => {
  const TRIALS = 1000;
  const STEPS_BIG = 1000;

  function bigTrials(n = TRIALS): TrialRecord[] {
    return Array.from({ length: n }, (_, i) => trialRec(i, { 'rule.name': i % 2 ? 'fa' : 'bp', 'task.name': 'linear-teacher', seed: i >> 1 }));
  }

  it('ClickHouse: curves over 10⁶ points (query and the whole `credo curves` command), export to Parquet and CSV', { timeout: 240_000 }, async () => {
    const db = freshDb();
    const store: ClickHouseStore = await openClickHouseStore(ch.storeUrl({ database: db }));
    const trials = bigTrials();
    try {
      await store.ingest({ sweeps: [{ id: 'big', name: 'big', specHash: 'h', spec: {}, count: TRIALS }] });
      const rng = new Rng(1);
      const t0 = performance.now();
      for (let b = 0; b < TRIALS; b += 100) {
        const metrics: IngestMetric[] = [];
        const rows: IngestTrial[] = [];
        for (const t of trials.slice(b, b + 100)) {
          rows.push({ sweepId: 'big', trialKey: t.key, configKey: t.configKey, index: t.index, config: t.config, params: t.params, attempt: 1, status: 'done' });
          for (let s = 0; s < STEPS_BIG; s++) metrics.push({ sweepId: 'big', trialKey: t.key, attempt: 1, name: 'train/loss', step: s, value: Math.exp(-s / 300) + 0.05 * rng.normal(), timeMs: 1_700_000_000_000 + s });
        }
        await store.ingest({ metrics, trials: rows });
      }
      console.log(`ClickHouse: ingested ${TRIALS * STEPS_BIG} points in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    } finally {
      await store.close();
    }
    const ro = await openClickHouseStore(ch.storeUrl({ database: db, readonly: true }), { readOnly: true });
    try {
      for (let i = 0; i < 2; i++) {
        const t1 = performance.now();
        const series = await curves(ro, 'big', { metric: 'train/loss', by: ['rule.name'] });
        const ms = performance.now() - t1;
        expect(series.map((s) => [s.label, s.points.length, s.points[0]!.n])).toEqual([['bp', STEPS_BIG, TRIALS / 2], ['fa', STEPS_BIG, TRIALS / 2]]);
        console.log(`ClickHouse: curves() over 10⁶ points (${i ? 'warm' : 'cold'}): ${ms.toFixed(0)} ms`);
      }
      for (const format of ['parquet', 'csv'] as const) {
        const path = join(dir, `big.${format}`);
        const t2 = performance.now();
        const r = await ro.exportMetrics('big', { path, format });
        console.log(`ClickHouse: export of ${r.rows} rows to ${format}: ${((performance.now() - t2) / 1000).toFixed(2)} s, ${((await stat(path)).size / 1e6).toFixed(1)} MB`);
        expect(r.rows).toBe(TRIALS * STEPS_BIG);
      }
    } finally {
      await ro.close();
    }
    const png = join(dir, 'big.png');
    const t3 = performance.now();
    const cli = spawnSync(process.execPath, [CLI, 'curves', 'big', '--store', ch.storeUrl({ database: db, readonly: true }), '--metric', 'train/loss', '--by', 'rule.name', '--plot', png], { encoding: 'utf8' });
    const wall = performance.now() - t3;
    expect(cli.status, cli.stderr).toBe(0);
    console.log(`ClickHouse: \`credo curves big --plot big.png\` over 10⁶ points: ${wall.toFixed(0)} ms wall (node start-up, query, plot); it says: ${cli.stderr.trim()}`);
  });

  it('DuckDB: the same 10⁶ points exported to Parquet and CSV, and curves', { timeout: 240_000 }, async () => {
    const store = await openDuckDbStore(join(dir, 'big.duckdb'));
    // 100 trials × 10⁴ steps: the same 10⁶ points with a tenth of the per-trial bookkeeping
    // (each startTrial/finishTrial is a DuckDB transaction, ~40 ms on a busy 2-core machine).
    const n = 100;
    const steps = (TRIALS * STEPS_BIG) / n;
    try {
      const trials = bigTrials(n);
      await store.upsertSweep({ id: 'big', name: 'big', specHash: 'h', spec: {}, count: n });
      const rng = new Rng(1);
      for (const t of trials) {
        const a = await store.startTrial('big', t);
        await store.appendMetrics('big', t.key, a, Array.from({ length: steps }, (_, s) => ({ name: 'train/loss', step: s, value: Math.exp(-s / 3000) + 0.05 * rng.normal(), time: 1_700_000_000_000 + s })));
        await store.finishTrial('big', t.key, a, { status: 'done', durationMs: 1 });
      }
      const t1 = performance.now();
      const series = await curves(store, 'big', { metric: 'train/loss', by: ['rule.name'] });
      console.log(`DuckDB: curves() over 10⁶ points (${n} trials × ${steps} steps): ${(performance.now() - t1).toFixed(0)} ms`);
      expect(series).toHaveLength(2);
      for (const format of ['parquet', 'csv'] as const) {
        const path = join(dir, `big-duck.${format}`);
        const t2 = performance.now();
        const r = await store.exportMetrics('big', { path, format });
        console.log(`DuckDB: export of ${r.rows} rows to ${format}: ${((performance.now() - t2) / 1000).toFixed(2)} s, ${((await stat(path)).size / 1e6).toFixed(1)} MB`);
        expect(r.rows).toBe(TRIALS * STEPS_BIG);
      }
    } finally {
      await store.close();
    }
  });
});
