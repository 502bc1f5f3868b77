import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startNats, type NatsServer } from '@credo/testing';
import { startService, type ServiceProc } from '@credo/testing';
import { CREDO } from './cluster-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'credo-tls-'));
let nats: NatsServer;
let coordinator: ServiceProc;
let address: string;
const TOKEN = 'tls-test-token-b7c1';

beforeAll(async () => {
  // A self-signed certificate for localhost, made here (stack.md §3).
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'server.key'), '-out', join(dir, 'server.crt'), '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  nats = await startNats();
  const port = await freePort();
  address = `localhost:${port}`;
  writeFileSync(join(dir, 'token'), TOKEN);
  coordinator = startService('coordinator', ['--nats-url', nats.url, '--listen', `127.0.0.1:${port}`, '--token-file', join(dir, 'token'), '--tls-cert', join(dir, 'server.crt'), '--tls-key', join(dir, 'server.key')]);
  await coordinator.waitFor(/listening /);
}, 60_000);

afterAll(async () => {
  await coordinator?.stop();
  await nats?.stop();
});

function credo(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [CREDO, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, CREDO_TOKEN: TOKEN } });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

describe('coordinator over TLS', () => {
  it('serves clients that trust its certificate and refuses plaintext ones', () => {
    const ok = credo('list', '--coordinator', address, '--ca', join(dir, 'server.crt'), '--format', 'json');
    expect(ok.code, ok.err).toBe(0);
    const plain = credo('list', '--coordinator', address);
    expect(plain.code).toBe(1);
    expect(plain.err).toMatch(/UNAVAILABLE/);
  });
  it('never writes the token to its logs', () => {
    expect(coordinator.output()).not.toContain(TOKEN);
    expect(coordinator.output()).toMatch(/"tls":true/);
  });
});
