import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CredoError } from '@credo/core';
import {
  evaluateRun,
  findRef,
  loadSuite,
  parseOverride,
  regressFigures,
  regressHtml,
  regressMarkdown,
  regressPngs,
  regressRows,
  suiteSweeps,
  type Override,
} from '@credo/report';
import { defaultCatalog } from '@credo/runtime';
import type { MetricsStore, RegressRunRecord } from '@credo/store';
import { renderRows, type OutputFormat } from '../format.js';
import { runLocalSweep } from '../local-run.js';
import { openStore } from '../open-store.js';

export interface RegressRunOptions {
  store: string;
  commit?: string;
  ref?: string;
  baseline?: string;
  date?: string;
  set?: string[];
  outDir?: string;
  workers?: number;
}

/**
 * `credo regress run SUITE`: runs the suite's sweeps on this machine under new sweep ids
 * (`nightly-<date>-<suite>-<sweep>`), decides every benchmark against the baseline and the
 * lookback window (report package, decide.ts), records the run in the store, prints a table,
 * writes Markdown and HTML reports with trend plots, and exits 1 on a regression (or a
 * benchmark that could not be judged), 0 otherwise.
 */
export async function regressRunCommand(suitePath: string, opts: RegressRunOptions): Promise<number> {
  const suite = await loadSuite(suitePath);
  const overrides: Override[] = (opts.set ?? []).map(parseOverride);
  const night = opts.date ?? new Date().toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(night) || Number.isNaN(Date.parse(night))) throw new CredoError('USAGE', 'invalid value', { field: '--date', value: night, allowed: 'YYYY-MM-DD' });
  const commit = opts.commit ?? process.env['GITHUB_SHA'] ?? process.env['CI_COMMIT_SHA'] ?? git(['rev-parse', 'HEAD']) ?? 'unknown';
  const ref = opts.ref ?? process.env['GITHUB_REF_NAME'] ?? process.env['CI_COMMIT_REF_NAME'] ?? git(['rev-parse', '--abbrev-ref', 'HEAD']);
  const catalog = defaultCatalog();
  // Validate everything (the suite's sweeps, the overrides) before the store is touched.
  suiteSweeps(suite, catalog, `nightly-${night}-${suite.name}`, overrides);

  const store = await openStore(opts.store, { readOnly: false });
  const ac = new AbortController();
  const onSignal = (): void => {
    process.stderr.write('\ncredo: interrupted — cancelling the nightly run (nothing is recorded)\n');
    ac.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    // A --baseline that names nothing fails now, not after the sweeps have run.
    if (opts.baseline !== undefined) findRef(await store.regressRuns(suite.name), opts.baseline);
    const runId = await freeRunId(store, `nightly-${night}-${suite.name}`, suite.sweeps.map((s) => s.name));
    const sweeps = suiteSweeps(suite, catalog, runId, overrides);
    const startedAt = new Date();
    process.stderr.write(`credo: regress ${suite.name}: run ${runId}, commit ${commit}${overrides.length ? `, overrides ${overrides.map((o) => `${o.key}=${JSON.stringify(o.value)}`).join(' ')}` : ''}\n`);
    for (const sweep of sweeps) {
      const t0 = performance.now();
      const s = await runLocalSweep(sweep, store, { ...(opts.workers ? { workers: opts.workers } : {}), signal: ac.signal });
      if (s.cancelled) return 130;
      const failed = (s.byStatus.failed ?? 0) + (s.byStatus.timeout ?? 0);
      process.stderr.write(`credo:   sweep ${sweep.id}: ${s.finished} trial(s) in ${((performance.now() - t0) / 1000).toFixed(1)} s${failed ? `, ${failed} failed` : ''}${s.byStatus.diverged ? `, ${s.byStatus.diverged} diverged` : ''}\n`);
    }
    const { run, previous } = await evaluateRun(store, suite, sweeps, { runId, night, commit, ref, baseline: opts.baseline, overrides, startedAt });
    const figs = await regressFigures(run, previous, suite);
    const outDir = opts.outDir ?? join('regress-reports', runId);
    await mkdir(outDir, { recursive: true });
    await writeFile(join(outDir, 'report.md'), regressMarkdown(run, figs, suite));
    await writeFile(join(outDir, 'report.html'), regressHtml(run, figs, suite));
    for (const p of regressPngs(figs)) await writeFile(join(outDir, p.file), p.png);

    const { columns, rows } = regressRows(run);
    process.stdout.write(`\nregress ${suite.name} ${runId} (commit ${commit.slice(0, 12)}; baseline ${run.baselineRunId ?? 'none'})\n`);
    process.stdout.write(renderRows(columns, rows, 'table'));
    for (const r of run.results) if (r.verdict === 'regression' || r.verdict === 'error') process.stdout.write(`  ${r.verdict.toUpperCase()} ${r.benchmark}: ${r.reason}\n`);
    process.stdout.write(`\n${run.status === 'ok' ? 'OK' : run.status.toUpperCase()}${run.accepted ? ' (recorded as the baseline)' : ''}; reports in ${outDir}/report.md and report.html\n`);
    return run.status === 'ok' ? 0 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await store.close();
  }
}

/** `nightly-<date>-<suite>`, or with `.2`, `.3`, … when that night already has a run (or its sweeps). */
async function freeRunId(store: MetricsStore, base: string, sweepNames: readonly string[]): Promise<string> {
  for (let i = 1; i < 1000; i++) {
    const id = i === 1 ? base : `${base}.${i}`;
    if (await store.getRegressRun(id)) continue;
    let taken = false;
    for (const s of sweepNames) if (await store.getSweep(`${id}-${s}`)) taken = true;
    if (!taken) return id;
  }
  throw new CredoError('STORE_ERROR', `no free run id for ${base} after 999 runs that night`);
}

function git(args: string[]): string | undefined {
  const r = spawnSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const out = r.status === 0 ? r.stdout.trim() : '';
  return out && out !== 'HEAD' ? out : undefined;
}

/** A suite given as a file (its `suite:` name is read) or as a bare name. */
async function suiteName(suite: string): Promise<string> {
  return existsSync(suite) ? (await loadSuite(suite)).name : suite;
}

/** `credo regress accept SUITE [--run RUN]`: makes a run (default: the newest) the baseline of later runs. */
export async function regressAcceptCommand(suite: string, opts: { store: string; run?: string; note?: string }): Promise<number> {
  const name = await suiteName(suite);
  const store = await openStore(opts.store, { readOnly: false });
  try {
    const runs = await store.regressRuns(name);
    const run = opts.run ? runs.find((r) => r.runId === opts.run) : runs[0];
    if (!run) {
      throw new CredoError('NOT_FOUND', opts.run ? 'no run of this suite has this id' : 'the suite has no runs yet', {
        field: opts.run ? '--run' : 'suite',
        value: opts.run ?? name,
        allowed: runs.slice(0, 10).map((r) => r.runId).join(', ') || 'none yet',
      });
    }
    const now = new Date().toISOString();
    const accepted: RegressRunRecord = { ...run, accepted: true, acceptedAt: now, note: opts.note ?? `accepted ${now}` };
    await store.saveRegressRun(accepted);
    const overrides = Object.keys(run.overrides);
    process.stdout.write(`credo: ${run.runId} (commit ${run.commit.slice(0, 12)}, ${run.status}) is now the baseline of suite ${name}\n`);
    if (overrides.length) process.stderr.write(`credo: warning: that run was made with overrides (${overrides.join(', ')})\n`);
  } finally {
    await store.close();
  }
  return 0;
}

/** `credo regress history SUITE`: past runs and their per-benchmark results, newest first. */
export async function regressHistoryCommand(suite: string, opts: { store: string; benchmark?: string; limit: number; format: OutputFormat }): Promise<number> {
  const name = await suiteName(suite);
  const store = await openStore(opts.store, { readOnly: true });
  try {
    const runs = await store.regressRuns(name, { limit: opts.limit });
    const rows: unknown[][] = [];
    for (const r of runs) {
      for (const x of r.results) {
        if (opts.benchmark && !x.benchmark.includes(opts.benchmark)) continue;
        rows.push([
          r.runId, r.night, r.commit.slice(0, 12), r.accepted ? 'yes' : '', x.benchmark, x.n, x.mean, x.baselineMean,
          opts.format === 'table' ? (Number.isFinite(x.relChange) ? `${(x.relChange * 100).toFixed(1)}%` : '–') : x.relChange,
          x.pValue, x.zScore, x.verdict,
        ]);
      }
    }
    if (rows.length === 0) throw new CredoError('NOT_FOUND', 'no recorded runs', { field: 'suite', value: name });
    process.stdout.write(renderRows(['run', 'night', 'commit', 'baseline', 'benchmark', 'n', 'mean', 'baseline mean', 'change', 'p', 'z', 'verdict'], rows, opts.format));
    if (opts.format === 'table') process.stdout.write(`(${runs.length} run(s); the same data is in the tables regress_runs and regress_results: credo query "SELECT …")\n`);
  } finally {
    await store.close();
  }
  return 0;
}

