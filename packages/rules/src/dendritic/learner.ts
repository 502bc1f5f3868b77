import { CredoError } from '@credo/core';
import { angleDegrees, Rng } from '@credo/tensor';
import type { Learner } from '../learner.js';
import type { ModelBuildArgs, ModelImpl } from '../model.js';
import { initDendriticWeights } from './init.js';
import { DENDRITIC_CONSTANTS } from './kernel.js';
import { DendriticNetwork, DendriticPhaseStats } from './network.js';
import { dendriticConfig, type DendriticConfig } from './params.js';
import { DendriticState } from './state.js';

/**
 * The `dendritic` model. Online learning, as in the paper: `trainStep` presents its rows one after
 * another, each as a forward phase then a target phase followed by that image's weight update, so
 * `train.batch` only groups images per call (use 1 to log per image). The simulation state carries
 * over from image to image, as in the authors' code; `predict` runs each image from rest in its own
 * state, and `diagnostics` / `gradients` run on a copy with their own random stream, so neither
 * changes what training does next (the trajectory is the same whatever `train.logEvery` is).
 *
 * The learning rates are the model's `etaHidden` / `etaOutput` (the paper tuned them per
 * architecture), applied as the code applies them; the optimizer must be plain `sgd` with lr 1.
 *
 * Random streams, all from the trial seed: `model/dendritic/weights` (W, b), `…/feedback` (Y),
 * `…/spikes` and `…/phases` (training spikes; phase lengths and plateau delays), `…/diagnostics`,
 * `…/test`.
 *
 * Parameters (live views): `W{l}t` — W_l stored transposed (sizes[l−1] × sizes[l]), `b{l}`, and for
 * each hidden layer `Y{l}` — its apical feedback (sizes[l] × outputs).
 *
 * @example
 * ```ts
 * const learner = createLearner(
 *   { model: { name: 'dendritic', hidden: [500] }, rule: { name: 'guerguiev' }, optimizer: { name: 'sgd', lr: 1 } },
 *   { inputs: 784, outputs: 10, loss: 'softmax-ce' }, seed);
 * learner.trainStep(x, labels, 1);
 * ```
 */
export const dendriticModel: ModelImpl = {
  build(args: ModelBuildArgs): Learner {
    const hook = args.rule.impl.dendritic;
    if (hook === undefined) {
      throw new CredoError('SPEC_INVALID', `rule ${args.rule.name} cannot train model dendritic`, { field: 'rule.name', value: args.rule.name });
    }
    if (args.shape.loss !== 'softmax-ce') {
      throw new CredoError('SHAPE_MISMATCH', 'the dendritic model classifies: its target phase clamps the output neuron of the label', { field: 'shape.loss', value: args.shape.loss, allowed: 'softmax-ce' });
    }
    if (args.optimizer.plainRate !== 1) {
      throw new CredoError('BAD_PARAM', 'the dendritic model applies its own per-layer learning rates (model.etaHidden, model.etaOutput) as the paper does; use plain SGD with lr 1', {
        field: 'optimizer', value: args.optimizer.plainRate ?? 'an optimizer with state (momentum, weight decay, adam, …)', allowed: '{ name: sgd, lr: 1, momentum: 0, weightDecay: 0 }',
      });
    }
    const cfg = dendriticConfig(args.params, args.shape.inputs, args.shape.outputs);
    const weights = initDendriticWeights(cfg, Rng.derive(args.seed, 'model/dendritic/weights'), Rng.derive(args.seed, 'model/dendritic/feedback'));
    const rule = hook.init({ sizes: cfg.sizes, params: args.rule.params });
    const net = new DendriticNetwork(cfg, weights, rule);
    return new DendriticLearner(cfg, net, args.rule.name, hook.isBackprop === true, args.seed);
  },
};

/** Running sums over the images trained since the last `diagnostics` call. */
class WindowStats {
  n = 0;
  wrong = 0;
  readonly angleSum: number[];
  readonly angleN: number[];
  // Σx, Σy, Σx², Σy², Σxy of (hidden loss of layer l, output loss), per hidden layer.
  readonly corr: number[][];

  constructor(hidden: number) {
    this.angleSum = new Array<number>(hidden + 1).fill(0);
    this.angleN = new Array<number>(hidden + 1).fill(0);
    this.corr = Array.from({ length: hidden + 1 }, () => [0, 0, 0, 0, 0]);
  }

  reset(): void {
    this.n = 0;
    this.wrong = 0;
    this.angleSum.fill(0);
    this.angleN.fill(0);
    for (const c of this.corr) c.fill(0);
  }
}

class DendriticLearner implements Learner {
  private readonly cfg: DendriticConfig;
  private readonly net: DendriticNetwork;
  private readonly ruleName: string;
  private readonly isBackprop: boolean;
  private readonly L: number;
  private readonly train: DendriticState;
  private readonly scratch: DendriticState;
  private readonly testState: DendriticState;
  private readonly trainStats: DendriticPhaseStats;
  private readonly scratchStats: DendriticPhaseStats;
  private readonly testStats: DendriticPhaseStats;
  private readonly spikeRng: Rng;
  private readonly phaseRng: Rng;
  private readonly diagRng: Rng;
  private readonly testRng: Rng;
  private readonly window: WindowStats;

  constructor(cfg: DendriticConfig, net: DendriticNetwork, ruleName: string, isBackprop: boolean, seed: number) {
    this.cfg = cfg;
    this.net = net;
    this.ruleName = ruleName;
    this.isBackprop = isBackprop;
    this.L = cfg.sizes.length - 1;
    const mem = cfg.kernelMemory;
    this.train = new DendriticState(cfg.sizes, mem);
    this.scratch = new DendriticState(cfg.sizes, mem);
    this.testState = new DendriticState(cfg.sizes, mem);
    const maxDelay = cfg.randomPlateaus ? DENDRITIC_CONSTANTS.maxPlateauDelay : 0;
    this.trainStats = new DendriticPhaseStats(cfg.sizes, cfg.window, maxDelay);
    this.scratchStats = new DendriticPhaseStats(cfg.sizes, cfg.window, maxDelay);
    this.testStats = new DendriticPhaseStats(cfg.sizes, cfg.window, 0);
    this.spikeRng = Rng.derive(seed, 'model/dendritic/spikes');
    this.phaseRng = Rng.derive(seed, 'model/dendritic/phases');
    this.diagRng = Rng.derive(seed, 'model/dendritic/diagnostics');
    this.testRng = Rng.derive(seed, 'model/dendritic/test');
    this.window = new WindowStats(this.L - 1);
  }

  /** Trains on each row in turn (forward phase, target phase, update); returns the mean output loss of the code, mean (λ̄_t − λ_max·σ(C̄_f))². */
  trainStep(x: Float32Array, target: Int32Array | Float32Array, rows: number): number {
    const labels = this.check(x, rows, target);
    const { net, trainStats: stats, window: w, L } = this;
    let loss = 0;
    for (let r = 0; r < rows; r++) {
      const label = labels[r]!;
      net.setInput(x, r);
      net.trainImage(this.train, stats, label, this.spikeRng, this.phaseRng);
      net.update(this.train, stats);
      loss += stats.lossOut;
      w.n++;
      if (stats.predicted !== label) w.wrong++;
      for (let l = 1; l < L; l++) {
        const a = angleDegrees(stats.E[l]!, stats.Ebp[l]!);
        if (!Number.isNaN(a)) {
          w.angleSum[l] = w.angleSum[l]! + a;
          w.angleN[l] = w.angleN[l]! + 1;
        }
        const hx = stats.lossHidden(l), hy = stats.lossOut, c = w.corr[l]!;
        c[0] = c[0]! + hx;
        c[1] = c[1]! + hy;
        c[2] = c[2]! + hx * hx;
        c[3] = c[3]! + hy * hy;
        c[4] = c[4]! + hx * hy;
      }
    }
    return loss / rows;
  }

  /**
   * Mean output somatic voltage over the test window for each row (a single long forward phase
   * from rest); the class is the argmax. These are voltages, not logits: the runtime's `test/loss`
   * (a softmax cross-entropy of them) has no meaning for this model, `test/error` does.
   */
  predict(x: Float32Array, rows: number): Float32Array {
    this.check(x, rows);
    const nOut = this.cfg.sizes[this.L]!;
    const out = new Float32Array(rows * nOut);
    for (let r = 0; r < rows; r++) {
      this.net.setInput(x, r);
      this.net.testImage(this.testState, this.testStats, this.testRng, out, r * nOut);
    }
    return out;
  }

  /**
   * On a copy of the training state (own random stream; nothing changes): `angle/<rule>_bp/h<l>`,
   * the angle between the rule's hidden update and backprop's on these rows (flattened; updates are
   * E·PSP̄ᵀ with the same PSP̄, so this is the angle of the errors E). Over the images trained since
   * the previous call (omitted before any): `angle_mean/<rule>_bp/h<l>` (mean per-image angle),
   * `corr/loss_h<l>_out` (Pearson r of the hidden loss ‖α_t − α_f‖² and the output loss, papers.md
   * §2.6) and `train/error` (forward-phase errors, the code's training error).
   */
  diagnostics(x: Float32Array, target: Int32Array | Float32Array, rows: number): Record<string, number> {
    const labels = this.check(x, rows, target);
    const out: Record<string, number> = {};
    const { L, window: w } = this;
    if (w.n > 0) {
      out['train/error'] = w.wrong / w.n;
      for (let l = 1; l < L; l++) {
        if (!this.isBackprop && w.angleN[l]! > 0) out[`angle_mean/${this.ruleName}_bp/h${l}`] = w.angleSum[l]! / w.angleN[l]!;
        const r = pearson(w.corr[l]!, w.n);
        if (!Number.isNaN(r)) out[`corr/loss_h${l}_out`] = r;
      }
      w.reset();
    }
    if (this.isBackprop || L < 2) return out;
    const dots = new Float64Array(L), nr = new Float64Array(L), nb = new Float64Array(L);
    for (let r = 0; r < rows; r++) {
      const stats = this.runCopy(x, r, labels[r]!);
      for (let l = 1; l < L; l++) {
        const e = stats.E[l]!, bp = stats.Ebp[l]!;
        for (let i = 0; i < e.length; i++) {
          dots[l] = dots[l]! + e[i]! * bp[i]!;
          nr[l] = nr[l]! + e[i]! * e[i]!;
          nb[l] = nb[l]! + bp[i]! * bp[i]!;
        }
      }
    }
    for (let l = 1; l < L; l++) {
      if (nr[l] === 0 || nb[l] === 0) continue;
      const c = dots[l]! / (Math.sqrt(nr[l]!) * Math.sqrt(nb[l]!));
      out[`angle/${this.ruleName}_bp/h${l}`] = (Math.acos(Math.min(1, Math.max(-1, c))) * 180) / Math.PI;
    }
    return out;
  }

  parameters(): Record<string, Float32Array> {
    const out: Record<string, Float32Array> = {};
    const w = this.net.w;
    for (let l = 1; l <= this.L; l++) {
      out[`W${l}t`] = w.Wt[l]!;
      out[`b${l}`] = w.b[l]!;
    }
    for (let l = 1; l < this.L; l++) out[`Y${l}`] = w.Y[l]!;
    return out;
  }

  /**
   * The update direction P_l·E_l·PSP̄_fᵀ per image (the update is −η_l times it), averaged over the
   * rows, each row run on a copy of the training state with the diagnostics stream; parameters and
   * training state unchanged. Y is fixed and not included.
   */
  gradients(x: Float32Array, target: Int32Array | Float32Array, rows: number): Record<string, Float32Array> {
    const labels = this.check(x, rows, target);
    const { sizes } = this.cfg;
    const gW: Float32Array[] = [new Float32Array(0)], gb: Float32Array[] = [new Float32Array(0)];
    for (let l = 1; l <= this.L; l++) {
      gW.push(new Float32Array(sizes[l - 1]! * sizes[l]!));
      gb.push(new Float32Array(sizes[l]!));
    }
    for (let r = 0; r < rows; r++) this.net.accumulateDirection(this.runCopy(x, r, labels[r]!), gW, gb, 1 / rows);
    const out: Record<string, Float32Array> = {};
    for (let l = 1; l <= this.L; l++) {
      out[`W${l}t`] = gW[l]!;
      out[`b${l}`] = gb[l]!;
    }
    return out;
  }

  /** Runs row r's two phases on a copy of the training state, without updating anything. */
  private runCopy(x: Float32Array, r: number, label: number): DendriticPhaseStats {
    this.scratch.copyFrom(this.train);
    this.net.setInput(x, r);
    this.net.trainImage(this.scratch, this.scratchStats, label, this.diagRng, this.diagRng);
    return this.scratchStats;
  }

  private check(x: Float32Array, rows: number, target?: Int32Array | Float32Array): Int32Array {
    if (!Number.isSafeInteger(rows) || rows < 1) {
      throw new CredoError('SHAPE_MISMATCH', 'rows must be a positive integer', { field: 'rows', value: rows });
    }
    const nIn = this.cfg.sizes[0]!, nOut = this.cfg.sizes[this.L]!;
    if (!(x instanceof Float32Array) || x.length < rows * nIn) {
      throw new CredoError('SHAPE_MISMATCH', `x must be a Float32Array of at least rows × inputs = ${rows * nIn} values`, { field: 'x', value: x?.length });
    }
    if (target === undefined) return new Int32Array(0);
    if (!(target instanceof Int32Array) || target.length < rows) {
      throw new CredoError('SHAPE_MISMATCH', `targets must be an Int32Array of at least ${rows} labels`, { field: 'target', value: target?.length });
    }
    for (let r = 0; r < rows; r++) {
      const t = target[r]!;
      if (!(t >= 0 && t < nOut)) throw new CredoError('SHAPE_MISMATCH', 'label out of range', { field: 'target', value: t, allowed: `0 … ${nOut - 1}` });
    }
    return target;
  }
}

/** Pearson r from Σx, Σy, Σx², Σy², Σxy over n pairs; NaN when either variance is 0 or n < 2. */
function pearson(s: readonly number[], n: number): number {
  if (n < 2) return Number.NaN;
  const [sx, sy, sxx, syy, sxy] = s as [number, number, number, number, number];
  const vx = sxx - (sx * sx) / n, vy = syy - (sy * sy) / n;
  if (!(vx > 0 && vy > 0)) return Number.NaN;
  return (sxy - (sx * sy) / n) / Math.sqrt(vx * vy);
}
