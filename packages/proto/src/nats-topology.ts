import { connect, nanos, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import {
  AckPolicy, DeliverPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType,
  type JetStreamClient, type JetStreamManager,
} from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { CredoError } from '@credo/core';

/**
 * The subjects, streams and consumers that credo's messages travel on: part of the wire
 * contract, like the .proto files, so that the coordinator, workers and ingester (which never
 * import each other) agree on them.
 *
 * - `CREDO_TRIALS` (work queue): `credo.trials.<sweep>` — one `Trial` per message; durable
 *   pull consumer `workers` shared by every agent (explicit ack, ack-wait lease, in-progress
 *   heartbeats, no delivery limit: attempts are counted by the workers against each sweep's limit).
 * - `CREDO_METRICS`: `credo.metrics.<sweep>` — `MetricBatch`; consumer `ingester`.
 * - `CREDO_RESULTS`: `credo.results.<sweep>` — `TrialResult`; consumer `ingester` (the coordinator
 *   replays it with an ordered consumer to rebuild progress after a restart).
 * - `CREDO_SWEEPS`: `credo.sweeps.<sweep>` — the sweep record (JSON) for the ingester.
 * - KV bucket `credo_sweeps`: sweep state (the coordinator's only memory that matters).
 * - core subject `credo.control.cancel`: tells agents to stop a sweep's running trials.
 */
export const TOPOLOGY = Object.freeze({
  trialsStream: 'CREDO_TRIALS',
  metricsStream: 'CREDO_METRICS',
  resultsStream: 'CREDO_RESULTS',
  sweepsStream: 'CREDO_SWEEPS',
  workersConsumer: 'workers',
  ingesterConsumer: 'ingester',
  sweepsBucket: 'credo_sweeps',
  cancelSubject: 'credo.control.cancel',
  /** Re-published trials within this window are dropped by JetStream (Nats-Msg-Id). */
  duplicateWindowMs: 30 * 60_000,
});

export const subjects = Object.freeze({
  trials: (sweepId: string): string => `credo.trials.${sweepId}`,
  metrics: (sweepId: string): string => `credo.metrics.${sweepId}`,
  results: (sweepId: string): string => `credo.results.${sweepId}`,
  sweeps: (sweepId: string): string => `credo.sweeps.${sweepId}`,
});

export interface NatsSettings {
  /** e.g. nats://127.0.0.1:4222 (several separated by commas). */
  readonly url: string;
  readonly user?: string;
  readonly password?: string;
  readonly token?: string;
  readonly name?: string;
}

export interface NatsHandles {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
}

/** Connects with credentials from configuration; the error never contains the password. */
export async function connectNats(s: NatsSettings): Promise<NatsHandles> {
  const opts: ConnectionOptions = {
    servers: s.url.split(',').map((u) => u.trim()),
    name: s.name ?? 'credo',
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    // Every request (a JetStream publish, a double ack) would otherwise build an Error up front
    // for its stack trace: ~10% of a busy worker agent's main thread.
    noAsyncTraces: true,
    ...(s.user ? { user: s.user, pass: s.password ?? '' } : {}),
    ...(s.token ? { token: s.token } : {}),
  };
  let nc: NatsConnection;
  try {
    nc = await connect(opts);
  } catch (e) {
    throw new CredoError('STORE_ERROR', `cannot connect to NATS at ${s.url}: ${(e as Error).message}`, { cause: e });
  }
  return { nc, js: jetstream(nc), jsm: await jetstreamManager(nc) };
}

/** Ack lease of a trial: a worker heartbeats at a third of it while the trial runs. */
export const TRIAL_ACK_WAIT_MS = 30_000;
/** Lease of an ingester batch: long enough for a slow insert, short enough to recover after a crash. */
export const INGEST_ACK_WAIT_MS = 60_000;

/**
 * Creates the streams, consumers and KV bucket if they are missing; safe to call from every
 * process at start (idempotent), so no start order is required.
 */
export async function ensureTopology(h: NatsHandles): Promise<void> {
  const streams: Array<[string, string, RetentionPolicy]> = [
    [TOPOLOGY.trialsStream, 'credo.trials.>', RetentionPolicy.Workqueue],
    [TOPOLOGY.metricsStream, 'credo.metrics.>', RetentionPolicy.Limits],
    [TOPOLOGY.resultsStream, 'credo.results.>', RetentionPolicy.Limits],
    [TOPOLOGY.sweepsStream, 'credo.sweeps.>', RetentionPolicy.Limits],
  ];
  for (const [name, subject, retention] of streams) {
    try {
      await h.jsm.streams.info(name);
    } catch {
      await h.jsm.streams.add({
        name,
        subjects: [subject],
        retention,
        storage: StorageType.File,
        duplicate_window: nanos(TOPOLOGY.duplicateWindowMs),
      });
    }
  }
  const consumers: Array<[string, string, number]> = [
    [TOPOLOGY.trialsStream, TOPOLOGY.workersConsumer, TRIAL_ACK_WAIT_MS],
    [TOPOLOGY.metricsStream, TOPOLOGY.ingesterConsumer, INGEST_ACK_WAIT_MS],
    [TOPOLOGY.resultsStream, TOPOLOGY.ingesterConsumer, INGEST_ACK_WAIT_MS],
    [TOPOLOGY.sweepsStream, TOPOLOGY.ingesterConsumer, INGEST_ACK_WAIT_MS],
  ];
  for (const [stream, durable, ackWait] of consumers) {
    try {
      await h.jsm.consumers.info(stream, durable);
    } catch {
      await h.jsm.consumers.add(stream, {
        durable_name: durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: nanos(ackWait),
        max_deliver: -1,
        max_ack_pending: 100_000,
      });
    }
  }
}

/** The sweep-state bucket (history 1: only the latest state matters; revisions give compare-and-set). */
export async function sweepsKv(h: NatsHandles): Promise<KV> {
  return new Kvm(h.nc).create(TOPOLOGY.sweepsBucket, { history: 1 });
}
