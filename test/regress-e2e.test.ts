import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDbStore } from '@credo/store';
import { checkPage, countColor, decodePng, findChromium } from '../packages/report/test/chromium.js';

/*
 * The nightly regression end to end, through the real `credo` command on a DuckDB store: the
 * suite run once (it becomes the baseline), again on the same commit (no regression, exit 0),
 * and with FA's feedback scaled to ~0 for one run (flagged, exit 1). Then the reports (the
 * nightly one and `credo report` of a sweep) open in headless Chromium without errors and
 * their screenshots show the plots; `credo curves --plot` writes a PNG with its lines.
 */

const ROOT = new URL('..', import.meta.url).pathname;
const CLI = join(ROOT, 'packages/cli/bin/credo.js');
const SUITE = join(ROOT, 'regress/nightly.yaml');
const chromium = findChromium();
let dir: string;
let store: string;

function credo(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir, env: { ...process.env, GITHUB_SHA: '', GITHUB_REF_NAME: '' } });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'credo-regress-e2e-'));
  store = join(dir, 'nightly.duckdb');
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('credo regress end to end', () => {
  const runs: Record<string, { code: number; out: string; err: string }> = {};

  it('night 1 records the baseline; night 2 on the same commit reports no regression', { timeout: 240_000 }, () => {
    runs['first'] = credo('regress', 'run', SUITE, '--store', store, '--commit', 'c0ffee0001', '--date', '2025-01-30', '--out-dir', join(dir, 'r1'), '--workers', '2');
    expect(runs['first'].code, runs['first'].err + runs['first'].out).toBe(0);
    expect(runs['first'].out).toMatch(/recorded as the baseline/);
    expect(runs['first'].out).not.toMatch(/REGRESSION/);

    runs['second'] = credo('regress', 'run', SUITE, '--store', store, '--commit', 'c0ffee0001', '--date', '2025-01-31', '--out-dir', join(dir, 'r2'), '--workers', '2');
    const second = runs['second'];
    expect(second.code, second.err + second.out).toBe(0);
    expect(second.out).toMatch(/baseline nightly-2025-01-30-nightly\)/);
    expect(second.out).not.toMatch(/REGRESSION|error/);
    // Fixed seeds, same code: the same numbers, every benchmark ok.
    const verdicts = second.out.split('\n').filter((l) => /^\S+\/\S+/.test(l)).map((l) => l.trim().split(/\s+/).pop());
    expect(verdicts.length).toBeGreaterThanOrEqual(6);
    expect(new Set(verdicts)).toEqual(new Set(['ok']));
    expect(existsSync(join(dir, 'r2', 'report.md'))).toBe(true);
    expect(readFileSync(join(dir, 'r2', 'report.md'), 'utf8')).toMatch(/OK: no regression/);
  });

  it('a deliberately broken rule (FA feedback scaled to 1e-6 via --set) is flagged and exits 1', { timeout: 240_000 }, () => {
    const broken = credo('regress', 'run', SUITE, '--store', store, '--commit', 'badbadbad1', '--date', '2025-01-31', '--set', 'fa:rule.scale=0.000001', '--out-dir', join(dir, 'r3'), '--workers', '2');
    runs['broken'] = broken;
    expect(broken.code, broken.err + broken.out).toBe(1);
    const line = (bench: string) => broken.out.split('\n').find((l) => l.startsWith(bench + ' '))!;
    expect(line('fa/linear-teacher/test/mse')).toMatch(/REGRESSION$/);
    expect(line('fa/nonlinear-teacher/test/mse')).toMatch(/REGRESSION$/);
    // The untouched rules stay ok: the alarm is about FA, not noise.
    expect(line('bp/linear-teacher/test/mse')).toMatch(/ ok$/);
    expect(line('dfa/nonlinear-teacher/test/mse')).toMatch(/ ok$/);
    // A second run the same night gets its own id; the override is recorded with it.
    expect(broken.out).toMatch(/nightly-2025-01-31-nightly\.2/);
    const md = readFileSync(join(dir, 'r3', 'report.md'), 'utf8');
    expect(md).toMatch(/REGRESSION: \d of \d+ benchmarks got worse/);
    expect(md).toMatch(/fa:rule.scale=0.000001/);
    expect(existsSync(join(dir, 'r3', 'trend-fa-linear-teacher-test-mse.png'))).toBe(true);
  });

  it('history is a query; accept moves the baseline; usage errors exit 2', { timeout: 120_000 }, async () => {
    const q = credo('query', "SELECT run_id, status, accepted FROM regress_runs ORDER BY started_at", '--store', store, '--format', 'csv');
    expect(q.code, q.err).toBe(0);
    expect(q.out.trim().split('\n').slice(1)).toEqual(['nightly-2025-01-30-nightly,ok,true', 'nightly-2025-01-31-nightly,ok,false', 'nightly-2025-01-31-nightly.2,regression,false']);
    const h = credo('regress', 'history', SUITE, '--store', store, '--benchmark', 'fa/linear-teacher/test/mse');
    expect(h.code, h.err).toBe(0);
    expect(h.out).toMatch(/regression/);
    const acc = credo('regress', 'accept', 'nightly', '--store', store, '--run', 'nightly-2025-01-31-nightly', '--note', 'new baseline');
    expect(acc.code, acc.err).toBe(0);
    const s = await openDuckDbStore(store, { readOnly: true });
    try {
      const all = await s.regressRuns('nightly');
      expect(all.filter((r) => r.accepted).map((r) => r.runId).sort()).toEqual(['nightly-2025-01-30-nightly', 'nightly-2025-01-31-nightly']);
      expect(all.find((r) => r.runId === 'nightly-2025-01-31-nightly.2')?.overrides).toEqual({ 'fa:rule.scale': 0.000001 });
    } finally {
      await s.close();
    }
    expect(credo('regress', 'run', SUITE, '--store', store, '--set', 'fa:rule.nosuch=1').code).toBe(2);
    expect(credo('regress', 'run', join(dir, 'missing.yaml'), '--store', store).code).toBe(2);
    expect(credo('regress', 'run', SUITE, '--store', store, '--baseline', 'nosuchrun').code).toBe(2);
  });

  it('curves, export and report work on the nightly sweeps', { timeout: 120_000 }, () => {
    const sweep = 'nightly-2025-01-31-nightly-linear';
    const png = join(dir, 'curves.png');
    const c = credo('curves', sweep, '--store', store, '--plot', png);
    expect(c.code, c.err).toBe(0);
    expect(c.out).toMatch(/bp\s+\d+\s+6\s/);
    const img = decodePng(readFileSync(png));
    expect(img.width).toBeGreaterThan(1000);
    // The two rules' lines, in the first two palette colours.
    expect(countColor(img, '#4c78a8')).toBeGreaterThan(300);
    expect(countColor(img, '#f58518')).toBeGreaterThan(300);
    const csv = credo('export', sweep, '--store', store, '--format', 'csv', '--metric', 'test/mse');
    expect(csv.code, csv.err).toBe(0);
    expect(csv.out.split('\n')[0]).toBe('sweep_id,trial_key,trial_index,seed,status,rule.distribution,rule.name,rule.scale,rule.scaleBy,metric,step,value,time');
    const pq = credo('export', sweep, '--store', store, '--format', 'parquet', '--out', join(dir, 'x.parquet'));
    expect(pq.code, pq.err).toBe(0);
    expect(readFileSync(join(dir, 'x.parquet')).subarray(0, 4).toString()).toBe('PAR1');
    const r = credo('report', sweep, '--store', store, '--out', join(dir, 'sweep-report.html'));
    expect(r.code, r.err).toBe(0);
    expect(credo('curves', sweep, '--store', store, '--plot', 'x.gif').code).toBe(2);
    expect(credo('report', 'no-such-sweep', '--store', store).code).toBe(2);
  });

  it.skipIf(!chromium)('the HTML reports open in headless Chromium without errors, and the screenshots show the plots', { timeout: 120_000 }, async () => {
    for (const [file, colors] of [
      [join(dir, 'sweep-report.html'), ['#4c78a8', '#f58518']],
      [join(dir, 'r3', 'report.html'), ['#e45756', '#4c78a8']],
    ] as const) {
      expect(existsSync(file), file).toBe(true);
      const page = await checkPage(chromium!, file);
      expect(page.errors, file).toEqual([]);
      expect(page.imagesTotal, file).toBeGreaterThanOrEqual(3);
      expect(page.imagesLoaded, file).toBe(page.imagesTotal);
      const shot = decodePng(page.screenshot);
      for (const c of colors) expect(countColor(shot, c), `${file}: pixels of ${c}`).toBeGreaterThan(150);
    }
  });
  if (!chromium) console.warn('skipping the headless-Chromium check: chromium is not installed (apt-get install chromium; scripts/ensure-system.mjs installs it)');
});
