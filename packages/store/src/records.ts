import { canonicalJson, CredoError, FINAL_STATUSES, type MetricPoint, type ParamValue, type TrialStatus } from '@credo/core';
import { TRIAL_STATUSES, type SweepRecord, type TrialOutcome, type TrialRecord } from './metrics-store.js';

/*
 * Checks and conversions between the port's records and the rows every backend stores. They
 * run before anything is written, so that bad input is refused whole (promise 5) and both
 * backends store the same text for the same record.
 */

/** The columns a trial's parameters are stored in, identical on every backend. */
export interface ParamColumns {
  /** Sorted parameter names. */
  readonly keys: string[];
  /** JSON text of each value, aligned with `keys`. */
  readonly values: string[];
  /** Canonical JSON of the whole parameter object. */
  readonly json: string;
  /** The `seed` parameter, or the config's `seed`; null when neither is an integer. */
  readonly seed: number | null;
}

export function checkSweep(s: SweepRecord): string {
  if (typeof s.id !== 'string' || s.id === '') throw bad('sweep.id', s.id, 'a non-empty string');
  if (typeof s.name !== 'string') throw bad('sweep.name', s.name, 'a string');
  if (typeof s.specHash !== 'string') throw bad('sweep.specHash', s.specHash, 'a string');
  if (!Number.isSafeInteger(s.count) || s.count < 0) throw bad('sweep.count', s.count, 'an integer ≥ 0');
  return toJson(s.spec, 'sweep.spec');
}

export function checkTrial(t: TrialRecord): { configJson: string; params: ParamColumns } {
  if (typeof t.key !== 'string' || t.key === '') throw bad('trial.key', t.key, 'a non-empty string');
  if (typeof t.configKey !== 'string') throw bad('trial.configKey', t.configKey, 'a string');
  if (!Number.isSafeInteger(t.index) || t.index < 0) throw bad('trial.index', t.index, 'an integer ≥ 0');
  const configJson = toJson(t.config, 'trial.config');
  const keys = Object.keys(t.params).sort();
  const values = keys.map((k) => toJson(t.params[k], `trial.params.${k}`));
  const fromParams = t.params['seed'];
  const fromConfig = t.config !== null && typeof t.config === 'object' ? (t.config as Record<string, unknown>)['seed'] : undefined;
  const seed = Number.isSafeInteger(fromParams) ? (fromParams as number) : Number.isSafeInteger(fromConfig) ? (fromConfig as number) : null;
  return { configJson, params: { keys, values, json: toJson(t.params, 'trial.params'), seed } };
}

export function checkOutcome(o: TrialOutcome): void {
  if (!FINAL_STATUSES.includes(o.status)) throw bad('outcome.status', o.status, FINAL_STATUSES.join(', '));
  if (typeof o.durationMs !== 'number' || !(o.durationMs >= 0)) throw bad('outcome.durationMs', o.durationMs, 'a number ≥ 0');
}

export function checkAttempt(attempt: number): void {
  if (!Number.isSafeInteger(attempt) || attempt < 1) throw bad('attempt', attempt, 'an integer ≥ 1');
}

/**
 * Refuses the whole batch on the first bad point, naming it, so that a batch is stored
 * completely or not at all. Values are not checked: NaN and ±Infinity are data (divergence).
 */
export function checkPoints(points: readonly MetricPoint[]): void {
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    if (typeof p.name !== 'string' || p.name === '') throw bad(`points[${i}].name`, p.name, 'a non-empty string');
    if (!Number.isSafeInteger(p.step) || p.step < 0) throw bad(`points[${i}].step`, p.step, 'an integer ≥ 0');
    if (typeof p.value !== 'number') throw bad(`points[${i}].value`, p.value, 'a number (NaN and ±Infinity allowed)');
    if (typeof p.time !== 'number' || !Number.isFinite(p.time)) throw bad(`points[${i}].time`, p.time, 'milliseconds since the epoch');
  }
}

/** Parses a stored parameter object back; values are whatever the JSON held. */
export function parseParams(json: string): Record<string, ParamValue> {
  return JSON.parse(json) as Record<string, ParamValue>;
}

export function isTrialStatus(s: string): s is TrialStatus {
  return ['pending', 'running', 'done', 'failed', 'diverged', 'cancelled', 'timeout'].includes(s);
}

function toJson(v: unknown, field: string): string {
  try {
    const s = canonicalJson(v);
    // JSON.stringify(undefined) is undefined, which would store NULL where the schema promises JSON.
    if (typeof s !== 'string') throw new TypeError('not representable as JSON');
    return s;
  } catch (e) {
    throw new CredoError('STORE_ERROR', `cannot store as JSON: ${(e as Error).message}`, { field, cause: e });
  }
}

function bad(field: string, value: unknown, allowed: string): CredoError {
  return new CredoError('STORE_ERROR', 'invalid value', { field, value, allowed });
}

/** Counts by status with `pending` = trials of the grid not started yet (never negative: an edited spec may leave extra rows). */
export function withPending(counts: Record<TrialStatus, number>, trialCount: number): Record<TrialStatus, number> {
  const started = TRIAL_STATUSES.reduce((n, s) => n + (s === 'pending' ? 0 : counts[s]), 0);
  return { ...counts, pending: Math.max(0, trialCount - started) };
}

/** Map key of one trial of one sweep (NUL cannot occur in either part). */
export function runKey(sweepId: string, trialKey: string): string {
  return `${sweepId}\u0000${trialKey}`;
}

export function noSweep(sweepId: string): CredoError {
  return new CredoError('NOT_FOUND', `no sweep ${sweepId} in the store`);
}

export function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
