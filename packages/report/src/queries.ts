import { canonicalJson, CredoError, type ParamValue, type TrialStatus } from '@credo/core';
import {
  leaderboard as rankGroups,
  summarize,
  tCritical95,
  type Better,
  type FinalValue,
  type LeaderboardRow,
  type MetricsStore,
  type QueryResult,
  type StoredSweep,
  type Summary,
} from '@credo/store';
import { hodgesLehmann, mannWhitneyU, welch, type MannWhitneyResult, type WelchResult } from './two-sample.js';

/*
 * The typed query API: what scripts, the CLI and the reports ask of a store. Each function
 * reads plain rows through the MetricsStore port (finalValues, curveCells) and computes every
 * statistic here, in JS, from values the adapters return in a fixed order, so that DuckDB and
 * ClickHouse give the same numbers to the last bit (test/query-conformance.test.ts).
 */

/** How one value per trial is taken: its last, minimum or maximum, or its best (min or max by `better`). */
export type ValueMode = 'last' | 'best' | 'min' | 'max';

export interface LeaderboardQuery {
  readonly metric: string;
  /** Default `last`. */
  readonly mode?: ValueMode;
  /** Which way is better: orders the rows and resolves `best`. Default `lower`. */
  readonly better?: Better;
  /** Parameters to group by; default those that vary (seed pooled). */
  readonly by?: readonly string[];
}

/**
 * Per configuration: mean, sd, 95% CI, min, max and n over seeds of one value per trial, best
 * first. Diverged trials are counted per row, not averaged.
 *
 * @example
 * ```ts
 * const rows = await leaderboardQuery(store, 'quickstart', { metric: 'test/error', mode: 'best', better: 'lower' });
 * rows[0]; // { group: { 'rule.name': 'bp', 'optimizer.lr': 0.1 }, n: 2, mean: 0.051, sd: 0.002, ci95: 0.018, … }
 * ```
 */
export async function leaderboardQuery(store: MetricsStore, sweepId: string, q: LeaderboardQuery): Promise<LeaderboardRow[]> {
  const better = q.better ?? 'lower';
  const finals = await store.finalValues(sweepId, q.metric, storeMode(q.mode ?? 'last', better), { statuses: ['done', 'diverged'] });
  return rankGroups(finals, { order: better === 'lower' ? 'asc' : 'desc', ...(q.by ? { by: q.by } : {}) });
}

/**
 * The store's value mode for a {@link ValueMode}: `best` is the minimum or maximum by `better`.
 *
 * @example
 * ```ts
 * storeMode('best', 'higher') // 'max'
 * ```
 */
export function storeMode(mode: ValueMode, better: Better): 'last' | 'min' | 'max' {
  if (mode === 'best') return better === 'lower' ? 'min' : 'max';
  if (mode === 'last' || mode === 'min' || mode === 'max') return mode;
  throw new CredoError('BAD_PARAM', 'invalid value', { field: 'mode', value: mode, allowed: 'last, best, min, max' });
}

export interface CurvesQuery {
  readonly metric: string;
  /** Parameters whose values make a curve; default none (one curve over all trials). */
  readonly by?: readonly string[];
  /** Trial statuses to include; default `['done']`. */
  readonly statuses?: readonly TrialStatus[];
}

/** One point of a learning curve: the statistics over the trials of a group at one step. */
export interface CurvePoint extends Summary {
  readonly step: number;
  /** mean ∓ ci95 (NaN when n < 2). */
  readonly lo: number;
  readonly hi: number;
  /** Trials whose value at this step was NaN or ±Infinity (left out of the statistics). */
  readonly nonFinite: number;
}

/** A learning curve of one group. */
export interface CurveSeries {
  readonly group: Record<string, ParamValue>;
  /** `bp`, or `bp · optimizer.lr=0.1` when several parameters group. */
  readonly label: string;
  /** Points by increasing step. */
  readonly points: CurvePoint[];
}

/**
 * Mean and 95% CI of a metric per step, one series per group of trials. The store returns the
 * values per (group, step); the statistics are computed here.
 *
 * @example
 * ```ts
 * const series = await curves(store, 'quickstart', { metric: 'test/error', by: ['rule.name'] });
 * series[0].points.at(-1); // { step: 1565, n: 4, mean: 0.06, ci95: 0.004, lo: 0.056, hi: 0.064, … }
 * ```
 */
export async function curves(store: MetricsStore, sweepId: string, q: CurvesQuery): Promise<CurveSeries[]> {
  const by = q.by ?? [];
  const cells = await store.curveCells(sweepId, q.metric, { by, ...(q.statuses ? { statuses: q.statuses } : {}) });
  const groups = new Map<string, { group: Record<string, ParamValue>; points: CurvePoint[] }>();
  const tCache = new Map<number, number>();
  for (const c of cells) {
    const id = groupId(by, c.group);
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { group: c.group, points: [] }));
    const s = summarizeSorted(c.values, tCache);
    g.points.push({ step: c.step, ...s, lo: s.mean - s.ci95, hi: s.mean + s.ci95, nonFinite: c.nonFinite });
  }
  const out = [...groups.values()].map((g) => ({ group: g.group, label: groupLabel(by, g.group), points: g.points.sort((a, b) => a.step - b.step) }));
  return out.sort((a, b) => compareGroups(by, a.group, b.group));
}

/** {@link summarize}, with the t quantile cached by n (a curve has thousands of cells of equal n). */
function summarizeSorted(values: readonly number[], tCache: Map<number, number>): Summary {
  const n = values.length;
  if (n < 2) return summarize(values);
  let t = tCache.get(n);
  if (t === undefined) tCache.set(n, (t = tCritical95(n - 1)));
  const base = summarize1(values);
  return { ...base, ci95: (t * base.sd) / Math.sqrt(n) };
}

/** summarize() without the CI (computed by the caller with a cached quantile). */
function summarize1(xs: readonly number[]): Summary {
  let sum = 0;
  for (const x of xs) sum += x;
  const m = sum / xs.length;
  let ss = 0;
  for (const x of xs) ss += (x - m) * (x - m);
  // Sorted ascending (the port's promise): min and max are the ends.
  return { n: xs.length, mean: m, sd: Math.sqrt(ss / (xs.length - 1)), ci95: NaN, min: xs[0]!, max: xs[xs.length - 1]! };
}

/**
 * A group's legend label: the rule (or a single parameter) by its value alone, the rest as
 * short name=value.
 *
 * @example
 * ```ts
 * groupLabel(['rule.name', 'optimizer.lr'], { 'rule.name': 'bp', 'optimizer.lr': 0.1 }) // 'bp · lr=0.1'
 * ```
 */
export function groupLabel(by: readonly string[], group: Readonly<Record<string, ParamValue>>): string {
  if (by.length === 0) return 'all trials';
  return by
    .map((k, i) => {
      const v = group[k];
      const text = v === undefined ? '–' : typeof v === 'string' ? v : JSON.stringify(v);
      return i === 0 && by.length > 0 && (k === 'rule.name' || by.length === 1) ? text : `${shortName(k)}=${text}`;
    })
    .join(' · ');
}

/**
 * The short form legends use.
 *
 * @example
 * ```ts
 * shortName('optimizer.lr') // 'lr'
 * shortName('rule.name')    // 'rule'
 * ```
 */
export function shortName(param: string): string {
  const [kind, ...rest] = param.split('.');
  if (rest.length === 0) return param;
  return rest.join('.') === 'name' ? kind! : rest.join('.');
}

function groupId(by: readonly string[], g: Readonly<Record<string, ParamValue>>): string {
  return canonicalJson(by.map((k) => (k in g ? g[k] : null)));
}

/**
 * Orders groups by their values: numbers numerically, strings alphabetically, absent last.
 *
 * @example
 * ```ts
 * series.sort((a, b) => compareGroups(['optimizer.lr'], a.group, b.group)); // lr 0.05 before 0.1 before 1
 * ```
 */
export function compareGroups(by: readonly string[], a: Readonly<Record<string, ParamValue>>, b: Readonly<Record<string, ParamValue>>): number {
  for (const k of by) {
    const c = compareValues(a[k], b[k]);
    if (c !== 0) return c;
  }
  return 0;
}

function compareValues(a: ParamValue | undefined, b: ParamValue | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = typeof a === 'string' ? a : JSON.stringify(a);
  const sb = typeof b === 'string' ? b : JSON.stringify(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** One side of a comparison: the trials of a sweep, optionally narrowed to parameter values. */
export interface GroupRef {
  readonly sweep: string;
  /** e.g. `{ 'rule.name': 'fa' }`; every named parameter must match. */
  readonly where?: Readonly<Record<string, ParamValue>>;
}

export interface CompareQuery {
  readonly metric: string;
  readonly mode?: ValueMode;
  readonly better?: Better;
}

/** The result of {@link compare}: B relative to A. */
export interface Comparison {
  readonly a: Summary & { readonly diverged: number; readonly values: number[] };
  readonly b: Summary & { readonly diverged: number; readonly values: number[] };
  /** mean(B) − mean(A), with Welch's 95% CI and two-sided p. */
  readonly difference: WelchResult;
  /** difference / |mean(A)|. */
  readonly relative: number;
  /** Median of pairwise differences B − A. */
  readonly hodgesLehmann: number;
  /** Two-sided Mann–Whitney test of B against A. */
  readonly mannWhitney: MannWhitneyResult;
  /** `better`, `worse` or `no significant difference` (either test at 5%), judged by `better`. */
  readonly verdict: 'better' | 'worse' | 'no significant difference';
}

/**
 * Compares two groups of trials — two sweeps, or two configurations of one sweep — on the
 * per-trial value of a metric: difference of means with Welch's 95% CI, Hodges–Lehmann shift
 * and Mann–Whitney U. Diverged trials are counted, not compared.
 *
 * @example
 * ```ts
 * const c = await compare(store, { sweep: 'quickstart', where: { 'rule.name': 'bp' } }, { sweep: 'quickstart', where: { 'rule.name': 'fa' } }, { metric: 'test/error' });
 * c.difference.ci95; // [0.004, 0.011]: FA's error is higher
 * ```
 */
export async function compare(store: MetricsStore, a: GroupRef, b: GroupRef, q: CompareQuery): Promise<Comparison> {
  const better = q.better ?? 'lower';
  const mode = storeMode(q.mode ?? 'last', better);
  const pick = async (ref: GroupRef): Promise<{ values: number[]; diverged: number }> => {
    const rows = (await store.finalValues(ref.sweep, q.metric, mode, { statuses: ['done', 'diverged'] })).filter((r) => matches(r, ref.where));
    if (rows.length === 0) {
      throw new CredoError('NOT_FOUND', 'no trial of this group has the metric', { field: 'group', value: `${ref.sweep}${ref.where ? ' ' + canonicalJson(ref.where) : ''}` });
    }
    const values = rows.filter((r) => r.status !== 'diverged' && Number.isFinite(r.value)).map((r) => r.value);
    return { values: values.sort((x, y) => x - y), diverged: rows.length - values.length };
  };
  const A = await pick(a);
  const B = await pick(b);
  const difference = welch(B.values, A.values);
  const mw = mannWhitneyU(B.values, A.values, 'two-sided');
  const significant = (Number.isFinite(difference.p) && difference.p < 0.05) || mw.p < 0.05;
  const worse = better === 'lower' ? difference.diff > 0 : difference.diff < 0;
  return {
    a: { ...summarize(A.values), diverged: A.diverged, values: A.values },
    b: { ...summarize(B.values), diverged: B.diverged, values: B.values },
    difference,
    relative: difference.diff / Math.abs(summarize(A.values).mean),
    hodgesLehmann: hodgesLehmann(B.values, A.values),
    mannWhitney: mw,
    verdict: !significant || difference.diff === 0 ? 'no significant difference' : worse ? 'worse' : 'better',
  };
}

function matches(r: FinalValue, where: GroupRef['where']): boolean {
  if (!where) return true;
  for (const [k, v] of Object.entries(where)) if (canonicalJson(r.params[k] ?? null) !== canonicalJson(v)) return false;
  return true;
}

/**
 * Raw read-only SQL, as the store runs it (tables sweeps, trials, metrics, regress_runs,
 * regress_results). Plain SQL is the point: OR, IN, ranges, joins — whatever the backend's
 * dialect has. On ClickHouse, read tables with FINAL to see each re-sent row once.
 *
 * @example
 * ```ts
 * const { columns, rows } = await sql(store, "SELECT status, count(*) FROM trials WHERE sweep_id = 'quickstart' GROUP BY status");
 * ```
 */
export function sql(store: MetricsStore, text: string): Promise<QueryResult> {
  return store.query(text);
}

/** What a report says about a sweep before any metric. */
export interface SweepOverview {
  readonly sweep: StoredSweep;
  readonly counts: Record<TrialStatus, number>;
  /** Metric names the sweep's trials emitted, sorted. */
  readonly metrics: string[];
  /** Parameters that take more than one value across trials, seed excluded. */
  readonly varied: string[];
  /** Seeds per configuration (the most common count). */
  readonly seeds: number;
}

/**
 * The sweep, its trials by status, its metric names and the parameters it varies.
 *
 * @example
 * ```ts
 * const o = await sweepOverview(store, 'quickstart');
 * o.varied; // ['optimizer.lr', 'rule.name']
 * ```
 */
export async function sweepOverview(store: MetricsStore, sweepId: string): Promise<SweepOverview> {
  const sweep = await store.getSweep(sweepId);
  if (!sweep) {
    const known = (await store.listSweeps()).map((s) => s.id);
    throw new CredoError('NOT_FOUND', 'no such sweep in the store', { field: 'sweep', value: sweepId, allowed: known.slice(0, 20).join(', ') || 'none yet' });
  }
  const counts = await store.trialCounts(sweepId);
  // Portable SQL (both dialects): names only, so re-sent rows do not matter.
  const names = await store.query(`SELECT DISTINCT name FROM metrics WHERE sweep_id = ${quote(sweepId)} ORDER BY name`);
  const metrics = names.rows.map((r) => String(r[0]));
  let varied: string[] = [];
  let seeds = 0;
  if (metrics.length > 0) {
    const anyMetric = metrics.find((m) => m.startsWith('test/')) ?? metrics[0]!;
    const finals = await store.finalValues(sweepId, anyMetric, 'last', { statuses: ['done', 'diverged', 'failed', 'timeout', 'cancelled'] });
    varied = distinctlyVaried(finals);
    const perConfig = new Map<string, number>();
    for (const f of finals) perConfig.set(f.configKey, (perConfig.get(f.configKey) ?? 0) + 1);
    const tally = new Map<number, number>();
    for (const n of perConfig.values()) tally.set(n, (tally.get(n) ?? 0) + 1);
    seeds = [...tally.entries()].sort((x, y) => y[1] - x[1] || y[0] - x[0])[0]?.[0] ?? 0;
  }
  return { sweep, counts, metrics, varied, seeds };
}

/**
 * Parameters with more than one value among the trials that have them, seed excluded. Unlike
 * the store's `variedParams`, a parameter that only some alternatives have (FA's
 * `rule.scale` next to BP) does not count when it takes one value: the rule already says it.
 *
 * @example
 * ```ts
 * distinctlyVaried([{ params: { 'rule.name': 'bp' } }, { params: { 'rule.name': 'fa', 'rule.scale': 1 } }]) // ['rule.name']
 * ```
 */
export function distinctlyVaried(rows: ReadonlyArray<{ readonly params: Readonly<Record<string, ParamValue>> }>): string[] {
  const values = new Map<string, Set<string>>();
  for (const r of rows) {
    for (const [k, v] of Object.entries(r.params)) {
      if (k === 'seed') continue;
      let set = values.get(k);
      if (!set) values.set(k, (set = new Set()));
      set.add(canonicalJson(v));
    }
  }
  return [...values.entries()].filter(([, set]) => set.size > 1).map(([k]) => k).sort();
}

/**
 * A string literal that both DuckDB and ClickHouse read the same way: only for ids checked to
 * be plain ([A-Za-z0-9._:-]); anything else is refused rather than escaped two ways.
 *
 * @example
 * ```ts
 * await store.query(`SELECT DISTINCT name FROM metrics WHERE sweep_id = ${quote('quickstart')}`);
 * ```
 */
export function quote(id: string): string {
  if (!/^[A-Za-z0-9._:-]+$/.test(id)) throw new CredoError('BAD_PARAM', 'invalid value', { field: 'sweep', value: id, allowed: 'letters, digits, . _ : -' });
  return `'${id}'`;
}

/**
 * The metric a sweep is judged by when none is named: `test/error`, else `test/mse`, else the first `test/…`.
 *
 * @example
 * ```ts
 * primaryMetricOf(['test/loss', 'test/mse', 'train/loss']) // 'test/mse'
 * ```
 */
export function primaryMetricOf(metrics: readonly string[]): string | undefined {
  for (const preferred of ['test/error', 'test/mse']) if (metrics.includes(preferred)) return preferred;
  return metrics.find((m) => m.startsWith('test/') && m !== 'test/loss') ?? metrics.find((m) => m.startsWith('test/'));
}

/**
 * Which way a metric is better, guessed from its name: accuracies and scores up, everything else down.
 *
 * @example
 * ```ts
 * betterOf('test/accuracy') // 'higher'
 * betterOf('test/error')    // 'lower'
 * ```
 */
export function betterOf(metric: string): Better {
  return /(^|\/)(acc|accuracy|score|reward|auc|f1)([/_]|$)/i.test(metric) ? 'higher' : 'lower';
}
