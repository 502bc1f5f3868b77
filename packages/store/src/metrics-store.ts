import type { MetricPoint, ParamValue, TrialStatus } from '@credo/core';

/**
 * The port through which the rest of credo stores and reads sweeps, trials and metrics. One
 * adapter per backend (DuckDB embedded now, ClickHouse later) implements it; backend-specific
 * SQL stays inside the adapter, and everything computed from plain rows (grouping, statistics)
 * lives in shared modules so that both backends give the same numbers.
 *
 * Idempotence rests on three rules that every adapter keeps:
 * - a trial row is keyed by (sweep id, trial key), and each {@link MetricsStore.startTrial}
 *   begins a new attempt and removes the metrics of earlier attempts (the latest attempt wins);
 * - metrics and outcomes that name an attempt other than the trial's current one are ignored,
 *   so a superseded execution cannot overwrite a newer one;
 * - a trial whose status is `done` has all its metrics durable: adapters that buffer writes
 *   flush them before recording the outcome.
 *
 * @example
 * ```ts
 * const store = await openDuckDbStore('credo.duckdb');
 * await store.upsertSweep({ id: 'fa-vs-bp', name: 'FA vs BP', specHash, spec, count: 12 });
 * const attempt = await store.startTrial('fa-vs-bp', { key, configKey, index: 0, config, params });
 * await store.appendMetrics('fa-vs-bp', key, attempt, [{ name: 'train/loss', step: 1, value: 0.7, time: Date.now() }]);
 * await store.finishTrial('fa-vs-bp', key, attempt, { status: 'done', durationMs: 1200 });
 * await store.close();
 * ```
 */
export interface MetricsStore {
  /** Inserts the sweep, or updates its name, description, spec and count (an edited spec re-run under the same id); keeps its creation time. */
  upsertSweep(s: SweepRecord): Promise<void>;
  /** The sweep with this id, or `undefined`. */
  getSweep(id: string): Promise<StoredSweep | undefined>;
  /** Every sweep in the store, newest first, with its trials counted by status. */
  listSweeps(): Promise<SweepSummary[]>;
  /**
   * Keys of the trials whose outcome is deterministic (`done` or `diverged`): a resumed sweep
   * skips them. `failed`, `cancelled` and `timeout` trials are run again. Unknown sweep → empty set.
   */
  completedKeys(sweepId: string): Promise<Set<string>>;
  /**
   * Begins a new attempt of a trial: the trial row is created or updated with status `running`,
   * attempt = previous attempt + 1 (1 for a new trial), and the metrics of earlier attempts are
   * deleted. Returns the new attempt number, which the caller passes to
   * {@link MetricsStore.appendMetrics} and {@link MetricsStore.finishTrial}.
   * Throws NOT_FOUND when the sweep was never upserted.
   */
  startTrial(sweepId: string, t: TrialRecord): Promise<number>;
  /**
   * Stores a batch of metric points of one attempt. Points of an attempt that is not the
   * trial's current, running one are ignored (a superseded execution). The whole batch is
   * validated first: a bad point (empty name, negative or fractional step, non-finite time)
   * rejects the batch with STORE_ERROR and stores nothing. Values may be NaN or ±Infinity.
   */
  appendMetrics(sweepId: string, trialKey: string, attempt: number, points: readonly MetricPoint[]): Promise<void>;
  /** Records the final outcome of an attempt; ignored when `attempt` is not the trial's current attempt. */
  finishTrial(sweepId: string, trialKey: string, attempt: number, o: TrialOutcome): Promise<void>;
  /**
   * Trials left `running` by a runner that crashed or was killed become `cancelled`, so that a
   * resume runs them again. Returns how many were changed.
   */
  markInterrupted(sweepId: string): Promise<number>;
  /**
   * Trials of the sweep by status. `pending` = the sweep's trial count minus the trials ever
   * started (never negative). Throws NOT_FOUND for an unknown sweep.
   */
  trialCounts(sweepId: string): Promise<Record<TrialStatus, number>>;
  /**
   * One value of `metric` per trial: at the trial's last step (`last`), or its minimum or
   * maximum over steps. By default only `done` trials are included; pass
   * `{ statuses: ['done', 'diverged'] }` to also get diverged ones (which
   * {@link leaderboard} counts separately instead of averaging). Trials that never emitted the
   * metric are absent. Rows come in trial-index order. Throws NOT_FOUND for an unknown sweep.
   */
  finalValues(sweepId: string, metric: string, mode: FinalValueMode, opts?: FinalValuesOptions): Promise<FinalValue[]>;
  /**
   * Runs one read-only SQL statement against the store. Any statement that could write
   * (INSERT, UPDATE, DELETE, CREATE, DROP, ATTACH, COPY, SET, …) fails with QUERY_READONLY
   * naming the statement type, and changes nothing; a statement that does not parse or bind
   * fails with QUERY_ERROR. Values are JSON-safe: integers as numbers (strings beyond 2^53),
   * timestamps and dates as ISO strings, NaN and ±Infinity as numbers.
   */
  query(sql: string): Promise<QueryResult>;
  /**
   * The values of `metric` per group and step, for learning curves: one cell per (values of
   * the `by` parameters, step) over the current attempt of the trials with the given statuses
   * (default `['done']`). Each cell carries the finite values sorted ascending (so that shared
   * statistics summing them give bit-identical results on every backend) and the count of
   * NaN/±Infinity values left out. A re-sent point counts once. Cells come in no particular
   * order. Throws NOT_FOUND for an unknown sweep.
   */
  curveCells(sweepId: string, metric: string, opts?: CurveCellsOptions): Promise<CurveCell[]>;
  /**
   * The statistics of {@link MetricsStore.curveCells}, computed by the database: per (values
   * of the `by` parameters, step), the count, mean, sample sd, min and max of the finite values
   * and the count of NaN/±Infinity ones, so that only one row per cell leaves the database —
   * what `credo curves` over 10⁶ points needs. Counts, min and max are exact; mean and sd agree
   * across backends to rounding (summation order is the database's), not to the last bit.
   * `mean`, `min` and `max` are NaN when n = 0, `sd` when n < 2. Same selection, dedup and
   * errors as `curveCells`; cells come in no particular order.
   */
  curveStats(sweepId: string, metric: string, opts?: CurveCellsOptions): Promise<CurveStat[]>;
  /**
   * Writes the metrics of a sweep (current attempt of every trial, re-sent points once) to a
   * file as CSV, Parquet or JSON lines, one row per point with the trial's index, seed, status
   * and varied parameters as columns. Every backend writes the file with the same embedded
   * DuckDB writer, so the same data gives the same file. Throws NOT_FOUND for an unknown sweep.
   */
  exportMetrics(sweepId: string, opts: ExportOptions): Promise<ExportSummary>;
  /**
   * Stores a nightly-regression run and its per-benchmark results, replacing a stored run with
   * the same id (and all its results): accepting a run as the baseline saves it again.
   */
  saveRegressRun(run: RegressRunRecord): Promise<void>;
  /** Runs of a regression suite, newest first (by start time), each with its results. */
  regressRuns(suite: string, opts?: RegressRunsOptions): Promise<RegressRunRecord[]>;
  /** One regression run with its results, or `undefined`. */
  getRegressRun(runId: string): Promise<RegressRunRecord | undefined>;
  /** Writes any buffered metrics and releases the database. Further calls fail with STORE_ERROR. */
  close(): Promise<void>;
}

/** A sweep as the runner knows it: its spec (stored as JSON) and how many trials it expands to. */
export interface SweepRecord {
  readonly id: string;
  readonly name: string;
  readonly description?: string | undefined;
  /** Hash of the canonical spec: tells an edited spec from the one that was run before. */
  readonly specHash: string;
  readonly spec: unknown;
  /** Number of trials the spec expands to. */
  readonly count: number;
}

export interface StoredSweep extends SweepRecord {
  /** ISO 8601, UTC. */
  readonly createdAt: string;
  /** ISO 8601, UTC: the last upsert. */
  readonly updatedAt: string;
}

export interface SweepSummary {
  readonly id: string;
  readonly name: string;
  readonly description?: string | undefined;
  readonly specHash: string;
  readonly count: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly counts: Record<TrialStatus, number>;
}

/** One trial of a sweep, as expanded from the spec. */
export interface TrialRecord {
  /** Deterministic hash of the resolved configuration, seed included. */
  readonly key: string;
  /** The same hash without the seed: trials that differ only by seed share it. */
  readonly configKey: string;
  /** Position of the trial in the sweep's expansion order. */
  readonly index: number;
  readonly config: unknown;
  /** Flat dotted parameter names (`rule.name`, `optimizer.lr`, …), `seed` included. */
  readonly params: Readonly<Record<string, ParamValue>>;
}

/** How an attempt ended. `status` must be final (not `pending` or `running`). */
export interface TrialOutcome {
  readonly status: TrialStatus;
  readonly error?: string | undefined;
  readonly durationMs: number;
}

export type FinalValueMode = 'last' | 'min' | 'max';

export interface FinalValuesOptions {
  /** Trial statuses to include; default `['done']`. */
  readonly statuses?: readonly TrialStatus[];
}

/** The final value of one metric of one trial, with what is needed to group it. */
export interface FinalValue {
  readonly trialKey: string;
  readonly configKey: string;
  readonly params: Record<string, ParamValue>;
  readonly seed: number;
  readonly value: number;
  readonly status: TrialStatus;
}

export interface QueryResult {
  readonly columns: string[];
  readonly rows: unknown[][];
}

export interface CurveCellsOptions {
  /** Dotted parameter names to group by (`rule.name`, `optimizer.lr`); default none (one group). */
  readonly by?: readonly string[];
  /** Trial statuses to include; default `['done']`. */
  readonly statuses?: readonly TrialStatus[];
}

/** The values of one metric at one step of one group of trials: see {@link MetricsStore.curveCells}. */
export interface CurveCell {
  /** Values of the `by` parameters; a parameter the group's trials lack is absent. */
  readonly group: Record<string, ParamValue>;
  readonly step: number;
  /** The finite values at this step, one per trial, sorted ascending. */
  readonly values: number[];
  /** Values at this step that were NaN or ±Infinity (left out of `values`). */
  readonly nonFinite: number;
}

/** The statistics of one curve cell: see {@link MetricsStore.curveStats}. */
export interface CurveStat {
  /** Values of the `by` parameters; a parameter the group's trials lack is absent. */
  readonly group: Record<string, ParamValue>;
  readonly step: number;
  /** Finite values at this step, one per trial. */
  readonly n: number;
  readonly mean: number;
  /** Sample standard deviation (n − 1 denominator). */
  readonly sd: number;
  readonly min: number;
  readonly max: number;
  /** Values at this step that were NaN or ±Infinity (left out of the statistics). */
  readonly nonFinite: number;
}

export type ExportFormat = 'csv' | 'parquet' | 'jsonl';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['csv', 'parquet', 'jsonl'];

export interface ExportOptions {
  /** File to write (created or replaced). */
  readonly path: string;
  readonly format: ExportFormat;
  /** Only these metric names; default all. */
  readonly metrics?: readonly string[];
  /** Only trials with these statuses; default all. */
  readonly statuses?: readonly TrialStatus[];
}

export interface ExportSummary {
  /** Rows written. */
  readonly rows: number;
  /** Names of the columns, in file order. */
  readonly columns: string[];
}

/** Which way a benchmark's metric is better. */
export type Better = 'lower' | 'higher';
/** A regression run's overall outcome. */
export type RegressRunStatus = 'ok' | 'regression' | 'error';
/** Per-benchmark outcome: see the report package's `decide`. */
export type RegressVerdict = 'ok' | 'regression' | 'improvement' | 'new' | 'error';
export const REGRESS_VERDICTS: readonly RegressVerdict[] = ['ok', 'regression', 'improvement', 'new', 'error'];
export const REGRESS_RUN_STATUSES: readonly RegressRunStatus[] = ['ok', 'regression', 'error'];

/** One night of a regression suite, as stored in `regress_runs` (and its results in `regress_results`). */
export interface RegressRunRecord {
  /** `nightly-<date>-<suite>`, with `.2`, `.3`, … for later runs of the same night. */
  readonly runId: string;
  readonly suite: string;
  /** Hash of the suite file's content: tells results of an edited suite apart. */
  readonly suiteHash: string;
  /** The night, `YYYY-MM-DD` (UTC). */
  readonly night: string;
  /** The code under test (a git SHA, or whatever the caller names it). */
  readonly commit: string;
  /** Branch or tag, when known. */
  readonly ref?: string | undefined;
  readonly sweepIds: readonly string[];
  /**
   * Parameter overrides the run was made with (`--set`), e.g. `{ "fa:rule.scale": 1e-6 }`;
   * empty for a normal run. Runs with overrides never become a baseline by themselves and are
   * left out of other runs' history.
   */
  readonly overrides: Readonly<Record<string, unknown>>;
  /** The run whose seeds the results were tested against; absent for the first run. */
  readonly baselineRunId?: string | undefined;
  readonly status: RegressRunStatus;
  /** A baseline: later runs are compared with the newest accepted run. */
  readonly accepted: boolean;
  readonly note?: string | undefined;
  /** ISO 8601, UTC. */
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly acceptedAt?: string | undefined;
  readonly results: readonly RegressResultRecord[];
}

/** One benchmark (rule × task × metric) of one run. */
export interface RegressResultRecord {
  /** `rule/task/metric`, e.g. `fa/linear-teacher/test/mse`. */
  readonly benchmark: string;
  readonly rule: string;
  readonly task: string;
  readonly metric: string;
  readonly better: Better;
  /** The smallest change that matters: absolute, or a fraction of the baseline mean when `relative`. */
  readonly minChange: number;
  readonly relative: boolean;
  /** One entry per trial (seed): its seed and final value, NaN when it diverged. */
  readonly seeds: readonly number[];
  readonly values: readonly number[];
  /** Finite values. */
  readonly n: number;
  readonly diverged: number;
  readonly mean: number;
  readonly sd: number;
  /** NaN when there is no baseline. */
  readonly baselineMean: number;
  /** mean − baselineMean (NaN without a baseline). */
  readonly change: number;
  /** change / |baselineMean|. */
  readonly relChange: number;
  /** One-sided Mann–Whitney p-value for "worse than the baseline" (NaN without one). */
  readonly pValue: number;
  /** (mean − mean of the lookback nights' means) / their sd, signed so that positive is worse; NaN with too little history. */
  readonly zScore: number;
  /** Past nights in the lookback window. */
  readonly historyN: number;
  readonly verdict: RegressVerdict;
  /** Why, in words: which criteria held. */
  readonly reason: string;
}

export interface RegressRunsOptions {
  /** At most this many runs (newest first). */
  readonly limit?: number;
}

/** Every trial status, in the order reports list them. */
export const TRIAL_STATUSES: readonly TrialStatus[] = ['pending', 'running', 'done', 'failed', 'diverged', 'cancelled', 'timeout'];

/** Statuses whose result a resume keeps: running them again would give the same outcome. */
export const COMPLETE_STATUSES: readonly TrialStatus[] = ['done', 'diverged'];

/**
 * A count per status, all zero: the shape {@link MetricsStore.trialCounts} fills.
 *
 * @example
 * ```ts
 * const counts = zeroCounts();
 * counts.done += 1;
 * ```
 */
export function zeroCounts(): Record<TrialStatus, number> {
  return { pending: 0, running: 0, done: 0, failed: 0, diverged: 0, cancelled: 0, timeout: 0 };
}
