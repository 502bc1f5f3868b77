import { defaultCatalog } from '@credo/runtime';
import { loadSweep } from '@credo/spec';
import { renderRows, type OutputFormat } from '../format.js';

/** `credo plan SPEC`: how many trials and which ones first; runs and writes nothing. */
export async function planCommand(specPath: string, opts: { limit: number; format: OutputFormat }): Promise<number> {
  const sweep = await loadSweep(specPath, defaultCatalog());
  const shown = Math.min(opts.limit, sweep.count);
  const cols = ['index', 'key', ...sweep.varied, 'seed'];
  const rows: unknown[][] = [];
  for (let i = 0; i < shown; i++) {
    const t = sweep.at(i);
    rows.push([t.index, t.key, ...sweep.varied.map((p) => t.params[p]), t.config.seed]);
  }
  if (opts.format === 'table') {
    process.stdout.write(`sweep ${sweep.id}: ${sweep.count} trial(s)` + (sweep.varied.length ? ` over ${sweep.varied.join(', ')}` : '') + ` × ${sweep.seeds.length} seed(s)\n`);
    if (shown > 0) process.stdout.write(`first ${shown}:\n`);
  }
  process.stdout.write(renderRows(cols, rows, opts.format));
  return 0;
}
