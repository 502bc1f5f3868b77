import { CredoError } from '@credo/core';
import { setFlagsFromString } from 'node:v8';
import { KERNELS_FMA_WASM_BASE64, KERNELS_WASM_BASE64 } from './kernels-binary.js';

/*
 * The WebAssembly side of @credo/tensor: one instance of the AssemblyScript kernels per thread,
 * over a *shared* linear memory that this file manages.
 *
 * Why shared: growing an ordinary wasm memory detaches its ArrayBuffer, which silently turns every
 * Float32Array view on it into an empty array. A shared memory never detaches (growing it makes a
 * new, longer SharedArrayBuffer over the same bytes), so views handed out before a grow stay valid.
 *
 * Why JS manages it: the kernels only take byte addresses; blocks are allocated here (first fit
 * over a sorted free list, 64-byte aligned, with 64 bytes of slack after each block because the
 * kernels read whole 8-lane rows past a row's end) and released when the Float32Array that owns
 * the block is garbage-collected (FinalizationRegistry). The caveat that follows: a `subarray` of
 * such an array must not outlive the array it was taken from.
 */

/** The little of the WebAssembly API we use (TypeScript's ES2022 lib has no WebAssembly types). */
interface WasmMemory {
  readonly buffer: ArrayBufferLike;
  grow(pages: number): number;
}
interface WasmApi {
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object, imports: object) => { exports: Record<string, unknown> };
  validate(bytes: Uint8Array): boolean;
}

/** Exports of assembly/kernels.ts (see there for the contracts). */
export interface KernelExports {
  gemm(m: number, n: number, k: number, A: number, sai: number, sap: number, B: number, sbp: number, sbj: number,
    C: number, alpha: number, beta: number, packB: number, mc: number, work: number): void;
  sparseNN(m: number, n: number, rowPtr: number, colIdx: number, values: number, B: number, C: number, alpha: number, beta: number, T: number): void;
  sparseTN(k: number, n: number, colPtr: number, rowIdx: number, colValues: number, B: number, C: number,
    alpha: number, beta: number, sgd: number, lr: number, T: number): void;
  sparseLoad(x: number, rows: number, cols: number, rowPtr: number, colIdx: number, values: number,
    colPtr: number, rowIdx: number, colValues: number, activeCols: number, cursor: number): number;
  influenceStep(n: number, L: number, At: number, d: number, beta: number, z: number, q: number,
    Min: number, Mout: number, g: number, T: number): void;
  sgdPlain(p: number, g: number, len: number, r: number, clear: number): void;
  tanhInPlace(a: number, len: number): void;
  sigmoidInPlace(a: number, len: number): void;
}

const PAGE = 65536;
const MAX_PAGES = 65536; // 4 GiB; must equal --maximumMemory in scripts/build-wasm.mjs
const ALIGN = 64;
const SLACK = 64;
// Addresses below this stay unused, so that 0 is never a valid block.
const BASE = 1024;

function wasmApi(): WasmApi | undefined {
  return (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
}

// The smallest module that uses a v128 instruction: validates only where SIMD is supported.
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);

/**
 * A thread's kernels and their memory. `WasmHeap.get()` returns undefined where WebAssembly SIMD
 * or shared memory is unavailable (then everything runs on the JS kernels).
 */
export class WasmHeap {
  readonly exports: KernelExports;
  private readonly memory: WasmMemory;
  /** Every SharedArrayBuffer the memory has had: a view's buffer is one of these iff it is ours. */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  private current: ArrayBufferLike;
  /** Free blocks, sorted by offset, never adjacent (coalesced). */
  private readonly free: { off: number; size: number }[] = [];
  private top = BASE;
  private readonly registry = new FinalizationRegistry<{ off: number; size: number }>((b) => this.release(b.off, b.size));

  /** The `fma` build over the same memory: undefined until asked for, null where it cannot run. */
  private fma: KernelExports | undefined | null = undefined;

  private constructor(private readonly api: WasmApi) {
    this.memory = new api.Memory({ initial: 16, maximum: MAX_PAGES, shared: true });
    const bytes = Uint8Array.from(Buffer.from(KERNELS_WASM_BASE64, 'base64'));
    const instance = new api.Instance(new api.Module(bytes), { env: { memory: this.memory } });
    this.exports = instance.exports as unknown as KernelExports;
    this.current = this.memory.buffer;
    this.buffers.add(this.current);
  }

  private static instance: WasmHeap | undefined | null = null;

  /** This thread's heap, created on first use; undefined when wasm SIMD is unavailable. */
  static get(): WasmHeap | undefined {
    if (WasmHeap.instance === null) {
      WasmHeap.instance = undefined;
      const api = wasmApi();
      try {
        if (api !== undefined && api.validate(SIMD_PROBE) && typeof SharedArrayBuffer === 'function') WasmHeap.instance = new WasmHeap(api);
      } catch {
        // No shared memory, or the module does not compile here: the JS kernels take over.
        WasmHeap.instance = undefined;
      }
    }
    return WasmHeap.instance;
  }

  /**
   * The kernels built with relaxed SIMD (fused multiply-add in the products), instantiated over
   * this same memory on first use, so arrays from {@link WasmHeap.floats} serve both modules.
   * Undefined where relaxed SIMD cannot be enabled. Node 20's V8 has it behind a flag, which is
   * set here (process-wide, and only for modules compiled afterwards).
   */
  fmaExports(): KernelExports | undefined {
    if (this.fma === undefined) {
      this.fma = null;
      try {
        setFlagsFromString('--experimental-wasm-relaxed-simd');
        const bytes = Uint8Array.from(Buffer.from(KERNELS_FMA_WASM_BASE64, 'base64'));
        if (this.api.validate(bytes)) this.fma = new this.api.Instance(new this.api.Module(bytes), { env: { memory: this.memory } }).exports as unknown as KernelExports;
      } catch {
        // Left null: this runtime has no relaxed SIMD.
      }
    }
    return this.fma ?? undefined;
  }

  /** True when `a` is a view on this heap's memory (so kernels can use its address directly). */
  owns(a: { buffer: ArrayBufferLike }): boolean {
    // Most views are on the current buffer: an identity test spares the WeakSet lookup, which
    // an online step at small n paid about 15 times (0.2 µs).
    const b = a.buffer;
    return b === this.current || this.buffers.has(b);
  }

  /** A zero-filled Float32Array of `n` elements in wasm memory, freed when it is garbage-collected. */
  floats(n: number): Float32Array {
    const off = this.allocate(n * 4);
    const view = new Float32Array(this.current, off, n);
    view.fill(0);
    this.registry.register(view, { off, size: blockSize(n * 4) });
    return view;
  }

  /** Like {@link WasmHeap.floats} for Int32Array. */
  ints(n: number): Int32Array {
    const off = this.allocate(n * 4);
    const view = new Int32Array(this.current, off, n);
    view.fill(0);
    this.registry.register(view, { off, size: blockSize(n * 4) });
    return view;
  }

  /** Bytes in use (allocated blocks with their slack), for tests and diagnostics. */
  get used(): number {
    return this.top - BASE - this.free.reduce((s, b) => s + b.size, 0);
  }

  private allocate(bytes: number): number {
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new CredoError('INTERNAL', `wasm heap: bad allocation size ${bytes}`);
    const size = blockSize(bytes);
    for (let i = 0; i < this.free.length; i++) {
      const b = this.free[i]!;
      if (b.size >= size) {
        const off = b.off;
        if (b.size === size) this.free.splice(i, 1);
        else {
          b.off += size;
          b.size -= size;
        }
        return off;
      }
    }
    const off = this.top;
    const end = off + size;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      const pages = Math.ceil((end - have) / PAGE);
      // Grow geometrically so that a sequence of growing allocations costs O(log) grows.
      const want = Math.max(pages, Math.ceil(have / PAGE / 4));
      try {
        this.memory.grow(Math.min(want, MAX_PAGES - have / PAGE));
      } catch (e) {
        throw new CredoError('INTERNAL', `wasm heap: cannot grow memory to ${end} bytes`, { cause: e });
      }
      this.current = this.memory.buffer;
      this.buffers.add(this.current);
    }
    this.top = end;
    return off;
  }

  private release(off: number, size: number): void {
    if (off + size === this.top) {
      this.top = off;
      // The block below may now end at the top too.
      const last = this.free[this.free.length - 1];
      if (last !== undefined && last.off + last.size === this.top) {
        this.top = last.off;
        this.free.pop();
      }
      return;
    }
    let lo = 0, hi = this.free.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.free[mid]!.off < off) lo = mid + 1;
      else hi = mid;
    }
    const prev = this.free[lo - 1];
    const next = this.free[lo];
    if (prev !== undefined && prev.off + prev.size === off) {
      prev.size += size;
      if (next !== undefined && prev.off + prev.size === next.off) {
        prev.size += next.size;
        this.free.splice(lo, 1);
      }
    } else if (next !== undefined && off + size === next.off) {
      next.off = off;
      next.size += size;
    } else {
      this.free.splice(lo, 0, { off, size });
    }
  }
}

function blockSize(bytes: number): number {
  return Math.ceil((bytes + SLACK) / ALIGN) * ALIGN;
}
