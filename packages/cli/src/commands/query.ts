import { openStore } from '../open-store.js';
import { renderRows, type OutputFormat } from '../format.js';

/** `credo query SQL`: read-only SQL against the store (tables sweeps, trials, metrics). */
export async function queryCommand(sql: string, opts: { store: string; format: OutputFormat }): Promise<number> {
  const store = await openStore(opts.store, { readOnly: true });
  try {
    const r = await store.query(sql);
    process.stdout.write(renderRows(r.columns, r.rows, opts.format));
  } finally {
    await store.close();
  }
  return 0;
}
