import { availableParallelism } from 'node:os';
import cliProgress from 'cli-progress';
import { defaultCatalog, kernelBackend, primaryMetric } from '@credo/runtime';
import { loadSweep } from '@credo/spec';
import { openDuckDbStore } from '@credo/store';
import { runLocalSweep, type LocalProgress } from '../local-run.js';
import { printLeaderboard } from './top.js';

export interface RunOptions {
  store: string;
  workers?: number;
  timeout?: number;
  progress: boolean;
}

function statusLine(p: LocalProgress): string {
  const failed = (p.byStatus.failed ?? 0) + (p.byStatus.timeout ?? 0);
  const diverged = p.byStatus.diverged ?? 0;
  return `running ${p.running} | failed ${failed}${diverged ? ` | diverged ${diverged}` : ''}${p.skipped ? ` | skipped ${p.skipped} complete` : ''}`;
}

/** `credo run SPEC`: validate (before touching the store), run locally with a progress bar, print the leaderboard. */
export async function runCommand(specPath: string, opts: RunOptions): Promise<number> {
  const sweep = await loadSweep(specPath, defaultCatalog());
  // CREDO_KERNELS is read by the trial threads: a bad value is a usage error before the store is touched.
  kernelBackend();
  const store = await openDuckDbStore(opts.store);
  const ac = new AbortController();
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    process.stderr.write('\ncredo: interrupted — cancelling running trials (Ctrl-C again to quit at once)\n');
    ac.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  const workers = opts.workers ?? availableParallelism();
  const bar = opts.progress
    ? new cliProgress.SingleBar(
        {
          format: `${sweep.id} {bar} {value}/{total} trials | {status} | eta {eta_formatted}`,
          noTTYOutput: true,
          notTTYSchedule: 2000,
          etaBuffer: 20,
          stream: process.stderr,
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  let started = false;
  try {
    process.stderr.write(`credo: sweep ${sweep.id}: ${sweep.count} trial(s), ${workers} worker(s), store ${opts.store}\n`);
    const summary = await runLocalSweep(sweep, store, {
      workers,
      signal: ac.signal,
      ...(opts.timeout !== undefined ? { timeoutSec: opts.timeout } : {}),
      onProgress: (p) => {
        if (!bar) return;
        if (!started) {
          bar.start(p.total, 0, { status: statusLine(p) });
          started = true;
        }
        bar.update(p.finished, { status: statusLine(p) });
      },
    });
    bar?.stop();
    if (summary.total === 0) process.stderr.write(`credo: all ${summary.skipped} trial(s) already complete in the store; nothing to run\n`);
    const bad = (summary.byStatus.failed ?? 0) + (summary.byStatus.timeout ?? 0);
    if (summary.cancelled) {
      process.stderr.write(`credo: cancelled; ${summary.finished} trial(s) finished, the rest recorded as cancelled. Run again to resume.\n`);
      return 130;
    }
    await printLeaderboard(store, sweep.id, { metric: primaryMetric(sweep.at(0).config), format: 'table', mode: 'last', order: 'asc' });
    if (bad > 0) process.stderr.write(`credo: ${bad} trial(s) failed or timed out; see: credo query "SELECT trial_key, status, error FROM trials WHERE sweep_id = '${sweep.id}' AND status IN ('failed','timeout')"\n`);
    return bad > 0 ? 1 : 0;
  } finally {
    bar?.stop();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    await store.close();
  }
}
