import { CredoError, type ComponentInfo, type ParamSchema } from '@credo/core';
import {
  ACTIVATIONS, activate, allocFloats, angleDegrees, broadcastRows, colSums, gemmNN, gemmNT, gemmTN, meanSquaredError,
  mulActivationDerivative, Rng, SparseMatrix, sparseGemmNN, sparseGemmTN, sparseSgdTN, softmaxCrossEntropy, transpose,
  type Activation,
} from '@credo/tensor';
import type { Learner, LearnerOptions, LossKind } from '../learner.js';
import type { ModelBuildArgs, ModelImpl } from '../model.js';
import type { Optimizer } from '../optimizer.js';
import type { MlpRuleState, MlpUpdateView } from '../rule.js';
import { pinvTransposed } from '../rules/pbp.js';

/**
 * Forward weight initialisations of {@link mlpModel} (`{ name: 'mlp', init: 'xavier-uniform' }`);
 * `uniform` with `initScale: 0.01` is Lillicrap et al.'s small uniform U[−0.01, 0.01].
 */
export const MLP_INITS = ['uniform-fanin', 'normal-fanin', 'xavier-uniform', 'uniform'] as const;
export type MlpInit = (typeof MLP_INITS)[number];

/** Parameters of the `mlp` model, validated by `resolveParams`. */
export const MLP_PARAMS: ParamSchema = {
  hidden: { type: 'integer[]', min: 1, minLength: 1, default: [256], description: 'hidden layer widths, input side first' },
  activation: { type: 'enum', values: ACTIVATIONS, default: 'tanh', description: 'hidden-unit nonlinearity; the output layer is linear' },
  init: {
    type: 'enum', values: MLP_INITS, default: 'uniform-fanin',
    description: 'forward weights, each times initScale: U(±1/√fan_in), N(0, 1/fan_in), U(±√(6/(fan_in+fan_out))) or U(±1); biases start at 0',
  },
  initScale: {
    type: 'number', min: 0, exclusiveMin: true, default: 1,
    description: 'multiplies the init bound (std for normal-fanin); init uniform with initScale 0.01 is Lillicrap\'s U[−0.01, 0.01]',
  },
};

/** Registry entry of the `mlp` model. */
export const MLP_INFO: ComponentInfo = {
  kind: 'model',
  name: 'mlp',
  description: 'fully connected net, a_l = h_{l−1}·W_lᵀ + b_l, linear output with softmax cross-entropy or squared error',
  params: MLP_PARAMS,
  reference: 'perf-baseline.md §4.2',
};

// Above this fraction of nonzero inputs the dense blocked kernel is faster than the sparse one.
const SPARSE_MAX_DENSITY = 0.5;
// predict() works in chunks so that evaluating 10,000 rows does not allocate 10,000-row buffers.
const PREDICT_CHUNK = 256;
// The pseudobackprop angle needs an SVD of W_{l+1} at every logged step; above this smaller side
// (e.g. 1000×1000 hidden layers) it costs seconds in plain JS, and is not reported.
const PBP_DIAGNOSTIC_MAX_RANK = 256;

/**
 * The `mlp` model: layer l computes a_l = h_{l−1}·W_lᵀ + b_l with W_l shaped (out, in), hidden
 * layers apply the activation, the output layer is linear.
 *
 * Storage: W1 is kept transposed, as `W1t` shaped (inputs, hidden_1), so that skipping zero inputs
 * reads and writes whole contiguous rows in both x·W1ᵀ and the W1 update. `parameters()` and
 * `gradients()` expose it under that name and layout; `W2 … WL` are (out, in) as in the papers.
 * Random draws are made in the logical (out, in) order of every W_l, W1 included, so the storage
 * layout does not change the numbers: stream `Rng.derive(seed, 'model/mlp/weights')` draws W1, W2,
 * …, and the rule's feedback matrices come from `Rng.derive(seed, 'rule/feedback')`, so every rule
 * starts from the same forward weights for a given seed.
 *
 * @example
 * ```ts
 * modelRegistry.register(MLP_INFO, mlpModel);
 * ```
 */
export const mlpModel: ModelImpl = {
  build(args: ModelBuildArgs): Learner {
    const ruleHook = args.rule.impl.mlp;
    if (ruleHook === undefined) {
      throw new CredoError('SPEC_INVALID', `rule ${args.rule.name} cannot train model mlp`, { field: 'rule.name', value: args.rule.name });
    }
    const hidden = args.params.hidden as readonly number[];
    const sizes = [args.shape.inputs, ...hidden, args.shape.outputs];
    const weightRng = Rng.derive(args.seed, 'model/mlp/weights');
    const W = initWeights(sizes, args.params.init as MlpInit, (args.params.initScale as number | undefined) ?? 1, weightRng);
    const rule = ruleHook.init({ sizes, params: args.rule.params, rng: Rng.derive(args.seed, 'rule/feedback') });
    return new MlpLearner({
      sizes, W, rule, ruleName: args.rule.name, isBackprop: ruleHook.isBackprop === true, isPseudoBackprop: ruleHook.isPseudoBackprop === true,
      activation: args.params.activation as Activation, loss: args.shape.loss, optimizer: args.optimizer,
      sparseInput: args.options.sparseInput ?? 'auto',
    });
  },
};

/**
 * Forward weights, index l = 1 … L (index 0 unused): W1 transposed to (in, out), the rest (out, in),
 * in wasm memory where available (the kernels then use them in place).
 */
function initWeights(sizes: readonly number[], init: MlpInit, gain: number, rng: Rng): Float32Array[] {
  const W: Float32Array[] = [new Float32Array(0)];
  for (let l = 1; l < sizes.length; l++) {
    const fanIn = sizes[l - 1]!, fanOut = sizes[l]!;
    const w = l === 1 ? new Float32Array(fanOut * fanIn) : allocFloats(fanOut * fanIn);
    switch (init) {
      case 'uniform-fanin': {
        const b = gain / Math.sqrt(fanIn);
        rng.fillUniform(w, -b, b);
        break;
      }
      case 'normal-fanin':
        rng.fillNormal(w, 0, gain / Math.sqrt(fanIn));
        break;
      case 'xavier-uniform': {
        const b = gain * Math.sqrt(6 / (fanIn + fanOut));
        rng.fillUniform(w, -b, b);
        break;
      }
      case 'uniform':
        rng.fillUniform(w, -gain, gain);
        break;
      default:
        throw new CredoError('BAD_PARAM', 'unknown init', { field: 'model.init', value: init, allowed: MLP_INITS.join(', ') });
    }
    if (l === 1) {
      const wt = allocFloats(w.length);
      transpose(w, fanOut, fanIn, wt);
      W.push(wt);
    } else {
      W.push(w);
    }
  }
  return W;
}

interface MlpParts {
  sizes: number[];
  W: Float32Array[];
  rule: MlpRuleState;
  ruleName: string;
  isBackprop: boolean;
  isPseudoBackprop: boolean;
  activation: Activation;
  loss: LossKind;
  optimizer: Optimizer;
  sparseInput: NonNullable<LearnerOptions['sparseInput']>;
}

class MlpLearner implements Learner {
  private readonly sizes: readonly number[];
  private readonly L: number;
  private readonly act: Activation;
  private readonly loss: LossKind;
  private readonly rule: MlpRuleState;
  private readonly ruleName: string;
  private readonly isBackprop: boolean;
  private readonly isPseudoBackprop: boolean;
  private readonly opt: Optimizer;
  private readonly sparseMode: MlpParts['sparseInput'];
  /** Index l = 1 … L; W[1] is W1t (in, out). */
  private readonly W: Float32Array[];
  private readonly b: Float32Array[];
  private readonly wSlot: number[] = [-1];
  private readonly bSlot: number[] = [-1];
  /** trains[l]: whether the rule updates layer l; lowest: the lowest such layer (L + 1 if none). */
  private readonly trains: boolean[] = [false];
  private readonly lowest: number;
  /** Gradient buffers: gW[l] for l ≥ 2 (always), gW1t (lazily: only plain-SGD-on-sparse-input avoids it), gb[l]. */
  private readonly gW: Float32Array[] = [new Float32Array(0)];
  private gW1t: Float32Array | undefined;
  private readonly gb: Float32Array[] = [new Float32Array(0)];
  private readonly sparse: SparseMatrix;
  private readonly view: MlpUpdateView;
  /** Rows the per-batch buffers hold. */
  private cap = 0;
  /** H[l]: pre-activations, then activations of layer l (H[L] = outputs); D[l]: δ_l (D[L] = e). */
  private H: Float32Array[] = [];
  private D: Float32Array[] = [];
  /** Diagnostics scratch (reference δ's, pre-derivative signals), allocated on first use. */
  private diag: { ref: Float32Array[]; a: Float32Array; b: Float32Array } | undefined;
  /** The input and path of the last forward pass. */
  private x: Float32Array = new Float32Array(0);
  private usedSparse = false;

  constructor(p: MlpParts) {
    this.sizes = Object.freeze([...p.sizes]);
    this.L = p.sizes.length - 1;
    this.act = p.activation;
    this.loss = p.loss;
    this.rule = p.rule;
    this.ruleName = p.ruleName;
    this.isBackprop = p.isBackprop;
    this.isPseudoBackprop = p.isPseudoBackprop;
    this.opt = p.optimizer;
    this.sparseMode = p.sparseInput;
    this.W = p.W;
    this.b = [new Float32Array(0)];
    let lowest = this.L + 1;
    for (let l = 1; l <= this.L; l++) {
      const n = this.sizes[l]!;
      this.b.push(allocFloats(n));
      this.gb.push(allocFloats(n));
      this.gW.push(l === 1 ? new Float32Array(0) : allocFloats(n * this.sizes[l - 1]!));
      this.wSlot.push(this.opt.add(this.W[l]!));
      this.bSlot.push(this.opt.add(this.b[l]!));
      const trains = p.rule.updatesLayer?.(l) ?? true;
      this.trains.push(trains);
      if (trains && l < lowest) lowest = l;
    }
    this.lowest = lowest;
    for (const name of Object.keys(p.rule.tensors)) {
      if (/^(W1t|[Wb]\d+)$/.test(name)) throw new CredoError('INTERNAL', `rule ${p.ruleName} names a tensor ${name}, which is a forward parameter's name`);
    }
    this.sparse = new SparseMatrix(this.sizes[0]!);
    this.view = {
      sizes: this.sizes,
      layers: this.L,
      weight: (l: number): Float32Array => {
        if (!(l >= 2 && l <= this.L)) throw new CredoError('INTERNAL', `mlp: weight(${l}) is not available to rules (W1 is stored transposed)`);
        return this.W[l]!;
      },
      delta: (l: number): Float32Array => {
        if (!(l >= 1 && l <= this.L)) throw new CredoError('INTERNAL', `mlp: no layer ${l}`);
        return this.D[l]!;
      },
      weightStorage: (l: number): Float32Array => {
        if (!(l >= 1 && l <= this.L)) throw new CredoError('INTERNAL', `mlp: no layer ${l}`);
        return this.W[l]!;
      },
    };
  }

  trainStep(x: Float32Array, target: Int32Array | Float32Array, rows: number): number {
    this.checkBatch(x, rows, target);
    this.forward(x, rows);
    const loss = this.lossAndError(target, rows);
    this.backward(rows, Math.max(1, this.lowest));
    this.update(rows);
    return loss;
  }

  predict(x: Float32Array, rows: number): Float32Array {
    this.checkBatch(x, rows);
    const nIn = this.sizes[0]!, nOut = this.sizes[this.L]!;
    const out = new Float32Array(rows * nOut);
    const chunk = Math.max(this.cap, Math.min(rows, PREDICT_CHUNK));
    for (let r0 = 0; r0 < rows; r0 += chunk) {
      const r = Math.min(chunk, rows - r0);
      this.forward(r0 === 0 && r === rows ? x : x.subarray(r0 * nIn, (r0 + r) * nIn), r);
      out.set(this.H[this.L]!.subarray(0, r * nOut), r0 * nOut);
    }
    return out;
  }

  /**
   * Metrics on a minibatch, parameters unchanged (see {@link Learner.diagnostics}):
   * `norm/W<l>` for every layer; for rules with a feedback matrix B_l in place of W_l,
   * `wb_dist/W<l>` = ‖W_l − B_l‖/‖W_l‖ and `wb_angle/W<l>`; for every hidden layer l the rule
   * trains, `angle/<rule>_bp/h<l>` (δ_l vs backprop's δ_l, both recursive from the same output
   * error), `angle/<rule>_pbp/h<l>` (vs pseudobackprop's, δ_l = (W_{l+1}⁺ δ_{l+1}) ⊙ f′) and
   * `ewbe_pos/<rule>/h<l>`, the fraction of rows whose signal δ_{l+1}·B_{l+1} (before f′) has a
   * positive dot product with δ_{l+1}·W_{l+1}: Lillicrap's eᵀWBe > 0, per sample.
   */
  diagnostics(x: Float32Array, target: Int32Array | Float32Array, rows: number): Record<string, number> {
    this.checkBatch(x, rows, target);
    const out: Record<string, number> = {};
    const { sizes, L } = this;
    this.forward(x, rows);
    this.lossAndError(target, rows);
    // Teaching signals first: rules that rebuild B from W (sign symmetry) do it here.
    this.backward(rows, 1);
    for (let l = 1; l <= L; l++) out[`norm/W${l}`] = Math.sqrt(sumSquares(this.W[l]!));
    for (let l = 2; l <= L; l++) {
      const B = this.rule.feedback?.(l);
      if (B === undefined) continue;
      const w = this.W[l]!;
      let dd = 0;
      for (let i = 0; i < w.length; i++) dd += (w[i]! - B[i]!) ** 2;
      const ww = sumSquares(w);
      if (ww > 0) out[`wb_dist/W${l}`] = Math.sqrt(dd / ww);
      const angle = angleDegrees(w, B, w.length);
      if (!Number.isNaN(angle)) out[`wb_angle/W${l}`] = angle;
    }
    const d = (this.diag ??= {
      ref: sizes.map((n, l) => (l === 0 || l === L ? new Float32Array(0) : allocFloats(this.cap * n))),
      a: allocFloats(this.cap * Math.max(...sizes.slice(1, L))),
      b: allocFloats(this.cap * Math.max(...sizes.slice(1, L))),
    });
    const name = this.ruleName;
    if (!this.isBackprop) {
      // Backprop's δ from the same output error, layer by layer through the true W.
      this.referenceDeltas(rows, (l, above, dst) => gemmNN(rows, sizes[l]!, sizes[l + 1]!, above, this.W[l + 1]!, dst), (l, ref) => {
        if (!this.trains[l]) return;
        const angle = angleDegrees(this.D[l]!, ref, rows * sizes[l]!);
        if (!Number.isNaN(angle)) out[`angle/${name}_bp/h${l}`] = angle;
      });
      // eᵀWBe > 0 per row: the rule's pre-derivative signal against backprop's from the rule's δ_{l+1}.
      for (let l = L - 1; l >= 1; l--) {
        if (!this.trains[l]) continue;
        const n = sizes[l]!, nUp = sizes[l + 1]!;
        this.rule.hiddenSignal(l, this.view, rows, d.a);
        gemmNN(rows, n, nUp, this.D[l + 1]!, this.W[l + 1]!, d.b);
        let pos = 0, any = false;
        for (let r = 0; r < rows; r++) {
          let s = 0;
          for (let j = r * n, e = j + n; j < e; j++) s += d.a[j]! * d.b[j]!;
          if (s > 0) pos++;
          if (s !== 0) any = true;
        }
        if (any) out[`ewbe_pos/${name}/h${l}`] = pos / rows;
      }
    }
    if (!this.isPseudoBackprop) {
      let ok = true;
      this.referenceDeltas(rows, (l, above, dst) => {
        const W = this.W[l + 1]!, nUp = sizes[l + 1]!, n = sizes[l]!;
        if (!ok || Math.min(n, nUp) > PBP_DIAGNOSTIC_MAX_RANK) {
          ok = false;
          return;
        }
        gemmNN(rows, n, nUp, above, pinvTransposed(W, nUp, n, 0), dst);
      }, (l, ref) => {
        if (!ok || !this.trains[l]) return;
        const angle = angleDegrees(this.D[l]!, ref, rows * sizes[l]!);
        if (!Number.isNaN(angle)) out[`angle/${name}_pbp/h${l}`] = angle;
      });
    }
    return out;
  }

  /**
   * A reference rule's δ for every hidden layer, from the same output error e: δ_l =
   * send(l, δ_{l+1}) ⊙ f′(a_l), top down, each passed to `seen` (into the diagnostics scratch).
   */
  private referenceDeltas(rows: number, send: (l: number, above: Float32Array, dst: Float32Array) => void, seen: (l: number, ref: Float32Array) => void): void {
    const ref = this.diag!.ref;
    for (let l = this.L - 1; l >= 1; l--) {
      const above = l + 1 === this.L ? this.D[this.L]! : ref[l + 1]!;
      send(l, above, ref[l]!);
      mulActivationDerivative(this.act, this.H[l]!, ref[l]!, rows * this.sizes[l]!);
      seen(l, ref[l]!);
    }
  }

  parameters(): Record<string, Float32Array> {
    const out: Record<string, Float32Array> = {};
    for (let l = 1; l <= this.L; l++) {
      out[l === 1 ? 'W1t' : `W${l}`] = this.W[l]!;
      out[`b${l}`] = this.b[l]!;
    }
    return Object.assign(out, this.rule.tensors);
  }

  gradients(x: Float32Array, target: Int32Array | Float32Array, rows: number): Record<string, Float32Array> {
    this.checkBatch(x, rows, target);
    this.forward(x, rows);
    this.lossAndError(target, rows);
    this.backward(rows, 1);
    const out: Record<string, Float32Array> = {};
    for (let l = 1; l <= this.L; l++) {
      const wName = l === 1 ? 'W1t' : `W${l}`;
      if (!this.trains[l]) {
        // A layer the rule does not train has no update direction.
        out[wName] = new Float32Array(this.W[l]!.length);
        out[`b${l}`] = new Float32Array(this.sizes[l]!);
        continue;
      }
      out[wName] = Float32Array.from(this.weightGradient(l, rows));
      colSums(this.D[l]!, rows, this.sizes[l]!, this.gb[l]!);
      out[`b${l}`] = Float32Array.from(this.gb[l]!);
    }
    return out;
  }

  private checkBatch(x: Float32Array, rows: number, target?: Int32Array | Float32Array): void {
    if (!Number.isSafeInteger(rows) || rows < 1) {
      throw new CredoError('SHAPE_MISMATCH', 'rows must be a positive integer', { field: 'rows', value: rows });
    }
    const nIn = this.sizes[0]!, nOut = this.sizes[this.L]!;
    if (!(x instanceof Float32Array) || x.length < rows * nIn) {
      throw new CredoError('SHAPE_MISMATCH', `x must be a Float32Array of at least rows × inputs = ${rows * nIn} values`, { field: 'x', value: x?.length });
    }
    if (target === undefined) return;
    if (this.loss === 'softmax-ce') {
      if (!(target instanceof Int32Array) || target.length < rows) {
        throw new CredoError('SHAPE_MISMATCH', `softmax-ce targets must be an Int32Array of at least ${rows} labels`, { field: 'target', value: target?.length });
      }
    } else if (!(target instanceof Float32Array) || target.length < rows * nOut) {
      throw new CredoError('SHAPE_MISMATCH', `mse targets must be a Float32Array of at least rows × outputs = ${rows * nOut} values`, { field: 'target', value: target?.length });
    }
  }

  private ensureRows(rows: number): void {
    if (rows <= this.cap) return;
    this.cap = rows;
    this.H = this.sizes.map((n, l) => (l === 0 ? new Float32Array(0) : allocFloats(rows * n)));
    this.D = this.sizes.map((n, l) => (l === 0 ? new Float32Array(0) : allocFloats(rows * n)));
    this.diag = undefined;
    this.sparse.reserve(rows);
  }

  private forward(x: Float32Array, rows: number): void {
    this.ensureRows(rows);
    this.x = x;
    const { sizes, L, W, b, H } = this;
    const nIn = sizes[0]!, n1 = sizes[1]!;
    this.usedSparse = this.sparseMode !== 'never' && (this.sparse.load(x, rows).density <= SPARSE_MAX_DENSITY || this.sparseMode === 'always');
    broadcastRows(b[1]!, H[1]!, rows, n1);
    if (this.usedSparse) sparseGemmNN(this.sparse, n1, W[1]!, H[1]!, 1, 1);
    else gemmNN(rows, n1, nIn, x, W[1]!, H[1]!, 1, 1);
    if (L > 1) activate(this.act, H[1]!, rows * n1);
    for (let l = 2; l <= L; l++) {
      const n = sizes[l]!;
      broadcastRows(b[l]!, H[l]!, rows, n);
      gemmNT(rows, n, sizes[l - 1]!, H[l - 1]!, W[l]!, H[l]!, 1, 1);
      if (l < L) activate(this.act, H[l]!, rows * n);
    }
  }

  private lossAndError(target: Int32Array | Float32Array, rows: number): number {
    const out = this.H[this.L]!, e = this.D[this.L]!, n = this.sizes[this.L]!;
    return this.loss === 'softmax-ce'
      ? softmaxCrossEntropy(out, target as Int32Array, rows, n, e)
      : meanSquaredError(out, target as Float32Array, rows, n, e);
  }

  /** Teaching signals of hidden layers L−1 … `down`, from the top down, all from the pre-update weights. */
  private backward(rows: number, down: number): void {
    for (let l = this.L - 1; l >= down; l--) {
      const n = this.sizes[l]!;
      this.rule.hiddenSignal(l, this.view, rows, this.D[l]!);
      mulActivationDerivative(this.act, this.H[l]!, this.D[l]!, rows * n);
    }
  }

  /** δ_lᵀ·h_{l−1} into its gradient buffer (for l = 1: xᵀ·δ_1, shaped like W1t). */
  private weightGradient(l: number, rows: number): Float32Array {
    const { sizes } = this;
    if (l >= 2) {
      const g = this.gW[l]!;
      gemmTN(sizes[l]!, sizes[l - 1]!, rows, this.D[l]!, this.H[l - 1]!, g);
      return g;
    }
    const g = (this.gW1t ??= allocFloats(sizes[0]! * sizes[1]!));
    if (this.usedSparse) sparseGemmTN(this.sparse, sizes[1]!, this.D[1]!, g);
    else gemmTN(sizes[0]!, sizes[1]!, rows, this.x, this.D[1]!, g);
    return g;
  }

  private update(rows: number): void {
    const { opt, sizes } = this;
    this.rule.beforeUpdate?.(this.view, rows);
    for (let l = this.L; l >= 1; l--) {
      if (!this.trains[l]) continue;
      colSums(this.D[l]!, rows, sizes[l]!, this.gb[l]!);
      opt.step(this.bSlot[l]!, this.gb[l]!);
      const rate = opt.plainRate;
      if (l === 1 && this.usedSparse && rate !== undefined) {
        // Rows of W1t for inputs that are zero throughout the batch have an exactly zero gradient.
        sparseSgdTN(this.sparse, sizes[1]!, this.D[1]!, this.W[1]!, rate);
      } else {
        opt.step(this.wSlot[l]!, this.weightGradient(l, rows));
      }
    }
    this.rule.afterUpdate?.(this.view, rows);
  }
}

function sumSquares(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return s;
}
