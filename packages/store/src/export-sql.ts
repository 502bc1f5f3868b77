import { CredoError, type TrialStatus } from '@credo/core';
import type { DuckDBConnection } from '@duckdb/node-api';
import { EXPORT_FORMATS, TRIAL_STATUSES, type ExportFormat, type ExportOptions, type ExportSummary } from './metrics-store.js';

/*
 * The one writer of metric exports. Both adapters end here: the DuckDB adapter points it at its
 * own tables, the ClickHouse adapter at a CSV file it streamed from the server plus the trials
 * it read, loaded into an in-memory DuckDB (ClickHouse 18.16 has no Parquet output format:
 * `Code: 73 Unknown format Parquet`). So the same data gives the same columns, types, order and
 * number formatting whichever store it came from, and Parquet needs nothing outside npm.
 */

/** A DuckDB string literal ('' doubles a quote; DuckDB strings have no backslash escapes). */
export function duckString(s: string): string {
  if (s.includes('\0')) throw new CredoError('STORE_ERROR', 'invalid value', { field: 'string', value: s, allowed: 'text without NUL characters' });
  return `'${s.replace(/'/g, "''")}'`;
}

/** A DuckDB quoted identifier, for column names like `rule.name`. */
export function duckIdent(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

/** Checks the options every adapter accepts, before anything runs. */
export function checkExportOptions(opts: ExportOptions): void {
  if (!EXPORT_FORMATS.includes(opts.format)) {
    throw new CredoError('BAD_PARAM', 'invalid value', { field: 'format', value: opts.format, allowed: EXPORT_FORMATS.join(', ') });
  }
  if (typeof opts.path !== 'string' || opts.path === '') throw new CredoError('BAD_PARAM', 'invalid value', { field: 'path', value: opts.path, allowed: 'a file path' });
  for (const s of opts.statuses ?? []) {
    if (!TRIAL_STATUSES.includes(s)) throw new CredoError('BAD_PARAM', 'invalid value', { field: 'statuses', value: s, allowed: TRIAL_STATUSES.join(', ') });
  }
  for (const m of opts.metrics ?? []) {
    if (typeof m !== 'string' || m === '') throw new CredoError('BAD_PARAM', 'invalid value', { field: 'metrics', value: m, allowed: 'metric names' });
  }
}

/** `status IN (…)` for a trials relation, or TRUE. Statuses are checked against the fixed set. */
export function statusFilter(statuses: readonly TrialStatus[] | undefined): string {
  return statuses && statuses.length > 0 ? `status IN (${statuses.map((s) => `'${s}'`).join(', ')})` : 'TRUE';
}

/** `name IN (…)` for a metrics relation, or TRUE. */
export function metricFilter(metrics: readonly string[] | undefined): string {
  return metrics && metrics.length > 0 ? `name IN (${metrics.map(duckString).join(', ')})` : 'TRUE';
}

/**
 * Relations the export reads, already narrowed to one sweep (and the chosen statuses and
 * metrics). `trials`: trial_key, attempt, trial_index, seed, status, param_keys (VARCHAR[]),
 * param_values (VARCHAR[], JSON text); `metrics`: trial_key, attempt, name, step, value, time
 * (TIMESTAMP). Both are SQL text: a parenthesized SELECT or a table name.
 */
export interface ExportSources {
  readonly sweepId: string;
  readonly trials: string;
  readonly metrics: string;
}

/**
 * Writes the export with DuckDB's COPY: one row per point of each trial's current attempt,
 * re-sent points once, ordered by trial index, metric and step. Columns: sweep_id, trial_key,
 * trial_index, seed, status, one column per parameter that varies across the trials (DOUBLE
 * when every value is a number, else text; `seed` has its own column), metric, step, value,
 * time (UTC). JSON lines write NaN and ±Infinity as the strings "NaN", "Infinity", "-Infinity"
 * (as `credo query --format json` does), so that every line is strict JSON.
 */
export async function copyExport(conn: DuckDBConnection, src: ExportSources, opts: ExportOptions): Promise<ExportSummary> {
  // Imported on use: the ClickHouse adapter imports this module, and must not load DuckDB until it exports.
  const { readRows } = await import('./duckdb-values.js');
  const varied = await readRows(
    conn,
    `SELECT k, bool_and(TRY_CAST(v AS DOUBLE) IS NOT NULL)
     FROM (SELECT unnest(param_keys) AS k, unnest(param_values) AS v FROM ${src.trials})
     WHERE k <> 'seed'
     GROUP BY k
     HAVING count(DISTINCT v) > 1 OR count(*) < (SELECT count(*) FROM ${src.trials})
     ORDER BY k`,
  );
  const paramCols = varied.map(([k, numeric]) => {
    const at = `t.param_values[list_position(t.param_keys, ${duckString(String(k))})]`;
    return `${numeric ? `TRY_CAST(${at} AS DOUBLE)` : `json_extract_string(${at}, '$')`} AS ${duckIdent(String(k))}`;
  });
  const value =
    opts.format === 'jsonl'
      ? `CASE WHEN isfinite(m.value) THEN to_json(m.value) WHEN isnan(m.value) THEN '"NaN"'::JSON WHEN m.value > 0 THEN '"Infinity"'::JSON ELSE '"-Infinity"'::JSON END`
      : 'm.value';
  const select = `SELECT ${duckString(src.sweepId)} AS sweep_id, t.trial_key, t.trial_index, t.seed, t.status,
      ${paramCols.map((c) => c + ',').join(' ')} m.name AS metric, m.step, ${value} AS value, m.time
    FROM (SELECT trial_key, attempt, name, step, any_value(value) AS value, max(time) AS time FROM ${src.metrics} GROUP BY trial_key, attempt, name, step) m
    JOIN ${src.trials} t ON t.trial_key = m.trial_key AND t.attempt = m.attempt
    ORDER BY t.trial_index, t.trial_key, m.name, m.step`;
  const options = { csv: '(FORMAT csv, HEADER)', parquet: '(FORMAT parquet, COMPRESSION zstd)', jsonl: '(FORMAT json)' }[opts.format as ExportFormat];
  const rows = await readRows(conn, `COPY (${select}) TO ${duckString(opts.path)} ${options}`);
  const columns = ['sweep_id', 'trial_key', 'trial_index', 'seed', 'status', ...varied.map(([k]) => String(k)), 'metric', 'step', 'value', 'time'];
  return { rows: Number(rows[0]?.[0] ?? 0), columns };
}
