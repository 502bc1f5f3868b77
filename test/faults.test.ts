import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Coordinator } from '@credo/coordinator';
import { canonicalJson, type Logger } from '@credo/core';
import { connectNats, ensureTopology, subjects, TOPOLOGY, TrialCodec, type CoordinatorClient, type SweepStatus } from '@credo/proto';
import { defaultCatalog } from '@credo/runtime';
import { parseSweep } from '@credo/spec';
import { WorkerAgent } from '@credo/worker';
import type { MetricsStore } from '@credo/store';
import { freePort, startNats } from '@credo/testing';
import { startService, type ServiceProc } from '@credo/testing';
import { eventually, type Cluster } from './cluster-helpers.js';
import {
  agentHolding, checkExactlyOnce, coordinatorClient, finishedOf, localPointsPerConfig, resultsInStream, resultsPerTrial,
  sleep, statusOf, sweepYaml, trialsPublished, useSharedCluster, waitIngested, type SweepShape,
} from './fault-helpers.js';

/*
 * Promise 1 (DESIGN.md): every trial of a sweep produces exactly one final result, whatever
 * dies. Each test breaks one thing on purpose in the middle of a sweep on real servers and
 * separate processes, then reads ClickHouse: every trial has one final row with the expected
 * status, and every metric point of every trial is there exactly once at the trial's final
 * attempt, with the same count as a local DuckDB run of the same sweep.
 *
 * The tests share one NATS, one ClickHouse, one ingester and one coordinator (window 64, so
 * that a sweep is still being dispatched when something dies); each starts its own agents.
 */

let cluster: Cluster;
let ro: MetricsStore;
let client: CoordinatorClient;

useSharedCluster(['--window', '64'], (shared) => ({ cluster, ro, client } = shared));

/** Agents started by the running test: stopped after it whatever happens, so that a failing case leaves no agent behind to run the next case's trials. */
let live: ServiceProc[] = [];

afterEach(async () => {
  await stopAgents(live);
  live = [];
});

async function startAgents(prefix: string, n: number, extra: readonly string[] = []): Promise<ServiceProc[]> {
  const out: ServiceProc[] = [];
  for (let i = 0; i < n; i++) out.push(await cluster.startWorker(['--id', `${prefix}-${i}`, ...extra]));
  live.push(...out);
  return out;
}

async function stopAgents(agents: readonly ServiceProc[]): Promise<void> {
  await Promise.all(agents.map((a) => a.stop('SIGKILL')));
}

async function submit(yaml: string, c: CoordinatorClient = client): Promise<{ status: SweepStatus; existing: boolean }> {
  const r = await c.submitSweep({ spec: { yaml, sourceName: 'fault.yaml', maxAttempts: 0 } });
  return { status: r.status!, existing: r.existing };
}

/** Resolves with the status once `pred` holds (the coordinator may be away meanwhile). */
async function until(sweepId: string, pred: (s: SweepStatus) => boolean, what: string, timeoutMs = 180_000, c: CoordinatorClient = client): Promise<SweepStatus> {
  let last: SweepStatus | undefined;
  try {
    return await eventually(async () => {
      const s = await statusOf(c, sweepId);
      if (s) last = s;
      return s && pred(s) ? s : undefined;
    }, timeoutMs, `${sweepId}: ${what}`);
  } catch (e) {
    const tail = (p: ServiceProc | undefined) => (p ? p.output().split('\n').slice(-12).join('\n') : '');
    throw new Error(`${(e as Error).message}; last status ${JSON.stringify(last)}\n--- coordinator:\n${tail(cluster.coordinator)}\n--- ingester:\n${tail(cluster.ingester)}\n${cluster.workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null).map((w) => `--- worker:\n${tail(w)}`).join('\n')}`);
  }
}

const finishedAtLeast = (fraction: number) => (s: SweepStatus) => finishedOf(s) >= fraction * s.total;
const sweepDone = (s: SweepStatus) => s.state === 'done' && finishedOf(s) === s.total;

describe('exactly once under failure (real NATS, ClickHouse, separate processes)', () => {
  it('SIGKILLed worker agents, one with a trial in flight and one holding several, lose nothing and store nothing twice', async () => {
    const shape: SweepShape = { name: 'kill-agents', seeds: 100 };
    const expected = localPointsPerConfig(cluster, shape);
    await startAgents('ka-plain', 2);
    // With more slots than threads an agent holds the extra trials queued in its pool, leased.
    // It pulls again once half its slots are free, so while the queue has work `--slots 2`
    // holds ≥ 1 trial and `--slots 8` between 4 and 8 (all 8 only just after a pull, which a
    // 250 ms poll of a loaded machine can miss for a long time: CI once did for 30 s).
    const [p2, p8] = [await freePort(), await freePort()];
    const [two] = await startAgents('ka-slots2', 1, ['--slots', '2', '--metrics-port', String(p2)]);
    const [eight] = await startAgents('ka-slots8', 1, ['--slots', '8', '--metrics-port', String(p8)]);
    const { status } = await submit(sweepYaml(shape));
    const total = status.total;
    expect(total).toBe(200);

    await until(shape.name, finishedAtLeast(0.15), '15% finished');
    await eventually(async () => (await agentHolding(p2)) >= 1, 30_000, 'slots-2 agent holding a trial');
    await two!.stop('SIGKILL');
    await eventually(async () => (await agentHolding(p8)) >= 4, 60_000, 'slots-8 agent holding four or more trials');
    const atKill = await statusOf(client, shape.name);
    await eight!.stop('SIGKILL');
    expect(finishedOf(atKill!)).toBeLessThan(total - 20);

    // The dead agents' leases expire (ack wait 30 s) and their trials run again elsewhere.
    const end = await until(shape.name, sweepDone, 'done', 240_000);
    expect(end.done).toBe(total);
    await waitIngested(ro, shape.name, total);
    const report = await checkExactlyOnce(ro, shape.name, total, expected);
    const redone = total - (report.attempts['1'] ?? 0);
    expect(redone).toBeGreaterThanOrEqual(1 + 4);

    // In the RESULTS stream: one message per attempt (publishes are deduplicated by id), and a
    // trial has a second attempt only because an agent died holding it.
    const per = resultsPerTrial(await resultsInStream(cluster.nats.url, shape.name));
    expect(per.size).toBe(total);
    for (const [key, r] of per) {
      expect(new Set(r.attempts).size, key).toBe(r.attempts.length);
      expect(r.finals, key).toBeGreaterThanOrEqual(1);
      for (const [i, a] of r.attempts.entries()) if (a > 1) expect(['ka-plain-0', 'ka-plain-1'], key).toContain(r.workers[i]);
    }
    console.log(`[kill-agents] ${total} trials, ${redone} redelivered after the kills; final attempts ${JSON.stringify(report.attempts)}; ${report.points} points (${report.storedRows - report.points} re-sent rows collapsed)`);
  }, 420_000);

  it('a trial that runs its thread out of memory is retried up to its attempt limit, then recorded as failed; the others finish', async () => {
    // A 100,000-layer MLP (width 1) needs hundreds of MB of JS heap: far over --max-memory-mb 64,
    // so its thread dies ("reached memory limit") on every attempt, while the small trials fit.
    const oomModel = `{ name: mlp, hidden: [${Array.from({ length: 100_000 }, () => 1).join(', ')}] }`;
    const shape: SweepShape = { name: 'oom', seeds: 3, hidden: [16, 12, 8, 10, 14], extraModels: [oomModel] };
    const expected = localPointsPerConfig(cluster, shape);
    await startAgents('oom', 3, ['--max-memory-mb', '64']);
    const { status } = await submit(sweepYaml(shape));
    const total = status.total;
    expect(total).toBe(36);
    const end = await until(shape.name, (s) => s.state === 'done', 'done', 300_000);
    expect(end.done).toBe(30);
    expect(end.failed).toBe(6);
    await waitIngested(ro, shape.name, total);
    const report = await checkExactlyOnce(ro, shape.name, total, expected);
    expect(report.statuses).toEqual({ done: 30, failed: 6 });

    const failed = (await ro.query(`SELECT trial_key, attempt, error FROM trials FINAL WHERE sweep_id = 'oom' AND status = 'failed'`)).rows;
    expect(failed).toHaveLength(6);
    for (const [, attempt, error] of failed) {
      expect(Number(attempt)).toBe(3);
      expect(String(error)).toMatch(/memory limit/i);
    }
    const per = resultsPerTrial(await resultsInStream(cluster.nats.url, shape.name));
    const failedKeys = new Set(failed.map((r) => String(r[0])));
    for (const [key, r] of per) {
      if (failedKeys.has(key)) {
        // attempts 1 and 2 were released with back-off; the third is final
        expect([...r.attempts].sort(), key).toEqual([1, 2, 3]);
        expect(r.finals, key).toBe(1);
      } else {
        expect(r.attempts, key).toEqual([1]);
      }
    }
  }, 420_000);

  it('nats-server SIGKILLed and restarted mid-sweep (file storage): every service reconnects and the sweep completes exactly once', async () => {
    const shape: SweepShape = { name: 'nats-restart', seeds: 150 };
    const expected = localPointsPerConfig(cluster, shape);
    const agents = await startAgents('nr', 3);
    const { status } = await submit(sweepYaml(shape));
    const total = status.total;
    const before = await until(shape.name, finishedAtLeast(0.25), '25% finished');
    await cluster.nats.kill('SIGKILL');
    await sleep(3000);
    await cluster.nats.start();
    const end = await until(shape.name, sweepDone, 'done after the NATS restart', 240_000);
    expect(end.done).toBe(total);
    expect(finishedOf(before)).toBeLessThan(total);
    await waitIngested(ro, shape.name, total);
    const report = await checkExactlyOnce(ro, shape.name, total, expected);
    // Nobody had to be restarted by hand.
    for (const p of [cluster.coordinator, cluster.ingester, ...agents]) expect(p.child.exitCode).toBeNull();
    console.log(`[nats-restart] ${total} trials, restart at ${finishedOf(before)} finished; final attempts ${JSON.stringify(report.attempts)}`);
  }, 420_000);

  it('ClickHouse down for 20 s mid-sweep, its ingester SIGKILLed meanwhile: trials keep running, leased batches come back and everything lands', async () => {
    const shape: SweepShape = { name: 'ch-outage', seeds: 150 };
    const expected = localPointsPerConfig(cluster, shape);
    await startAgents('cho', 3);
    const { status } = await submit(sweepYaml(shape));
    const total = status.total;
    const before = await until(shape.name, finishedAtLeast(0.2), '20% finished');
    await cluster.clickhouse.kill();
    await sleep(10_000);
    // The ingester holds the batches it could not insert, unacknowledged; it dies with them and
    // a new one starts (it waits for ClickHouse). The dead one's batches return after their ack wait.
    const first = cluster.ingester;
    expect(first.output()).toMatch(/insert failed; keeping the batch and retrying/);
    await first.stop('SIGKILL');
    const second = cluster.startIngester();
    await sleep(10_000);
    const during = await statusOf(client, shape.name);
    await cluster.clickhouse.start();
    // Trials went on while ClickHouse was away.
    expect(finishedOf(during!)).toBeGreaterThan(finishedOf(before));
    await second.waitFor(/ingester ready/, 60_000);
    await until(shape.name, sweepDone, 'done', 240_000);
    await waitIngested(ro, shape.name, total);
    await checkExactlyOnce(ro, shape.name, total, expected);
    expect(second.child.exitCode).toBeNull();
  }, 420_000);

  it('the coordinator SIGKILLed mid-dispatch: a new one resumes the sweep, re-publishes nothing twice and nothing runs twice', async () => {
    const shape: SweepShape = { name: 'coord-kill', seeds: 150 };
    const expected = localPointsPerConfig(cluster, shape);
    await startAgents('ck', 3);
    const published0 = await trialsPublished(cluster.nats.url);
    const { status } = await submit(sweepYaml(shape));
    const total = status.total;
    const before = await until(shape.name, finishedAtLeast(0.2), '20% finished');
    await cluster.coordinator.stop('SIGKILL');
    // The window (64) had not reached the end: the rest must come from the new coordinator.
    expect(before.dispatched).toBeLessThan(total);
    await sleep(1000);
    await cluster.startCoordinator();
    const end = await until(shape.name, sweepDone, 'done after the coordinator restart', 240_000);
    expect(end.done).toBe(total);
    await waitIngested(ro, shape.name, total);
    await checkExactlyOnce(ro, shape.name, total, expected);
    // Each trial entered the work queue once (the new coordinator's re-publish of unfinished
    // trials was dropped by message id) and ran once.
    expect((await trialsPublished(cluster.nats.url)) - published0).toBe(total);
    const per = resultsPerTrial(await resultsInStream(cluster.nats.url, shape.name));
    expect(per.size).toBe(total);
    for (const [key, r] of per) expect(r.attempts, key).toEqual([1]);
  }, 420_000);

  it('two coordinators racing on the same sweeps never duplicate a trial, and either can finish a sweep alone', async () => {
    await startAgents('race', 3);
    const port = await freePort();
    const addressB = `127.0.0.1:${port}`;
    const startB = async (): Promise<ServiceProc> => {
      const p = startService('coordinator', ['--nats-url', cluster.nats.url, '--listen', addressB, '--token-file', join(cluster.dir, 'token'), '--window', '64']);
      await p.waitFor(/listening /);
      return p;
    };
    const b = await startB();
    const clientB = coordinatorClient(cluster, addressB);
    try {
      // 1. Both are asked to submit the same sweep at the same moment; both dispatch it.
      const shape: SweepShape = { name: 'race', seeds: 150 };
      const expected = localPointsPerConfig(cluster, shape);
      const published0 = await trialsPublished(cluster.nats.url);
      const [ra, rb] = await Promise.all([submit(sweepYaml(shape)), submit(sweepYaml(shape), clientB)]);
      expect([ra.existing, rb.existing].sort()).toEqual([false, true]);
      const total = ra.status.total;
      await until(shape.name, sweepDone, 'done (coordinator A)', 240_000);
      await until(shape.name, sweepDone, 'done (coordinator B)', 60_000, clientB);
      await waitIngested(ro, shape.name, total);
      await checkExactlyOnce(ro, shape.name, total, expected);
      // "Duplicate", observably: a trial published to the work queue twice, or a trial with more
      // than one result (nothing failed here, so every trial must have run exactly once).
      expect((await trialsPublished(cluster.nats.url)) - published0).toBe(total);
      const results = await resultsInStream(cluster.nats.url, shape.name);
      expect(results).toHaveLength(total);
      expect(new Set(results.map((r) => r.trialKey)).size).toBe(total);
      expect(results.every((r) => r.attempt === 1 && r.final)).toBe(true);

      // 2. B joins a sweep A is already running, then A dies: B alone must finish it.
      const late: SweepShape = { name: 'race-late', seeds: 150 };
      const expectedLate = localPointsPerConfig(cluster, late);
      const published1 = await trialsPublished(cluster.nats.url);
      const { status } = await submit(sweepYaml(late));
      await until(late.name, finishedAtLeast(0.25), '25% finished');
      const joined = await submit(sweepYaml(late), clientB);
      expect(joined.existing).toBe(true);
      await until(late.name, finishedAtLeast(0.4), '40% finished', 180_000, clientB);
      await cluster.coordinator.stop('SIGKILL');
      const endB = await until(late.name, sweepDone, 'done by coordinator B alone', 240_000, clientB);
      expect(endB.done).toBe(status.total);
      await waitIngested(ro, late.name, status.total);
      await checkExactlyOnce(ro, late.name, status.total, expectedLate);
      expect((await trialsPublished(cluster.nats.url)) - published1).toBe(status.total);
      const lateResults = await resultsInStream(cluster.nats.url, late.name);
      expect(lateResults).toHaveLength(status.total);
    } finally {
      clientB.close();
      await b.stop('SIGKILL');
      if (cluster.coordinator.child.exitCode !== null || cluster.coordinator.child.signalCode !== null) await cluster.startCoordinator();
    }
  }, 600_000);
});

describe('the coordinator while NATS dies under it (in process, fault injected at a known publish)', () => {
  it('a dispatch interrupted by a NATS crash is retried after the restart: the window is published once, the cursor moves on', async () => {
    const nats = await startNats();
    const h = await connectNats({ url: nats.url, name: 'credo-test-coordinator' });
    const lines: string[] = [];
    const log: Logger = { debug: () => {}, info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
    // The 10th trial publish (and every later one) waits until the server has been SIGKILLed;
    // it stays down longer than a publish's 5 s timeout, so those publishes fail.
    let trialPublishes = 0;
    let killed: Promise<void> | undefined;
    const publish = h.js.publish.bind(h.js);
    h.js.publish = async (subject, data, opts) => {
      if (subject.startsWith('credo.trials.') && ++trialPublishes >= 10) {
        killed ??= nats.kill('SIGKILL');
        await killed;
      }
      return publish(subject, data, opts);
    };
    const coordinator = new Coordinator(h, defaultCatalog(), { window: 64, defaultMaxAttempts: 3, log });
    try {
      await coordinator.start();
      await coordinator.submit(sweepYaml({ name: 'nats-crash', seeds: 100 }), 'nats-crash.yaml', 0);
      await eventually(() => killed !== undefined, 10_000, 'the injected crash');
      await killed;
      await sleep(7000);
      await nats.start();
      const s = await eventually(() => {
        const st = coordinator.get('nats-crash');
        return st.dispatched === 64 ? st : undefined;
      }, 60_000, 'the first window dispatched after the restart');
      expect(s.total).toBe(200);
      expect(lines).toContain('dispatch failed; retrying');
      // Every trial of the window is in the work queue exactly once.
      expect(await trialsPublished(nats.url)).toBe(64);
    } finally {
      await coordinator.stop();
      await h.nc.close().catch(() => {});
      await nats.stop();
    }
  }, 120_000);
});

describe('the worker agent dies between finishing a trial and its result being durable (in process)', () => {
  it('keeps the trial leased, not acknowledged, until the result is in JetStream', async () => {
    const nats = await startNats();
    const h = await connectNats({ url: nats.url, name: 'credo-test-agent' });
    const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
    let agent: WorkerAgent | undefined;
    try {
      await ensureTopology(h);
      const sweep = parseSweep(sweepYaml({ name: 'ack-order', seeds: 1, rules: ['bp'] }), defaultCatalog());
      const t = sweep.at(0);
      await h.js.publish(subjects.trials(sweep.id), TrialCodec.encode({
        sweepId: sweep.id, trialKey: t.key, configKey: t.configKey, index: 0, configJson: canonicalJson(t.config), paramsJson: JSON.stringify(t.params),
        maxAttempts: 3, attemptBase: 0, specHash: sweep.specHash,
      }), { msgID: 'ack-order-0' });
      // The result publish never completes: as if the agent were killed right there.
      let resultSent = false;
      const publish = h.js.publish.bind(h.js);
      h.js.publish = (subject, data, opts) => {
        if (subject.startsWith('credo.results.')) {
          resultSent = true;
          return new Promise(() => {});
        }
        return publish(subject, data, opts);
      };
      agent = new WorkerAgent(h, { id: 'ack-order', workers: 1, slots: 1, maxMemoryMb: 0, log: quiet });
      void agent.run();
      await eventually(() => resultSent, 60_000, 'the trial finished and its result being published');
      await sleep(1000);
      // Still in the work queue and leased: when the lease runs out another agent runs it again.
      expect((await h.jsm.streams.info(TOPOLOGY.trialsStream)).state.messages).toBe(1);
      const c = await h.jsm.consumers.info(TOPOLOGY.trialsStream, TOPOLOGY.workersConsumer);
      expect(c.num_ack_pending).toBe(1);
      expect(c.ack_floor.stream_seq).toBe(0);
    } finally {
      await agent?.drain(0);
      await h.nc.close().catch(() => {});
      await nats.stop();
    }
  }, 120_000);
});
