import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CredoError, hashKey, type MetricPoint, type ParamValue } from '@credo/core';
import type { SweepRecord, TrialRecord } from '@credo/store';

/** A fresh directory per test file; removed by the returned cleanup. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'credo-store-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export function sweep(id: string, count = 4, extra: Partial<SweepRecord> = {}): SweepRecord {
  const spec = { name: id, grid: { 'optimizer.lr': [0.1, 0.01] }, seeds: [1, 2] };
  return { id, name: `sweep ${id}`, description: 'a test sweep', specHash: hashKey(spec), spec, count, ...extra };
}

/** A trial whose key derives from its parameters, as the spec package derives it from the config. */
export function trial(index: number, params: Record<string, ParamValue>): TrialRecord {
  const { seed, ...rest } = params;
  const config = { rule: { name: params['rule.name'] ?? 'bp' }, params, seed: seed ?? 0 };
  return { key: hashKey(params), configKey: hashKey(rest), index, config, params };
}

export function points(name: string, values: readonly number[], firstStep = 0): MetricPoint[] {
  return values.map((value, i) => ({ name, step: firstStep + i, value, time: 1_700_000_000_000 + i }));
}

/** The CredoError a promise rejects with (fails the test if it resolves or throws something else). */
export async function rejection(p: Promise<unknown>): Promise<CredoError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof CredoError) return e;
    throw e;
  }
  throw new Error('expected a CredoError, but the call succeeded');
}
