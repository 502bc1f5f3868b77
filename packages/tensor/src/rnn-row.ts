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
  // One cache per operand position: an online rule passes the same arrays (its Unroll's, the
  // state alternating between two) on every step.
  const at = (op: string, name: string, need: number) => new HeapIndex(`rnnRowPlan.${op}`, name, need);
  const fwd = { sPrev: at('forward', 'sPrev', n), s: at('forward', 's', n), aux: at('forward', 'aux', n) };
  const out = { s: at('output', 's', n), y: at('output', 'y', O) };
  const back = { s: at('backOutput', 's', n), dy: at('backOutput', 'dy', O), q: at('backOutput', 'q', n), gV: at('backOutput', 'gV', n * O), gc: at('backOutput', 'gc', O) };
  return {
    forward(sPrev, x, s, aux) {
      const k = ready();
      if (k === undefined) return false;
      const h = heap!, iP = fwd.sPrev.of(sPrev, h), iS = fwd.s.of(s, h), iA = fwd.aux.of(aux, h);
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
      const iS = out.s.of(s, heap!), iY = out.y.of(y, heap!);
      if (iS < 0 || iY < 0) return false;
      slots[0] = iS;
      slots[1] = iY;
      k.output();
      return true;
    },
    backOutput(s, dy, q, gV, gc, rate) {
      const k = ready();
      if (k === undefined) return false;
      const h = heap!, iS = back.s.of(s, h), iD = back.dy.of(dy, h), iQ = back.q.of(q, h);
      if (iS < 0 || iD < 0 || iQ < 0) return false;
      if (gV === undefined || gc === undefined) {
        slots[5] = 0;
      } else {
        const iV = back.gV.of(gV, h), iC = back.gc.of(gc, h);
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

/**
 * The heap float index of the last two arrays passed in one operand position. Reading a typed
 * array's `buffer` and `byteOffset` on the shared wasm heap costs 10–15 ns each, as much as a
 * native call's whole overhead; an identity test costs a nanosecond. An array's length never
 * changes, so it is checked once, when the array is first seen.
 */
class HeapIndex {
  private a0: Float32Array | undefined;
  private a1: Float32Array | undefined;
  private i0 = -1;
  private i1 = -1;

  constructor(private readonly op: string, private readonly name: string, private readonly need: number) {}

  /** a's float index in `heap`, or −1 when a is not in it; throws SHAPE_MISMATCH when a is too short. */
  of(a: Float32Array, heap: WasmHeap): number {
    if (a === this.a0) return this.i0;
    if (a === this.a1) return this.i1;
    if (!heap.owns(a)) return -1;
    checkLength(this.op, this.name, a, this.need);
    this.a1 = this.a0;
    this.i1 = this.i0;
    this.a0 = a;
    return (this.i0 = a.byteOffset >> 2);
  }
}
