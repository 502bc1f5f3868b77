import { CredoError, type ParamValue, type TrialStatus } from '@credo/core';
import { TRIAL_STATUSES, type CurveStat } from './metrics-store.js';

/*
 * Shared parts of the curve query: both adapters select the `by` parameters' stored JSON text
 * (empty or NULL when a trial lacks the parameter) and turn it into the same group objects here.
 */

/** Parses stored JSON text of a group value (`"bp"`, `0.1`, `[20]`); empty or NULL is absent. */
export function groupValue(text: unknown): ParamValue | undefined {
  if (text === null || text === undefined || text === '') return undefined;
  return JSON.parse(String(text)) as ParamValue;
}

/** The group object of a curve cell from the texts of its `by` columns. */
export function groupOf(by: readonly string[], texts: readonly unknown[]): Record<string, ParamValue> {
  const g: Record<string, ParamValue> = {};
  by.forEach((name, i) => {
    const v = groupValue(texts[i]);
    if (v !== undefined) g[name] = v;
  });
  return g;
}

/** Checks the `by` names of a curve query: non-empty strings, no repeats. */
export function checkBy(by: readonly string[]): void {
  const seen = new Set<string>();
  for (const b of by) {
    if (typeof b !== 'string' || b === '') throw new CredoError('BAD_PARAM', 'invalid value', { field: 'by', value: b, allowed: 'dotted parameter names' });
    if (seen.has(b)) throw new CredoError('BAD_PARAM', 'named twice', { field: 'by', value: b });
    seen.add(b);
  }
}

/** The statuses of a curve query: default `['done']`; each checked against the fixed set. */
export function curveStatuses(statuses: readonly TrialStatus[] | undefined): readonly TrialStatus[] {
  const out = statuses ?? ['done'];
  for (const s of out) {
    if (!TRIAL_STATUSES.includes(s)) throw new CredoError('BAD_PARAM', 'invalid value', { field: 'statuses', value: s, allowed: TRIAL_STATUSES.join(', ') });
  }
  return out;
}

/**
 * A {@link CurveStat} from what a database returned, with the conventions of the port: NaN for
 * the statistics a cell's count cannot support (databases answer 0, NULL or Infinity there).
 */
export function curveStat(group: Record<string, ParamValue>, step: number, n: number, mean: unknown, variance: unknown, min: unknown, max: unknown, nonFinite: number): CurveStat {
  const num = (v: unknown): number => (v === null || v === undefined ? NaN : Number(v));
  const v = num(variance);
  return {
    group,
    step,
    n,
    mean: n > 0 ? num(mean) : NaN,
    // Welford's method (both databases) keeps the variance ≥ 0; max() guards the last bit anyway.
    sd: n > 1 && Number.isFinite(v) ? Math.sqrt(Math.max(0, v)) : NaN,
    min: n > 0 ? num(min) : NaN,
    max: n > 0 ? num(max) : NaN,
    nonFinite,
  };
}
