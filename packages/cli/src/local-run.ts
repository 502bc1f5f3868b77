import type { TrialStatus } from '@credo/core';
import { TrialPool, type TrialRunResult } from '@credo/runtime';
import type { Sweep, Trial } from '@credo/spec';
import type { MetricsStore } from '@credo/store';

/** Progress of a local sweep, reported after every change. */
export interface LocalProgress {
  /** Trials of the grid that this run has to execute (complete ones are skipped). */
  readonly total: number;
  readonly skipped: number;
  readonly finished: number;
  readonly running: number;
  readonly byStatus: Readonly<Partial<Record<TrialStatus, number>>>;
}

export interface LocalRunOptions {
  readonly workers?: number;
  /** Ctrl-C: stop feeding, cancel running trials, record them as cancelled. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: LocalProgress) => void;
  /** Overrides the spec's per-trial timeout (seconds, 0 = none). */
  readonly timeoutSec?: number;
}

export interface LocalRunSummary extends LocalProgress {
  readonly cancelled: boolean;
}

/**
 * Runs a sweep on this machine: trials are taken lazily from the expansion (never the whole
 * grid), those already complete in the store are skipped (resume), at most `workers` run at
 * once, and every metric batch and final state goes to the store. Store writes are
 * serialized through one queue so that the embedded database sees one writer.
 *
 * @example
 * ```ts
 * const summary = await runLocalSweep(sweep, store, { workers: 2, onProgress: (p) => bar.update(p.finished) });
 * ```
 */
export async function runLocalSweep(sweep: Sweep, store: MetricsStore, opts: LocalRunOptions = {}): Promise<LocalRunSummary> {
  await store.upsertSweep({ id: sweep.id, name: sweep.name, description: sweep.description, specHash: sweep.specHash, spec: sweep.spec, count: sweep.count });
  await store.markInterrupted(sweep.id);
  const complete = await store.completedKeys(sweep.id);
  // Complete keys may include trials of an earlier version of the spec; count only this grid's.
  const total = Math.max(0, sweep.count - countInGrid(sweep, complete));
  const skipped = sweep.count - total;

  const pool = new TrialPool(opts.workers ? { workers: opts.workers } : {});
  const byStatus: Partial<Record<TrialStatus, number>> = {};
  let finished = 0;
  let running = 0;
  let writes: Promise<unknown> = Promise.resolve();
  let writeError: unknown;
  const write = (f: () => Promise<unknown>): Promise<unknown> => {
    writes = writes.then(f).catch((e) => {
      writeError ??= e;
    });
    return writes;
  };
  const report = (): void => opts.onProgress?.({ total, skipped, finished, running, byStatus: { ...byStatus } });

  const runOne = async (trial: Trial): Promise<void> => {
    let attempt = 0;
    await write(async () => {
      attempt = await store.startTrial(sweep.id, { key: trial.key, configKey: trial.configKey, index: trial.index, config: trial.config, params: trial.params });
    });
    if (writeError) throw writeError;
    running++;
    report();
    const timeoutSec = opts.timeoutSec ?? trial.config.train.timeoutSec;
    const r: TrialRunResult = await pool.run(trial.config, {
      onMetrics: (points) => void write(() => store.appendMetrics(sweep.id, trial.key, attempt, points)),
      ...(opts.signal ? { signal: opts.signal } : {}),
      timeoutSec,
    });
    await write(() => store.finishTrial(sweep.id, trial.key, attempt, { status: r.status, durationMs: Math.round(r.durationMs), ...(r.error ? { error: r.error } : {}) }));
    running--;
    finished++;
    byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
    report();
  };

  report();
  const inFlight = new Set<Promise<void>>();
  try {
    for (const trial of sweep.trials()) {
      if (opts.signal?.aborted) break;
      if (complete.has(trial.key)) continue;
      const p: Promise<void> = runOne(trial).finally(() => inFlight.delete(p));
      inFlight.add(p);
      if (inFlight.size >= pool.workers) await Promise.race(inFlight);
      if (writeError) break;
    }
    await Promise.all(inFlight);
  } finally {
    await Promise.allSettled(inFlight);
    await writes;
    await pool.close();
  }
  if (writeError) throw writeError;
  return { total, skipped, finished, running: 0, byStatus, cancelled: opts.signal?.aborted ?? false };
}

function countInGrid(sweep: Sweep, complete: ReadonlySet<string>): number {
  if (complete.size === 0) return 0;
  let n = 0;
  // One lazy pass over the keys; for the grids a laptop runs this is cheap next to any trial.
  for (const t of sweep.trials()) if (complete.has(t.key)) n++;
  return n;
}
