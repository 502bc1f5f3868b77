import { EventEmitter } from 'node:events';
import { canonicalJson, CredoError, type Catalog, type Logger } from '@credo/core';
import {
  ensureTopology, subjects, sweepsKv, TOPOLOGY, TrialCodec, TrialResultCodec,
  type NatsHandles, type SweepStatus, type Trial,
} from '@credo/proto';
import { parseSweep, type Sweep } from '@credo/spec';
import type { KV } from '@nats-io/kv';
import { SweepProgress, type StoredSweep } from './sweep-progress.js';

export interface CoordinatorOptions {
  /** Trials published but not finished, per sweep: bounds the queue and this process's memory. */
  readonly window: number;
  readonly defaultMaxAttempts: number;
  readonly log: Logger;
}

interface Live {
  progress: SweepProgress;
  sweep: Sweep;
  revision: number;
  /** Indices below the cursor to publish (again) before dispatching further: after a start, or a RetryFailed round. */
  republish: number[];
  wake: () => void;
  loop: Promise<void> | undefined;
}

/** A publish that failed part-way: which of its trials JetStream did store. */
class PublishError extends Error {
  constructor(readonly acked: ReadonlySet<number>, override readonly cause: unknown) {
    super(`publishing trials failed: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** Back-off between dispatch attempts while NATS is unreachable. */
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5000;

/** Published-but-unacknowledged publishes kept in flight while dispatching (stack.md §2: ~1000 is the sweet spot). */
const PUBLISH_WINDOW = 512;

/**
 * The coordinator's state machine. Everything that must survive a crash lives in NATS: sweep
 * state (spec, cursor, retry round) in JetStream KV, progress in the RESULTS stream, queued
 * trials in the TRIALS work queue. On start it replays RESULTS to rebuild progress, re-publishes
 * what may have been lost between a publish and a cursor update (JetStream drops duplicates by
 * message id), and resumes dispatching every running sweep in bounded windows.
 *
 * @example
 * ```ts
 * const c = new Coordinator(nats, defaultCatalog(), { window: 2000, defaultMaxAttempts: 3, log });
 * await c.start();
 * const status = await c.submit(yamlText, 'sweep.yaml', 0);
 * ```
 */
export class Coordinator {
  private kv!: KV;
  private readonly live = new Map<string, Live>();
  private readonly events = new EventEmitter();
  private stopped = false;
  private follower: Promise<void> | undefined;
  private stopFollower: (() => void) | undefined;

  constructor(
    private readonly nats: NatsHandles,
    private readonly catalog: Catalog,
    private readonly opts: CoordinatorOptions,
  ) {
    this.events.setMaxListeners(0);
  }

  async start(): Promise<void> {
    await ensureTopology(this.nats);
    this.kv = await sweepsKv(this.nats);
    for await (const id of await this.kv.keys()) {
      const e = await this.kv.get(id);
      if (!e || e.operation !== 'PUT') continue;
      const stored = e.json<StoredSweep>();
      this.live.set(id, this.makeLive(stored, e.revision));
    }
    await this.followResults();
    for (const l of this.live.values()) {
      if (l.progress.stored.state === 'running') {
        // Trials published before a crash may have been lost with it; JetStream drops the rest by message id.
        l.republish = l.progress.pendingBelowCursor();
        // The sweep record may not have reached the stream if the last coordinator died right after creating the sweep.
        await this.publishSweepRecord(l);
      }
      this.ensureLoop(l);
    }
    this.opts.log.info('coordinator started', { sweeps: this.live.size });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopFollower?.();
    for (const l of this.live.values()) l.wake();
    await Promise.allSettled([...this.live.values()].map((l) => l.loop));
    await this.follower?.catch(() => {});
  }

  private makeLive(stored: StoredSweep, revision: number): Live {
    const sweep = parseSweep(stored.yaml, this.catalog, { source: stored.sourceName });
    return { progress: new SweepProgress(stored), sweep, revision, republish: [], wake: () => {}, loop: undefined };
  }

  /** Validates with the same validator as local mode; an existing sweep with the same spec is returned as is. */
  async submit(yaml: string, sourceName: string, maxAttempts: number): Promise<{ status: SweepStatus; existing: boolean }> {
    const sweep = parseSweep(yaml, this.catalog, { source: sourceName || undefined });
    const existing = this.live.get(sweep.id);
    if (existing) {
      if (existing.progress.stored.specHash !== sweep.specHash) {
        throw new CredoError('SPEC_INVALID', 'a sweep with this name exists with a different spec; rename the sweep or cancel the old one', { field: 'name', value: sweep.id });
      }
      return { status: existing.progress.status(), existing: true };
    }
    const now = Date.now();
    const stored: StoredSweep = {
      id: sweep.id, name: sweep.name, yaml, sourceName, specHash: sweep.specHash, total: sweep.count, cursor: 0,
      state: sweep.count > 0 ? 'running' : 'done', maxAttempts: maxAttempts || this.opts.defaultMaxAttempts, retryRound: 0, createdMs: now, updatedMs: now,
    };
    let revision: number;
    try {
      revision = await this.kv.create(sweep.id, JSON.stringify(stored));
    } catch {
      // Another coordinator created it first: adopt its state, and its progress so far.
      const e = await this.kv.get(sweep.id);
      if (!e) throw new CredoError('INTERNAL', `sweep ${sweep.id} vanished while being created`);
      const theirs = e.json<StoredSweep>();
      if (theirs.specHash !== sweep.specHash) {
        throw new CredoError('SPEC_INVALID', 'a sweep with this name exists with a different spec; rename the sweep or cancel the old one', { field: 'name', value: sweep.id });
      }
      const l = this.makeLive(theirs, e.revision);
      // Results that the live follower passed before this sweep was known here: replay them.
      this.live.set(sweep.id, l);
      await this.replayResults(l);
      if (theirs.state === 'running') await this.publishSweepRecord(l);
      this.ensureLoop(l);
      this.changed(l);
      return { status: l.progress.status(), existing: true };
    }
    const l: Live = { progress: new SweepProgress(stored), sweep, revision, republish: [], wake: () => {}, loop: undefined };
    await this.publishSweepRecord(l);
    this.live.set(sweep.id, l);
    this.ensureLoop(l);
    this.opts.log.info('sweep submitted', { sweep: sweep.id, trials: sweep.count });
    this.changed(l);
    return { status: l.progress.status(), existing: false };
  }

  get(id: string): SweepStatus {
    return this.require(id).progress.status();
  }

  list(): SweepStatus[] {
    return [...this.live.values()].map((l) => l.progress.status()).sort((a, b) => b.createdMs - a.createdMs);
  }

  /** Calls `on` with every status change of the sweep until the returned function is called. */
  watch(id: string, on: (s: SweepStatus) => void): () => void {
    const l = this.require(id);
    on(l.progress.status());
    const h = (sid: string): void => {
      if (sid === id) on(l.progress.status());
    };
    this.events.on('changed', h);
    return () => this.events.off('changed', h);
  }

  async cancel(id: string): Promise<SweepStatus> {
    const l = this.require(id);
    if (l.progress.stored.state !== 'running') return l.progress.status();
    await this.updateStored(l, (s) => ({ ...s, state: 'cancelled' }));
    // Queued trials go; running ones are stopped by their agents.
    await this.nats.jsm.streams.purge(TOPOLOGY.trialsStream, { filter: subjects.trials(id) });
    this.nats.nc.publish(TOPOLOGY.cancelSubject, id);
    l.wake();
    this.changed(l);
    this.opts.log.info('sweep cancelled', { sweep: id });
    return l.progress.status();
  }

  async retryFailed(id: string): Promise<{ status: SweepStatus; requeued: number }> {
    const l = this.require(id);
    const indices = l.progress.retryable();
    if (indices.length === 0) return { status: l.progress.status(), requeued: 0 };
    await this.updateStored(l, (s) => ({ ...s, retryRound: s.retryRound + 1, state: 'running' }));
    l.progress.reset(indices);
    // Published by the dispatch loop, which retries while NATS is away.
    l.republish.push(...indices);
    this.ensureLoop(l);
    l.wake();
    this.changed(l);
    this.opts.log.info('failed trials requeued', { sweep: id, trials: indices.length, round: l.progress.stored.retryRound });
    return { status: l.progress.status(), requeued: indices.length };
  }

  private require(id: string): Live {
    const l = this.live.get(id);
    if (!l) throw new CredoError('NOT_FOUND', 'no such sweep', { field: 'sweep_id', value: id, allowed: [...this.live.keys()].join(', ') || 'none submitted yet' });
    return l;
  }

  /** Compare-and-set on the KV entry; on a conflict (another coordinator) re-read, merge and retry. */
  private async updateStored(l: Live, f: (s: StoredSweep) => StoredSweep): Promise<void> {
    for (let tries = 0; ; tries++) {
      const next = { ...f(l.progress.stored), updatedMs: Date.now() };
      try {
        l.revision = await this.kv.update(next.id, JSON.stringify(next), l.revision);
        l.progress.stored = next;
        return;
      } catch (e) {
        if (tries > 20) throw e;
        const cur = await this.kv.get(next.id);
        if (!cur) throw e;
        const theirs = cur.json<StoredSweep>();
        l.revision = cur.revision;
        // Never move the cursor back and never revive a cancelled sweep.
        l.progress.stored = { ...theirs, cursor: Math.max(theirs.cursor, l.progress.stored.cursor), state: theirs.state === 'cancelled' ? 'cancelled' : theirs.state };
      }
    }
  }

  private trialMessage(l: Live, index: number): Trial {
    const t = l.sweep.at(index);
    const s = l.progress.stored;
    return {
      sweepId: s.id, trialKey: t.key, configKey: t.configKey, index, configJson: canonicalJson(t.config), paramsJson: JSON.stringify(t.params),
      maxAttempts: s.maxAttempts, attemptBase: s.retryRound * s.maxAttempts, specHash: s.specHash,
    };
  }

  /**
   * Publishes the trials with ids that JetStream deduplicates. On failure throws a
   * {@link PublishError} naming the trials that were stored, so that a retry sends only the
   * others: after a NATS restart the server remembers only the ids of messages still in the
   * work queue, so re-sending a trial that was already consumed would run it twice.
   */
  private async publish(l: Live, indices: Iterable<number>): Promise<void> {
    const s = l.progress.stored;
    const pending = new Set<Promise<unknown>>();
    const acked = new Set<number>();
    let failed: unknown;
    for (const i of indices) {
      if (failed !== undefined) break;
      const msg = this.trialMessage(l, i);
      const p = this.nats.js.publish(subjects.trials(s.id), TrialCodec.encode(msg), { msgID: `${s.id}.${msg.trialKey}.${s.retryRound}` }).then(
        () => void acked.add(i),
        (e: unknown) => void (failed ??= e),
      );
      pending.add(p);
      void p.finally(() => pending.delete(p));
      if (pending.size >= PUBLISH_WINDOW) await Promise.race(pending);
    }
    await Promise.all(pending);
    if (failed !== undefined) throw new PublishError(acked, failed);
  }

  private async publishSweepRecord(l: Live): Promise<void> {
    const { sweep } = l;
    const s = l.progress.stored;
    await this.nats.js.publish(subjects.sweeps(sweep.id), JSON.stringify({
      id: sweep.id, name: sweep.name, description: sweep.description, specHash: sweep.specHash, spec: sweep.spec, count: sweep.count,
      createdMs: s.createdMs, updatedMs: s.createdMs,
    }), { msgID: `sweep.${sweep.id}.${sweep.specHash}` });
  }

  private ensureLoop(l: Live): void {
    if (l.loop) return;
    l.loop = this.dispatchLoop(l)
      .catch((e) => this.opts.log.error('dispatch loop failed', { sweep: l.progress.stored.id, error: e }))
      .finally(() => {
        l.loop = undefined;
      });
  }

  /**
   * Runs {@link dispatchStep} until the sweep ends. A failure (NATS restarting, a KV conflict
   * storm) is retried with back-off: a dispatch loop that died would leave the sweep stalled
   * until the next coordinator start.
   */
  private async dispatchLoop(l: Live): Promise<void> {
    let delay = RETRY_MIN_MS;
    while (!this.stopped) {
      try {
        if (!(await this.dispatchStep(l))) return;
        delay = RETRY_MIN_MS;
      } catch (e) {
        if (this.stopped) return;
        this.opts.log.warn('dispatch failed; retrying', { sweep: l.progress.stored.id, retryInMs: delay, error: e });
        await sleep(delay);
        delay = Math.min(delay * 2, RETRY_MAX_MS);
      }
    }
  }

  /** One step of dispatching; false once the sweep is finished or cancelled. */
  private async dispatchStep(l: Live): Promise<boolean> {
    const s = l.progress.stored;
    if (s.state === 'cancelled') return false;
    if (l.republish.length > 0) {
      const batch = l.republish.splice(0);
      try {
        await this.publish(l, batch);
      } catch (e) {
        l.republish.unshift(...(e instanceof PublishError ? batch.filter((i) => !e.acked.has(i)) : batch));
        throw e;
      }
      this.opts.log.info('re-published unfinished trials (duplicates are dropped by message id)', { sweep: s.id, trials: batch.length });
      return true;
    }
    if (l.progress.finished >= s.total) {
      if (s.state === 'running') {
        await this.updateStored(l, (x) => ({ ...x, state: 'done' }));
        this.changed(l);
        this.opts.log.info('sweep finished', { sweep: s.id, ...l.progress.status() });
      }
      return false;
    }
    // Refill in chunks of a quarter window, not one trial per result: each refill is also a KV
    // write, and short trials finish by the thousand per second.
    const room = this.opts.window - l.progress.inFlight;
    const chunk = Math.min(Math.max(1, Math.floor(this.opts.window / 4)), s.total - s.cursor);
    if (s.cursor < s.total && room >= chunk) {
      const from = s.cursor;
      const to = Math.min(s.total, from + room);
      try {
        await this.publish(l, range(from, to));
      } catch (e) {
        // Move the cursor over the stored prefix, so that a retry does not send those again.
        let stored = from;
        while (e instanceof PublishError && e.acked.has(stored)) stored++;
        if (stored > from) await this.updateStored(l, (x) => ({ ...x, cursor: Math.max(x.cursor, stored) })).catch(() => {});
        throw e;
      }
      await this.updateStored(l, (x) => ({ ...x, cursor: Math.max(x.cursor, to) }));
      this.changed(l);
      return true;
    }
    await new Promise<void>((resolve) => {
      l.wake = resolve;
      // A safety net: progress also arrives through results, but never sleep forever.
      setTimeout(resolve, 5000).unref();
    });
    return true;
  }

  /** Replays RESULTS from the beginning (ordered consumer), then follows it live. */
  private async followResults(): Promise<void> {
    const info = await this.nats.jsm.streams.info(TOPOLOGY.resultsStream);
    const lastAtStart = info.state.last_seq;
    const consumer = await this.nats.js.consumers.get(TOPOLOGY.resultsStream);
    const messages = await consumer.consume({ max_messages: 5000 });
    this.stopFollower = () => void messages.close();
    let caughtUp!: () => void;
    const ready = new Promise<void>((r) => (caughtUp = r));
    if (lastAtStart === 0) caughtUp();
    this.follower = (async () => {
      for await (const m of messages) {
        try {
          const r = TrialResultCodec.decode(m.data);
          const l = this.live.get(r.sweepId);
          if (l && r.final && l.progress.apply(r.index, r.status, r.attempt)) {
            this.changed(l);
            l.wake();
          }
        } catch (e) {
          this.opts.log.warn('skipping malformed result', { seq: m.seq, error: e });
        }
        if (m.seq >= lastAtStart) caughtUp();
      }
    })();
    await ready;
  }

  /**
   * Applies the results of one sweep that are already in RESULTS: for a sweep adopted from
   * another coordinator after this one started, whose earlier results the follower skipped.
   * Applying a result twice changes nothing, so overlapping with the follower is harmless.
   */
  private async replayResults(l: Live): Promise<void> {
    const last = (await this.nats.jsm.streams.info(TOPOLOGY.resultsStream)).state.last_seq;
    if (last === 0) return;
    const id = l.progress.stored.id;
    const consumer = await this.nats.js.consumers.get(TOPOLOGY.resultsStream);
    const messages = await consumer.consume({ max_messages: 5000 });
    try {
      for await (const m of messages) {
        try {
          const r = TrialResultCodec.decode(m.data);
          if (r.sweepId === id && r.final) l.progress.apply(r.index, r.status, r.attempt);
        } catch {
          // the follower reports malformed results
        }
        if (m.seq >= last) break;
      }
    } finally {
      await messages.close();
    }
    l.wake();
  }

  private changed(l: Live): void {
    this.events.emit('changed', l.progress.stored.id);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function* range(from: number, to: number): Generator<number> {
  for (let i = from; i < to; i++) yield i;
}
