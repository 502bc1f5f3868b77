import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { CredoError, isCredoError, jsonLogger, parseServiceConfig, PromRegistry, shutdownRequested } from '@credo/core';
import { addService, connectNats, CoordinatorServiceDefinition, grpc, healthImplementation, HealthServiceDefinition, requireBearerToken } from '@credo/proto';
import { defaultCatalogForServices } from './catalog.js';
import { COORDINATOR_CONFIG, COORDINATOR_SECRETS } from './config.js';
import { Coordinator } from './coordinator.js';
import { coordinatorHandlers } from './grpc-service.js';

/** `credo coordinator [flags]`: serves gRPC until SIGINT/SIGTERM. */
export async function main(argv: readonly string[], env = process.env): Promise<number> {
  const log = jsonLogger('coordinator');
  let cfg;
  try {
    cfg = parseServiceConfig(COORDINATOR_CONFIG, argv, env, COORDINATOR_SECRETS);
    if (!cfg['token']) throw new CredoError('USAGE', 'a bearer token is required', { field: '--token / --token-file / CREDO_TOKEN' });
    if (Boolean(cfg['tlsCert']) !== Boolean(cfg['tlsKey'])) throw new CredoError('USAGE', '--tls-cert and --tls-key go together');
  } catch (e) {
    process.stderr.write(`credo coordinator: error: ${(e as Error).message}\n`);
    return isCredoError(e) && e.isUsageError ? 2 : 1;
  }
  const tokens = String(cfg['token']).split(',').map((t) => t.trim()).filter(Boolean);
  const nats = await connectNats({ url: String(cfg['natsUrl']), user: String(cfg['natsUser']), password: String(cfg['natsPassword']), name: 'credo-coordinator' });
  const coordinator = new Coordinator(nats, defaultCatalogForServices(), { window: Number(cfg['window']), defaultMaxAttempts: Number(cfg['maxAttempts']), log });
  await coordinator.start();

  const server = new grpc.Server({
    interceptors: [requireBearerToken(() => tokens, { exempt: ['/grpc.health.v1.Health/'] })],
    'grpc.max_receive_message_length': Number(cfg['maxMessageBytes']),
  });
  addService(server, CoordinatorServiceDefinition, coordinatorHandlers(coordinator));
  addService(server, HealthServiceDefinition, healthImplementation((svc) => (svc === '' || svc === 'credo.v1.CoordinatorService' ? 'SERVING' : undefined)));
  const creds = cfg['tlsCert']
    ? grpc.ServerCredentials.createSsl(null, [{ private_key: readFileSync(String(cfg['tlsKey'])), cert_chain: readFileSync(String(cfg['tlsCert'])) }])
    : grpc.ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) => server.bindAsync(String(cfg['listen']), creds, (e, p) => (e ? reject(e) : resolve(p))));
  const host = String(cfg['listen']).replace(/:\d+$/, '');
  log.info('serving', { address: `${host}:${port}`, tls: Boolean(cfg['tlsCert']) });
  // Tests and scripts read the bound port from this line (listen on :0 picks a free one).
  process.stdout.write(`listening ${host}:${port}\n`);

  const prom = new PromRegistry();
  let http: ReturnType<typeof createServer> | undefined;
  if (Number(cfg['metricsPort']) > 0) {
    const g = (n: string, h: string) => prom.gauge(n, h);
    const gauges = { queued: g('credo_trials_in_flight', 'published but unfinished trials'), done: g('credo_trials_done', 'finished trials by status'), total: g('credo_trials_total', 'trials in the sweep') };
    http = createServer((req, res) => {
      if (req.url !== '/metrics') return void res.writeHead(404).end();
      for (const s of coordinator.list()) {
        gauges.total.set(s.total, { sweep: s.sweepId });
        gauges.queued.set(s.dispatched - s.done - s.failed - s.diverged - s.cancelled - s.timeout, { sweep: s.sweepId });
        for (const st of ['done', 'failed', 'diverged', 'cancelled', 'timeout'] as const) gauges.done.set(s[st], { sweep: s.sweepId, status: st });
      }
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(prom.render());
    }).listen(Number(cfg['metricsPort']), host);
  }

  const why = await shutdownRequested();
  log.info('shutting down', { signal: why });
  server.forceShutdown();
  http?.close();
  await coordinator.stop();
  await nats.nc.drain().catch(() => {});
  return 0;
}
