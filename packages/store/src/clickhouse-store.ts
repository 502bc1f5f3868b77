import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { CredoError, type MetricPoint, type TrialStatus } from '@credo/core';
import { ClickHouseConn } from './clickhouse-conn.js';
import { checkReadOnlySql, queryError, serverCode } from './clickhouse-read-only.js';
import { checkClickHouseSchema, migrateClickHouse } from './clickhouse-schema.js';
import { isIdentifier, sql, sqlList, SqlRaw, sqlValue, tsvField, type SqlValue } from './clickhouse-sql.js';
import { checkBy, curveStat, curveStatuses, groupOf } from './curve-cells.js';
import { checkExportOptions, copyExport, duckString } from './export-sql.js';
import { checkRegressRun, regressRunFromRow, RESULT_COLUMNS, resultFields, resultFromRow } from './regress-records.js';
import { describeTarget, maskSecret, parseClickHouseUrl, type ClickHouseTarget } from './clickhouse-url.js';
import { MetricBuffer } from './metric-buffer.js';
import { metricRowBinary } from './clickhouse-row-binary.js';
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

/** Where the store lives, for {@link openClickHouseStore}: a parsed URL, or its parts. */
export interface ClickHouseConnectionOptions {
  /** `http(s)://host:port`, or a full `clickhouse://user:password@host:port/database` URL. */
  readonly url: string;
  /** Override the URL's user, password or database. */
  readonly username?: string;
  readonly password?: string;
  readonly database?: string;
}

export interface ClickHouseStoreOptions {
  /**
   * Open for reading only: no migration (the schema must exist: NOT_FOUND otherwise), and every
   * write method fails with STORE_ERROR. Use it with a read-only ClickHouse user for
   * `credo query` / reports.
   */
  readonly readOnly?: boolean;
  /**
   * Credentials that {@link ClickHouseStore.query} runs as, normally a user whose profile has
   * `readonly = 1`. Default: the store's own user (every query still carries `readonly = 1`).
   */
  readonly queryUser?: { readonly username: string; readonly password: string };
  /** Buffered metric rows that trigger an insert (default 100 000). See {@link ClickHouseStore.appendMetrics}. */
  readonly flushRows?: number;
  /** HTTP request timeout in ms (default 60 000). */
  readonly requestTimeoutMs?: number;
  /** Written to `trials.worker` by {@link ClickHouseStore.startTrial} (default: the host name). */
  readonly worker?: string;
}

/** A sweep as the ingester writes it: a {@link SweepRecord} with optional times in epoch ms. */
export interface IngestSweep extends SweepRecord {
  /** Default: the stored sweep's creation time, or `updatedMs` for a new sweep. */
  readonly createdMs?: number;
  /** Default: now. Also the row's version: the row with the latest `updatedMs` wins. */
  readonly updatedMs?: number;
}

/**
 * One attempt of a trial as the ingester writes it: the trial's record (the whole row is
 * replaced, so config and params must come with every row) plus the attempt's state. The
 * fields are those of {@link TrialRecord}, with `trialKey` for `key` as in {@link IngestMetric}.
 */
export interface IngestTrial {
  readonly sweepId: string;
  readonly trialKey: string;
  readonly configKey: string;
  readonly index: number;
  readonly config: unknown;
  readonly params: TrialRecord['params'];
  readonly attempt: number;
  /** `running` when the attempt began; a final status when it ended. */
  readonly status: TrialStatus;
  readonly worker?: string;
  /** An empty string counts as no error (protobuf cannot tell them apart). */
  readonly error?: string;
  readonly durationMs?: number;
  readonly startedMs?: number;
  readonly finishedMs?: number;
}

/** One metric point as the ingester writes it. */
export interface IngestMetric {
  readonly sweepId: string;
  readonly trialKey: string;
  readonly attempt: number;
  readonly name: string;
  readonly step: number;
  /** NaN and ±Infinity allowed. */
  readonly value: number;
  /** Milliseconds since the epoch (≥ 0). */
  readonly timeMs: number;
}

/**
 * One call's rows per table. (Plain arrays, so that a caller can gather a batch with push.)
 * Metrics may also come as a {@link MetricBuffer}, columns with their strings dictionary-encoded,
 * which is how the cluster ingester gathers them without an object per point.
 */
export interface IngestBatch {
  sweeps?: IngestSweep[];
  trials?: IngestTrial[];
  metrics?: IngestMetric[] | MetricBuffer;
}

/** Names the cluster ingester uses for the same shapes. */
export type ClickHouseIngestBatch = IngestBatch;
export type ClickHouseSweepRow = IngestSweep;
export type ClickHouseTrialRow = IngestTrial;
export type ClickHouseMetricRow = IngestMetric;

/**
 * Opens the ClickHouse store at `target` (a `clickhouse://user:password@host:port/database` URL
 * as `--store` passes it, or connection options), creating the database and tables unless
 * `readOnly`. Throws STORE_ERROR (password masked) when the server cannot be reached or
 * refuses the user.
 *
 * @example
 * ```ts
 * const store = await openClickHouseStore('clickhouse://credo:secret@127.0.0.1:8123/credo');
 * // ad-hoc queries as a read-only user:
 * const ro = await openClickHouseStore('clickhouse://credo_ro:secret@127.0.0.1:8123/credo', { readOnly: true });
 * const { rows } = await ro.query('SELECT status, count() FROM trials FINAL GROUP BY status');
 * ```
 */
export async function openClickHouseStore(target: string | ClickHouseConnectionOptions, opts: ClickHouseStoreOptions = {}): Promise<ClickHouseStore> {
  return ClickHouseStore.open(target, opts);
}

const DEFAULT_FLUSH_ROWS = 100_000;
const DEFAULT_TIMEOUT_MS = 60_000;
/** TSV lines per string chunk of an insert body (~1 MB of metric rows). */
const CHUNK_LINES = 16_384;
const INTERRUPTED = 'interrupted: the runner stopped while this trial was running';

const SWEEP_COLUMNS = ['sweep_id', 'name', 'description', 'spec_hash', 'spec_json', 'trial_count', 'created_ms', 'updated_ms', 'version'] as const;
const TRIAL_COLUMNS = [
  'sweep_id', 'trial_key', 'trial_index', 'config_key', 'config_json', 'param_keys', 'param_values', 'params_json', 'seed',
  'status', 'attempt', 'started_ms', 'finished_ms', 'duration_ms', 'error', 'worker', 'version',
] as const;
const METRIC_COLUMNS = ['sweep_id', 'trial_key', 'attempt', 'name', 'step', 'value', 'time_ms'] as const;

/** A trials row, as written and as read back. */
interface TrialRow {
  sweepId: string;
  trialKey: string;
  trialIndex: number;
  configKey: string;
  configJson: string;
  paramKeys: string[];
  paramValues: string[];
  paramsJson: string;
  seed: number | null;
  status: TrialStatus;
  attempt: number;
  startedMs: number | null;
  finishedMs: number | null;
  durationMs: number | null;
  error: string | null;
  worker: string;
}

/** Sweep rows as written. */
interface SweepRow {
  id: string;
  name: string;
  description: string | null;
  specHash: string;
  specJson: string;
  count: number;
  createdMs: number | undefined;
  updatedMs: number;
  version: number;
}

/**
 * The ClickHouse adapter of {@link MetricsStore}, made by {@link openClickHouseStore}, plus
 * {@link ClickHouseStore.ingest} for the cluster ingester.
 *
 * Storage is idempotent rather than transactional (see clickhouse-schema.ts): writes insert
 * rows, never update or delete them, and reads collapse them with FINAL and keep only each
 * trial's current attempt. So a retried insert, a re-sent batch or an older attempt's late
 * points never count twice. Like the DuckDB adapter, every operation of one store object runs
 * through one queue, so that reads see the writes called before them.
 *
 * @example
 * ```ts
 * const store = await openClickHouseStore(url);
 * const attempt = await store.startTrial(sweepId, trial);
 * await store.appendMetrics(sweepId, trial.key, attempt, points); // buffered
 * await store.finishTrial(sweepId, trial.key, attempt, { status: 'done', durationMs: 830 }); // flushes first
 * ```
 */
export class ClickHouseStore implements MetricsStore {
  /** `clickhouse http://user@host:port/database`: the location without the password. */
  readonly location: string;
  readonly database: string;
  readonly readOnly: boolean;
  private readonly conn: ClickHouseConn;
  private readonly queryConn: ClickHouseConn;
  private readonly flushRows: number;
  private readonly worker: string;
  private readonly secrets: string[];
  private buffer = new MetricBuffer();
  /** Batches whose insert failed: sent again (harmlessly: they collapse) before anything newer. */
  private unsent: MetricBuffer[] = [];
  /** Trials with rows in {@link buffer} or {@link unsent}: only these need a flush before their outcome. */
  private readonly buffered = new Set<string>();
  /** Current attempt of each trial running in this process (or found running), by runKey. */
  private readonly running = new Map<string, number>();
  private readonly knownSweeps = new Set<string>();
  private lastSweepVersion = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;
  private closing: Promise<void> | undefined;

  private constructor(target: ClickHouseTarget, conn: ClickHouseConn, queryConn: ClickHouseConn, opts: ClickHouseStoreOptions, flushRows: number, secrets: string[]) {
    this.location = describeTarget(target);
    this.database = target.database;
    this.readOnly = opts.readOnly ?? false;
    this.conn = conn;
    this.queryConn = queryConn;
    this.flushRows = flushRows;
    this.worker = opts.worker ?? hostname();
    this.secrets = secrets;
  }

  /** See {@link openClickHouseStore}. */
  static async open(targetIn: string | ClickHouseConnectionOptions, opts: ClickHouseStoreOptions = {}): Promise<ClickHouseStore> {
    const target = resolveTarget(targetIn);
    const flushRows = opts.flushRows ?? DEFAULT_FLUSH_ROWS;
    if (!Number.isSafeInteger(flushRows) || flushRows < 1) {
      throw new CredoError('STORE_ERROR', 'invalid value', { field: 'flushRows', value: flushRows, allowed: 'an integer ≥ 1' });
    }
    const requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    const where = describeTarget(target);
    const secrets = [target.password, opts.queryUser?.password ?? ''].filter((s) => s !== '');
    const mask = (m: string) => secrets.reduce((acc, s) => maskSecret(acc, s), m);
    const opened: ClickHouseConn[] = [];
    try {
      if (!opts.readOnly) {
        // The database may not exist yet, and a client bound to a missing database fails every request.
        const boot = new ClickHouseConn(target, { requestTimeoutMs, database: undefined });
        opened.push(boot);
        await boot.command(`CREATE DATABASE IF NOT EXISTS ${target.database}`);
      }
      const conn = new ClickHouseConn(target, { requestTimeoutMs, database: target.database });
      opened.push(conn);
      if (opts.readOnly) await checkClickHouseSchema(conn, where);
      else await migrateClickHouse(conn, where);
      let queryConn = conn;
      if (opts.queryUser) {
        queryConn = new ClickHouseConn({ ...target, username: opts.queryUser.username, password: opts.queryUser.password }, { requestTimeoutMs, database: target.database });
        opened.push(queryConn);
      }
      const store = new ClickHouseStore(target, conn, queryConn, opts, flushRows, secrets);
      // Only the bootstrap client is done with.
      if (!opts.readOnly) await opened[0]!.close();
      return store;
    } catch (e) {
      await Promise.all(opened.map((c) => c.close().catch(() => undefined)));
      if (e instanceof CredoError) throw e;
      throw new CredoError('STORE_ERROR', `cannot open store ${where}: ${mask(message(e))}`, { cause: e });
    }
  }

  async upsertSweep(s: SweepRecord): Promise<void> {
    const specJson = checkSweep(s);
    await this.write('upsertSweep', async () => {
      const now = Date.now();
      // Strictly increasing, so that two upserts in one millisecond still order.
      const version = (this.lastSweepVersion = Math.max(now, this.lastSweepVersion + 1));
      await this.insertSweeps([{ ...sweepRow(s, specJson), updatedMs: now, version }]);
      this.knownSweeps.add(s.id);
    });
  }

  async getSweep(id: string): Promise<StoredSweep | undefined> {
    return this.read('getSweep', async () => {
      const { rows } = await this.conn.select(sql`SELECT ${SWEEP_SELECT}, spec_json FROM sweeps FINAL WHERE sweep_id = ${id}`);
      const row = rows[0];
      if (!row) return undefined;
      const { counts: _, ...summary } = sweepSummary(row);
      return { ...summary, spec: JSON.parse(String(row[7])) as unknown };
    });
  }

  async listSweeps(): Promise<SweepSummary[]> {
    return this.read('listSweeps', async () => {
      const sweeps = await this.conn.select(`SELECT ${SWEEP_SELECT.text} FROM sweeps FINAL ORDER BY created_ms DESC, sweep_id`);
      const counts = await this.conn.select('SELECT sweep_id, status, count() FROM (SELECT sweep_id, status FROM trials FINAL) GROUP BY sweep_id, status');
      const byId = new Map<string, Record<TrialStatus, number>>();
      for (const [id, status, n] of counts.rows) {
        let c = byId.get(String(id));
        if (!c) byId.set(String(id), (c = zeroCounts()));
        if (isTrialStatus(String(status))) c[status as TrialStatus] = Number(n);
      }
      return sweeps.rows.map((row) => {
        const s = sweepSummary(row);
        return { ...s, counts: withPending(byId.get(s.id) ?? zeroCounts(), s.count) };
      });
    });
  }

  async completedKeys(sweepId: string): Promise<Set<string>> {
    return this.read('completedKeys', async () => {
      // Status is filtered outside the FINAL subquery: only key columns may filter rows before they collapse.
      const { rows } = await this.conn.select(
        sql`SELECT trial_key FROM (SELECT trial_key, status FROM trials FINAL WHERE sweep_id = ${sweepId}) WHERE status IN (${sqlList(COMPLETE_STATUSES)})`,
      );
      return new Set(rows.map((r) => String(r[0])));
    });
  }

  async startTrial(sweepId: string, t: TrialRecord): Promise<number> {
    const { configJson, params } = checkTrial(t);
    return this.write('startTrial', async () => {
      await this.requireSweep(sweepId);
      const k = runKey(sweepId, t.key);
      // From here the old attempt's points are dropped on arrival; those already buffered are
      // written under the old attempt number, which reads ignore.
      this.running.delete(k);
      const previous = await this.conn.scalar(sql`SELECT max(attempt) FROM trials WHERE sweep_id = ${sweepId} AND trial_key = ${t.key}`);
      const attempt = previous + 1;
      await this.insertTrials([{
        sweepId, trialKey: t.key, trialIndex: t.index, configKey: t.configKey, configJson,
        paramKeys: params.keys, paramValues: params.values, paramsJson: params.json, seed: params.seed,
        status: 'running', attempt, startedMs: Date.now(), finishedMs: null, durationMs: null, error: null, worker: this.worker,
      }]);
      this.running.set(k, attempt);
      return attempt;
    });
  }

  /**
   * Buffers the points; they are inserted when {@link ClickHouseStoreOptions.flushRows} rows
   * are waiting, before the trial's outcome is recorded, before reads and on close. An insert
   * that fails keeps its rows for the next attempt (inserting them twice is harmless) and
   * rejects this call; the points passed to it are buffered all the same.
   */
  async appendMetrics(sweepId: string, trialKey: string, attempt: number, points: readonly MetricPoint[]): Promise<void> {
    this.checkWritable();
    checkAttempt(attempt);
    checkPoints(points);
    checkTimes(points);
    if (points.length === 0) return;
    const k = runKey(sweepId, trialKey);
    if (this.running.get(k) !== attempt) {
      if (!this.running.has(k)) await this.write('appendMetrics', () => this.loadRunning(sweepId, trialKey));
      if (this.running.get(k) !== attempt) return;
    }
    this.buffer.push(sweepId, trialKey, attempt, points);
    this.buffered.add(k);
    if (this.buffer.size >= this.flushRows) await this.write('appendMetrics', () => this.flush());
  }

  async finishTrial(sweepId: string, trialKey: string, attempt: number, o: TrialOutcome): Promise<void> {
    checkAttempt(attempt);
    checkOutcome(o);
    await this.write('finishTrial', async () => {
      const k = runKey(sweepId, trialKey);
      if (this.running.get(k) === attempt) this.running.delete(k);
      // A trial is recorded as finished only once its metrics are stored.
      if (this.buffered.has(k)) await this.flush();
      const rows = await this.selectTrials(sql`sweep_id = ${sweepId} AND trial_key = ${trialKey}`);
      const row = rows[0];
      if (!row) throw new CredoError('NOT_FOUND', `trial ${trialKey} of sweep ${sweepId} was never started`);
      if (row.attempt !== attempt) return; // a stale attempt: a newer one owns the trial
      await this.insertTrials([{ ...row, status: o.status, error: o.error ?? null, durationMs: o.durationMs, finishedMs: Date.now() }]);
    });
  }

  async markInterrupted(sweepId: string): Promise<number> {
    return this.write('markInterrupted', async () => {
      await this.flush();
      const rows = (await this.selectTrials(sql`sweep_id = ${sweepId}`)).filter((r) => r.status === 'running');
      const now = Date.now();
      await this.insertTrials(rows.map((r) => ({ ...r, status: 'cancelled' as const, finishedMs: now, error: r.error ?? INTERRUPTED })));
      for (const r of rows) this.running.delete(runKey(sweepId, r.trialKey));
      return rows.length;
    });
  }

  async trialCounts(sweepId: string): Promise<Record<TrialStatus, number>> {
    return this.read('trialCounts', async () => {
      const sweep = await this.conn.select(sql`SELECT trial_count FROM sweeps FINAL WHERE sweep_id = ${sweepId}`);
      if (!sweep.rows[0]) throw noSweep(sweepId);
      const counts = zeroCounts();
      const { rows } = await this.conn.select(sql`SELECT status, count() FROM (SELECT status FROM trials FINAL WHERE sweep_id = ${sweepId}) GROUP BY status`);
      for (const [status, n] of rows) if (isTrialStatus(String(status))) counts[status as TrialStatus] = Number(n);
      return withPending(counts, Number(sweep.rows[0][0]));
    });
  }

  async finalValues(sweepId: string, metric: string, mode: FinalValueMode, opts: FinalValuesOptions = {}): Promise<FinalValue[]> {
    const agg = FINAL_AGGREGATES[mode];
    if (!agg) throw new CredoError('STORE_ERROR', 'invalid value', { field: 'mode', value: mode, allowed: 'last, min, max' });
    const statuses = opts.statuses ?? ['done'];
    for (const s of statuses) {
      if (!TRIAL_STATUSES.includes(s)) throw new CredoError('STORE_ERROR', 'invalid value', { field: 'statuses', value: s, allowed: TRIAL_STATUSES.join(', ') });
    }
    if (statuses.length === 0) return [];
    return this.read('finalValues', async () => {
      await this.requireSweep(sweepId);
      await this.flush();
      // FINAL collapses re-sent points; joining on the attempt as well keeps the points of
      // earlier attempts out, so that every point of the trial's current attempt counts once.
      const { rows } = await this.conn.select(sql`
        SELECT trial_key, config_key, params_json, seed, status, value
        FROM (
          SELECT trial_key, attempt, trial_index, config_key, params_json, seed, status
          FROM (SELECT * FROM trials FINAL WHERE sweep_id = ${sweepId})
          WHERE status IN (${sqlList(statuses)})
        ) ALL INNER JOIN (
          SELECT trial_key, attempt, ${agg} AS value
          FROM metrics FINAL WHERE sweep_id = ${sweepId} AND name = ${metric}
          GROUP BY trial_key, attempt
        ) USING (trial_key, attempt)
        ORDER BY trial_index, trial_key`);
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

  /**
   * Runs one read-only statement (see clickhouse-read-only.ts) with `readonly = 1`, as the
   * query user when one is configured. Columns come back converted by type: integers as
   * numbers (decimal strings beyond 2^53), floats as numbers with NaN and ±Infinity, arrays as
   * arrays, DateTime and Date as ClickHouse prints them (`2024-01-31 12:00:00`, server time
   * zone). Tables hold every version of a re-sent row until ClickHouse merges them: add FINAL
   * (`FROM metrics FINAL`) to read each once, and join on `trials` to keep the current attempt.
   */
  async query(text: string): Promise<QueryResult> {
    return this.read('query', async () => {
      checkReadOnlySql(text);
      await this.flush();
      try {
        const r = await this.queryConn.select(text, { readonly: '1' });
        return { columns: r.columns, rows: r.rows };
      } catch (e) {
        if (e instanceof CredoError) throw e;
        const msg = this.mask(message(e));
        // No server code: the server was not reached, which is not the query's fault.
        if (serverCode(msg) === undefined) throw new CredoError('STORE_ERROR', `store ${this.location}: query failed: ${msg}`, { cause: e });
        throw queryError(e, msg);
      }
    });
  }

  async curveCells(sweepId: string, metric: string, opts: CurveCellsOptions = {}): Promise<CurveCell[]> {
    // RowBinary, and sorting in JS: formatting 10⁶ floats as text (and arraySort on 18.16)
    // took longer than reading them.
    return this.curveQuery('curveCells', sweepId, metric, opts, 'groupArrayIf(value, isFinite(value)), toUInt64(countIf(NOT isFinite(value)))', readCurveRows);
  }

  async curveStats(sweepId: string, metric: string, opts: CurveCellsOptions = {}): Promise<CurveStat[]> {
    // The same cells aggregated here: 10⁶ points come back as one row per (group, step),
    // instead of 8 MB of doubles to parse and sort in JS.
    return this.curveQuery(
      'curveStats', sweepId, metric, opts,
      `toUInt64(countIf(isFinite(value))), avgIf(value, isFinite(value)), varSampIf(value, isFinite(value)),
       minIf(value, isFinite(value)), maxIf(value, isFinite(value)), toUInt64(countIf(NOT isFinite(value)))`,
      readCurveStatRows,
    );
  }

  /**
   * The selection both curve reads share — a sweep's points of one metric, of trials in the
   * given statuses, grouped by the `by` params and step — with `aggregates` computed per cell
   * and the RowBinary result handed to `parse`.
   */
  private curveQuery<T>(op: string, sweepId: string, metric: string, opts: CurveCellsOptions, aggregates: string, parse: (bin: Buffer, by: readonly string[]) => T[]): Promise<T[]> {
    const by = opts.by ?? [];
    checkBy(by);
    const statuses = curveStatuses(opts.statuses);
    if (statuses.length === 0) return Promise.resolve([]);
    return this.read(op, async () => {
      await this.requireSweep(sweepId);
      await this.flush();
      const groups = by.map((_, i) => `g${i}`);
      // indexOf is 0 for a missing key, and arr[0] is '' on 18.16: absent, as groupOf reads it.
      const groupExprs = by.map((b, i) => sql`param_values[indexOf(param_keys, ${b})] AS ${new SqlRaw(`g${i}`)}`);
      // FINAL reads a re-sent point once; the join keeps each trial's current attempt only.
      const bin = await this.conn.selectBinary(sql`
        SELECT ${new SqlRaw([...groups, 'toUInt64(step)'].join(', '))}, ${new SqlRaw(aggregates)}
        FROM (
          SELECT trial_key, attempt, step, value FROM metrics FINAL WHERE sweep_id = ${sweepId} AND name = ${metric}
        ) ALL INNER JOIN (
          SELECT ${new SqlRaw(['trial_key', 'attempt', ...groupExprs].join(', '))}
          FROM (SELECT * FROM trials FINAL WHERE sweep_id = ${sweepId})
          WHERE status IN (${sqlList(statuses)})
        ) USING (trial_key, attempt)
        GROUP BY ${new SqlRaw([...groups, 'step'].join(', '))}`);
      return parse(bin, by);
    });
  }

  /**
   * ClickHouse 18.16 has no Parquet output, so the export goes the way of every other backend:
   * the points stream from the server as CSV into a temp file (no parsing in JS), the trials
   * are read, and an in-memory DuckDB writes the file with the shared writer (export-sql.ts).
   */
  async exportMetrics(sweepId: string, opts: ExportOptions): Promise<ExportSummary> {
    checkExportOptions(opts);
    return this.read('exportMetrics', async () => {
      await this.requireSweep(sweepId);
      await this.flush();
      const statusWhere = opts.statuses && opts.statuses.length > 0 ? sql` WHERE status IN (${sqlList(opts.statuses)})` : '';
      const nameWhere = opts.metrics && opts.metrics.length > 0 ? sql` AND name IN (${sqlList(opts.metrics)})` : '';
      const trialsSql = `SELECT trial_key, attempt, trial_index, seed, status, param_keys, param_values FROM (SELECT * FROM trials FINAL WHERE sweep_id = ${sqlValue(sweepId)})${statusWhere}`;
      // Loaded here, not at the top: every other ClickHouse read or write runs without DuckDB's native binding.
      const { DuckDBInstance, LIST, listValue, VARCHAR } = await import('@duckdb/node-api');
      const dir = await mkdtemp(join(tmpdir(), 'credo-export-'));
      let duck: DuckDBInstance | undefined;
      let conn: DuckDBConnection | undefined;
      try {
        const csv = join(dir, 'metrics.csv');
        await this.conn.queryToFile(
          `SELECT trial_key, attempt, name, step, value, time_ms
           FROM (SELECT trial_key, attempt, name, step, value, time_ms FROM metrics FINAL WHERE sweep_id = ${sqlValue(sweepId)}${nameWhere})
           ALL INNER JOIN (SELECT trial_key, attempt FROM (${trialsSql})) USING (trial_key, attempt)`,
          'CSVWithNames',
          csv,
        );
        const trials = (await this.conn.select(trialsSql)).rows;
        duck = await DuckDBInstance.create(':memory:', { threads: '2' });
        conn = await duck.connect();
        await conn.run('CREATE TABLE t (trial_key VARCHAR, attempt INTEGER, trial_index BIGINT, seed BIGINT, status VARCHAR, param_keys VARCHAR[], param_values VARCHAR[])');
        const appender = await conn.createAppender('t');
        try {
          for (const r of trials) {
            appender.appendVarchar(String(r[0]));
            appender.appendInteger(Number(r[1]));
            appender.appendBigInt(BigInt(Number(r[2])));
            if (r[3] === null) appender.appendNull();
            else appender.appendBigInt(BigInt(Number(r[3])));
            appender.appendVarchar(String(r[4]));
            appender.appendList(listValue((r[5] as unknown[]).map(String)), LIST(VARCHAR));
            appender.appendList(listValue((r[6] as unknown[]).map(String)), LIST(VARCHAR));
            appender.endRow();
          }
          appender.flushSync();
        } finally {
          appender.closeSync();
        }
        return await copyExport(
          conn,
          {
            sweepId,
            trials: 't',
            metrics: `(SELECT trial_key, attempt, name, step, value, epoch_ms(time_ms) AS time FROM read_csv(${duckString(csv)}, header = true, quote = '"', escape = '"',
              columns = {'trial_key': 'VARCHAR', 'attempt': 'INTEGER', 'name': 'VARCHAR', 'step': 'BIGINT', 'value': 'DOUBLE', 'time_ms': 'BIGINT'}))`,
          },
          { ...opts, path: resolve(opts.path) },
        );
      } finally {
        conn?.closeSync();
        duck?.closeSync();
        await rm(dir, { recursive: true, force: true });
      }
    });
  }

  async saveRegressRun(run: RegressRunRecord): Promise<void> {
    const overrides = checkRegressRun(run);
    await this.write('saveRegressRun', async () => {
      // One version for the run row and all its results: reads join results on the run's version.
      const version = (this.lastSweepVersion = Math.max(Date.now(), this.lastSweepVersion + 1));
      await this.conn.insertTsv('regress_results', [...RESULT_COLUMNS, 'version'], tsvLines(run.results, (x) => [run.runId, ...(resultFields(x) as SqlValue[]), version]));
      await this.conn.insertTsv('regress_runs', REGRESS_RUN_COLUMNS, tsvLines([run], (r) => [
        r.runId, r.suite, r.suiteHash, r.night, r.commit, r.ref ?? null, r.sweepIds, overrides, r.baselineRunId ?? null, r.status, r.accepted ? 1 : 0,
        r.note ?? null, Date.parse(r.startedAt), Date.parse(r.finishedAt), r.acceptedAt === undefined ? null : Date.parse(r.acceptedAt), version,
      ]));
    });
  }

  async regressRuns(suite: string, opts: RegressRunsOptions = {}): Promise<RegressRunRecord[]> {
    const limit = opts.limit;
    if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 0)) throw new CredoError('BAD_PARAM', 'invalid value', { field: 'limit', value: limit, allowed: 'an integer ≥ 0' });
    return this.read('regressRuns', async () => {
      const { rows } = await this.conn.select(
        sql`SELECT ${REGRESS_RUN_SELECT} FROM regress_runs FINAL WHERE suite = ${suite} ORDER BY started_ms DESC, run_id DESC` + (limit === undefined ? '' : ` LIMIT ${limit}`),
      );
      return this.withResults(rows);
    });
  }

  async getRegressRun(runId: string): Promise<RegressRunRecord | undefined> {
    return this.read('getRegressRun', async () => {
      const { rows } = await this.conn.select(sql`SELECT ${REGRESS_RUN_SELECT} FROM regress_runs FINAL WHERE run_id = ${runId}`);
      return (await this.withResults(rows))[0];
    });
  }

  /** Regress run rows (in {@link REGRESS_RUN_SELECT} order, version last) with their current results. */
  private async withResults(runs: unknown[][]): Promise<RegressRunRecord[]> {
    if (runs.length === 0) return [];
    const ids = sqlList(runs.map((r) => String(r[0])));
    const { rows } = await this.conn.select(sql`
      SELECT ${new SqlRaw(RESULT_COLUMNS.join(', '))}
      FROM (SELECT * FROM regress_results FINAL WHERE run_id IN (${ids}))
      ALL INNER JOIN (SELECT run_id, version FROM regress_runs FINAL WHERE run_id IN (${ids})) USING (run_id, version)
      ORDER BY run_id, benchmark`);
    const byRun = new Map<string, RegressResultRecord[]>();
    for (const r of rows) {
      const id = String(r[0]);
      let list = byRun.get(id);
      if (!list) byRun.set(id, (list = []));
      list.push(resultFromRow(r.slice(1)));
    }
    return runs.map((r) => regressRunFromRow(r, byRun.get(String(r[0])) ?? []));
  }

  /**
   * Writes a batch as the cluster ingester receives it, with one INSERT per table (sweeps,
   * then metrics, then trials, so that a trial is never `done` before its points are stored).
   * The whole batch is validated first: a bad row rejects it with STORE_ERROR and writes
   * nothing. A failed insert rejects the call (the tables written before it keep their rows);
   * calling again with the same batch is safe, since rows collapse by key. So: acknowledge the
   * messages only after this resolves.
   *
   * @example
   * ```ts
   * await store.ingest({ metrics: [{ sweepId, trialKey, attempt: 1, name: 'train/loss', step: 10, value: 0.3, timeMs: Date.now() }] });
   * ```
   */
  async ingest(batch: IngestBatch): Promise<void> {
    this.checkWritable();
    const sweeps = (batch.sweeps ?? []).map((s, i) => ingestSweepRow(s, i));
    const trials = (batch.trials ?? []).map((t, i) => ingestTrialRow(t, i, this.worker));
    const metrics = ingestMetricBuffer(batch.metrics);
    return this.write('ingest', async () => {
      if (sweeps.length > 0) await this.insertSweeps(sweeps);
      if (metrics.size > 0) await this.conn.insertRowBinary('metrics', METRIC_COLUMNS, metricRowBinary(metrics));
      if (trials.length > 0) await this.insertTrials(trials);
      for (const s of sweeps) this.knownSweeps.add(s.id);
    });
  }

  /** Inserts buffered metrics now (they are also inserted before outcomes, reads and close). */
  async flushMetrics(): Promise<void> {
    await this.write('flush', () => this.flush());
  }

  async close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    let flushError: unknown;
    if (!this.readOnly && !this.closed) {
      try {
        await this.exclusive('close', () => this.flush());
      } catch (e) {
        flushError = e;
      }
    }
    this.closed = true;
    await this.tail;
    await this.conn.close();
    if (this.queryConn !== this.conn) await this.queryConn.close();
    if (flushError) throw flushError;
  }

  /** Runs `fn` after every operation queued before it; other errors become STORE_ERROR, password masked. */
  private exclusive<T>(op: string, fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(async () => {
      if (this.closed) throw this.closedError();
      try {
        return await fn();
      } catch (e) {
        if (e instanceof CredoError) throw e;
        throw new CredoError('STORE_ERROR', `store ${this.location}: ${op} failed: ${this.mask(message(e))}`, { cause: e });
      }
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  private read<T>(op: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(this.closedError());
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
    if (this.closed) throw this.closedError();
    if (this.readOnly) throw new CredoError('STORE_ERROR', `store ${this.location} is open read-only`);
  }

  private closedError(): CredoError {
    return new CredoError('STORE_ERROR', `store ${this.location} is closed`);
  }

  private mask(text: string): string {
    return this.secrets.reduce((acc, s) => maskSecret(acc, s), text);
  }

  private async requireSweep(sweepId: string): Promise<void> {
    if (this.knownSweeps.has(sweepId)) return;
    const { rows } = await this.conn.select(sql`SELECT 1 FROM sweeps WHERE sweep_id = ${sweepId} LIMIT 1`);
    if (rows.length === 0) throw noSweep(sweepId);
    this.knownSweeps.add(sweepId);
  }

  /** Caches the current attempt of a trial found running in the database; throws for a trial never started. */
  private async loadRunning(sweepId: string, trialKey: string): Promise<void> {
    const k = runKey(sweepId, trialKey);
    if (this.running.has(k)) return;
    const rows = await this.selectTrials(sql`sweep_id = ${sweepId} AND trial_key = ${trialKey}`);
    if (!rows[0]) throw new CredoError('NOT_FOUND', `trial ${trialKey} of sweep ${sweepId} was never started; call startTrial first`);
    if (rows[0].status === 'running') this.running.set(k, rows[0].attempt);
  }

  /** The current rows of the trials matching `where`, which may only name key columns (sweep_id, trial_key). */
  private async selectTrials(where: string): Promise<TrialRow[]> {
    const { rows } = await this.conn.select(`SELECT ${TRIAL_COLUMNS.slice(0, -1).join(', ')} FROM trials FINAL WHERE ${where}`);
    return rows.map((r) => ({
      sweepId: String(r[0]),
      trialKey: String(r[1]),
      trialIndex: Number(r[2]),
      configKey: String(r[3]),
      configJson: String(r[4]),
      paramKeys: (r[5] as unknown[]).map(String),
      paramValues: (r[6] as unknown[]).map(String),
      paramsJson: String(r[7]),
      seed: r[8] === null ? null : Number(r[8]),
      status: String(r[9]) as TrialStatus,
      attempt: Number(r[10]),
      startedMs: r[11] === null ? null : Number(r[11]),
      finishedMs: r[12] === null ? null : Number(r[12]),
      durationMs: r[13] === null ? null : Number(r[13]),
      error: r[14] === null ? null : String(r[14]),
      worker: String(r[15]),
    }));
  }

  private async insertTrials(rows: readonly TrialRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.conn.insertTsv('trials', TRIAL_COLUMNS, tsvLines(rows, (r) => [
      r.sweepId, r.trialKey, r.trialIndex, r.configKey, r.configJson, r.paramKeys, r.paramValues, r.paramsJson, r.seed,
      r.status, r.attempt, roundMs(r.startedMs), roundMs(r.finishedMs), r.durationMs, r.error, r.worker, trialVersion(r.attempt, r.status),
    ]));
  }

  /** Inserts sweep rows; those without a creation time keep the stored one (or take their update time). */
  private async insertSweeps(rows: readonly SweepRow[]): Promise<void> {
    const missing = [...new Set(rows.filter((r) => r.createdMs === undefined).map((r) => r.id))];
    const created = new Map<string, number>();
    if (missing.length > 0) {
      const { rows: found } = await this.conn.select(sql`SELECT sweep_id, created_ms FROM sweeps FINAL WHERE sweep_id IN (${sqlList(missing)})`);
      for (const [id, ms] of found) created.set(String(id), Number(ms));
    }
    await this.conn.insertTsv('sweeps', SWEEP_COLUMNS, tsvLines(rows, (r) => [
      r.id, r.name, r.description, r.specHash, r.specJson, r.count, Math.round(r.createdMs ?? created.get(r.id) ?? r.updatedMs), Math.round(r.updatedMs), r.version,
    ]));
  }

  /**
   * Inserts every buffered metric row with one INSERT. Called only from inside the queue. A
   * failed insert keeps its rows in {@link unsent} and rethrows; the next flush sends them
   * first. Sending rows twice is harmless: they collapse by key.
   */
  private async flush(): Promise<void> {
    if (this.buffer.size > 0) this.unsent.push(this.buffer.take());
    while (this.unsent.length > 0) {
      await this.conn.insertRowBinary('metrics', METRIC_COLUMNS, metricRowBinary(this.unsent[0]!));
      this.unsent.shift();
    }
    this.buffered.clear();
  }
}

const REGRESS_RUN_COLUMNS = [
  'run_id', 'suite', 'suite_hash', 'night', 'commit_sha', 'ref', 'sweep_ids', 'overrides_json', 'baseline_run_id', 'status', 'accepted',
  'note', 'started_ms', 'finished_ms', 'accepted_ms', 'version',
] as const;

/** regress_runs columns in the order `regressRunFromRow` reads them. */
const REGRESS_RUN_SELECT = new SqlRaw(REGRESS_RUN_COLUMNS.slice(0, -1).join(', '));

/**
 * Parses the RowBinary rows of the curve query: per row the `by` strings (LEB128 length +
 * UTF-8), step UInt64, Array(Float64) (LEB128 count + little-endian doubles), non-finite
 * count UInt64.
 */
function readCurveRows(buf: Buffer, by: readonly string[]): CurveCell[] {
  const out: CurveCell[] = [];
  let off = 0;
  const varint = (): number => {
    let v = 0;
    let shift = 0;
    for (;;) {
      const b = buf[off++]!;
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
      shift += 7;
    }
  };
  const texts = new Array<string>(by.length);
  while (off < buf.length) {
    for (let i = 0; i < by.length; i++) {
      const len = varint();
      texts[i] = buf.toString('utf8', off, off + len);
      off += len;
    }
    const step = Number(buf.readBigUInt64LE(off));
    off += 8;
    const n = varint();
    // A copy, so that the doubles are 8-byte aligned for the typed view; sorted as the port promises.
    const values = new Float64Array(buf.buffer.slice(buf.byteOffset + off, buf.byteOffset + off + 8 * n)).sort();
    off += 8 * n;
    const nonFinite = Number(buf.readBigUInt64LE(off));
    off += 8;
    out.push({ group: groupOf(by, texts), step, values: Array.from(values), nonFinite });
  }
  if (off !== buf.length) throw new CredoError('STORE_ERROR', 'malformed RowBinary result from ClickHouse');
  return out;
}

/** Rows of the curveStats query: the group texts, step, n, mean, variance, min, max, non-finite count. */
function readCurveStatRows(buf: Buffer, by: readonly string[]): CurveStat[] {
  const out: CurveStat[] = [];
  let off = 0;
  const texts = new Array<string>(by.length);
  while (off < buf.length) {
    for (let i = 0; i < by.length; i++) {
      let len = 0;
      let shift = 0;
      for (;;) {
        const b = buf[off++]!;
        len += (b & 0x7f) * 2 ** shift;
        if (b < 0x80) break;
        shift += 7;
      }
      texts[i] = buf.toString('utf8', off, off + len);
      off += len;
    }
    const step = Number(buf.readBigUInt64LE(off));
    const n = Number(buf.readBigUInt64LE(off + 8));
    const [mean, variance, min, max] = [buf.readDoubleLE(off + 16), buf.readDoubleLE(off + 24), buf.readDoubleLE(off + 32), buf.readDoubleLE(off + 40)];
    const nonFinite = Number(buf.readBigUInt64LE(off + 48));
    off += 56;
    out.push(curveStat(groupOf(by, texts), step, n, mean, variance, min, max, nonFinite));
  }
  if (off !== buf.length) throw new CredoError('STORE_ERROR', 'malformed RowBinary result from ClickHouse');
  return out;
}

/** `SELECT` list of a sweep summary, in the order {@link sweepSummary} reads it. */
const SWEEP_SELECT = new SqlRaw('sweep_id, name, description, spec_hash, trial_count, created_ms, updated_ms');

/**
 * One value per trial and attempt. ClickHouse's min and max depend on row order when NaN is
 * present; these follow the DuckDB adapter, where NaN sorts above every number: `max` is NaN
 * when any value is, `min` only when all are.
 */
const FINAL_AGGREGATES: Record<FinalValueMode, SqlRaw> = {
  last: new SqlRaw('argMax(value, step)'),
  min: new SqlRaw('if(countIf(isNaN(value)) = count(), nan, minIf(value, NOT isNaN(value)))'),
  max: new SqlRaw('if(countIf(isNaN(value)) > 0, nan, max(value))'),
};

const STATUS_RANK: Record<TrialStatus, number> = { pending: 0, running: 1, done: 2, failed: 2, diverged: 2, cancelled: 2, timeout: 2 };

/** The trials row version: the latest attempt wins; within an attempt a final status beats `running`. */
export function trialVersion(attempt: number, status: TrialStatus): number {
  return attempt * 4 + STATUS_RANK[status];
}

function resolveTarget(t: string | ClickHouseConnectionOptions): ClickHouseTarget {
  if (typeof t === 'string') return parseClickHouseUrl(t);
  const base = parseClickHouseUrl(t.url);
  const database = t.database ?? base.database;
  if (!isIdentifier(database)) {
    throw new CredoError('STORE_ERROR', 'invalid value', { field: 'database', value: database, allowed: 'letters, digits and _, not starting with a digit' });
  }
  return { url: base.url, username: t.username ?? base.username, password: t.password ?? base.password, database };
}

function sweepRow(s: SweepRecord, specJson: string): Omit<SweepRow, 'updatedMs' | 'version'> {
  return { id: s.id, name: s.name, description: s.description ?? null, specHash: s.specHash, specJson, count: s.count, createdMs: undefined };
}

function ingestSweepRow(s: IngestSweep, i: number): SweepRow {
  const specJson = checkSweep(s);
  for (const f of ['createdMs', 'updatedMs'] as const) {
    const v = s[f];
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw bad(`sweeps[${i}].${f}`, v, 'milliseconds since the epoch');
  }
  const updatedMs = s.updatedMs ?? Date.now();
  return { ...sweepRow(s, specJson), createdMs: s.createdMs, updatedMs, version: Math.round(updatedMs) };
}

function ingestTrialRow(t: IngestTrial, i: number, defaultWorker: string): TrialRow {
  if (typeof t.sweepId !== 'string' || t.sweepId === '') throw bad(`trials[${i}].sweepId`, t.sweepId, 'a non-empty string');
  const { configJson, params } = checkTrial({ key: t.trialKey, configKey: t.configKey, index: t.index, config: t.config, params: t.params });
  if (!Number.isSafeInteger(t.attempt) || t.attempt < 1) throw bad(`trials[${i}].attempt`, t.attempt, 'an integer ≥ 1');
  if (!isTrialStatus(String(t.status))) throw bad(`trials[${i}].status`, t.status, TRIAL_STATUSES.join(', '));
  for (const f of ['startedMs', 'finishedMs', 'durationMs'] as const) {
    const v = t[f];
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw bad(`trials[${i}].${f}`, v, 'a number ≥ 0');
  }
  return {
    sweepId: t.sweepId, trialKey: t.trialKey, trialIndex: t.index, configKey: t.configKey, configJson,
    paramKeys: params.keys, paramValues: params.values, paramsJson: params.json, seed: params.seed,
    status: t.status, attempt: t.attempt, startedMs: t.startedMs ?? null, finishedMs: t.finishedMs ?? null,
    durationMs: t.durationMs ?? null, error: t.error ? t.error : null, worker: t.worker ?? defaultWorker,
  };
}

/** The checks of `checkPoints` for ingested rows, plus what the metrics columns need. */
function checkIngestMetrics(rows: readonly IngestMetric[]): void {
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (typeof r.sweepId !== 'string' || r.sweepId === '') throw bad(`metrics[${i}].sweepId`, r.sweepId, 'a non-empty string');
    if (typeof r.trialKey !== 'string' || r.trialKey === '') throw bad(`metrics[${i}].trialKey`, r.trialKey, 'a non-empty string');
    if (!Number.isSafeInteger(r.attempt) || r.attempt < 1) throw bad(`metrics[${i}].attempt`, r.attempt, 'an integer ≥ 1');
    if (typeof r.name !== 'string' || r.name === '') throw bad(`metrics[${i}].name`, r.name, 'a non-empty string');
    checkPointFields(i, r.step, r.value, r.timeMs);
  }
}

function checkPointFields(i: number, step: unknown, value: unknown, timeMs: unknown): void {
  if (!Number.isSafeInteger(step) || (step as number) < 0) throw bad(`metrics[${i}].step`, step, 'an integer ≥ 0');
  if (typeof value !== 'number') throw bad(`metrics[${i}].value`, value, 'a number (NaN and ±Infinity allowed)');
  if (typeof timeMs !== 'number' || !Number.isFinite(timeMs) || timeMs < 0) throw bad(`metrics[${i}].timeMs`, timeMs, 'milliseconds since the epoch (≥ 0)');
}

/** The metrics of an ingest call, checked, as one buffer (the one way they are written). */
function ingestMetricBuffer(metrics: IngestMetric[] | MetricBuffer | undefined): MetricBuffer {
  if (metrics instanceof MetricBuffer) {
    metrics.series.forEach((s, k) => {
      if (typeof s.sweepId !== 'string' || s.sweepId === '') throw bad(`metrics.series[${k}].sweepId`, s.sweepId, 'a non-empty string');
      if (typeof s.trialKey !== 'string' || s.trialKey === '') throw bad(`metrics.series[${k}].trialKey`, s.trialKey, 'a non-empty string');
      if (!Number.isSafeInteger(s.attempt) || s.attempt < 1 || s.attempt > 0xffffffff) throw bad(`metrics.series[${k}].attempt`, s.attempt, 'an integer ≥ 1');
    });
    metrics.names.forEach((n, k) => {
      if (typeof n !== 'string' || n === '') throw bad(`metrics.names[${k}]`, n, 'a non-empty string');
    });
    for (let i = 0; i < metrics.size; i++) checkPointFields(i, metrics.steps[i], metrics.values[i], metrics.times[i]);
    return metrics;
  }
  const rows = metrics ?? [];
  checkIngestMetrics(rows);
  const b = new MetricBuffer();
  for (const r of rows) b.add(b.seriesId(r.sweepId, r.trialKey, r.attempt), r.name, r.step, r.value, r.timeMs);
  return b;
}

/** ClickHouse keeps times as unsigned epoch ms: a point before 1970 is refused with the batch. */
function checkTimes(points: readonly MetricPoint[]): void {
  for (let i = 0; i < points.length; i++) {
    if (points[i]!.time < 0) throw bad(`points[${i}].time`, points[i]!.time, 'milliseconds since the epoch (≥ 0)');
  }
}

/** TSV text of rows, in chunks of {@link CHUNK_LINES} lines, built as the insert consumes them. */
function* tsvLines<T>(rows: readonly T[], fields: (r: T) => SqlValue[]): Generator<string> {
  for (let o = 0; o < rows.length; o += CHUNK_LINES) {
    let chunk = '';
    const end = Math.min(rows.length, o + CHUNK_LINES);
    for (let i = o; i < end; i++) chunk += fields(rows[i]!).map(tsvField).join('\t') + '\n';
    yield chunk;
  }
}

function roundMs(ms: number | null): number | null {
  return ms === null ? null : Math.round(ms);
}

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

function bad(field: string, value: unknown, allowed: string): CredoError {
  return new CredoError('STORE_ERROR', 'invalid value', { field, value, allowed });
}

