import type { DuckDbStore, DuckDbStoreOptions } from './duckdb-store.js';

/** The DuckDB schema version this code writes and reads (here, not in duckdb-schema.ts, so that reading it loads no DuckDB). */
export const SCHEMA_VERSION = 2;

/**
 * Opens (and in read-write mode creates) the embedded DuckDB store at `path`: see the adapter's
 * `openDuckDbStore` in duckdb-store.ts for the locking rules. The adapter, and with it DuckDB's
 * native binding (~0.15–0.3 s to load), is imported on the first call, so that a process that
 * only talks to ClickHouse (`credo curves --store clickhouse://…`, the ingester) never loads it.
 *
 * @example
 * ```ts
 * const store = await openDuckDbStore('runs/credo.duckdb', { readOnly: true });
 * const { rows } = await store.query('SELECT status, count(*) FROM trials GROUP BY ALL');
 * await store.close();
 * ```
 */
export async function openDuckDbStore(path: string, opts: DuckDbStoreOptions = {}): Promise<DuckDbStore> {
  return (await import('./duckdb-store.js')).openDuckDbStore(path, opts);
}
