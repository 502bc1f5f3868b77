import { CredoError, type ComponentInfo, type ParamSchema } from '@credo/core';
import type { ParamBlock, RecurrentCell, SequenceLoss } from '../recurrent-cell.js';
import type { SequenceModelBuildArgs, SequenceModelImpl } from '../sequence-rule.js';

/** Parameters of the `influence-chain` model. */
export const INFLUENCE_CHAIN_PARAMS: ParamSchema = {
  n: { type: 'integer', min: 2, default: 23, description: 'state units' },
  p: { type: 'integer', min: 0, default: 10, description: 'units driven by +θ (the other n − p are driven by −θ)' },
  theta0: { type: 'number', default: 0.5, description: 'initial value of the scalar parameter θ' },
};

/** Registry entry of the `influence-chain` model. */
export const INFLUENCE_CHAIN_INFO: ComponentInfo = {
  kind: 'model',
  name: 'influence-chain',
  description: "Tallec & Ollivier's influence-balancing system: s_{t+1} = A·s_t + θ·u, A = ½I + ½·superdiagonal, u = (+1 ×p, −1 ×(n−p)), output s[0]; one scalar parameter θ",
  params: INFLUENCE_CHAIN_PARAMS,
  reference: 'papers.md §6.3 (UORO paper; google-research persistent_es/influence_balancing.py)',
};

/**
 * The model of the influence-balancing task (papers.md §6.3): a linear chain in which unit i keeps
 * half of its value and takes half of unit i+1's, every unit is driven by ±θ, and only unit 0 is
 * read out. Starting from s_0 = 1, raising θ raises s[0] at once (the first p units are driven
 * positively) but, through the chain, pulls in the n − p negatively driven units: the fixed point
 * is s*[0] = 2θ·(2p − n), so for n = 23, p = 10 the long-run influence of θ on s[0] is −6 while
 * every influence shorter than p steps is positive. Truncated gradients therefore get the sign wrong.
 *
 * Inputs are ignored (the influence-balancing task feeds a constant 1); the task must have one
 * output with the mse loss.
 *
 * @example
 * ```ts
 * createSequenceLearner({ model: { name: 'influence-chain' }, rule: { name: 'rtrl' }, optimizer: { name: 'sgd', lr: 1e-4 } },
 *   { inputs: 1, outputs: 1, loss: 'mse' }, 0, 1);
 * ```
 */
export const influenceChainModel: SequenceModelImpl = {
  build() {
    throw new CredoError('SPEC_INVALID', 'model influence-chain is a sequence model: pair it with the influence-balancing task', { field: 'model.name', value: 'influence-chain' });
  },
  sequence: {
    build(args: SequenceModelBuildArgs): RecurrentCell {
      return new InfluenceChainCell(args);
    },
  },
};

class InfluenceChainCell implements RecurrentCell {
  readonly model = 'influence-chain';
  readonly n: number;
  readonly inputs: number;
  readonly outputs = 1;
  readonly loss: SequenceLoss = 'mse';
  readonly theta = new Float32Array(1);
  readonly blocks: readonly ParamBlock[] = Object.freeze([{ name: 'theta', offset: 0, rows: 1, cols: 1 }]);
  readonly readout: Readonly<Record<string, Float32Array>> = {};
  readonly auxSize = 0;
  /** The drive pattern u: +1 for the first p units, −1 for the rest. */
  private readonly sign: Float32Array;
  private readonly signSum: number;

  constructor(args: SequenceModelBuildArgs) {
    const n = args.params.n as number, p = args.params.p as number;
    if (p > n) throw new CredoError('BAD_PARAM', 'p must not exceed n', { field: 'model.p', value: p, allowed: `integer 0 … ${n}` });
    if (args.shape.outputs !== 1 || args.shape.loss !== 'mse') {
      throw new CredoError('SHAPE_MISMATCH', 'model influence-chain needs a task with one output and the mse loss (influence-balancing)', {
        field: 'model.name', value: `${args.shape.outputs} outputs, ${args.shape.loss}`,
      });
    }
    this.n = n;
    this.inputs = args.shape.inputs;
    this.theta[0] = args.params.theta0 as number;
    this.sign = new Float32Array(n);
    for (let i = 0; i < n; i++) this.sign[i] = i < p ? 1 : -1;
    this.signSum = 2 * p - n;
  }

  initialState(s: Float32Array, rows: number): void {
    s.fill(1, 0, rows * this.n);
  }

  forward(sPrev: Float32Array, _x: Float32Array, s: Float32Array, _aux: Float32Array, rows: number): void {
    const n = this.n, th = this.theta[0]!, u = this.sign;
    for (let r = 0; r < rows; r++) {
      const o = r * n;
      for (let i = 0; i < n - 1; i++) s[o + i] = 0.5 * sPrev[o + i]! + 0.5 * sPrev[o + i + 1]! + th * u[i]!;
      s[o + n - 1] = 0.5 * sPrev[o + n - 1]! + th * u[n - 1]!;
    }
  }

  output(s: Float32Array, y: Float32Array, rows: number): void {
    for (let r = 0; r < rows; r++) y[r] = s[r * this.n]!;
  }

  outputBackward(_s: Float32Array, dy: Float32Array, q: Float32Array, rows: number): void {
    q.fill(0, 0, rows * this.n);
    for (let r = 0; r < rows; r++) q[r * this.n] = dy[r]!;
  }

  backStep(_sPrev: Float32Array, _x: Float32Array, _aux: Float32Array, u: Float32Array, uPrev: Float32Array, dpre: Float32Array, rows: number): void {
    const n = this.n;
    for (let r = 0; r < rows; r++) {
      const o = r * n;
      uPrev[o] = 0.5 * u[o]!;
      for (let i = 1; i < n; i++) uPrev[o + i] = 0.5 * u[o + i]! + 0.5 * u[o + i - 1]!;
      for (let i = 0; i < n; i++) dpre[o + i] = u[o + i]!;
    }
  }

  paramGrad(dpre: Float32Array, _sPrev: Float32Array, _x: Float32Array, count: number, g: Float32Array): void {
    const n = this.n, u = this.sign;
    let s = 0;
    for (let r = 0; r < count; r++) for (let i = 0; i < n; i++) s += dpre[r * n + i]! * u[i]!;
    g[0] = g[0]! + s;
  }

  jacobian(_sPrev: Float32Array, _x: Float32Array, _aux: Float32Array, m: Float32Array, out: Float32Array, cols: number): void {
    const n = this.n;
    for (let i = 0; i < n; i++) {
      const o = i * cols;
      if (i < n - 1) for (let j = 0; j < cols; j++) out[o + j] = 0.5 * m[o + j]! + 0.5 * m[o + cols + j]!;
      else for (let j = 0; j < cols; j++) out[o + j] = 0.5 * m[o + j]!;
    }
  }

  jacobianDense(_sPrev: Float32Array, _x: Float32Array, _aux: Float32Array, J: Float32Array): void {
    const n = this.n;
    J.fill(0, 0, n * n);
    for (let i = 0; i < n; i++) {
      J[i * n + i] = 0.5;
      if (i < n - 1) J[i * n + i + 1] = 0.5;
    }
  }

  addImmediate(_sPrev: Float32Array, _x: Float32Array, _aux: Float32Array, m: Float32Array, cols: number, _block: ParamBlock, col: number): void {
    for (let i = 0; i < this.n; i++) m[i * cols + col] = m[i * cols + col]! + this.sign[i]!;
  }

  immediateVjpNorm(_sPrev: Float32Array, _x: Float32Array, _aux: Float32Array, u: Float32Array): number {
    return Math.abs(this.dotSign(u));
  }

  scaledImmediateVjp(
    _sPrev: Float32Array, _x: Float32Array, _aux: Float32Array, u: Float32Array,
    a: number, out: Float32Array, beta: number, target?: Float32Array, gamma = 0,
  ): number {
    const v = beta * out[0]! + a * this.dotSign(u);
    out[0] = v;
    if (target !== undefined) target[0] = target[0]! + gamma * v;
    return v * v;
  }

  metrics(): Record<string, number> {
    return { 'param/theta': this.theta[0]!, 'param/fixed_point_s0': 2 * this.theta[0]! * this.signSum };
  }

  private dotSign(u: Float32Array): number {
    let s = 0;
    for (let i = 0; i < this.n; i++) s += u[i]! * this.sign[i]!;
    return s;
  }
}
