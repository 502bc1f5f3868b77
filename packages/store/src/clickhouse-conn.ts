import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ClickHouseLogLevel, createClient, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import { parseTsvWithNamesAndTypes, type TextResult } from './clickhouse-values.js';
import { maskSecret, type ClickHouseTarget } from './clickhouse-url.js';

/**
 * The ClickHouse HTTP client as the store uses it: every request carries
 * `wait_end_of_query = 1` (an 18.16 server that fails in the middle of a result otherwise
 * answers 200 and appends the error to the data, which the client takes for success), results
 * are read as `TabSeparatedWithNamesAndTypes` and converted by type, inserts stream
 * TabSeparated text, and the client's own console logging is off (it would print every failed
 * request, with a stack). Messages of the errors it throws never contain the password.
 *
 * No other settings are sent by default: a user whose profile has `readonly = 1` may not change
 * any setting, so a read-only store must work with none.
 */
export class ClickHouseConn {
  private readonly client: ClickHouseClient;
  private readonly password: string;

  constructor(target: ClickHouseTarget, opts: { requestTimeoutMs: number; database: string | undefined }) {
    this.password = target.password;
    this.client = createClient({
      url: target.url,
      username: target.username,
      password: target.password,
      // Undefined means the server's `default` database: the one that exists before migration.
      ...(opts.database === undefined ? {} : { database: opts.database }),
      request_timeout: opts.requestTimeoutMs,
      application: 'credo',
      compression: { request: false, response: false },
      log: { level: ClickHouseLogLevel.OFF },
    });
  }

  /** Runs a statement that returns no rows (DDL, INSERT … VALUES). */
  async command(sql: string, settings: ClickHouseSettings = {}): Promise<void> {
    try {
      await this.client.command({ query: sql, clickhouse_settings: { wait_end_of_query: 1, ...settings } });
    } catch (e) {
      throw this.wrap(e);
    }
  }

  /** Runs a query and returns its rows, converted by column type (see clickhouse-values.ts). */
  async select(sql: string, settings: ClickHouseSettings = {}): Promise<TextResult> {
    let text: string;
    try {
      const rs = await this.client.query({ query: sql, format: 'TabSeparatedWithNamesAndTypes', clickhouse_settings: { wait_end_of_query: 1, ...settings } });
      text = await rs.text();
    } catch (e) {
      throw this.wrap(e);
    }
    return parseTsvWithNamesAndTypes(text);
  }

  /** The first column of the first row as a number (0 when there is no row). */
  async scalar(sql: string): Promise<number> {
    const r = await this.select(sql);
    const v = r.rows[0]?.[0];
    return v === undefined || v === null ? 0 : Number(v);
  }

  /**
   * One INSERT of TabSeparated text into `table` (`columns` in the order of each line's
   * fields). `chunks` is consumed lazily as the request body streams, so a large batch is never
   * one giant string.
   */
  async insertTsv(table: string, columns: readonly string[], chunks: Iterable<string>): Promise<void> {
    try {
      await this.client.insert({
        table,
        values: Readable.from(chunks, { objectMode: false }),
        format: 'TabSeparated',
        columns: columns as [string, ...string[]],
        clickhouse_settings: { wait_end_of_query: 1 },
      });
    } catch (e) {
      throw this.wrap(e);
    }
  }

  /**
   * One INSERT of `RowBinary` rows into `table` (`columns` in the order each row's fields are
   * encoded; the others take their defaults). Like {@link insertTsv}, `chunks` stream lazily.
   */
  async insertRowBinary(table: string, columns: readonly string[], chunks: Iterable<Buffer>): Promise<void> {
    try {
      const r = await this.client.exec({
        query: `INSERT INTO ${table} (${columns.join(', ')}) FORMAT RowBinary`,
        values: Readable.from(chunks, { objectMode: false }),
        clickhouse_settings: { wait_end_of_query: 1 },
      });
      // The response body must be drained for the request (and its socket) to finish.
      for await (const _ of r.stream) void _;
    } catch (e) {
      throw this.wrap(e);
    }
  }

  /**
   * Runs a query and returns its result as `RowBinary` bytes: for large numeric results (curve
   * values) it skips formatting and parsing 10⁶ floats as text, which cost more than the query.
   */
  async selectBinary(sql: string): Promise<Buffer> {
    try {
      const r = await this.client.exec({ query: `${sql}\nFORMAT RowBinary`, clickhouse_settings: { wait_end_of_query: 1 } });
      const chunks: Buffer[] = [];
      for await (const c of r.stream) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    } catch (e) {
      throw this.wrap(e);
    }
  }

  /**
   * Runs a query and writes its raw result, in `format` (e.g. `CSVWithNames`), to the file
   * `path` as it streams, without parsing it in JS. With `wait_end_of_query = 1` a query that
   * fails midway rejects instead of leaving a truncated file that looks complete.
   */
  async queryToFile(sql: string, format: string, path: string, settings: ClickHouseSettings = {}): Promise<void> {
    try {
      const r = await this.client.exec({ query: `${sql}\nFORMAT ${format}`, clickhouse_settings: { wait_end_of_query: 1, ...settings } });
      await pipeline(r.stream, createWriteStream(path));
    } catch (e) {
      throw this.wrap(e);
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  /** An Error whose message names the server's error code and never the password. */
  private wrap(e: unknown): Error {
    const err = e instanceof Error ? e : new Error(String(e));
    let msg = err.message;
    const code = (err as { code?: unknown }).code;
    // The client parses errors of newer servers into a ClickHouseError with the code apart.
    if (typeof code === 'string' && /^\d+$/.test(code) && !/\bCode: \d+/.test(msg)) msg = `Code: ${code}. ${msg}`;
    if (typeof code === 'string' && !/^\d+$/.test(code) && !msg.includes(code)) msg = `${code}: ${msg}`;
    msg = maskSecret(msg.trim(), this.password);
    const out = new Error(msg);
    // The original stays reachable for debugging; its message is masked too.
    if (err.message !== msg) err.message = maskSecret(err.message, this.password);
    (out as Error & { cause?: unknown }).cause = err;
    return out;
  }
}
