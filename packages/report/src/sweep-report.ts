import { CredoError, type ParamValue } from '@credo/core';
import { groupColumns, TRIAL_STATUSES, type Better, type LeaderboardRow, type MetricsStore } from '@credo/store';
import { esc, figure, page, table } from './html.js';
import { curveChart, heatmapChart, metricAxis, renderSvg } from './plots.js';
import { betterOf, curves, leaderboardQuery, primaryMetricOf, shortName, sweepOverview, type ValueMode } from './queries.js';

/*
 * `credo report SWEEP`: one self-contained HTML page with what a researcher looks at after a
 * sweep — summary, leaderboard, learning curves with CI bands per rule, a heatmap over two
 * parameters, and the diagnostic curves (alignment angles). Every figure is built by the same
 * functions `credo curves` uses, so the pictures match.
 */

export interface SweepReportOptions {
  /** The metric of the leaderboard, heatmap and first curve; default test/error, test/mse, … */
  readonly metric?: string;
  /** Default: guessed from the metric's name (errors and losses lower, accuracies higher). */
  readonly better?: Better;
  /** Value per trial for the leaderboard and heatmap; default `last`. */
  readonly mode?: ValueMode;
  /** Parameters a curve stands for; default every varied one, the rule first. */
  readonly by?: readonly string[];
  /** The heatmap's two parameters [x, y]; default two varied ones (the rule on y). */
  readonly heatmap?: readonly [string, string];
  /** At most this many diagnostic charts (default 6). */
  readonly maxDiagnostics?: number;
  /** Time printed in the footer (default now). */
  readonly generatedAt?: Date;
}

/** A finished report: the page and its figures (each also available to write on its own). */
export interface SweepReport {
  readonly html: string;
  readonly figures: ReadonlyArray<{ readonly name: string; readonly svg: string }>;
}

/** Metrics shown as diagnostics: alignment angles first, then other angle-like diagnostics. */
const DIAGNOSTIC = [/^angle\//, /^wb_angle\//, /^ewbe/];

/**
 * Builds the HTML report of a sweep.
 *
 * @example
 * ```ts
 * const { html } = await buildSweepReport(store, 'quickstart');
 * await writeFile('report.html', html);
 * ```
 */
export async function buildSweepReport(store: MetricsStore, sweepId: string, opts: SweepReportOptions = {}): Promise<SweepReport> {
  const o = await sweepOverview(store, sweepId);
  const metric = opts.metric ?? primaryMetricOf(o.metrics);
  if (!metric) throw new CredoError('NOT_FOUND', 'the sweep has no test metric yet; name one with --metric', { field: 'sweep', value: sweepId });
  if (!o.metrics.includes(metric)) throw new CredoError('NOT_FOUND', 'no trial of the sweep emitted this metric', { field: 'metric', value: metric, allowed: o.metrics.join(', ') });
  const better = opts.better ?? betterOf(metric);
  const mode = opts.mode ?? 'last';
  const by = opts.by ? [...opts.by] : defaultBy(o.varied);
  const legend = by.length === 0 ? 'all trials' : by.map(shortName).join(' · ');
  const figures: Array<{ name: string; svg: string }> = [];
  const sections: string[] = [];

  // Summary
  const total = o.sweep.count;
  const statusRows = TRIAL_STATUSES.filter((s) => o.counts[s] > 0).map((s) => [s, o.counts[s]]);
  sections.push(`<h1>${esc(o.sweep.name)}</h1>
<p class="sub">sweep <code>${esc(o.sweep.id)}</code>${o.sweep.description ? ` — ${esc(o.sweep.description)}` : ''}</p>
<h2>Summary</h2>
<dl class="facts">
<dt>trials</dt><dd>${total} (${o.counts.done} done${o.counts.diverged ? `, ${o.counts.diverged} diverged` : ''}${o.counts.failed + o.counts.timeout ? `, ${o.counts.failed + o.counts.timeout} failed or timed out` : ''}${o.counts.pending ? `, ${o.counts.pending} pending` : ''})</dd>
<dt>varied parameters</dt><dd>${o.varied.length ? o.varied.map((v) => `<code>${esc(v)}</code>`).join(', ') : 'none'}</dd>
<dt>seeds per configuration</dt><dd>${o.seeds}</dd>
<dt>judged by</dt><dd><code>${esc(metric)}</code> (${mode} value per trial, ${better} is better)</dd>
<dt>created · updated</dt><dd>${esc(o.sweep.createdAt)} · ${esc(o.sweep.updatedAt)}</dd>
<dt>metrics</dt><dd>${o.metrics.map((m) => `<code>${esc(m)}</code>`).join(' ')}</dd>
</dl>
${table(['status', 'trials'], statusRows)}
<details><summary>sweep spec</summary><pre>${esc(JSON.stringify(o.sweep.spec, null, 2))}</pre></details>`);

  // Leaderboard
  const board = await leaderboardQuery(store, sweepId, { metric, mode, better, ...(by.length ? { by } : {}) });
  sections.push(`<h2>Leaderboard</h2>
<p class="muted">Per configuration, ${mode} value of <code>${esc(metric)}</code> per trial: mean over seeds with its 95% confidence interval (Student t); diverged trials are counted apart, not averaged. Best first.</p>
${leaderboardTable(board, metric, by.length ? by : undefined)}`);

  // Learning curves (series colours follow the primary metric's series in every chart)
  let allLabels: string[] | undefined;
  const curveMetrics = [metric, ...['train/loss', 'test/loss'].filter((m) => m !== metric && o.metrics.includes(m))];
  const curveHtml: string[] = [];
  for (const m of curveMetrics) {
    const series = await curves(store, sweepId, { metric: m, by });
    if (series.length === 0) continue;
    allLabels ??= series.map((x) => x.label);
    const svg = await renderSvg(curveChart(series, { metric: m, legend, title: `${m} by ${legend}`, allLabels }));
    figures.push({ name: `curve-${slug(m)}`, svg });
    curveHtml.push(figure(svg, `learning curve of ${m}`));
  }
  sections.push(`<h2>Learning curves</h2>
<p class="muted">One line per ${esc(legend)}: the mean over seeds at each step; the band is the 95% CI of that mean.</p>
${curveHtml.join('\n') || '<p>No curves: no completed trial has these metrics.</p>'}`);

  // Heatmap
  const pair = opts.heatmap ?? defaultHeatmap(o.varied);
  if (pair) {
    const [x, y] = pair;
    const rows = await leaderboardQuery(store, sweepId, { metric, mode, better, by: [y, x] });
    const svg = await renderSvg(heatmapChart(rows, { metric, x, y, better }));
    figures.push({ name: `heatmap-${slug(y)}-${slug(x)}`, svg });
    sections.push(`<h2>Heatmap</h2>\n${figure(svg, `heatmap of ${metric} over ${y} and ${x}`, x === 'seed' ? 'Only one parameter varies: the columns are seeds, so each cell is a single trial.' : undefined)}`);
  } else {
    sections.push('<h2>Heatmap</h2>\n<p>Nothing varies in this sweep, so there is no grid to draw.</p>');
  }

  // Diagnostics
  const diag = o.metrics.filter((m) => DIAGNOSTIC.some((re) => re.test(m))).sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : 1));
  const maxDiag = opts.maxDiagnostics ?? 6;
  const diagHtml: string[] = [];
  for (const m of diag.slice(0, maxDiag)) {
    const series = await curves(store, sweepId, { metric: m, by });
    if (series.length === 0) continue;
    const svg = await renderSvg(curveChart(series, { metric: m, legend, title: `${m} by ${legend}`, height: 240, ...(allLabels ? { allLabels } : {}) }));
    figures.push({ name: `diagnostic-${slug(m)}`, svg });
    diagHtml.push(figure(svg, `diagnostic ${m}`, diagnosticCaption(m)));
  }
  const more = diag.length > maxDiag ? `<p class="muted">Not drawn: ${diag.slice(maxDiag).map((m) => `<code>${esc(m)}</code>`).join(' ')} (see <code>credo curves ${esc(sweepId)} --metric NAME</code>).</p>` : '';
  sections.push(`<h2>Diagnostics</h2>
${diagHtml.length ? diagHtml.join('\n') : '<p>No diagnostic metrics (angle/…) in this sweep.</p>'}${more}`);

  sections.push(`<h2>Reproduce</h2>
<pre>credo top ${esc(sweepId)} --metric ${esc(metric)}${by.length ? ` --by ${esc(by.join(','))}` : ''}
credo curves ${esc(sweepId)} --metric ${esc(metric)}${by.length ? ` --by ${esc(by.join(','))}` : ''} --plot curves.png
credo export ${esc(sweepId)} --format parquet --out ${esc(sweepId)}.parquet
credo query "SELECT status, count(*) FROM trials WHERE sweep_id = '${esc(sweepId)}' GROUP BY status"</pre>`);

  const when = (opts.generatedAt ?? new Date()).toISOString();
  const html = page(`credo report: ${o.sweep.name}`, sections.join('\n'), `generated by credo report at ${esc(when)}`);
  return { html, figures };
}

function leaderboardTable(rows: readonly LeaderboardRow[], metric: string, by: readonly string[] | undefined): string {
  const groupCols = groupColumns(rows, by);
  const pct = metricAxis(metric).format === '.1%';
  const show = (v: number): string => (!Number.isFinite(v) ? '–' : pct ? `${(v * 100).toFixed(2)}%` : fmt(v));
  return table(
    ['#', ...groupCols, 'seeds', `${metric} mean`, '± 95% CI', 'sd', 'min', 'max', 'diverged'],
    rows.map((r, i) => [i + 1, ...groupCols.map((c) => valueText(r.group[c])), r.n, show(r.mean), Number.isFinite(r.ci95) ? `± ${show(r.ci95)}` : '–', show(r.sd), show(r.min), show(r.max), r.diverged]),
  );
}

/** Four significant digits. */
function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3);
  return Number(v.toPrecision(4)).toString();
}

function valueText(v: ParamValue | undefined): string {
  return v === undefined ? '–' : typeof v === 'string' ? v : JSON.stringify(v);
}

/** The rule first, then the other varied parameters in name order. */
function defaultBy(varied: readonly string[]): string[] {
  return varied.includes('rule.name') ? ['rule.name', ...varied.filter((v) => v !== 'rule.name')] : [...varied];
}

/** Two varied parameters, the rule on the y axis; with only one, that one against seeds. */
function defaultHeatmap(varied: readonly string[]): [string, string] | undefined {
  if (varied.length === 0) return undefined;
  const y = varied.includes('rule.name') ? 'rule.name' : varied[0]!;
  const x = varied.find((v) => v !== y) ?? 'seed';
  return [x, y];
}

function rank(m: string): number {
  const i = DIAGNOSTIC.findIndex((re) => re.test(m));
  return i < 0 ? DIAGNOSTIC.length : i;
}

function diagnosticCaption(m: string): string | undefined {
  if (/^angle\/fa_bp\//.test(m)) return 'Angle between the hidden-layer update FA makes and the one backprop would make: it falls below 90° as the forward weights align with the feedback (Lillicrap et al. 2016).';
  if (/^angle\//.test(m)) return 'Angle between two rules’ hidden-layer updates on the same batch (degrees; 90° = unrelated).';
  if (/^wb_angle\//.test(m)) return 'Angle between the forward weights Wᵀ and the feedback matrix B (degrees).';
  return undefined;
}

function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').toLowerCase();
}

