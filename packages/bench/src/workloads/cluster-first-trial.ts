import { connectNats, subjects } from '@credo/proto';
import { now } from '../record.js';
import type { BenchContext, Workload } from '../workload.js';
import { noopSweepYaml, rssBytes, sleep, startBenchCluster, submit, until } from './cluster-common.js';

const SWEEP_TRIALS = 10_000_000;

/**
 * Promise 3 (lazy expansion, memory bounded by the in-flight window), measured: a 10⁷-trial
 * sweep of no-op trials is submitted to a coordinator with the default window (2000); reported
 * are the seconds from SubmitSweep to the first trial started (its first TrialResult, so an
 * upper bound: the no-op trial's own run and the result's publish are included)
 * [`cluster_first_trial`], and the coordinator's RSS once 10⁵ trials have been dispatched —
 * which, with the window, means ~98,000 of them have finished [`coordinator_rss`].
 *
 * @example
 * ```sh
 * npm run bench -- --only cluster_first_trial
 * ```
 */
export const clusterFirstTrialWorkload: Workload = {
  name: 'cluster_first_trial',
  description: '10^7-trial sweep: seconds from SubmitSweep to the first trial, and coordinator RSS after 10^5 trials dispatched',
  async run(ctx: BenchContext) {
    const dispatchedTarget = ctx.quick ? 20_000 : 100_000;
    const cluster = await startBenchCluster({});
    const nats = await connectNats({ url: cluster.nats.url, name: 'credo-bench-observer' });
    try {
      await cluster.startWorker(['--id', 'bench', '--workers', '2', '--slots', '64']);
      const sweepId = 'huge';
      let firstDispatch = NaN;
      let firstResult = NaN;
      const t0 = now();
      nats.nc.subscribe(subjects.trials(sweepId), { max: 1, callback: () => void (firstDispatch = now() - t0) });
      nats.nc.subscribe(subjects.results(sweepId), { max: 1, callback: () => void (firstResult = now() - t0) });
      await nats.nc.flush();
      const rssBefore = rssBytes(cluster.coordinator!.pid);
      const start = now();
      const status = await submit(cluster.client!, noopSweepYaml(sweepId, SWEEP_TRIALS));
      const submitSeconds = now() - start;
      if (status.total !== SWEEP_TRIALS) throw new Error(`expected ${SWEEP_TRIALS} trials, the coordinator says ${status.total}`);
      await until(() => !Number.isNaN(firstResult), 60_000, 'the first result', 5);
      const rssAfterSubmit = rssBytes(cluster.coordinator!.pid);
      ctx.log(`SubmitSweep answered in ${submitSeconds.toFixed(3)} s; first trial published after ${firstDispatch.toFixed(3)} s, first result after ${firstResult.toFixed(3)} s`);
      ctx.emit({
        workload: 'cluster_first_trial', impl: 'credo', params: { trials: SWEEP_TRIALS, window: 2000, observed: 'first TrialResult (upper bound of the first start)' },
        metric: 'seconds', value: round(firstResult - (start - t0), 4), unit: 's', submit_rpc_s: round(submitSeconds, 4), first_dispatch_s: round(firstDispatch - (start - t0), 4),
      });
      const samples: number[] = [];
      let dispatched = 0;
      const t1 = now();
      await until(async () => {
        dispatched = (await cluster.client!.getSweep({ sweepId })).dispatched;
        const rss = rssBytes(cluster.coordinator!.pid);
        if (rss !== undefined) samples.push(rss);
        return dispatched >= dispatchedTarget;
      }, 1_800_000, `${dispatchedTarget} trials dispatched`, 1000);
      const seconds = now() - t1;
      await sleep(500);
      const rss = rssBytes(cluster.coordinator!.pid)!;
      ctx.log(`${dispatched} dispatched after ${seconds.toFixed(0)} s more; coordinator RSS ${(rss / 2 ** 20).toFixed(1)} MB (before submit ${((rssBefore ?? 0) / 2 ** 20).toFixed(1)} MB, after the first trial ${((rssAfterSubmit ?? 0) / 2 ** 20).toFixed(1)} MB, peak ${(Math.max(...samples) / 2 ** 20).toFixed(1)} MB)`);
      ctx.emit({
        workload: 'coordinator_rss', impl: 'credo', params: { trials: SWEEP_TRIALS, dispatched, window: 2000 },
        metric: 'bytes', value: rss, unit: 'B', rss_before_submit: rssBefore ?? null, rss_after_first_trial: rssAfterSubmit ?? null, rss_peak: Math.max(...samples),
      });
      await cluster.client!.cancelSweep({ sweepId });
    } finally {
      await nats.nc.close();
      await cluster.stop();
    }
  },
};

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
