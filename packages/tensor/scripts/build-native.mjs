#!/usr/bin/env node
// Builds the native kernels for this machine's CPU (-march=native), into build/credo-native.node:
// RTRL's influence update (native/influence.cc: the default contract and the `fma` one) and the
// rnn's one-row forward and readout (native/rnn-row.cc). Run by `npm run build` (and so by
// `npm ci` and `npm test`).
//
// It needs g++ and Node's own C headers (node_api.h), which every machine this project targets
// has: npm's nodedir setting, or the include/node folder next to the running node. Where either
// is missing it says so and exits 0: RTRL's influence update then runs on the wasm kernels and
// the rnn's one-row products in JavaScript, with the same numbers, about 2× slower at N ≥ 32.
//
//   node packages/tensor/scripts/build-native.mjs
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const sources = ['influence.cc', 'rnn-row.cc'].map((f) => join(pkg, 'native', f));
const outDir = join(pkg, 'build');
const target = join(outDir, 'credo-native.node');

// The flags are part of the contract: no contraction, so only the fused operations written as
// such are fused (see influence.cc).
export const CXX_FLAGS = ['-O3', '-march=native', '-ffp-contract=off', '-fno-fast-math', '-std=c++17', '-shared', '-fPIC', '-fvisibility=hidden'];

function headerDirs() {
  const candidates = [];
  const fromNpm = process.env['npm_config_nodedir'];
  if (fromNpm) candidates.push(join(fromNpm, 'include', 'node'));
  candidates.push(join(dirname(dirname(process.execPath)), 'include', 'node'), '/usr/include/node', '/usr/local/include/node');
  return candidates.filter((d) => existsSync(join(d, 'node_api.h')));
}

function skip(why) {
  rmSync(target, { force: true });
  process.stdout.write(`build-native: skipped (${why}); RTRL will run on the wasm kernels (same numbers, slower)\n`);
  process.exit(0);
}

const gxx = spawnSync('g++', ['--version'], { encoding: 'utf8' });
if (gxx.status !== 0) skip('no g++ on PATH: apt-get install g++');
const [include] = headerDirs();
if (!include) skip("no Node-API headers (node_api.h) found: apt-get install libnode-dev, or set npm's nodedir");

mkdirSync(outDir, { recursive: true });
const tmp = `${target}.${process.pid}.tmp`;
try {
  execFileSync('g++', [...CXX_FLAGS, `-I${include}`, ...sources, '-o', tmp], { stdio: ['ignore', 'inherit', 'inherit'] });
  // Atomic: a process that has the old module loaded keeps it; the next one loads the new one.
  renameSync(tmp, target);
} catch (e) {
  // Not fatal for an install: everything runs without it. The tests do fail (influence.test.ts
  // expects the module wherever g++ exists), so a broken build is still noticed.
  rmSync(tmp, { force: true });
  rmSync(target, { force: true });
  process.stderr.write(`build-native: g++ failed (${e.message.split('\n')[0]}); RTRL will run on the wasm kernels (same numbers, slower)\n`);
  process.exit(0);
}
process.stdout.write(`build-native: built ${target}\n`);
