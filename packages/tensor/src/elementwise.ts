import { CredoError } from '@credo/core';
import { activeWasm } from './backend.js';
import { checkDims, checkLength, type FloatArray } from './check.js';

/** Hidden-unit nonlinearities the kernels know how to apply and differentiate. */
export type Activation = 'tanh' | 'sigmoid' | 'relu' | 'linear';

/** Every {@link Activation}, in the order `credo rules` lists them (`ACTIVATIONS.includes('tanh')`). */
export const ACTIVATIONS: readonly Activation[] = ['tanh', 'sigmoid', 'relu', 'linear'];

/**
 * a ← tanh(a) on the first `len` elements: `Math.tanh` on the js backend; on the wasm backend (for
 * Float32Array) a SIMD evaluation within 3 ulp of the exact value (tested), 8× faster.
 *
 * @example
 * ```ts
 * tanhInPlace(a1, rows * nHidden);
 * ```
 */
export function tanhInPlace(a: FloatArray, len = a.length): void {
  checkLength('tanhInPlace', 'a', a, len);
  const w = activeWasm();
  if (w !== undefined && a instanceof Float32Array) return w.tanh(a, len);
  for (let i = 0; i < len; i++) a[i] = Math.tanh(a[i]!);
}

/**
 * a ← 1 / (1 + e^(−a)) on the first `len` elements (on the wasm backend, for Float32Array, a SIMD
 * evaluation within a few ulp for a ≥ −80; below −87 it returns σ(−87) ≈ 1.6e-38).
 *
 * @example
 * ```ts
 * sigmoidInPlace(a1, rows * nHidden);
 * ```
 */
export function sigmoidInPlace(a: FloatArray, len = a.length): void {
  checkLength('sigmoidInPlace', 'a', a, len);
  const w = activeWasm();
  if (w !== undefined && a instanceof Float32Array) return w.sigmoid(a, len);
  for (let i = 0; i < len; i++) a[i] = 1 / (1 + Math.exp(-a[i]!));
}

/**
 * a ← max(a, 0) on the first `len` elements (NaN stays NaN, so divergence stays visible).
 *
 * @example
 * ```ts
 * reluInPlace(a1, rows * nHidden);
 * ```
 */
export function reluInPlace(a: FloatArray, len = a.length): void {
  checkLength('reluInPlace', 'a', a, len);
  for (let i = 0; i < len; i++) {
    const v = a[i]!;
    if (v < 0) a[i] = 0;
  }
}

/**
 * Applies `kind` in place to the first `len` elements of the pre-activations `a`, which then hold
 * the activations h = f(a).
 *
 * @example
 * ```ts
 * activate('tanh', a1, rows * nHidden); // a1 now holds h1
 * ```
 */
export function activate(kind: Activation, a: FloatArray, len = a.length): void {
  switch (kind) {
    case 'tanh': return tanhInPlace(a, len);
    case 'sigmoid': return sigmoidInPlace(a, len);
    case 'relu': return reluInPlace(a, len);
    case 'linear': return;
    default: throw new CredoError('BAD_PARAM', 'unknown activation', { field: 'activation', value: kind, allowed: ACTIVATIONS.join(', ') });
  }
}

/**
 * d ← d ⊙ f′(a), with f′ written in terms of the activation h = f(a) (which is what a forward pass
 * keeps): tanh 1 − h², sigmoid h(1 − h), relu [h > 0] (f′(0) = 0), linear 1. Each element is
 * computed in float64 and rounded once.
 *
 * @example
 * ```ts
 * // δ1 = dh ⊙ (1 − h1²)
 * mulActivationDerivative('tanh', h1, dh, rows * nHidden);
 * ```
 */
export function mulActivationDerivative(kind: Activation, h: FloatArray, d: FloatArray, len = d.length): void {
  checkLength('mulActivationDerivative', 'h', h, len);
  checkLength('mulActivationDerivative', 'd', d, len);
  switch (kind) {
    case 'tanh':
      for (let i = 0; i < len; i++) {
        const v = h[i]!;
        d[i] = d[i]! * (1 - v * v);
      }
      return;
    case 'sigmoid':
      for (let i = 0; i < len; i++) {
        const v = h[i]!;
        d[i] = d[i]! * (v * (1 - v));
      }
      return;
    case 'relu':
      for (let i = 0; i < len; i++) if (!(h[i]! > 0)) d[i] = 0;
      return;
    case 'linear':
      return;
    default:
      throw new CredoError('BAD_PARAM', 'unknown activation', { field: 'activation', value: kind, allowed: ACTIVATIONS.join(', ') });
  }
}

/**
 * Writes the vector `v` (length n) into every row of C (m×n): the usual way to start a biased
 * product `C = v + A·Bᵀ` with beta = 1.
 *
 * @example
 * ```ts
 * broadcastRows(b2, z, rows, nOut);
 * gemmNT(rows, nOut, nHidden, h1, W2, z, 1, 1);
 * ```
 */
export function broadcastRows(v: FloatArray, C: FloatArray, m: number, n: number): void {
  checkDims('broadcastRows', m, n);
  checkLength('broadcastRows', 'v', v, n);
  checkLength('broadcastRows', 'C', C, m * n);
  // TypedArray.set is a native copy (with the same float32 rounding as element assignment).
  const row = v.length === n ? v : v.subarray(0, n);
  for (let i = 0; i < m; i++) C.set(row, i * n);
}

/**
 * y ← y + alpha·x on the first `len` elements (each computed in float64, rounded once).
 *
 * @example
 * ```ts
 * axpy(W.length, -lr, dW, W); // W ← W − lr·dW
 * ```
 */
export function axpy(len: number, alpha: number, x: FloatArray, y: FloatArray): void {
  checkDims('axpy', len, 0, 0, 'len');
  checkLength('axpy', 'x', x, len);
  checkLength('axpy', 'y', y, len);
  for (let i = 0; i < len; i++) y[i] = y[i]! + alpha * x[i]!;
}

/**
 * Plain SGD on the first `len` elements, in float32 arithmetic as torch does it to a float32
 * tensor: p ← p ⊖ (fround(lr) ⊗ g), each operation rounded to float32; then g ← 0 when
 * `clearGrad` (the online rules clear their gradient after every step, and doing it in the same
 * pass saves a second one). Both backends give the same bits; the wasm one (SIMD, when p and g
 * come from {@link allocFloats}) is about 8× faster, which matters at small sizes where this runs
 * once per time step.
 *
 * @example
 * ```ts
 * sgdStep(W.length, 0.01, dW, W, true); // W ← W − 0.01·dW, dW ← 0
 * ```
 */
export function sgdStep(len: number, lr: number, g: FloatArray, p: FloatArray, clearGrad = false): void {
  checkDims('sgdStep', len, 0, 0, 'len');
  checkLength('sgdStep', 'g', g, len);
  checkLength('sgdStep', 'p', p, len);
  const r = Math.fround(lr);
  const w = activeWasm();
  if (w !== undefined && p instanceof Float32Array && g instanceof Float32Array && w.sgdPlain(len, r, g, p, clearGrad)) return;
  // float32 arithmetic: the product is rounded to float32, and the float64 difference of two
  // float32 values rounds to the same float32 as a float32 subtraction would.
  for (let i = 0; i < len; i++) p[i] = Math.fround(p[i]! - Math.fround(r * g[i]!));
  if (clearGrad) g.fill(0, 0, len);
}

/**
 * {@link sgdStep} over the whole of `p` for a caller that steps the same two arrays every time
 * (an optimizer slot): the arrays are checked once here instead of on every step, and where they
 * live in wasm memory their addresses are looked up once per backend. An online rule steps its
 * parameters every time step, and at N = 16 reading a shared-memory array's `buffer` and
 * `byteOffset` on each call cost as much as the step itself. Same bits as sgdStep.
 *
 * @example
 * ```ts
 * const stepW = sgdPlan(dW, W);
 * stepW(0.01, true);   // W ← W − 0.01·dW, dW ← 0
 * ```
 */
export function sgdPlan(g: Float32Array, p: Float32Array): (lr: number, clearGrad: boolean) => void {
  const len = p.length;
  checkLength('sgdPlan', 'g', g, len);
  let boundFor: ReturnType<typeof activeWasm> | null = null;
  let pAt = -1, gAt = -1;
  return (lr, clearGrad) => {
    const w = activeWasm();
    if (w !== boundFor) {
      boundFor = w;
      const owned = w !== undefined && w.heap.owns(p) && w.heap.owns(g);
      pAt = owned ? p.byteOffset : -1;
      gAt = owned ? g.byteOffset : -1;
    }
    if (pAt >= 0 && len > 0) w!.sgdPlainAt(pAt, gAt, len, Math.fround(lr), clearGrad);
    else sgdStep(len, lr, g, p, clearGrad);
  };
}

/**
 * x ← alpha·x on the first `len` elements.
 *
 * @example
 * ```ts
 * scale(g.length, 0.5, g);
 * ```
 */
export function scale(len: number, alpha: number, x: FloatArray): void {
  checkDims('scale', len, 0, 0, 'len');
  checkLength('scale', 'x', x, len);
  for (let i = 0; i < len; i++) x[i] = alpha * x[i]!;
}

/**
 * out(n×m) = A(m×n)ᵀ.
 *
 * @example
 * ```ts
 * transpose(W1t, nIn, nHidden, W1); // W1 (hidden×in) from its transposed storage
 * ```
 */
export function transpose(A: FloatArray, m: number, n: number, out: FloatArray): void {
  checkDims('transpose', m, n);
  checkLength('transpose', 'A', A, m * n);
  checkLength('transpose', 'out', out, m * n);
  if (A === out && m * n > 1 && m !== 1 && n !== 1) {
    throw new CredoError('INTERNAL', 'transpose: in-place transpose is not supported', { field: 'out' });
  }
  for (let i = 0; i < m; i++) {
    const o = i * n;
    for (let j = 0; j < n; j++) out[j * m + i] = A[o + j]!;
  }
}
