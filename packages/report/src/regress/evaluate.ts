import { canonicalJson, CredoError, type ParamValue } from '@credo/core';
import type { Sweep } from '@credo/spec';
import type { MetricsStore, RegressResultRecord, RegressRunRecord, RegressRunStatus } from '@credo/store';
import { decide, type BenchmarkSample } from './decide.js';
import type { BenchmarkSpec, Override, RegressSuite } from './suite.js';

/*
 * After the suite's sweeps have run: collect each benchmark's per-seed values, find the
 * baseline and the lookback window in the store's regression history, decide, and save the run
 * with its results next to the sweeps (so that history is a query).
 */

export interface EvaluateOptions {
  readonly runId: string;
  readonly night: string;
  readonly commit: string;
  readonly ref?: string | undefined;
  /** A run id, or a commit SHA (prefix, ≥ 4 characters): the newest run at that commit. Default: the newest accepted run. */
  readonly baseline?: string | undefined;
  readonly overrides?: readonly Override[];
  readonly startedAt: Date;
  readonly finishedAt?: Date;
}

export interface Evaluation {
  readonly run: RegressRunRecord;
  /** Earlier runs of the suite, newest first (what the trend plots draw, with this run). */
  readonly previous: readonly RegressRunRecord[];
  /** The baseline run used for most benchmarks, if any. */
  readonly baseline: RegressRunRecord | undefined;
}

/**
 * Decides every benchmark of a finished run and saves the run.
 *
 * @example
 * ```ts
 * const { run } = await evaluateRun(store, suite, sweeps, { runId, night: '2025-01-31', commit: sha, startedAt });
 * process.exitCode = run.status === 'ok' ? 0 : 1;
 * ```
 */
export async function evaluateRun(store: MetricsStore, suite: RegressSuite, sweeps: readonly Sweep[], opts: EvaluateOptions): Promise<Evaluation> {
  const overrides = opts.overrides ?? [];
  const previous = (await store.regressRuns(suite.name)).filter((r) => r.runId !== opts.runId);
  const comparable = previous.filter((r) => r.suiteHash === suite.sweepsHash);
  const pinned = opts.baseline === undefined ? undefined : findRef(previous, opts.baseline);
  const accepted = comparable.filter((r) => r.accepted);
  const history = comparable
    .filter((r) => Object.keys(r.overrides).length === 0 && (r.status === 'ok' || r.accepted))
    .slice(0, suite.lookback)
    .reverse();

  const results: RegressResultRecord[] = [];
  let mainBaseline: RegressRunRecord | undefined = pinned ?? accepted[0];
  for (const bench of suite.benchmarks) {
    const sample = await collect(store, sweeps, bench);
    const baseRun = pinned ?? accepted.find((r) => r.results.some((x) => x.benchmark === bench.id && x.verdict !== 'error'));
    const baseResult = baseRun?.results.find((x) => x.benchmark === bench.id);
    const baseline: BenchmarkSample | undefined = baseResult ? { seeds: baseResult.seeds, values: baseResult.values } : undefined;
    const past = history.map((r) => r.results.find((x) => x.benchmark === bench.id)).filter((x) => x !== undefined && x.verdict !== 'error').map((x) => x!.mean);
    const d = sample.error
      ? { n: 0, diverged: 0, mean: NaN, sd: NaN, baselineMean: NaN, change: NaN, relChange: NaN, pValue: NaN, zScore: NaN, historyN: past.length, verdict: 'error' as const, reason: sample.error }
      : decide(bench, sample, baseline, past, suite);
    results.push({
      benchmark: bench.id,
      rule: bench.rule,
      task: bench.task,
      metric: bench.metric,
      better: bench.better,
      minChange: bench.minChange,
      relative: bench.relative,
      seeds: [...sample.seeds],
      values: [...sample.values],
      ...d,
      reason: baseRun && baseRun !== mainBaseline && d.verdict !== 'new' ? `${d.reason} (baseline ${baseRun.runId})` : d.reason,
    });
  }
  const status: RegressRunStatus = results.some((r) => r.verdict === 'regression') ? 'regression' : results.some((r) => r.verdict === 'error') ? 'error' : 'ok';
  // A run establishes the baseline by itself only where there was none, and only a clean, unmodified one.
  const autoAccept = status === 'ok' && overrides.length === 0 && pinned === undefined && results.some((r) => r.verdict === 'new');
  const now = (opts.finishedAt ?? new Date()).toISOString();
  const run: RegressRunRecord = {
    runId: opts.runId,
    suite: suite.name,
    suiteHash: suite.sweepsHash,
    night: opts.night,
    commit: opts.commit,
    ...(opts.ref ? { ref: opts.ref } : {}),
    sweepIds: sweeps.map((s) => s.id),
    overrides: Object.fromEntries(overrides.map((o) => [o.key, o.value])),
    ...(mainBaseline ? { baselineRunId: mainBaseline.runId } : {}),
    status,
    accepted: autoAccept,
    ...(autoAccept ? { acceptedAt: now, note: 'first run: automatic baseline' } : {}),
    startedAt: opts.startedAt.toISOString(),
    finishedAt: now,
    results,
  };
  await store.saveRegressRun(run);
  if (mainBaseline && !results.some((r) => r.verdict !== 'new')) mainBaseline = undefined;
  return { run, previous, baseline: mainBaseline };
}

/**
 * The run a `--baseline` names: a run id, or the newest run at a commit (prefix of ≥ 4
 * characters). Throws NOT_FOUND listing the recent runs.
 *
 * @example
 * ```ts
 * findRef(await store.regressRuns('nightly'), '3f2a9c1') // the newest run of commit 3f2a9c1…
 * ```
 */
export function findRef(runs: readonly RegressRunRecord[], ref: string): RegressRunRecord {
  const byId = runs.find((r) => r.runId === ref);
  if (byId) return byId;
  if (ref.length >= 4) {
    const byCommit = runs.find((r) => r.commit.startsWith(ref));
    if (byCommit) return byCommit;
  }
  throw new CredoError('NOT_FOUND', 'no run of the suite has this id or commit', {
    field: '--baseline',
    value: ref,
    allowed: runs.slice(0, 10).map((r) => `${r.runId} (${r.commit.slice(0, 10)})`).join(', ') || 'none yet',
  });
}

/** A benchmark's values tonight: one per trial (seed) of the matching configuration. */
async function collect(store: MetricsStore, sweeps: readonly Sweep[], bench: BenchmarkSpec): Promise<BenchmarkSample & { error?: string }> {
  const matches = (params: Readonly<Record<string, ParamValue>>): boolean =>
    params['rule.name'] === bench.rule &&
    params['task.name'] === bench.task &&
    Object.entries(bench.where).every(([k, v]) => canonicalJson(params[k] ?? null) === canonicalJson(v));
  let expected = 0;
  const configs = new Set<string>();
  const rows: Array<{ seed: number; value: number }> = [];
  for (const sweep of sweeps) {
    let inSweep = 0;
    for (const t of sweep.trials()) {
      if (!matches(t.params)) continue;
      inSweep++;
      configs.add(t.configKey);
    }
    if (inSweep === 0) continue;
    expected += inSweep;
    const finals = await store.finalValues(sweep.id, bench.metric, 'last', { statuses: ['done', 'diverged'] });
    for (const f of finals) {
      if (!matches(f.params)) continue;
      rows.push({ seed: f.seed, value: f.status === 'diverged' || !Number.isFinite(f.value) ? NaN : f.value });
    }
  }
  const empty = { seeds: [], values: [] };
  if (expected === 0) return { ...empty, error: `no trial of the suite's sweeps has rule ${bench.rule} and task ${bench.task}${Object.keys(bench.where).length ? ` and ${canonicalJson(bench.where)}` : ''}` };
  if (configs.size > 1) return { ...empty, error: `rule ${bench.rule} on task ${bench.task} matches ${configs.size} configurations; narrow the benchmark with where:` };
  rows.sort((a, b) => a.seed - b.seed);
  const sample = { seeds: rows.map((r) => r.seed), values: rows.map((r) => r.value) };
  if (rows.length < expected) return { ...sample, error: `${expected - rows.length} of ${expected} trials failed, timed out or never reported ${bench.metric}` };
  return sample;
}
