import { CredoError } from '@credo/core';
import { WasmHeap } from './wasm/heap.js';
import { nativeKernels, type NativeInfluence } from './native.js';
import { WasmKernels } from './wasm/kernels.js';

/**
 * Which implementation the products and the tanh/sigmoid kernels run on:
 *
 * - `wasm` (default where WebAssembly SIMD and shared memory exist, i.e. every Node ≥ 16.4):
 *   AssemblyScript SIMD kernels, 35–45 GFLOP/s for large products. Sums are accumulated in
 *   float32, each product and each sum rounded (see assembly/kernels.ts for the exact contract),
 *   so results are the same bits on every machine. RTRL's influence update runs on a native
 *   kernel with that same contract where `npm run build` could compile one (native/influence.cc,
 *   AVX-512 or AVX2 for this CPU): about 2× faster at N ≥ 32, and the same bits.
 * - `fma` (opt-in: `CREDO_KERNELS=fma`): the same kernels with relaxed SIMD, where the
 *   products' multiply-adds are fused on CPUs that have FMA (every x86-64 since 2013, every ARM64).
 *   About 1.25× faster on large products; RTRL's native influence kernel with the fused
 *   contract is another 1.3× faster than the default's native one. Results differ from `wasm` in the last bits and are
 *   reproducible only across machines that fuse the same way: this backend gives up DESIGN.md's
 *   promise 7 (same numbers on every machine) for speed, which is why it is opt-in.
 * - `js`: the register-blocked plain-JS kernels, sums accumulated in float64 (see gemm.ts); about
 *   4 GFLOP/s. The fallback where wasm SIMD is unavailable, and forced by `CREDO_KERNELS=js`.
 *
 * Each backend is deterministic and bit-reproducible on its own; they agree to float32 rounding,
 * not bit for bit (tests check all of them).
 */
export type KernelBackend = 'wasm' | 'fma' | 'js';

const BACKENDS: readonly KernelBackend[] = ['wasm', 'fma', 'js'];

function badBackend(field: string, value: unknown): CredoError {
  return new CredoError('BAD_PARAM', 'unknown kernel backend', { field, value, allowed: BACKENDS.join(', ') });
}

/** What `CREDO_KERNELS` asks for (undefined: the default); a bad value throws at first use. */
function requestedBackend(): KernelBackend | undefined {
  const v = typeof process !== 'undefined' ? process.env?.['CREDO_KERNELS'] : undefined;
  if (v === undefined || v === '') return undefined;
  if (!(BACKENDS as readonly string[]).includes(v)) throw badBackend('CREDO_KERNELS', v);
  return v as KernelBackend;
}

let heap: WasmHeap | undefined | null = null;
let kernels: WasmKernels | undefined;
let fmaKernels: WasmKernels | undefined | null = null;
let active: WasmKernels | undefined;
let chosen = false;

function wasm(): WasmKernels | undefined {
  if (heap === null) {
    heap = requestedBackend() === 'js' ? undefined : WasmHeap.get();
    kernels = heap === undefined ? undefined : new WasmKernels(heap, heap.exports, nativeContract(false));
  }
  return kernels;
}

let fused = false;

/** The native influence step of one arithmetic contract, where the native kernels were built. */
function nativeContract(fma: boolean): NativeInfluence | undefined {
  const k = nativeKernels();
  if (k === undefined) return undefined;
  return fma ? { step: k.influenceStepFma, bind: k.influenceBindFma } : { step: k.influenceStep, bind: k.influenceBind };
}

function wasmFma(): WasmKernels | undefined {
  if (fmaKernels === null) {
    const w = wasm();
    const x = w?.heap.fmaExports();
    if (w === undefined || x === undefined) {
      fmaKernels = undefined;
    } else {
      // (1+2⁻¹²)² − 1 is 2⁻¹¹ + 2⁻²⁴ fused, 2⁻¹¹ when the product is rounded first.
      const probe = new WasmKernels(w.heap, x), e = 1 + 2 ** -12, c = new Float32Array(1);
      probe.gemm('NN', 1, 1, 2, Float32Array.of(-1, e), Float32Array.of(1, e), c, 1, 0);
      fused = c[0] !== 2 ** -11;
      // The native kernels fuse always (in hardware, or in software where the CPU has no FMA);
      // the wasm module fuses only where V8 emits an FMA instruction. They serve only together.
      const native = fused ? nativeContract(true) : undefined;
      fmaKernels = native === undefined ? probe : new WasmKernels(w.heap, x, native);
    }
  }
  return fmaKernels;
}

/**
 * The wasm kernels when a wasm backend is active, else undefined: what every dispatching
 * kernel asks first. Cheap after the first call.
 */
export function activeWasm(): WasmKernels | undefined {
  if (!chosen) setKernelBackend(requestedBackend() ?? (wasm() !== undefined ? 'wasm' : 'js'));
  return active;
}

/**
 * True when the wasm SIMD kernels can run in this thread (and `CREDO_KERNELS=js` is not set).
 *
 * @example
 * ```ts
 * if (!wasmSimdAvailable()) console.warn('running on the plain-JS kernels (about 10× slower)');
 * ```
 */
export function wasmSimdAvailable(): boolean {
  return wasm() !== undefined;
}

/**
 * True when the `fma` kernels can run in this thread (relaxed SIMD can be enabled).
 *
 * @example
 * ```ts
 * const backends = fmaAvailable() ? ['wasm', 'fma'] : ['wasm'];
 * ```
 */
export function fmaAvailable(): boolean {
  return wasmFma() !== undefined;
}

/**
 * True when the `fma` kernels really fuse here (V8 emits an FMA instruction where the CPU has
 * one); false where they do not, or are unavailable. Where they do not fuse, `fma` computes what
 * `wasm` does.
 *
 * @example
 * ```ts
 * if (fmaAvailable() && !fmaFuses()) console.warn('CREDO_KERNELS=fma gains nothing on this CPU');
 * ```
 */
export function fmaFuses(): boolean {
  return wasmFma() !== undefined && fused;
}

/**
 * The backend the kernels currently dispatch to.
 *
 * @example
 * ```ts
 * kernelBackend(); // 'wasm' on Node 20, 'fma' with CREDO_KERNELS=fma
 * ```
 */
export function kernelBackend(): KernelBackend {
  const a = activeWasm();
  return a === undefined ? 'js' : a === kernels ? 'wasm' : 'fma';
}

/**
 * Switches every kernel of this thread to `backend` (for tests and comparisons). Throws a
 * `BAD_PARAM` {@link CredoError} for a backend that is unavailable here or unknown.
 *
 * @example
 * ```ts
 * const before = kernelBackend();
 * setKernelBackend('js');
 * try { gemmNN(m, n, k, A, B, C); } finally { setKernelBackend(before); }
 * ```
 */
export function setKernelBackend(backend: KernelBackend): void {
  if (backend === 'wasm' || backend === 'fma') {
    const w = backend === 'wasm' ? wasm() : wasmFma();
    if (w === undefined) {
      const what = backend === 'wasm' ? 'WebAssembly SIMD kernels are' : 'fused multiply-add kernels (WebAssembly relaxed SIMD) are';
      throw new CredoError('BAD_PARAM', `${what} not available here${requestedBackend() === 'js' ? ' (CREDO_KERNELS=js)' : ''}`, { field: 'backend', value: backend, allowed: BACKENDS.filter((b) => b === 'js' || (b === 'wasm' ? wasm() : wasmFma()) !== undefined).join(', ') });
    }
    active = w;
  } else if (backend === 'js') {
    active = undefined;
  } else {
    throw badBackend('backend', backend);
  }
  chosen = true;
}

/**
 * Runs `f` with this thread's kernels switched to `backend`, then switches back (also when `f`
 * throws): how benchmarks and tests measure or check the backends side by side.
 *
 * @example
 * ```ts
 * withKernelBackend('js', () => gemmNN(m, n, k, A, B, C));
 * ```
 */
export function withKernelBackend<T>(backend: KernelBackend, f: () => T): T {
  const prev = kernelBackend();
  setKernelBackend(backend);
  try {
    return f();
  } finally {
    setKernelBackend(prev);
  }
}

/**
 * A zero-filled Float32Array of `n` elements that the wasm kernels can use in place (it lives in
 * their memory), or a plain one where wasm is unavailable. Use it for tensors that go through
 * kernels on every step (weights, activations, gradients): operands elsewhere are copied in and
 * out on every call. The memory is reclaimed when the array is garbage-collected, so a
 * `subarray` of it must not be kept longer than the array itself.
 *
 * @example
 * ```ts
 * const W = allocFloats(1000 * 784);
 * rng.fillUniform(W, -0.03, 0.03);
 * ```
 */
export function allocFloats(n: number): Float32Array {
  checkCount(n);
  const w = wasm();
  return w === undefined ? new Float32Array(n) : w.heap.floats(n);
}

/**
 * Like {@link allocFloats} for Int32Array (index lists of sparse matrices).
 *
 * @example
 * ```ts
 * const rowPtr = allocInts(rows + 1);
 * ```
 */
export function allocInts(n: number): Int32Array {
  checkCount(n);
  const w = wasm();
  return w === undefined ? new Int32Array(n) : w.heap.ints(n);
}

/**
 * Bytes of wasm memory held by live {@link allocFloats} / {@link allocInts} arrays (including
 * alignment and slack) — 0 where wasm is unavailable. Blocks return to the pool when their arrays
 * are garbage-collected.
 *
 * @example
 * ```ts
 * const before = wasmMemoryInUse();
 * ```
 */
export function wasmMemoryInUse(): number {
  return wasm()?.heap.used ?? 0;
}

function checkCount(n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new CredoError('SHAPE_MISMATCH', 'element count must be a non-negative integer', { field: 'n', value: n });
}
