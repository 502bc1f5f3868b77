import type { SparseMatrix } from '../sparse.js';
import type { NativeInfluence } from '../native.js';
import type { KernelExports, WasmHeap } from './heap.js';

/** Matrix forms of {@link WasmKernels.gemm}: C = A·B, A·Bᵀ, Aᵀ·B. */
export type GemmForm = 'NN' | 'NT' | 'TN';

/** A bound influence step (see {@link WasmKernels.influenceBind}): in and out may be one matrix where `inPlace`. */
export interface BoundInfluenceStep {
  (q: Float32Array, inIdx: number, outIdx: number): void;
  readonly inPlace: boolean;
}

// Below n = 16 an influence step takes a few microseconds and the native call's argument checks
// would be a good part of it; wasm and native give the same bits, so the choice only moves time.
const NATIVE_INFLUENCE_MIN_N = 16;

// Rows of A packed per chunk (a multiple of 4): 128 rows × k floats stay in L2 for k ≤ 1024.
const MC = 128;

/**
 * Typed wrappers over the wasm exports: they turn arrays into byte addresses, copy operands that
 * do not live in wasm memory into a scratch block (and results back), and size the kernels'
 * work space. Callers have already checked shapes (the public kernels in gemm.ts / sparse.ts do).
 */
export class WasmKernels {
  private scratch: Float32Array;

  /** The module the calls go to: the heap's default one, or its `fma` build (same memory). */
  private readonly x: KernelExports;
  /** A native influenceStep with the same contract as `x`'s, used where it pays. */
  private readonly native: NativeInfluence | undefined;

  constructor(readonly heap: WasmHeap, exports: KernelExports = heap.exports, native?: NativeInfluence) {
    this.x = exports;
    this.native = native;
    this.scratch = heap.floats(1024);
  }

  /** A scratch region of at least `floats` elements, reused across calls (grown when needed). */
  private work(floats: number): Float32Array {
    if (this.scratch.length < floats) this.scratch = this.heap.floats(Math.max(floats, Math.ceil(this.scratch.length * 1.5)));
    return this.scratch;
  }

  gemm(form: GemmForm, m: number, n: number, k: number, A: Float32Array, B: Float32Array, C: Float32Array, alpha: number, beta: number): void {
    if (m === 0 || n === 0) return;
    let sai: number, sap: number, sbp: number, sbj: number;
    if (form === 'NN') [sai, sap, sbp, sbj] = [k, 1, n, 1];
    else if (form === 'NT') [sai, sap, sbp, sbj] = [k, 1, 1, k];
    else [sai, sap, sbp, sbj] = [1, m, n, 1];
    // Packing B into 8-column panels costs one pass over B: worth it once enough rows reuse each
    // panel (and it avoids 4 KiB-strided rows aliasing in L1); required for NT.
    const packB = sbj !== 1 || (m >= 16 && n > 8);
    const mc = Math.max(4, Math.min(MC, m & ~3));
    const lenA = m * k, lenB = k * n, lenC = m * n;
    const heap = this.heap;
    const ownA = heap.owns(A), ownB = heap.owns(B), ownC = heap.owns(C);
    // Scratch layout (floats, each part 16-float aligned): [T 32][packed A][packed B][A copy][B copy][C copy]
    const wA = mc * k, wB = packB ? 8 * k * Math.ceil(n / 8) : 0;
    const offA = align16(32 + wA + wB);
    const offB = offA + (ownA ? 0 : align16(lenA) + 16);
    const offC = offB + (ownB ? 0 : align16(lenB) + 16);
    const s = this.work(offC + (ownC ? 0 : align16(lenC) + 16));
    const base = s.byteOffset;
    if (!ownA) s.set(A.subarray(0, lenA), offA);
    if (!ownB) s.set(B.subarray(0, lenB), offB);
    if (!ownC && beta !== 0) s.set(C.subarray(0, lenC), offC);
    this.x.gemm(m, n, k,
      ownA ? A.byteOffset : base + offA * 4, sai, sap,
      ownB ? B.byteOffset : base + offB * 4, sbp, sbj,
      ownC ? C.byteOffset : base + offC * 4, alpha, beta, packB ? 1 : 0, mc, base);
    if (!ownC) C.set(s.subarray(offC, offC + lenC));
  }

  /** C(m×n) = alpha·X·B + beta·C for a loaded sparse X (CSR lists). */
  sparseNN(X: SparseMatrix, n: number, B: Float32Array, C: Float32Array, alpha: number, beta: number): void {
    const m = X.rows;
    if (m === 0 || n === 0) return;
    const { b, c, finish } = this.operands(B, X.cols * n, C, m * n, beta !== 0);
    this.x.sparseNN(m, n, X.rowPtr.byteOffset, X.colIdx.byteOffset, X.values.byteOffset, b, c, alpha, beta, this.scratch.byteOffset);
    finish();
  }

  /** C(k×n) = alpha·Xᵀ·B + beta·C, or with `lr` defined W(k×n) ← W − lr·Xᵀ·B in float32 (C is W). */
  sparseTN(X: SparseMatrix, n: number, B: Float32Array, C: Float32Array, alpha: number, beta: number, lr?: number): void {
    const k = X.cols;
    if (k === 0 || n === 0) return;
    const sgd = lr !== undefined;
    const { b, c, finish } = this.operands(B, X.rows * n, C, k * n, sgd || beta !== 0);
    this.x.sparseTN(k, n, X.colPtr.byteOffset, X.rowIdx.byteOffset, X.colValues.byteOffset, b, c, alpha, beta,
      sgd ? 1 : 0, sgd ? Math.fround(lr) : 0, this.scratch.byteOffset);
    finish();
  }

  /**
   * Fills X's lists from the dense block x (rows × X.cols) in wasm; false when X's lists are not
   * in wasm memory (the caller then builds them in JS). Same lists as SparseMatrix.load's JS loop.
   */
  sparseLoad(X: SparseMatrix, x: Float32Array, rows: number, cursor: Int32Array): { nnz: number; active: number } | undefined {
    const heap = this.heap;
    if (!heap.owns(X.rowPtr) || !heap.owns(X.colIdx) || !heap.owns(X.activeCols) || !heap.owns(cursor)) return undefined;
    const len = rows * X.cols;
    let px = x.byteOffset;
    if (!heap.owns(x)) {
      const s = this.work(32 + align16(len) + 16);
      s.set(x.subarray(0, len), 32);
      px = s.byteOffset + 128;
    }
    const nnz = this.x.sparseLoad(px, rows, X.cols, X.rowPtr.byteOffset, X.colIdx.byteOffset, X.values.byteOffset,
      X.colPtr.byteOffset, X.rowIdx.byteOffset, X.colValues.byteOffset, X.activeCols.byteOffset, cursor.byteOffset);
    return { nnz, active: cursor[X.cols]! };
  }

  /**
   * The fused RTRL step of assembly/kernels.ts (contract there and in influence.ts). Operands
   * outside wasm memory are copied in (and Mout, g back) like gemm's; the rtrl rule allocates
   * everything with `allocFloats`, so its steps copy nothing.
   */
  influenceStep(n: number, L: number, At: Float32Array, d: Float32Array, beta: number, z: Float32Array, q: Float32Array,
    Min: Float32Array, Mout: Float32Array, g: Float32Array, lenM: number): void {
    if (this.native !== undefined && n >= NATIVE_INFLUENCE_MIN_N) {
      this.native.step(n, L, At, d, beta, z, q, Min, Mout, g);
      return;
    }
    const h = this.heap;
    if (h.owns(Min) && h.owns(Mout) && h.owns(At) && h.owns(d) && h.owns(z) && h.owns(q) && h.owns(g)) {
      this.x.influenceStep(n, L, At.byteOffset, d.byteOffset, beta, z.byteOffset, q.byteOffset, Min.byteOffset, Mout.byteOffset,
        g.byteOffset, this.scratch.byteOffset);
      return;
    }
    // Scratch layout (floats, 16-aligned parts): [T 32][At][d][z][q][Min][Mout][g]
    const lens = [n * n, n, L, n, lenM, lenM, n * L];
    const srcs = [At, d, z, q, Min, Mout, g];
    const offs: number[] = [];
    let off = 32;
    for (const len of lens) {
      offs.push(off);
      off += align16(len) + 16;
    }
    const s = this.work(off);
    const addr: number[] = [];
    for (let k = 0; k < srcs.length; k++) {
      const a = srcs[k]!;
      if (h.owns(a)) addr.push(a.byteOffset);
      else {
        s.set(a.subarray(0, lens[k]), offs[k]);
        addr.push(s.byteOffset + offs[k]! * 4);
      }
    }
    this.x.influenceStep(n, L, addr[0]!, addr[1]!, beta, addr[2]!, addr[3]!, addr[4]!, addr[5]!, addr[6]!, s.byteOffset);
    if (!h.owns(Mout)) Mout.set(s.subarray(offs[5]!, offs[5]! + lenM));
    if (!h.owns(g)) g.set(s.subarray(offs[6]!, offs[6]! + n * L));
  }

  /**
   * influenceStep with At, d, z, g and the matrices Ms bound once (see influence.ts'
   * `influencePlan`): a step function over indices into Ms, or undefined where this backend has
   * no native kernel for n or an operand is not in wasm memory (then the caller steps unbound).
   */
  influenceBind(n: number, L: number, At: Float32Array, d: Float32Array, beta: number, z: Float32Array, g: Float32Array,
    Ms: readonly Float32Array[]): BoundInfluenceStep | undefined {
    const h = this.heap, native = this.native;
    if (native === undefined || n < NATIVE_INFLUENCE_MIN_N || ![At, d, z, g, ...Ms].every((a) => h.owns(a))) return undefined;
    // Its own ArrayBuffer, so that the native side's pointer to it stays valid.
    const slots = new Int32Array(new ArrayBuffer(12));
    const step = native.bind(n, L, beta, At, d, z, g, Ms, slots);
    // q's index, looked up when q changes: a shared-memory array's `buffer` and `byteOffset` cost
    // 10–15 ns each to read, and a one-row rule passes the same q every step. A q outside the
    // heap is copied into it.
    let lastQ: Float32Array | undefined, qCopy: Float32Array | undefined;
    const bound = (q: Float32Array, inIdx: number, outIdx: number): void => {
      if (q !== lastQ) {
        if (h.owns(q)) {
          lastQ = q;
          slots[0] = q.byteOffset >> 2;
        } else {
          qCopy ??= h.floats(n);
          qCopy.set(q.subarray(0, n));
          lastQ = undefined;
          slots[0] = qCopy.byteOffset >> 2;
        }
      }
      slots[1] = inIdx;
      slots[2] = outIdx;
      step();
    };
    return Object.assign(bound, { inPlace: step.inPlace });
  }

  /** The float32 plain-SGD step of assembly/kernels.ts; false (nothing done) when p or g is not in wasm memory. */
  sgdPlain(len: number, r: number, g: Float32Array, p: Float32Array, clear: boolean): boolean {
    const h = this.heap;
    if (!h.owns(p) || !h.owns(g)) return false;
    this.x.sgdPlain(p.byteOffset, g.byteOffset, len, r, clear ? 1 : 0);
    return true;
  }

  /** sgdPlain on byte addresses in wasm memory (see elementwise.ts' sgdPlan, which checked them). */
  sgdPlainAt(p: number, g: number, len: number, r: number, clear: boolean): void {
    this.x.sgdPlain(p, g, len, r, clear ? 1 : 0);
  }

  tanh(a: Float32Array, len: number): void {
    this.unary(a, len, this.x.tanhInPlace);
  }

  sigmoid(a: Float32Array, len: number): void {
    this.unary(a, len, this.x.sigmoidInPlace);
  }

  // `f` is the export itself, not a closure over len: online rules call tanh every time step, and
  // a closure per call was most of their garbage.
  private unary(a: Float32Array, len: number, f: (ptr: number, len: number) => void): void {
    if (len === 0) return;
    if (this.heap.owns(a)) return f(a.byteOffset, len);
    const s = this.work(32 + align16(len));
    s.set(a.subarray(0, len), 32);
    f(s.byteOffset + 128, len);
    a.set(s.subarray(32, 32 + len));
  }

  /** Addresses of B (read) and C (read if `readC`, written), copying foreign ones after the 32-float tile. */
  private operands(B: Float32Array, lenB: number, C: Float32Array, lenC: number, readC: boolean): { b: number; c: number; finish: () => void } {
    const ownB = this.heap.owns(B), ownC = this.heap.owns(C);
    if (ownB && ownC) return { b: B.byteOffset, c: C.byteOffset, finish: noop };
    const offB = 32, offC = offB + (ownB ? 0 : align16(lenB) + 16);
    const s = this.work(offC + (ownC ? 0 : align16(lenC) + 16));
    if (!ownB) s.set(B.subarray(0, lenB), offB);
    if (!ownC && readC) s.set(C.subarray(0, lenC), offC);
    return {
      b: ownB ? B.byteOffset : s.byteOffset + offB * 4,
      c: ownC ? C.byteOffset : s.byteOffset + offC * 4,
      finish: ownC ? noop : () => C.set(s.subarray(offC, offC + lenC)),
    };
  }
}

function noop(): void {}

function align16(n: number): number {
  return (n + 15) & ~15;
}
