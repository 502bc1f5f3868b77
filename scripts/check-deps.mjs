#!/usr/bin/env node
// The dependency linter: DESIGN.md says dependencies point one way; this checks it on every
// `npm test` instead of trusting memory. For every workspace package it reads the imports in
// src/ and checks that (1) each @credo/* import is declared in package.json and in the
// tsconfig references, (2) each declared edge is allowed by the layer table below, (3) the
// package graph is acyclic, (4) nobody deep-imports another package's files, and (5) the
// Piscina thread entry imports only the numeric packages.
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

// Which packages each package may depend on (DESIGN.md "Layout" and "Dependencies point one way").
const ALLOWED = {
  core: [],
  tensor: ['core'],
  rules: ['core', 'tensor'],
  tasks: ['core', 'tensor', 'rules'],
  spec: ['core'],
  store: ['core'],
  proto: ['core'],
  runtime: ['core', 'tensor', 'rules', 'tasks', 'spec'],
  client: ['core', 'spec', 'store', 'proto'],
  report: ['core', 'store', 'spec', 'client'],
  testing: ['core'],
  bench: ['core', 'tensor', 'rules', 'tasks', 'runtime', 'spec', 'store', 'proto', 'testing'],
  cli: ['core', 'tensor', 'rules', 'tasks', 'spec', 'store', 'runtime', 'proto', 'client', 'report'],
};
const NUMERIC = new Set(['core', 'tensor', 'rules', 'tasks']);
const THREAD_ENTRIES = ['packages/runtime/src/trial-thread.ts'];

const problems = [];
const pkgDirs = readdirSync(join(root, 'packages')).filter((d) => existsSync(join(root, 'packages', d, 'package.json')));
const svcDirs = existsSync(join(root, 'services')) ? readdirSync(join(root, 'services')).filter((d) => existsSync(join(root, 'services', d, 'package.json'))) : [];

function walk(dir) {
  const out = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (/\.(ts|mts|js|mjs)$/.test(e) && !e.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const IMPORT_RE = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;
function importsOf(file) {
  // Comments (TSDoc examples import packages too) are not imports.
  const src = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out = [];
  for (const m of src.matchAll(IMPORT_RE)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

const graph = new Map();
function checkPackage(kind, name) {
  const dir = join(root, kind, name);
  const pj = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const declared = Object.keys(pj.dependencies ?? {}).filter((d) => d.startsWith('@credo/')).map((d) => d.slice(7));
  const tsc = existsSync(join(dir, 'tsconfig.json')) ? JSON.parse(readFileSync(join(dir, 'tsconfig.json'), 'utf8')) : { references: [] };
  const refs = new Set((tsc.references ?? []).map((r) => r.path.split('/').pop()));
  const id = kind === 'packages' ? name : `services/${name}`;
  graph.set(id, declared);
  const allowed = kind === 'packages' ? ALLOWED[name] : Object.keys(ALLOWED).filter((p) => p !== 'testing');
  if (!allowed) problems.push(`${kind}/${name}: not in the layer table of scripts/check-deps.mjs (add it deliberately)`);
  for (const d of declared) {
    if (allowed && !allowed.includes(d)) problems.push(`${kind}/${name} depends on @credo/${d}, which DESIGN.md's direction does not allow (allowed: ${allowed.join(', ') || 'none'})`);
    if (!refs.has(d)) problems.push(`${kind}/${name}: @credo/${d} is a dependency but not a tsconfig reference`);
  }
  if (!existsSync(join(dir, 'src'))) return;
  for (const f of walk(join(dir, 'src'))) {
    for (const spec of importsOf(f)) {
      const rel = relative(root, f);
      if (spec.startsWith('@credo/')) {
        const [, pkg, ...rest] = spec.split('/');
        if (rest.length) problems.push(`${rel}: deep import '${spec}' (import the package entry)`);
        if (!declared.includes(pkg)) problems.push(`${rel}: imports @credo/${pkg}, not declared in ${kind}/${name}/package.json`);
      } else if (spec.startsWith('.') && relative(dir, join(f, '..', spec)).startsWith('..')) {
        problems.push(`${rel}: relative import '${spec}' leaves its package`);
      } else if (/(^|\/)(services)\//.test(spec)) {
        problems.push(`${rel}: imports a service ('${spec}'); only test/ may`);
      }
    }
  }
}
for (const p of pkgDirs) checkPackage('packages', p);
for (const s of svcDirs) checkPackage('services', s);

for (const entry of THREAD_ENTRIES) {
  const f = join(root, entry);
  if (!existsSync(f)) continue;
  for (const spec of importsOf(f)) {
    if (spec.startsWith('@credo/') && !NUMERIC.has(spec.split('/')[1])) problems.push(`${entry}: the Piscina thread entry imports ${spec}; it may import only ${[...NUMERIC].map((n) => '@credo/' + n).join(', ')}`);
  }
}

// Cycle check (depth-first search with colours).
const colour = new Map();
function dfs(n, path) {
  colour.set(n, 'grey');
  for (const d of graph.get(n) ?? []) {
    if (colour.get(d) === 'grey') problems.push(`dependency cycle: ${[...path, n, d].join(' → ')}`);
    else if (!colour.has(d)) dfs(d, [...path, n]);
  }
  colour.set(n, 'black');
}
for (const n of graph.keys()) if (!colour.has(n)) dfs(n, []);

if (problems.length) {
  console.error(`check-deps: ${problems.length} problem(s)`);
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}
console.log(`check-deps: ${graph.size} packages, edges follow DESIGN.md, no cycles`);
