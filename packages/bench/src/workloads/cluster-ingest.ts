import { connectNats, MetricBatchCodec, subjects } from '@credo/proto';
import { clickhouseClient } from '@credo/testing';
import { median, now } from '../record.js';
import type { BenchContext, Workload } from '../workload.js';
import { cpuSecondsOf, startBenchCluster, until } from './cluster-common.js';

/** Points per MetricBatch: what a trial's MetricSink sends at most per flush (512). */
const POINTS_PER_BATCH = 500;
const NAMES = ['train/loss', 'test/error', 'test/loss', 'angle/fa_bp/h1', 'angle/fa_bp/h2', 'norm/W1', 'norm/W2', 'norm/W3', 'lr', 'epoch'];

/**
 * Metric rows/s from worker agents to ClickHouse: `MetricBatch` messages of 500 points, as a
 * trial's MetricSink flushes them, published to JetStream with message ids the way an agent
 * publishes them, drained by the ingester into ClickHouse; timed from the first publish until
 * ClickHouse counts every row (impl `credo`). Next to it, in the same run, the same rows as
 * TabSeparated through the native `clickhouse-client` into the same table (impl
 * `clickhouse-client`, process start included).
 *
 * @example
 * ```sh
 * npm run bench -- --only cluster_ingest
 * ```
 */
export const clusterIngestWorkload: Workload = {
  name: 'cluster_ingest',
  description: 'metric rows/s from worker MetricBatches through JetStream and the ingester into ClickHouse, vs native clickhouse-client',
  async run(ctx: BenchContext) {
    const rows = ctx.quick ? 200_000 : 1_000_000;
    const reps = ctx.quick ? 1 : 3;
    const cluster = await startBenchCluster({ ingester: true, coordinatorArgs: false });
    const nats = await connectNats({ url: cluster.nats.url, name: 'credo-bench-publisher' });
    const ch = cluster.clickhouse!;
    const count = async (sweepId: string): Promise<number> => Number((await cluster.ro!.query(`SELECT count() FROM metrics WHERE sweep_id = '${sweepId}'`)).rows[0]![0]);
    try {
      await ingestOnce(`warmup`, 50_000);
      const credo: number[] = [];
      const native: number[] = [];
      for (let r = 0; r < reps; r++) {
        const procs = { ingester: cluster.ingester?.pid, nats: cluster.nats.pid, clickhouse: ch.pid };
        const cpu0 = Object.fromEntries(Object.entries(procs).map(([k, pid]) => [k, cpuSecondsOf(pid) ?? 0]));
        const seconds = await ingestOnce(`ingest-${r}`, rows);
        const cpu = Object.fromEntries(Object.entries(procs).map(([k, pid]) => [k, Math.round(((cpuSecondsOf(pid) ?? 0) - cpu0[k]!) / seconds * 100) / 100]));
        credo.push(rows / seconds);
        const tsv = tsvRows(`native-${r}`, rows);
        const t0 = now();
        await clickhouseClient(ch, 'INSERT INTO credo.metrics (sweep_id, trial_key, attempt, name, step, value, time_ms) FORMAT TabSeparated', tsv);
        const nativeSeconds = now() - t0;
        if ((await count(`native-${r}`)) !== rows) throw new Error('clickhouse-client inserted a different number of rows');
        native.push(rows / nativeSeconds);
        ctx.log(`rep ${r}: credo ${(rows / seconds).toFixed(0)} rows/s (cores used ${JSON.stringify(cpu)}), clickhouse-client ${(rows / nativeSeconds).toFixed(0)} rows/s`);
      }
      const c = median(credo);
      const n = median(native);
      ctx.emit({
        workload: 'cluster_ingest', impl: 'credo', params: { rows, points_per_batch: POINTS_PER_BATCH, path: 'JetStream CREDO_METRICS → ingester (wire scan) → ClickHouse HTTP (RowBinary)' },
        metric: 'rows_per_s', value: Math.round(c), unit: 'rows/s', reps, samples: credo.map(Math.round), ratio_to_native: Math.round((c / n) * 1000) / 1000,
      });
      ctx.emit({
        workload: 'cluster_ingest', impl: 'clickhouse-client', params: { rows, format: 'TabSeparated', protocol: 'native' },
        metric: 'rows_per_s', value: Math.round(n), unit: 'rows/s', reps, samples: native.map(Math.round),
      });
    } finally {
      await nats.nc.close();
      await cluster.stop();
    }

    /** Publishes `n` rows as MetricBatches (256 publishes in flight) and waits until ClickHouse has them all. */
    async function ingestOnce(sweepId: string, n: number): Promise<number> {
      const messages = batches(sweepId, n);
      const t0 = now();
      const inFlight = new Set<Promise<unknown>>();
      for (const { data, id } of messages) {
        const p = nats.js.publish(subjects.metrics(sweepId), data, { msgID: id });
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
        if (inFlight.size >= 256) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
      await until(async () => (await count(sweepId)) >= n, 600_000, `${n} rows of ${sweepId} in ClickHouse`, 50);
      return now() - t0;
    }
  },
};

/** Trial i has POINTS_PER_BATCH points: NAMES × steps. */
function point(i: number): { trial: string; name: string; step: number; value: number } {
  const t = Math.floor(i / POINTS_PER_BATCH);
  const j = i % POINTS_PER_BATCH;
  return { trial: `t${t.toString(16).padStart(8, '0')}`, name: NAMES[j % NAMES.length]!, step: Math.floor(j / NAMES.length) * 10, value: Math.sin(i) };
}

function batches(sweepId: string, rows: number): Array<{ data: Uint8Array; id: string }> {
  const out: Array<{ data: Uint8Array; id: string }> = [];
  const time = Date.now();
  for (let start = 0; start < rows; start += POINTS_PER_BATCH) {
    const points = [];
    for (let i = start; i < Math.min(rows, start + POINTS_PER_BATCH); i++) {
      const p = point(i);
      points.push({ name: p.name, step: p.step, value: p.value, timeMs: time });
    }
    const trialKey = point(start).trial;
    out.push({ data: MetricBatchCodec.encode({ sweepId, trialKey, attempt: 1, seq: 0, points }), id: `${sweepId}.${trialKey}.1.0` });
  }
  return out;
}

function tsvRows(sweepId: string, rows: number): string {
  const time = Date.now();
  const lines: string[] = [];
  for (let i = 0; i < rows; i++) {
    const p = point(i);
    lines.push(`${sweepId}\t${p.trial}\t1\t${p.name}\t${p.step}\t${p.value}\t${time}\n`);
  }
  return lines.join('');
}
