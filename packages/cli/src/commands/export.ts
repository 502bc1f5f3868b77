import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { CredoError, type TrialStatus } from '@credo/core';
import type { ExportFormat } from '@credo/store';
import { openStore } from '../open-store.js';

export interface ExportCommandOptions {
  store: string;
  format: ExportFormat;
  out?: string;
  metric?: string[];
  status?: TrialStatus[];
}

/**
 * `credo export SWEEP --format csv|parquet|jsonl [--out FILE]`: every metric point of the
 * sweep (current attempt of each trial), one row per point with the trial's seed, status and
 * varied parameters. Without --out the file goes to standard output (Parquet only when that
 * is not a terminal). Either store writes through the same embedded DuckDB writer.
 */
export async function exportCommand(sweepId: string, opts: ExportCommandOptions): Promise<number> {
  if (!opts.out && opts.format === 'parquet' && process.stdout.isTTY) {
    throw new CredoError('USAGE', 'Parquet is binary: name a file with --out, or redirect standard output', { field: '--out' });
  }
  const store = await openStore(opts.store, { readOnly: true });
  const tmp = opts.out ? undefined : await mkdtemp(join(tmpdir(), 'credo-export-'));
  const path = opts.out ?? join(tmp!, `export.${opts.format}`);
  try {
    const t0 = performance.now();
    const r = await store.exportMetrics(sweepId, {
      path,
      format: opts.format,
      ...(opts.metric?.length ? { metrics: opts.metric } : {}),
      ...(opts.status?.length ? { statuses: opts.status } : {}),
    });
    const ms = performance.now() - t0;
    await store.close();
    if (tmp) await pipeline(createReadStream(path), process.stdout, { end: false });
    const size = (await stat(path)).size;
    process.stderr.write(
      `credo: exported ${r.rows} row(s) of sweep ${sweepId} as ${opts.format} (${(size / 1e6).toFixed(1)} MB) in ${(ms / 1000).toFixed(2)} s${opts.out ? ` to ${opts.out}` : ''}; columns: ${r.columns.join(', ')}\n`,
    );
  } finally {
    await store.close().catch(() => undefined);
    if (tmp) await rm(tmp, { recursive: true, force: true });
  }
  return 0;
}
