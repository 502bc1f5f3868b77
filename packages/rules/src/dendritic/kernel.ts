import type { Rng } from '@credo/tensor';

/**
 * Constants of the segregated-dendrite network, as in the authors' code (deep_learning.py, commit
 * a41ebc8; papers.md §2.2–2.5). Times are in ms and the Euler step is 1 ms, so rates are spikes per
 * step and conductances are per step.
 *
 * @example
 * ```ts
 * const kB = DENDRITIC_CONSTANTS.gB / (DENDRITIC_CONSTANTS.gL + DENDRITIC_CONSTANTS.gB); // 0.857
 * ```
 */
export const DENDRITIC_CONSTANTS = Object.freeze({
  /** Maximum firing rate λ_max (spikes per 1-ms step, i.e. 200 Hz). */
  lambdaMax: 0.2,
  /** Leak and synaptic time constants of the PSP kernel κ (ms). */
  tauL: 10,
  tauS: 3,
  /** Conductances: leak g_L = 1/τ_L, basal g_B, output dendrite g_D = g_B, apical g_A when switched on. */
  gL: 0.1,
  gB: 0.6,
  gD: 0.6,
  gA: 0.05,
  /** Reversal potentials of the output layer's teaching conductances. */
  eE: 8,
  eI: -8,
  /** Error scalings of the code: P_hidden = 20/λ_max, P_final = 20/λ_max². */
  pHidden: 20 / 0.2,
  pFinal: 20 / (0.2 * 0.2),
  /** Targets of the weight initialisation ("use_weight_optimization"): dendritic voltage mean/SD, bias mean/SD. */
  vAvg: 3,
  vSd: 3,
  bAvg: 0.8,
  bSd: 0.001,
  /** Width factor of the uniform initial weights, W = W̄ + 3.465·W_sd·U(−½, ½): 3.465 ≈ 2√3 makes the SD W_sd. */
  initSpread: 3.465,
  /** Largest random plateau delay (steps before the end of the phase) with random plateau times. */
  maxPlateauDelay: 5,
});

/**
 * The PSP kernel κ(t) = (e^{−t/τ_L} − e^{−t/τ_s}) / (τ_L − τ_s), t in steps after the spike.
 *
 * @example
 * ```ts
 * kappa(1); // 0.026901…
 * ```
 */
export function kappa(t: number): number {
  const { tauL, tauS } = DENDRITIC_CONSTANTS;
  return (Math.exp(-t / tauL) - Math.exp(-t / tauS)) / (tauL - tauS);
}

/**
 * Coefficients that turn the PSP convolution into two exponential traces per synapse.
 *
 * The code convolves each spike train with κ over the last `memory` steps, a spike of the current
 * step weighted κ(1): PSP(t) = Σ_{k=0}^{M−1} κ(k+1)·s(t−k). With T_τ(t) = Σ_{k=0}^{M−1} e^{−(k+1)/τ}·s(t−k)
 * this is PSP = (T_L − T_s)/(τ_L − τ_s), and each trace obeys
 * T(t) = e^{−1/τ}·T(t−1) + e^{−1/τ}·s(t) − e^{−(M+1)/τ}·s(t−M):
 * O(1) per spike (added once, removed once M steps later) instead of O(M) per step and synapse.
 * `memory = 0` means no truncation (the paper's kernel): nothing is ever removed.
 *
 * @example
 * ```ts
 * const k = new PspKernel(10);
 * // one spike now: PSP = (k.addL − k.addS)·k.norm = κ(1)
 * ```
 */
export class PspKernel {
  readonly memory: number;
  readonly decayL: number;
  readonly decayS: number;
  /** Weight of a spike of the current step in each trace: e^{−1/τ}. */
  readonly addL: number;
  readonly addS: number;
  /** Weight removed M steps later: e^{−(M+1)/τ} (0 without truncation). */
  readonly dropL: number;
  readonly dropS: number;
  /** 1/(τ_L − τ_s). */
  readonly norm: number;

  constructor(memory: number) {
    const { tauL, tauS } = DENDRITIC_CONSTANTS;
    this.memory = memory;
    this.decayL = Math.exp(-1 / tauL);
    this.decayS = Math.exp(-1 / tauS);
    this.addL = this.decayL;
    this.addS = this.decayS;
    this.dropL = memory > 0 ? Math.exp(-(memory + 1) / tauL) : 0;
    this.dropS = memory > 0 ? Math.exp(-(memory + 1) / tauS) : 0;
    this.norm = 1 / (tauL - tauS);
  }
}

/**
 * The logistic function σ(v) = 1/(1 + e^{−v}): rates are λ_max·σ(C), plateaus σ(Ā).
 *
 * @example
 * ```ts
 * sigmoid(0); // 0.5
 * ```
 */
export function sigmoid(v: number): number {
  return 1 / (1 + Math.exp(-v));
}

/**
 * σ′(v) = σ(v)·(1 − σ(v)), the slope in every error E of the code.
 *
 * @example
 * ```ts
 * sigmoidDeriv(0); // 0.25
 * ```
 */
export function sigmoidDeriv(v: number): number {
  const s = 1 / (1 + Math.exp(-v));
  return s * (1 - s);
}

/** 2^−32: turns a 32-bit draw into a uniform in [0, 1). */
export const TWO_NEG_32 = 1 / 4294967296;

/**
 * e^{−r} for the small rates of this network: a degree-8 Taylor polynomial on [0, 0.25] (relative
 * error below 1e−10, far below the 2^−32 resolution of the uniform it is compared with), which is
 * several times cheaper than Math.exp in the hot loop; Math.exp elsewhere.
 *
 * @example
 * ```ts
 * expNeg(0.2); // 0.8187307530…, as Math.exp(-0.2)
 * ```
 */
export function expNeg(r: number): number {
  if (r > 0.25 || r < 0) return Math.exp(-r);
  return 1 + r * (-1 + r * (1 / 2 + r * (-1 / 6 + r * (1 / 24 + r * (-1 / 120 + r * (1 / 720 + r * (-1 / 5040 + r * (1 / 40320))))))));
}

/**
 * A Poisson(rate) count by inversion from one 32-bit draw; `p0` must be e^{−rate} (passed in so that
 * a constant input rate computes it once per image). One draw per call, whatever the result, so a
 * neuron's count never shifts the stream of the others.
 *
 * @example
 * ```ts
 * const spikes = poisson(rng, 0.2, Math.exp(-0.2)); // 0 with probability 0.82
 * ```
 */
export function poisson(rng: Rng, rate: number, p0: number): number {
  return poissonInverse(rng.nextU32() * TWO_NEG_32, rate, p0);
}

/**
 * {@link poisson} for a given uniform u in [0, 1): the smallest k with P(X ≤ k) > u.
 *
 * @example
 * ```ts
 * poissonInverse(0.9, 0.2, Math.exp(-0.2)); // 1 (e^{−0.2} = 0.819 ≤ 0.9 < 0.982 = P(X ≤ 1))
 * ```
 */
export function poissonInverse(u: number, rate: number, p0: number): number {
  if (u < p0) return 0;
  let k = 1, p = p0 * rate, cdf = p0 + p;
  // The cap only guards against a rate far outside this model's range (λ ≤ 0.2 per step).
  while (u >= cdf && k < 64) {
    k++;
    p *= rate / k;
    cdf += p;
  }
  return k;
}

/**
 * A Wald (inverse Gaussian) deviate with the given mean and scale (shape λ), by the transformation
 * of Michael, Schucany & Haas (1976), as numpy.random.wald does. The phases get
 * `min + trunc(wald(2, 1))` steps.
 *
 * @example
 * ```ts
 * const extra = Math.trunc(wald(rng, 2, 1)); // 0, 1, 2, … with mean near 1.5
 * ```
 */
export function wald(rng: Rng, mean: number, scale: number): number {
  const mu2l = mean / (2 * scale);
  let y = rng.normal();
  y = mean * y * y;
  const x = mean + mu2l * (y - Math.sqrt(4 * scale * y + y * y));
  const u = rng.next();
  return u <= mean / (mean + x) ? x : (mean * mean) / x;
}

/**
 * The delay of a random plateau before the end of its phase, in steps, as in the code:
 * min(|trunc(N(0, 3²))|, 5) (the paper calls it a folded normal with σ² = 3; the code uses σ = 3).
 *
 * @example
 * ```ts
 * const plateauStep = phaseLength - 1 - plateauDelay(rng);
 * ```
 */
export function plateauDelay(rng: Rng): number {
  return Math.min(Math.abs(Math.trunc(3 * rng.normal())), DENDRITIC_CONSTANTS.maxPlateauDelay);
}
