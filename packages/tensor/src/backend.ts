import { CredoError } from '@credo/core';
import { WasmHeap } from './wasm/heap.js';
import { WasmKernels } from './wasm/kernels.js';

/**
 * Which implementation the products and the tanh/sigmoid kernels run on:
 *
 * - `wasm` (default where WebAssembly SIMD and shared memory exist, i.e. every Node ≥ 16.4):
 *   AssemblyScript SIMD kernels, 30–40 GFLOP/s for large products. Sums are accumulated in
 *   float32 (see assembly/kernels.ts for the exact contract).
 * - `js`: the register-blocked plain-JS kernels, sums accumulated in float64 (see gemm.ts); about
 *   4 GFLOP/s. The fallback where wasm SIMD is unavailable, and forced by `CREDO_KERNELS=js`.
 *
 * Each backend is deterministic and bit-reproducible on its own; the two agree to float32
 * rounding, not bit for bit (tests check both).
 */
export type KernelBackend = 'wasm' | 'js';

const disabled = typeof process !== 'undefined' && process.env?.['CREDO_KERNELS'] === 'js';
let heap: WasmHeap | undefined | null = null;
let kernels: WasmKernels | undefined;
let active: WasmKernels | undefined;
let chosen = false;

function wasm(): WasmKernels | undefined {
  if (heap === null) {
    heap = disabled ? undefined : WasmHeap.get();
    kernels = heap === undefined ? undefined : new WasmKernels(heap);
  }
  return kernels;
}

/**
 * The wasm kernels when they are the active backend, else undefined: what every dispatching
 * kernel asks first. Cheap after the first call.
 */
export function activeWasm(): WasmKernels | undefined {
  if (!chosen) {
    active = wasm();
    chosen = true;
  }
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
 * The backend the kernels currently dispatch to.
 *
 * @example
 * ```ts
 * kernelBackend(); // 'wasm' on Node 20
 * ```
 */
export function kernelBackend(): KernelBackend {
  return activeWasm() === undefined ? 'js' : 'wasm';
}

/**
 * Switches every kernel of this thread to `backend` (for tests and comparisons). Throws a
 * `BAD_PARAM` {@link CredoError} for `wasm` where it is unavailable.
 *
 * @example
 * ```ts
 * const before = kernelBackend();
 * setKernelBackend('js');
 * try { gemmNN(m, n, k, A, B, C); } finally { setKernelBackend(before); }
 * ```
 */
export function setKernelBackend(backend: KernelBackend): void {
  if (backend === 'wasm') {
    const w = wasm();
    if (w === undefined) throw new CredoError('BAD_PARAM', 'WebAssembly SIMD kernels are not available here', { field: 'backend', value: backend, allowed: 'js' });
    active = w;
  } else if (backend === 'js') {
    active = undefined;
  } else {
    throw new CredoError('BAD_PARAM', 'unknown kernel backend', { field: 'backend', value: backend, allowed: 'wasm, js' });
  }
  chosen = true;
}

/**
 * Runs `f` with this thread's kernels switched to `backend`, then switches back (also when `f`
 * throws): how benchmarks and tests measure or check both backends side by side.
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
