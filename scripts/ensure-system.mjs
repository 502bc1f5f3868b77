#!/usr/bin/env node
// Makes sure the Debian packages the tests need are present. As root (CI, a fresh machine) it
// installs the missing ones with apt-get; otherwise it prints exactly what to install and
// stops, rather than letting a test fail later with a confusing error.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

// command that must exist → Debian package that provides it, and why the tests need it.
const NEEDED = [
  { command: 'nats-server', pkg: 'nats-server', why: 'cluster-mode tests start a real NATS JetStream server' },
  { command: 'clickhouse-server', pkg: 'clickhouse-server', why: 'cluster-mode and store-conformance tests start a real ClickHouse server' },
  { command: 'clickhouse-client', pkg: 'clickhouse-client', why: 'the ingest benchmark compares with the native client' },
  { command: 'chromium', pkg: 'chromium', why: 'the report tests open the HTML reports in headless Chromium' },
  // A file, not a command: PNG plots load this font, and without one resvg silently draws no text.
  { file: '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', pkg: 'fonts-dejavu-core', why: 'PNG plots (credo curves --plot x.png) need DejaVu Sans' },
];

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const missing = NEEDED.filter((n) => (n.file ? !existsSync(n.file) : !has(n.command)));
if (missing.length === 0) process.exit(0);

const pkgs = [...new Set(missing.map((m) => m.pkg))];
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (!isRoot) {
  console.error(`credo tests need Debian packages that are not installed: ${pkgs.join(' ')}`);
  for (const m of missing) console.error(`  ${m.command ?? m.file} (${m.pkg}): ${m.why}`);
  console.error(`install them with:\n  sudo apt-get update && sudo apt-get install -y ${pkgs.join(' ')}`);
  process.exit(1);
}
console.error(`installing Debian packages: ${pkgs.join(' ')}`);
execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
