import { existsSync } from 'node:fs';
import { CredoError, type ParamValue } from '@credo/core';
import type { Better, LeaderboardRow } from '@credo/store';
import { createRequire } from 'node:module';
import type { TopLevelSpec } from 'vega-lite';
import { shortName, type CurveSeries } from './queries.js';

/*
 * Plots: vega-lite specs built from query results, rendered to SVG by vega with no browser
 * (renderer 'none'), and to PNG by resvg. The HTML report inlines the very same SVG the CLI
 * writes, so a picture looks the same wherever it is seen.
 *
 * Text needs a font: resvg silently draws no text at all without one, so PNG rendering loads
 * DejaVu Sans (Debian's fonts-dejavu-core) explicitly and refuses to render when it is missing.
 * SVGs name the same family, with sans-serif as the browser's fallback.
 */

/** The font every plot names; PNG rendering loads its files. */
export const PLOT_FONT = 'DejaVu Sans';

/** Where Debian (fonts-dejavu-core) and a few other systems keep DejaVu Sans. */
const FONT_DIRS = ['/usr/share/fonts/truetype/dejavu', '/usr/share/fonts/dejavu', '/usr/share/fonts/TTF', '/usr/local/share/fonts'];

/** Ten distinguishable colours (Tableau 10), in the order series are listed. */
export const PALETTE = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#eeca3b', '#b279a2', '#ff9da6', '#9d755d', '#bab0ac'];

const CONFIG = {
  font: PLOT_FONT,
  background: 'white',
  padding: 8,
  axis: { labelFontSize: 12, titleFontSize: 13, titleFontWeight: 'normal', gridColor: '#e8e8e8', labelColor: '#333', titleColor: '#222' },
  legend: { labelFontSize: 12, titleFontSize: 12, titleFontWeight: 'normal', labelLimit: 260, symbolStrokeWidth: 3 },
  title: { fontSize: 15, subtitleFontSize: 12, subtitleColor: '#555', anchor: 'start', offset: 10 },
  view: { stroke: '#ccc' },
} as const;

/** How a metric is shown on an axis: a title with its unit, a number format, and whether a log scale suits it. */
export interface MetricAxis {
  readonly title: string;
  readonly format: string;
  readonly log: boolean;
  /** The metric's natural range (an error rate in [0, 1], an angle in [0°, 180°]): CI bands are clipped to it. */
  readonly min?: number;
  readonly max?: number;
}

/**
 * Axis title, unit and format for a metric name: error rates in percent, angles in degrees,
 * losses and MSE unitless (and on a log scale by default: they fall over decades).
 *
 * @example
 * ```ts
 * metricAxis('test/error')      // { title: 'test error (%)', format: '.1%', log: false }
 * metricAxis('angle/fa_bp/h1')  // { title: 'angle fa_bp/h1 (degrees)', format: '.0f', log: false }
 * ```
 */
export function metricAxis(metric: string): MetricAxis {
  const [head, ...rest] = metric.split('/');
  const tail = rest.join('/');
  if (/(^|\/)error$/.test(metric)) return { title: `${head} error (%)`, format: '.1%', log: false, min: 0, max: 1 };
  if (/(^|\/)acc(uracy)?$/.test(metric)) return { title: `${head} accuracy (%)`, format: '.1%', log: false, min: 0, max: 1 };
  if (/angle/.test(head ?? '')) return { title: `${head!.replace(/_/g, ' ')} ${tail} (degrees)`, format: '.0f', log: false, min: 0, max: 180 };
  if (/(^|\/)(loss|mse)$/.test(metric)) return { title: `${head} ${tail === 'mse' ? 'MSE' : tail}`, format: '.3~g', log: true, min: 0 };
  return { title: metric, format: '.3~g', log: false };
}

export interface CurveChartOptions {
  readonly metric: string;
  readonly title?: string;
  /** Legend title, e.g. `rule`. */
  readonly legend?: string;
  /** Override the metric's default scale. */
  readonly log?: boolean;
  readonly width?: number;
  readonly height?: number;
  /**
   * Every label of the report this chart belongs to: a series keeps its colour across charts
   * that show different subsets (an angle only FA reports next to a loss all rules report).
   */
  readonly allLabels?: readonly string[];
}

/**
 * A learning-curve chart: per series, the mean as a line and the 95% CI as a band. Steps with a
 * single trial have a line but no band. Non-positive means are dropped on a log scale (say so
 * in the subtitle rather than failing).
 *
 * @example
 * ```ts
 * const svg = await renderSvg(curveChart(await curves(store, 'quickstart', { metric: 'test/error', by: ['rule.name'] }), { metric: 'test/error', legend: 'rule' }));
 * ```
 */
export function curveChart(series: readonly CurveSeries[], opts: CurveChartOptions): TopLevelSpec {
  const axis = metricAxis(opts.metric);
  const log = opts.log ?? axis.log;
  const rows: Array<Record<string, unknown>> = [];
  let dropped = 0;
  let clipped = false;
  let maxStep = 0;
  // A band below 0 for an error rate says nothing the reader can use (2 seeds: t = 12.7); clip it.
  const clip = (v: number): number => {
    const c = Math.min(axis.max ?? Infinity, Math.max(axis.min ?? -Infinity, v));
    if (c !== v) clipped = true;
    return c;
  };
  for (const s of series) {
    for (const p of s.points) {
      if (!Number.isFinite(p.mean) || (log && p.mean <= 0)) {
        dropped++;
        continue;
      }
      maxStep = Math.max(maxStep, p.step);
      const band = Number.isFinite(p.lo) && Number.isFinite(p.hi) && (!log || p.lo > 0);
      rows.push({ series: s.label, step: p.step, mean: p.mean, lo: band ? clip(p.lo) : null, hi: band ? clip(p.hi) : null, n: p.n });
    }
  }
  const labels = series.map((s) => s.label);
  const seedsText = seedSummary(series);
  const range = axis.max === 1 ? '[0, 100%]' : axis.max !== undefined ? `[${axis.min}, ${axis.max}]` : `≥ ${axis.min}`;
  const subtitle = [
    `mean over ${seedsText}; shaded: 95% CI (Student t)${clipped ? `, clipped to ${range}` : ''}`,
    dropped ? `${dropped} non-positive or missing point(s) not shown` : '',
  ].filter(Boolean);
  // nice: false keeps a log axis from stretching to the next powers of ten (1…100 for data in 2…30).
  const y = { type: 'quantitative' as const, title: log ? `${axis.title} (log scale)` : axis.title, axis: { format: log ? '~g' : axis.format }, scale: log ? { type: 'log' as const, nice: false } : { zero: false } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: opts.title ?? `${opts.metric} by ${opts.legend ?? 'group'}`, subtitle },
    width: opts.width ?? 560,
    height: opts.height ?? 300,
    config: CONFIG,
    data: { values: rows },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'training step (minibatch updates)', axis: { format: maxStep >= 10_000 ? '~s' : 'd' } },
      color: {
        field: 'series',
        type: 'nominal',
        title: opts.legend ?? 'group',
        scale: { domain: labels, range: colorsFor(labels, opts.allLabels ?? labels) },
        // Stroke symbols at full opacity: the legend merges the band's pale fill with the line otherwise.
        legend: { orient: labels.length > 6 ? 'bottom' : 'right', symbolType: 'stroke', symbolOpacity: 1, ...(labels.length > 6 ? { columns: 3 } : {}) },
      },
    },
    layer: [
      { transform: [{ filter: 'isValid(datum.lo)' }], mark: { type: 'area', opacity: 0.18 }, encoding: { y: { field: 'lo', ...y }, y2: { field: 'hi' } } },
      {
        mark: { type: 'line', strokeWidth: 2, interpolate: 'linear' },
        encoding: {
          y: { field: 'mean', ...y },
          tooltip: [{ field: 'series', title: opts.legend ?? 'group' }, { field: 'step' }, { field: 'mean', format: '.4~g' }, { field: 'n', title: 'seeds' }],
        },
      },
    ],
  } as TopLevelSpec;
}

function seedSummary(series: readonly CurveSeries[]): string {
  let lo = Infinity;
  let hi = 0;
  for (const s of series) for (const p of s.points) {
    lo = Math.min(lo, p.n);
    hi = Math.max(hi, p.n);
  }
  if (hi === 0) return 'seeds';
  return lo === hi ? `${hi} seed${hi === 1 ? '' : 's'}` : `${lo}–${hi} seeds`;
}

function colorsFor(labels: readonly string[], all: readonly string[]): string[] {
  return labels.map((l, i) => {
    const at = all.indexOf(l);
    return PALETTE[(at < 0 ? all.length + i : at) % PALETTE.length]!;
  });
}

export interface HeatmapOptions {
  readonly metric: string;
  readonly x: string;
  readonly y: string;
  readonly better: Better;
  readonly title?: string;
}

/**
 * A heatmap of a metric's mean over seeds on a grid of two parameters, each cell labelled with
 * its mean and n; the colour scale runs from worse (light) to better (dark) whichever way the
 * metric is better. Rows come from a leaderboard grouped by exactly `[x, y]`.
 *
 * @example
 * ```ts
 * heatmapChart(await leaderboardQuery(store, 'quickstart', { metric: 'test/error', by: ['rule.name', 'optimizer.lr'] }),
 *   { metric: 'test/error', x: 'optimizer.lr', y: 'rule.name', better: 'lower' });
 * ```
 */
export function heatmapChart(rows: readonly LeaderboardRow[], opts: HeatmapOptions): TopLevelSpec {
  const axis = metricAxis(opts.metric);
  const text = (v: ParamValue | undefined): string => (v === undefined ? '–' : typeof v === 'string' ? v : JSON.stringify(v));
  const values = rows.map((r) => ({
    x: text(r.group[opts.x]),
    y: text(r.group[opts.y]),
    mean: Number.isFinite(r.mean) ? r.mean : null,
    n: r.n,
    diverged: r.diverged,
  }));
  const sortOf = (k: string): string[] => {
    const vals = [...new Map(rows.map((r) => [text(r.group[k]), r.group[k]])).entries()];
    vals.sort((a, b) => (typeof a[1] === 'number' && typeof b[1] === 'number' ? a[1] - b[1] : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return vals.map((v) => v[0]);
  };
  const fmt = axis.format === '.1%' ? '.1%' : '.3~g';
  // Labels on the darker (better) half of the colour scale are white.
  const means = values.map((v) => v.mean).filter((m): m is number => m !== null);
  const mid = means.length ? (Math.min(...means) + Math.max(...means)) / 2 : 0;
  const darkTest = opts.better === 'lower' ? `datum.mean < ${mid}` : `datum.mean > ${mid}`;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: opts.title ?? `${opts.metric}: ${shortName(opts.y)} × ${shortName(opts.x)}`, subtitle: `cell: mean over seeds (and over any other parameters); darker is better (${opts.better})` },
    config: CONFIG,
    data: { values },
    width: { step: 90 },
    height: { step: 44 },
    encoding: {
      x: { field: 'x', type: 'ordinal', title: opts.x, sort: sortOf(opts.x), axis: { labelAngle: 0 } },
      y: { field: 'y', type: 'ordinal', title: opts.y, sort: sortOf(opts.y) },
    },
    layer: [
      {
        mark: { type: 'rect', stroke: 'white', strokeWidth: 1 },
        encoding: {
          color: {
            field: 'mean',
            type: 'quantitative',
            title: axis.title,
            scale: { scheme: 'blues', reverse: opts.better === 'lower' },
            legend: { format: fmt },
          },
        },
      },
      {
        mark: { type: 'text', fontSize: 12 },
        encoding: {
          text: { field: 'mean', type: 'quantitative', format: fmt },
          color: { condition: { test: darkTest, value: 'white' }, value: '#111' },
        },
      },
    ],
  } as TopLevelSpec;
}

/** One night of one benchmark, for {@link trendChart}. */
export interface TrendPoint {
  readonly night: string;
  readonly runId: string;
  /** Short x-axis label, e.g. `2025-01-31 · 3f2a9c1`. */
  readonly label: string;
  readonly mean: number;
  readonly lo: number;
  readonly hi: number;
  readonly verdict: string;
  readonly accepted: boolean;
}

export interface TrendOptions {
  readonly benchmark: string;
  readonly metric: string;
  readonly better: Better;
  /** Baseline mean and the band (baseline ± the smallest change that matters) drawn behind. */
  readonly baseline?: { readonly mean: number; readonly lo: number; readonly hi: number };
  readonly width?: number;
}

/**
 * The history of one benchmark: each run's mean over seeds with its 95% CI, the baseline as a
 * dashed line with the no-change band (± the smallest change that matters) shaded, and runs
 * flagged as regressions in red. Runs are in order on the x axis, labelled by run id.
 *
 * @example
 * ```ts
 * trendChart(points, { benchmark: 'fa/linear-teacher/test/mse', metric: 'test/mse', better: 'lower', baseline: { mean: 0.8, lo: 0.72, hi: 0.88 } });
 * ```
 */
export function trendChart(points: readonly TrendPoint[], opts: TrendOptions): TopLevelSpec {
  const axis = metricAxis(opts.metric);
  const values = points.map((p, i) => ({
    i,
    run: p.label,
    id: p.runId,
    night: p.night,
    mean: Number.isFinite(p.mean) ? p.mean : null,
    lo: Number.isFinite(p.lo) ? p.lo : null,
    hi: Number.isFinite(p.hi) ? p.hi : null,
    verdict: p.verdict,
    accepted: p.accepted ? 'baseline' : '',
  }));
  const order = values.map((v) => v.run);
  const y = { type: 'quantitative' as const, title: axis.title, scale: { zero: false }, axis: { format: axis.format } };
  const layers: unknown[] = [];
  if (opts.baseline && Number.isFinite(opts.baseline.mean)) {
    const b = opts.baseline;
    layers.push(
      { data: { values: [{ lo: b.lo, hi: b.hi }] }, mark: { type: 'rect', color: '#54a24b', opacity: 0.12 }, encoding: { y: { field: 'lo', ...y }, y2: { field: 'hi' } } },
      { data: { values: [{ m: b.mean }] }, mark: { type: 'rule', color: '#54a24b', strokeDash: [6, 4], strokeWidth: 1.5 }, encoding: { y: { field: 'm', ...y } } },
    );
  }
  layers.push(
    { mark: { type: 'rule', strokeWidth: 1.5, color: '#777' }, transform: [{ filter: 'isValid(datum.lo)' }], encoding: { x: { field: 'run', type: 'ordinal', sort: order }, y: { field: 'lo', ...y }, y2: { field: 'hi' } } },
    { mark: { type: 'line', color: '#999', strokeWidth: 1 }, encoding: { x: { field: 'run', type: 'ordinal', sort: order }, y: { field: 'mean', ...y } } },
    {
      mark: { type: 'point', filled: true, size: 80, opacity: 1 },
      encoding: {
        x: { field: 'run', type: 'ordinal', sort: order, title: 'run (oldest → newest)', axis: { labelAngle: -35, labelLimit: 220 } },
        y: { field: 'mean', ...y },
        color: {
          field: 'verdict',
          type: 'nominal',
          title: 'verdict',
          scale: { domain: ['ok', 'new', 'improvement', 'regression', 'error'], range: ['#4c78a8', '#9d755d', '#54a24b', '#e45756', '#000000'] },
        },
        shape: { field: 'accepted', type: 'nominal', title: 'baseline', scale: { domain: ['', 'baseline'], range: ['circle', 'diamond'] }, legend: null },
        tooltip: [{ field: 'id', title: 'run' }, { field: 'night' }, { field: 'mean', format: '.4~g' }, { field: 'verdict' }],
      },
    },
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: opts.benchmark, subtitle: `mean over seeds ± 95% CI per run; dashed: baseline, shaded: no change that matters (${opts.better} is better)` },
    config: CONFIG,
    width: opts.width ?? Math.max(320, Math.min(900, 60 * points.length)),
    height: 220,
    data: { values },
    layer: layers,
  } as TopLevelSpec;
}

/**
 * Starts loading the plotting libraries (vega, vega-lite) without waiting for them, so that a
 * caller that knows it will draw can overlap their ~0.2 s import with a database query. Never
 * rejects: a failed load shows up, with its real error, in {@link renderSvg}.
 *
 * @example
 * ```ts
 * preloadPlotting();                        // before the query
 * const series = await curves(store, sweep, q);
 * const svg = await renderSvg(curveChart(series, { metric })); // vega already loaded
 * ```
 */
export function preloadPlotting(): Promise<void> {
  return Promise.all([import('vega'), import('vega-lite')]).then(
    () => undefined,
    () => undefined,
  );
}

/**
 * Renders a vega-lite spec to SVG text, with no browser and no canvas.
 *
 * @example
 * ```ts
 * await writeFile('curves.svg', await renderSvg(curveChart(series, { metric: 'test/mse' })));
 * ```
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  // Loaded on first use: vega and vega-lite take ~0.3 s to import, which commands that only
  // print numbers (credo curves without --plot) should not pay.
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none', logLevel: vega.Warn });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * The DejaVu Sans files resvg loads, or undefined when none is installed.
 *
 * @example
 * ```ts
 * if (!findPlotFonts()) console.warn('PNG plots need fonts-dejavu-core; writing SVG');
 * ```
 */
export function findPlotFonts(): string[] | undefined {
  for (const dir of FONT_DIRS) {
    const regular = `${dir}/DejaVuSans.ttf`;
    if (existsSync(regular)) return [regular, `${dir}/DejaVuSans-Bold.ttf`].filter((f) => existsSync(f));
  }
  return undefined;
}

/**
 * Rasterizes an SVG (from {@link renderSvg}) to PNG at `scale` × its size (default 2, for
 * sharp text on high-density screens), on white. Throws DATA_MISSING when DejaVu Sans is not
 * installed, because resvg would otherwise silently draw every label blank.
 *
 * @example
 * ```ts
 * await writeFile('curves.png', svgToPng(await renderSvg(spec)));
 * ```
 */
export function svgToPng(svg: string, opts: { scale?: number } = {}): Buffer {
  const fonts = findPlotFonts();
  if (!fonts) {
    throw new CredoError('DATA_MISSING', `PNG plots need the DejaVu Sans font (Debian: apt-get install fonts-dejavu-core), looked in ${FONT_DIRS.join(', ')}; write .svg instead`);
  }
  // CommonJS with a native binding, required on first use (see renderSvg).
  const { Resvg } = createRequire(import.meta.url)('@resvg/resvg-js') as typeof import('@resvg/resvg-js');
  const r = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: opts.scale ?? 2 },
    background: 'white',
    font: { loadSystemFonts: false, fontFiles: fonts, defaultFontFamily: PLOT_FONT, sansSerifFamily: PLOT_FONT },
  });
  return r.render().asPng();
}
