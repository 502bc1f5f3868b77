import { createServer } from 'node:http';
import { isCredoError, jsonLogger, parseServiceConfig, PromRegistry, shutdownRequested } from '@credo/core';
import { connectNats, ensureTopology } from '@credo/proto';
import { openClickHouseStore } from '@credo/store';
import { INGESTER_CONFIG, INGESTER_SECRETS } from './config.js';
import { Ingester } from './ingester.js';

/** `credo ingester [flags]`: JetStream → ClickHouse until SIGTERM/SIGINT. */
export async function main(argv: readonly string[], env = process.env): Promise<number> {
  let cfg;
  try {
    cfg = parseServiceConfig(INGESTER_CONFIG, argv, env, INGESTER_SECRETS);
  } catch (e) {
    process.stderr.write(`credo ingester: error: ${(e as Error).message}\n`);
    return isCredoError(e) && e.isUsageError ? 2 : 1;
  }
  const log = jsonLogger('ingester');
  const nats = await connectNats({ url: String(cfg['natsUrl']), user: String(cfg['natsUser']), password: String(cfg['natsPassword']), name: 'credo-ingester' });
  await ensureTopology(nats);
  // Wait for ClickHouse at start too: the streams hold everything until it is there.
  let store;
  for (let delay = 250; ; delay = Math.min(delay * 2, 10_000)) {
    try {
      store = await openClickHouseStore(String(cfg['clickhouseUrl']));
      break;
    } catch (e) {
      log.warn('ClickHouse not reachable yet; retrying', { error: e, retryInMs: delay });
      await new Promise((r) => setTimeout(r, delay));
    }
  }
  const prom = new PromRegistry();
  const ingester = new Ingester(nats, store, { batchMessages: Number(cfg['batchMessages']), maxBackoffMs: Number(cfg['maxBackoffSec']) * 1000, log, prom });
  const http = Number(cfg['metricsPort']) > 0
    ? createServer((req, res) => (req.url === '/metrics' ? res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(prom.render()) : res.writeHead(404).end())).listen(Number(cfg['metricsPort']))
    : undefined;
  log.info('ingester started');
  process.stdout.write('ingester ready\n');
  const running = ingester.run();
  const why = await shutdownRequested();
  log.info('stopping', { signal: why });
  ingester.stop();
  await running.catch(() => {});
  http?.close();
  await store.close();
  await nats.nc.drain().catch(() => {});
  return 0;
}
