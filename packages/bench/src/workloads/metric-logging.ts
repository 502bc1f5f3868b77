import { MessageChannel, Worker } from 'node:worker_threads';
import { median } from '../record.js';
import type { BenchContext, Workload } from '../workload.js';

/** A training step of about half a millisecond here: MLP 256-512-10, batch 16, bp, plain SGD. */
const SHAPE = { inputs: 256, hidden: 512, outputs: 10, batch: 16 };
const HZ = 1000;

/**
 * Promise 4 (logging never blocks training), measured: the time of a training step in a worker
 * thread with 1 kHz scalar logging (a `train/loss` point after the first step of every
 * millisecond) through MetricSink and a MessagePort to the main thread — the path a trial's metrics take in the pool — against the
 * same steps without logging. Blocks of ~0.5 s alternate, 20 pairs (6 with --quick); the value
 * is the median over pairs of with / without − 1 (adjacent blocks, so that drift cancels).
 *
 * @example
 * ```sh
 * npm run bench -- --only metric_logging_overhead
 * ```
 */
export const metricLoggingWorkload: Workload = {
  name: 'metric_logging_overhead',
  description: 'training-step time with 1 kHz scalar logging through MetricSink and the pool port, vs without',
  async run(ctx: BenchContext) {
    const pairs = ctx.quick ? 6 : 20;
    const { port1, port2 } = new MessageChannel();
    let received = 0;
    port1.on('message', (m: { points: unknown[] }) => (received += m.points.length));
    const worker = new Worker(new URL('./metric-logging-thread.js', import.meta.url), { workerData: { port: port2, ...SHAPE }, transferList: [port2] });
    const replies: Array<(m: { seconds: number; emitted: number }) => void> = [];
    worker.on('message', (m: { ready?: boolean; seconds: number; emitted: number }) => {
      if (!m.ready) replies.shift()?.(m);
    });
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
    });
    const block = (steps: number, hz: number): Promise<{ seconds: number; emitted: number }> => new Promise((resolve) => {
      replies.push(resolve);
      worker.postMessage({ steps, hz });
    });
    try {
      // Calibrate: steps per ~0.5 s block.
      await block(200, 0);
      const probe = await block(500, 0);
      const steps = Math.max(100, Math.round(0.5 / (probe.seconds / 500)));
      const without: number[] = [];
      const withLog: number[] = [];
      let emitted = 0;
      let loggedSeconds = 0;
      for (let p = 0; p < pairs; p++) {
        // Alternate the order within pairs, so that drift in the machine's speed cancels.
        const order = p % 2 === 0 ? [0, HZ] : [HZ, 0];
        for (const e of order) {
          const r = await block(steps, e);
          (e === 0 ? without : withLog).push(r.seconds / steps);
          if (e > 0) {
            emitted += r.emitted;
            loggedSeconds += r.seconds;
          }
        }
      }
      await new Promise((r) => setTimeout(r, 300));
      const a = median(without);
      const b = median(withLog);
      const overhead = median(withLog.map((w, i) => w / without[i]! - 1));
      ctx.log(`step ${(a * 1e3).toFixed(3)} ms without, ${(b * 1e3).toFixed(3)} ms with ${HZ} Hz logging (${(emitted / loggedSeconds).toFixed(0)} points/s, ${received}/${emitted} received on the main thread): overhead ${(overhead * 100).toFixed(2)}% (median of paired ratios; ratio of medians ${((b / a - 1) * 100).toFixed(2)}%)`);
      ctx.emit({
        workload: 'metric_logging_overhead', impl: 'credo', params: { ...SHAPE, model: 'mlp', rule: 'bp', hz: HZ, steps_per_block: steps, pairs },
        metric: 'fraction', value: Math.round(overhead * 10_000) / 10_000, unit: '', reps: pairs,
        step_ms_without: Math.round(a * 1e6) / 1e3, step_ms_with: Math.round(b * 1e6) / 1e3, points_per_s: Math.round(emitted / loggedSeconds),
        samples_without_ms: without.map((s) => Math.round(s * 1e6) / 1e3), samples_with_ms: withLog.map((s) => Math.round(s * 1e6) / 1e3),
      });
    } finally {
      await worker.terminate();
      port1.close();
    }
  },
};
