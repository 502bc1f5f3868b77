/**
 * Float64 reference implementations for the temporal-rule tests: an rnn forward pass, its exact
 * BPTT gradient, and the forward pass of the sab attention network (checked by finite
 * differences). Written from the equations (papers.md §7.1, §8.2), independently of the library.
 */
import { Rng } from '@credo/tensor';
import type { SequenceBatch, SequenceLearner } from '@credo/rules';

export interface RnnParams64 {
  N: number;
  I: number;
  O: number;
  alpha: number;
  loss: 'mse' | 'softmax-ce';
  /** θ = (W, U, b) flat, row-major (W[i,j] at i·N + j): the papers' layout, converted from the library's transposed one. */
  theta: Float64Array;
  V: Float64Array;
  c: Float64Array;
}

export function paramsOf(learner: SequenceLearner, alpha: number): RnnParams64 {
  const p = learner.parameters();
  const cell = learner.cell;
  return {
    N: cell.n, I: cell.inputs, O: cell.outputs, alpha, loss: cell.loss,
    theta: toReference(cell.theta, cell.n, cell.inputs), V: transposeOf(p['Vt']!, cell.n, cell.outputs), c: Float64Array.from(p['c']!),
  };
}

/** V (O × N) from the library's Vt (N × O). */
function transposeOf(Vt: Float32Array, N: number, O: number): Float64Array {
  const V = new Float64Array(O * N);
  for (let i = 0; i < N; i++) for (let k = 0; k < O; k++) V[k * N + i] = Vt[i * O + k]!;
  return V;
}

/** The library stores θ as (Wt, Ut, b) with Wt[j·N + i] = W[i,j]; the reference uses (W, U, b) row-major. */
export function toReference(theta: ArrayLike<number>, N: number, I: number): Float64Array {
  const out = new Float64Array(theta.length);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) out[i * N + j] = theta[j * N + i]!;
    for (let j = 0; j < I; j++) out[N * N + i * I + j] = theta[N * N + j * N + i]!;
    out[N * N + N * I + i] = theta[N * N + N * I + i]!;
  }
  return out;
}

/** Σ_t mean_rows mask·ℓ_t of the rnn (optionally with sab's full attention over every past state). */
export function rnnLoss(p: RnnParams64, batch: SequenceBatch, attention = false): number {
  return attention ? sabTopLoss(p, batch, Infinity, 1, Infinity) : sabTopLoss(p, batch, 0, 1, 0);
}

/**
 * Σ_t mean_rows mask·ℓ_t of the sab attention network: after each step h_t = ĥ_t + Σ softmax(top-k
 * of ĥ_t·m_i/√N)·m_i over the last `memory` memories, and ĥ_t is stored every kAtt steps.
 */
export function sabTopLoss(p: RnnParams64, batch: SequenceBatch, kTop: number, kAtt: number, memory: number): number {
  const { N, I, O, alpha, theta, V, c } = p;
  const rows = batch.rows;
  let total = 0;
  for (let r = 0; r < rows; r++) {
    let a = new Float64Array(N);
    const mems: Float64Array[] = [];
    for (let t = 0; t < batch.steps; t++) {
      const x = (j: number): number => batch.x[(t * rows + r) * I + j]!;
      const next = new Float64Array(N);
      for (let i = 0; i < N; i++) {
        let h = theta[N * N + N * I + i]!;
        for (let j = 0; j < N; j++) h += theta[i * N + j]! * a[j]!;
        for (let j = 0; j < I; j++) h += theta[N * N + i * I + j]! * x(j);
        next[i] = (1 - alpha) * a[i]! + alpha * Math.tanh(h);
      }
      const hat = Float64Array.from(next);
      const avail = mems.slice(Math.max(0, mems.length - memory));
      if (kTop > 0 && avail.length > 0) {
        const scored = avail.map((m, k) => {
          let d = 0;
          for (let i = 0; i < N; i++) d += next[i]! * m[i]!;
          return { k, s: d / Math.sqrt(N) };
        });
        scored.sort((u, v) => v.s - u.s || u.k - v.k);
        const top = scored.slice(0, Math.min(kTop, scored.length));
        const max = Math.max(...top.map((e) => e.s));
        const z = top.reduce((u, e) => u + Math.exp(e.s - max), 0);
        const add = new Float64Array(N);
        for (const e of top) for (let i = 0; i < N; i++) add[i] = add[i]! + (Math.exp(e.s - max) / z) * avail[e.k]![i]!;
        for (let i = 0; i < N; i++) next[i] = next[i]! + add[i]!;
      }
      a = next;
      if (kTop > 0 && (t + 1) % kAtt === 0) mems.push(hat);
      const m = batch.mask === undefined ? 1 : batch.mask[t * rows + r]!;
      if (m === 0) continue;
      const y = new Float64Array(O);
      for (let k = 0; k < O; k++) {
        let s = c[k]!;
        for (let i = 0; i < N; i++) s += V[k * N + i]! * a[i]!;
        y[k] = s;
      }
      const tgt = (k: number): number => batch.y[(t * rows + r) * O + k]!;
      if (p.loss === 'mse') {
        for (let k = 0; k < O; k++) total += (m * 0.5 * (y[k]! - tgt(k)) ** 2) / rows;
      } else {
        const max = Math.max(...y);
        const lz = Math.log(y.reduce((u, v) => u + Math.exp(v - max), 0)) + max;
        for (let k = 0; k < O; k++) total -= (m * tgt(k) * (y[k]! - lz)) / rows;
      }
    }
  }
  return total;
}

/** Exact ∂(Σ_t mean_rows ℓ_t)/∂θ of the plain rnn by BPTT in float64. */
export function rnnGradient(p: RnnParams64, batch: SequenceBatch): Float64Array {
  const { N, I, O, alpha, theta, V, c } = p;
  const rows = batch.rows, T = batch.steps;
  const g = new Float64Array(theta.length);
  for (let r = 0; r < rows; r++) {
    const A: Float64Array[] = [new Float64Array(N)];
    const D: Float64Array[] = [];
    const dA: Float64Array[] = [];
    for (let t = 0; t < T; t++) {
      const prev = A[t]!, next = new Float64Array(N), d = new Float64Array(N);
      for (let i = 0; i < N; i++) {
        let h = theta[N * N + N * I + i]!;
        for (let j = 0; j < N; j++) h += theta[i * N + j]! * prev[j]!;
        for (let j = 0; j < I; j++) h += theta[N * N + i * I + j]! * batch.x[(t * rows + r) * I + j]!;
        const f = Math.tanh(h);
        next[i] = (1 - alpha) * prev[i]! + alpha * f;
        d[i] = 1 - f * f;
      }
      A.push(next);
      D.push(d);
      // ∂ℓ_t/∂a_t through the readout
      const m = batch.mask === undefined ? 1 : batch.mask[t * rows + r]!;
      const y = new Float64Array(O);
      for (let k = 0; k < O; k++) {
        let s = c[k]!;
        for (let i = 0; i < N; i++) s += V[k * N + i]! * next[i]!;
        y[k] = s;
      }
      const dy = new Float64Array(O);
      if (p.loss === 'mse') for (let k = 0; k < O; k++) dy[k] = y[k]! - batch.y[(t * rows + r) * O + k]!;
      else {
        const max = Math.max(...y);
        const z = y.reduce((u, v) => u + Math.exp(v - max), 0);
        let ts = 0;
        for (let k = 0; k < O; k++) ts += batch.y[(t * rows + r) * O + k]!;
        for (let k = 0; k < O; k++) dy[k] = (Math.exp(y[k]! - max) / z) * ts - batch.y[(t * rows + r) * O + k]!;
      }
      const q = new Float64Array(N);
      for (let i = 0; i < N; i++) {
        let s = 0;
        for (let k = 0; k < O; k++) s += V[k * N + i]! * dy[k]!;
        q[i] = (m * s) / rows;
      }
      dA.push(q);
    }
    let carry = new Float64Array(N);
    for (let t = T - 1; t >= 0; t--) {
      const u = new Float64Array(N);
      for (let i = 0; i < N; i++) u[i] = dA[t]![i]! + carry[i]!;
      const dpre = new Float64Array(N);
      for (let i = 0; i < N; i++) dpre[i] = alpha * D[t]![i]! * u[i]!;
      const prev = A[t]!;
      for (let i = 0; i < N; i++) {
        for (let j = 0; j < N; j++) g[i * N + j] = g[i * N + j]! + dpre[i]! * prev[j]!;
        for (let j = 0; j < I; j++) g[N * N + i * I + j] = g[N * N + i * I + j]! + dpre[i]! * batch.x[(t * rows + r) * I + j]!;
        g[N * N + N * I + i] = g[N * N + N * I + i]! + dpre[i]!;
      }
      const next = new Float64Array(N);
      for (let j = 0; j < N; j++) {
        let s = (1 - alpha) * u[j]!;
        for (let i = 0; i < N; i++) s += dpre[i]! * theta[i * N + j]!;
        next[j] = s;
      }
      carry = next;
    }
  }
  return g;
}

/** Central finite differences of `f` at θ (float64). */
export function finiteDifferences(p: RnnParams64, f: (q: RnnParams64) => number, h = 1e-6): Float64Array {
  const g = new Float64Array(p.theta.length);
  for (let i = 0; i < g.length; i++) {
    const plus = Float64Array.from(p.theta), minus = Float64Array.from(p.theta);
    plus[i] = plus[i]! + h;
    minus[i] = minus[i]! - h;
    g[i] = (f({ ...p, theta: plus }) - f({ ...p, theta: minus })) / (2 * h);
  }
  return g;
}

/** A random batch: x ~ N(0,1); targets N(0,1) (mse) or one-hot labels (softmax-ce); optional random 0/1 mask. */
export function randomBatch(seed: number, steps: number, rows: number, I: number, O: number, loss: 'mse' | 'softmax-ce', masked = false): SequenceBatch {
  const rng = Rng.derive(seed, 'test/batch');
  const x = new Float32Array(steps * rows * I);
  rng.fillNormal(x, 0, 1);
  const y = new Float32Array(steps * rows * O);
  if (loss === 'mse') rng.fillNormal(y, 0, 1);
  else for (let i = 0; i < steps * rows; i++) y[i * O + rng.int(O)] = 1;
  let mask: Float32Array | undefined;
  if (masked) {
    mask = new Float32Array(steps * rows);
    for (let i = 0; i < mask.length; i++) mask[i] = rng.next() < 0.5 ? 1 : 0;
  }
  return { steps, rows, x, y, mask };
}

export function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i]! - b[i]!));
    den = Math.max(den, Math.abs(b[i]!));
  }
  return num / den;
}

export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / den);
}
