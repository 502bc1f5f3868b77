import { CredoError } from '@credo/core';
import { isIdentifier } from './clickhouse-sql.js';

/** Where and as whom to connect: what {@link parseClickHouseUrl} makes of a store URL. */
export interface ClickHouseTarget {
  /** The HTTP(S) endpoint, `http://host:port`, without credentials or path. */
  readonly url: string;
  readonly username: string;
  readonly password: string;
  readonly database: string;
}

/** The database a URL without a path names. */
export const DEFAULT_DATABASE = 'credo';

/**
 * Parses a store URL: `clickhouse://user:password@host:port/database` (HTTP; `clickhouses://`
 * for HTTPS), or the same with `http://` / `https://`. The port defaults to 8123 (HTTP) or 8443
 * (HTTPS), the user to `default` with an empty password, the database to `credo`. User and
 * password are percent-decoded, so a password with `@`, `:` or `/` must be percent-encoded.
 * Errors never contain the password.
 *
 * @example
 * ```ts
 * parseClickHouseUrl('clickhouse://credo:s3cret@db.lab:8123/sweeps')
 * // { url: 'http://db.lab:8123', username: 'credo', password: 's3cret', database: 'sweeps' }
 * ```
 */
export function parseClickHouseUrl(text: string): ClickHouseTarget {
  const shown = maskUrl(text);
  const bad = (why: string) => new CredoError('STORE_ERROR', `bad ClickHouse URL ${shown}: ${why}`, {
    allowed: 'clickhouse://user:password@host:port/database (or clickhouses://, http://, https://)',
  });
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    // Not chained: URL's own error repeats the input, password included.
    throw bad('not a URL');
  }
  const scheme = u.protocol.replace(/:$/, '').toLowerCase();
  const tls = { clickhouse: false, http: false, clickhouses: true, https: true }[scheme];
  if (tls === undefined) throw bad(`unknown scheme ${scheme}:`);
  if (!u.hostname) throw bad('no host');
  if (u.search || u.hash) throw bad('options after ? or # are not supported');
  const parts = u.pathname.split('/').filter((p) => p !== '');
  if (parts.length > 1) throw bad('the path must be a single database name');
  let database: string;
  let username: string;
  let password: string;
  try {
    database = parts[0] === undefined ? DEFAULT_DATABASE : decodeURIComponent(parts[0]);
    username = u.username === '' ? 'default' : decodeURIComponent(u.username);
    password = decodeURIComponent(u.password);
  } catch {
    throw bad('bad percent-encoding');
  }
  if (!isIdentifier(database)) throw bad(`database name ${JSON.stringify(database)} must be letters, digits and _`);
  const port = u.port === '' ? (tls ? 8443 : 8123) : Number(u.port);
  const host = u.hostname;
  return { url: `${tls ? 'https' : 'http'}://${host}:${port}`, username, password, database };
}

/**
 * The URL with its password replaced by `***`, for messages and logs. Also works on text that
 * is not a valid URL (it masks anything between `//user:` and `@`).
 *
 * @example
 * ```ts
 * maskUrl('clickhouse://credo:s3cret@db:8123/credo') // 'clickhouse://credo:***@db:8123/credo'
 * ```
 */
export function maskUrl(text: string): string {
  return text.replace(/(\/\/[^/@:]*:)[^@]*@/g, '$1***@');
}

/** `text` with every occurrence of `secret` (and of any URL password) replaced by `***`. */
export function maskSecret(text: string, secret: string): string {
  let out = maskUrl(text);
  if (secret.length >= 3) out = out.split(secret).join('***');
  for (const enc of [encodeURIComponent(secret)]) if (enc !== secret && enc.length >= 3) out = out.split(enc).join('***');
  return out;
}

/** How the store names its location in messages: the URL without the password. */
export function describeTarget(t: ClickHouseTarget): string {
  return `clickhouse ${t.url.replace(/^https?:\/\//, (m) => `${m}${encodeURIComponent(t.username)}@`)}/${t.database}`;
}
