import { allocFloats, gemmNN, Rng, fmaAvailable, wasmSimdAvailable, withKernelBackend, type KernelBackend } from '@credo/tensor';
import { median, now } from '../record.js';
import type { BenchContext, Workload } from '../workload.js';

/** perf-baseline §4.1: C[m,n] = A[m,k]·B[k,n], row-major float32. */
const SHAPES = [
  { shape: 'mlp_fwd', m: 32, k: 784, n: 1000 },
  { shape: 'mlp_out', m: 32, k: 1000, n: 10 },
  { shape: 'square1k', m: 1024, k: 1024, n: 1024 },
] as const;

/** `impl` of a record: the default (wasm) kernels are `credo`, the opt-in fused ones `credo-fma`, the plain-JS fallback `credo-js`. */
export function implName(backend: KernelBackend): string {
  return backend === 'wasm' ? 'credo' : backend === 'fma' ? 'credo-fma' : 'credo-js';
}

/** Seconds of CPU time (user + system) this process has used. */
export function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** The backends to measure: wasm (the default) always where available; the opt-in fused kernels and the JS fallback in full mode. */
export function backendsToMeasure(quick: boolean): KernelBackend[] {
  const all: KernelBackend[] = wasmSimdAvailable() ? ['wasm', ...(fmaAvailable() ? (['fma'] as const) : []), 'js'] : ['js'];
  return quick ? all.slice(0, 1) : all;
}

/**
 * GFLOP/s of `gemmNN` on the three shapes of perf-baseline §4.1, with the baseline's protocol:
 * each sample repeats the product max(1, ⌊2e8/(2mkn)⌋) times, after one untimed warm-up; 3 rounds
 * of 5 samples interleaved across shapes (1 round of 3 with --quick); the value is the median.
 * Operands come from `allocFloats`, as the library's own tensors do, with uniform [−1, 1) entries.
 *
 * @example
 * ```sh
 * npm run bench -- --only gemm
 * ```
 */
export const gemmWorkload: Workload = {
  name: 'gemm',
  description: 'float32 GEMM GFLOP/s on mlp_fwd (32×784·784×1000), mlp_out (32×1000·1000×10), square1k (1024³)',
  run(ctx: BenchContext) {
    const rounds = ctx.quick ? 1 : 3;
    const reps = ctx.quick ? 3 : 5;
    const rng = new Rng(0);
    const ops = SHAPES.map((s) => {
      const A = allocFloats(s.m * s.k), B = allocFloats(s.k * s.n), C = allocFloats(s.m * s.n);
      rng.fillUniform(A, -1, 1);
      rng.fillUniform(B, -1, 1);
      const flops = 2 * s.m * s.k * s.n;
      const inner = Math.max(1, Math.floor(2e8 / flops));
      return { ...s, flops, inner, run: () => { for (let i = 0; i < inner; i++) gemmNN(s.m, s.n, s.k, A, B, C); } };
    });
    for (const backend of backendsToMeasure(ctx.quick)) {
      withKernelBackend(backend, () => {
        const samples = new Map<string, number[]>(ops.map((o) => [o.shape, []]));
        const cpu = new Map<string, number[]>(ops.map((o) => [o.shape, []]));
        for (const o of ops) o.run(); // warm-up
        for (let r = 0; r < rounds; r++) {
          for (const o of ops) {
            for (let i = 0; i < reps; i++) {
              const c0 = cpuSeconds(), t0 = now();
              o.run();
              samples.get(o.shape)!.push((o.flops * o.inner) / (now() - t0) / 1e9);
              cpu.get(o.shape)!.push((o.flops * o.inner) / (cpuSeconds() - c0) / 1e9);
            }
          }
        }
        for (const o of ops) {
          const s = samples.get(o.shape)!;
          ctx.emit({
            workload: 'gemm', impl: implName(backend),
            params: { shape: o.shape, m: o.m, k: o.k, n: o.n, dtype: 'float32', threads: 1, backend },
            metric: 'gflops', value: median(s), unit: 'GFLOP/s', reps: s.length, samples: s.map((v) => Math.round(v * 1000) / 1000),
            inner_reps: o.inner,
            // Per second of this process's CPU time: less sensitive to other jobs on a shared machine.
            cpu_gflops: Math.round(median(cpu.get(o.shape)!) * 1000) / 1000,
          });
        }
      });
    }
  },
};
