import type { Logger, PromRegistry } from '@credo/core';
import { INGEST_ACK_WAIT_MS, scanMetricBatch, TOPOLOGY, TrialResultCodec, type NatsHandles } from '@credo/proto';
import { MetricBuffer, type ClickHouseIngestBatch, type ClickHouseTrialRow, type SweepRecord } from '@credo/store';
import type { JsMsg } from '@nats-io/jetstream';

/** Where the ingester writes: one insert per table per call, throwing on any failure. */
export interface IngestTarget {
  ingest(batch: ClickHouseIngestBatch): Promise<void>;
}

export interface IngesterOptions {
  readonly batchMessages: number;
  readonly maxBackoffMs: number;
  readonly log: Logger;
  readonly prom?: PromRegistry;
}

/** Rows per ClickHouse insert the ingester aims at. */
const TARGET_ROWS = 100_000;
/** Least time between two inserts of one stream while it trickles (see `pump`). */
const PACE_MS = 200;

/** One insert's rows, gathered message by message. */
interface Gathered {
  sweeps: SweepRecord[];
  trials: ClickHouseTrialRow[];
  metrics: MetricBuffer;
}

/**
 * Decodes one message into `into`; throwing means the message is malformed and is dropped. A
 * decoder adds nothing to `into` when it throws.
 */
type Decoder = (m: JsMsg, into: Gathered) => void;

// Straight from the wire into columns: no message object, no object per point (the hot path).
// What the store would refuse is refused here, per message: a batch insert that can never
// succeed would otherwise be retried forever and hold up every message behind it.
function checkPoint(name: string, step: number, timeMs: number): void {
  if (name === '' || timeMs < 0) throw new Error(`MetricPoint with an empty name or a negative time (${JSON.stringify({ name, step, timeMs })})`);
}

const decodeMetrics: Decoder = (m, into) => {
  const before = into.metrics.size;
  let sid = 0;
  try {
    scanMetricBatch(m.data, {
      header: (sweepId, trialKey, attempt) => {
        if (sweepId === '' || trialKey === '' || attempt < 1) throw new Error(`MetricBatch without sweep, trial or attempt (${JSON.stringify({ sweepId, trialKey, attempt })})`);
        sid = into.metrics.seriesId(sweepId, trialKey, attempt);
      },
      point: (name, step, value, timeMs) => {
        checkPoint(name, step, timeMs);
        into.metrics.add(sid, name, step, value, timeMs);
      },
    });
  } catch (e) {
    into.metrics.truncate(before);
    throw e;
  }
};

const decodeResults: Decoder = (m, into) => {
  const r = TrialResultCodec.decode(m.data);
  const config = JSON.parse(r.configJson) as unknown;
  const params = JSON.parse(r.paramsJson) as ClickHouseTrialRow['params'];
  for (const p of r.points) checkPoint(p.name, p.step, p.timeMs);
  if (r.points.length > 0) {
    // The attempt's last points travel with its result; the store writes them before the trial row.
    const sid = into.metrics.seriesId(r.sweepId, r.trialKey, r.attempt);
    for (const p of r.points) into.metrics.add(sid, p.name, p.step, p.value, p.timeMs);
  }
  into.trials.push({
    sweepId: r.sweepId, trialKey: r.trialKey, configKey: r.configKey, index: r.index, config, params,
    // An attempt that will be retried leaves the trial pending (with its error), so that a final
    // status in ClickHouse always means final: `failed` is never a failure about to be retried.
    status: (r.final ? r.status : 'pending') as ClickHouseTrialRow['status'], attempt: r.attempt, error: r.error, durationMs: r.durationMs, worker: r.worker,
    finishedMs: Number(m.info.timestampNanos / 1_000_000),
  });
};

const decodeSweeps: Decoder = (m, into) => {
  into.sweeps.push(m.json<SweepRecord>());
};

/**
 * Moves metrics, results and sweep records from JetStream into ClickHouse in large batches.
 * A batch is acknowledged only after its insert succeeded; while ClickHouse is down the same
 * batch is retried with exponential back-off and its messages stay leased (in-progress acks),
 * so nothing is lost and nothing is acknowledged early. Re-sent rows collapse in the
 * ReplacingMergeTree tables, which makes a redelivery after a crash harmless.
 *
 * @example
 * ```ts
 * const ing = new Ingester(nats, await openClickHouseStore(url), { batchMessages: 2000, maxBackoffMs: 10_000, log });
 * await ing.run(); // until ing.stop()
 * ```
 */
export class Ingester {
  private stopped = false;
  private readonly rows;
  private readonly lag;

  constructor(
    private readonly nats: NatsHandles,
    private readonly target: IngestTarget,
    private readonly opts: IngesterOptions,
  ) {
    this.rows = opts.prom?.counter('credo_ingest_rows_total', 'rows written to ClickHouse, by table');
    this.lag = opts.prom?.gauge('credo_ingest_lag_messages', 'messages waiting in JetStream, by stream');
  }

  async run(): Promise<void> {
    await Promise.all([
      this.pump(TOPOLOGY.metricsStream, decodeMetrics),
      this.pump(TOPOLOGY.resultsStream, decodeResults),
      this.pump(TOPOLOGY.sweepsStream, decodeSweeps),
    ]);
  }

  stop(): void {
    this.stopped = true;
  }

  private async pump(stream: string, decode: Decoder): Promise<void> {
    const consumer = await this.nats.js.consumers.get(stream, TOPOLOGY.ingesterConsumer);
    // Messages waiting behind the last one fetched (JetStream tells each delivery). A fetch ends
    // when it has all it asked for or after a second: asking for no more than is waiting keeps
    // a backlog moving without that second's wait per batch.
    let waiting = 0;
    // Rows per message of the last batch: a fetch asks for about TARGET_ROWS rows (stack.md §4:
    // ~100k-row inserts), so that 500-point MetricBatches make inserts of 200 messages, while
    // one-row results make inserts of up to batchMessages. The first guess is the large kind.
    let rowsPerMessage = 512;
    // One batch is written (then acknowledged) while the next is fetched and decoded. While a
    // write is failing (ClickHouse away) nothing more is leased: the next fetch waits for it.
    let previous: Promise<boolean> = Promise.resolve(true);
    const retrying = { now: false };
    let lastWrite = 0;
    while (!this.stopped) {
      if (retrying.now && !(await previous)) return;
      const msgs: JsMsg[] = [];
      try {
        const limit = Math.max(1, Math.min(this.opts.batchMessages, Math.ceil(TARGET_ROWS / rowsPerMessage)));
        // A stream that trickles (less than a full batch waiting) is written at most every
        // PACE_MS, so that a steady flow makes a few large inserts a second rather than one per
        // round trip: every insert is a new part that ClickHouse must merge, and at thousands of
        // short trials a second those merges took a fifth of the machine. Then ask how many wait.
        const since = Date.now() - lastWrite;
        if (waiting > 0 && waiting < limit && since < PACE_MS) {
          await sleep(PACE_MS - since);
          waiting = await consumer.info().then((i) => i.num_pending, () => waiting);
        }
        const want = waiting > 0 ? Math.min(limit, waiting) : limit;
        const it = await consumer.fetch({ max_messages: want, expires: 1000 });
        for await (const m of it) msgs.push(m);
      } catch (e) {
        // A fetch can fail after delivering part of its batch (e.g. "heartbeats missed" when this
        // process was starved of CPU). Those messages are leased to us: write them now, or they
        // would wait out their ack wait (a minute) before anyone could write them.
        this.opts.log.warn('fetch failed; retrying', { stream, received: msgs.length, error: e });
        if (msgs.length === 0) {
          await sleep(500);
          continue;
        }
      }
      waiting = msgs.at(-1)?.info.pending ?? 0;
      if (msgs.length === 0) continue;
      const batch: Gathered = { sweeps: [], trials: [], metrics: new MetricBuffer() };
      const good: JsMsg[] = [];
      for (const m of msgs) {
        try {
          decode(m, batch);
          good.push(m);
        } catch (e) {
          this.opts.log.error('dropping malformed message', { stream, seq: m.seq, error: e });
          m.term();
        }
      }
      if (good.length > 0) rowsPerMessage = Math.max(1, (batch.metrics.size + batch.trials.length + batch.sweeps.length) / good.length);
      // If the previous write turns into a retry loop, this batch waits leased, not given up.
      const keepLeased = setInterval(() => {
        for (const m of good) m.working();
      }, INGEST_ACK_WAIT_MS / 3);
      const ok = await previous.finally(() => clearInterval(keepLeased));
      if (!ok) return;
      const lag = waiting;
      lastWrite = Date.now();
      previous = this.write(stream, batch, good, retrying).then((ok) => {
        if (!ok) return false;
        for (const m of good) m.ack();
        this.rows?.inc({ table: 'metrics' }, batch.metrics.size);
        this.rows?.inc({ table: 'trials' }, batch.trials.length);
        this.rows?.inc({ table: 'sweeps' }, batch.sweeps.length);
        this.lag?.set(lag, { stream });
        return true;
      });
    }
    await previous;
  }

  /** Retries one insert until it succeeds (true) or the ingester stops (false: messages are redelivered later). */
  private async write(stream: string, batch: ClickHouseIngestBatch, leased: readonly JsMsg[], retrying: { now: boolean }): Promise<boolean> {
    let delay = 250;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.target.ingest(batch);
        if (attempt > 1) this.opts.log.info('insert succeeded after retries', { stream, attempts: attempt });
        retrying.now = false;
        return true;
      } catch (e) {
        retrying.now = true;
        this.opts.log.warn('insert failed; keeping the batch and retrying', { stream, attempt, retryInMs: delay, error: e });
        if (this.stopped) return false;
        // Keep the lease while we wait, so JetStream does not hand the batch to another ingester meanwhile.
        for (const m of leased) m.working();
        await sleep(delay);
        delay = Math.min(delay * 2, this.opts.maxBackoffMs);
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
