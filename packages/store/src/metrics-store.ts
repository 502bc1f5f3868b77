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
