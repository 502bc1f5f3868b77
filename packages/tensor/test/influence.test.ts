import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allocFloats, influenceFloats, influenceIndex, influencePlan, influenceStep, nativeKernels, Rng, type KernelBackend, type NativeKernels } from '@credo/tensor';
import { accumulator, BACKENDS, firstDifference, FMA_FUSES, randomMatrix, withBackend } from './helpers.js';

interface Case {
  n: number;
  L: number;
  beta: number;
}

interface Operands {
  At: Float32Array;
  d: Float32Array;
  z: Float32Array;
  q: Float32Array;
  /** Logical n × C, row-major. */
  M: Float32Array;
  g: Float32Array;
}

function operands(c: Case, seed: number): Operands {
  const rng = Rng.derive(seed, 'influence-test');
  const C = c.n * c.L;
  return {
    At: randomMatrix(rng, c.n * c.n), d: randomMatrix(rng, c.n), z: randomMatrix(rng, c.L),
    q: randomMatrix(rng, c.n), M: randomMatrix(rng, c.n * C, 0.1), g: randomMatrix(rng, C),
  };
}

function toPanels(n: number, L: number, M: Float32Array, out: Float32Array): Float32Array {
  out.fill(0);
  for (let i = 0; i < n; i++) for (let c = 0; c < n * L; c++) out[influenceIndex(n, i, c)] = M[i * n * L + c]!;
  return out;
}

function fromPanels(n: number, L: number, P: Float32Array): Float32Array {
  const M = new Float32Array(n * n * L);
  for (let i = 0; i < n; i++) for (let c = 0; c < n * L; c++) M[i * n * L + c] = P[influenceIndex(n, i, c)]!;
  return M;
}

/** The arithmetic contract of influence.ts written naively, for one backend. */
function reference(c: Case, o: Operands, backend: KernelBackend): { M: Float32Array; g: Float32Array } {
  const { n, L } = c, C = n * L, f = Math.fround;
  const f32 = backend !== 'js';
  const acc = accumulator(backend);
  const beta = f32 ? f(c.beta) : c.beta;
  const M = new Float32Array(n * C), g = Float32Array.from(o.g);
  for (let i = 0; i < n; i++) {
    for (let col = 0; col < C; col++) {
      let s = 0;
      for (let p = 0; p < n; p++) {
        s = acc(s, o.At[p * n + i]!, o.M[p * C + col]!);
      }
      const di = o.d[i]!, mi = o.M[i * C + col]!;
      let v = f32 ? (beta === 0 ? f(di * s) : acc(f(di * s), beta, mi)) : f(di * s + beta * mi);
      if (col % n === i) v = f32 ? f(v + f(di * o.z[(col - i) / n]!)) : f(v + di * o.z[(col - i) / n]!);
      M[i * C + col] = v;
    }
  }
  for (let col = 0; col < C; col++) {
    let G = 0;
    for (let i = 0; i < n; i++) {
      G = acc(G, o.q[i]!, M[i * C + col]!);
    }
    g[col] = g[col]! + G;
  }
  return { M, g };
}

/** One step from o.M through influenceStep, or through an influencePlan bound to [spare, Min, Mout]. */
/** One step; `inPlace` says whether a plan updated its matrix in place (see influencePlan). */
function run(c: Case, o: Operands, alloc: (n: number) => Float32Array, via: 'step' | 'plan' = 'step'): { M: Float32Array; g: Float32Array; padding: number[]; inPlace: boolean } {
  const len = influenceFloats(c.n, c.L);
  const Min = toPanels(c.n, c.L, o.M, alloc(len)), Mout = alloc(len).fill(Number.NaN);
  const cp = (a: Float32Array): Float32Array => {
    const b = alloc(a.length);
    b.set(a);
    return b;
  };
  const g = cp(o.g);
  let out = Mout;
  if (via === 'step') {
    influenceStep(c.n, c.L, cp(o.At), cp(o.d), c.beta, cp(o.z), cp(o.q), Min, Mout, g);
  } else {
    const Ms = [alloc(len), Min, Mout];
    out = Ms[influencePlan(c.n, c.L, cp(o.At), cp(o.d), c.beta, cp(o.z), g, Ms).step(cp(o.q), 1, 2)]!;
    expect(out === Min || out === Mout, 'the plan names the matrix in or the matrix out').toBe(true);
  }
  const padding: number[] = [];
  const C = c.n * c.L;
  for (let i = 0; i < c.n; i++) for (let col = C; col < Math.ceil(C / 8) * 8; col++) padding.push(out[influenceIndex(c.n, i, col)]!);
  return { M: fromPanels(c.n, c.L, out), g: Float32Array.from(g), padding, inPlace: out === Min };
}

/** Where a plan updates in place: the native AVX-512 kernel at n = 16, on wasm memory, for a backend it serves. */
function expectInPlace(backend: KernelBackend, n: number, inHeap: boolean): boolean {
  const native = nativeKernels();
  return native !== undefined && native.isa() === 'avx512' && n === 16 && inHeap && (backend === 'wasm' || (backend === 'fma' && FMA_FUSES));
}

const CASES: Case[] = [
  { n: 1, L: 1, beta: 0 },
  { n: 5, L: 3, beta: 0.3 },      // a 7-lane last panel, one row past the 4-row tiles
  { n: 8, L: 8, beta: 0 },        // the rnn with influence over W
  { n: 12, L: 13, beta: 0.5 },    // panels straddling groups, leaky
  { n: 16, L: 16 + 3 + 1, beta: 0 },
  { n: 7, L: 2, beta: 0 },
  { n: 16, L: 5, beta: 0.25 },    // n ≥ 16: the native kernel serves the wasm backends
  { n: 24, L: 5, beta: 0 },       // an odd number of panels
];

describe('influenceStep (fused RTRL step)', () => {
  it('the panel layout: size and index', () => {
    expect(influenceFloats(5, 3)).toBe(5 * 16);
    expect(influenceFloats(8, 8)).toBe(8 * 64);
    expect(influenceIndex(5, 2, 0)).toBe(16);
    expect(influenceIndex(5, 2, 9)).toBe((5 + 2) * 8 + 1);
  });

  for (const backend of BACKENDS) {
    it(`${backend}: follows its arithmetic contract bit for bit, in wasm memory and on copied operands, stepped or planned (in place where the native kernel can); padding stays zero`, () => {
      withBackend(backend, () => {
        for (const [k, c] of CASES.entries()) {
          const o = operands(c, k);
          const want = reference(c, o, backend);
          for (const alloc of [allocFloats, (n: number) => new Float32Array(n)]) {
            for (const via of ['step', 'plan'] as const) {
              const got = run(c, o, alloc, via);
              expect(firstDifference(got.M, want.M), `${via} M n=${c.n} L=${c.L}`).toBe(-1);
              expect(firstDifference(got.g, want.g), `${via} g n=${c.n} L=${c.L}`).toBe(-1);
              expect(got.padding.every((v) => v === 0)).toBe(true);
              expect(got.inPlace, `${via} in place n=${c.n}`).toBe(via === 'plan' && expectInPlace(backend, c.n, alloc === allocFloats));
            }
          }
        }
      });
    });
  }

  it('the native kernels (built for this CPU) follow the default and the fused contract bit for bit, and check lengths', () => {
    const native = nativeKernels();
    // Every machine of this project has g++ and Node's headers, so `npm run build` built it: a
    // missing module here is a broken build, not a machine without a compiler.
    if (spawnSync('g++', ['--version']).status !== 0) return;
    expect(native, 'packages/tensor/build/credo-native.node').toBeDefined();
    const flags = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '';
    const has = (f: string) => new RegExp(`\\b${f}\\b`).test(flags);
    expect(native!.isa()).toBe(has('avx512f') && has('avx512dq') ? 'avx512' : has('avx2') && has('fma') ? 'avx2' : 'scalar');
    const contracts: Array<[KernelBackend, NativeKernels['influenceStep']]> = [['wasm', native!.influenceStep]];
    if (FMA_FUSES) contracts.push(['fma', native!.influenceStepFma]);
    for (const [backend, step] of contracts) {
      // n a multiple of 8 takes the tile path that finishes rows in registers (also with an odd
      // last panel and with β); the others the general one.
      const cases = [{ n: 16, L: 20, beta: 0 }, { n: 17, L: 3, beta: 0.3 }, { n: 24, L: 24, beta: 0 }, { n: 33, L: 12, beta: 0.25 },
        { n: 9, L: 1, beta: 0 }, { n: 16, L: 3, beta: 0.3 }, { n: 24, L: 5, beta: 0.25 }, { n: 32, L: 41, beta: 0.5 }, { n: 8, L: 7, beta: 0.5 }];
      for (const [k, c] of cases.entries()) {
        const o = operands(c, 100 + k);
        const want = reference(c, o, backend);
        const len = influenceFloats(c.n, c.L);
        const Min = toPanels(c.n, c.L, o.M, new Float32Array(len)), Mout = new Float32Array(len).fill(Number.NaN);
        const g = Float32Array.from(o.g);
        step(c.n, c.L, o.At, o.d, c.beta, o.z, o.q, Min, Mout, g);
        expect(firstDifference(fromPanels(c.n, c.L, Mout), want.M), `${backend} M n=${c.n} L=${c.L}`).toBe(-1);
        expect(firstDifference(g, want.g), `${backend} g n=${c.n} L=${c.L}`).toBe(-1);
      }
    }
    const c = { n: 16, L: 4 }, o = operands({ ...c, beta: 0 }, 7), len = influenceFloats(c.n, c.L);
    expect(() => native!.influenceStep(c.n, c.L, o.At, o.d, 0, o.z, o.q, new Float32Array(len - 1), new Float32Array(len), new Float32Array(64)))
      .toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
    expect(() => native!.influenceStep(c.n, c.L, o.At, o.d, 0, o.z, o.q, new Float32Array(len), new Float32Array(len), new Float64Array(64) as unknown as Float32Array))
      .toThrow(expect.objectContaining({ code: 'BAD_PARAM' }));
  });

  it('a plan checks its operands once, and each step that its indices name two different bound matrices', () => {
    const c = { n: 16, L: 4, beta: 0 }, o = operands(c, 9), len = influenceFloats(c.n, c.L);
    const h = (k: number) => allocFloats(k);
    expect(() => influencePlan(c.n, c.L, o.At, o.d, 0, o.z, h(64), [h(len), h(len - 1)])).toThrow(/Ms has/);
    expect(() => influencePlan(c.n, c.L, o.At, o.d, 0, o.z.subarray(0, 3), h(64), [h(len), h(len)])).toThrow(/z has 3/);
    for (const backend of BACKENDS) {
      withBackend(backend, () => {
        const plan = influencePlan(c.n, c.L, o.At, o.d, 0, o.z, h(64), [h(len), h(len)]);
        for (const [i, j] of [[0, 0], [0, 2], [-1, 1], [0.5, 1]]) {
          expect(() => plan.step(o.q, i!, j!), `${backend} ${i},${j}`).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
        }
        expect(() => plan.step(o.q.subarray(0, 15), 0, 1)).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
      });
    }
  });

  it('the backends agree to float32 rounding over a run of steps, against a float64 recursion', () => {
    const c: Case = { n: 12, L: 13, beta: 0.25 }, C = c.n * c.L, T = 6;
    const rng = Rng.derive(3, 'influence-run');
    const At = randomMatrix(rng, c.n * c.n).map((v) => v * 0.4);
    const ds = Array.from({ length: T }, () => randomMatrix(rng, c.n));
    const zs = Array.from({ length: T }, () => randomMatrix(rng, c.L));
    const q = randomMatrix(rng, c.n);
    // float64: M ← diag(d)(A·M + zᵀ⊗I) + β·M, g += qᵀM
    let M64 = new Float64Array(c.n * C);
    const g64 = new Float64Array(C);
    for (let t = 0; t < T; t++) {
      const next = new Float64Array(c.n * C);
      for (let i = 0; i < c.n; i++) {
        for (let col = 0; col < C; col++) {
          let s = 0;
          for (let p = 0; p < c.n; p++) s += At[p * c.n + i]! * M64[p * C + col]!;
          if (col % c.n === i) s += zs[t]![(col - i) / c.n]!;
          next[i * C + col] = ds[t]![i]! * s + c.beta * M64[i * C + col]!;
        }
      }
      M64 = next;
      for (let col = 0; col < C; col++) for (let i = 0; i < c.n; i++) g64[col] = g64[col]! + q[i]! * M64[i * C + col]!;
    }
    const scale = Math.max(...g64.map(Math.abs));
    for (const backend of BACKENDS) {
      withBackend(backend, () => {
        let a = allocFloats(influenceFloats(c.n, c.L)), b = allocFloats(influenceFloats(c.n, c.L));
        const g = allocFloats(C);
        for (let t = 0; t < T; t++) {
          influenceStep(c.n, c.L, At, ds[t]!, c.beta, zs[t]!, q, a, b, g);
          [a, b] = [b, a];
        }
        const M = fromPanels(c.n, c.L, a);
        for (let k = 0; k < C; k++) expect(Math.abs(g[k]! - g64[k]!), `${backend} g[${k}]`).toBeLessThan(1e-5 * scale);
        for (let k = 0; k < c.n * C; k++) expect(Math.abs(M[k]! - M64[k]!), `${backend} M[${k}]`).toBeLessThan(1e-5);
      });
    }
  });

  it('rejects arrays that are too short and bad dimensions', () => {
    const a = new Float32Array(64);
    expect(() => influenceStep(4, 4, a, a, 0, a, a, new Float32Array(8), a, a)).toThrow(/Min has 8 elements/);
    expect(() => influenceStep(4, 3, a.subarray(0, 15), a, 0, a, a, a, a, a)).toThrow(/At has 15/);
    expect(() => influenceStep(-1, 4, a, a, 0, a, a, a, a, a)).toThrow(/dimension n/);
  });
});
