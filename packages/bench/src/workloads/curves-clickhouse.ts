import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashKey, type ParamValue } from '@credo/core';
import { openClickHouseStore, type IngestMetric, type IngestTrial } from '@credo/store';
import { Rng } from '@credo/tensor';
import { startClickHouse } from '@credo/testing';
import { median, now } from '../record.js';
import type { BenchContext, Workload } from '../workload.js';

/** The `credo` launcher, from packages/bench/dist/workloads/ (run as a process: bench may not import the CLI). */
const CREDO = fileURLToPath(new URL('../../../cli/bin/credo.js', import.meta.url));

/**
 * Issue 7's "`credo curves` over 10⁶ points returns in under a second on ClickHouse": a private
 * clickhouse-server 18.16 holding 1000 trials × 1000 steps of `train/loss` (two rules), then,
 * interleaved so that load drifts hit every variant alike, the time of
 * - `query`: `store.curveStats()` in a warm process — the database's aggregation, the transfer
 *   and the parsing of one row per (rule, step);
 * - `query_values`: `store.curveCells()`, the per-value path the curves used before (8 MB of
 *   doubles shipped and sorted in JS), for comparison;
 * - `cli_version`: `credo --version`, the cost of starting node and the command at all;
 * - `cli_table`: `credo curves big --metric train/loss --by rule.name` (prints 2000 rows);
 * - `cli_png`: the same with `--plot out.png` (vega-lite → SVG → PNG).
 * Each record's value is the median over repetitions (7, 3 with --quick), in seconds.
 *
 * @example
 * ```sh
 * npm run bench -- --only credo_curves_clickhouse
 * ```
 */
export const curvesClickHouseWorkload: Workload = {
  name: 'credo_curves_clickhouse',
  description: 'credo curves over 10^6 metric points in ClickHouse 18.16: query, whole command (table), whole command with a PNG plot',
  async run(ctx: BenchContext) {
    const trials = 1000;
    const steps = 1000;
    const reps = ctx.quick ? 3 : 7;
    const ch = await startClickHouse();
    const dir = mkdtempSync(join(tmpdir(), 'credo-bench-curves-'));
    try {
      const store = await openClickHouseStore(ch.storeUrl({ database: 'bench' }));
      const t0 = now();
      try {
        await store.ingest({ sweeps: [{ id: 'big', name: 'big', specHash: 'h', spec: {}, count: trials }] });
        const rng = new Rng(1);
        for (let b = 0; b < trials; b += 100) {
          const metrics: IngestMetric[] = [];
          const rows: IngestTrial[] = [];
          for (let i = b; i < b + 100; i++) {
            const params: Record<string, ParamValue> = { 'rule.name': i % 2 ? 'fa' : 'bp', 'task.name': 'linear-teacher', seed: i >> 1 };
            const { seed, ...rest } = params;
            const key = hashKey(params);
            rows.push({ sweepId: 'big', trialKey: key, configKey: hashKey(rest), index: i, config: { params, seed }, params, attempt: 1, status: 'done' });
            for (let s = 0; s < steps; s++) {
              metrics.push({ sweepId: 'big', trialKey: key, attempt: 1, name: 'train/loss', step: s, value: Math.exp(-s / 300) + 0.05 * rng.normal(), timeMs: 1_700_000_000_000 + s });
            }
          }
          await store.ingest({ metrics, trials: rows });
        }
      } finally {
        await store.close();
      }
      ctx.log(`ingested ${trials * steps} points in ${(now() - t0).toFixed(1)} s`);

      const url = ch.storeUrl({ database: 'bench', readonly: true });
      const ro = await openClickHouseStore(url, { readOnly: true });
      const cli = ['curves', 'big', '--store', url, '--metric', 'train/loss', '--by', 'rule.name'];
      const png = join(dir, 'out.png');
      const variants: Record<string, () => Promise<void>> = {
        query: async () => {
          const cells = await ro.curveStats('big', 'train/loss', { by: ['rule.name'] });
          if (cells.length !== 2 * steps || cells[0]!.n !== trials / 2) throw new Error(`curveStats: unexpected ${cells.length} cells`);
        },
        query_values: async () => {
          const cells = await ro.curveCells('big', 'train/loss', { by: ['rule.name'] });
          if (cells.length !== 2 * steps) throw new Error(`curveCells: unexpected ${cells.length} cells`);
        },
        cli_version: () => runCredo(['--version']),
        cli_table: () => runCredo(cli),
        cli_png: () => runCredo([...cli, '--plot', png]),
      };
      const samples: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
      try {
        // One untimed round warms the server's caches and the OS's file cache for node_modules.
        for (const fn of Object.values(variants)) await fn();
        for (let r = 0; r < reps; r++) {
          for (const [k, fn] of Object.entries(variants)) {
            const a = now();
            await fn();
            samples[k]!.push(now() - a);
          }
        }
      } finally {
        await ro.close();
      }
      for (const [k, xs] of Object.entries(samples)) {
        const value = median(xs);
        ctx.log(`${k}: median ${(value * 1000).toFixed(0)} ms (${xs.map((x) => (x * 1000).toFixed(0)).join(', ')})`);
        ctx.emit({
          workload: 'credo_curves_clickhouse', impl: 'credo', params: { step: k, points: trials * steps, trials, steps, groups: 2, server: 'clickhouse-18.16' },
          metric: 'seconds', value: Math.round(value * 1e4) / 1e4, unit: 's', reps, samples: xs.map((x) => Math.round(x * 1e4) / 1e4),
        });
      }
    } finally {
      await ch.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

/** Runs the credo launcher to completion; rejects with its stderr when it exits non-zero. */
function runCredo(args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CREDO, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`credo ${args[0]} exited ${code}: ${err.trim()}`))));
  });
}
