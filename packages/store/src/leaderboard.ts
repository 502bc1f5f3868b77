import { canonicalJson, CredoError, type ParamValue, type TrialStatus } from '@credo/core';
import { summarize } from './stats.js';

/** What {@link leaderboard} needs of a trial: the shape of {@link MetricsStore.finalValues} rows. */
export interface LeaderboardInput {
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly value: number;
  /** Rows with status `diverged` are counted, not averaged; absent means `done`. */
  readonly status?: TrialStatus;
}

export interface LeaderboardOptions {
  /**
   * Dotted parameter names to group by. Default: every parameter whose value differs between
   * rows, except `seed` — so that seeds of one configuration are pooled.
   */
  readonly by?: readonly string[];
  /** `asc` puts the lowest mean first (losses, errors); `desc` the highest (accuracy). */
  readonly order: 'asc' | 'desc';
}

/** One configuration's result over its seeds. */
export interface LeaderboardRow {
  /** The grouping parameters and their values; a parameter a row lacks is absent. */
  readonly group: Record<string, ParamValue>;
  /** Trials whose finite value entered the statistics. */
  readonly n: number;
  readonly mean: number;
  /** NaN when n < 2 (reports print '–'). */
  readonly sd: number;
  /** Half-width of the 95% CI of the mean (Student t); NaN when n < 2. */
  readonly ci95: number;
  readonly min: number;
  readonly max: number;
  /**
   * Trials of the group left out of the statistics because they diverged (status `diverged`, or
   * a final value that is NaN or infinite). Averaging them in would make the mean NaN; dropping
   * them silently would flatter an unstable configuration.
   */
  readonly diverged: number;
}

/**
 * Groups final values by configuration and ranks the groups by mean, with sd, 95% CI, min and
 * max over seeds. Groups whose every trial diverged (n = 0, mean NaN) come last.
 *
 * @example
 * ```ts
 * const rows = leaderboard(await store.finalValues('fa-vs-bp', 'test/error', 'last'), { order: 'asc' });
 * // [{ group: { 'rule.name': 'bp', 'optimizer.lr': 0.1 }, n: 5, mean: 0.021, sd: 0.002, ci95: 0.0025, min: 0.019, max: 0.024, diverged: 0 }, …]
 * leaderboard(rows, { by: ['rule.name'], order: 'asc' }); // pool everything else per rule
 * ```
 */
export function leaderboard(rows: readonly LeaderboardInput[], opts: LeaderboardOptions): LeaderboardRow[] {
  if (opts.order !== 'asc' && opts.order !== 'desc') {
    throw new CredoError('BAD_PARAM', 'invalid value', { field: 'order', value: opts.order, allowed: 'asc, desc' });
  }
  const by = opts.by ? checkBy(rows, opts.by) : variedParams(rows);

  const groups = new Map<string, { group: Record<string, ParamValue>; values: number[]; diverged: number }>();
  for (const r of rows) {
    const group: Record<string, ParamValue> = {};
    for (const name of by) {
      const v = r.params[name];
      if (v !== undefined) group[name] = v;
    }
    const id = canonicalJson(by.map((name) => (name in group ? group[name] : null)));
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { group, values: [], diverged: 0 }));
    if (r.status === 'diverged' || !Number.isFinite(r.value)) g.diverged++;
    else g.values.push(r.value);
  }

  const out = [...groups.entries()].map(([id, g]) => ({ id, row: { group: g.group, ...summarize(g.values), diverged: g.diverged } }));
  const sign = opts.order === 'asc' ? 1 : -1;
  out.sort((a, b) => {
    const am = a.row.mean;
    const bm = b.row.mean;
    if (Number.isNaN(am) !== Number.isNaN(bm)) return Number.isNaN(am) ? 1 : -1;
    if (!Number.isNaN(am) && am !== bm) return sign * (am - bm);
    // Ties (and all-diverged groups) in a fixed order, so that output is reproducible.
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
  return out.map((o) => o.row);
}

/**
 * The parameter columns of a leaderboard: every name that groups some row, not only the first
 * row's (a sweep over alternatives groups `tbptt` rows by `rule.k` too, which an `rtrl` row lacks),
 * in the order of `by` when the rows were grouped by it, else sorted (the default grouping's order).
 *
 * @example
 * ```ts
 * groupColumns([{ group: { 'rule.name': 'rtrl' } }, { group: { 'rule.k': 10, 'rule.name': 'tbptt' } }]) // ['rule.k', 'rule.name']
 * ```
 */
export function groupColumns(rows: ReadonlyArray<{ readonly group: Readonly<Record<string, ParamValue>> }>, by?: readonly string[]): string[] {
  const present = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r.group)) present.add(k);
  return by ? by.filter((k) => present.has(k)) : [...present].sort();
}

/**
 * Parameters whose value (or presence) differs between rows, `seed` excepted, in sorted order:
 * the default grouping of {@link leaderboard}.
 *
 * @example
 * ```ts
 * variedParams([{ params: { lr: 0.1, seed: 1 }, value: 1 }, { params: { lr: 0.2, seed: 2 }, value: 2 }]) // ['lr']
 * ```
 */
export function variedParams(rows: readonly LeaderboardInput[]): string[] {
  const names = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r.params)) names.add(k);
  names.delete('seed');
  const varied: string[] = [];
  for (const name of [...names].sort()) {
    let first: string | undefined;
    for (const r of rows) {
      const v = r.params[name];
      const s = v === undefined ? '\u0000absent' : canonicalJson(v);
      if (first === undefined) first = s;
      else if (s !== first) {
        varied.push(name);
        break;
      }
    }
  }
  return varied;
}

function checkBy(rows: readonly LeaderboardInput[], by: readonly string[]): string[] {
  if (rows.length === 0) return [...by];
  const known = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r.params)) known.add(k);
  for (const name of by) {
    if (!known.has(name)) {
      throw new CredoError('UNKNOWN_PARAM', 'no trial has this parameter', { field: 'by', value: name, allowed: [...known].sort().join(', ') });
    }
  }
  return [...by];
}
