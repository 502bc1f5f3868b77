import { CredoError, type ComponentInfo, type ParamSchema } from '@credo/core';
import {
  ACTIVATIONS, activate, angleDegrees, broadcastRows, colSums, gemmNN, gemmNT, gemmTN, meanSquaredError,
  mulActivationDerivative, Rng, SparseMatrix, sparseGemmNN, sparseGemmTN, sparseSgdTN, softmaxCrossEntropy, transpose,
  type Activation,
} from '@credo/tensor';
import type { Learner, LearnerOptions, LossKind } from '../learner.js';
import type { ModelBuildArgs, ModelImpl } from '../model.js';
import type { Optimizer } from '../optimizer.js';
import type { MlpBackwardView, MlpRuleState } from '../rule.js';

/** Forward weight initialisations of {@link mlpModel} (`{ name: 'mlp', init: 'xavier-uniform' }`). */
export const MLP_INITS = ['uniform-fanin', 'normal-fanin', 'xavier-uniform'] as const;
export type MlpInit = (typeof MLP_INITS)[number];

/** Parameters of the `mlp` model, validated by `resolveParams`. */
export const MLP_PARAMS: ParamSchema = {
  hidden: { type: 'integer[]', min: 1, minLength: 1, default: [256], description: 'hidden layer widths, input side first' },
  activation: { type: 'enum', values: ACTIVATIONS, default: 'tanh', description: 'hidden-unit nonlinearity; the output layer is linear' },
  init: {
    type: 'enum', values: MLP_INITS, default: 'uniform-fanin',
    description: 'forward weights: U(±1/√fan_in), N(0, 1/fan_in) or U(±√(6/(fan_in+fan_out))); biases start at 0',
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
    const W = initWeights(sizes, args.params.init as MlpInit, weightRng);
    const rule = ruleHook.init({ sizes, params: args.rule.params, rng: Rng.derive(args.seed, 'rule/feedback') });
    return new MlpLearner({
      sizes, W, rule, ruleName: args.rule.name, isBackprop: ruleHook.isBackprop === true,
      activation: args.params.activation as Activation, loss: args.shape.loss, optimizer: args.optimizer,
      sparseInput: args.options.sparseInput ?? 'auto',
    });
  },
};

/** Forward weights, index l = 1 … L (index 0 unused): W1 transposed to (in, out), the rest (out, in). */
function initWeights(sizes: readonly number[], init: MlpInit, rng: Rng): Float32Array[] {
  const W: Float32Array[] = [new Float32Array(0)];
  for (let l = 1; l < sizes.length; l++) {
    const fanIn = sizes[l - 1]!, fanOut = sizes[l]!;
    const w = new Float32Array(fanOut * fanIn);
    switch (init) {
      case 'uniform-fanin': {
        const b = 1 / Math.sqrt(fanIn);
        rng.fillUniform(w, -b, b);
        break;
      }
      case 'normal-fanin':
        rng.fillNormal(w, 0, 1 / Math.sqrt(fanIn));
        break;
      case 'xavier-uniform': {
        const b = Math.sqrt(6 / (fanIn + fanOut));
        rng.fillUniform(w, -b, b);
        break;
      }
      default:
        throw new CredoError('BAD_PARAM', 'unknown init', { field: 'model.init', value: init, allowed: MLP_INITS.join(', ') });
    }
    if (l === 1) {
      const wt = new Float32Array(w.length);
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
  private readonly opt: Optimizer;
  private readonly sparseMode: MlpParts['sparseInput'];
  /** Index l = 1 … L; W[1] is W1t (in, out). */
  private readonly W: Float32Array[];
  private readonly b: Float32Array[];
  private readonly wSlot: number[] = [-1];
  private readonly bSlot: number[] = [-1];
  /** Gradient buffers: gW[l] for l ≥ 2 (always), gW1t (lazily: only plain-SGD-on-sparse-input avoids it), gb[l]. */
  private readonly gW: Float32Array[] = [new Float32Array(0)];
  private gW1t: Float32Array | undefined;
  private readonly gb: Float32Array[] = [new Float32Array(0)];
  private readonly sparse: SparseMatrix;
  private readonly view: MlpBackwardView;
  /** Rows the per-batch buffers hold. */
  private cap = 0;
  /** H[l]: pre-activations, then activations of layer l (H[L] = outputs); D[l]: δ_l (D[L] = e). */
  private H: Float32Array[] = [];
  private D: Float32Array[] = [];
  /** Backprop's δ for the diagnostics, allocated on first use. */
  private Dbp: Float32Array[] | undefined;
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
    this.opt = p.optimizer;
    this.sparseMode = p.sparseInput;
    this.W = p.W;
    this.b = [new Float32Array(0)];
    for (let l = 1; l <= this.L; l++) {
      const n = this.sizes[l]!;
      this.b.push(new Float32Array(n));
      this.gb.push(new Float32Array(n));
      this.gW.push(l === 1 ? new Float32Array(0) : new Float32Array(n * this.sizes[l - 1]!));
      this.wSlot.push(this.opt.add(this.W[l]!));
      this.bSlot.push(this.opt.add(this.b[l]!));
    }
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
    };
  }

  trainStep(x: Float32Array, target: Int32Array | Float32Array, rows: number): number {
    this.checkBatch(x, rows, target);
    this.forward(x, rows);
    const loss = this.lossAndError(target, rows);
    this.backward(rows);
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

  diagnostics(x: Float32Array, target: Int32Array | Float32Array, rows: number): Record<string, number> {
    this.checkBatch(x, rows, target);
    if (this.isBackprop) return {};
    this.forward(x, rows);
    this.lossAndError(target, rows);
    this.backward(rows);
    if (this.Dbp === undefined) this.Dbp = this.sizes.map((n, l) => (l === 0 || l === this.L ? new Float32Array(0) : new Float32Array(this.cap * n)));
    const Dbp = this.Dbp;
    const out: Record<string, number> = {};
    for (let l = this.L - 1; l >= 1; l--) {
      const above = l + 1 === this.L ? this.D[this.L]! : Dbp[l + 1]!;
      const n = this.sizes[l]!;
      gemmNN(rows, n, this.sizes[l + 1]!, above, this.W[l + 1]!, Dbp[l]!);
      mulActivationDerivative(this.act, this.H[l]!, Dbp[l]!, rows * n);
      const angle = angleDegrees(this.D[l]!, Dbp[l]!, rows * n);
      if (!Number.isNaN(angle)) out[`angle/${this.ruleName}_bp/h${l}`] = angle;
    }
    return out;
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
    this.backward(rows);
    const out: Record<string, Float32Array> = {};
    for (let l = 1; l <= this.L; l++) {
      out[l === 1 ? 'W1t' : `W${l}`] = Float32Array.from(this.weightGradient(l, rows));
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
    this.H = this.sizes.map((n, l) => new Float32Array(l === 0 ? 0 : rows * n));
    this.D = this.sizes.map((n, l) => new Float32Array(l === 0 ? 0 : rows * n));
    this.Dbp = undefined;
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

  /** Teaching signals of every hidden layer, from the top down, all from the pre-update weights. */
  private backward(rows: number): void {
    for (let l = this.L - 1; l >= 1; l--) {
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
    const g = (this.gW1t ??= new Float32Array(sizes[0]! * sizes[1]!));
    if (this.usedSparse) sparseGemmTN(this.sparse, sizes[1]!, this.D[1]!, g);
    else gemmTN(sizes[0]!, sizes[1]!, rows, this.x, this.D[1]!, g);
    return g;
  }

  private update(rows: number): void {
    const { opt, sizes } = this;
    for (let l = this.L; l >= 1; l--) {
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
  }
}
