import { CredoError } from '@credo/core';

/*
 * The one place where values become ClickHouse text: SQL literals and TabSeparated fields.
 *
 * ClickHouse 18.16 has no server-side query parameters, so every value the store puts into SQL
 * is quoted here on the client. The logic follows `formatQueryParams` of @clickhouse/client
 * 1.23.1 (the function the client itself uses to format query parameters; internal, so it is
 * copied rather than deep-imported), with two changes: NUL is escaped as `\0` too, and booleans
 * are 1/0 everywhere (18.16 has no TRUE/FALSE). Quoted literals and TSV fields share the same
 * backslash escapes, so {@link escapeString} serves both: it is the one escaping function, and
 * the tests round-trip quotes, backslashes, tabs, newlines, NUL and non-ASCII text through a
 * real 18.16 server.
 */

/** What {@link sqlValue} and the {@link sql} tag accept. `undefined` is NULL. */
export type SqlValue = string | number | bigint | boolean | null | undefined | readonly SqlValue[] | SqlRaw;

/** Text that goes into SQL as it is: only from {@link identifier}, {@link sqlList} or constants. */
export class SqlRaw {
  constructor(readonly text: string) {}
}

const SPECIAL = /[\t\n\r'\\\0]/;
const SPECIAL_ALL = /[\t\n\r'\\\0]/g;
const ESCAPES: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r', "'": "\\'", '\\': '\\\\', '\0': '\\0' };

/**
 * Backslash-escapes tab, newline, carriage return, single quote, backslash and NUL: the
 * characters that would end or corrupt a quoted ClickHouse string or a TabSeparated field.
 * Everything else (any Unicode) passes through; ClickHouse stores the UTF-8 bytes.
 *
 * @example
 * ```ts
 * escapeString("O'Brien\tC:\\x") // "O\\'Brien\\tC:\\\\x"
 * ```
 */
export function escapeString(s: string): string {
  return SPECIAL.test(s) ? s.replace(SPECIAL_ALL, (c) => ESCAPES[c]!) : s;
}

/**
 * A value as a ClickHouse SQL literal: strings quoted and escaped, NaN/±Infinity as
 * `nan`/`inf`/`-inf`, null/undefined as NULL, arrays as `[a,b]`, booleans as 1/0.
 *
 * @example
 * ```ts
 * sqlValue("it's")           // "'it\\'s'"
 * sqlValue(['a', null, NaN]) // "['a',NULL,nan]"
 * ```
 */
export function sqlValue(v: SqlValue): string {
  if (v === null || v === undefined) return 'NULL';
  if (v instanceof SqlRaw) return v.text;
  if (typeof v === 'string') return `'${escapeString(v)}'`;
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (Array.isArray(v)) return `[${v.map(sqlValue).join(',')}]`;
  throw new CredoError('INTERNAL', `cannot write ${typeof v} as a ClickHouse literal`);
}

/**
 * A value as a TabSeparated field: like {@link sqlValue} but strings unquoted and NULL as `\N`
 * (arrays keep their quoted form, which is how TabSeparated writes them).
 */
export function tsvField(v: SqlValue): string {
  if (v === null || v === undefined) return '\\N';
  if (typeof v === 'string') return escapeString(v);
  return sqlValue(v);
}

/** A number as ClickHouse reads it, in SQL and in TabSeparated: `nan`, `inf`, `-inf`, `-0` kept. */
export function formatNumber(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (v === 0 && Object.is(v, -0)) return '-0';
  return String(v);
}

/**
 * SQL with every interpolated value quoted by {@link sqlValue}, so that a value can never be
 * spliced in raw by mistake; identifiers go through {@link identifier}.
 *
 * @example
 * ```ts
 * sql`SELECT count() FROM trials WHERE sweep_id = ${id} AND status IN (${sqlList(['done'])})`
 * ```
 */
export function sql(strings: TemplateStringsArray, ...values: readonly SqlValue[]): string {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += sqlValue(values[i]) + strings[i + 1]!;
  return out;
}

/** Comma-separated literals, for `IN (…)`. */
export function sqlList(values: readonly SqlValue[]): SqlRaw {
  return new SqlRaw(values.map(sqlValue).join(', '));
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A plain identifier (database, table, column); anything else is refused, not quoted. */
export function identifier(name: string, field = 'identifier'): SqlRaw {
  if (!IDENTIFIER.test(name)) {
    throw new CredoError('STORE_ERROR', 'invalid value', { field, value: name, allowed: 'letters, digits and _, not starting with a digit' });
  }
  return new SqlRaw(name);
}

export function isIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}
