import { CredoError } from '@credo/core';

/** Version of the ClickHouse schema this code writes; recorded in `schema_version`. */
export const CLICKHOUSE_SCHEMA_VERSION = 2;

/*
 * The ClickHouse schema. It must run on the 18.16 server Debian ships and on current
 * ClickHouse, so it uses neither Map, DateTime64, TTL, window functions, CTEs, nor
 * LowCardinality (experimental on 18.16): strings are String, times are DateTime (seconds) next
 * to a UInt64 column of epoch milliseconds, and the DateTime columns are DEFAULT expressions
 * of the ms columns, so that writers send only the ms and the two can never disagree.
 *
 * Idempotence (promise 1). 18.16 has no insert deduplication without ZooKeeper, so every table
 * is a ReplacingMergeTree whose ORDER BY is the row's identity, and reads collapse with FINAL:
 * - `sweeps`: one row per sweep; `version` = update time in ms, so the last upsert wins.
 * - `trials`: one row per (sweep, trial); `version` = attempt·4 + rank(status), with rank
 *   pending 0 < running 1 < final 2, so the latest attempt wins and, within an attempt, a final
 *   status wins over `running` whatever order the messages arrive in. Equal versions (the same
 *   row re-sent, or an outcome recorded twice) keep the row inserted last.
 * - `metrics`: one row per (sweep, trial, name, step); `version` = attempt, so a re-sent point
 *   collapses and a newer attempt's point replaces an older one's. Points of an older attempt at
 *   steps the newer one has not reached stay in the table: reads join on the trial's current
 *   attempt, so that every point counts exactly once.
 * Until a background merge runs, re-sent rows are physically there twice; only FINAL (or a
 * GROUP BY over the key) reads them once. Ad-hoc queries should say `FINAL` too.
 */
const V1 = [
  `CREATE TABLE IF NOT EXISTS schema_version (
    version    UInt32,
    applied_at DateTime
  ) ENGINE = MergeTree() ORDER BY version`,
  `CREATE TABLE IF NOT EXISTS sweeps (
    sweep_id    String,
    name        String,
    description Nullable(String),
    spec_hash   String,
    spec_json   String,
    trial_count UInt64,
    created_at  DateTime DEFAULT toDateTime(intDiv(created_ms, 1000)),
    updated_at  DateTime DEFAULT toDateTime(intDiv(updated_ms, 1000)),
    created_ms  UInt64,
    updated_ms  UInt64,
    version     UInt64
  ) ENGINE = ReplacingMergeTree(version) ORDER BY sweep_id`,
  `CREATE TABLE IF NOT EXISTS trials (
    sweep_id     String,
    trial_key    String,
    trial_index  UInt64,
    config_key   String,
    config_json  String,
    param_keys   Array(String),
    param_values Array(String),
    params_json  String,
    seed         Nullable(Int64),
    status       String,
    attempt      UInt32,
    started_at   Nullable(DateTime) DEFAULT toDateTime(intDiv(started_ms, 1000)),
    finished_at  Nullable(DateTime) DEFAULT toDateTime(intDiv(finished_ms, 1000)),
    duration_ms  Nullable(Float64),
    error        Nullable(String),
    started_ms   Nullable(UInt64),
    finished_ms  Nullable(UInt64),
    worker       String,
    version      UInt64
  ) ENGINE = ReplacingMergeTree(version) ORDER BY (sweep_id, trial_key)`,
  `CREATE TABLE IF NOT EXISTS metrics (
    sweep_id  String,
    trial_key String,
    attempt   UInt32,
    name      String,
    step      UInt64,
    value     Float64,
    time      DateTime DEFAULT toDateTime(intDiv(time_ms, 1000)),
    time_ms   UInt64
  ) ENGINE = ReplacingMergeTree(attempt) PARTITION BY toYYYYMM(time) ORDER BY (sweep_id, trial_key, name, step)`,
];

/*
 * Version 2: nightly regression results (`credo regress`), the same columns as the DuckDB
 * schema. A run is saved again when it is accepted as a baseline, so both tables are
 * ReplacingMergeTree with `version` = save time in ms (strictly increasing per store object):
 * the last save wins. Results of a run are always written whole, with the run's version, and
 * read joined on the run's current version, so that a benchmark dropped from a re-saved run
 * does not linger.
 */
const V2 = [
  `CREATE TABLE IF NOT EXISTS regress_runs (
    run_id          String,
    suite           String,
    suite_hash      String,
    night           String,
    commit_sha      String,
    ref             Nullable(String),
    sweep_ids       Array(String),
    overrides_json  String,
    baseline_run_id Nullable(String),
    status          String,
    accepted        UInt8,
    note            Nullable(String),
    started_at      DateTime DEFAULT toDateTime(intDiv(started_ms, 1000)),
    finished_at     DateTime DEFAULT toDateTime(intDiv(finished_ms, 1000)),
    started_ms      UInt64,
    finished_ms     UInt64,
    accepted_ms     Nullable(UInt64),
    version         UInt64
  ) ENGINE = ReplacingMergeTree(version) ORDER BY run_id`,
  `CREATE TABLE IF NOT EXISTS regress_results (
    run_id        String,
    benchmark     String,
    rule          String,
    task          String,
    metric        String,
    better        String,
    min_change    Float64,
    relative      UInt8,
    seeds         Array(Int64),
    vals          Array(Float64),
    n             UInt32,
    diverged      UInt32,
    mean          Float64,
    sd            Float64,
    baseline_mean Float64,
    change        Float64,
    rel_change    Float64,
    p_value       Float64,
    z_score       Float64,
    history_n     UInt32,
    verdict       String,
    reason        String,
    version       UInt64
  ) ENGINE = ReplacingMergeTree(version) ORDER BY (run_id, benchmark)`,
];

/** Migrations by the version they produce; version 1 is the initial schema. */
const MIGRATIONS: ReadonlyArray<{ version: number; statements: readonly string[] }> = [
  { version: 1, statements: V1 },
  { version: 2, statements: V2 },
];

/** The statements of the store's schema, for tests and for operators who create it by hand. */
export function clickhouseSchemaStatements(): string[] {
  return MIGRATIONS.flatMap((m) => [...m.statements]);
}

/** What the migration needs of a connection: run a statement, read one number. */
export interface SchemaConn {
  command(sql: string): Promise<void>;
  scalar(sql: string): Promise<number>;
}

/**
 * Creates the tables or brings an older schema up to {@link CLICKHOUSE_SCHEMA_VERSION}. Every
 * statement is idempotent (IF NOT EXISTS), so concurrent openers (an ingester and a CLI) may
 * race safely; ClickHouse has no transactions, so a crash midway is repaired by the next open.
 * Refuses a database written by a newer credo.
 */
export async function migrateClickHouse(conn: SchemaConn, where: string): Promise<void> {
  await conn.command(V1[0]!);
  const current = await versionOf(conn);
  if (current > CLICKHOUSE_SCHEMA_VERSION) throw newerSchema(where, current);
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    for (const s of m.statements) await conn.command(s);
    await conn.command(`INSERT INTO schema_version (version, applied_at) VALUES (${m.version}, now())`);
  }
}

/** For a store opened read-only: checks that the database holds a credo schema this code can read. */
export async function checkClickHouseSchema(conn: SchemaConn, where: string): Promise<void> {
  let version: number;
  try {
    version = await versionOf(conn);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/Code: (60|81)\b|doesn't exist|does not exist|UNKNOWN_(TABLE|DATABASE)/.test(msg)) {
      throw new CredoError('NOT_FOUND', `no credo store in ${where}; run a sweep (or start the ingester) against it first`);
    }
    throw e;
  }
  if (version === 0) throw new CredoError('NOT_FOUND', `no credo store in ${where} (empty schema_version); run a sweep against it first`);
  if (version > CLICKHOUSE_SCHEMA_VERSION) throw newerSchema(where, version);
}

async function versionOf(conn: SchemaConn): Promise<number> {
  return conn.scalar('SELECT max(version) FROM schema_version');
}

function newerSchema(where: string, version: number): CredoError {
  return new CredoError('STORE_ERROR', `${where} has schema version ${version}, newer than this credo understands (${CLICKHOUSE_SCHEMA_VERSION}); upgrade credo`);
}
