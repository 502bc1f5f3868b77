import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import cliProgress from 'cli-progress';
import { CredoError } from '@credo/core';
import { connectCoordinator, describeGrpcError } from '@credo/client';
import type { CoordinatorClient, SweepStatus } from '@credo/proto';
import { ClusterCallError } from '../cluster-error.js';
import { renderRows, type OutputFormat } from '../format.js';

export interface ClusterOptions {
  coordinator: string;
  token?: string;
  tokenFile?: string;
  ca?: string;
}

/** gRPC statuses that mean "your input is wrong" exit 2 like any usage error. */
const USAGE_STATUSES = new Set([3 /* INVALID_ARGUMENT */, 5 /* NOT_FOUND */, 6 /* ALREADY_EXISTS */, 16 /* UNAUTHENTICATED */, 8 /* RESOURCE_EXHAUSTED */]);

export { ClusterCallError };

async function client(o: ClusterOptions): Promise<CoordinatorClient> {
  const token = o.token ?? (o.tokenFile ? (await readFile(o.tokenFile, 'utf8')).trim() : process.env['CREDO_TOKEN']);
  if (!token) throw new CredoError('USAGE', 'no token: pass --token, --token-file or set CREDO_TOKEN', { field: '--token' });
  return connectCoordinator({ address: o.coordinator, token, ...(o.ca ? { caFile: o.ca } : {}) });
}

async function call<T>(o: ClusterOptions, f: (c: CoordinatorClient) => Promise<T>): Promise<T> {
  const c = await client(o);
  try {
    return await f(c);
  } catch (e) {
    if (e instanceof CredoError) throw e;
    const code = (e as { code?: number }).code;
    throw new ClusterCallError(describeGrpcError(e), typeof code === 'number' && USAGE_STATUSES.has(code) ? 2 : 1);
  } finally {
    c.close();
  }
}

const COLS = ['sweep', 'state', 'total', 'dispatched', 'done', 'failed', 'diverged', 'timeout', 'cancelled'] as const;
function rows(ss: readonly SweepStatus[]): unknown[][] {
  return ss.map((s) => [s.sweepId, s.state, s.total, s.dispatched, s.done, s.failed, s.diverged, s.timeout, s.cancelled]);
}

export async function submitCommand(spec: string, o: ClusterOptions & { maxAttempts?: number; watch: boolean }): Promise<number> {
  let yaml: string;
  try {
    yaml = await readFile(spec, 'utf8');
  } catch (e) {
    throw new CredoError('FILE_NOT_FOUND', `cannot read sweep file ${spec}`, { cause: e });
  }
  const r = await call(o, (c) => c.submitSweep({ spec: { yaml, sourceName: basename(spec), maxAttempts: o.maxAttempts ?? 0 } }));
  const s = r.status!;
  process.stderr.write(`credo: sweep ${s.sweepId}: ${s.total} trial(s) ${r.existing ? 'already submitted' : 'submitted'}\n`);
  process.stdout.write(`${s.sweepId}\n`);
  return o.watch ? watchCommand(s.sweepId, o) : 0;
}

/** Live progress from the coordinator's WatchSweep stream; ends when the sweep does. */
export async function watchCommand(sweepId: string, o: ClusterOptions & { progress?: boolean }): Promise<number> {
  return call(o, async (c) => {
    const bar = o.progress === false ? undefined : new cliProgress.SingleBar(
      { format: `${sweepId} {bar} {value}/{total} trials | {state} | failed {failed} | eta {eta_formatted}`, noTTYOutput: true, notTTYSchedule: 2000, stream: process.stderr },
      cliProgress.Presets.shades_classic,
    );
    let last: SweepStatus | undefined;
    for await (const s of c.watchSweep({ sweepId })) {
      const finished = s.done + s.failed + s.diverged + s.timeout + s.cancelled;
      if (!last) bar?.start(s.total, finished, { state: s.state, failed: s.failed });
      bar?.update(finished, { state: s.state, failed: s.failed + s.timeout });
      last = s;
    }
    bar?.stop();
    if (last) process.stdout.write(renderRows(COLS, rows([last]), 'table'));
    return last && (last.failed > 0 || last.timeout > 0) ? 1 : 0;
  });
}

export async function statusCommand(sweepId: string, o: ClusterOptions & { format: OutputFormat }): Promise<number> {
  const s = await call(o, (c) => c.getSweep({ sweepId }));
  process.stdout.write(renderRows(COLS, rows([s]), o.format));
  return 0;
}

export async function listCommand(o: ClusterOptions & { format: OutputFormat }): Promise<number> {
  const r = await call(o, (c) => c.listSweeps({}));
  process.stdout.write(renderRows(COLS, rows(r.sweeps), o.format));
  return 0;
}

export async function cancelCommand(sweepId: string, o: ClusterOptions): Promise<number> {
  const s = await call(o, (c) => c.cancelSweep({ sweepId }));
  process.stderr.write(`credo: sweep ${sweepId} is ${s.state}\n`);
  return 0;
}

export async function retryFailedCommand(sweepId: string, o: ClusterOptions): Promise<number> {
  const r = await call(o, (c) => c.retryFailed({ sweepId }));
  process.stderr.write(`credo: ${r.requeued} failed trial(s) of ${sweepId} requeued\n`);
  return 0;
}

/**
 * `credo coordinator|worker|ingester`: runs the service program in a child process with an IPC
 * channel, so that the service goes when this process goes (even on SIGKILL), and signals are
 * passed on. Services are separate programs: the CLI never imports them (DESIGN.md).
 */
export function runService(name: 'coordinator' | 'worker' | 'ingester', args: readonly string[]): Promise<number> {
  const bin = new URL(`../../../../services/${name}/dist/bin.js`, import.meta.url);
  const child = spawn(process.execPath, [bin.pathname, ...args], { stdio: ['inherit', 'inherit', 'inherit', 'ipc'] });
  const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(code ?? (signal ? 128 + 15 : 1));
    });
  });
}
