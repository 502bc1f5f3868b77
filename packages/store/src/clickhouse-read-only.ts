import { CredoError } from '@credo/core';

/*
 * Ad-hoc SQL on a ClickHouse store (promise 6: ad-hoc queries change nothing). The server does
 * the enforcing: every query() call carries the setting `readonly = 1`, under which ClickHouse
 * refuses INSERT, DDL, OPTIMIZE, SET, table functions and the like (Code 164), and a deployment
 * runs queries as a user whose profile has `readonly = 1` as well, so that even a client that
 * forgot the setting cannot write. The check below only refuses the obvious writes before they
 * travel, naming the statement as the DuckDB adapter does; whatever it lets through still meets
 * the server's read-only mode. The HTTP interface runs one statement per request, so
 * `SELECT 1; DROP TABLE trials` is a syntax error, not half a write.
 */

const WRITE_KEYWORDS = new Set([
  'INSERT', 'CREATE', 'DROP', 'ALTER', 'RENAME', 'TRUNCATE', 'OPTIMIZE', 'ATTACH', 'DETACH', 'SYSTEM', 'KILL',
  'SET', 'USE', 'GRANT', 'REVOKE', 'DELETE', 'UPDATE', 'REPLACE', 'UPSERT', 'MERGE', 'COPY', 'BACKUP', 'RESTORE', 'EXCHANGE', 'UNDROP',
]);

/** Refuses a statement that plainly writes; returns the statement's leading keyword. */
export function checkReadOnlySql(sql: string): string {
  const text = stripComments(sql).trim();
  if (text === '' || /^;*$/.test(text)) throw new CredoError('QUERY_ERROR', 'the query is empty');
  const words = /^[\s(]*([A-Za-z_]+)(?:\s+([A-Za-z_]+))?/.exec(text);
  const first = words?.[1]?.toUpperCase() ?? '';
  if (WRITE_KEYWORDS.has(first)) {
    const second = words?.[2]?.toUpperCase();
    throw refused(['CREATE', 'DROP', 'ALTER', 'ATTACH', 'DETACH', 'SYSTEM'].includes(first) && second ? `${first} ${second}` : first);
  }
  // Writes a file on the client side of the native protocol and is not meant for HTTP anyway.
  if (/\bINTO\s+OUTFILE\b/i.test(withoutStrings(text))) throw refused('SELECT … INTO OUTFILE');
  return first;
}

/** A ClickHouse failure of an ad-hoc query as a CredoError: read-only refusals apart. */
export function queryError(e: unknown, message: string): CredoError {
  const code = serverCode(message);
  if (code === 164 || /readonly mode|READONLY/i.test(message)) {
    return new CredoError('QUERY_READONLY', `queries are read-only: ${message}`, { cause: e });
  }
  return new CredoError('QUERY_ERROR', message, { cause: e });
}

/** The `Code: N` of a ClickHouse server error, or undefined for a transport error. */
export function serverCode(message: string): number | undefined {
  const m = /\bCode: (\d+)/.exec(message);
  return m ? Number(m[1]) : undefined;
}

function refused(what: string): CredoError {
  return new CredoError('QUERY_READONLY', `queries are read-only: ${/^[AEIOU]/.test(what) ? 'an' : 'a'} ${what} statement is not allowed`, {
    allowed: 'one SELECT (or WITH, SHOW, DESCRIBE, EXISTS) statement',
  });
}

function stripComments(sql: string): string {
  return sql.replace(/--[^\n]*/g, ' ').replace(/\/\*[\s\S]*?\*\//g, ' ');
}

function withoutStrings(sql: string): string {
  return sql.replace(/'(?:[^'\\]|\\[\s\S])*'/g, "''").replace(/`(?:[^`\\]|\\[\s\S])*`/g, '``').replace(/"(?:[^"\\]|\\[\s\S])*"/g, '""');
}
