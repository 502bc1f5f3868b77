import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { freePorts, httpGet } from './ports.js';
import { findBinary, INSTALL_HINT, ManagedProcess, waitUntil } from './process.js';

export interface ClickHouseUser {
  readonly user: string;
  readonly password: string;
}

export interface ClickHouseServerOptions {
  /** Where Debian's config.xml and users.xml are read from; default /etc/clickhouse-server. */
  readonly configDir?: string;
  /** How long to wait for /ping; default 60 s. */
  readonly timeoutMs?: number;
}

/** A clickhouse-server on 127.0.0.1 with its own ports and data dir, made by {@link startClickHouse}. */
export interface ClickHouseServer {
  /** `http://127.0.0.1:HTTP_PORT`. */
  readonly httpUrl: string;
  readonly httpPort: number;
  /** Native protocol port, for `clickhouse-client`. */
  readonly tcpPort: number;
  readonly interserverPort: number;
  /** Temp dir: config.xml, users.xml, data/, logs/. */
  readonly dir: string;
  /**
   * `admin` (user `credo`): full rights, for the ingester and migrations. `readonly` (user
   * `credo_ro`): profile `credo_readonly` with `readonly = 1`, for ad-hoc queries.
   */
  readonly users: { readonly admin: ClickHouseUser; readonly readonly: ClickHouseUser };
  /** Milliseconds the last (re)start took until /ping answered `Ok.`. */
  readonly startupMs: number;
  readonly pid: number | undefined;
  readonly running: boolean;
  /**
   * A `clickhouse://user:password@127.0.0.1:PORT/DATABASE` URL for `openClickHouseStore`, as the
   * admin user (default) or the read-only one. Default database `credo`.
   */
  storeUrl(opts?: { database?: string; readonly?: boolean }): string;
  /** Stops the server for good (SIGTERM, then SIGKILL) and removes its temp dir. */
  stop(): Promise<void>;
  /**
   * Sends a signal, keeping ports and data: SIGKILL (default) or SIGTERM wait until the server
   * exited; SIGSTOP/SIGCONT freeze and thaw it. {@link ClickHouseServer.start} brings a dead one back.
   */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the server again on the same ports and data dir (no-op while it runs) and waits for /ping. */
  start(): Promise<void>;
  /** SIGTERM, then {@link ClickHouseServer.start}. */
  restart(): Promise<void>;
}

/**
 * Starts a private clickhouse-server: copies Debian's config.xml and users.xml into a temp dir,
 * points every port at a free one and every path (data, tmp, user files, format schemas, logs)
 * into the temp dir, adds the users `credo` (password, full rights) and `credo_ro` (password,
 * read-only profile), runs `clickhouse-server --config-file=…` and waits until `/ping` answers.
 * The server is killed when the test process exits, however it exits.
 *
 * @example
 * ```ts
 * const ch = await startClickHouse();
 * const store = await openClickHouseStore(ch.storeUrl());
 * await ch.kill('SIGTERM');                       // fault: ClickHouse down
 * await new Promise((r) => setTimeout(r, 20_000));
 * await ch.start();                               // same ports, same data
 * await ch.stop();                                // for good; temp dir removed
 * ```
 */
export async function startClickHouse(opts: ClickHouseServerOptions = {}): Promise<ClickHouseServer> {
  const bin = findBinary('clickhouse-server');
  const configDir = opts.configDir ?? '/etc/clickhouse-server';
  let config: string;
  let users: string;
  try {
    config = readFileSync(join(configDir, 'config.xml'), 'utf8');
    users = readFileSync(join(configDir, 'users.xml'), 'utf8');
  } catch (e) {
    throw new Error(`cannot read ClickHouse's default config in ${configDir} (${(e as Error).message}); ${INSTALL_HINT}`);
  }
  const admin: ClickHouseUser = { user: 'credo', password: randomBytes(12).toString('hex') };
  const readonly: ClickHouseUser = { user: 'credo_ro', password: randomBytes(12).toString('hex') };
  let lastError: unknown;
  for (let tries = 0; tries < 3; tries++) {
    const [httpPort, tcpPort, interserverPort] = (await freePorts(3)) as [number, number, number];
    const dir = mkdtempSync(join(tmpdir(), 'credo-clickhouse-'));
    for (const sub of ['data', 'data/tmp', 'data/user_files', 'data/format_schemas', 'logs']) mkdirSync(join(dir, sub), { recursive: true });
    writeFileSync(join(dir, 'config.xml'), rewriteConfig(config, dir, httpPort, tcpPort, interserverPort));
    writeFileSync(join(dir, 'users.xml'), rewriteUsers(users, admin, readonly));
    // clickhouse-client reads user and password from here, so they stay off the command line.
    writeFileSync(join(dir, 'client.xml'), `<?xml version="1.0"?>\n<config>\n  <user>${admin.user}</user>\n  <password>${admin.password}</password>\n</config>\n`, { mode: 0o600 });
    const proc = new ManagedProcess('clickhouse-server', bin, [`--config-file=${join(dir, 'config.xml')}`], dir, join(dir, 'logs', 'stdout.log'), dir);
    const server = new ClickHouse(proc, httpPort, tcpPort, interserverPort, dir, { admin, readonly }, opts.timeoutMs ?? 60_000);
    try {
      await server.start();
      return server;
    } catch (e) {
      lastError = e;
      await proc.dispose();
    }
  }
  throw lastError;
}

class ClickHouse implements ClickHouseServer {
  readonly httpUrl: string;
  startupMs = NaN;

  constructor(
    private readonly proc: ManagedProcess,
    readonly httpPort: number,
    readonly tcpPort: number,
    readonly interserverPort: number,
    readonly dir: string,
    readonly users: { readonly admin: ClickHouseUser; readonly readonly: ClickHouseUser },
    private readonly timeoutMs: number,
  ) {
    this.httpUrl = `http://127.0.0.1:${httpPort}`;
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  get running(): boolean {
    return this.proc.running;
  }

  storeUrl(opts: { database?: string; readonly?: boolean } = {}): string {
    const u = opts.readonly ? this.users.readonly : this.users.admin;
    return `clickhouse://${encodeURIComponent(u.user)}:${encodeURIComponent(u.password)}@127.0.0.1:${this.httpPort}/${opts.database ?? 'credo'}`;
  }

  async start(): Promise<void> {
    if (this.proc.running) return;
    const t0 = performance.now();
    await this.proc.spawn();
    await waitUntil(this.proc, 'answering /ping', async () => {
      const r = await httpGet(`${this.httpUrl}/ping`);
      return r.status === 200 && r.body.trim() === 'Ok.';
    }, this.timeoutMs);
    this.startupMs = performance.now() - t0;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    return this.proc.signal(signal);
  }

  async restart(): Promise<void> {
    await this.proc.signal('SIGTERM');
    await this.start();
  }

  stop(): Promise<void> {
    return this.proc.dispose();
  }
}

/**
 * Runs the native `clickhouse-client` against the server as the admin user, feeding `input` to
 * its stdin, and resolves with its stdout; rejects with its stderr on a non-zero exit.
 *
 * @example
 * ```ts
 * const n = await clickhouseClient(ch, 'SELECT count() FROM credo.metrics');
 * ```
 */
export async function clickhouseClient(server: ClickHouseServer, sql: string, input?: string | Uint8Array | Readable): Promise<string> {
  const bin = findBinary('clickhouse-client');
  const args = ['--config-file', join(server.dir, 'client.xml'), '--host', '127.0.0.1', '--port', String(server.tcpPort), '--query', sql];
  const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  const done = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  // EPIPE when the client dies early is reported through its exit code and stderr instead.
  child.stdin.on('error', () => undefined);
  if (input === undefined) child.stdin.end();
  else if (typeof input === 'string' || input instanceof Uint8Array) child.stdin.end(input);
  else input.pipe(child.stdin);
  const code = await done;
  if (code !== 0) throw new Error(`clickhouse-client failed (exit ${code}): ${Buffer.concat(err).toString('utf8').trim()}`);
  return Buffer.concat(out).toString('utf8');
}

/**
 * `INSERT INTO table FORMAT format` through the native `clickhouse-client` (the fastest way in,
 * for benchmarks): `data` goes to its stdin. Resolves with the elapsed milliseconds.
 *
 * @example
 * ```ts
 * const ms = await clickhouseClientInsert(ch, 'credo.metrics', 'TabSeparated', tsv);
 * ```
 */
export async function clickhouseClientInsert(
  server: ClickHouseServer,
  table: string,
  format: string,
  data: string | Uint8Array | Readable,
): Promise<number> {
  if (!/^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)?$/.test(table)) throw new Error(`clickhouseClientInsert: bad table name ${JSON.stringify(table)}`);
  if (!/^[A-Za-z]+$/.test(format)) throw new Error(`clickhouseClientInsert: bad format ${JSON.stringify(format)}`);
  const t0 = performance.now();
  await clickhouseClient(server, `INSERT INTO ${table} FORMAT ${format}`, data);
  return performance.now() - t0;
}

/** Debian's config.xml with our ports and paths: see {@link startClickHouse}. */
export function rewriteConfig(xml: string, dir: string, httpPort: number, tcpPort: number, interserverPort: number): string {
  // Comments hold example tags (<listen_host>, <path>, …) that would confuse the edits below.
  let out = xml.replace(/<!--[\s\S]*?-->/g, '');
  // The only other <path> lives here; there is no ZooKeeper, so distributed DDL is useless anyway.
  out = out.replace(/<distributed_ddl>[\s\S]*?<\/distributed_ddl>/g, '');
  out = out.replace(/\s*<listen_host>[^<]*<\/listen_host>/g, '');
  const data = join(dir, 'data');
  const set: Array<[string, string]> = [
    ['http_port', String(httpPort)],
    ['tcp_port', String(tcpPort)],
    ['interserver_http_port', String(interserverPort)],
    ['path', `${data}/`],
    ['tmp_path', `${data}/tmp/`],
    ['user_files_path', `${data}/user_files/`],
    ['format_schema_path', `${data}/format_schemas/`],
    ['log', join(dir, 'logs', 'clickhouse-server.log')],
    ['errorlog', join(dir, 'logs', 'clickhouse-server.err.log')],
    ['users_config', join(dir, 'users.xml')],
  ];
  for (const [tag, value] of set) out = setTag(out, tag, value);
  const root = /<\/(yandex|clickhouse)>\s*$/.exec(out);
  if (!root) throw new Error('ClickHouse config.xml: no closing </yandex> or </clickhouse> root tag');
  // Only IPv4 loopback: freePort checked 127.0.0.1, and ::1 may be missing in containers.
  // UTC, so that DateTime text means the same on every machine.
  const extra = ['  <listen_host>127.0.0.1</listen_host>', /<timezone>/.test(out) ? '' : '  <timezone>UTC</timezone>'].filter(Boolean).join('\n');
  return `${out.slice(0, root.index)}${extra}\n${out.slice(root.index)}`;
}

/** Debian's users.xml plus the `credo` and `credo_ro` users and the `credo_readonly` profile. */
export function rewriteUsers(xml: string, admin: ClickHouseUser, readonly: ClickHouseUser): string {
  const sha = (p: string) => createHash('sha256').update(p).digest('hex');
  const user = (u: ClickHouseUser, profile: string) => `
        <${u.user}>
            <password_sha256_hex>${sha(u.password)}</password_sha256_hex>
            <networks><ip>::/0</ip></networks>
            <profile>${profile}</profile>
            <quota>default</quota>
        </${u.user}>`;
  let out = xml;
  if (!/<\/profiles>/.test(out) || !/<\/users>/.test(out)) throw new Error('ClickHouse users.xml: no <profiles> or <users> section');
  out = out.replace(/<\/profiles>/, `    <credo_readonly>\n            <readonly>1</readonly>\n        </credo_readonly>\n    </profiles>`);
  out = out.replace(/<\/users>/, `${user(admin, 'default')}${user(readonly, 'credo_readonly')}\n    </users>`);
  return out;
}

/** Replaces the text of the single `<tag>…</tag>`, or adds it before the root's end. */
function setTag(xml: string, tag: string, value: string): string {
  const re = new RegExp(`<${tag}>[^<]*</${tag}>`, 'g');
  const n = (xml.match(re) ?? []).length;
  if (n > 1) throw new Error(`ClickHouse config.xml: <${tag}> appears ${n} times; cannot rewrite it safely`);
  const element = `<${tag}>${value}</${tag}>`;
  if (n === 1) return xml.replace(re, () => element);
  return xml.replace(/<\/(yandex|clickhouse)>\s*$/, (end) => `  ${element}\n${end}`);
}
