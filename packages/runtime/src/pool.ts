import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { MetricPoint, TrialConfig } from '@credo/core';
import type { ThreadMessage, ThreadResult, ThreadTask } from './trial-thread.js';

/** The final state of one attempt, as the pool sees it. Never a rejection: failures are data. */
export interface TrialRunResult {
  readonly status: 'done' | 'diverged' | 'failed' | 'cancelled' | 'timeout';
  readonly steps: number;
  readonly final: Readonly<Record<string, number>>;
  readonly error?: string;
  readonly durationMs: number;
}

export interface TrialPoolOptions {
  /** Worker threads, one trial each. Default: the number of cores. */
  readonly workers?: number;
  /** V8 old-generation limit per thread (MB): a trial that exceeds it kills only its thread. */
  readonly maxMemoryMb?: number;
}

export interface RunOptions {
  /** Receives metric batches in order, on the main thread, while the trial runs. */
  readonly onMetrics?: (points: MetricPoint[]) => void;
  /** Aborting cancels the trial (its thread is terminated and replaced). */
  readonly signal?: AbortSignal;
  /** 0 or absent = no limit. */
  readonly timeoutSec?: number;
}

/**
 * How long a finished trial may wait for its thread's `end` message before the attempt counts as
 * failed. The thread posts `end` before it returns, so it always arrives; only a starved event
 * loop delays it (seconds were seen with nine agents on two cores while NATS restarted).
 */
const END_WAIT_MS = 60_000;

/**
 * A Piscina pool that runs one trial per thread, streams metrics back while it trains, and
 * turns cancellation, timeouts, divergence and thread crashes into a {@link TrialRunResult}.
 *
 * @example
 * ```ts
 * const pool = new TrialPool({ workers: 2 });
 * const r = await pool.run(trial.config, { onMetrics: (b) => store.append(b), timeoutSec: 600 });
 * await pool.close();
 * ```
 */
export class TrialPool {
  private readonly piscina: Piscina;
  readonly workers: number;
  private active = 0;
  private lastRun = 0;
  /** Runs in flight by id: where their threads' messages go. */
  private readonly runs = new Map<number, { onMetrics: ((points: MetricPoint[]) => void) | undefined; ended: () => void }>();

  constructor(opts: TrialPoolOptions = {}) {
    this.workers = opts.workers ?? availableParallelism();
    this.piscina = new Piscina({
      filename: new URL('./trial-thread.js', import.meta.url).href,
      minThreads: this.workers,
      maxThreads: this.workers,
      // Threads keep the MNIST bytes they loaded; an idle timeout would throw that away between trials.
      idleTimeout: 60_000,
      // Tasks arrive as events, so a busy thread's event loop still turns between trials: that
      // is when FinalizationRegistry callbacks run and give the wasm blocks of collected arrays
      // back. With Atomics.wait the next queued trial starts without that turn, and a thread
      // that is never idle grows its wasm memory trial after trial.
      atomics: 'disabled',
      ...(opts.maxMemoryMb ? { resourceLimits: { maxOldGenerationSizeMb: opts.maxMemoryMb } } : {}),
    });
    // Without a listener, a late abort or a thread that fails to load crashes the whole process (stack.md §1).
    this.piscina.on('error', () => {});
    // What trial threads post on their parentPort (see ThreadMessage). A message of a run that
    // has already ended (its thread was aborted mid-way) finds no entry and is dropped.
    this.piscina.on('message', (m: ThreadMessage) => {
      const r = this.runs.get(m.run);
      if (!r) return;
      if (m.type === 'metrics') r.onMetrics?.(m.points);
      else r.ended();
    });
  }

  /** Trials currently executing. */
  get running(): number {
    return this.active;
  }

  async run(config: TrialConfig, opts: RunOptions = {}): Promise<TrialRunResult> {
    const t0 = performance.now();
    const run = ++this.lastRun;
    let ended!: () => void;
    const endSeen = new Promise<void>((resolve) => (ended = resolve));
    this.runs.set(run, { onMetrics: opts.onMetrics, ended });
    const timeout = opts.timeoutSec && opts.timeoutSec > 0 ? AbortSignal.timeout(opts.timeoutSec * 1000) : undefined;
    const signals = [opts.signal, timeout].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    this.active++;
    try {
      const task: ThreadTask = { config, run };
      const r: ThreadResult = await this.piscina.run(task, signal ? { signal } : {});
      // The result comes over Piscina's port and the metrics over the thread's parentPort: two
      // ports, so the result can overtake the last metrics. `end` is posted after them, so once
      // it is seen every point has been handed to onMetrics. Returning before that (a fixed
      // grace used to be here) let a loaded agent record a trial as done with points missing.
      // The timer is cleared at once: thousands of short trials per second would otherwise each
      // leave a live timer behind.
      let wait: NodeJS.Timeout | undefined;
      const seen = await Promise.race([endSeen.then(() => true), new Promise<false>((res) => (wait = setTimeout(() => res(false), END_WAIT_MS)))]);
      clearTimeout(wait);
      const durationMs = performance.now() - t0;
      // Never a finished trial with an incomplete record: fail the attempt so that it is retried.
      if (!seen) return { status: 'failed', steps: r.steps, final: {}, error: `the trial's metrics did not all arrive within ${END_WAIT_MS / 1000} s of its result`, durationMs };
      return { ...r, durationMs };
    } catch (e) {
      const durationMs = performance.now() - t0;
      if (timeout?.aborted) return { status: 'timeout', steps: 0, final: {}, error: `exceeded ${opts.timeoutSec} s`, durationMs };
      if (opts.signal?.aborted) return { status: 'cancelled', steps: 0, final: {}, error: 'cancelled', durationMs };
      return { status: 'failed', steps: 0, final: {}, error: `trial thread died: ${e instanceof Error ? e.message : String(e)}`, durationMs };
    } finally {
      this.active--;
      this.runs.delete(run);
    }
  }

  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}
