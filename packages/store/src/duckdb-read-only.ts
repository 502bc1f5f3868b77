import { CredoError } from '@credo/core';
import { StatementType, type DuckDBConnection, type DuckDBPreparedStatement } from '@duckdb/node-api';
import { jsonSafeConverter, readRows } from './duckdb-values.js';
import type { QueryResult } from './metrics-store.js';

/**
 * Ad-hoc SQL on a DuckDB store, refused unless it is one read-only statement (promise 6: ad-hoc
 * queries must not change the store, even a store the process itself is writing).
 *
 * Three layers, because each alone has a hole:
 * 1. Parse-only gate. `json_serialize_sql` parses the text without binding it and serializes
 *    only SELECT statements (which in DuckDB include SHOW, DESCRIBE, SUMMARIZE, FROM-first and
 *    VALUES). Anything else is refused before DuckDB binds it — binding is not harmless:
 *    preparing `EXPORT DATABASE 'dir'` already creates the directory. `EXPLAIN <select>` is
 *    gated on its inner statement; EXPLAIN ANALYZE executes its statement and is refused.
 * 2. The statement that passed is prepared and its type checked again by the engine.
 * 3. It runs inside `BEGIN TRANSACTION READ ONLY` … `ROLLBACK`, so a SELECT with a side effect
 *    on the database (a sequence's `nextval`, say) fails in the engine.
 *
 * COPY … TO, EXPORT, ATTACH and INSTALL write outside the database, where a read-only
 * transaction does not reach, so layer 1 is what stops them. More than one statement is
 * refused: `SELECT 1; DROP TABLE trials` must not half-run. Not accepted although harmless:
 * the `PRAGMA table_info(...)` statement (use `DESCRIBE t` or `FROM pragma_table_info('t')`)
 * and PIVOT, which DuckDB expands into a CREATE TYPE plus a SELECT.
 */
export async function runReadOnlyQuery(conn: DuckDBConnection, sql: string): Promise<QueryResult> {
  const explain = /^\s*EXPLAIN\b/i.test(sql);
  if (explain) {
    if (/^\s*EXPLAIN\s+\(?\s*ANALY[SZ]E\b/i.test(sql)) {
      throw new CredoError('QUERY_READONLY', 'queries are read-only: EXPLAIN ANALYZE runs its statement, so it is refused; plain EXPLAIN is allowed');
    }
    await gate(conn, sql.replace(/^\s*EXPLAIN\s+/i, ''), sql);
  } else {
    await gate(conn, sql, sql);
  }

  await conn.run('BEGIN TRANSACTION READ ONLY');
  let prepared: DuckDBPreparedStatement | undefined;
  try {
    prepared = await conn.prepare(sql);
    const type = prepared.statementType;
    if (type !== (explain ? StatementType.EXPLAIN : StatementType.SELECT)) throw refused(typeName(type));
    const reader = await prepared.runAndReadAll();
    return { columns: reader.columnNames(), rows: reader.convertRows(jsonSafeConverter) as unknown[][] };
  } catch (e) {
    if (e instanceof CredoError) throw e;
    throw queryError(e);
  } finally {
    prepared?.destroySync();
    try {
      await conn.run('ROLLBACK');
    } catch {
      // Nothing to roll back (DuckDB ends a transaction itself after some errors).
    }
  }
}

/** Layer 1: parses `text` (without binding) and accepts exactly one SELECT statement. */
async function gate(conn: DuckDBConnection, text: string, original: string): Promise<void> {
  let parsed: { error?: boolean; error_type?: string; error_message?: string; statements?: unknown[] };
  try {
    const rows = await readRows(conn, 'SELECT json_serialize_sql($sql::VARCHAR)', { sql: text });
    parsed = JSON.parse(String(rows[0]?.[0])) as typeof parsed;
  } catch (e) {
    throw new CredoError('QUERY_ERROR', `cannot check the query: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  if (parsed.error) {
    if (parsed.error_type === 'parser') throw new CredoError('QUERY_ERROR', `syntax error: ${parsed.error_message ?? ''}`.trim());
    throw refused(writeKeyword(original));
  }
  const n = parsed.statements?.length ?? 0;
  if (n === 0) throw new CredoError('QUERY_ERROR', 'the query is empty');
  if (n > 1) throw new CredoError('QUERY_ERROR', `run one statement per query (got ${n})`);
}

const READ_KEYWORDS = new Set(['SELECT', 'WITH', 'FROM', 'VALUES', 'SHOW', 'DESCRIBE', 'DESC', 'SUMMARIZE', 'EXPLAIN', 'TABLE']);

/**
 * Names the statement that made the gate refuse, for the message only (the refusal itself
 * came from the parser): the first statement-leading keyword that is not a read. Semicolons
 * inside literals can mislead it, which costs nothing but a less precise message.
 */
function writeKeyword(sql: string): string | undefined {
  const noComments = sql.replace(/--[^\n]*/g, ' ').replace(/\/\*[\s\S]*?\*\//g, ' ');
  for (const part of noComments.split(';')) {
    const words = /^[\s(]*([A-Za-z_]+)(?:\s+([A-Za-z_]+))?/.exec(part);
    if (!words) continue;
    const first = words[1]!.toUpperCase();
    if (READ_KEYWORDS.has(first)) continue;
    const second = words[2]?.toUpperCase();
    return (first === 'CREATE' || first === 'EXPORT' || first === 'ALTER' || first === 'DROP') && second ? `${first} ${second}` : first;
  }
  return undefined;
}

function refused(what: string | undefined): CredoError {
  return new CredoError('QUERY_READONLY', `queries are read-only: ${what ? `a ${what} statement is not allowed` : 'the statement is not a SELECT'}`, {
    allowed: 'one SELECT (or WITH, FROM, VALUES, SHOW, DESCRIBE, SUMMARIZE, EXPLAIN) statement',
  });
}

function typeName(type: StatementType): string {
  return ((StatementType as unknown as Record<number, string>)[type] ?? `type ${type}`).replace(/_/g, ' ');
}

function queryError(e: unknown): CredoError {
  const msg = e instanceof Error ? e.message : String(e);
  // A write that got past the gate still meets the read-only transaction.
  if (/read-only/i.test(msg)) return new CredoError('QUERY_READONLY', `queries are read-only: ${msg}`, { cause: e });
  return new CredoError('QUERY_ERROR', msg, { cause: e });
}
