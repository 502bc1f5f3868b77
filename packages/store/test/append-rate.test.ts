import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { MetricPoint } from '@credo/core';
import { openDuckDbStore } from '@credo/store';
import { sweep, tempDir, trial } from './helpers.js';

/*
 * Measures, and prints, how fast a file-backed store takes 1M metric points: once as one call,
 * once as the runner sends them (small batches from several trials in turn). The rate is
 * printed, not asserted: it depends on the machine; only the row count is checked.
 */

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterAll(async () => {
  await cleanup();
});

const N = 1_000_000;
const NAMES = ['train/loss', 'test/error', 'angle/fa_bp/h1', 'grad/norm'];
const point = (i: number): MetricPoint => ({ name: NAMES[i % 4]!, step: i >> 2, value: Math.cos(i), time: 1_700_000_000_000 + i });

it.each([
  ['one call of 1M points', N],
  ['2000 calls of 500 points over 8 trials', 500],
])('appends 1M points: %s', async (label, batch) => {
  const store = await openDuckDbStore(join(dir, `rate-${batch}.duckdb`));
  try {
    await store.upsertSweep(sweep('rate', 8));
    const trials = Array.from({ length: 8 }, (_, i) => trial(i, { seed: i }));
    const attempts = await Promise.all(trials.map((t) => store.startTrial('rate', t)));
    const all = Array.from({ length: N }, (_, i) => point(i));
    const t0 = performance.now();
    for (let o = 0, b = 0; o < N; o += batch, b++) {
      const k = b % trials.length;
      await store.appendMetrics('rate', trials[k]!.key, attempts[k]!, all.slice(o, o + batch));
    }
    await store.flushMetrics();
    const s = (performance.now() - t0) / 1000;
    console.log(`[store] ${label}: ${N} rows in ${s.toFixed(2)} s = ${Math.round(N / s).toLocaleString('en')} rows/s`);
    expect((await store.query('SELECT count(*) FROM metrics')).rows[0]![0]).toBe(N);
  } finally {
    await store.close();
  }
});
