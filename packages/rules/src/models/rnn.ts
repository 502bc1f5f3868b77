import { CredoError, type ComponentInfo, type ParamSchema } from '@credo/core';
import { allocFloats, broadcastRows, gemmNN, gemmTN, Rng, rnnRowPlan, sgdStep, tanhInPlace, type RnnRowPlan } from '@credo/tensor';
import { mm, rowProduct, SMALL_PRODUCT } from '../small-products.js';
import type { ParamBlock, RecurrentCell, SequenceLoss } from '../recurrent-cell.js';
import type { SequenceModelBuildArgs, SequenceModelImpl } from '../sequence-rule.js';

/** Recurrent weight initialisations of {@link rnnModel}. */
export const RNN_INITS = ['uniform-fanin', 'normal-fanin'] as const;

/** Parameters of the `rnn` model, validated by `resolveParams`. */
export const RNN_PARAMS: ParamSchema = {
  hidden: { type: 'integer', min: 1, default: 32, description: 'hidden units N' },
  alpha: {
    type: 'number', min: 0, exclusiveMin: true, max: 1, default: 1,
    description: 'leak α: a_t = (1−α)·a_{t−1} + α·tanh(h_t); 1 is the vanilla RNN',
  },
  init: {
    type: 'enum', values: RNN_INITS, default: 'uniform-fanin',
    description: 'W, U, V ~ U(±1/√fan_in) (perf-baseline §4.3) or N(0, 1/fan_in); b = c = 0',
  },
  gain: { type: 'number', min: 0, exclusiveMin: true, default: 1, description: "multiplies W's initial scale (sets the spectral radius, ≈ 0.58·gain for uniform-fanin)" },
};

/** Registry entry of the `rnn` model. */
export const RNN_INFO: ComponentInfo = {
  kind: 'model',
  name: 'rnn',
  description: 'vanilla or leaky tanh RNN, a_t = (1−α)a_{t−1} + α·tanh(W a_{t−1} + U x_t + b), readout y_t = V a_t + c (linear; softmax for classification tasks)',
  params: RNN_PARAMS,
  reference: 'perf-baseline.md §4.3; papers.md §7.1 (Marschall et al.)',
};

/**
 * The `rnn` model (papers.md §7.1, perf-baseline §4.3):
 * ```
 * h_t = W a_{t−1} + U x_t + b          a_t = (1 − α)·a_{t−1} + α·tanh(h_t)          y_t = V a_t + c
 * ```
 * with a_0 = 0. The state is a (N floats per sequence); θ = (W, U, b) is one flat vector of
 * P = N² + N·I + N floats whose blocks are stored **transposed**, as `Wt` (N×N, Wt[j·N + i] = W[i,j])
 * and `Ut` (I×N, Ut[j·N + i] = U[i,j]), then `b` — like the mlp's `W1t`: the forward product of a
 * single sequence is then a vector × matrix product over contiguous rows (the fast form of the
 * wasm kernels, which pack the other operand on every call). The readout is stored the same way,
 * `Vt` (N × O, Vt[i·O + k] = V[k,i]), and `c`; it is trained with its immediate gradient by every
 * rule. Tensors live in the kernels' memory (`allocFloats`).
 *
 * Initialisation draws W, U, V in that order, each in its logical (out, in) order, from
 * `Rng.derive(seed, 'model/rnn/weights')`, so the storage layout does not change the numbers and
 * every rule starts from the same network for a given seed.
 *
 * @example
 * ```ts
 * const learner = createSequenceLearner(
 *   { model: { name: 'rnn', hidden: 32, alpha: 0.5 }, rule: { name: 'rtrl' }, optimizer: { name: 'sgd', lr: 0.01 } },
 *   { inputs: 2, outputs: 2, loss: 'softmax-ce' }, seed, 1);
 * learner.parameters().Wt;   // W transposed, N × N
 * ```
 */
export const rnnModel: SequenceModelImpl = {
  build() {
    throw new CredoError('SPEC_INVALID', 'model rnn is a sequence model: pair it with a sequence task (influence-balancing, add, copy, anbn)', { field: 'model.name', value: 'rnn' });
  },
  sequence: {
    build(args: SequenceModelBuildArgs): RecurrentCell {
      return new RnnCell(args);
    },
  },
};

/**
 * The rnn's {@link RecurrentCell}. Its Jacobian data per step is φ′ = 1 − tanh²(h_t), so that
 * J_t = (1 − α)·I + α·diag(φ′)·W and ∂a_t/∂θ = α·diag(φ′) ⊗ [a_{t−1}; x_t; 1]ᵀ (block by block).
 * Public fields are live views, for rules that need the structure itself (rflo, the uoro kernel).
 */
export class RnnCell implements RecurrentCell {
  readonly model = 'rnn';
  readonly n: number;
  readonly inputs: number;
  readonly outputs: number;
  readonly loss: SequenceLoss;
  readonly theta: Float32Array;
  readonly blocks: readonly ParamBlock[];
  readonly readout: Readonly<Record<string, Float32Array>>;
  readonly auxSize: number;
  /** Leak α (1 = vanilla). */
  readonly alpha: number;
  /** Live views of θ's blocks and of the readout (all weight matrices stored transposed). */
  readonly Wt: Float32Array;
  readonly Ut: Float32Array;
  readonly b: Float32Array;
  readonly Vt: Float32Array;
  readonly c: Float32Array;
  /** Ones, for column sums as GEMMs (grown on demand). */
  private ones: Float32Array;
  /** W row-major, rebuilt by beginBackward for the products uᵀ·W of a backward run. */
  private readonly Wrm: Float32Array;
  private wrmReady = false;
  /**
   * The one-row (online) forward, readout and readout backward on native code where it was built:
   * the same sums as the rowProduct paths below, so it is used exactly where they are.
   */
  private readonly row: RnnRowPlan | undefined;

  constructor(args: SequenceModelBuildArgs) {
    const N = args.params.hidden as number;
    const I = args.shape.inputs, O = args.shape.outputs;
    this.n = N;
    this.inputs = I;
    this.outputs = O;
    this.loss = args.shape.loss;
    this.alpha = args.params.alpha as number;
    this.auxSize = N;
    const P = N * N + N * I + N;
    this.theta = allocFloats(P);
    this.Wt = this.theta.subarray(0, N * N);
    this.Ut = this.theta.subarray(N * N, N * N + N * I);
    this.b = this.theta.subarray(N * N + N * I, P);
    this.blocks = Object.freeze([
      { name: 'Wt', offset: 0, rows: N, cols: N },
      { name: 'Ut', offset: N * N, rows: I, cols: N },
      { name: 'b', offset: N * N + N * I, rows: 1, cols: N },
    ]);
    this.Vt = allocFloats(N * O);
    this.c = allocFloats(O);
    this.readout = { Vt: this.Vt, c: this.c };
    this.ones = allocFloats(64).fill(1);
    this.Wrm = allocFloats(N * N);
    const rng = Rng.derive(args.seed, 'model/rnn/weights');
    const init = args.params.init as (typeof RNN_INITS)[number];
    const gain = args.params.gain as number;
    const draw = (out: number, fanIn: number, scale: number): Float64Array => {
      const a = new Float64Array(out * fanIn);
      const s = scale / Math.sqrt(fanIn);
      if (init === 'normal-fanin') rng.fillNormal(a, 0, s);
      else rng.fillUniform(a, -s, s);
      return a;
    };
    const W = draw(N, N, gain), U = draw(N, I, 1);
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < N; j++) this.Wt[j * N + i] = W[i * N + j]!;
      for (let j = 0; j < I; j++) this.Ut[j * N + i] = U[i * I + j]!;
    }
    const V = draw(O, N, 1);
    for (let k = 0; k < O; k++) for (let i = 0; i < N; i++) this.Vt[i * O + k] = V[k * N + i]!;
    this.row = rnnRowPlan(N, I, O, this.alpha, this);
  }

  initialState(s: Float32Array, rows: number): void {
    s.fill(0, 0, rows * this.n);
  }

  forward(sPrev: Float32Array, x: Float32Array, s: Float32Array, aux: Float32Array, rows: number): void {
    const N = this.n, I = this.inputs, a = this.alpha, len = rows * N;
    if (rows === 1 && N * N <= SMALL_PRODUCT && N * I <= SMALL_PRODUCT) {
      if (this.row?.forward(sPrev, x, s, aux) === true) return;
      rowProduct(sPrev, this.Wt, N, N, s, this.b);
      rowProduct(x, this.Ut, I, N, s, s);
    } else {
      broadcastRows(this.b, s, rows, N);
      mm('NN', rows, N, N, sPrev, this.Wt, s, 1, 1);
      mm('NN', rows, N, I, x, this.Ut, s, 1, 1);
    }
    if (a === 1) {
      tanhInPlace(s, len);
      for (let i = 0; i < len; i++) aux[i] = 1 - s[i]! * s[i]!;
    } else {
      aux.set(s.subarray(0, len));
      tanhInPlace(aux, len);
      for (let i = 0; i < len; i++) {
        const f = aux[i]!;
        s[i] = (1 - a) * sPrev[i]! + a * f;
        aux[i] = 1 - f * f;
      }
    }
  }

  output(s: Float32Array, y: Float32Array, rows: number): void {
    if (rows === 1 && this.n * this.outputs <= SMALL_PRODUCT) {
      if (this.row?.output(s, y) === true) return;
      rowProduct(s, this.Vt, this.n, this.outputs, y, this.c);
      return;
    }
    broadcastRows(this.c, y, rows, this.outputs);
    mm('NN', rows, this.outputs, this.n, s, this.Vt, y, 1, 1);
  }

  outputBackward(s: Float32Array, dy: Float32Array, q: Float32Array, rows: number, grads: Readonly<Record<string, Float32Array>> | undefined,
    rate?: number): void {
    const N = this.n, O = this.outputs;
    if (rows === 1 && N * O <= SMALL_PRODUCT && this.row?.backOutput(s, dy, q, grads?.['Vt'], grads?.['c'], rate) === true) return;
    if (rate !== undefined && grads !== undefined && rows === 1 && N * O <= SMALL_PRODUCT) {
      // The one-row pass below with plain SGD folded in: each gradient entry is formed as that pass
      // stores it (float32), then p ← fround(p − fround(r·g)) and g ← 0, sgdStep's float32 step.
      const Vt = this.Vt, c = this.c, gV = grads['Vt']!, gc = grads['c']!, r = Math.fround(rate), f = Math.fround;
      for (let i = 0, o = 0; i < N; i++, o += O) {
        const si = s[i]!;
        let acc = 0;
        for (let k = 0; k < O; k++) {
          const e = dy[k]!, v = Vt[o + k]!;
          acc += e * v;
          Vt[o + k] = v - f(r * f((0 + si * e) + gV[o + k]!));
          gV[o + k] = 0;
        }
        q[i] = acc;
      }
      for (let k = 0; k < O; k++) {
        c[k] = c[k]! - f(r * f((0 + dy[k]!) + gc[k]!));
        gc[k] = 0;
      }
      return;
    }
    if (rows === 1 && N * O <= SMALL_PRODUCT) {
      // One online row: q, the Vt gradient and the c gradient in one pass over Vt's rows, with
      // exactly the sums of the three small products below (q_i from +0 in increasing k; the
      // gradients as mm's outer products, `0 +` included), saving two passes and two calls.
      const Vt = this.Vt, gV = grads?.['Vt'], gc = grads?.['c'];
      for (let i = 0, o = 0; i < N; i++, o += O) {
        const si = s[i]!;
        let acc = 0;
        if (gV === undefined) for (let k = 0; k < O; k++) acc += dy[k]! * Vt[o + k]!;
        else {
          for (let k = 0; k < O; k++) {
            const e = dy[k]!;
            acc += e * Vt[o + k]!;
            gV[o + k] = (0 + si * e) + gV[o + k]!;
          }
        }
        q[i] = acc;
      }
      if (gc !== undefined) for (let k = 0; k < O; k++) gc[k] = (0 + dy[k]!) + gc[k]!;
      return;
    }
    mm('NT', rows, N, O, dy, this.Vt, q);
    if (grads === undefined) return;
    mm('TN', N, O, rows, s, dy, grads['Vt']!, 1, 1);
    mm('NN', 1, O, rows, this.onesOf(rows), dy, grads['c']!, 1, 1);
    if (rate !== undefined) {
      sgdStep(this.Vt.length, rate, grads['Vt']!, this.Vt, true);
      sgdStep(this.c.length, rate, grads['c']!, this.c, true);
    }
  }

  /** A view of at least `n` ones. */
  private onesOf(n: number): Float32Array {
    if (this.ones.length < n) this.ones = allocFloats(Math.max(n, 2 * this.ones.length)).fill(1);
    return this.ones.subarray(0, n);
  }

  beginBackward(): void {
    const N = this.n, Wt = this.Wt, W = this.Wrm;
    for (let j = 0; j < N; j++) for (let i = 0; i < N; i++) W[i * N + j] = Wt[j * N + i]!;
    this.wrmReady = true;
  }

  backStep(_sPrev: Float32Array, _x: Float32Array, aux: Float32Array, u: Float32Array, uPrev: Float32Array, dpre: Float32Array, rows: number): void {
    const N = this.n, a = this.alpha, len = rows * N;
    if (!this.wrmReady) this.beginBackward();
    for (let i = 0; i < len; i++) dpre[i] = a * aux[i]! * u[i]!;
    mm('NN', rows, N, N, dpre, this.Wrm, uPrev);
    if (a !== 1) for (let i = 0; i < len; i++) uPrev[i] = uPrev[i]! + (1 - a) * u[i]!;
  }

  paramGrad(dpre: Float32Array, sPrev: Float32Array, x: Float32Array, count: number, g: Float32Array): void {
    const N = this.n, I = this.inputs;
    gemmTN(N, N, count, sPrev, dpre, g.subarray(0, N * N), 1, 1);
    gemmTN(I, N, count, x, dpre, g.subarray(N * N, N * N + N * I), 1, 1);
    gemmNN(1, N, count, this.onesOf(count), dpre, g.subarray(N * N + N * I, N * N + N * I + N), 1, 1);
  }

  jacobian(_sPrev: Float32Array, _x: Float32Array, aux: Float32Array, m: Float32Array, out: Float32Array, cols: number): void {
    const N = this.n, a = this.alpha;
    // W·m = Wtᵀ·m
    gemmTN(N, cols, N, this.Wt, m, out);
    for (let i = 0; i < N; i++) {
      const d = a * aux[i]!, o = i * cols;
      if (a === 1) for (let j = 0; j < cols; j++) out[o + j] = d * out[o + j]!;
      else for (let j = 0; j < cols; j++) out[o + j] = d * out[o + j]! + (1 - a) * m[o + j]!;
    }
  }

  jacobianDense(_sPrev: Float32Array, _x: Float32Array, aux: Float32Array, J: Float32Array): void {
    const N = this.n, a = this.alpha, Wt = this.Wt;
    for (let i = 0; i < N; i++) {
      const d = a * aux[i]!, o = i * N;
      for (let l = 0; l < N; l++) J[o + l] = d * Wt[l * N + i]!;
      J[o + i] = J[o + i]! + (1 - a);
    }
  }

  addImmediate(sPrev: Float32Array, x: Float32Array, aux: Float32Array, m: Float32Array, cols: number, block: ParamBlock, col: number): void {
    const N = this.n, a = this.alpha;
    // Column j·N + i of a transposed block is ∂h_i/∂W[i,j] (resp. U[i,j]): only row i is touched.
    if (block.name === 'b') {
      for (let i = 0; i < N; i++) m[i * cols + col + i] = m[i * cols + col + i]! + a * aux[i]!;
      return;
    }
    const src = block.name === 'Wt' ? sPrev : x, J = block.rows;
    for (let i = 0; i < N; i++) {
      const d = a * aux[i]!, o = i * cols + col + i;
      for (let j = 0; j < J; j++) m[o + j * N] = m[o + j * N]! + d * src[j]!;
    }
  }

  kroneckerForm(): { readonly At: Float32Array; readonly beta: number; readonly groups: number } {
    // θ = (Wt, Ut, b) with entry j·N + i of each block feeding unit i: one Kronecker form over z = [a; x; 1].
    return { At: this.Wt, beta: 1 - this.alpha, groups: this.n + this.inputs + 1 };
  }

  kroneckerFactors(sPrev: Float32Array, x: Float32Array, aux: Float32Array, d: Float32Array, z: Float32Array): void {
    const N = this.n, I = this.inputs, a = this.alpha;
    for (let i = 0; i < N; i++) {
      d[i] = a * aux[i]!;
      z[i] = sPrev[i]!;
    }
    for (let j = 0; j < I; j++) z[N + j] = x[j]!;
    z[N + I] = 1;
  }

  immediateVjpNorm(sPrev: Float32Array, x: Float32Array, aux: Float32Array, u: Float32Array): number {
    const N = this.n, I = this.inputs, a = this.alpha;
    let l = 0, r = 1;
    for (let i = 0; i < N; i++) {
      const d = a * aux[i]! * u[i]!;
      l += d * d;
      r += sPrev[i]! * sPrev[i]!;
    }
    for (let j = 0; j < I; j++) r += x[j]! * x[j]!;
    return Math.sqrt(l * r);
  }

  scaledImmediateVjp(
    sPrev: Float32Array, x: Float32Array, aux: Float32Array, u: Float32Array,
    a: number, out: Float32Array, beta: number, target?: Float32Array, gamma = 0,
  ): number {
    const N = this.n, I = this.inputs, al = this.alpha;
    const li = this.li ??= new Float64Array(N);
    for (let i = 0; i < N; i++) li[i] = a * al * aux[i]! * u[i]!;
    let norm = 0;
    // Rows of the transposed blocks: N rows scaled by a_{t−1}[j], I rows by x[j], then b (scale 1).
    for (let j = 0; j < N + I + 1; j++) {
      const z = j < N ? sPrev[j]! : j < N + I ? x[j - N]! : 1;
      const o = j * N;
      if (target === undefined) {
        for (let i = 0; i < N; i++) {
          const v = beta * out[o + i]! + z * li[i]!;
          out[o + i] = v;
          norm += v * v;
        }
      } else {
        for (let i = 0; i < N; i++) {
          const v = beta * out[o + i]! + z * li[i]!;
          out[o + i] = v;
          norm += v * v;
          target[o + i] = target[o + i]! + gamma * v;
        }
      }
    }
    return norm;
  }

  private li: Float64Array | undefined;
}
