import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { allocFloats, allocInts, kernelBackend, setKernelBackend, sigmoidInPlace, tanhInPlace, wasmSimdAvailable, type KernelBackend } from '@credo/tensor';
import { BACKENDS, FMA_FUSES, withBackend } from './helpers.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));

/** Distance in float32 units in the last place between a float32 result and a float64 truth. */
function ulps(got: number, want: number): number {
  if (Object.is(got, want)) return 0;
  const f = Math.fround(want);
  const mag = Math.max(Math.abs(f), 2 ** -126);
  const ulp = 2 ** (Math.floor(Math.log2(mag)) - 23);
  return Math.abs(got - want) / ulp;
}

describe('wasm kernels', () => {
  it('the embedded binary is the build of assembly/kernels.ts (rebuilt from source with AssemblyScript)', () => {
    const out = execFileSync(process.execPath, ['packages/tensor/scripts/build-wasm.mjs', '--check'], { cwd: root, encoding: 'utf8' });
    expect(out).toMatch(/matches/);
  });

  it('run by default where WebAssembly SIMD exists (Node 20 has it)', () => {
    expect(wasmSimdAvailable()).toBe(true);
    expect(kernelBackend()).toBe('wasm');
    expect(() => setKernelBackend('cuda' as 'js')).toThrow(/unknown kernel backend/);
  });

  it('CREDO_KERNELS=js selects the plain-JS fallback and everything still runs', () => {
    const script = `
      import { kernelBackend, wasmSimdAvailable, allocFloats, gemmNN } from '@credo/tensor';
      const a = allocFloats(4); a.set([1, 2, 3, 4]); const c = new Float32Array(4);
      gemmNN(2, 2, 2, a, a, c);
      console.log(JSON.stringify([kernelBackend(), wasmSimdAvailable(), a.buffer instanceof ArrayBuffer, Array.from(c)]));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', env: { ...process.env, CREDO_KERNELS: 'js' } });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual(['js', false, true, [7, 10, 15, 22]]);
  });

  it('tanh is within 3 ulp of the exact value, keeps the sign of zero and NaN; on the js backend it is Math.tanh', () => {
    const n = 400_001;
    const x = allocFloats(n);
    for (let i = 0; i < n; i++) x[i] = Math.fround(((i - 200_000) / 200_000) * 12 * Math.abs((i - 200_000) / 200_000));
    const want = Array.from(x, Math.tanh);
    const got = Float32Array.from(x);
    tanhInPlace(got);
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, ulps(got[i]!, want[i]!));
    expect(worst).toBeLessThanOrEqual(3);
    const special = Float32Array.of(0, -0, Number.NaN, Infinity, -Infinity, 1e-30, -3e-8);
    tanhInPlace(special);
    expect(Array.from(special.subarray(0, 5))).toEqual([0, -0, Number.NaN, 1, -1]);
    // tiny arguments keep their relative accuracy (tanh x ≈ x)
    expect(ulps(special[5]!, Math.fround(1e-30))).toBeLessThanOrEqual(1);
    expect(ulps(special[6]!, Math.fround(-3e-8))).toBeLessThanOrEqual(1);
    const js = withBackend('js', () => {
      const a = Float32Array.of(0.3, -2);
      tanhInPlace(a);
      return a;
    });
    expect(Array.from(js)).toEqual([Math.fround(Math.tanh(Math.fround(0.3))), Math.fround(Math.tanh(-2))]);
  });

  it('sigmoid is within 4 ulp of 1/(1+e^−x) on [−80, 80] and a tail of 1–3 elements gets the same formula', () => {
    const n = 160_003;
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = Math.fround(-80 + (160 * i) / (n - 1));
    const got = Float32Array.from(x);
    sigmoidInPlace(got);
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, ulps(got[i]!, 1 / (1 + Math.exp(-x[i]!))));
    expect(worst).toBeLessThanOrEqual(4);
    const one = Float32Array.of(x[n - 1]!);
    sigmoidInPlace(one);
    expect(one[0]).toBe(got[n - 1]);
  });

  it('allocFloats gives zeroed arrays in wasm memory whose views stay valid after the memory grows', () => {
    const a = allocFloats(1000);
    expect(a.every((v) => v === 0)).toBe(true);
    expect(a.buffer instanceof SharedArrayBuffer).toBe(true);
    a.fill(3.5);
    const big = allocFloats(32 * 1024 * 1024); // 128 MiB: forces memory.grow
    big[big.length - 1] = 1;
    expect(a.length).toBe(1000);
    expect(a[999]).toBe(3.5);
    const ints = allocInts(5);
    expect(Array.from(ints)).toEqual([0, 0, 0, 0, 0]);
    expect(() => allocFloats(-1)).toThrow(/non-negative/);
  });

  it('returns the memory of collected arrays to the pool: 40 dropped 784-1000-10 learners do not pile up', () => {
    const script = `
      import { wasmMemoryInUse } from '@credo/tensor';
      import { createLearner } from '@credo/rules';
      const tick = () => new Promise((r) => setTimeout(r, 0));
      const make = () => createLearner({ model: { name: 'mlp', hidden: [1000] }, rule: { name: 'fa' }, optimizer: { name: 'sgd' } },
        { inputs: 784, outputs: 10, loss: 'softmax-ce' }, 0);
      make().trainStep(new Float32Array(784 * 32), new Int32Array(32), 32);
      globalThis.gc(); await tick();
      const one = wasmMemoryInUse();
      for (let i = 0; i < 40; i++) make().trainStep(new Float32Array(784 * 32), new Int32Array(32), 32);
      for (let i = 0; i < 3; i++) { globalThis.gc(); await tick(); }
      console.log(JSON.stringify([one, wasmMemoryInUse()]));`;
    const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const [one, after] = JSON.parse(r.stdout) as [number, number];
    // a learner holds W1t (3.1 MB) and more; 40 live ones would hold > 120 MB
    expect(after).toBeLessThan(3 * Math.max(one, 8e6));
  });

  it('every backend is listed for the other tests, and fma fuses where the CPU has FMA', () => {
    expect(BACKENDS).toEqual(['wasm', 'fma', 'js']);
    // Node 20 on x86-64 with FMA (or any ARM64): the point of the backend is the fused instruction.
    const hasFma = process.arch === 'arm64' || /^flags\s*:.*\bfma\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'));
    expect(FMA_FUSES).toBe(hasFma);
  });
  it('rejects an unknown or unavailable backend with the allowed ones, changing nothing', () => {
    const before = kernelBackend();
    expect(() => setKernelBackend('gpu' as KernelBackend)).toThrow(expect.objectContaining({ code: 'BAD_PARAM', field: 'backend', value: 'gpu', allowed: 'wasm, fma, js' }));
    expect(kernelBackend()).toBe(before);
    const r = spawnSync(process.execPath, ['--input-type=module', '-e',
      `import { gemmNN } from '@credo/tensor'; try { gemmNN(1, 1, 1, new Float32Array(1), new Float32Array(1), new Float32Array(1)); } catch (e) { console.log(JSON.stringify(e)); }`],
    { cwd: root, encoding: 'utf8', env: { ...process.env, CREDO_KERNELS: 'fast' } });
    const e = JSON.parse(r.stdout) as { message: string };
    expect(e).toMatchObject({ code: 'BAD_PARAM', field: 'CREDO_KERNELS', allowed: 'wasm, fma, js' });
    expect(e.message).toMatch(/unknown kernel backend.*"fast"/);
  });
  it('CREDO_KERNELS=fma selects the fused kernels for a whole process', () => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', `import { kernelBackend } from '@credo/tensor'; console.log(kernelBackend());`],
      { cwd: root, encoding: 'utf8', env: { ...process.env, CREDO_KERNELS: 'fma' } });
    expect(r.stdout.trim()).toBe('fma');
  });
});
