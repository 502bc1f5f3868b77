import { openClickHouseStore, openDuckDbStore, type MetricsStore } from '@credo/store';

/**
 * `--store` names either a DuckDB file (local mode) or a ClickHouse URL (cluster mode), so that
 * `top` and `query` work the same on both: `clickhouse://credo_ro:PASSWORD@host:8123/credo`.
 */
export function openStore(location: string, opts: { readOnly: boolean }): Promise<MetricsStore> {
  return /^(clickhouse|https?):\/\//i.test(location) ? openClickHouseStore(location, { readOnly: opts.readOnly }) : openDuckDbStore(location, { readOnly: opts.readOnly });
}
