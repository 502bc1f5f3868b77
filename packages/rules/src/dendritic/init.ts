import type { Rng } from '@credo/tensor';
import { DENDRITIC_CONSTANTS } from './kernel.js';
import type { DendriticConfig } from './params.js';

/**
 * Mean and SD of initial weights for a layer with `fanIn` inputs, from the code's weight
 * optimisation: the dendritic voltage V = Σ_j W_j·r_j + b with presynaptic rates r_j ≈ ν·V̄
 * (ν = λ_max/4, the sigmoid's slope at 0) gets mean V̄ = 3 and second moment V̄² + V_sd² (papers.md §2.5).
 *
 * @example
 * ```ts
 * dendriticInitStats(784); // { mean: 0.018707…, sd: 0.50494… }
 * ```
 */
export function dendriticInitStats(fanIn: number): { mean: number; sd: number } {
  const { vAvg, vSd, bAvg, lambdaMax } = DENDRITIC_CONSTANTS;
  const nu = lambdaMax * 0.25, n = fanIn;
  const vSm = vSd * vSd + vAvg * vAvg;
  const mean = (vAvg - bAvg) / (nu * n * vAvg);
  const sm = (vSm + nu * nu * (n - n * n) * mean * mean * vAvg * vAvg - 2 * n * nu * bAvg * vAvg * mean - bAvg * bAvg) / (n * nu * nu * vSm);
  return { mean, sd: Math.sqrt(sm - mean * mean) };
}

/** Forward weights W_l stored transposed (sizes[l−1] × sizes[l]), biases, and apical feedback Y_l (sizes[l] × outputs). */
export interface DendriticWeights {
  /** Index l = 1 … L (index 0 unused). */
  readonly Wt: Float32Array[];
  readonly b: Float32Array[];
  /** Index l = 1 … L−1 (hidden layers); Y_l maps output activity to layer l's apical dendrites. */
  readonly Y: Float32Array[];
  /** For sparse feedback: 1 where Y_l is kept, 0 where it was zeroed (index l = 1 … L−1). */
  readonly yMask: Uint8Array[];
}

/**
 * Initial weights. Forward weights are drawn from `weights` in layer order, each W_l in its logical
 * (out, in) order and then stored transposed; then the biases. Feedback matrices come from
 * `feedback`, hidden layer 1 first, so the choice of feedback never shifts the forward weights.
 *
 * @example
 * ```ts
 * const w = initDendriticWeights(cfg, Rng.derive(seed, 'model/dendritic/weights'), Rng.derive(seed, 'model/dendritic/feedback'));
 * ```
 */
export function initDendriticWeights(cfg: DendriticConfig, weights: Rng, feedback: Rng): DendriticWeights {
  const { sizes } = cfg;
  const L = sizes.length - 1;
  const { bAvg, bSd, initSpread } = DENDRITIC_CONSTANTS;
  const optimized = cfg.init !== 'uniform';
  // U(±½)·3.465 has SD W_sd as the optimisation assumes; the authors' code draws U(±1), which doubles it ('optimized-wide').
  const unit = cfg.init === 'optimized' ? 0.5 : 1;
  const Wt: Float32Array[] = [new Float32Array(0)];
  const b: Float32Array[] = [new Float32Array(0)];
  for (let l = 1; l <= L; l++) {
    const nIn = sizes[l - 1]!, n = sizes[l]!;
    const { mean, sd } = optimized ? dendriticInitStats(nIn) : { mean: 0, sd: 0 };
    const half = optimized ? initSpread * sd * unit : 0.1;
    const wt = new Float32Array(nIn * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < nIn; j++) wt[j * n + i] = mean + half * (2 * weights.next() - 1);
    }
    Wt.push(wt);
  }
  for (let l = 1; l <= L; l++) {
    const v = new Float32Array(sizes[l]!);
    for (let i = 0; i < v.length; i++) v[i] = optimized ? bAvg + initSpread * bSd * unit * (2 * weights.next() - 1) : 2 * weights.next() - 1;
    b.push(v);
  }
  const Y: Float32Array[] = [new Float32Array(0)];
  const yMask: Uint8Array[] = [new Uint8Array(0)];
  const nOut = sizes[L]!;
  for (let l = 1; l < L; l++) {
    const n = sizes[l]!;
    const y = new Float32Array(n * nOut);
    const mask = new Uint8Array(cfg.feedback === 'sparse' ? y.length : 0);
    if (cfg.feedback !== 'symmetric') {
      // As in the code's broadcast feedback: drawn like the forward weights of a layer whose fan-in is this hidden layer.
      const { mean, sd } = optimized ? dendriticInitStats(n) : { mean: 0, sd: 0 };
      const half = optimized ? initSpread * sd * unit : 1;
      for (let i = 0; i < y.length; i++) y[i] = mean + half * (2 * feedback.next() - 1);
    }
    if (cfg.feedback === 'sparse') sparsify(y, mask, feedback);
    Y.push(y);
    yMask.push(mask);
  }
  const w: DendriticWeights = { Wt, b, Y, yMask };
  if (cfg.feedback === 'symmetric') syncSymmetricFeedback(sizes, w);
  return w;
}

/**
 * Zeroes ⌊0.8·n⌋ entries chosen without replacement (a partial Fisher–Yates shuffle) and multiplies
 * the rest by 5, which keeps the mean apical drive (papers.md §2.6). `mask` records the survivors.
 */
function sparsify(y: Float32Array, mask: Uint8Array, rng: Rng): void {
  const n = y.length, drop = Math.floor(0.8 * n);
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  for (let i = 0; i < drop; i++) {
    const j = i + rng.int(n - i);
    const t = idx[i]!;
    idx[i] = idx[j]!;
    idx[j] = t;
  }
  mask.fill(1);
  for (let i = 0; i < drop; i++) mask[idx[i]!] = 0;
  for (let i = 0; i < n; i++) y[i] = mask[i] ? 5 * y[i]! : 0;
}

/**
 * Symmetric feedback: Y_{L−1} = W_Lᵀ and Y_l = W_{l+1}ᵀ·Y_{l+1} below (the code's broadcast form).
 * W_l is stored transposed, so W_Lᵀ is W_Lt itself and W_{l+1}ᵀ·Y_{l+1} is W_{l+1}t·Y_{l+1}.
 *
 * @example
 * ```ts
 * syncSymmetricFeedback(cfg.sizes, weights); // after every weight update
 * ```
 */
export function syncSymmetricFeedback(sizes: readonly number[], w: DendriticWeights): void {
  const L = sizes.length - 1, nOut = sizes[L]!;
  if (L < 2) return;
  w.Y[L - 1]!.set(w.Wt[L]!);
  for (let l = L - 2; l >= 1; l--) {
    const n = sizes[l]!, nAbove = sizes[l + 1]!;
    const wt = w.Wt[l + 1]!, above = w.Y[l + 1]!, y = w.Y[l]!;
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < nOut; k++) {
        let s = 0;
        for (let j = 0; j < nAbove; j++) s += wt[i * nAbove + j]! * above[j * nOut + k]!;
        y[i * nOut + k] = s;
      }
    }
  }
}
