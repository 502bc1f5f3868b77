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
 * The typed query API: what scripts, the CLI and the reports ask of a store. Leaderboards and
 * comparisons read plain rows through the MetricsStore port (finalValues) and compute every
 * statistic here, in JS, from values the adapters return in a fixed order, so that DuckDB and
 * ClickHouse give the same numbers to the last bit. Curves are the exception: 10⁶ points are
 * too many to ship to JS in under a second, so the database computes each point's mean and sd
 * (curveStats) and the backends agree to rounding (test/query-conformance.test.ts).
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
 * Mean and 95% CI of a metric per step, one series per group of trials. The store computes the
 * count, mean, sd, min and max per (group, step) (see `MetricsStore.curveStats`), so that only
 * one row per point of a curve leaves the database; the CI is computed here.
 *
 * @example
 * ```ts
 * const series = await curves(store, 'quickstart', { metric: 'test/error', by: ['rule.name'] });
 * series[0].points.at(-1); // { step: 1565, n: 4, mean: 0.06, ci95: 0.004, lo: 0.056, hi: 0.064, … }
 * ```
 */
export async function curves(store: MetricsStore, sweepId: string, q: CurvesQuery): Promise<CurveSeries[]> {
  const by = q.by ?? [];
  const cells = await store.curveStats(sweepId, q.metric, { by, ...(q.statuses ? { statuses: q.statuses } : {}) });
  const groups = new Map<string, { group: Record<string, ParamValue>; points: CurvePoint[] }>();
  // A curve has thousands of cells of equal n: the t quantile once per n.
  const tCache = new Map<number, number>();
  for (const c of cells) {
    const id = groupId(by, c.group);
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { group: c.group, points: [] }));
    let ci95 = NaN;
    if (c.n >= 2) {
      let t = tCache.get(c.n);
      if (t === undefined) tCache.set(c.n, (t = tCritical95(c.n - 1)));
      ci95 = (t * c.sd) / Math.sqrt(c.n);
    }
    g.points.push({ step: c.step, n: c.n, mean: c.mean, sd: c.sd, ci95, min: c.min, max: c.max, lo: c.mean - ci95, hi: c.mean + ci95, nonFinite: c.nonFinite });
  }
  const out = [...groups.values()].map((g) => ({ group: g.group, label: groupLabel(by, g.group), points: g.points.sort((a, b) => a.step - b.step) }));
  return out.sort((a, b) => compareGroups(by, a.group, b.group));
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
  const pick = async (ref: GroupRef): Promise<FinalValue[]> => {
    const rows = (await store.finalValues(ref.sweep, q.metric, mode, { statuses: ['done', 'diverged'] })).filter((r) => matches(r, ref.where));
    if (rows.length === 0) throw noTrials(ref);
    return rows;
  };
  return compareSamples(await pick(a), await pick(b), better);
}

function noTrials(ref: GroupRef): CredoError {
  return new CredoError('NOT_FOUND', 'no trial of this group has the metric', { field: 'group', value: `${ref.sweep}${ref.where ? ' ' + canonicalJson(ref.where) : ''}` });
}

/** The statistics of {@link compare} from the per-trial rows of each side (either side may be empty). */
function compareSamples(a: readonly FinalValue[], b: readonly FinalValue[], better: Better): Comparison {
  const side = (rows: readonly FinalValue[]): { values: number[]; diverged: number } => {
    const values = rows.filter((r) => r.status !== 'diverged' && Number.isFinite(r.value)).map((r) => r.value);
    return { values: values.sort((x, y) => x - y), diverged: rows.length - values.length };
  };
  const A = side(a);
  const B = side(b);
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

export interface CompareConfigsQuery extends CompareQuery {
  /**
   * Parameters that define a configuration; each configuration's trials on side A are compared
   * with the same configuration's on side B. Default: the parameters that vary within either
   * side and that every trial of both sides has, minus those the sides' `where` pin.
   */
  readonly by?: readonly string[];
}

/** One row of {@link compareConfigs}: a configuration, B relative to A. */
export interface ConfigComparison extends Omit<Comparison, 'verdict'> {
  /** Values of the `by` parameters; a parameter the configuration's trials lack is absent. */
  readonly group: Record<string, ParamValue>;
  readonly label: string;
  /** As {@link Comparison.verdict}, or which side has no trial of this configuration. */
  readonly verdict: Comparison['verdict'] | 'only in A' | 'only in B';
}

/** What {@link compareConfigs} returns: the parameters it grouped by, and one row per configuration. */
export interface ConfigComparisons {
  readonly by: string[];
  readonly rows: ConfigComparison[];
}

/**
 * {@link compare}, per configuration: two sweeps (the same grid run on two versions of the
 * code) or two groups of one sweep (`rule.name=bp` against `rule.name=fa`, per learning rate),
 * each configuration's seeds on one side against the same configuration's seeds on the other.
 * Reads each sweep's per-trial values once. A configuration present on one side only gets a
 * row with n = 0 on the other and the verdict `only in A` / `only in B`.
 *
 * @example
 * ```ts
 * const { by, rows } = await compareConfigs(store, { sweep: 'fa-vs-bp', where: { 'rule.name': 'bp' } }, { sweep: 'fa-vs-bp', where: { 'rule.name': 'fa' } }, { metric: 'test/error' });
 * by;                 // ['optimizer.lr']
 * rows[0].mannWhitney; // { u: 16, n1: 4, n2: 4, p: 0.029, method: 'exact' }
 * ```
 */
export async function compareConfigs(store: MetricsStore, a: GroupRef, b: GroupRef, q: CompareConfigsQuery): Promise<ConfigComparisons> {
  const better = q.better ?? 'lower';
  const mode = storeMode(q.mode ?? 'last', better);
  const read = new Map<string, Promise<FinalValue[]>>();
  const finals = (sweep: string): Promise<FinalValue[]> => {
    let p = read.get(sweep);
    if (!p) read.set(sweep, (p = store.finalValues(sweep, q.metric, mode, { statuses: ['done', 'diverged'] })));
    return p;
  };
  for (const ref of [a, b]) {
    if ((await finals(ref.sweep)).length === 0) {
      throw new CredoError('NOT_FOUND', `no completed or diverged trial of sweep ${ref.sweep} has this metric`, { field: 'metric', value: q.metric });
    }
  }
  const rowsA = (await finals(a.sweep)).filter((r) => matches(r, a.where));
  const rowsB = (await finals(b.sweep)).filter((r) => matches(r, b.where));
  if (rowsA.length === 0) throw noTrials(a);
  if (rowsB.length === 0) throw noTrials(b);
  const pinned = new Set([...Object.keys(a.where ?? {}), ...Object.keys(b.where ?? {})]);
  // Varied within a side, not across them: two sweeps that differ in one setting (the point of
  // comparing them) should still pair up their common grid.
  const all = [...rowsA, ...rowsB];
  const by = q.by ? [...q.by] : [...new Set([...distinctlyVaried(rowsA), ...distinctlyVaried(rowsB)])].sort().filter((k) => !pinned.has(k) && all.every((r) => k in r.params));
  const split = (rows: readonly FinalValue[]): Map<string, { group: Record<string, ParamValue>; rows: FinalValue[] }> => {
    const out = new Map<string, { group: Record<string, ParamValue>; rows: FinalValue[] }>();
    for (const r of rows) {
      const group: Record<string, ParamValue> = {};
      for (const k of by) if (k in r.params) group[k] = r.params[k]!;
      const id = groupId(by, group);
      let g = out.get(id);
      if (!g) out.set(id, (g = { group, rows: [] }));
      g.rows.push(r);
    }
    return out;
  };
  const A = split(rowsA);
  const B = split(rowsB);
  const rows: ConfigComparison[] = [];
  for (const id of new Set([...A.keys(), ...B.keys()])) {
    const ga = A.get(id);
    const gb = B.get(id);
    const group = (ga ?? gb)!.group;
    const c = compareSamples(ga?.rows ?? [], gb?.rows ?? [], better);
    rows.push({ ...c, group, label: groupLabel(by, group), verdict: !ga ? 'only in B' : !gb ? 'only in A' : c.verdict });
  }
  return { by, rows: rows.sort((x, y) => compareGroups(by, x.group, y.group)) };
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
