import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = new URL('../bin/credo.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'credo-cli-'));

function credo(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function spec(name: string, text: string): string {
  const p = join(dir, `${name}.yaml`);
  writeFileSync(p, text);
  return p;
}

const TINY = `name: tiny
task: { name: linear-teacher, train: 256, test: 64 }
model: { name: mlp, hidden: [20], activation: linear }
rule: [bp, fa]
optimizer: { name: sgd, lr: 0.02 }
train: { epochs: 2, batch: 8, logEvery: 8 }
seeds: [0, 1]
`;

describe('credo run / top / query on a small sweep', () => {
  const store = join(dir, 'run.duckdb');
  it('runs every trial, prints a leaderboard, and resumes without re-running', () => {
    const first = credo('run', spec('tiny', TINY), '--store', store, '--workers', '2');
    expect(first.err).toContain('sweep tiny: 4 trial(s)');
    expect(first.code, first.err).toBe(0);
    expect(first.out).toMatch(/leaderboard: tiny — test\/mse/);
    expect(first.out).toMatch(/bp\s+2\s/);
    expect(first.out).toMatch(/fa\s+2\s/);
    const second = credo('run', spec('tiny', TINY), '--store', store);
    expect(second.code, second.err).toBe(0);
    expect(second.err).toContain('all 4 trial(s) already complete');
    expect(second.out).toBe(first.out);
    const q = credo('query', "SELECT status, count(*) AS n, max(attempt) AS a FROM trials GROUP BY status", '--store', store, '--format', 'json');
    expect(q.code, q.err).toBe(0);
    expect(JSON.parse(q.out.trim())).toEqual({ status: 'done', n: 4, a: 1 });
    const top = credo('top', 'tiny', '--store', store, '--by', 'rule.name', '--format', 'csv');
    expect(top.code, top.err).toBe(0);
    expect(top.out.split('\n')[0]).toBe('rule.name,n,test/mse mean,sd,ci95,min,max');
  });
  it('refuses writes through credo query and leaves the store unchanged', () => {
    const w = credo('query', 'DELETE FROM trials', '--store', store);
    expect(w.code).toBe(2);
    expect(w.err).toMatch(/^credo: error: .*read-only/m);
    const q = credo('query', 'SELECT count(*) AS n FROM trials', '--store', store, '--format', 'csv');
    expect(q.out).toBe('n\n4\n');
  });
});

describe('bad input exits 2 with one line and writes nothing', () => {
  const cases: Array<[string, string | null, RegExp]> = [
    ['missing file', null, /no such file|not found/i],
    ['yaml syntax', 'name: x\ntask: { name: mnist\n', /:\d+:\d+: invalid YAML/],
    ['unknown rule', TINY.replace('rule: [bp, fa]', 'rule: [bp, fax]'), /rule.*fax.*allowed.*bp/],
    ['unknown parameter', TINY.replace('lr: 0.02', 'lr: 0.02, lrr: 1'), /optimizer\.lrr/],
    ['wrong type', TINY.replace('epochs: 2', 'epochs: two'), /train\.epochs.*"two"/],
    ['empty grid', TINY.replace('rule: [bp, fa]', 'rule: []'), /rule/],
  ];
  for (const [what, text, pattern] of cases) {
    it(what, () => {
      const store = join(dir, `bad-${what.replace(/\s/g, '-')}.duckdb`);
      const file = text === null ? join(dir, 'does-not-exist.yaml') : spec(`bad-${what.replace(/\s/g, '-')}`, text);
      const r = credo('run', file, '--store', store);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      const lines = r.err.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^credo: error: /);
      expect(lines[0]).toMatch(pattern);
      expect(existsSync(store)).toBe(false);
    });
  }
  it('bad option values', () => {
    const r = credo('run', spec('tiny', TINY), '--workers', 'zero', '--store', join(dir, 'w.duckdb'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--workers.*"zero".*integer ≥ 1/);
    expect(existsSync(join(dir, 'w.duckdb'))).toBe(false);
  });
});

describe('credo plan', () => {
  it('counts a 10^6-trial grid lazily and shows the first trials', () => {
    const lrs = Array.from({ length: 100 }, (_, i) => (i + 1) / 1000).join(', ');
    const scales = Array.from({ length: 100 }, (_, i) => i + 1).join(', ');
    const big = spec('big', `name: big\ntask: mnist\nmodel: mlp\nrule: { name: fa, scale: [${scales}] }\noptimizer: { name: sgd, lr: [${lrs}] }\nseeds: 100\n`);
    const r = credo('plan', big, '--limit', '3');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('sweep big: 1000000 trial(s)');
    expect(r.out.trim().split('\n')).toHaveLength(2 + 2 + 3);
  });
});

describe('credo rules', () => {
  it('lists the registered components with their parameters as JSON', () => {
    const r = credo('rules', '--format', 'json');
    expect(r.code, r.err).toBe(0);
    const all = JSON.parse(r.out) as Array<{ kind: string; name: string; params: Record<string, unknown> }>;
    const names = all.map((c) => `${c.kind}:${c.name}`);
    for (const n of ['task:mnist', 'model:mlp', 'rule:bp', 'rule:fa', 'rule:dfa', 'optimizer:sgd']) expect(names).toContain(n);
    expect(all.find((c) => c.name === 'sgd')!.params).toHaveProperty('lr');
  });
});

describe('Ctrl-C during credo run', () => {
  it('cancels running trials, records them as cancelled, and the next run resumes', async () => {
    const { spawn } = await import('node:child_process');
    const store = join(dir, 'sigint.duckdb');
    const slow = spec('slow', TINY.replace('name: tiny', 'name: slow').replace('train: 256', 'train: 200000').replace('epochs: 2', 'epochs: 200'));
    const child = spawn(process.execPath, [BIN, 'run', slow, '--store', store, '--workers', '2', '--no-progress'], { cwd: dir });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    // Wait until the sweep has started its trials, then interrupt.
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (err.includes('sweep slow')) {
          clearInterval(t);
          // Give both threads time to start their trials, even on a loaded machine.
          setTimeout(resolve, 3000);
        }
      }, 50);
    });
    child.kill('SIGINT');
    const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? -1)));
    expect(code, err).toBe(130);
    expect(err).toContain('cancelled');
    const q = credo('query', 'SELECT status, count(*) AS n FROM trials GROUP BY status ORDER BY status', '--store', store, '--format', 'csv');
    expect(q.code, q.err).toBe(0);
    // Every trial that started is recorded as cancelled (how many started depends on the machine's load).
    expect(q.out).toMatch(/^status,n\ncancelled,[12]\n$/);
    // No metric rows are left behind from half-written state that a reader would count as final.
    const done = credo('query', "SELECT count(*) AS n FROM trials WHERE status = 'done'", '--store', store, '--format', 'csv');
    expect(done.out).toBe('n\n0\n');
  });
});
