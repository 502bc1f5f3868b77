import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  acceptsTcp,
  clickhouseClient,
  clickhouseClientInsert,
  findBinary,
  freePort,
  startClickHouse,
  startNats,
  type ClickHouseServer,
  type NatsServer,
} from '@credo/testing';

/** The first line a NATS server sends: `INFO {...}`. */
function natsInfo(port: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port });
    let buf = '';
    sock.setTimeout(3000, () => reject(new Error('no INFO')));
    sock.on('data', (d) => {
      buf += d.toString();
      const line = /^INFO (.*)\r\n/.exec(buf);
      if (line) {
        sock.destroy();
        resolve(JSON.parse(line[1]!) as Record<string, unknown>);
      }
    });
    sock.on('error', reject);
  });
}

async function chQuery(ch: ClickHouseServer, user: { user: string; password: string }, sql: string): Promise<{ status: number; body: string }> {
  const res = await fetch(ch.httpUrl, { method: 'POST', body: sql, headers: { 'X-ClickHouse-User': user.user, 'X-ClickHouse-Key': user.password } });
  return { status: res.status, body: await res.text() };
}

describe('freePort / findBinary', () => {
  it('returns a bindable port', async () => {
    const p = await freePort();
    expect(p).toBeGreaterThan(0);
    expect(await acceptsTcp(p)).toBe(false);
  });

  it('names the package to install when a binary is missing', () => {
    expect(() => findBinary('credo-no-such-server')).toThrow(/apt-get install -y nats-server clickhouse-server clickhouse-client/);
  });
});

describe('startNats', () => {
  let nats: NatsServer;
  beforeAll(async () => {
    nats = await startNats();
    console.log(`nats-server ready in ${nats.startupMs.toFixed(0)} ms`);
  });
  afterAll(async () => {
    await nats?.stop();
  });

  it('serves clients on 127.0.0.1 with JetStream enabled and its store in the temp dir', async () => {
    expect(nats.url).toBe(`nats://127.0.0.1:${nats.port}`);
    const info = await natsInfo(nats.port);
    expect(info['jetstream']).toBe(true);
    const jsz = (await (await fetch(`${nats.monitorUrl}/jsz`)).json()) as { config: { store_dir: string } };
    expect(jsz.config.store_dir.startsWith(nats.dir)).toBe(true);
  });

  it('comes back on the same port after SIGKILL and after restart()', async () => {
    const pid = nats.pid;
    await nats.kill();
    expect(nats.running).toBe(false);
    expect(await acceptsTcp(nats.port)).toBe(false);
    await nats.start();
    expect(nats.pid).not.toBe(pid);
    expect((await natsInfo(nats.port))['jetstream']).toBe(true);
    await nats.restart();
    expect(await acceptsTcp(nats.port)).toBe(true);
    console.log(`nats-server restart ready in ${nats.startupMs.toFixed(0)} ms`);
  });

  it('can run without JetStream, and stop() removes the temp dir', async () => {
    const plain = await startNats({ jetstream: false });
    expect((await natsInfo(plain.port))['jetstream']).toBeFalsy();
    await plain.stop();
    expect(existsSync(plain.dir)).toBe(false);
    expect(await acceptsTcp(plain.port)).toBe(false);
  });
});

describe('startClickHouse', () => {
  let ch: ClickHouseServer;
  beforeAll(async () => {
    ch = await startClickHouse();
    console.log(`clickhouse-server ready in ${ch.startupMs.toFixed(0)} ms`);
  });
  afterAll(async () => {
    await ch?.stop();
  });

  it('answers /ping with its ports and paths moved into the temp dir', async () => {
    expect(await (await fetch(`${ch.httpUrl}/ping`)).text()).toBe('Ok.\n');
    const config = readFileSync(join(ch.dir, 'config.xml'), 'utf8');
    expect(config).toContain(`<http_port>${ch.httpPort}</http_port>`);
    expect(config).toContain(`<tcp_port>${ch.tcpPort}</tcp_port>`);
    expect(config).not.toContain('/var/lib/clickhouse');
    expect(config).not.toContain('/var/log/clickhouse-server');
    expect(existsSync(join(ch.dir, 'data', 'metadata'))).toBe(true);
  });

  it('has an admin user that can write and a read-only user that cannot', async () => {
    const admin = ch.users.admin;
    const ro = ch.users.readonly;
    expect((await chQuery(ch, admin, 'CREATE DATABASE IF NOT EXISTS t')).status).toBe(200);
    expect((await chQuery(ch, admin, 'CREATE TABLE IF NOT EXISTS t.x (a String) ENGINE = MergeTree ORDER BY a')).status).toBe(200);
    expect((await chQuery(ch, admin, "INSERT INTO t.x VALUES ('a')")).status).toBe(200);
    const read = await chQuery(ch, ro, 'SELECT count() FROM t.x');
    expect(read).toEqual({ status: 200, body: '1\n' });
    const write = await chQuery(ch, ro, "INSERT INTO t.x VALUES ('b')");
    expect(write.status).not.toBe(200);
    expect(write.body).toMatch(/Code: 164/);
    expect((await chQuery(ch, ro, 'DROP TABLE t.x')).body).toMatch(/Code: 164/);
    expect((await chQuery(ch, { user: admin.user, password: 'wrong' }, 'SELECT 1')).status).not.toBe(200);
    expect(ch.storeUrl()).toBe(`clickhouse://credo:${admin.password}@127.0.0.1:${ch.httpPort}/credo`);
    expect(ch.storeUrl({ readonly: true, database: 'd' })).toBe(`clickhouse://credo_ro:${ro.password}@127.0.0.1:${ch.httpPort}/d`);
  });

  it('inserts through the native clickhouse-client', async () => {
    await clickhouseClient(ch, 'CREATE TABLE IF NOT EXISTS t.n (k UInt32, s String) ENGINE = MergeTree ORDER BY k');
    const ms = await clickhouseClientInsert(ch, 't.n', 'TabSeparated', '1\ta\\tb\n2\tc\n');
    expect(ms).toBeGreaterThan(0);
    expect(await clickhouseClient(ch, 'SELECT k, s FROM t.n ORDER BY k FORMAT JSONEachRow')).toBe('{"k":1,"s":"a\\tb"}\n{"k":2,"s":"c"}\n');
    await expect(clickhouseClientInsert(ch, 't.n', 'TabSeparated', 'not-a-number\tx\n')).rejects.toThrow(/clickhouse-client failed/);
  });

  it('keeps its data across kill() and start() on the same ports', async () => {
    await ch.kill();
    expect(await acceptsTcp(ch.httpPort)).toBe(false);
    await ch.start();
    console.log(`clickhouse-server restart ready in ${ch.startupMs.toFixed(0)} ms`);
    expect((await chQuery(ch, ch.users.admin, 'SELECT count() FROM t.n')).body).toBe('2\n');
    await ch.restart();
    expect((await chQuery(ch, ch.users.admin, 'SELECT count() FROM t.x')).body).toBe('1\n');
  });

  it('stop() ends the server and removes its temp dir', async () => {
    const other = await startClickHouse();
    await other.stop();
    expect(existsSync(other.dir)).toBe(false);
    expect(await acceptsTcp(other.httpPort)).toBe(false);
    await expect(other.start()).rejects.toThrow(/stopped for good/);
  });
});
