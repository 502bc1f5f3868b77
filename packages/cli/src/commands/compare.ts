import { CredoError, type ParamValue } from '@credo/core';
import { betterOf, compareConfigs, primaryMetricOf, quote, type ConfigComparison, type GroupRef, type ValueMode } from '@credo/report';
import type { Better, MetricsStore } from '@credo/store';
import { openStore } from '../open-store.js';
import { formatNumber, renderRows, type OutputFormat } from '../format.js';

export interface CompareOptions {
  store: string;
  metric?: string;
  by?: string[];
  where?: Record<string, ParamValue>;
  a?: Record<string, ParamValue>;
  b?: Record<string, ParamValue>;
  mode: ValueMode;
  better?: Better;
  format: OutputFormat;
}

/**
 * `credo compare SWEEP_A [SWEEP_B]`: per configuration, the seeds of side A against the seeds
 * of side B — mean, sd, n and 95% CI of each, the difference B − A with Welch's 95% CI, and
 * the two-sided Mann–Whitney U p-value (exact for small samples), which does not assume the
 * seeds are normal. Two sweeps compare like with like; one sweep compares `--a` with `--b`.
 */
export async function compareCommand(sweepA: string, sweepB: string | undefined, opts: CompareOptions): Promise<number> {
  // Every check that needs no store comes first, so that bad input opens nothing.
  quote(sweepA);
  if (sweepB !== undefined) quote(sweepB);
  if (sweepB === undefined && (!opts.a || !opts.b)) {
    throw new CredoError('USAGE', 'comparing within one sweep needs both --a and --b', { field: opts.a ? '--b' : '--a', allowed: 'param=value[,…] selecting each side, e.g. --a rule.name=bp --b rule.name=fa; or name a second sweep' });
  }
  for (const [side, sel] of [['--a', opts.a], ['--b', opts.b]] as const) {
    for (const k of Object.keys(sel ?? {})) {
      if (opts.where && k in opts.where) throw new CredoError('USAGE', 'parameter also pinned by --where', { field: side, value: k });
      if (opts.by?.includes(k)) throw new CredoError('USAGE', 'parameter also named by --by', { field: side, value: k });
    }
  }
  const store = await openStore(opts.store, { readOnly: true });
  try {
    for (const id of sweepB !== undefined ? [sweepA, sweepB] : [sweepA]) {
      if (!(await store.getSweep(id))) {
        const known = (await store.listSweeps()).map((s) => s.id);
        throw new CredoError('NOT_FOUND', 'no such sweep in the store', { field: 'sweep', value: id, allowed: known.slice(0, 20).join(', ') || 'none yet' });
      }
    }
    const metric = opts.metric ?? (await defaultMetric(store, sweepA));
    const better = opts.better ?? betterOf(metric);
    const ref = (sweep: string, sel: Record<string, ParamValue> | undefined): GroupRef => {
      const where = { ...opts.where, ...sel };
      return Object.keys(where).length ? { sweep, where } : { sweep };
    };
    const a = ref(sweepA, opts.a);
    const b = ref(sweepB ?? sweepA, opts.b);
    const { by, rows } = await compareConfigs(store, a, b, { metric, mode: opts.mode, better, ...(opts.by ? { by: opts.by } : {}) });
    if (opts.format === 'table') {
      process.stdout.write(`\ncompare: ${describe(a, 'A')} vs ${describe(b, 'B')} — ${metric} (${opts.mode} value per trial, ${better} is better)\n`);
      process.stdout.write(`per configuration${by.length ? ` of ${by.join(', ')}` : ''}: mean over seeds ± 95% CI; diff = B − A with Welch's 95% CI; p (U) = two-sided Mann–Whitney U over seeds\n`);
    }
    process.stdout.write(renderComparison(by, rows, metric, opts.format));
  } finally {
    await store.close();
  }
  return 0;
}

function describe(ref: GroupRef, name: string): string {
  const where = Object.entries(ref.where ?? {}).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return `${name} = ${ref.sweep}${where.length ? ` [${where.join(', ')}]` : ''}`;
}

/** The comparison rows as a table (rounded, CIs as ±), or as CSV/JSON (full precision, one column per number). */
export function renderComparison(by: readonly string[], rows: readonly ConfigComparison[], metric: string, format: OutputFormat): string {
  if (format === 'table') {
    const ci = (v: number): string => (Number.isFinite(v) ? `± ${formatNumber(v)}` : '–');
    const interval = (lo: number, hi: number): string => (Number.isFinite(lo) && Number.isFinite(hi) ? `[${formatNumber(lo)}, ${formatNumber(hi)}]` : '–');
    const n = (s: ConfigComparison['a']): string => (s.diverged ? `${s.n} (+${s.diverged} div)` : String(s.n));
    const cols = [...by, 'A n', `A ${metric}`, 'A ci95', 'A sd', 'B n', `B ${metric}`, 'B ci95', 'B sd', 'diff B−A', 'diff ci95', 'p (U)', 'verdict'];
    const body = rows.map((r) => [
      ...by.map((k) => r.group[k]),
      n(r.a), r.a.mean, ci(r.a.ci95), r.a.sd,
      n(r.b), r.b.mean, ci(r.b.ci95), r.b.sd,
      r.difference.diff, interval(...r.difference.ci95), r.mannWhitney.p, r.verdict,
    ]);
    return renderRows(cols, body, format);
  }
  const cols = [
    ...by, 'a_n', 'a_diverged', 'a_mean', 'a_sd', 'a_ci95', 'b_n', 'b_diverged', 'b_mean', 'b_sd', 'b_ci95',
    'diff', 'diff_lo', 'diff_hi', 'relative', 'hodges_lehmann', 'p_mann_whitney', 'p_welch', 'verdict',
  ];
  const body = rows.map((r) => [
    ...by.map((k) => r.group[k]),
    r.a.n, r.a.diverged, r.a.mean, r.a.sd, r.a.ci95, r.b.n, r.b.diverged, r.b.mean, r.b.sd, r.b.ci95,
    r.difference.diff, r.difference.ci95[0], r.difference.ci95[1], r.relative, r.hodgesLehmann, r.mannWhitney.p, r.difference.p, r.verdict,
  ]);
  return renderRows(cols, body, format);
}

async function defaultMetric(store: MetricsStore, sweepId: string): Promise<string> {
  const r = await store.query(`SELECT DISTINCT name FROM metrics WHERE sweep_id = ${quote(sweepId)} AND name LIKE 'test/%' ORDER BY name`);
  const m = primaryMetricOf(r.rows.map((x) => String(x[0])));
  if (!m) throw new CredoError('NOT_FOUND', 'the sweep has no test metric; name one with --metric', { field: 'sweep', value: sweepId });
  return m;
}
