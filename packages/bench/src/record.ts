import { cpus, loadavg } from 'node:os';

/** One JSON line in the format of perf-baseline.md §5; `value` is the median of `samples`. */
export interface BenchRecord {
  workload: string;
  impl: string;
  params: Record<string, unknown>;
  metric: string;
  value: number | null;
  unit: string;
  reps?: number;
  samples?: number[];
  [extra: string]: unknown;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Monotonic seconds (perf-baseline §4: process.hrtime.bigint on the Node side). */
export function now(): number {
  return Number(process.hrtime.bigint()) / 1e9;
}

/**
 * Times `fn` as the baseline does: one untimed warm-up, then `reps` timed repetitions.
 * Returns seconds per repetition.
 */
export function timeReps(reps: number, fn: () => void, warmup = 1): number[] {
  for (let i = 0; i < warmup; i++) fn();
  const out: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = now();
    fn();
    out.push(now() - t0);
  }
  return out;
}

/** The first line of every run: versions, machine, load — so a number can be judged later. */
export function envRecord(script: string): BenchRecord {
  return {
    workload: 'env',
    impl: 'credo',
    params: { script },
    metric: 'info',
    value: null,
    unit: '',
    node: process.version,
    v8: process.versions.v8,
    cpu: cpus()[0]?.model ?? 'unknown',
    cpus: cpus().length,
    threads: 1,
    wasm_simd: wasmSimdAvailable(),
    loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
    time: new Date().toISOString().slice(0, 19),
  };
}

function wasmSimdAvailable(): boolean {
  // The smallest module that uses a v128 instruction: validates only where SIMD is supported.
  const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);
  try {
    // lib ES2022 has no WebAssembly typings; the global exists in every Node we support.
    const wasm = (globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } }).WebAssembly;
    return wasm.validate(bytes);
  } catch {
    return false;
  }
}
