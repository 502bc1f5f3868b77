import { activeWasm } from './backend.js';
import { checkLength } from './check.js';
import { nativeKernels, type NativeRnnRow } from './native.js';
import type { WasmHeap } from './wasm/heap.js';

/** The parameters of a one-row rnn, stored transposed as in @credo/rules' rnn model. */
export interface RnnRowParams {
  /** W transposed, n × n. */
  readonly Wt: Float32Array;
  /** U transposed, I × n. */
  readonly Ut: Float32Array;
  /** n biases. */
  readonly b: Float32Array;
  /** V transposed, n × O. */
  readonly Vt: Float32Array;
  /** O output biases. */
  readonly c: Float32Array;
}

/**
 * The fixed work of one online (batch-1) step of an rnn, on native code: each call returns true
 * when it ran, false when the caller must run its own JavaScript (the native kernels were not
 * built, the `js` backend is active, or an operand is not in wasm memory). See {@link rnnRowPlan}.
 */
export interface RnnRowPlan {
  /** s = (1 − α)·sPrev + α·tanh(b + W·sPrev + U·x), aux = 1 − tanh(…)² (n, I, n and n floats). */
  forward(sPrev: Float32Array, x: Float32Array, s: Float32Array, aux: Float32Array): boolean;
  /** y = c + V·s. */
  output(s: Float32Array, y: Float32Array): boolean;
  /**
   * q = Vᵀ·dy; with gV and gc, the readout's gradient s·dyᵀ, dy added into them; with `rate` as
   * well, V and c stepped by plain SGD at once and the gradients cleared.
   */
  backOutput(s: Float32Array, dy: Float32Array, q: Float32Array, gV: Float32Array | undefined, gc: Float32Array | undefined, rate?: number): boolean;
}

/**
 * The rnn's one-row forward, readout and readout backward bound to its parameters, for the
 * native kernels of native/rnn-row.cc: at N = 16 these few hundred multiply-adds cost an online
 * step in JavaScript half as much as RTRL's N⁴ influence product. The arithmetic contract is that of
 * the JavaScript they stand in for — every product summed in float64 from +0 in increasing
 * index and rounded once (`rowProduct` in @credo/rules), tanh that of the wasm kernels — so
 * using them changes speed, never bits; which is why they serve the wasm backends (`wasm` and
 * `fma` share that tanh) and not `js`. Undefined where the native kernels were not built.
 *
 * @example
 * ```ts
 * const plan = rnnRowPlan(16, 8, 8, 1, { Wt, Ut, b, Vt, c });
 * if (plan?.forward(sPrev, x, s, aux) !== true) jsForward(sPrev, x, s, aux);
 * ```
 */
export function rnnRowPlan(n: number, I: number, O: number, alpha: number, params: RnnRowParams): RnnRowPlan | undefined {
  const native = nativeKernels();
  if (native?.rnnRowBind === undefined) return undefined;
  const { Wt, Ut, b, Vt, c } = params;
  checkLength('rnnRowPlan', 'Wt', Wt, n * n);
  checkLength('rnnRowPlan', 'Ut', Ut, n * I);
  checkLength('rnnRowPlan', 'b', b, n);
  checkLength('rnnRowPlan', 'Vt', Vt, n * O);
  checkLength('rnnRowPlan', 'c', c, O);
  // Its own ArrayBuffer, so that the native side's pointer to it stays valid.
  const slots = new Int32Array(new ArrayBuffer(32));
  const rateSlot = new Float32Array(slots.buffer, 24, 1);
  let bound: NativeRnnRow | undefined | null = null;
  let xCopy: Float32Array | undefined, xIndex: number | undefined;
  let heap: WasmHeap | undefined;
  // The bound calls, once every parameter is known to be in the heap (else never).
  const ready = (): NativeRnnRow | undefined => {
    if (activeWasm() === undefined) return undefined;
    if (bound === null) {
      const h = activeWasm()!.heap;
      bound = [Wt, Ut, b, Vt, c].every((a) => h.owns(a)) ? native.rnnRowBind(n, I, O, alpha, Wt, Ut, b, Vt, c, slots) : undefined;
      if (bound !== undefined) {
        heap = h;
        xCopy = h.floats(I);
      }
    }
    return bound;
  };
  // Heap indices of the arrays seen last. A typed array's `buffer` and `byteOffset` on the shared
  // heap cost 10–15 ns each to read, as much as a call's whole overhead, and an online rule passes
  // the same few arrays (its Unroll's) on every step.
  const seen: (Float32Array | undefined)[] = new Array<Float32Array | undefined>(SEEN).fill(undefined);
  const seenIndex = new Int32Array(SEEN), seenLength = new Int32Array(SEEN);
  let nextSeen = 0;
  // a's float index in the heap, after checking it holds `need` floats; −1 when a is not in the heap.
  const index = (op: string, name: string, a: Float32Array, need: number): number => {
    for (let k = 0; k < SEEN; k++) {
      if (seen[k] === a) {
        if (seenLength[k]! < need) checkLength(op, name, a, need);
        return seenIndex[k]!;
      }
    }
    if (!heap!.owns(a)) return -1;
    checkLength(op, name, a, need);
    const k = nextSeen;
    nextSeen = (k + 1) % SEEN;
    seen[k] = a;
    seenLength[k] = a.length;
    return (seenIndex[k] = a.byteOffset >> 2);
  };
  return {
    forward(sPrev, x, s, aux) {
      const k = ready();
      if (k === undefined) return false;
      const iP = index('rnnRowPlan.forward', 'sPrev', sPrev, n), iS = index('rnnRowPlan.forward', 's', s, n);
      const iA = index('rnnRowPlan.forward', 'aux', aux, n);
      if (iP < 0 || iS < 0 || iA < 0) return false;
      // x is usually a view of a task's sequence, new on every step: copied, not looked up.
      checkLength('rnnRowPlan.forward', 'x', x, I);
      const xs = xCopy!;
      for (let j = 0; j < I; j++) xs[j] = x[j]!;
      slots[0] = iP;
      slots[1] = xIndex ??= xs.byteOffset >> 2;
      slots[2] = iS;
      slots[3] = iA;
      k.forward();
      return true;
    },
    output(s, y) {
      const k = ready();
      if (k === undefined) return false;
      const iS = index('rnnRowPlan.output', 's', s, n), iY = index('rnnRowPlan.output', 'y', y, O);
      if (iS < 0 || iY < 0) return false;
      slots[0] = iS;
      slots[1] = iY;
      k.output();
      return true;
    },
    backOutput(s, dy, q, gV, gc, rate) {
      const k = ready();
      if (k === undefined) return false;
      const iS = index('rnnRowPlan.backOutput', 's', s, n), iD = index('rnnRowPlan.backOutput', 'dy', dy, O);
      const iQ = index('rnnRowPlan.backOutput', 'q', q, n);
      if (iS < 0 || iD < 0 || iQ < 0) return false;
      if (gV === undefined || gc === undefined) {
        slots[5] = 0;
      } else {
        const iV = index('rnnRowPlan.backOutput', 'gV', gV, n * O), iC = index('rnnRowPlan.backOutput', 'gc', gc, O);
        if (iV < 0 || iC < 0) return false;
        slots[3] = iV;
        slots[4] = iC;
        slots[5] = rate === undefined ? 1 : 2;
        if (rate !== undefined) rateSlot[0] = rate;
      }
      slots[0] = iS;
      slots[1] = iD;
      slots[2] = iQ;
      k.backOutput();
      return true;
    },
  };
}

// Arrays remembered by a plan: an Unroll's eight (two states, aux, y, dy, q, two readout
// gradients) twice over.
const SEEN = 16;
