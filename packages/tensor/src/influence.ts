import { CredoError } from '@credo/core';
import { activeWasm } from './backend.js';
import { checkDims, checkLength } from './check.js';
import type { BoundInfluenceStep, WasmKernels } from './wasm/kernels.js';

/*
 * Exact RTRL for a layer s_t = beta·s_{t−1} + f(A·s_{t−1} + …), whose Jacobian is
 * J_t = beta·I + diag(d_t)·A and whose immediate influence on the parameters is
 * diag(d_t)·(z_tᵀ ⊗ I): column j·n + i of θ is the weight through which input z_j reaches unit i
 * (the rnn: d = α·φ′, z = [a_{t−1}; x_t; 1], A = W stored transposed as Wt, beta = 1 − α).
 *
 * The step M ← J·M + ∂s/∂θ is the whole cost of RTRL (2n²C FLOP with C = n·L columns, the N⁴ of
 * the rnn). It runs as one fused pass: J is never formed (rows are scaled by d after the product),
 * the immediate term and the gradient row qᵀ·M are added while each 8-column panel of M is still
 * in L1, and M is kept in a panel layout so that the product streams it contiguously.
 *
 * Panel layout of an n × C influence matrix: ⌈C/8⌉ panels of 8 columns, each n rows of 8 floats,
 * element (i, c) at ((c >> 3)·n + i)·8 + (c & 7); the padding columns of the last panel are zero
 * and stay zero.
 *
 * Arithmetic contract (per backend, like the products in gemm.ts): S = Σ_p A(i,p)·Min(p,c) in
 * increasing p from +0; Mout = fround(d_i·S + beta·Min(i,c)), then on the immediate entries
 * Mout ← fround(Mout + d_i·z_j); G_c = Σ_i q_i·Mout(i,c) in increasing i from +0;
 * g_c ← fround(g_c + G_c). Sums and the epilogue are float64 on the `js` backend and float32
 * (each operation rounded) on the `wasm` one, so the two agree to float32 rounding and each is
 * bit-reproducible.
 */

/**
 * Floats of an n × (n·L) influence matrix in the panel layout of {@link influenceStep}.
 *
 * @example
 * ```ts
 * const M = allocFloats(influenceFloats(N, N)); // RTRL over the N×N recurrent weights
 * ```
 */
export function influenceFloats(n: number, L: number): number {
  return n * Math.ceil((n * L) / 8) * 8;
}

/**
 * Index of element (row i, column c) of an influence matrix with n rows in the panel layout.
 *
 * @example
 * ```ts
 * const m = M[influenceIndex(N, i, j * N + i)]; // ∂s_i/∂θ_{j·N+i}
 * ```
 */
export function influenceIndex(n: number, i: number, c: number): number {
  return ((c >> 3) * n + i) * 8 + (c & 7);
}

/**
 * One fused exact-RTRL step on influence matrices in the panel layout (see the contract above):
 * ```
 * Mout = diag(d)·(A·Min) + beta·Min + diag(d)·(zᵀ ⊗ I)      g[0..n·L) += qᵀ·Mout
 * ```
 * with A (n × n) given transposed, `At[p·n + i] = A(i, p)`. `Mout` must not overlap `Min`.
 * Operands from {@link allocFloats} are used in place by the wasm kernel; others are copied.
 *
 * @example
 * ```ts
 * // one step of the rnn with influence over W only (L = N): swap M and M2 afterwards
 * influenceStep(N, N, cell.Wt, phiPrime, 0, aPrev, q, M, M2, gW);
 * ```
 */
export function influenceStep(n: number, L: number, At: Float32Array, d: Float32Array, beta: number, z: Float32Array, q: Float32Array,
  Min: Float32Array, Mout: Float32Array, g: Float32Array): void {
  checkDims('influenceStep', n, L, 0, 'n,L');
  const lenM = influenceFloats(n, L);
  checkLength('influenceStep', 'At', At, n * n);
  checkLength('influenceStep', 'd', d, n);
  checkLength('influenceStep', 'z', z, L);
  checkLength('influenceStep', 'q', q, n);
  checkLength('influenceStep', 'Min', Min, lenM);
  checkLength('influenceStep', 'Mout', Mout, lenM);
  checkLength('influenceStep', 'g', g, n * L);
  if (n === 0 || L === 0) return;
  const w = activeWasm();
  if (w !== undefined) return w.influenceStep(n, L, At, d, beta, z, q, Min, Mout, g, lenM);
  influenceStepJs(n, L, At, d, beta, z, q, Min, Mout, g);
}

/** {@link influenceStep} on operands bound once: see {@link influencePlan}. */
export interface InfluencePlan {
  /**
   * One step from `Ms[inIdx]` with this step's q (n floats), into `Ms[outIdx]` (a different
   * matrix) — or into `Ms[inIdx]` itself where the kernel can update in place. Returns the index
   * of the matrix that holds the new M.
   */
  step(q: Float32Array, inIdx: number, outIdx: number): number;
}

/**
 * {@link influenceStep} for a caller that steps the same arrays every time — At, d, z and g (their
 * contents change, not the arrays) and a set of influence matrices `Ms` it rotates through, as the
 * rtrl rule does — with the arrays checked once here instead of on every step. Where the native
 * kernel serves the active backend and every operand lives in wasm memory, they are also handed
 * to it once; where that kernel holds a whole column panel in registers (n = 16 on AVX-512) it
 * updates the matrix in place, halving the step's working set. Same numbers as influenceStep on
 * the same backend; the backend is the one active at each step.
 *
 * @example
 * ```ts
 * const plan = influencePlan(N, N, cell.Wt, phiPrime, 0, aPrev, gW, [M, M2]);
 * let cur = 0;
 * cur = plan.step(q, cur, 1 - cur);   // Ms[cur] ← J·M + ∂s/∂θ (into M2, or in place), gW += qᵀ·Ms[cur]
 * ```
 */
export function influencePlan(n: number, L: number, At: Float32Array, d: Float32Array, beta: number, z: Float32Array,
  g: Float32Array, Ms: readonly Float32Array[]): InfluencePlan {
  checkDims('influencePlan', n, L, 0, 'n,L');
  const lenM = influenceFloats(n, L);
  checkLength('influencePlan', 'At', At, n * n);
  checkLength('influencePlan', 'd', d, n);
  checkLength('influencePlan', 'z', z, L);
  checkLength('influencePlan', 'g', g, n * L);
  for (const M of Ms) checkLength('influencePlan', 'Ms', M, lenM);
  const matrices = Ms.slice();
  let boundFor: WasmKernels | undefined | null = null;
  let bound: BoundInfluenceStep | undefined;
  return {
    step(q: Float32Array, inIdx: number, outIdx: number): number {
      if (!(Number.isInteger(inIdx) && Number.isInteger(outIdx) && inIdx >= 0 && outIdx >= 0 && inIdx < matrices.length &&
        outIdx < matrices.length && inIdx !== outIdx)) {
        throw new CredoError('SHAPE_MISMATCH', `influencePlan: in and out must be two different matrices of the ${matrices.length} bound`,
          { field: 'inIdx,outIdx', value: `${inIdx},${outIdx}` });
      }
      const w = activeWasm();
      if (w !== boundFor) {
        boundFor = w;
        bound = n === 0 || L === 0 ? undefined : w?.influenceBind(n, L, At, d, beta, z, g, matrices);
      }
      if (bound !== undefined) {
        checkLength('influencePlan', 'q', q, n);
        const out = bound.inPlace ? inIdx : outIdx;
        bound(q, inIdx, out);
        return out;
      }
      influenceStep(n, L, At, d, beta, z, q, matrices[inIdx]!, matrices[outIdx]!, g);
      return outIdx;
    },
  };
}

function influenceStepJs(n: number, L: number, At: Float32Array, d: Float32Array, beta: number, z: Float32Array, q: Float32Array,
  Min: Float32Array, Mout: Float32Array, g: Float32Array): void {
  const C = n * L, panels = Math.ceil(C / 8), n4 = n - (n % 4);
  let ic = 0, jc = 0;
  for (let jp = 0; jp < panels; jp++) {
    const base = jp * n * 8;
    // Two 4-column halves: 4×4 float64 accumulators is what V8 keeps in registers.
    for (let h = 0; h < 8; h += 4) {
      const bh = base + h;
      for (let i = 0; i < n4; i += 4) {
        let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (let p = 0, a = i, b = bh; p < n; p++, a += n, b += 8) {
          const b0 = Min[b]!, b1 = Min[b + 1]!, b2 = Min[b + 2]!, b3 = Min[b + 3]!;
          let x = At[a]!;
          c00 += x * b0; c01 += x * b1; c02 += x * b2; c03 += x * b3;
          x = At[a + 1]!;
          c10 += x * b0; c11 += x * b1; c12 += x * b2; c13 += x * b3;
          x = At[a + 2]!;
          c20 += x * b0; c21 += x * b1; c22 += x * b2; c23 += x * b3;
          x = At[a + 3]!;
          c30 += x * b0; c31 += x * b1; c32 += x * b2; c33 += x * b3;
        }
        let o = bh + i * 8;
        putRow(Mout, Min, o, d[i]!, beta, c00, c01, c02, c03);
        o += 8;
        putRow(Mout, Min, o, d[i + 1]!, beta, c10, c11, c12, c13);
        o += 8;
        putRow(Mout, Min, o, d[i + 2]!, beta, c20, c21, c22, c23);
        o += 8;
        putRow(Mout, Min, o, d[i + 3]!, beta, c30, c31, c32, c33);
      }
      for (let i = n4; i < n; i++) {
        let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
        for (let p = 0, a = i, b = bh; p < n; p++, a += n, b += 8) {
          const x = At[a]!;
          c0 += x * Min[b]!; c1 += x * Min[b + 1]!; c2 += x * Min[b + 2]!; c3 += x * Min[b + 3]!;
        }
        putRow(Mout, Min, bh + i * 8, d[i]!, beta, c0, c1, c2, c3);
      }
    }
    const c0 = jp * 8, lanes = Math.min(8, C - c0);
    for (let t = 0; t < lanes; t++) {
      const o = base + ic * 8 + t;
      Mout[o] = Mout[o]! + d[ic]! * z[jc]!;
      if (++ic === n) {
        ic = 0;
        jc++;
      }
    }
    for (let t = 0; t < lanes; t++) {
      let G = 0;
      for (let i = 0, o = base + t; i < n; i++, o += 8) G += q[i]! * Mout[o]!;
      g[c0 + t] = g[c0 + t]! + G;
    }
  }
}

function putRow(Mout: Float32Array, Min: Float32Array, o: number, d: number, beta: number, s0: number, s1: number, s2: number, s3: number): void {
  if (beta === 0) {
    Mout[o] = d * s0; Mout[o + 1] = d * s1; Mout[o + 2] = d * s2; Mout[o + 3] = d * s3;
  } else {
    Mout[o] = d * s0 + beta * Min[o]!; Mout[o + 1] = d * s1 + beta * Min[o + 1]!;
    Mout[o + 2] = d * s2 + beta * Min[o + 2]!; Mout[o + 3] = d * s3 + beta * Min[o + 3]!;
  }
}
