import { existsSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CredoError, type MetricPoint, type ParamValue, type TrialStatus } from '@credo/core';
import {
  BIGINT,
  DOUBLE,
  DuckDBDataChunk,
  DuckDBInstance,
  INTEGER,
  LIST,
  listValue,
  VARCHAR,
  type DuckDBConnection,
  type DuckDBType,
} from '@duckdb/node-api';
import { runReadOnlyQuery } from './duckdb-read-only.js';
import { checkSchema, migrate } from './duckdb-schema.js';
import { readRows } from './duckdb-values.js';
import { MetricBuffer } from './metric-buffer.js';
import { checkBy, curveStat, curveStatuses, groupOf } from './curve-cells.js';
import { checkExportOptions, copyExport, duckString, metricFilter, statusFilter } from './export-sql.js';
import { checkRegressRun, regressRunFromRow, RESULT_COLUMNS, resultFields, resultFromRow } from './regress-records.js';
import {
  COMPLETE_STATUSES,
  TRIAL_STATUSES,
  zeroCounts,
  type CurveCell,
  type CurveCellsOptions,
  type CurveStat,
  type ExportOptions,
  type ExportSummary,
  type RegressResultRecord,
  type RegressRunRecord,
  type RegressRunsOptions,
  type FinalValue,
  type FinalValueMode,
  type FinalValuesOptions,
  type MetricsStore,
  type QueryResult,
  type StoredSweep,
  type SweepRecord,
  type SweepSummary,
  type TrialOutcome,
  type TrialRecord,
} from './metrics-store.js';
import { checkAttempt, checkOutcome, checkPoints, checkSweep, checkTrial, isTrialStatus, message, noSweep, parseParams, runKey, withPending } from './records.js';

export interface DuckDbStoreOptions {
  /**
   * Open with DuckDB's `access_mode = READ_ONLY`: every write method fails, and a missing file
   * is NOT_FOUND instead of being created. Other read-only openers may share the file; a writer
   * may not.
   */
  readonly readOnly?: boolean;
  /**
   * Buffered metric rows that trigger a write (default 122 880, one DuckDB row group: DuckDB
   * writes a transaction that fills whole row groups straight to the file instead of through
   * the WAL and a later checkpoint, which measured 1.3M rows/s against 0.95M for 50 000). Rows
   * are also written after `flushIntervalMs`, before any read of metrics, before an outcome is
   * recorded, and on close. Buffered rows are lost if the process dies; their trials are then
   * not `done`, so a resume runs them again (and deletes the rows that were written).
   */
  readonly flushRows?: number;
  /**
   * Milliseconds after which buffered rows are written even when fewer than `flushRows` have
   * gathered (default 2000; 0 = only by count). Without it a slowly logging trial kept its
   * points in memory until it ended: absent from the file (and from a copy of it) for the
   * trial's whole run, and all lost if the process died. Rows of an attempt that is later
   * superseded are deleted by the next `startTrial`, so writing them early counts nothing twice.
   */
  readonly flushIntervalMs?: number;
  /** DuckDB worker threads (default: DuckDB's, one per core). */
  readonly threads?: number;
}

/**
 * Opens (and in read-write mode creates) the embedded DuckDB store at `path`.
 *
 * One process may hold a store file for writing; while it does, no other process can open it,
 * even read-only (DuckDB's file lock), and the error says so. Several read-only openers may
 * share a file. Within one process a file can be open only once at a time: DuckDB does not
 * guard against a second instance on the same file in the same process, which would corrupt it.
 *
 * @example
 * ```ts
 * const store = await openDuckDbStore('runs/credo.duckdb');
 * try {
 *   const { rows } = await store.query("SELECT status, count(*) FROM trials GROUP BY ALL");
 * } finally {
 *   await store.close();
 * }
 * // Read-only, e.g. for `credo query`; a missing file is NOT_FOUND, not created:
 * const ro = await openDuckDbStore('runs/credo.duckdb', { readOnly: true });
 * ```
 */
export async function openDuckDbStore(path: string, opts: DuckDbStoreOptions = {}): Promise<DuckDbStore> {
  return DuckDbStore.open(path, opts);
}

/** Files open in this process, by real path: see {@link openDuckDbStore}. */
const openFiles = new Set<string>();

/** See {@link DuckDbStoreOptions.flushRows}. */
const DEFAULT_FLUSH_ROWS = 122_880;

/** See {@link DuckDbStoreOptions.flushIntervalMs}: a commit every 2 s costs nothing measurable, and a live trial shows up within seconds. */
const DEFAULT_FLUSH_INTERVAL_MS = 2000;

/** Rows per appender chunk: DuckDB's vector size, the most a data chunk holds. */
const CHUNK_ROWS = 2048;

/** The temporary table buffered metrics pass through on their way to `metrics`: see `flush`. */
const STAGE = 'credo_metric_stage';

/**
 * Its column types: series id, name id, step, value, time in ms. Steps are validated integers
 * below 2^53, so carrying them as DOUBLE and casting to BIGINT in SQL is exact, and saves a
 * BigInt per row on the JS side.
 */
const STAGE_TYPES: DuckDBType[] = [INTEGER, INTEGER, DOUBLE, DOUBLE, DOUBLE];

const INTERRUPTED = 'interrupted: the runner stopped while this trial was running';

/**
 * The DuckDB adapter of {@link MetricsStore}, made by {@link openDuckDbStore}. Every operation
 * that touches the database runs through one queue, so that the single write connection never
 * interleaves two transactions and reads see every write that was called before them.
 *
 * @example
 * ```ts
 * const store: DuckDbStore = await openDuckDbStore('credo.duckdb');
 * await store.appendMetrics(sweepId, key, attempt, points); // buffered
 * await store.flushMetrics();                                // on disk now
 * ```
 */
export class DuckDbStore implements MetricsStore {
  readonly path: string;
  readonly readOnly: boolean;
  private readonly instance: DuckDBInstance;
  /** All writes and the store's own reads. */
  private readonly conn: DuckDBConnection;
  /** Ad-hoc queries, each inside a read-only transaction. */
  private readonly queryConn: DuckDBConnection;
  private readonly flushRows: number;
  private readonly flushIntervalMs: number;
  /** Pending time-triggered flush; set while the buffer holds rows (see {@link DuckDbStoreOptions.flushIntervalMs}). */
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly lockKey: string;
  private readonly buffer = new MetricBuffer();
  /** Trials with rows in {@link buffer}: only these need a flush before their outcome. */
  private readonly buffered = new Set<string>();
  /** Current attempt of each trial running in this process (or found running), by runKey. */
  private readonly running = new Map<string, number>();
  private readonly knownSweeps = new Set<string>();
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;
  private closing: Promise<void> | undefined;
  /** Set when buffered metrics could not be written: later writes would leave gaps unnoticed. */
  private broken: CredoError | undefined;

  private constructor(path: string, readOnly: boolean, instance: DuckDBInstance, conn: DuckDBConnection, queryConn: DuckDBConnection, flushRows: number, flushIntervalMs: number, lockKey: string) {
    this.path = path;
    this.readOnly = readOnly;
    this.instance = instance;
    this.conn = conn;
    this.queryConn = queryConn;
    this.flushRows = flushRows;
    this.flushIntervalMs = flushIntervalMs;
    this.lockKey = lockKey;
  }

  /** See {@link openDuckDbStore}. */
  static async open(path: string, opts: DuckDbStoreOptions = {}): Promise<DuckDbStore> {
    const readOnly = opts.readOnly ?? false;
    const flushRows = opts.flushRows ?? DEFAULT_FLUSH_ROWS;
    if (!Number.isSafeInteger(flushRows) || flushRows < 1) {
      throw new CredoError('STORE_ERROR', 'invalid value', { field: 'flushRows', value: flushRows, allowed: 'an integer ≥ 1' });
    }
    const flushIntervalMs = opts.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
    if (!Number.isFinite(flushIntervalMs) || flushIntervalMs < 0) {
      throw new CredoError('STORE_ERROR', 'invalid value', { field: 'flushIntervalMs', value: flushIntervalMs, allowed: 'milliseconds ≥ 0 (0 = flush by row count only)' });
    }
    const memory = path === ':memory:';
    if (memory && readOnly) throw new CredoError('STORE_ERROR', 'an in-memory store cannot be opened read-only');
    const abs = memory ? path : resolve(path);
    if (!memory) {
      if (readOnly && !existsSync(abs)) throw new CredoError('NOT_FOUND', `no store at ${abs}; run a sweep first`);
      if (existsSync(abs) && statSync(abs).isDirectory()) throw new CredoError('STORE_ERROR', `${abs} is a directory, not a store file`);
      if (!readOnly) mkdirSync(dirname(abs), { recursive: true });
    }
    const lockKey = memory ? '' : realOrSelf(abs);
    if (lockKey && openFiles.has(lockKey)) {
      throw new CredoError('STORE_ERROR', `store ${abs} is already open in this process; close it first or share the open store`);
    }
    // Claimed before the first await, so that two concurrent opens cannot both pass the check.
    if (lockKey) openFiles.add(lockKey);
    try {
      return await DuckDbStore.create(abs, readOnly, opts, flushRows, flushIntervalMs, lockKey);
    } catch (e) {
      if (lockKey) openFiles.delete(lockKey);
      throw e;
    }
  }

  private static async create(abs: string, readOnly: boolean, opts: DuckDbStoreOptions, flushRows: number, flushIntervalMs: number, lockKey: string): Promise<DuckDbStore> {

    const config: Record<string, string> = { access_mode: readOnly ? 'READ_ONLY' : 'READ_WRITE' };
    if (opts.threads !== undefined) config['threads'] = String(opts.threads);
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(abs, config);
    } catch (e) {
      throw openError(abs, e);
    }
    let conn: DuckDBConnection | undefined;
    let queryConn: DuckDBConnection | undefined;
    try {
      conn = await instance.connect();
      queryConn = await instance.connect();
      if (readOnly) await checkSchema(conn, abs);
      else await migrate(conn, abs);
    } catch (e) {
      conn?.closeSync();
      queryConn?.closeSync();
      instance.closeSync();
      throw e instanceof CredoError ? e : new CredoError('STORE_ERROR', `cannot open store ${abs}: ${message(e)}`, { cause: e });
    }
    return new DuckDbStore(abs, readOnly, instance, conn, queryConn, flushRows, flushIntervalMs, lockKey);
  }

  async upsertSweep(s: SweepRecord): Promise<void> {
    const specJson = checkSweep(s);
    await this.write('upsertSweep', async () => {
      const now = Date.now();
      await this.conn.run(
        `INSERT INTO sweeps VALUES ($id, $name, $description, $hash, $spec, $count, epoch_ms($now::BIGINT), epoch_ms($now::BIGINT))
         ON CONFLICT (sweep_id) DO UPDATE SET name = excluded.name, description = excluded.description, spec_hash = excluded.spec_hash,
           spec_json = excluded.spec_json, trial_count = excluded.trial_count, updated_at = excluded.updated_at`,
        { id: s.id, name: s.name, description: s.description ?? null, hash: s.specHash, spec: specJson, count: s.count, now },
      );
      this.knownSweeps.add(s.id);
    });
  }

  async getSweep(id: string): Promise<StoredSweep | undefined> {
    return this.read('getSweep', async () => {
      const rows = await readRows(this.conn, `SELECT ${SWEEP_COLUMNS}, spec_json FROM sweeps WHERE sweep_id = $id`, { id });
      const row = rows[0];
      if (!row) return undefined;
      const { counts: _, ...summary } = sweepSummary(row);
      return { ...summary, spec: JSON.parse(String(row[7])) as unknown };
    });
  }

  async listSweeps(): Promise<SweepSummary[]> {
    return this.read('listSweeps', async () => {
      const sweeps = await readRows(this.conn, `SELECT ${SWEEP_COLUMNS} FROM sweeps ORDER BY created_at DESC, sweep_id`);
      const counts = await readRows(this.conn, 'SELECT sweep_id, status, count(*) FROM trials GROUP BY ALL');
      const byId = new Map<string, Record<TrialStatus, number>>();
      for (const [id, status, n] of counts) {
        let c = byId.get(String(id));
        if (!c) byId.set(String(id), (c = zeroCounts()));
        if (isTrialStatus(String(status))) c[status as TrialStatus] = Number(n);
      }
      return sweeps.map((row) => {
        const s = sweepSummary(row);
        return { ...s, counts: withPending(byId.get(s.id) ?? zeroCounts(), s.count) };
      });
    });
  }

  async completedKeys(sweepId: string): Promise<Set<string>> {
    return this.read('completedKeys', async () => {
      const rows = await readRows(this.conn, `SELECT trial_key FROM trials WHERE sweep_id = $s AND status IN (${sqlList(COMPLETE_STATUSES)})`, { s: sweepId });
      return new Set(rows.map((r) => String(r[0])));
    });
  }

  async startTrial(sweepId: string, t: TrialRecord): Promise<number> {
    const { configJson, params } = checkTrial(t);
    return this.write('startTrial', async () => {
      await this.requireSweep(sweepId);
      const k = runKey(sweepId, t.key);
      // From here the old attempt's points are dropped (an append now asks the database, and its
      // lookup queues behind this call); those already buffered are written before the delete
      // below, which removes them.
      this.running.delete(k);
      if (this.buffered.has(k)) await this.flush();
      await this.conn.run('BEGIN TRANSACTION');
      try {
        const rows = await readRows(
          this.conn,
          `INSERT INTO trials VALUES ($s, $k, $index, $ck, $config, $pk, $pv, $pj, $seed, 'running', 1, epoch_ms($now::BIGINT), NULL, NULL, NULL)
           ON CONFLICT (sweep_id, trial_key) DO UPDATE SET status = 'running', attempt = trials.attempt + 1, trial_index = excluded.trial_index,
             started_at = excluded.started_at, finished_at = NULL, duration_ms = NULL, error = NULL
           RETURNING attempt`,
          {
            s: sweepId, k: t.key, index: t.index, ck: t.configKey, config: configJson,
            pk: listValue(params.keys), pv: listValue(params.values), pj: params.json, seed: params.seed, now: Date.now(),
          },
          { pk: LIST(VARCHAR), pv: LIST(VARCHAR) },
        );
        const attempt = Number(rows[0]?.[0]);
        if (attempt > 1) {
          await this.conn.run('DELETE FROM metrics WHERE sweep_id = $s AND trial_key = $k AND attempt <> $a', { s: sweepId, k: t.key, a: attempt });
        }
        await this.conn.run('COMMIT');
        this.running.set(k, attempt);
        return attempt;
      } catch (e) {
        await this.conn.run('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
  }

  async appendMetrics(sweepId: string, trialKey: string, attempt: number, points: readonly MetricPoint[]): Promise<void> {
    this.checkWritable();
    checkAttempt(attempt);
    checkPoints(points);
    if (points.length === 0) return;
    const k = runKey(sweepId, trialKey);
    if (this.running.get(k) !== attempt) {
      // Not started by this store object (e.g. opened again after a restart): ask the database.
      if (!this.running.has(k)) await this.write('appendMetrics', () => this.loadRunning(sweepId, trialKey));
      // A superseded attempt, or a trial that is no longer running: its points are dropped.
      if (this.running.get(k) !== attempt) return;
    }
    this.buffer.push(sweepId, trialKey, attempt, points);
    this.buffered.add(k);
    if (this.buffer.size >= this.flushRows) await this.write('appendMetrics', () => this.flush());
    else this.scheduleFlush();
  }

  /** Arms the time-triggered flush, once per batch of buffered rows. */
  private scheduleFlush(): void {
    if (this.flushTimer || this.flushIntervalMs === 0) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      // A failure marks the store broken (see flush), and the next write reports it to its caller.
      this.write('flush', () => this.flush()).catch(() => undefined);
    }, this.flushIntervalMs);
    // A pending flush must not keep a finished process alive: close() flushes anyway.
    this.flushTimer.unref();
  }

  async finishTrial(sweepId: string, trialKey: string, attempt: number, o: TrialOutcome): Promise<void> {
    checkAttempt(attempt);
    checkOutcome(o);
    await this.write('finishTrial', async () => {
      const k = runKey(sweepId, trialKey);
      // Points that arrive after the outcome are not part of the result.
      if (this.running.get(k) === attempt) this.running.delete(k);
      // A trial is recorded as finished only once its metrics are on disk.
      if (this.buffered.has(k)) await this.flush();
      const rows = await readRows(
        this.conn,
        `UPDATE trials SET status = $st, error = $err, duration_ms = $d, finished_at = epoch_ms($now::BIGINT)
         WHERE sweep_id = $s AND trial_key = $k AND attempt = $a RETURNING 1`,
        { st: o.status, err: o.error ?? null, d: o.durationMs, now: Date.now(), s: sweepId, k: trialKey, a: attempt },
      );
      if (rows.length === 0) {
        const exists = await readRows(this.conn, 'SELECT 1 FROM trials WHERE sweep_id = $s AND trial_key = $k', { s: sweepId, k: trialKey });
        if (exists.length === 0) throw new CredoError('NOT_FOUND', `trial ${trialKey} of sweep ${sweepId} was never started`);
        return; // a stale attempt: a newer one owns the trial
      }
    });
  }

  async markInterrupted(sweepId: string): Promise<number> {
    return this.write('markInterrupted', async () => {
      // Their buffered points would be dropped by the next attempt anyway; written, they show how far the trial got.
      await this.flush();
      const rows = await readRows(
        this.conn,
        `UPDATE trials SET status = 'cancelled', finished_at = epoch_ms($now::BIGINT), error = coalesce(error, $why)
         WHERE sweep_id = $s AND status = 'running' RETURNING trial_key`,
        { s: sweepId, now: Date.now(), why: INTERRUPTED },
      );
      for (const [key] of rows) this.running.delete(runKey(sweepId, String(key)));
      return rows.length;
    });
  }

  async trialCounts(sweepId: string): Promise<Record<TrialStatus, number>> {
    return this.read('trialCounts', async () => {
      const sweep = await readRows(this.conn, 'SELECT trial_count FROM sweeps WHERE sweep_id = $s', { s: sweepId });
      if (!sweep[0]) throw noSweep(sweepId);
      const counts = zeroCounts();
      for (const [status, n] of await readRows(this.conn, 'SELECT status, count(*) FROM trials WHERE sweep_id = $s GROUP BY status', { s: sweepId })) {
        if (isTrialStatus(String(status))) counts[status as TrialStatus] = Number(n);
      }
      return withPending(counts, Number(sweep[0][0]));
    });
  }

  async finalValues(sweepId: string, metric: string, mode: FinalValueMode, opts: FinalValuesOptions = {}): Promise<FinalValue[]> {
    const agg = { last: 'arg_max(value, step)', min: 'min(value)', max: 'max(value)' }[mode];
    if (!agg) throw new CredoError('STORE_ERROR', 'invalid value', { field: 'mode', value: mode, allowed: 'last, min, max' });
    const statuses = opts.statuses ?? ['done'];
    for (const s of statuses) {
      if (!TRIAL_STATUSES.includes(s)) throw new CredoError('STORE_ERROR', 'invalid value', { field: 'statuses', value: s, allowed: TRIAL_STATUSES.join(', ') });
    }
    if (statuses.length === 0) return [];
    return this.read('finalValues', async () => {
      await this.requireSweep(sweepId);
      await this.flush();
      // Joining on the attempt as well keeps a stray row of an older attempt out, whatever wrote it.
      const rows = await readRows(
        this.conn,
        `SELECT t.trial_key, t.config_key, t.params_json, t.seed, t.status, f.value
         FROM trials t
         JOIN (SELECT trial_key, attempt, ${agg} AS value FROM metrics WHERE sweep_id = $s AND name = $m GROUP BY trial_key, attempt) f
           ON f.trial_key = t.trial_key AND f.attempt = t.attempt
         WHERE t.sweep_id = $s AND t.status IN (${sqlList(statuses)})
         ORDER BY t.trial_index, t.trial_key`,
        { s: sweepId, m: metric },
      );
      return rows.map(([trialKey, configKey, paramsJson, seed, status, value]) => ({
        trialKey: String(trialKey),
        configKey: String(configKey),
        params: parseParams(String(paramsJson)),
        seed: seed === null ? NaN : Number(seed),
        value: value === null ? NaN : Number(value),
        status: status as TrialStatus,
      }));
    });
  }

  async query(sql: string): Promise<QueryResult> {
    return this.read('query', async () => {
      await this.flush();
      return runReadOnlyQuery(this.queryConn, sql);
    });
  }

  async curveCells(sweepId: string, metric: string, opts: CurveCellsOptions = {}): Promise<CurveCell[]> {
    // Values are sorted in JS: an ORDER BY inside list() cost more than the rest of the query.
    return this.curveQuery(
      'curveCells', sweepId, metric, opts,
      'coalesce(list(value) FILTER (WHERE isfinite(value)), []::DOUBLE[]), count(*) FILTER (WHERE NOT isfinite(value))',
      (group, step, r) => ({ group, step, values: Array.from(Float64Array.from(r[0] as number[]).sort()), nonFinite: Number(r[1]) }),
    );
  }

  async curveStats(sweepId: string, metric: string, opts: CurveCellsOptions = {}): Promise<CurveStat[]> {
    const fin = 'FILTER (WHERE isfinite(value))';
    return this.curveQuery(
      'curveStats', sweepId, metric, opts,
      `count(*) ${fin}, avg(value) ${fin}, var_samp(value) ${fin}, min(value) ${fin}, max(value) ${fin}, count(*) FILTER (WHERE NOT isfinite(value))`,
      (group, step, r) => curveStat(group, step, Number(r[0]), r[1], r[2], r[3], r[4], Number(r[5])),
    );
  }

  /**
   * The selection both curve reads share — a sweep's points of one metric, of trials in the
   * given statuses, grouped by the `by` params and step — with `aggregates` computed per cell;
   * `cell` turns a cell's group, step and aggregate values into a result row.
   */
  private curveQuery<T>(
    op: string, sweepId: string, metric: string, opts: CurveCellsOptions, aggregates: string,
    cell: (group: Record<string, ParamValue>, step: number, aggregates: unknown[]) => T,
  ): Promise<T[]> {
    const by = opts.by ?? [];
    checkBy(by);
    const statuses = curveStatuses(opts.statuses);
    if (statuses.length === 0) return Promise.resolve([]);
    return this.read(op, async () => {
      await this.requireSweep(sweepId);
      await this.flush();
      const groups = by.map((_, i) => `g${i}`);
      const groupExprs = by.map((_, i) => `t.param_values[list_position(t.param_keys, $p${i})] AS g${i}`);
      const params: Record<string, string> = { s: sweepId, m: metric };
      by.forEach((b, i) => (params[`p${i}`] = b));
      // The inner GROUP BY reads a point re-sent for the same attempt once (DuckDB keeps both
      // rows; see duckdb-schema.ts); re-sent points carry the same value.
      const reader = await this.conn.runAndReadAll(
        `SELECT ${[...groups, 'step'].join(', ')}, ${aggregates}
         FROM (
           SELECT ${[...groupExprs, 'm.trial_key', 'm.step'].join(', ')}, any_value(m.value) AS value
           FROM metrics m JOIN trials t ON t.sweep_id = m.sweep_id AND t.trial_key = m.trial_key AND t.attempt = m.attempt
           WHERE m.sweep_id = $s AND m.name = $m AND t.status IN (${sqlList(statuses)})
           GROUP BY ALL
         )
         GROUP BY ALL`,
        params,
      );
      const k = by.length;
      return reader.getRowsJS().map((r) => cell(groupOf(by, r.slice(0, k)), Number(r[k]), r.slice(k + 1)));
    });
  }

  async exportMetrics(sweepId: string, opts: ExportOptions): Promise<ExportSummary> {
    checkExportOptions(opts);
    return this.read('exportMetrics', async () => {
      await this.requireSweep(sweepId);
      await this.flush();
      const s = duckString(sweepId);
      return copyExport(
        this.conn,
        {
          sweepId,
          trials: `(SELECT trial_key, attempt, trial_index, seed, status, param_keys, param_values FROM trials WHERE sweep_id = ${s} AND ${statusFilter(opts.statuses)})`,
          metrics: `(SELECT trial_key, attempt, name, step, value, time FROM metrics WHERE sweep_id = ${s} AND ${metricFilter(opts.metrics)})`,
        },
        { ...opts, path: resolve(opts.path) },
      );
    });
  }

  async saveRegressRun(run: RegressRunRecord): Promise<void> {
    const overrides = checkRegressRun(run);
    await this.write('saveRegressRun', async () => {
      await this.conn.run('BEGIN TRANSACTION');
      try {
        await this.conn.run(
          `INSERT OR REPLACE INTO regress_runs VALUES ($id, $suite, $hash, $night, $commit, $ref, $sweeps, $overrides, $baseline, $status, $accepted, $note,
             epoch_ms($started::BIGINT), epoch_ms($finished::BIGINT), CASE WHEN $acceptedMs IS NULL THEN NULL ELSE epoch_ms($acceptedMs::BIGINT) END)`,
          {
            id: run.runId, suite: run.suite, hash: run.suiteHash, night: run.night, commit: run.commit, ref: run.ref ?? null,
            sweeps: listValue([...run.sweepIds]), overrides, baseline: run.baselineRunId ?? null, status: run.status, accepted: run.accepted,
            note: run.note ?? null, started: Date.parse(run.startedAt), finished: Date.parse(run.finishedAt),
            acceptedMs: run.acceptedAt === undefined ? null : Date.parse(run.acceptedAt),
          },
          { sweeps: LIST(VARCHAR), acceptedMs: BIGINT },
        );
        await this.conn.run('DELETE FROM regress_results WHERE run_id = $id', { id: run.runId });
        if (run.results.length > 0) {
          const appender = await this.conn.createAppender('regress_results');
          try {
            for (const x of run.results) {
              const f = resultFields(x);
              appender.appendVarchar(run.runId);
              for (const [i, v] of f.entries()) {
                if (i === 7) appender.appendList(listValue((v as number[]).map((n) => BigInt(n))), LIST(BIGINT));
                else if (i === 8) appender.appendList(listValue([...(v as number[])]), LIST(DOUBLE));
                else if (typeof v === 'boolean') appender.appendBoolean(v);
                else if (typeof v === 'string') appender.appendVarchar(v);
                else if (i === 9 || i === 10 || i === 18) appender.appendInteger(v as number);
                else appender.appendDouble(v as number);
              }
              appender.endRow();
            }
            appender.flushSync();
          } finally {
            appender.closeSync();
          }
        }
        await this.conn.run('COMMIT');
      } catch (e) {
        await this.conn.run('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
  }

  async regressRuns(suite: string, opts: RegressRunsOptions = {}): Promise<RegressRunRecord[]> {
    const limit = opts.limit;
    if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 0)) throw new CredoError('BAD_PARAM', 'invalid value', { field: 'limit', value: limit, allowed: 'an integer ≥ 0' });
    return this.read('regressRuns', async () => {
      const runs = await readRows(
        this.conn,
        `SELECT ${REGRESS_RUN_SELECT} FROM regress_runs WHERE suite = $suite ORDER BY started_at DESC, run_id DESC${limit === undefined ? '' : ` LIMIT ${limit}`}`,
        { suite },
      );
      return this.withResults(runs);
    });
  }

  async getRegressRun(runId: string): Promise<RegressRunRecord | undefined> {
    return this.read('getRegressRun', async () => {
      const runs = await readRows(this.conn, `SELECT ${REGRESS_RUN_SELECT} FROM regress_runs WHERE run_id = $id`, { id: runId });
      return (await this.withResults(runs))[0];
    });
  }

  /** Regress run rows (in {@link REGRESS_RUN_SELECT} order) with their results. Called only from inside the queue. */
  private async withResults(runs: unknown[][]): Promise<RegressRunRecord[]> {
    if (runs.length === 0) return [];
    const ids = runs.map((r) => String(r[0]));
    const results = await readRows(
      this.conn,
      `SELECT ${RESULT_COLUMNS.join(', ')} FROM regress_results WHERE list_contains($ids, run_id) ORDER BY run_id, benchmark`,
      { ids: listValue(ids) },
      { ids: LIST(VARCHAR) },
    );
    const byRun = new Map<string, RegressResultRecord[]>();
    for (const r of results) {
      const id = String(r[0]);
      let list = byRun.get(id);
      if (!list) byRun.set(id, (list = []));
      list.push(resultFromRow(r.slice(1)));
    }
    return runs.map((r) => regressRunFromRow(r, byRun.get(String(r[0])) ?? []));
  }

  /**
   * Writes buffered metrics now (they are also written before reads, outcomes and close).
   *
   * @example
   * ```ts
   * await store.flushMetrics();
   * ```
   */
  async flushMetrics(): Promise<void> {
    await this.write('flush', () => this.flush());
  }

  async close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    let flushError: unknown;
    if (!this.readOnly && !this.broken && !this.closed) {
      try {
        await this.exclusive('close', () => this.flush());
      } catch (e) {
        flushError = e;
      }
    }
    // From here every new call fails; calls already queued find the store closed when they run.
    this.closed = true;
    await this.tail;
    try {
      this.queryConn.closeSync();
      this.conn.closeSync();
      this.instance.closeSync();
    } finally {
      if (this.lockKey) openFiles.delete(this.lockKey);
    }
    if (flushError) throw flushError;
  }

  /** Runs `fn` after every operation queued before it; DuckDB errors become STORE_ERROR. */
  private exclusive<T>(op: string, fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(async () => {
      if (this.closed) throw new CredoError('STORE_ERROR', `store ${this.path} is closed`);
      if (this.broken) throw this.broken;
      try {
        return await fn();
      } catch (e) {
        if (e instanceof CredoError) throw e;
        throw new CredoError('STORE_ERROR', `store ${this.path}: ${op} failed: ${message(e)}`, { cause: e });
      }
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  private read<T>(op: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new CredoError('STORE_ERROR', `store ${this.path} is closed`));
    return this.exclusive(op, fn);
  }

  private write<T>(op: string, fn: () => Promise<T>): Promise<T> {
    try {
      this.checkWritable();
    } catch (e) {
      return Promise.reject(e);
    }
    return this.exclusive(op, fn);
  }

  private checkWritable(): void {
    if (this.closed) throw new CredoError('STORE_ERROR', `store ${this.path} is closed`);
    if (this.readOnly) throw new CredoError('STORE_ERROR', `store ${this.path} is open read-only`);
    if (this.broken) throw this.broken;
  }

  private async requireSweep(sweepId: string): Promise<void> {
    if (this.knownSweeps.has(sweepId)) return;
    const rows = await readRows(this.conn, 'SELECT 1 FROM sweeps WHERE sweep_id = $s', { s: sweepId });
    if (rows.length === 0) throw noSweep(sweepId);
    this.knownSweeps.add(sweepId);
  }

  /** Caches the current attempt of a trial found running in the database; throws for a trial never started. */
  private async loadRunning(sweepId: string, trialKey: string): Promise<void> {
    const k = runKey(sweepId, trialKey);
    if (this.running.has(k)) return;
    const rows = await readRows(this.conn, 'SELECT attempt, status FROM trials WHERE sweep_id = $s AND trial_key = $k', { s: sweepId, k: trialKey });
    if (!rows[0]) throw new CredoError('NOT_FOUND', `trial ${trialKey} of sweep ${sweepId} was never started; call startTrial first`);
    if (rows[0][1] === 'running') this.running.set(k, Number(rows[0][0]));
  }

  /**
   * Writes every buffered row with one commit. Called only from inside the queue.
   *
   * The rows go through a temporary staging table that holds only numbers (dictionary ids of
   * the series and metric name, step, value, time in ms): filling a DuckDB data chunk from JS
   * costs one native call per string and one object per timestamp, which was most of the
   * time of a direct append (~0.75M rows/s). One INSERT … SELECT then resolves the ids against
   * list parameters inside the engine. The staging table is recreated empty each time, so
   * rows left by a failed flush can never be inserted twice.
   *
   * A failure marks the store broken: the rows are gone, and a trial must not later be
   * recorded `done` without them.
   */
  private async flush(): Promise<void> {
    if (this.buffer.size === 0) return;
    const b = this.buffer.take();
    this.buffered.clear();
    try {
      await this.conn.run(`CREATE OR REPLACE TEMP TABLE ${STAGE} (series INTEGER, name INTEGER, step DOUBLE, value DOUBLE, time DOUBLE)`);
      const appender = await this.conn.createAppender(STAGE, 'main', 'temp');
      try {
        for (let o = 0; o < b.size; o += CHUNK_ROWS) {
          const n = Math.min(CHUNK_ROWS, b.size - o);
          const chunk = DuckDBDataChunk.create(STAGE_TYPES, n);
          chunk.setColumns([
            b.seriesIds.slice(o, o + n),
            b.nameIds.slice(o, o + n),
            b.steps.slice(o, o + n),
            b.values.slice(o, o + n),
            b.times.slice(o, o + n),
          ]);
          appender.appendDataChunk(chunk);
        }
        appender.flushSync();
      } finally {
        appender.closeSync();
      }
      await this.conn.run(
        `INSERT INTO metrics
         SELECT $sweeps[series], $trials[series], $attempts[series], $names[name], step::BIGINT, value, make_timestamp_ms(round(time)::BIGINT)
         FROM temp.main.${STAGE}`,
        {
          sweeps: listValue(b.series.map((x) => x.sweepId)),
          trials: listValue(b.series.map((x) => x.trialKey)),
          attempts: listValue(b.series.map((x) => x.attempt)),
          names: listValue(b.names),
        },
        { sweeps: LIST(VARCHAR), trials: LIST(VARCHAR), attempts: LIST(INTEGER), names: LIST(VARCHAR) },
      );
    } catch (e) {
      this.broken = new CredoError('STORE_ERROR', `store ${this.path}: writing ${b.size} metric rows failed, so the store refuses further writes: ${message(e)}`, { cause: e });
      throw this.broken;
    }
  }
}

const SWEEP_COLUMNS = 'sweep_id, name, description, spec_hash, trial_count, epoch_ms(created_at), epoch_ms(updated_at)';

/** regress_runs columns in the order {@link regressRunFromRow} reads them. */
const REGRESS_RUN_SELECT =
  'run_id, suite, suite_hash, night, commit_sha, ref, sweep_ids, overrides_json, baseline_run_id, status, accepted, note, epoch_ms(started_at), epoch_ms(finished_at), epoch_ms(accepted_at)';


function sweepSummary(row: unknown[]): SweepSummary {
  return {
    id: String(row[0]),
    name: String(row[1]),
    ...(row[2] === null ? {} : { description: String(row[2]) }),
    specHash: String(row[3]),
    count: Number(row[4]),
    createdAt: new Date(Number(row[5])).toISOString(),
    updatedAt: new Date(Number(row[6])).toISOString(),
    counts: zeroCounts(),
  };
}


/** An SQL list of status literals; statuses are checked against the fixed set, so quoting is safe. */
function sqlList(statuses: readonly TrialStatus[]): string {
  return statuses.map((s) => `'${s}'`).join(', ');
}



function realOrSelf(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}


function openError(path: string, e: unknown): CredoError {
  const msg = message(e);
  if (/Could not set lock/i.test(msg)) {
    const holder = /Conflicting lock is held in (.*?) \(PID (\d+)\)/s.exec(msg);
    return new CredoError(
      'STORE_ERROR',
      `store ${path} is locked by another process${holder ? ` (${holder[1]}, PID ${holder[2]})` : ''} — probably a running sweep or an open query; wait for it to finish, or copy the file and query the copy`,
      { cause: e },
    );
  }
  return new CredoError('STORE_ERROR', `cannot open store ${path}: ${msg}`, { cause: e });
}
