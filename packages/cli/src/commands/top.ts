import { CredoError } from '@credo/core';
import { groupColumns, leaderboard, type MetricsStore } from '@credo/store';
import { openStore } from '../open-store.js';
import { formatNumber, renderRows, type OutputFormat } from '../format.js';

export interface TopOptions {
  metric?: string;
  by?: string[];
  mode: 'last' | 'min' | 'max';
  order: 'asc' | 'desc';
  format: OutputFormat;
}

/** The metric a sweep is judged by when none is named: its test score. */
async function defaultMetric(store: MetricsStore, sweepId: string): Promise<string> {
  // Sweep ids are validated to [a-z0-9._-], so this literal cannot break out of its quotes.
  const r = await store.query(`SELECT DISTINCT name FROM metrics WHERE sweep_id = '${sweepId}' AND name LIKE 'test/%' ORDER BY name`);
  const names = r.rows.map((row) => String(row[0]));
  for (const preferred of ['test/error', 'test/mse']) if (names.includes(preferred)) return preferred;
  if (names[0]) return names[0];
  throw new CredoError('NOT_FOUND', 'the sweep has no test metric yet; name one with --metric', { field: 'sweep', value: sweepId });
}

/** Prints the leaderboard of one sweep: per configuration, mean ± 95% CI of the metric's final value over seeds. */
export async function printLeaderboard(store: MetricsStore, sweepId: string, opts: TopOptions): Promise<void> {
  const sweep = await store.getSweep(sweepId);
  if (!sweep) throw new CredoError('NOT_FOUND', 'no such sweep in the store', { field: 'sweep', value: sweepId, allowed: (await store.listSweeps()).map((s) => s.id).join(', ') || 'none yet' });
  const metric = opts.metric ?? (await defaultMetric(store, sweepId));
  const finals = await store.finalValues(sweepId, metric, opts.mode);
  if (finals.length === 0) throw new CredoError('NOT_FOUND', 'no completed trial has this metric', { field: 'metric', value: metric });
  const rows = leaderboard(finals, { ...(opts.by ? { by: opts.by } : {}), order: opts.order });
  const groupCols = groupColumns(rows, opts.by);
  const pct = opts.format === 'table' && /(^|\/)error$/.test(metric);
  const show = (v: number): unknown => (pct && Number.isFinite(v) ? `${(v * 100).toFixed(2)}%` : v);
  const cols = [...groupCols, 'n', `${metric} mean`, 'sd', 'ci95', 'min', 'max'];
  const body = rows.map((r) => [
    ...groupCols.map((c) => r.group[c]),
    r.n,
    show(r.mean),
    show(r.sd),
    opts.format === 'table' ? (Number.isFinite(r.ci95) ? `± ${pct ? (r.ci95 * 100).toFixed(2) + '%' : formatNumber(r.ci95)}` : '–') : r.ci95,
    show(r.min),
    show(r.max),
  ]);
  if (opts.format === 'table') process.stdout.write(`\nleaderboard: ${sweepId} — ${metric} (${opts.mode} value per trial; mean over seeds, 95% CI)\n`);
  process.stdout.write(renderRows(cols, body, opts.format));
}

/** `credo top SWEEP`. */
export async function topCommand(sweepId: string, opts: TopOptions & { store: string }): Promise<number> {
  const store = await openStore(opts.store, { readOnly: true });
  try {
    await printLeaderboard(store, sweepId, opts);
  } finally {
    await store.close();
  }
  return 0;
}
