/**
 * @module @credo/store
 * Where sweeps, trials and metrics live: the {@link MetricsStore} port, its embedded DuckDB
 * adapter, and the backend-independent statistics and leaderboard computed from its rows.
 */
export {
  COMPLETE_STATUSES,
  EXPORT_FORMATS,
  REGRESS_RUN_STATUSES,
  REGRESS_VERDICTS,
  TRIAL_STATUSES,
  zeroCounts,
  type Better,
  type CurveCell,
  type CurveStat,
  type CurveCellsOptions,
  type ExportFormat,
  type ExportOptions,
  type ExportSummary,
  type RegressResultRecord,
  type RegressRunRecord,
  type RegressRunsOptions,
  type RegressRunStatus,
  type RegressVerdict,
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
export { openDuckDbStore, SCHEMA_VERSION } from './open-duckdb.js';
export type { DuckDbStore, DuckDbStoreOptions } from './duckdb-store.js';
export {
  ci95HalfWidth,
  mean,
  normalCdf,
  normalQuantile,
  sampleSd,
  studentTCdf,
  studentTQuantile,
  summarize,
  tCritical95,
  type Summary,
} from './stats.js';
export { groupColumns, leaderboard, variedParams, type LeaderboardInput, type LeaderboardOptions, type LeaderboardRow } from './leaderboard.js';
export {
  openClickHouseStore,
  ClickHouseStore,
  trialVersion,
  type ClickHouseConnectionOptions,
  type ClickHouseStoreOptions,
  type IngestBatch,
  type IngestMetric,
  type IngestSweep,
  type IngestTrial,
  type ClickHouseIngestBatch,
  type ClickHouseSweepRow,
  type ClickHouseTrialRow,
  type ClickHouseMetricRow,
} from './clickhouse-store.js';
export { CLICKHOUSE_SCHEMA_VERSION, clickhouseSchemaStatements } from './clickhouse-schema.js';
export { MetricBuffer, type Series } from './metric-buffer.js';
export { parseClickHouseUrl, maskUrl, DEFAULT_DATABASE as CLICKHOUSE_DEFAULT_DATABASE, type ClickHouseTarget } from './clickhouse-url.js';
export { escapeString, sqlValue, tsvField, sql, sqlList, identifier, SqlRaw, type SqlValue } from './clickhouse-sql.js';
export { parseTsvWithNamesAndTypes, parseQuoted, type TextResult } from './clickhouse-values.js';
