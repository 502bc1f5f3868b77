import { type Logger, type MetricPoint, type PromRegistry, type TrialConfig } from '@credo/core';
import {
  MetricBatchCodec, subjects, TOPOLOGY, TRIAL_ACK_WAIT_MS, TrialCodec, TrialResultCodec,
  type NatsHandles, type Trial, type TrialResult, type MetricPoint as WireMetricPoint,
} from '@credo/proto';
import { TrialPool, type TrialRunResult } from '@credo/runtime';
import type { JsMsg } from '@nats-io/jetstream';
import { DEFAULT_RECYCLE_AFTER } from './config.js';

export interface AgentOptions {
  readonly id: string;
  readonly workers: number;
  readonly slots: number;
  readonly maxMemoryMb: number;
  /**
   * Trials run on one set of threads before the agent replaces them (0 = never; default
   * {@link DEFAULT_RECYCLE_AFTER}). Memory that a trial thread does not give back (a MessagePort
   * per trial, the wasm kernels' linear memory, which never shrinks) goes with its thread, so an
   * agent that runs millions of short trials keeps a bounded footprint.
   */
  readonly recycleAfter?: number;
  readonly log: Logger;
  readonly prom?: PromRegistry;
}

/** How long a trial's latest metric batch may wait to travel with its result. */
const HOLD_MS = 250;

/** Delay before a failed attempt is redelivered: 1 s, 2 s, 4 s … capped at 30 s. */
export function retryBackoffMs(attempt: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.max(0, attempt - 1));
}

/**
 * A worker agent: pulls trials with flow control equal to its free slots, keeps each lease
 * alive with in-progress acks while the trial runs, streams `MetricBatch`es, publishes the
 * `TrialResult`, and acks the trial only once the result is durably in JetStream. A failed
 * attempt is released with a back-off delay until the sweep's attempt limit, then recorded
 * as failed for good.
 *
 * @example
 * ```ts
 * const agent = new WorkerAgent(await connectNats({ url }), { id: 'w1', workers: 2, slots: 2, maxMemoryMb: 0, log });
 * await agent.run(); // until agent.drain()
 * ```
 */
export class WorkerAgent {
  private pool: TrialPool;
  /** Trials started on {@link pool}; and the replaced pools still finishing theirs. */
  private poolRuns = 0;
  private readonly retiring = new Set<Promise<void>>();
  private readonly running = new Map<string, { sweepId: string; abort: AbortController }>();
  private draining = false;
  private readonly cancelledSweeps = new Set<string>();
  private readonly counters;

  constructor(
    private readonly nats: NatsHandles,
    private readonly opts: AgentOptions,
  ) {
    this.pool = this.newPool();
    this.counters = opts.prom && {
      finished: opts.prom.counter('credo_agent_trials_total', 'attempts finished by this agent, by status'),
      running: opts.prom.gauge('credo_agent_trials_running', 'trials held by this agent'),
    };
  }

  private newPool(): TrialPool {
    return new TrialPool({ workers: this.opts.workers, ...(this.opts.maxMemoryMb ? { maxMemoryMb: this.opts.maxMemoryMb } : {}) });
  }

  /** The pool for the next trial: a fresh one every `recycleAfter` trials; the old one closes once its trials are done. */
  private poolForNextTrial(): TrialPool {
    const limit = this.opts.recycleAfter ?? DEFAULT_RECYCLE_AFTER;
    if (limit > 0 && this.poolRuns >= limit) {
      const old = this.pool;
      this.pool = this.newPool();
      this.poolRuns = 0;
      const closing: Promise<void> = (async () => {
        while (old.running > 0) await sleep(100);
        await old.close();
      })().catch((e: unknown) => this.opts.log.warn('closing a replaced trial pool failed', { error: e })).finally(() => this.retiring.delete(closing));
      this.retiring.add(closing);
    }
    this.poolRuns++;
    return this.pool;
  }

  get slots(): number {
    return this.opts.slots || this.opts.workers;
  }

  /** Pulls and runs trials until {@link drain} is called. */
  async run(): Promise<void> {
    const sub = this.nats.nc.subscribe(TOPOLOGY.cancelSubject, {
      callback: (_e, m) => {
        const sweepId = m.string();
        this.cancelledSweeps.add(sweepId);
        for (const r of this.running.values()) if (r.sweepId === sweepId) r.abort.abort();
      },
    });
    const consumer = await this.nats.js.consumers.get(TOPOLOGY.trialsStream, TOPOLOGY.workersConsumer);
    const inFlight = new Set<Promise<void>>();
    // Pull in batches: one pull per freed slot would cost a round trip per trial (a ceiling of
    // ~1000 short trials/s); pulling once half the slots are free keeps the other half running.
    const pullAt = Math.max(1, Math.floor(this.slots / 2));
    while (!this.draining) {
      const free = this.slots - inFlight.size;
      if (free < pullAt && inFlight.size > 0) {
        await Promise.race(inFlight);
        continue;
      }
      try {
        const batch = await consumer.fetch({ max_messages: free, expires: 1000 });
        for await (const m of batch) {
          if (this.draining) {
            m.nak();
            continue;
          }
          const p: Promise<void> = this.handle(m).finally(() => inFlight.delete(p));
          inFlight.add(p);
        }
      } catch (e) {
        // The iteration itself can fail ("heartbeats missed" under CPU starvation, a NATS restart):
        // the messages that did arrive are being handled; fetch again.
        this.opts.log.warn('fetch failed; retrying', { error: e });
        await sleep(500);
      }
    }
    await Promise.allSettled(inFlight);
    sub.unsubscribe();
  }

  /** Stops pulling; running trials get `graceSec` to finish, then are released to other agents. */
  async drain(graceSec: number): Promise<void> {
    this.draining = true;
    const deadline = setTimeout(() => {
      for (const r of this.running.values()) r.abort.abort('drain');
    }, graceSec * 1000);
    while (this.running.size > 0) await sleep(50);
    clearTimeout(deadline);
    await Promise.all([this.pool.close(), ...this.retiring]);
  }

  private async handle(m: JsMsg): Promise<void> {
    let trial: Trial;
    let config: TrialConfig;
    try {
      trial = TrialCodec.decode(m.data);
      config = JSON.parse(trial.configJson) as TrialConfig;
    } catch (e) {
      // A malformed message can never succeed: remove it instead of redelivering it forever.
      this.opts.log.error('dropping malformed trial message', { seq: m.seq, error: e });
      m.term();
      return;
    }
    const delivery = m.info.deliveryCount;
    const attempt = trial.attemptBase + delivery;
    const base = { sweepId: trial.sweepId, trialKey: trial.trialKey, attempt, worker: this.opts.id, configKey: trial.configKey, configJson: trial.configJson, paramsJson: trial.paramsJson, index: trial.index };
    if (this.cancelledSweeps.has(trial.sweepId)) {
      await this.finish(m, { ...base, status: 'cancelled', error: 'sweep cancelled', durationMs: 0, metricBatches: 0, final: true, points: [] });
      return;
    }
    if (delivery > trial.maxAttempts) {
      // Every earlier attempt died with its agent (e.g. the trial kills the process): stop here.
      await this.finish(m, { ...base, status: 'failed', error: `attempt limit ${trial.maxAttempts} reached: earlier attempts ended without a result (agent or thread died)`, durationMs: 0, metricBatches: 0, final: true, points: [] });
      return;
    }
    const abort = new AbortController();
    this.running.set(`${trial.sweepId}/${trial.trialKey}`, { sweepId: trial.sweepId, abort });
    this.counters?.running.set(this.running.size);
    const heartbeat = setInterval(() => m.working(), TRIAL_ACK_WAIT_MS / 3);
    let seq = 0;
    const publishes: Promise<unknown>[] = [];
    const publish = (points: MetricPoint[]): void => {
      const batch = MetricBatchCodec.encode({
        sweepId: trial.sweepId, trialKey: trial.trialKey, attempt, seq: seq++,
        points: points.map(wirePoint),
      });
      const sent = this.nats.js.publish(subjects.metrics(trial.sweepId), batch, { msgID: `${trial.sweepId}.${trial.trialKey}.${attempt}.${seq - 1}` });
      // Awaited (and its failure handled) once the trial ends; until then it must not count as unhandled.
      sent.catch(() => {});
      publishes.push(sent);
    };
    // The latest batch is held back until the next one arrives (or HOLD_MS pass), so that the
    // last one travels in the TrialResult: a short trial (one batch) then costs one publish
    // instead of two, and a long trial's points still show up within HOLD_MS.
    let held: MetricPoint[] | undefined;
    let holdTimer: NodeJS.Timeout | undefined;
    const release = (): void => {
      clearTimeout(holdTimer);
      if (held) publish(held);
      held = undefined;
    };
    const onMetrics = (points: MetricPoint[]): void => {
      release();
      held = points;
      holdTimer = setTimeout(release, HOLD_MS);
    };
    let r: TrialRunResult;
    try {
      r = await this.poolForNextTrial().run(config, { onMetrics, signal: abort.signal, timeoutSec: config.train?.timeoutSec ?? 0 });
      // From here on what is held goes with the result; the timer must not publish it as well.
      clearTimeout(holdTimer);
      await Promise.all(publishes);
    } catch (e) {
      // Metrics could not be made durable: let another attempt redo the trial.
      this.opts.log.warn('metric publish failed; releasing trial', { sweep: trial.sweepId, trial: trial.trialKey, error: e });
      m.nak(retryBackoffMs(1));
      return;
    } finally {
      clearTimeout(holdTimer);
      clearInterval(heartbeat);
      this.running.delete(`${trial.sweepId}/${trial.trialKey}`);
      this.counters?.running.set(this.running.size);
    }
    if (r.status === 'cancelled' && this.draining && !this.cancelledSweeps.has(trial.sweepId)) {
      m.nak();
      return;
    }
    const retry = (r.status === 'failed' || r.status === 'timeout') && delivery < trial.maxAttempts;
    const points = (held ?? []).map(wirePoint);
    const result: TrialResult = { ...base, status: r.status, error: r.error ?? '', durationMs: r.durationMs, metricBatches: seq, final: !retry, points };
    this.counters?.finished.inc({ status: r.status });
    if (retry) {
      await this.publishResult(result);
      m.nak(retryBackoffMs(delivery));
      this.opts.log.warn('attempt failed; will retry', { sweep: trial.sweepId, trial: trial.trialKey, attempt, error: r.error });
      return;
    }
    await this.finish(m, result);
  }

  private async publishResult(r: TrialResult): Promise<void> {
    await this.nats.js.publish(subjects.results(r.sweepId), TrialResultCodec.encode(r), { msgID: `${r.sweepId}.${r.trialKey}.${r.attempt}.${r.final ? 'f' : 'a'}` });
  }

  /** Result first, durably; only then the ack. A crash in between re-runs the trial, and storage collapses the duplicate. */
  private async finish(m: JsMsg, r: TrialResult): Promise<void> {
    try {
      await this.publishResult(r);
    } catch (e) {
      this.opts.log.warn('result publish failed; releasing trial', { sweep: r.sweepId, trial: r.trialKey, error: e });
      m.nak(1000);
      return;
    }
    // A plain ack, not a confirmed one: the result is already durable, and an ack that gets lost
    // only means the trial runs again after its lease (storage is idempotent). Confirming it
    // would cost a request per trial on the agent's busiest thread.
    m.ack();
  }
}

/** A metric point as MetricBatch and TrialResult carry it. */
function wirePoint(p: MetricPoint): WireMetricPoint {
  return { name: p.name, step: p.step, value: p.value, timeMs: p.time };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

