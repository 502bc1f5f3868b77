import { TrialPool, defaultCatalog } from '@credo/runtime';
import { parseSweep } from '@credo/spec';
import { median, now } from '../record.js';
import type { BenchContext, Workload } from '../workload.js';
import { cpuSecondsOf, finalTrials, noopSweepYaml, startBenchCluster, submit, until, type BenchCluster } from './cluster-common.js';

/** One agent on this machine: a trial thread per core, and more slots than threads (no-op trials are all overhead). */
const THREADS = 2;
const SLOTS = 64;

/**
 * No-op trials per second through the whole cluster path — SubmitSweep → coordinator →
 * JetStream → agent → Piscina thread → MetricBatch + TrialResult → ingester → ClickHouse —
 * timed from the submit until ClickHouse holds every trial's final row (impl `credo`); next to
 * the same trials run by the agent's pool alone, Piscina threads streaming metrics over their parentPort,
 * at the same concurrency (impl `piscina`). Everything shares the machine's cores.
 *
 * @example
 * ```sh
 * npm run bench -- --only cluster_noop_trials
 * ```
 */
export const clusterNoopWorkload: Workload = {
  name: 'cluster_noop_trials',
  description: 'no-op trials/s end to end through NATS, an agent, Piscina and the ingester into ClickHouse, vs the bare pool',
  async run(ctx: BenchContext) {
    const trials = ctx.quick ? 5000 : 20_000;
    const reps = ctx.quick ? 1 : 3;
    const cluster = await startBenchCluster({ ingester: true });
    try {
      await cluster.startWorker(['--id', 'bench', '--workers', String(THREADS), '--slots', String(SLOTS)]);
      // Warm-up: thread start, JIT, ClickHouse tables.
      await runSweep(cluster, 'noop-warmup', 1000);
      const tps: number[] = [];
      for (let r = 0; r < reps; r++) {
        const procs = { coordinator: cluster.coordinator?.pid, agent: cluster.workers[0]?.pid, ingester: cluster.ingester?.pid, nats: cluster.nats.pid, clickhouse: cluster.clickhouse?.pid };
        const cpu0 = Object.fromEntries(Object.entries(procs).map(([k, pid]) => [k, cpuSecondsOf(pid) ?? 0]));
        const { seconds, coordinatorSeconds } = await runSweep(cluster, `noop-${r}`, trials);
        const cpu = Object.fromEntries(Object.entries(procs).map(([k, pid]) => [k, Math.round(((cpuSecondsOf(pid) ?? 0) - cpu0[k]!) / seconds * 100) / 100]));
        tps.push(trials / seconds);
        ctx.log(`rep ${r}: ${trials} trials in ${seconds.toFixed(2)} s (${(trials / seconds).toFixed(0)}/s; coordinator saw all done after ${coordinatorSeconds.toFixed(2)} s); cores used: ${JSON.stringify(cpu)}`);
      }
      const piscina = await barePool(trials, reps);
      const credo = median(tps);
      ctx.emit({
        workload: 'cluster_noop_trials', impl: 'credo', params: { trials, agents: 1, threads: THREADS, slots: SLOTS, trial: 'linear-teacher 1→1, train 1, hidden [1], 1 step' },
        metric: 'trials_per_s', value: Math.round(credo), unit: 'trials/s', reps, samples: tps.map(Math.round), ratio_to_piscina: Math.round((credo / piscina.value) * 1000) / 1000,
      });
      ctx.emit({
        workload: 'cluster_noop_trials', impl: 'piscina', params: { trials, threads: THREADS, concurrency: SLOTS, pool: 'TrialPool (Piscina; metrics over each thread\'s parentPort)' },
        metric: 'trials_per_s', value: Math.round(piscina.value), unit: 'trials/s', reps, samples: piscina.samples.map(Math.round),
      });
    } finally {
      await cluster.stop();
    }
  },
};

async function runSweep(cluster: BenchCluster, name: string, trials: number): Promise<{ seconds: number; coordinatorSeconds: number }> {
  const t0 = now();
  await submit(cluster.client!, noopSweepYaml(name, trials));
  // Ask the coordinator (a cheap RPC) until it has seen every result, and only then ClickHouse:
  // a `count() … FINAL` every 50 ms all along would spend the cores being measured.
  await until(async () => (await cluster.client!.getSweep({ sweepId: name })).state === 'done', 600_000, `coordinator done with ${name}`, 50);
  const coordinatorSeconds = now() - t0;
  await until(async () => (await finalTrials(cluster.ro!, name)) >= trials, 600_000, `${trials} trials of ${name} in ClickHouse`, 50);
  return { seconds: now() - t0, coordinatorSeconds };
}

/** The same no-op trials through the agent's pool alone (TrialPool: Piscina, metrics over each thread's parentPort), `SLOTS` at a time. */
async function barePool(trials: number, reps: number): Promise<{ value: number; samples: number[] }> {
  const sweep = parseSweep(noopSweepYaml('noop-pool', trials), defaultCatalog());
  const pool = new TrialPool({ workers: THREADS });
  const round = async (n: number): Promise<number> => {
    let next = 0;
    let points = 0;
    const t0 = now();
    await Promise.all(Array.from({ length: SLOTS }, async () => {
      while (next < n) {
        const res = await pool.run(sweep.at(next++).config, { onMetrics: (b) => (points += b.length) });
        if (res.status !== 'done') throw new Error(`no-op trial ${res.status}: ${res.error ?? ''}`);
      }
    }));
    if (points === 0) throw new Error('no-op trials emitted no metrics');
    return n / (now() - t0);
  };
  try {
    await round(1000); // warm-up: thread start, JIT
    const samples: number[] = [];
    for (let r = 0; r < reps; r++) samples.push(await round(trials));
    return { value: median(samples), samples };
  } finally {
    await pool.close();
  }
}
