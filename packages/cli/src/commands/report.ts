import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CredoError } from '@credo/core';
import { buildSweepReport, svgToPng, type ValueMode } from '@credo/report';
import type { Better } from '@credo/store';
import { openStore } from '../open-store.js';

export interface ReportCommandOptions {
  store: string;
  out?: string;
  metric?: string;
  better?: Better;
  mode: ValueMode;
  by?: string[];
  heatmap?: string[];
  figures?: string;
}

/**
 * `credo report SWEEP --out report.html`: one self-contained HTML page (summary, leaderboard,
 * learning curves with CI bands, a heatmap over two parameters, diagnostic curves). With
 * `--figures DIR` every figure is also written there as SVG and PNG.
 */
export async function reportCommand(sweepId: string, opts: ReportCommandOptions): Promise<number> {
  if (opts.heatmap && opts.heatmap.length !== 2) {
    throw new CredoError('USAGE', 'invalid value', { field: '--heatmap', value: opts.heatmap.join(','), allowed: 'two parameters, x,y (e.g. optimizer.lr,rule.name)' });
  }
  const out = opts.out ?? `${sweepId}-report.html`;
  const store = await openStore(opts.store, { readOnly: true });
  let report;
  try {
    report = await buildSweepReport(store, sweepId, {
      mode: opts.mode,
      ...(opts.metric ? { metric: opts.metric } : {}),
      ...(opts.better ? { better: opts.better } : {}),
      ...(opts.by ? { by: opts.by } : {}),
      ...(opts.heatmap ? { heatmap: [opts.heatmap[0]!, opts.heatmap[1]!] as const } : {}),
    });
  } finally {
    await store.close();
  }
  await writeFile(out, report.html);
  if (opts.figures) {
    await mkdir(opts.figures, { recursive: true });
    for (const f of report.figures) {
      await writeFile(join(opts.figures, `${f.name}.svg`), f.svg);
      await writeFile(join(opts.figures, `${f.name}.png`), svgToPng(f.svg));
    }
  }
  process.stderr.write(`credo: report of ${sweepId} written to ${out} (${report.figures.length} figure(s)${opts.figures ? `, also in ${opts.figures}/` : ''})\n`);
  return 0;
}
