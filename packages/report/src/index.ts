/**
 * @module @credo/report
 * What people look at: the typed query API (leaderboard, curves, compare, raw SQL), plots
 * (vega-lite → SVG → PNG), the self-contained HTML sweep report, and the nightly regression
 * suite with its seed-aware decision and reports.
 */
export * from './queries.js';
export * from './plots.js';
export * from './two-sample.js';
export * from './sweep-report.js';
export { esc as escapeHtml } from './html.js';
export * from './regress/suite.js';
export * from './regress/decide.js';
export * from './regress/evaluate.js';
export * from './regress/regress-report.js';
