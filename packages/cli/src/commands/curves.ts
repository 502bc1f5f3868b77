import { writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { CredoError, type TrialStatus } from '@credo/core';
import { curveChart, curves, preloadPlotting, primaryMetricOf, quote, renderSvg, shortName, svgToPng, type CurveSeries } from '@credo/report';
import type { MetricsStore } from '@credo/store';
import { openStore } from '../open-store.js';
import { formatNumber, renderRows, type OutputFormat } from '../format.js';

export interface CurvesOptions {
  store: string;
  metric?: string;
  by?: string[];
  plot?: string;
  format: OutputFormat;
  log?: boolean;
  includeDiverged?: boolean;
}

/** Plot files `--plot` can write, by extension. */
const PLOT_TYPES = ['.svg', '.png'];

/**
 * `credo curves SWEEP`: mean and 95% CI of a metric per step, one curve per group. Prints the
 * points (table, csv or json); with `--plot FILE.svg|FILE.png` draws them (the same picture as
 * in `credo report`) and prints only each curve's last point as a table.
 */
export async function curvesCommand(sweepId: string, opts: CurvesOptions): Promise<number> {
  if (opts.plot !== undefined && !PLOT_TYPES.includes(extname(opts.plot).toLowerCase())) {
    throw new CredoError('USAGE', 'invalid value', { field: '--plot', value: opts.plot, allowed: 'a file name ending in .svg or .png' });
  }
  // The plotting libraries load while the store answers (the query is mostly the database's time).
  if (opts.plot) void preloadPlotting();
  const store = await openStore(opts.store, { readOnly: true });
  try {
    const metric = opts.metric ?? (await defaultMetric(store, sweepId));
    const by = opts.by ?? (await defaultBy(store, sweepId, metric));
    const statuses: TrialStatus[] = opts.includeDiverged ? ['done', 'diverged'] : ['done'];
    const t0 = performance.now();
    const series = await curves(store, sweepId, { metric, by, statuses });
    const queryMs = performance.now() - t0;
    if (series.length === 0) {
      if (!(await store.getSweep(sweepId))) throw new CredoError('NOT_FOUND', 'no such sweep in the store', { field: 'sweep', value: sweepId });
      throw new CredoError('NOT_FOUND', 'no completed trial of the sweep has this metric', { field: 'metric', value: metric });
    }
    const points = series.reduce((n, s) => n + s.points.reduce((m, p) => m + p.n + p.nonFinite, 0), 0);
    if (opts.plot) {
      const legend = by.length ? by.map(shortName).join(' · ') : 'all trials';
      const svg = await renderSvg(curveChart(series, { metric, legend, ...(opts.log !== undefined ? { log: opts.log } : {}) }));
      await writeFile(opts.plot, extname(opts.plot).toLowerCase() === '.png' ? svgToPng(svg) : svg);
      process.stderr.write(`credo: ${series.length} curve(s) over ${points} point(s) (query ${queryMs.toFixed(0)} ms); plot written to ${opts.plot}\n`);
    }
    printSeries(series, by, metric, opts.plot && opts.format === 'table' ? 'last' : 'all', opts.format);
  } finally {
    await store.close();
  }
  return 0;
}

function printSeries(series: readonly CurveSeries[], by: readonly string[], metric: string, which: 'all' | 'last', format: OutputFormat): void {
  const cols = [...by, 'step', 'n', `${metric} mean`, 'sd', 'ci95', 'lo', 'hi', 'non-finite'];
  const rows: unknown[][] = [];
  for (const s of series) {
    const pts = which === 'last' ? s.points.slice(-1) : s.points;
    for (const p of pts) {
      const ci = format === 'table' ? (Number.isFinite(p.ci95) ? `± ${formatNumber(p.ci95)}` : '–') : p.ci95;
      rows.push([...by.map((b) => s.group[b]), p.step, p.n, p.mean, p.sd, ci, p.lo, p.hi, p.nonFinite]);
    }
  }
  if (format === 'table' && which === 'last') process.stdout.write(`\nlast point of each curve: ${metric} (mean over seeds, 95% CI)\n`);
  process.stdout.write(renderRows(cols, rows, format));
}

async function defaultMetric(store: MetricsStore, sweepId: string): Promise<string> {
  const r = await store.query(`SELECT DISTINCT name FROM metrics WHERE sweep_id = ${quote(sweepId)} AND name LIKE 'test/%' ORDER BY name`);
  const m = primaryMetricOf(r.rows.map((x) => String(x[0])));
  if (!m) throw new CredoError('NOT_FOUND', 'the sweep has no test metric (or does not exist); name one with --metric', { field: 'sweep', value: sweepId });
  return m;
}

/** The rule when several rules ran, else nothing: one curve per rule is what people compare. */
async function defaultBy(store: MetricsStore, sweepId: string, metric: string): Promise<string[]> {
  const finals = await store.finalValues(sweepId, metric, 'last', { statuses: ['done', 'diverged'] });
  const rules = new Set(finals.map((f) => String(f.params['rule.name'])));
  return rules.size > 1 ? ['rule.name'] : [];
}
