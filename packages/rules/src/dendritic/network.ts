import { CredoError } from '@credo/core';
import type { Rng } from '@credo/tensor';
import { syncSymmetricFeedback, type DendriticWeights } from './init.js';
import { DENDRITIC_CONSTANTS as K, expNeg, kappa, plateauDelay, poisson, poissonInverse, PspKernel, sigmoid, sigmoidDeriv, TWO_NEG_32, wald } from './kernel.js';
import type { DendriticConfig } from './params.js';
import { dendriticBackpropError, type DendriticErrorView, type DendriticRuleState } from './rules.js';
import type { DendriticState } from './state.js';

/**
 * What one image's forward and target phases leave behind: the phase averages the updates and
 * diagnostics need, the errors, and the losses. Buffers are allocated once per network.
 *
 * @example
 * ```ts
 * const stats = new DendriticPhaseStats(cfg.sizes, cfg.window, 0);
 * net.trainImage(state, stats, label, spikeRng, phaseRng);
 * stats.E[1]; // the hidden layer's error
 * ```
 */
export class DendriticPhaseStats {
  /** Per layer l (index 0 unused): Σ over the averaging window of C and of λ. */
  readonly sumC: Float64Array[] = [new Float64Array(0)];
  readonly sumRate: Float64Array[] = [new Float64Array(0)];
  /** C̄_f of every layer; λ̄_t of the output layer (index L). */
  readonly meanCf: Float64Array[] = [new Float64Array(0)];
  readonly meanRateT: Float64Array[] = [new Float64Array(0)];
  /** Mean PSP of layer l's inputs (population l−1) over the forward window: PSP̄_f (sizes[l−1]). */
  readonly pspF: Float64Array[] = [new Float64Array(0)];
  /** Hidden layers: apical voltages of the last window + maximum plateau delay steps, step-major. */
  readonly aRing: Float64Array[] = [new Float64Array(0)];
  /** Hidden layers: per-neuron plateau delay (steps before the end of the phase) and the plateaus α_f, α_t. */
  readonly delay: Int32Array[] = [new Int32Array(0)];
  readonly alphaF: Float64Array[] = [new Float64Array(0)];
  readonly alphaT: Float64Array[] = [new Float64Array(0)];
  /** Errors E_l of the rule, and backprop's for comparison (E_L is the output error in both). */
  readonly E: Float64Array[] = [new Float64Array(0)];
  readonly Ebp: Float64Array[] = [new Float64Array(0)];
  /** Output loss of the code (mean over outputs of (λ̄_t − λ_max·σ(C̄_f))²), forward-phase answer. */
  lossOut = 0;
  predicted = -1;
  readonly ringLen: number;

  constructor(sizes: readonly number[], window: number, maxDelay: number) {
    const L = sizes.length - 1;
    this.ringLen = window + maxDelay;
    for (let l = 1; l <= L; l++) {
      const n = sizes[l]!, h = l < L ? n : 0;
      this.sumC.push(new Float64Array(n));
      this.sumRate.push(new Float64Array(n));
      this.meanCf.push(new Float64Array(n));
      this.meanRateT.push(new Float64Array(n));
      this.pspF.push(new Float64Array(sizes[l - 1]!));
      this.aRing.push(new Float64Array(h * this.ringLen));
      this.delay.push(new Int32Array(h));
      this.alphaF.push(new Float64Array(h));
      this.alphaT.push(new Float64Array(h));
      this.E.push(new Float64Array(n));
      this.Ebp.push(new Float64Array(n));
    }
  }

  /** Hidden loss of layer l, ‖α_t − α_f‖² (papers.md Eq. 9). */
  lossHidden(l: number): number {
    const a = this.alphaT[l]!, b = this.alphaF[l]!;
    let s = 0;
    for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
    return s;
  }
}

type PhaseKind = 'forward' | 'target' | 'test';

/** Trace values below this are set to exactly 0: a spike enters with weight e^{−1/τ} ≥ 0.7, so this drops only its far tail (after ≥ 46 τ). */
const FLUSH = 1e-20;

/** e^{−λ_max}, as {@link expNeg} computes it: no neuron fires with a uniform draw below it. */
const P0_MIN = expNeg(K.lambdaMax);

/** Spikes in one 1 ms step at rate `r` ≤ λ_max, from one uniform draw of `rng`. */
function spikeCount(rng: Rng, r: number): number {
  // r ≤ λ_max, so a draw below e^{−λ_max} ≤ e^{−r} is no spike without evaluating e^{−r}.
  const u = rng.nextU32() * TWO_NEG_32;
  return u < P0_MIN ? 0 : poissonInverse(u, r, expNeg(r));
}

/**
 * A segregated-dendrite network (Guerguiev, Lillicrap & Richards 2017): weights plus the dynamics
 * that run them. The dynamics act on a {@link DendriticState} passed in, so training, diagnostics and
 * testing never disturb each other.
 *
 * Spiking mode, per 1-ms step, in the order of the authors' code: input spikes ~ Poisson(λ_max·pixel);
 * then each hidden layer — basal B = W·PSP(inputs) + b, apical A = Y·PSP(output spikes of the
 * previous step), soma C += −g_L·C + g_B(B − C) + g_A(A − C), spikes ~ Poisson(λ_max·σ(C)); then the
 * output layer, C += −g_L·C + g_D(B − C) + I, with the teaching current I = g_E(E_E − C) + g_I(E_I − C)
 * (g_E one-hot on the label, g_I = 1 − g_E) in the target phase only. PSPs come from exponential
 * traces ({@link PspKernel}); a layer's basal drive W·T is kept up to date event by event (a spike
 * of presynaptic neuron j adds row j of Wᵀ), which is what makes sparse input spikes cheap, and is
 * recomputed from the traces whenever W changes.
 *
 * @example
 * ```ts
 * const net = new DendriticNetwork(cfg, weights, rule);
 * net.setInput(x, 0);
 * net.trainImage(state, stats, label, spikeRng, phaseRng);
 * net.update(state, stats);
 * ```
 */
export class DendriticNetwork {
  readonly cfg: DendriticConfig;
  readonly w: DendriticWeights;
  readonly L: number;
  readonly kernel: PspKernel;
  private readonly rule: DendriticRuleState;
  private readonly sizes: readonly number[];
  // The current image: indices, rates and e^{−rate} of its nonzero pixels.
  private readonly inIdx: Int32Array;
  private readonly inRate: Float64Array;
  private readonly inP0: Float64Array;
  private inN = 0;
  private readonly ruleView: DendriticErrorView;
  private readonly bpView: DendriticErrorView;
  private viewStats: DendriticPhaseStats | undefined;
  /** κ(1) … κ(M) of the truncated kernel. */
  private readonly kappas: Float64Array;

  constructor(cfg: DendriticConfig, weights: DendriticWeights, rule: DendriticRuleState) {
    this.cfg = cfg;
    this.w = weights;
    this.sizes = cfg.sizes;
    this.L = cfg.sizes.length - 1;
    this.kernel = new PspKernel(cfg.kernelMemory);
    this.kappas = Float64Array.from({ length: cfg.kernelMemory }, (_, d) => kappa(d + 1));
    this.rule = rule;
    const n0 = cfg.sizes[0]!;
    this.inIdx = new Int32Array(n0);
    this.inRate = new Float64Array(n0);
    this.inP0 = new Float64Array(n0);
    const view = (errors: 'E' | 'Ebp'): DendriticErrorView => ({
      sizes: this.sizes,
      kB: cfg.kB,
      lambdaMax: K.lambdaMax,
      alphaForward: (l) => this.stats().alphaF[l]!,
      alphaTarget: (l) => this.stats().alphaT[l]!,
      meanSomaForward: (l) => this.stats().meanCf[l]!,
      error: (j) => this.stats()[errors][j]!,
      weightT: (j) => this.w.Wt[j]!,
    });
    this.ruleView = view('E');
    this.bpView = view('Ebp');
  }

  private stats(): DendriticPhaseStats {
    if (this.viewStats === undefined) throw new CredoError('INTERNAL', 'dendritic: error view used outside computeErrors');
    return this.viewStats;
  }

  /** Loads image `row` of `x` (rows of sizes[0] pixels in [0, 1]) as Poisson input rates λ_max·pixel. */
  setInput(x: Float32Array, row: number): void {
    const n0 = this.sizes[0]!, off = row * n0;
    let q = 0;
    for (let j = 0; j < n0; j++) {
      const v = x[off + j]!;
      if (v > 0) {
        const r = K.lambdaMax * v;
        this.inIdx[q] = j;
        this.inRate[q] = r;
        this.inP0[q] = Math.exp(-r);
        q++;
      } else if (!(v === 0)) {
        throw new CredoError('BAD_PARAM', 'dendritic: inputs are firing-rate fractions and must be ≥ 0', { field: 'x', value: v, allowed: 'numbers ≥ 0 (MNIST pixels in [0, 1])' });
      }
    }
    this.inN = q;
  }

  /**
   * One training image (set by {@link setInput}): a forward phase, then a target phase with the
   * teaching current on `label`, leaving the averages, plateaus, errors and losses in `stats`.
   * Weights are not changed (see {@link update}). Spiking mode draws the phase lengths and plateau
   * delays from `phaseRng` and the spikes from `spikeRng`.
   */
  trainImage(st: DendriticState, stats: DendriticPhaseStats, label: number, spikeRng: Rng, phaseRng: Rng): void {
    if (!this.cfg.spiking) {
      this.nonspikingPhases(stats, label);
    } else {
      const lf = this.phaseLength(phaseRng), lt = this.phaseLength(phaseRng);
      this.drawDelays(stats, phaseRng);
      this.runPhase(st, stats, 'forward', label, lf, spikeRng);
      this.drawDelays(stats, phaseRng);
      this.runPhase(st, stats, 'target', label, lt, spikeRng);
    }
    this.computeErrors(stats);
  }

  /**
   * The test forward phase of the image set by {@link setInput}, from rest: writes the mean somatic
   * voltage of each output neuron over the last `testWindow` steps into `out` (the class is its argmax).
   */
  testImage(st: DendriticState, stats: DendriticPhaseStats, rng: Rng, out: Float32Array, offset: number): void {
    const L = this.L, nOut = this.sizes[L]!;
    if (!this.cfg.spiking) {
      this.nonspikingForward(stats);
      const c = stats.meanCf[L]!;
      for (let i = 0; i < nOut; i++) out[offset + i] = c[i]!;
      return;
    }
    st.reset();
    this.runPhase(st, stats, 'test', -1, this.cfg.testLength, rng);
    const s = stats.sumC[L]!, w = this.cfg.testWindow;
    for (let i = 0; i < nOut; i++) out[offset + i] = s[i]! / w;
  }

  private phaseLength(rng: Rng): number {
    return this.cfg.phaseMin + (this.cfg.randomPhases ? Math.trunc(wald(rng, 2, 1)) : 0);
  }

  private drawDelays(stats: DendriticPhaseStats, rng: Rng): void {
    if (!this.cfg.randomPlateaus) return;
    for (let l = 1; l < this.L; l++) {
      const d = stats.delay[l]!;
      for (let i = 0; i < d.length; i++) d[i] = plateauDelay(rng);
    }
  }

  /** Simulates one phase of `length` steps (spiking mode) and fills the phase's part of `stats`. */
  private runPhase(st: DendriticState, stats: DendriticPhaseStats, kind: PhaseKind, label: number, length: number, rng: Rng): void {
    const { sizes, L, kernel } = this;
    const { gA, apicalRates } = this.cfg;
    const window = kind === 'test' ? this.cfg.testWindow : this.cfg.window;
    const forward = kind === 'forward', target = kind === 'target', training = kind !== 'test';
    // A test only reads the output somata; apical voltages matter to it only through g_A.
    const apical = training || gA !== 0;
    const ringLen = stats.ringLen, ringStart = length - ringLen, winStart = length - window;
    const { gL, gB, gD, eE, eI, lambdaMax } = K;
    const { norm } = kernel;
    for (let l = 1; l <= L; l++) {
      stats.sumC[l]!.fill(0);
      stats.sumRate[l]!.fill(0);
      if (forward) stats.pspF[l]!.fill(0);
    }
    const slots = st.slots, memory = kernel.memory;
    for (let s = 0; s < length; s++) {
      const cur = st.step % slots;
      const old = memory > 0 ? (st.step + 1) % slots : -1;
      const inWin = s >= winStart;
      // Input spikes.
      {
        const n0 = sizes[0]!, idx = st.evIdx[0]!, cnt = st.evCnt[0]!, base = cur * n0;
        let m = 0;
        for (let q = 0; q < this.inN; q++) {
          const c = poisson(rng, this.inRate[q]!, this.inP0[q]!);
          if (c !== 0) {
            idx[base + m] = this.inIdx[q]!;
            cnt[base + m] = c;
            m++;
          }
        }
        st.evLen[0]![cur] = m;
        if (memory === 0) this.advanceTraces(st, 0, cur);
      }
      for (let l = 1; l <= L; l++) {
        const n = sizes[l]!, hidden = l < L;
        const uL = st.uL[l]!, uS = st.uS[l]!, C = st.C[l]!, rate = st.rate[l]!, b = this.w.b[l]!;
        this.advanceDrive(st, l, cur, old);
        // The window sums of PSP̄_f read population l−1 at this step, after its spikes.
        if (forward && inWin) this.accumulatePsp(st, l - 1, stats.pspF[l]!);
        const idx = st.evIdx[l]!, cnt = st.evCnt[l]!, base = cur * n;
        let m = 0;
        if (hidden) {
          const A = st.A[l]!, aL = st.aL[l]!, aS = st.aS[l]!;
          if (!apical) {
            // A stays 0 and g_A = 0: the soma does not see it.
          } else if (apicalRates) {
            // Output rates of the previous step (the output layer has not stepped yet).
            const y = this.w.Y[l]!, ro = st.rate[L]!, nOut = sizes[L]!;
            for (let i = 0; i < n; i++) {
              let a = 0;
              for (let k = 0; k < nOut; k++) a += y[i * nOut + k]! * ro[k]!;
              A[i] = a;
            }
          } else {
            for (let i = 0; i < n; i++) A[i] = (aL[i]! - aS[i]!) * norm;
          }
          for (let i = 0; i < n; i++) {
            const B = b[i]! + (uL[i]! - uS[i]!) * norm;
            const c0 = C[i]!;
            const c = c0 + (-gL * c0 + gB * (B - c0) + gA * (A[i]! - c0));
            C[i] = c;
            const r = lambdaMax / (1 + Math.exp(-c));
            rate[i] = r;
            const k = spikeCount(rng, r);
            if (k !== 0) {
              idx[base + m] = i;
              cnt[base + m] = k;
              m++;
            }
          }
          if (training && s >= ringStart) stats.aRing[l]!.set(A, (s - ringStart) * n);
        } else {
          for (let i = 0; i < n; i++) {
            const B = b[i]! + (uL[i]! - uS[i]!) * norm;
            const c0 = C[i]!;
            let dc = -gL * c0 + gD * (B - c0);
            if (target) {
              const gE = i === label ? 1 : 0;
              dc += gE * (eE - c0) + (1 - gE) * (eI - c0);
            }
            const c = c0 + dc;
            C[i] = c;
            const r = lambdaMax / (1 + Math.exp(-c));
            rate[i] = r;
            const k = spikeCount(rng, r);
            if (k !== 0) {
              idx[base + m] = i;
              cnt[base + m] = k;
              m++;
            }
          }
        }
        st.evLen[l]![cur] = m;
        if (memory === 0) this.advanceTraces(st, l, cur);
        if (inWin && (training || l === L)) {
          const sc = stats.sumC[l]!, sr = stats.sumRate[l]!;
          for (let i = 0; i < n; i++) {
            sc[i] = sc[i]! + C[i]!;
            sr[i] = sr[i]! + rate[i]!;
          }
        }
      }
      // Apical drives see this step's output spikes from the next step on.
      if (apical && !apicalRates) {
        for (let l = 1; l < L; l++) this.advanceApical(st, l, cur, old);
      }
      st.step++;
    }
    if (!training) return;
    const inv = 1 / window;
    for (let l = 1; l <= L; l++) {
      if (forward) {
        const m = stats.meanCf[l]!, sc = stats.sumC[l]!;
        for (let i = 0; i < m.length; i++) m[i] = sc[i]! * inv;
        const p = stats.pspF[l]!;
        for (let j = 0; j < p.length; j++) p[j] = p[j]! * inv;
      } else if (l === L) {
        const m = stats.meanRateT[l]!, sr = stats.sumRate[l]!;
        for (let i = 0; i < m.length; i++) m[i] = sr[i]! * inv;
      }
      if (l < L) this.plateaus(stats, l, forward ? stats.alphaF[l]! : stats.alphaT[l]!);
    }
  }

  /** α_i = σ(mean of A_i over the `window` steps ending at the neuron's plateau time). */
  private plateaus(stats: DendriticPhaseStats, l: number, alpha: Float64Array): void {
    const n = this.sizes[l]!, ring = stats.aRing[l]!, delay = stats.delay[l]!, ringLen = stats.ringLen, window = this.cfg.window;
    const random = this.cfg.randomPlateaus;
    for (let i = 0; i < n; i++) {
      const last = ringLen - 1 - (random ? delay[i]! : 0);
      let s = 0;
      for (let r = last - window + 1; r <= last; r++) s += ring[r * n + i]!;
      alpha[i] = sigmoid(s / window);
    }
  }

  /**
   * Adds PSP(t) of population k to `sum`. With a truncated kernel the PSP is read off the spikes
   * still in memory (Σ_d κ(d+1)·s(t−d), only neurons that spiked), so the traces of a population
   * need not be stepped at all; without truncation it is (T_L − T_s)/(τ_L − τ_s).
   */
  private accumulatePsp(st: DendriticState, k: number, sum: Float64Array): void {
    const memory = this.kernel.memory;
    if (memory === 0) {
      const tl = st.tL[k]!, ts = st.tS[k]!, norm = this.kernel.norm, gl = st.scale[2 * k]! * norm, gs = st.scale[2 * k + 1]! * norm;
      for (let j = 0; j < sum.length; j++) sum[j] = sum[j]! + (tl[j]! * gl - ts[j]! * gs);
      return;
    }
    const n = sum.length, slots = st.slots, idx = st.evIdx[k]!, cnt = st.evCnt[k]!, len = st.evLen[k]!, kap = this.kappas;
    for (let d = 0; d < memory; d++) {
      const slot = (((st.step - d) % slots) + slots) % slots, w = kap[d]!;
      for (let e = slot * n, end = e + len[slot]!; e < end; e++) sum[idx[e]!] = sum[idx[e]!]! + w * cnt[e]!;
    }
  }

  /**
   * Leaves the true traces T_L, T_s of population k in st.tL, st.tS. With a truncated kernel they
   * are not stepped at all and are rebuilt from the spikes in memory; without truncation the common
   * decay factor is folded in (and what is left of spikes long gone is flushed to exactly 0, so it
   * neither turns subnormal, which is very slow, nor keeps the neuron in sparse loops forever).
   */
  private materializeTraces(st: DendriticState, k: number): void {
    const memory = this.kernel.memory;
    if (memory === 0) {
      const tL = st.tL[k]!, tS = st.tS[k]!, gl = st.scale[2 * k]!, gs = st.scale[2 * k + 1]!;
      for (let j = 0; j < tL.length; j++) {
        const a = tL[j]! * gl, c = tS[j]! * gs;
        tL[j] = a < FLUSH && a > -FLUSH ? 0 : a;
        tS[j] = c < FLUSH && c > -FLUSH ? 0 : c;
      }
      st.scale[2 * k] = 1;
      st.scale[2 * k + 1] = 1;
      return;
    }
    const tL = st.tL[k]!, tS = st.tS[k]!, n = tL.length, slots = st.slots, idx = st.evIdx[k]!, cnt = st.evCnt[k]!, len = st.evLen[k]!;
    const { decayL, decayS } = this.kernel;
    tL.fill(0);
    tS.fill(0);
    // The last step simulated is step − 1; its spikes have age 0 (weight e^{−1/τ}).
    let wL = decayL, wS = decayS;
    for (let d = 0; d < memory; d++) {
      const slot = (((st.step - 1 - d) % slots) + slots) % slots;
      for (let e = slot * n, end = e + len[slot]!; e < end; e++) {
        const j = idx[e]!, c = cnt[e]!;
        tL[j] = tL[j]! + wL * c;
        tS[j] = tS[j]! + wS * c;
      }
      wL *= decayL;
      wS *= decayS;
    }
  }

  /**
   * T ← e^{−1/τ}·T + e^{−1/τ}·s(t) for population k (untruncated kernel only): the decay goes into
   * the common factor, so a step costs one multiplication per trace kind plus one per spike.
   */
  private advanceTraces(st: DendriticState, k: number, cur: number): void {
    const { decayL, decayS, addL, addS } = this.kernel;
    const gl = (st.scale[2 * k] = st.scale[2 * k]! * decayL), gs = (st.scale[2 * k + 1] = st.scale[2 * k + 1]! * decayS);
    const tL = st.tL[k]!, tS = st.tS[k]!, n = tL.length, idx = st.evIdx[k]!, cnt = st.evCnt[k]!, len = st.evLen[k]!;
    const al = addL / gl, as = addS / gs;
    for (let e = cur * n, end = e + len[cur]!; e < end; e++) {
      const j = idx[e]!, c = cnt[e]!;
      tL[j] = tL[j]! + c * al;
      tS[j] = tS[j]! + c * as;
    }
    // Long without an update (a long test phase): fold the factor in before it underflows.
    if (gs < 1e-150) this.materializeTraces(st, k);
  }

  /**
   * The same recurrence for the basal drive W·T of layer l. The spikes of population l−1 in this
   * step give V(t) = W·s(t) (one row of Wᵀ per spiking neuron); V is kept for M steps, so the
   * update is U ← e^{−1/τ}·U + e^{−1/τ}·V(t) − e^{−(M+1)/τ}·V(t−M): one pass over the spikes and
   * one over the layer, instead of a pass per spike both when it arrives and when it expires.
   */
  private advanceDrive(st: DendriticState, l: number, cur: number, old: number): void {
    const { decayL, decayS, addL, addS, dropL, dropS } = this.kernel;
    const n = this.sizes[l]!, wt = this.w.Wt[l]!, uL = st.uL[l]!, uS = st.uS[l]!, V = st.v[l]!;
    const k = l - 1, nPre = this.sizes[k]!, idx = st.evIdx[k]!, cnt = st.evCnt[k]!;
    const vb = cur * n;
    spikeDrive(V, vb, wt, n, idx, cnt, cur * nPre, cur * nPre + st.evLen[k]![cur]!);
    if (old >= 0) {
      const ob = old * n;
      for (let i = 0; i < n; i++) {
        const v = V[vb + i]!, vo = V[ob + i]!;
        uL[i] = decayL * uL[i]! + addL * v - dropL * vo;
        uS[i] = decayS * uS[i]! + addS * v - dropS * vo;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const v = V[vb + i]!;
        uL[i] = decayL * uL[i]! + addL * v;
        uS[i] = decayS * uS[i]! + addS * v;
      }
    }
  }

  /** Y·T of the output spikes for hidden layer l (Y is (n_l × outputs), so a spike reads a column). */
  private advanceApical(st: DendriticState, l: number, cur: number, old: number): void {
    const { decayL, decayS, addL, addS, dropL, dropS } = this.kernel;
    const L = this.L, n = this.sizes[l]!, nOut = this.sizes[L]!, y = this.w.Y[l]!;
    const aL = st.aL[l]!, aS = st.aS[l]!, idx = st.evIdx[L]!, cnt = st.evCnt[L]!, len = st.evLen[L]!;
    for (let i = 0; i < n; i++) {
      const a = aL[i]! * decayL, c = aS[i]! * decayS;
      aL[i] = a < FLUSH && a > -FLUSH ? 0 : a;
      aS[i] = c < FLUSH && c > -FLUSH ? 0 : c;
    }
    for (let e = cur * nOut, end = e + len[cur]!; e < end; e++) {
      const k = idx[e]!, c = cnt[e]!, cl = c * addL, cs = c * addS;
      for (let i = 0; i < n; i++) {
        const w = y[i * nOut + k]!;
        aL[i] = aL[i]! + cl * w;
        aS[i] = aS[i]! + cs * w;
      }
    }
    if (old >= 0) {
      for (let e = old * nOut, end = e + len[old]!; e < end; e++) {
        const k = idx[e]!, c = cnt[e]!, cl = c * dropL, cs = c * dropS;
        for (let i = 0; i < n; i++) {
          const w = y[i * nOut + k]!;
          aL[i] = aL[i]! - cl * w;
          aS[i] = aS[i]! - cs * w;
        }
      }
    }
  }

  /**
   * Non-spiking mode, as the code runs it: phases of two steps averaged over the last one, steady
   * voltages C = k_B·B (hidden), k_D·B (output), rates passed on directly. The second step of each
   * phase sees the output rates of the first step of the same phase, so the forward phase leaves
   * α_f = σ(Y·λ_f) and the target phase α_t = σ(Y·λ_t) with the output clamped at
   * C = (g_D·B + g_E·E_E + g_I·E_I)/(g_L + g_D + g_E + g_I).
   */
  private nonspikingPhases(stats: DendriticPhaseStats, label: number): void {
    this.nonspikingForward(stats);
    const L = this.L, nOut = this.sizes[L]!;
    const { gL, gD, eE, eI, lambdaMax } = K;
    const cf = stats.meanCf[L]!, rf = stats.sumRate[L]!, rt = stats.meanRateT[L]!;
    // B_out = C_f / k_D; with g_E + g_I = 1 for every output neuron the denominator is g_L + g_D + 1.
    for (let i = 0; i < nOut; i++) {
      const B = cf[i]! / this.cfg.kD;
      const ct = (gD * B + (i === label ? eE : eI)) / (gL + gD + 1);
      rt[i] = lambdaMax * sigmoid(ct);
    }
    for (let l = 1; l < L; l++) {
      this.apicalFromRates(l, rf, stats.alphaF[l]!);
      this.apicalFromRates(l, rt, stats.alphaT[l]!);
    }
  }

  /** Non-spiking forward pass: C̄_f, λ_f (in sumRate) and PSP̄_f of every layer. */
  private nonspikingForward(stats: DendriticPhaseStats): void {
    const { sizes, L } = this;
    const { lambdaMax } = K;
    const p1 = stats.pspF[1]!;
    p1.fill(0);
    for (let q = 0; q < this.inN; q++) p1[this.inIdx[q]!] = this.inRate[q]!;
    for (let l = 1; l <= L; l++) {
      const n = sizes[l]!, nIn = sizes[l - 1]!, wt = this.w.Wt[l]!, b = this.w.b[l]!;
      const psp = stats.pspF[l]!, c = stats.meanCf[l]!, r = stats.sumRate[l]!;
      for (let i = 0; i < n; i++) c[i] = b[i]!;
      for (let j = 0; j < nIn; j++) {
        const v = psp[j]!;
        if (v === 0) continue;
        const row = j * n;
        for (let i = 0; i < n; i++) c[i] = c[i]! + v * wt[row + i]!;
      }
      const k = l < L ? this.cfg.kB : this.cfg.kD;
      for (let i = 0; i < n; i++) {
        c[i] = k * c[i]!;
        r[i] = lambdaMax * sigmoid(c[i]!);
      }
      if (l < L) stats.pspF[l + 1]!.set(r);
    }
  }

  private apicalFromRates(l: number, rates: Float64Array, alpha: Float64Array): void {
    const n = this.sizes[l]!, nOut = this.sizes[this.L]!, y = this.w.Y[l]!;
    for (let i = 0; i < n; i++) {
      let a = 0;
      for (let k = 0; k < nOut; k++) a += y[i * nOut + k]! * rates[k]!;
      alpha[i] = sigmoid(a);
    }
  }

  /** Output error, the rule's hidden errors, backprop's for comparison, the losses and the forward answer. */
  private computeErrors(stats: DendriticPhaseStats): void {
    const { L, sizes } = this;
    const { lambdaMax } = K;
    const nOut = sizes[L]!, cf = stats.meanCf[L]!, rt = stats.meanRateT[L]!, e = stats.E[L]!;
    let loss = 0, best = 0;
    for (let i = 0; i < nOut; i++) {
      const rf = lambdaMax * sigmoid(cf[i]!);
      e[i] = -(rt[i]! - rf) * this.cfg.kD * lambdaMax * sigmoidDeriv(cf[i]!);
      loss += (rt[i]! - rf) ** 2;
      if (cf[i]! > cf[best]!) best = i;
    }
    stats.lossOut = loss / nOut;
    stats.predicted = best;
    stats.Ebp[L]!.set(e);
    this.viewStats = stats;
    try {
      for (let l = L - 1; l >= 1; l--) {
        this.rule.hiddenError(l, this.ruleView, stats.E[l]!);
        dendriticBackpropError(l, this.bpView, stats.Ebp[l]!);
      }
    } finally {
      this.viewStats = undefined;
    }
  }

  /**
   * Applies the updates of the last image: W_l ← W_l − η_l·P_l·E_l·PSP̄_fᵀ, b_l ← b_l − η_l·P_l·E_l
   * (P = 20/λ_max for hidden layers, 20/λ_max² for the output layer), then re-syncs symmetric
   * feedback and recomputes the drives of `st` that depend on the changed weights.
   */
  update(st: DendriticState, stats: DendriticPhaseStats): void {
    const { L, sizes } = this;
    for (let l = L; l >= 1; l--) {
      const coef = l === L ? -this.cfg.etaOutput * K.pFinal : -this.cfg.etaHidden * K.pHidden;
      if (coef === 0) continue;
      const n = sizes[l]!, nIn = sizes[l - 1]!, wt = this.w.Wt[l]!, b = this.w.b[l]!, E = stats.E[l]!, psp = stats.pspF[l]!;
      for (let i = 0; i < n; i++) b[i] = b[i]! + coef * E[i]!;
      for (let j = 0; j < nIn; j++) {
        const p = psp[j]!;
        if (p === 0) continue;
        const a = coef * p, row = j * n;
        for (let i = 0; i < n; i++) wt[row + i] = wt[row + i]! + a * E[i]!;
      }
    }
    if (this.cfg.feedback === 'symmetric') syncSymmetricFeedback(sizes, this.w);
    if (this.cfg.spiking) this.recomputeDrives(st);
  }

  /** The update direction P_l·E_l·PSP̄_fᵀ (and P_l·E_l for b), added into `gW[l]`, `gb[l]` (W in the stored layout). */
  accumulateDirection(stats: DendriticPhaseStats, gW: Float32Array[], gb: Float32Array[], scale: number): void {
    const { L, sizes } = this;
    for (let l = L; l >= 1; l--) {
      const p = (l === L ? K.pFinal : K.pHidden) * scale;
      const n = sizes[l]!, nIn = sizes[l - 1]!, g = gW[l]!, gbl = gb[l]!, E = stats.E[l]!, psp = stats.pspF[l]!;
      for (let i = 0; i < n; i++) gbl[i] = gbl[i]! + p * E[i]!;
      for (let j = 0; j < nIn; j++) {
        const a = p * psp[j]!, row = j * n;
        if (a === 0) continue;
        for (let i = 0; i < n; i++) g[row + i] = g[row + i]! + a * E[i]!;
      }
    }
  }

  /** W·T, the kept W·s(t) and Y·T from the traces and spikes in memory, after the weights changed. */
  recomputeDrives(st: DendriticState): void {
    const { L, sizes } = this;
    for (let k = 0; k <= L; k++) this.materializeTraces(st, k);
    for (let l = 1; l <= L; l++) {
      const n = sizes[l]!, nPre = sizes[l - 1]!, wt = this.w.Wt[l]!, V = st.v[l]!, idx = st.evIdx[l - 1]!, cnt = st.evCnt[l - 1]!;
      for (let slot = 0; slot < st.slots; slot++) spikeDrive(V, slot * n, wt, n, idx, cnt, slot * nPre, slot * nPre + st.evLen[l - 1]![slot]!);
    }
    for (let l = 1; l <= L; l++) {
      const n = sizes[l]!, wt = this.w.Wt[l]!, tL = st.tL[l - 1]!, tS = st.tS[l - 1]!, uL = st.uL[l]!, uS = st.uS[l]!;
      uL.fill(0);
      uS.fill(0);
      for (let j = 0; j < tL.length; j++) {
        const a = tL[j]!, c = tS[j]!;
        if (a === 0 && c === 0) continue;
        const row = j * n;
        for (let i = 0; i < n; i++) {
          const w = wt[row + i]!;
          uL[i] = uL[i]! + a * w;
          uS[i] = uS[i]! + c * w;
        }
      }
    }
    if (this.cfg.feedback !== 'symmetric' || this.cfg.apicalRates) return;
    const nOut = sizes[L]!, tL = st.tL[L]!, tS = st.tS[L]!;
    for (let l = 1; l < L; l++) {
      const n = sizes[l]!, y = this.w.Y[l]!, aL = st.aL[l]!, aS = st.aS[l]!;
      for (let i = 0; i < n; i++) {
        let sl = 0, ss = 0;
        for (let k = 0; k < nOut; k++) {
          sl += y[i * nOut + k]! * tL[k]!;
          ss += y[i * nOut + k]! * tS[k]!;
        }
        aL[i] = sl;
        aS[i] = ss;
      }
    }
  }
}

/**
 * V[vb … vb+n) = Σ over the spike events [from, end) of count·(row of Wᵀ): the drive W·s(t) of one
 * step. Four rows per pass over V: a quarter of the loads and stores of V (about 2× faster here).
 */
function spikeDrive(V: Float64Array, vb: number, wt: Float32Array, n: number, idx: Int32Array, cnt: Int32Array, from: number, end: number): void {
  V.fill(0, vb, vb + n);
  let e = from;
  for (; e + 3 < end; e += 4) {
    const r0 = idx[e]! * n, r1 = idx[e + 1]! * n, r2 = idx[e + 2]! * n, r3 = idx[e + 3]! * n;
    const c0 = cnt[e]!, c1 = cnt[e + 1]!, c2 = cnt[e + 2]!, c3 = cnt[e + 3]!;
    for (let i = 0; i < n; i++) V[vb + i] = V[vb + i]! + ((c0 * wt[r0 + i]! + c1 * wt[r1 + i]!) + (c2 * wt[r2 + i]! + c3 * wt[r3 + i]!));
  }
  for (; e < end; e++) {
    const row = idx[e]! * n, c = cnt[e]!;
    for (let i = 0; i < n; i++) V[vb + i] = V[vb + i]! + c * wt[row + i]!;
  }
}
