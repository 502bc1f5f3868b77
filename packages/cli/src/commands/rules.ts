import { COMPONENT_KINDS, describeAllowed, type ComponentInfo } from '@credo/core';
import { defaultCatalog } from '@credo/runtime';
import { renderRows, type OutputFormat } from '../format.js';

/** `credo rules`: every registered task, model, rule and optimizer with its parameters. */
export function rulesCommand(opts: { format: OutputFormat }): number {
  const catalog = defaultCatalog();
  const all: ComponentInfo[] = COMPONENT_KINDS.flatMap((k) => [...catalog.list(k)]);
  if (opts.format === 'json') {
    process.stdout.write(JSON.stringify(all, null, 2) + '\n');
    return 0;
  }
  const rows: unknown[][] = [];
  for (const c of all) {
    const params = Object.entries(c.params);
    rows.push([c.kind, c.name, '', '', c.description + (c.reference ? ` [${c.reference}]` : '')]);
    for (const [p, def] of params) rows.push(['', '', p, def.default === undefined ? '(required)' : JSON.stringify(def.default), `${def.description} (${describeAllowed(def)})`]);
  }
  process.stdout.write(renderRows(['kind', 'name', 'param', 'default', 'description'], rows, opts.format));
  return 0;
}
