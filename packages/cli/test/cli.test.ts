import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = new URL('../bin/credo.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'credo-cli-'));

function credo(...args: string[]): { code: number; out: string; err: string } {
  return credoWith({}, ...args);
}

function credoWith(env: Record<string, string>, ...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } });
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
    // One row per rule with n = 2 seeds; fa's own parameters get columns too (bp has none).
    expect(first.out).toMatch(/\bbp\b.*\s2\s/);
    expect(first.out).toMatch(/\bfa\b.*\bfan-in\b.*\s2\s/);
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
  it('a bad CREDO_KERNELS is a usage error before the store is touched', () => {
    const r = credoWith({ CREDO_KERNELS: 'fast' }, 'run', spec('tiny', TINY), '--store', join(dir, 'k.duckdb'));
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/^credo: error: CREDO_KERNELS: unknown kernel backend \(got "fast"\) — allowed: wasm, fma, js/);
    expect(existsSync(join(dir, 'k.duckdb'))).toBe(false);
  });
});

describe('credo compare', () => {
  const store = join(dir, 'compare.duckdb');
  const csv = (out: string): Array<Record<string, string>> => {
    const [head, ...lines] = out.trim().split('\n');
    const cols = head!.split(',');
    return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i]!, v])));
  };
  it('compares two groups of one sweep and two sweeps, per configuration', () => {
    const grid = TINY.replace('lr: 0.02', 'lr: [0.02, 0.05]');
    expect(credo('run', spec('cmp-a', grid.replace('name: tiny', 'name: cmp-a')), '--store', store, '--no-progress').code).toBe(0);
    // Side B: the same grid with one setting changed (a second learning rate) — what two code versions or two settings look like.
    expect(credo('run', spec('cmp-b', grid.replace('name: tiny', 'name: cmp-b').replace('[0.02, 0.05]', '[0.02, 0.1]')), '--store', store, '--no-progress').code).toBe(0);

    const groups = credo('compare', 'cmp-a', '--a', 'rule.name=bp', '--b', 'rule.name=fa', '--store', store, '--format', 'csv');
    expect(groups.code, groups.err).toBe(0);
    const rows = csv(groups.out);
    // The rule is pinned by --a/--b, so a configuration is the learning rate.
    expect(Object.keys(rows[0]!).slice(0, 3)).toEqual(['optimizer.lr', 'a_n', 'a_diverged']);
    expect(rows.map((r) => [r['optimizer.lr'], r['a_n'], r['b_n']])).toEqual([['0.02', '2', '2'], ['0.05', '2', '2']]);
    for (const r of rows) {
      expect(Number(r['diff'])).toBeCloseTo(Number(r['b_mean']) - Number(r['a_mean']), 12);
      expect(Number(r['p_mann_whitney'])).toBeGreaterThan(0);
      expect(Number(r['p_mann_whitney'])).toBeLessThanOrEqual(1);
      expect(['better', 'worse', 'no significant difference']).toContain(r['verdict']);
    }
    // The same numbers as the leaderboard gives for each side.
    const top = csv(credo('top', 'cmp-a', '--store', store, '--by', 'rule.name,optimizer.lr', '--format', 'csv').out);
    const bp02 = top.find((r) => r['rule.name'] === 'bp' && r['optimizer.lr'] === '0.02')!;
    expect(rows[0]!['a_mean']).toBe(bp02['test/mse mean']);

    const sweeps = credo('compare', 'cmp-a', 'cmp-b', '--store', store, '--format', 'csv');
    expect(sweeps.code, sweeps.err).toBe(0);
    const s = csv(sweeps.out);
    expect(s.map((r) => [r['optimizer.lr'], r['rule.name'], r['verdict']])).toEqual([
      ['0.02', 'bp', 'no significant difference'], ['0.02', 'fa', 'no significant difference'],
      ['0.05', 'bp', 'only in A'], ['0.05', 'fa', 'only in A'],
      ['0.1', 'bp', 'only in B'], ['0.1', 'fa', 'only in B'],
    ]);
    // Same seeds, same config, deterministic training: identical values, zero difference.
    expect(s[0]!['diff']).toBe('0');
    expect(s[0]!['p_mann_whitney']).toBe('1');

    const table = credo('compare', 'cmp-a', 'cmp-b', '--where', 'rule.name=fa', '--by', 'optimizer.lr', '--store', store);
    expect(table.code, table.err).toBe(0);
    expect(table.out).toContain('compare: A = cmp-a [rule.name=fa] vs B = cmp-b [rule.name=fa] — test/mse');
    expect(table.out).toMatch(/^\s+0\.02\s+2\s/m);
    const json = credo('compare', 'cmp-a', '--a', 'rule.name=bp', '--b', 'rule.name=fa', '--by', '', '--store', store, '--format', 'json');
    expect(json.code, json.err).toBe(0);
    expect(JSON.parse(json.out.trim())).toMatchObject({ a_n: 4, b_n: 4, verdict: expect.any(String) });
  });
  const bad: Array<[string, string[], RegExp]> = [
    ['one sweep without --b', ['cmp-a', '--a', 'rule.name=bp'], /^credo: error: --b: comparing within one sweep needs both --a and --b/],
    ['bad selector', ['cmp-a', '--a', 'rule.name', '--b', 'rule.name=fa'], /^credo: error: --a: invalid value \(got "rule\.name"\) — allowed: param=value/],
    ['unknown sweep', ['cmp-a', 'nope'], /^credo: error: sweep: no such sweep in the store \(got "nope"\) — allowed: .*cmp-a/],
    ['unknown metric', ['cmp-a', 'cmp-b', '--metric', 'test/nope'], /^credo: error: metric: .*\(got "test\/nope"\)/],
    ['empty side', ['cmp-a', '--a', 'rule.name=bp', '--b', 'rule.name=zz'], /^credo: error: group: no trial of this group has the metric \(got "cmp-a/],
    ['bad mode', ['cmp-a', 'cmp-b', '--mode', 'median'], /^credo: error: --mode: invalid value \(got "median"\) — allowed: last, best, min, max/],
    ['side pinned twice', ['cmp-a', '--a', 'rule.name=bp', '--b', 'rule.name=fa', '--where', 'rule.name=fa'], /^credo: error: --a: parameter also pinned by --where/],
  ];
  for (const [what, args, pattern] of bad) {
    it(`bad input: ${what} (exit 2, one line, nothing written)`, () => {
      const r = credo('compare', ...args, '--store', store);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(pattern);
    });
  }
  it('bad input: a store that does not exist is not created', () => {
    const missing = join(dir, 'no-such.duckdb');
    const r = credo('compare', 'cmp-a', 'cmp-b', '--store', missing);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(existsSync(missing)).toBe(false);
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
  it('exits quietly when the reader of its output goes away (credo plan … | head)', () => {
    const lrs = Array.from({ length: 100 }, (_, i) => (i + 1) / 1000).join(', ');
    const big = spec('pipe', `name: pipe\ntask: mnist\nmodel: mlp\nrule: fa\noptimizer: { name: sgd, lr: [${lrs}] }\nseeds: 1000\n`);
    // pipefail: the pipeline's status is credo's, not head's. ~5 MB of rows: far more than a pipe holds.
    const r = spawnSync('bash', ['-c', 'set -o pipefail; "$0" "$1" plan "$2" --limit 100000 --format csv | head -n 2', process.execPath, BIN, big], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    expect(r.stdout).toBe('index,key,optimizer.lr,seed\n0,' + r.stdout.split('\n')[1]!.slice(2) + '\n');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
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
