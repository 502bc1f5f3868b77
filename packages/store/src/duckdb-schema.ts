import { CredoError } from '@credo/core';
import type { DuckDBConnection } from '@duckdb/node-api';
import { readRows } from './duckdb-values.js';

import { SCHEMA_VERSION } from './open-duckdb.js';

export { SCHEMA_VERSION };

/*
 * Tables of a DuckDB store. `metrics` deliberately has no primary key: DuckDB maintains an ART
 * index on every insert, which would slow the appender several-fold on the table that takes
 * nearly all rows. Uniqueness of (sweep_id, trial_key, name, step) for the latest attempt comes
 * from the store's rules instead: every startTrial deletes the rows of earlier attempts, and
 * points of any attempt but the current, running one are dropped before they are buffered.
 * The same batch sent twice for the same attempt is not deduplicated: locally each batch comes
 * once from the in-process runner, and the one failure after a batch is accepted (a failed
 * write) makes the store refuse all further writes, so no retry can duplicate it. The reads
 * the store ships (`finalValues`: arg_max / min / max per trial) give the same answer with or
 * without duplicates. (ClickHouse, fed at-least-once, collapses re-sent points itself.)
 * Times are UTC TIMESTAMPs; JSON columns are VARCHAR holding canonical JSON (sorted keys), which
 * DuckDB's json functions read directly (`json_extract(params_json, '$."optimizer.lr"')`).
 */
const V1 = [
  `CREATE TABLE IF NOT EXISTS sweeps (
    sweep_id    VARCHAR PRIMARY KEY,
    name        VARCHAR NOT NULL,
    description VARCHAR,
    spec_hash   VARCHAR NOT NULL,
    spec_json   VARCHAR NOT NULL,
    trial_count BIGINT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS trials (
    sweep_id     VARCHAR NOT NULL,
    trial_key    VARCHAR NOT NULL,
    trial_index  BIGINT NOT NULL,
    config_key   VARCHAR NOT NULL,
    config_json  VARCHAR NOT NULL,
    param_keys   VARCHAR[] NOT NULL,
    param_values VARCHAR[] NOT NULL,
    params_json  VARCHAR NOT NULL,
    seed         BIGINT,
    status       VARCHAR NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed', 'diverged', 'cancelled', 'timeout')),
    attempt      INTEGER NOT NULL,
    started_at   TIMESTAMP,
    finished_at  TIMESTAMP,
    duration_ms  DOUBLE,
    error        VARCHAR,
    PRIMARY KEY (sweep_id, trial_key)
  )`,
  `CREATE TABLE IF NOT EXISTS metrics (
    sweep_id  VARCHAR NOT NULL,
    trial_key VARCHAR NOT NULL,
    attempt   INTEGER NOT NULL,
    name      VARCHAR NOT NULL,
    step      BIGINT NOT NULL,
    value     DOUBLE,
    time      TIMESTAMP NOT NULL
  )`,
];

/*
 * Version 2: nightly regression results (`credo regress`), kept beside the sweeps they ran so
 * that history is a query. One row per run and one per (run, benchmark); per-seed values are
 * lists, so that a later night can test its seeds against a baseline night's without going back
 * to the metrics. Numbers that are not available are NaN, not NULL.
 */
const V2 = [
  `CREATE TABLE IF NOT EXISTS regress_runs (
    run_id          VARCHAR PRIMARY KEY,
    suite           VARCHAR NOT NULL,
    suite_hash      VARCHAR NOT NULL,
    night           VARCHAR NOT NULL,
    commit_sha      VARCHAR NOT NULL,
    ref             VARCHAR,
    sweep_ids       VARCHAR[] NOT NULL,
    overrides_json  VARCHAR NOT NULL,
    baseline_run_id VARCHAR,
    status          VARCHAR NOT NULL CHECK (status IN ('ok', 'regression', 'error')),
    accepted        BOOLEAN NOT NULL,
    note            VARCHAR,
    started_at      TIMESTAMP NOT NULL,
    finished_at     TIMESTAMP NOT NULL,
    accepted_at     TIMESTAMP
  )`,
  `CREATE TABLE IF NOT EXISTS regress_results (
    run_id        VARCHAR NOT NULL,
    benchmark     VARCHAR NOT NULL,
    rule          VARCHAR NOT NULL,
    task          VARCHAR NOT NULL,
    metric        VARCHAR NOT NULL,
    better        VARCHAR NOT NULL CHECK (better IN ('lower', 'higher')),
    min_change    DOUBLE NOT NULL,
    relative      BOOLEAN NOT NULL,
    seeds         BIGINT[] NOT NULL,
    vals          DOUBLE[] NOT NULL,
    n             INTEGER NOT NULL,
    diverged      INTEGER NOT NULL,
    mean          DOUBLE NOT NULL,
    sd            DOUBLE NOT NULL,
    baseline_mean DOUBLE NOT NULL,
    change        DOUBLE NOT NULL,
    rel_change    DOUBLE NOT NULL,
    p_value       DOUBLE NOT NULL,
    z_score       DOUBLE NOT NULL,
    history_n     INTEGER NOT NULL,
    verdict       VARCHAR NOT NULL,
    reason        VARCHAR NOT NULL,
    PRIMARY KEY (run_id, benchmark)
  )`,
];

/** Migrations by the version they produce; version 1 is the initial schema. */
const MIGRATIONS: ReadonlyArray<{ version: number; statements: readonly string[] }> = [
  { version: 1, statements: V1 },
  { version: 2, statements: V2 },
];

/**
 * Creates the schema or brings an older one up to {@link SCHEMA_VERSION}, in one transaction so
 * that a crash leaves either the old schema or the new one. Refuses a store written by a newer
 * credo rather than guessing at its tables.
 */
export async function migrate(conn: DuckDBConnection, path: string): Promise<void> {
  await conn.run('BEGIN TRANSACTION');
  try {
    await conn.run('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TIMESTAMP NOT NULL)');
    const current = await versionOf(conn);
    if (current > SCHEMA_VERSION) throw newerSchema(path, current);
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      for (const s of m.statements) await conn.run(s);
      await conn.run('INSERT INTO schema_version VALUES ($v, epoch_ms($now::BIGINT))', { v: m.version, now: Date.now() });
    }
    await conn.run('COMMIT');
  } catch (e) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

/** For a store opened read-only: checks that the file is a credo store this code can read. */
export async function checkSchema(conn: DuckDBConnection, path: string): Promise<void> {
  let version: number;
  try {
    version = await versionOf(conn);
  } catch (e) {
    throw new CredoError('STORE_ERROR', `${path} is a DuckDB file but not a credo store (no schema_version table)`, { cause: e });
  }
  if (version === 0) throw new CredoError('STORE_ERROR', `${path} is not an initialized credo store`);
  if (version > SCHEMA_VERSION) throw newerSchema(path, version);
}

async function versionOf(conn: DuckDBConnection): Promise<number> {
  const rows = await readRows(conn, 'SELECT coalesce(max(version), 0) FROM schema_version');
  return Number(rows[0]?.[0] ?? 0);
}

function newerSchema(path: string, version: number): CredoError {
  return new CredoError('STORE_ERROR', `${path} has schema version ${version}, newer than this credo understands (${SCHEMA_VERSION}); upgrade credo`);
}
