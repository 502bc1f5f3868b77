import { mkdirSync, appendFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { envRecord, type BenchRecord } from './record.js';
import type { BenchContext } from './workload.js';
import { WORKLOADS } from './workloads/index.js';

/**
 * `npm run bench -- [--quick] [--out DIR] [--only a,b]`: runs the workloads of
 * perf-baseline.md §4, prints JSON lines (§5) and writes them to DIR/<group>.jsonl, so that
 * `python3 ../shared/bench-torch/compare.py --base ../shared/bench-torch/baseline/openblas-run2 --cand DIR`
 * prints the ratios against torch.
 */
async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: { quick: { type: 'boolean', default: false }, out: { type: 'string' }, only: { type: 'string' }, list: { type: 'boolean', default: false } },
      allowPositionals: false,
    }).values;
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\nusage: npm run bench -- [--quick] [--out DIR] [--only ${WORKLOADS.map((w) => w.name).join(',')}] [--list]\n`);
    return 2;
  }
  if (args.list) {
    for (const w of WORKLOADS) process.stdout.write(`${w.name}\t${w.description}\n`);
    return 0;
  }
  const only = args.only ? args.only.split(',').map((s) => s.trim()) : undefined;
  const unknown = only?.filter((o) => !WORKLOADS.some((w) => w.name === o)) ?? [];
  if (unknown.length) {
    process.stderr.write(`bench: --only: unknown workload ${unknown.join(', ')} — allowed: ${WORKLOADS.map((w) => w.name).join(', ')}\n`);
    return 2;
  }
  const out = resolve(args.out ?? join('.bench', new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)));
  mkdirSync(out, { recursive: true });
  for (const w of WORKLOADS) {
    if (only && !only.includes(w.name)) continue;
    const file = join(out, `${w.name}.jsonl`);
    writeFileSync(file, '');
    const write = (r: BenchRecord): void => {
      const line = JSON.stringify(r);
      process.stdout.write(line + '\n');
      appendFileSync(file, line + '\n');
    };
    write(envRecord(w.name));
    const ctx: BenchContext = { quick: args.quick ?? false, emit: write, log: (m) => process.stderr.write(`[${w.name}] ${m}\n`) };
    await w.run(ctx);
  }
  process.stderr.write(`bench: results in ${out}\n`);
  return 0;
}

process.exitCode = await main();
