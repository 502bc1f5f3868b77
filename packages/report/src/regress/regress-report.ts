import { summarize, type RegressResultRecord, type RegressRunRecord } from '@credo/store';
import { esc, figure, page, table } from '../html.js';
import { renderSvg, svgToPng, trendChart, type TrendPoint } from '../plots.js';
import type { RegressSuite } from './suite.js';

/*
 * What a nightly run leaves behind: a console table, a Markdown report (for CI summaries and
 * PR comments; trend plots as PNG files beside it) and a self-contained HTML report (trend
 * plots inline). Both say what was decided, on which numbers, and how to accept an intended
 * change.
 */

/**
 * Rows of the console table: one per benchmark.
 *
 * @example
 * ```ts
 * const { columns, rows } = regressRows(run); // benchmark, seeds, mean, baseline, change, p, z, verdict
 * ```
 */
export function regressRows(run: RegressRunRecord): { columns: string[]; rows: unknown[][] } {
  return {
    columns: ['benchmark', 'seeds', 'mean', 'baseline', 'change', 'p', 'z', 'verdict'],
    rows: run.results.map((r) => [
      r.benchmark,
      `${r.n}${r.diverged ? `+${r.diverged}✗` : ''}`,
      num(r.mean),
      num(r.baselineMean),
      Number.isFinite(r.relChange) ? `${r.relChange >= 0 ? '+' : ''}${(r.relChange * 100).toFixed(1)}%` : '–',
      num(r.pValue),
      num(r.zScore),
      r.verdict.toUpperCase() === 'REGRESSION' ? 'REGRESSION' : r.verdict,
    ]),
  };
}

function num(v: number): string {
  if (Number.isNaN(v)) return '–';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(2);
  return Number(v.toPrecision(4)).toString();
}

/**
 * One benchmark's history as trend points, oldest first, ending with `run` (runs with
 * overrides and of an edited suite left out).
 *
 * @example
 * ```ts
 * trendChart(trendPoints(run, previous, 'fa/linear-teacher/test/mse', 14), { benchmark: 'fa/linear-teacher/test/mse', metric: 'test/mse', better: 'lower' });
 * ```
 */
export function trendPoints(run: RegressRunRecord, previous: readonly RegressRunRecord[], benchmark: string, lookback: number): TrendPoint[] {
  const older = previous
    .filter((r) => r.suiteHash === run.suiteHash && Object.keys(r.overrides).length === 0)
    .slice(0, lookback)
    .reverse();
  const out: TrendPoint[] = [];
  for (const r of [...older, run]) {
    const x = r.results.find((y) => y.benchmark === benchmark);
    if (!x) continue;
    const s = summarize(x.values.filter(Number.isFinite));
    const again = /\.(\d+)$/.exec(r.runId);
    const label = `${r.night}${again ? `.${again[1]}` : ''} · ${r.commit.slice(0, 7)}`;
    out.push({ night: r.night, runId: r.runId, label, mean: s.mean, lo: s.mean - s.ci95, hi: s.mean + s.ci95, verdict: x.verdict, accepted: r.accepted });
  }
  return out;
}

/** The baseline band of a benchmark for its trend plot: baseline mean ± the smallest change that matters. */
function baselineBand(r: RegressResultRecord): { mean: number; lo: number; hi: number } | undefined {
  if (!Number.isFinite(r.baselineMean)) return undefined;
  const d = r.relative ? r.minChange * Math.abs(r.baselineMean) : r.minChange;
  return { mean: r.baselineMean, lo: r.baselineMean - d, hi: r.baselineMean + d };
}

export interface RegressFigures {
  /** Per benchmark: its trend chart as SVG. */
  readonly trends: ReadonlyArray<{ readonly benchmark: string; readonly file: string; readonly svg: string }>;
}

/**
 * Renders the trend chart of every benchmark of a run.
 *
 * @example
 * ```ts
 * const figs = await regressFigures(run, previous, suite);
 * ```
 */
export async function regressFigures(run: RegressRunRecord, previous: readonly RegressRunRecord[], suite: Pick<RegressSuite, 'lookback'>): Promise<RegressFigures> {
  const trends = [];
  for (const r of run.results) {
    const points = trendPoints(run, previous, r.benchmark, suite.lookback);
    const band = baselineBand(r);
    const svg = await renderSvg(trendChart(points, { benchmark: r.benchmark, metric: r.metric, better: r.better, ...(band ? { baseline: band } : {}) }));
    trends.push({ benchmark: r.benchmark, file: `trend-${r.benchmark.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').toLowerCase()}.png`, svg });
  }
  return { trends };
}

/**
 * PNG files of the trend charts, by the file names the Markdown links to.
 *
 * @example
 * ```ts
 * for (const p of regressPngs(figs)) await writeFile(join(dir, p.file), p.png);
 * ```
 */
export function regressPngs(f: RegressFigures): Array<{ file: string; png: Buffer }> {
  return f.trends.map((t) => ({ file: t.file, png: svgToPng(t.svg) }));
}

function headline(run: RegressRunRecord): string {
  const bad = run.results.filter((r) => r.verdict === 'regression').length;
  const err = run.results.filter((r) => r.verdict === 'error').length;
  if (run.status === 'regression') return `REGRESSION: ${bad} of ${run.results.length} benchmarks got worse${err ? `, ${err} failed to run` : ''}`;
  if (run.status === 'error') return `ERROR: ${err} of ${run.results.length} benchmarks could not be judged`;
  return `OK: no regression in ${run.results.length} benchmarks`;
}

function criteria(suite: Pick<RegressSuite, 'alpha' | 'zMin' | 'minHistory' | 'lookback'>): string {
  return (
    `A benchmark regresses when (1) a one-sided Mann–Whitney U test of tonight's seeds against the baseline's says "worse" at p < ${suite.alpha} ` +
    `(diverged seeds rank worst), (2) the mean got worse by at least half the benchmark's smallest change that matters (or more seeds diverged), and ` +
    `(3) with ≥ ${suite.minHistory} past nights, tonight's mean is ≥ ${suite.zMin} standard deviations of the last ${suite.lookback} nightly means worse than their average.`
  );
}

/**
 * The Markdown report; trend plots are linked as PNG files expected beside it (see {@link regressPngs}).
 *
 * @example
 * ```ts
 * await writeFile('report.md', regressMarkdown(run, figs, suite));
 * ```
 */
export function regressMarkdown(run: RegressRunRecord, figs: RegressFigures, suite: Pick<RegressSuite, 'alpha' | 'zMin' | 'minHistory' | 'lookback' | 'name'>): string {
  const { columns, rows } = regressRows(run);
  const cell = (v: unknown) => String(v).replace(/\|/g, '\\|');
  const lines = [
    `# credo regress: ${run.suite} — ${run.night}`,
    '',
    `**${headline(run)}**`,
    '',
    `- run: \`${run.runId}\`${run.accepted ? ' (baseline)' : ''}`,
    `- commit: \`${run.commit}\`${run.ref ? ` (${run.ref})` : ''}`,
    `- baseline: ${run.baselineRunId ? `\`${run.baselineRunId}\`` : 'none (this run starts the history)'}`,
    `- sweeps: ${run.sweepIds.map((s) => `\`${s}\``).join(', ')}`,
    ...(Object.keys(run.overrides).length ? [`- **overrides (not a normal run):** ${Object.entries(run.overrides).map(([k, v]) => `\`${k}=${JSON.stringify(v)}\``).join(', ')}`] : []),
    '',
    `| ${columns.join(' | ')} |`,
    `| ${columns.map((_, i) => (i === 0 || i === columns.length - 1 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
    '',
    '## Why',
    '',
    ...run.results.map((r) => `- \`${r.benchmark}\` **${r.verdict}**: ${r.reason}`),
    '',
    '## Trends',
    '',
    ...figs.trends.map((t) => `![${t.benchmark}](${t.file})`),
    '',
    '## How this was decided',
    '',
    criteria(suite),
    '',
    run.status === 'ok'
      ? 'An intended improvement can be made the new baseline with `credo regress accept ' + run.suite + ' --run ' + run.runId + '`.'
      : 'If the change is intended, make this run the new baseline: `credo regress accept ' + run.suite + ' --run ' + run.runId + ' --note "why"`.',
    '',
  ];
  return lines.join('\n');
}

/**
 * The HTML report, self-contained (trend plots inline).
 *
 * @example
 * ```ts
 * await writeFile('report.html', regressHtml(run, figs, suite));
 * ```
 */
export function regressHtml(run: RegressRunRecord, figs: RegressFigures, suite: Pick<RegressSuite, 'alpha' | 'zMin' | 'minHistory' | 'lookback' | 'name'>): string {
  const { columns, rows } = regressRows(run);
  const body = `<h1>credo regress: ${esc(run.suite)} — ${esc(run.night)}</h1>
<p class="sub">run <code>${esc(run.runId)}</code>${run.accepted ? ' (baseline)' : ''} · commit <code>${esc(run.commit)}</code>${run.ref ? ` (${esc(run.ref)})` : ''} · baseline ${run.baselineRunId ? `<code>${esc(run.baselineRunId)}</code>` : 'none'}</p>
<div class="banner ${esc(run.status)}">${esc(headline(run))}</div>
${Object.keys(run.overrides).length ? `<p class="bad">Overrides (not a normal run): ${Object.entries(run.overrides).map(([k, v]) => `<code>${esc(k)}=${esc(JSON.stringify(v))}</code>`).join(', ')}</p>` : ''}
${table(columns, rows.map((r) => r.map((v, i) => (i === columns.length - 1 ? { html: `<span class="verdict-${esc(String(v).toLowerCase())}">${esc(v)}</span>` } : v))))}
<h2>Why</h2>
<ul>${run.results.map((r) => `<li><code>${esc(r.benchmark)}</code> <span class="verdict-${esc(r.verdict)}">${esc(r.verdict)}</span>: ${esc(r.reason)}</li>`).join('')}</ul>
<h2>Trends</h2>
${figs.trends.map((t) => figure(t.svg, `trend of ${t.benchmark}`)).join('\n')}
<h2>How this was decided</h2>
<p>${esc(criteria(suite))}</p>
<p>Sweeps: ${run.sweepIds.map((s) => `<code>${esc(s)}</code>`).join(', ')} — see them with <code>credo report SWEEP</code>. To make this run the baseline: <code>credo regress accept ${esc(run.suite)} --run ${esc(run.runId)}</code>.</p>`;
  return page(`credo regress ${run.suite} ${run.night}: ${run.status}`, body, `credo regress, run finished ${esc(run.finishedAt)}`);
}
