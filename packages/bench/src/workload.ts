import type { BenchRecord } from './record.js';

export interface BenchContext {
  /** Fewer repetitions and sizes: `npm run bench -- --quick`. */
  readonly quick: boolean;
  /** Emits one record (printed as a JSON line and written to the workload's file). */
  emit(r: BenchRecord): void;
  log(msg: string): void;
}

/**
 * One benchmark group, writing `<file>.jsonl` in the output folder. Workloads live one per
 * file in `workloads/` and are listed in `workloads/index.ts`.
 */
export interface Workload {
  /** Group name, used by `--only` and as the output file name. */
  readonly name: string;
  readonly description: string;
  run(ctx: BenchContext): Promise<void> | void;
}
