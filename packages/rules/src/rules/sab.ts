import type { ComponentInfo, Params } from '@credo/core';
import { allocFloats } from '@credo/tensor';
import type { ParamUpdater } from '../param-updater.js';
import type { RecurrentCell } from '../recurrent-cell.js';
import type { SequenceForward, SequenceRuleContext, SequenceRuleState, TemporalRuleImpl } from '../sequence-rule.js';
import { StepHistory } from '../step-history.js';
import type { Unroll } from '../unroll.js';

/** Registry entry of the `sab` rule. */
export const SAB_INFO: ComponentInfo = {
  kind: 'rule',
  name: 'sab',
  description: 'sparse attentive backtracking (Ke et al. 2018): a memory of past provisional states every kAtt steps, each step attends to its kTop best matches (h_t = ĥ_t + Σ w_i m_i), truncated BPTT over kTrunc steps plus gradient through the attention skip connections and kTrunc steps of local backprop around each attended memory',
  params: {
    kTop: { type: 'integer', min: 0, default: 5, description: 'memories attended per step (0 = no attention: chunked TBPTT(kTrunc))' },
    kAtt: { type: 'integer', min: 1, default: 10, description: 'a memory (the provisional state ĥ_t) is stored every kAtt steps' },
    kTrunc: { type: 'integer', min: 1, default: 10, description: 'local truncation: update every kTrunc steps, backprop kTrunc steps through the recurrence, and kTrunc steps around each attended memory' },
    memory: { type: 'integer', min: 1, default: 64, description: 'memories kept (the oldest is dropped first); the memory is cleared when a new episode starts' },
  },
  reference: 'papers.md §8.2 (Ke, Goyal, Bilaniuk, Binas, Mozer, Pal, Bengio, NeurIPS 2018)',
  models: ['rnn'],
};

/**
 * Sparse Attentive Backtracking on a recurrent cell. The rule changes the forward computation:
 * ```
 * ĥ_t = F(h_{t−1}, x_t)                          provisional state
 * a_i = ĥ_t·m_i / √n  for the stored memories    (dot-product scores)
 * keep the kTop largest, w = softmax over them    (sparse attention)
 * h_t = ĥ_t + Σ_i w_i·m_i                        the summary is added (skip connection)
 * every kAtt steps ĥ_t is stored as a memory
 * ```
 * Every kTrunc steps the losses since the last update are sent back kTrunc steps through the
 * recurrence; at each step, the gradient also flows through the attention (the weights, the scores
 * and the values) into the attended memories. A memory inside the window takes that gradient in the
 * main backward sweep; an older one gets kTrunc steps of local backprop from the records kept with
 * it. With attention to every stored state (kAtt = 1, kTop and memory ≥ T) and no truncation
 * (kTrunc ≥ T), this is the exact gradient of the attention network; with kTop = 0 it is chunked
 * TBPTT(kTrunc), each window sent back to its own start (both tested).
 *
 * Deviations from the paper, whose exact forms could not be verified (papers.md §10): the score
 * is a parameter-free scaled dot product instead of a learned MLP over [ĥ; m_i], the sparsifier is
 * a softmax over the kTop best scores (the selection itself carries no gradient), the memories
 * are the provisional states ĥ (storing h, which already holds a summary, lets summaries compound:
 * |h| then grows with every store), and the local backprop around a memory does not follow that
 * memory's own attention reads.
 *
 * @example
 * ```ts
 * createSequenceLearner({ model: { name: 'rnn', hidden: 64 }, rule: { name: 'sab', kTop: 5, kAtt: 10, kTrunc: 10 }, optimizer: { name: 'sgd' } }, shape, seed, 16);
 * ```
 */
export const sabRule: TemporalRuleImpl = {
  sequence: {
    init: (ctx) => new SabState(ctx),
    forward: (ctx) => new SabForward(new SabMemory(ctx.cell, ctx.rows, ctx.params)),
    // No truncation: every attended memory then lies inside the one backward window.
    exact: (params, steps) => ({ ...params, kTrunc: Math.max(steps, params.kTrunc as number) }),
  },
};

/** The memory and the attention read, shared by training and evaluation. */
class SabMemory {
  readonly n: number;
  readonly rows: number;
  readonly kTop: number;
  readonly kAtt: number;
  readonly kTrunc: number;
  readonly maxMem: number;
  /** Ring slots: kept memories plus the ones a pending window may still read. */
  readonly slots: number;
  readonly mem: Float32Array[] = [];
  /** Global step index (since reset, 0-based) of the record that produced each slot's memory. */
  readonly memTime: Float64Array;
  /** Memories stored since reset; memory id k lives in slot k % slots. */
  count = 0;
  /** Steps since reset. */
  t = 0;
  private readonly scores: Float64Array;
  private readonly ids: Int32Array;
  private readonly invSqrtN: number;
  /** ĥ of the last step (rows × n): what afterStep stores. */
  private readonly hatLast: Float32Array;

  constructor(cell: RecurrentCell, rows: number, p: Params) {
    this.n = cell.n;
    this.rows = rows;
    this.kTop = p.kTop as number;
    this.kAtt = p.kAtt as number;
    this.kTrunc = p.kTrunc as number;
    this.maxMem = p.memory as number;
    this.slots = this.maxMem + Math.ceil(this.kTrunc / this.kAtt) + 1;
    this.memTime = new Float64Array(this.slots);
    if (this.kTop > 0) for (let i = 0; i < this.slots; i++) this.mem.push(new Float32Array(rows * cell.n));
    this.scores = new Float64Array(this.maxMem);
    this.ids = new Int32Array(this.maxMem);
    this.invSqrtN = 1 / Math.sqrt(cell.n);
    this.hatLast = new Float32Array(this.kTop > 0 ? rows * cell.n : 0);
  }

  reset(): void {
    this.count = 0;
    this.t = 0;
  }

  /** Ids of the memories attention may read now: [first, count). */
  first(): number {
    return Math.max(0, this.count - this.maxMem);
  }

  /**
   * Adds the attention summary to u.s (ĥ → h) for every row. When `hat` is given, ĥ is copied
   * there first; `sel`/`w` (rows × kTop) receive the chosen memory ids (−1 = none) and weights.
   */
  attend(u: Unroll, hat?: Float32Array, sel?: Int32Array, w?: Float32Array): void {
    const { n, rows, kTop } = this;
    if (hat !== undefined) hat.set(u.s.subarray(0, rows * n));
    if (kTop > 0) this.hatLast.set(u.s.subarray(0, rows * n));
    if (sel !== undefined) sel.fill(-1);
    const first = this.first(), avail = this.count - first;
    if (kTop === 0 || avail === 0) return;
    const K = Math.min(kTop, avail);
    const s = u.s, scores = this.scores, ids = this.ids;
    for (let r = 0; r < rows; r++) {
      const o = r * n;
      for (let k = 0; k < avail; k++) {
        const m = this.mem[(first + k) % this.slots]!;
        let d = 0;
        for (let i = 0; i < n; i++) d += s[o + i]! * m[o + i]!;
        scores[k] = d * this.invSqrtN;
        ids[k] = first + k;
      }
      // Partial selection sort: the K best scores to the front (ties: the older memory first).
      for (let a = 0; a < K; a++) {
        let best = a;
        for (let b = a + 1; b < avail; b++) if (scores[b]! > scores[best]!) best = b;
        if (best !== a) {
          const ts = scores[a]!; scores[a] = scores[best]!; scores[best] = ts;
          const ti = ids[a]!; ids[a] = ids[best]!; ids[best] = ti;
        }
      }
      let max = -Infinity;
      for (let a = 0; a < K; a++) if (scores[a]! > max) max = scores[a]!;
      let z = 0;
      for (let a = 0; a < K; a++) {
        scores[a] = Math.exp(scores[a]! - max);
        z += scores[a]!;
      }
      // Every score was formed from ĥ above; only now is the summary added to the state.
      for (let a = 0; a < K; a++) {
        const wa = scores[a]! / z;
        const m = this.mem[ids[a]! % this.slots]!;
        for (let i = 0; i < n; i++) s[o + i] = s[o + i]! + wa * m[o + i]!;
        if (sel !== undefined) {
          sel[r * kTop + a] = ids[a]!;
          w![r * kTop + a] = wa;
        }
      }
    }
  }

  /** After the step: counts it and stores ĥ_t as a memory every kAtt steps. Returns the new slot, or −1. */
  afterStep(): number {
    this.t++;
    if (this.kTop === 0 || this.t % this.kAtt !== 0) return -1;
    const slot = this.count % this.slots;
    this.mem[slot]!.set(this.hatLast);
    this.memTime[slot] = this.t - 1;
    this.count++;
    return slot;
  }
}

class SabForward implements SequenceForward {
  constructor(private readonly memory: SabMemory) {}

  reset(): void {
    this.memory.reset();
  }

  advance(u: Unroll, x: Float32Array): void {
    u.advance(x);
    this.memory.attend(u);
    this.memory.afterStep();
  }
}

class SabState implements SequenceRuleState {
  private readonly cell: RecurrentCell;
  private readonly rows: number;
  private readonly updater: ParamUpdater;
  private readonly mem: SabMemory;
  private readonly history: StepHistory;
  private readonly kTop: number;
  private readonly kTrunc: number;
  /** Per window record: ĥ (rows × n), chosen ids and weights (rows × kTop), gradient from later reads of ĥ_t as a memory (rows × n). */
  private readonly hat: Float32Array;
  private readonly sel: Int32Array;
  private readonly w: Float32Array;
  private readonly extra: Float32Array;
  /** Global step of the window's record 0. */
  private t0 = 0;
  /** The last kTrunc records (s_{t−1}, x_t, aux_t), as a ring, to copy next to each new memory. */
  private readonly recS: Float32Array;
  private readonly recX: Float32Array;
  private readonly recA: Float32Array;
  private recCount = 0;
  /** Local records kept with each memory slot (oldest first), and how many. */
  private readonly locS: Float32Array[] = [];
  private readonly locX: Float32Array[] = [];
  private readonly locA: Float32Array[] = [];
  private readonly locLen: Int32Array;
  /** Gradient reaching each memory slot from outside the window, and whether any did. */
  private readonly memGrad: Float32Array[] = [];
  private readonly touched: Uint8Array;
  private readonly dm: Float64Array;
  private readonly uBuf: Float32Array;
  private readonly uPrev: Float32Array;
  private readonly dpre: Float32Array;

  constructor(ctx: SequenceRuleContext) {
    const { cell, rows } = ctx;
    this.cell = cell;
    this.rows = rows;
    this.updater = ctx.updater;
    this.mem = new SabMemory(cell, rows, ctx.params);
    this.kTop = this.mem.kTop;
    this.kTrunc = this.mem.kTrunc;
    const n = cell.n, K = this.kTrunc, I = cell.inputs, A = cell.auxSize;
    this.history = new StepHistory(cell, rows, K, false);
    this.hat = new Float32Array(K * rows * n);
    this.sel = new Int32Array(K * rows * Math.max(1, this.kTop));
    this.w = new Float32Array(K * rows * Math.max(1, this.kTop));
    this.extra = new Float32Array(K * rows * n);
    const keepLocal = this.kTop > 0;
    this.recS = new Float32Array(keepLocal ? K * rows * n : 0);
    this.recX = new Float32Array(keepLocal ? K * rows * I : 0);
    this.recA = new Float32Array(keepLocal ? K * rows * A : 0);
    const slots = this.kTop > 0 ? this.mem.slots : 0;
    for (let i = 0; i < slots; i++) {
      this.locS.push(allocFloats(K * rows * n));
      this.locX.push(allocFloats(K * rows * I));
      this.locA.push(allocFloats(K * rows * A));
      this.memGrad.push(new Float32Array(rows * n));
    }
    this.locLen = new Int32Array(slots);
    this.touched = new Uint8Array(slots);
    this.dm = new Float64Array(Math.max(1, this.kTop));
    this.uBuf = allocFloats(rows * n);
    this.uPrev = allocFloats(rows * n);
    this.dpre = allocFloats(K * rows * n);
  }

  reset(u: Unroll): void {
    this.mem.reset();
    this.history.start(u);
    this.t0 = 0;
    this.recCount = 0;
    this.extra.fill(0);
  }

  step(u: Unroll, x: Float32Array, target: Float32Array, mask: Float32Array | undefined): number {
    const { rows, cell, kTop } = this;
    const n = cell.n, I = cell.inputs, A = cell.auxSize;
    const j = this.history.len;
    u.advance(x);
    if (kTop > 0) {
      // The record for local backprop: the step's input side, before attention changes u.s.
      const slot = this.recCount % this.kTrunc;
      this.recS.set(u.sPrev.subarray(0, rows * n), slot * rows * n);
      this.recX.set(u.x.subarray(0, rows * I), slot * rows * I);
      if (A > 0) this.recA.set(u.aux.subarray(0, rows * A), slot * rows * A);
      this.recCount++;
    }
    const kk = Math.max(1, kTop);
    this.mem.attend(
      u, this.hat.subarray(j * rows * n, (j + 1) * rows * n),
      this.sel.subarray(j * rows * kk, (j + 1) * rows * kk), this.w.subarray(j * rows * kk, (j + 1) * rows * kk),
    );
    const loss = u.loss(target, mask);
    this.history.push(u);
    const slot = this.mem.afterStep();
    if (slot >= 0) this.keepLocal(slot);
    if (this.history.len === this.kTrunc) this.flush();
    return loss;
  }

  endSegment(): void {
    if (this.history.len > 0) this.flush();
  }

  memoryFloats(): number {
    const { rows, cell } = this;
    const n = cell.n;
    const kept = Math.min(this.mem.count, this.mem.maxMem);
    const perMem = rows * n + this.kTrunc * rows * (n + cell.inputs + cell.auxSize);
    return this.history.floats() + this.history.len * rows * (n + 2 * this.kTop) + (kept > 0 ? kept * perMem + this.recS.length + this.recX.length + this.recA.length : 0);
  }

  /** Copies the last kTrunc records (oldest first) next to the memory just stored in `slot`. */
  private keepLocal(slot: number): void {
    const { rows, cell, kTrunc } = this;
    const rn = rows * cell.n, ri = rows * cell.inputs, ra = rows * cell.auxSize;
    const c = Math.min(this.recCount, kTrunc);
    for (let k = 0; k < c; k++) {
      const src = (this.recCount - c + k) % kTrunc;
      this.locS[slot]!.set(this.recS.subarray(src * rn, (src + 1) * rn), k * rn);
      this.locX[slot]!.set(this.recX.subarray(src * ri, (src + 1) * ri), k * ri);
      if (ra > 0) this.locA[slot]!.set(this.recA.subarray(src * ra, (src + 1) * ra), k * ra);
    }
    this.locLen[slot] = c;
  }

  /** Backprop through step t's attention read: u (∂L/∂h_t → ∂L/∂ĥ_t) and the attended memories' gradients. */
  private attentionBackward(t: number, u: Float32Array): void {
    const { rows, cell, kTop } = this;
    const n = cell.n, rn = rows * n, kk = Math.max(1, kTop);
    const inv = 1 / Math.sqrt(n);
    const slots = this.mem.slots;
    const hat = this.hat, sel = this.sel, w = this.w, dm = this.dm;
    for (let r = 0; r < rows; r++) {
      const o = r * n, so = (t * rows + r) * kk, ho = t * rn + o;
      let K = 0;
      while (K < kTop && sel[so + K]! >= 0) K++;
      if (K === 0) continue;
      // dL/dw_a = u·m_a; dL/da_a = w_a·(dL/dw_a − Σ_b w_b·dL/dw_b)
      let mean = 0;
      for (let a = 0; a < K; a++) {
        const m = this.mem.mem[sel[so + a]! % slots]!;
        let d = 0;
        for (let i = 0; i < n; i++) d += u[o + i]! * m[o + i]!;
        dm[a] = d;
        mean += w[so + a]! * d;
      }
      // Gradients into the memories (value path w_a·u and score path da_a·ĥ/√n) — computed from
      // u = ∂L/∂h_t before u is turned into ∂L/∂ĥ_t below.
      for (let a = 0; a < K; a++) {
        const id = sel[so + a]!, slot = id % slots;
        const wa = w[so + a]!, da = wa * (dm[a]! - mean) * inv;
        const tau = this.mem.memTime[slot]!;
        let dst: Float32Array, off: number;
        if (tau >= this.t0) {
          dst = this.extra;
          off = (tau - this.t0) * rn + o;
        } else {
          dst = this.memGrad[slot]!;
          off = o;
          if (this.touched[slot] === 0) {
            dst.fill(0);
            this.touched[slot] = 1;
          }
        }
        for (let i = 0; i < n; i++) dst[off + i] = dst[off + i]! + wa * u[o + i]! + da * hat[ho + i]!;
      }
      // ∂L/∂ĥ_t = u + Σ_a da_a·m_a/√n  (the identity path plus the score path)
      for (let a = 0; a < K; a++) {
        const da = w[so + a]! * (dm[a]! - mean) * inv;
        if (da === 0) continue;
        const m = this.mem.mem[sel[so + a]! % slots]!;
        for (let i = 0; i < n; i++) u[o + i] = u[o + i]! + da * m[o + i]!;
      }
    }
  }

  private flush(): void {
    const h = this.history, { rows, cell, kTop } = this;
    const rn = rows * cell.n;
    this.touched.fill(0);
    const ex = this.extra;
    const hook = (t: number, u: Float32Array): void => {
      // u = ∂L/∂h_t on entry, ∂L/∂ĥ_t on exit: the attention read of step t, then the reads of ĥ_t
      // as a memory by later steps of this window.
      if (kTop > 0) this.attentionBackward(t, u);
      for (let i = 0; i < rn; i++) u[i] = u[i]! + ex[t * rn + i]!;
    };
    h.backward(0, 0, this.updater.gTheta, hook, this.updater.gReadout);
    // Memories older than the window: kTrunc steps of local backprop from the records kept with them.
    for (let slot = 0; slot < this.touched.length; slot++) {
      if (this.touched[slot] === 0) continue;
      const c = this.locLen[slot]!;
      if (c === 0) continue;
      const LS = this.locS[slot]!, LX = this.locX[slot]!, LA = this.locA[slot]!;
      const ri = rows * cell.inputs, ra = rows * cell.auxSize;
      this.uBuf.set(this.memGrad[slot]!);
      for (let k = c - 1; k >= 0; k--) {
        cell.backStep(
          LS.subarray(k * rn, (k + 1) * rn), LX.subarray(k * ri, (k + 1) * ri), LA.subarray(k * ra, (k + 1) * ra),
          this.uBuf, this.uPrev, this.dpre.subarray(k * rn, (k + 1) * rn), rows,
        );
        this.uBuf.set(this.uPrev);
      }
      cell.paramGrad(this.dpre.subarray(0, c * rn), LS.subarray(0, c * rn), LX.subarray(0, c * ri), c * rows, this.updater.gTheta);
    }
    this.updater.commit();
    this.t0 += h.len;
    h.trim(0);
    this.extra.fill(0);
  }
}
