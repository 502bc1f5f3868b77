import { createServer } from 'node:http';
import { isCredoError, jsonLogger, parseServiceConfig, PromRegistry, shutdownRequested } from '@credo/core';
import { connectNats, ensureTopology } from '@credo/proto';
import { kernelBackend } from '@credo/runtime';
import { WorkerAgent } from './agent.js';
import { WORKER_CONFIG, WORKER_SECRETS } from './config.js';

/** `credo worker [flags]`: runs trials until SIGTERM/SIGINT, then drains. */
export async function main(argv: readonly string[], env = process.env): Promise<number> {
  let cfg;
  try {
    cfg = parseServiceConfig(WORKER_CONFIG, argv, env, WORKER_SECRETS);
    // CREDO_KERNELS is read by the trial threads; a bad value must stop the agent here, not fail every trial.
    kernelBackend();
  } catch (e) {
    process.stderr.write(`credo worker: error: ${(e as Error).message}\n`);
    return isCredoError(e) && e.isUsageError ? 2 : 1;
  }
  const log = jsonLogger('worker');
  const nats = await connectNats({ url: String(cfg['natsUrl']), user: String(cfg['natsUser']), password: String(cfg['natsPassword']), name: `credo-worker-${cfg['id']}` });
  await ensureTopology(nats);
  const prom = new PromRegistry();
  const agent = new WorkerAgent(nats, { id: String(cfg['id']), workers: Number(cfg['workers']), slots: Number(cfg['slots']), maxMemoryMb: Number(cfg['maxMemoryMb']), recycleAfter: Number(cfg['recycleAfter']), log, prom });
  const http = Number(cfg['metricsPort']) > 0
    ? createServer((req, res) => (req.url === '/metrics' ? res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(prom.render()) : res.writeHead(404).end())).listen(Number(cfg['metricsPort']))
    : undefined;
  log.info('worker started', { id: cfg['id'], workers: cfg['workers'], slots: agent.slots });
  process.stdout.write(`worker ${cfg['id']} ready\n`);
  const running = agent.run();
  const why = await Promise.race([shutdownRequested(), running.then(() => 'stopped')]);
  log.info('draining', { signal: why, graceSec: cfg['drainSec'] });
  await agent.drain(Number(cfg['drainSec']));
  await running;
  http?.close();
  await nats.nc.drain().catch(() => {});
  return 0;
}
