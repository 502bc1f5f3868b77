import { canonicalJson, CredoError, type ParamValue } from '@credo/core';
import { REGRESS_RUN_STATUSES, REGRESS_VERDICTS, type RegressResultRecord, type RegressRunRecord } from './metrics-store.js';

/*
 * Checks and conversions of regression runs, shared by the adapters so that both refuse the same
 * records and store the same text. A run is written whole (run row plus all its result rows);
 * numbers that are "not available" are NaN, not NULL, so that the columns stay plain DOUBLE /
 * Float64 on both backends.
 */

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
const NIGHT = /^\d{4}-\d{2}-\d{2}$/;

/** Validates a run before it is written; returns its overrides as canonical JSON. */
export function checkRegressRun(r: RegressRunRecord): string {
  const str = (field: string, v: unknown, empty = false): void => {
    if (typeof v !== 'string' || (!empty && v === '')) throw bad(`regressRun.${field}`, v, empty ? 'a string' : 'a non-empty string');
  };
  str('runId', r.runId);
  str('suite', r.suite);
  str('suiteHash', r.suiteHash);
  str('commit', r.commit);
  if (typeof r.night !== 'string' || !NIGHT.test(r.night)) throw bad('regressRun.night', r.night, 'YYYY-MM-DD');
  if (r.ref !== undefined) str('ref', r.ref, true);
  if (r.note !== undefined) str('note', r.note, true);
  if (r.baselineRunId !== undefined) str('baselineRunId', r.baselineRunId);
  if (!Array.isArray(r.sweepIds) || r.sweepIds.some((s) => typeof s !== 'string')) throw bad('regressRun.sweepIds', r.sweepIds, 'a list of sweep ids');
  if (!REGRESS_RUN_STATUSES.includes(r.status)) throw bad('regressRun.status', r.status, REGRESS_RUN_STATUSES.join(', '));
  if (typeof r.accepted !== 'boolean') throw bad('regressRun.accepted', r.accepted, 'true or false');
  for (const f of ['startedAt', 'finishedAt'] as const) if (!ISO.test(String(r[f]))) throw bad(`regressRun.${f}`, r[f], 'an ISO 8601 UTC time');
  if (r.acceptedAt !== undefined && !ISO.test(r.acceptedAt)) throw bad('regressRun.acceptedAt', r.acceptedAt, 'an ISO 8601 UTC time');
  const seen = new Set<string>();
  r.results.forEach((x, i) => {
    checkResult(x, i);
    if (seen.has(x.benchmark)) throw bad(`regressRun.results[${i}].benchmark`, x.benchmark, 'unique within the run');
    seen.add(x.benchmark);
  });
  let overrides: string;
  try {
    overrides = canonicalJson(r.overrides as Record<string, ParamValue>);
  } catch (e) {
    throw new CredoError('STORE_ERROR', `cannot store as JSON: ${(e as Error).message}`, { field: 'regressRun.overrides', cause: e });
  }
  return overrides;
}

function checkResult(x: RegressResultRecord, i: number): void {
  const f = (name: string) => `regressRun.results[${i}].${name}`;
  for (const k of ['benchmark', 'rule', 'task', 'metric'] as const) if (typeof x[k] !== 'string' || x[k] === '') throw bad(f(k), x[k], 'a non-empty string');
  if (x.better !== 'lower' && x.better !== 'higher') throw bad(f('better'), x.better, 'lower, higher');
  if (!REGRESS_VERDICTS.includes(x.verdict)) throw bad(f('verdict'), x.verdict, REGRESS_VERDICTS.join(', '));
  if (typeof x.reason !== 'string') throw bad(f('reason'), x.reason, 'a string');
  if (typeof x.relative !== 'boolean') throw bad(f('relative'), x.relative, 'true or false');
  if (!Array.isArray(x.seeds) || !Array.isArray(x.values) || x.seeds.length !== x.values.length) throw bad(f('values'), x.values, 'one value per seed');
  if (x.seeds.some((s) => !Number.isSafeInteger(s))) throw bad(f('seeds'), x.seeds, 'integers');
  if (x.values.some((v) => typeof v !== 'number')) throw bad(f('values'), x.values, 'numbers (NaN allowed)');
  for (const k of ['n', 'diverged', 'historyN'] as const) if (!Number.isSafeInteger(x[k]) || x[k] < 0) throw bad(f(k), x[k], 'an integer ≥ 0');
  for (const k of ['minChange', 'mean', 'sd', 'baselineMean', 'change', 'relChange', 'pValue', 'zScore'] as const) {
    if (typeof x[k] !== 'number') throw bad(f(k), x[k], 'a number (NaN allowed)');
  }
}

/** The columns of `regress_results` in the order both adapters write and read them. */
export const RESULT_COLUMNS = [
  'run_id', 'benchmark', 'rule', 'task', 'metric', 'better', 'min_change', 'relative', 'seeds', 'vals', 'n', 'diverged',
  'mean', 'sd', 'baseline_mean', 'change', 'rel_change', 'p_value', 'z_score', 'history_n', 'verdict', 'reason',
] as const;

/** A result's fields in {@link RESULT_COLUMNS} order, after `run_id`. */
export function resultFields(x: RegressResultRecord): Array<string | number | boolean | readonly number[]> {
  return [
    x.benchmark, x.rule, x.task, x.metric, x.better, x.minChange, x.relative, x.seeds, x.values, x.n, x.diverged,
    x.mean, x.sd, x.baselineMean, x.change, x.relChange, x.pValue, x.zScore, x.historyN, x.verdict, x.reason,
  ];
}

/** A row read back in {@link RESULT_COLUMNS} order (without `run_id`) as a result. */
export function resultFromRow(r: readonly unknown[]): RegressResultRecord {
  const num = (v: unknown): number => (v === null || v === undefined ? NaN : Number(v));
  return {
    benchmark: String(r[0]),
    rule: String(r[1]),
    task: String(r[2]),
    metric: String(r[3]),
    better: String(r[4]) as RegressResultRecord['better'],
    minChange: num(r[5]),
    relative: r[6] === true || r[6] === 1 || r[6] === '1' || r[6] === 'true',
    seeds: (r[7] as unknown[]).map(Number),
    values: (r[8] as unknown[]).map(num),
    n: Number(r[9]),
    diverged: Number(r[10]),
    mean: num(r[11]),
    sd: num(r[12]),
    baselineMean: num(r[13]),
    change: num(r[14]),
    relChange: num(r[15]),
    pValue: num(r[16]),
    zScore: num(r[17]),
    historyN: Number(r[18]),
    verdict: String(r[19]) as RegressResultRecord['verdict'],
    reason: String(r[20]),
  };
}

/**
 * A regress_runs row read back, in the column order both adapters select: run_id, suite,
 * suite_hash, night, commit_sha, ref, sweep_ids, overrides_json, baseline_run_id, status,
 * accepted, note, started ms, finished ms, accepted ms.
 */
export function regressRunFromRow(r: unknown[], results: RegressResultRecord[]): RegressRunRecord {
  return {
    runId: String(r[0]),
    suite: String(r[1]),
    suiteHash: String(r[2]),
    night: String(r[3]),
    commit: String(r[4]),
    ...(r[5] === null ? {} : { ref: String(r[5]) }),
    sweepIds: (r[6] as unknown[]).map(String),
    overrides: JSON.parse(String(r[7])) as Record<string, unknown>,
    ...(r[8] === null ? {} : { baselineRunId: String(r[8]) }),
    status: String(r[9]) as RegressRunRecord['status'],
    accepted: r[10] === true || Number(r[10]) === 1,
    ...(r[11] === null ? {} : { note: String(r[11]) }),
    startedAt: new Date(Number(r[12])).toISOString(),
    finishedAt: new Date(Number(r[13])).toISOString(),
    ...(r[14] === null ? {} : { acceptedAt: new Date(Number(r[14])).toISOString() }),
    results,
  };
}

function bad(field: string, value: unknown, allowed: string): CredoError {
  return new CredoError('STORE_ERROR', 'invalid value', { field, value, allowed });
}
