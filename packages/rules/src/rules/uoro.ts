import type { ComponentInfo } from '@credo/core';
import { allocFloats, type Rng } from '@credo/tensor';
import type { ParamUpdater } from '../param-updater.js';
import type { RecurrentCell } from '../recurrent-cell.js';
import type { SequenceRuleContext, SequenceRuleState, TemporalRuleImpl } from '../sequence-rule.js';
import type { Unroll } from '../unroll.js';
import { RnnCell } from '../models/rnn.js';
import { drawSigns, UORO_EPS } from './uoro-common.js';
import { UoroRnnState } from './uoro-rnn.js';

/** Registry entry of the `uoro` rule. */
export const UORO_INFO: ComponentInfo = {
  kind: 'rule',
  name: 'uoro',
  description: 'unbiased online recurrent optimization: a rank-one estimate s̃·θ̃ᵀ of ∂s_t/∂θ with random-sign ν and the ρ₀/ρ₁ variance reduction; O(n² + P) per step',
  params: {
    scaling: {
      type: 'enum', values: ['norm-balanced', 'none'], default: 'norm-balanced',
      description: 'ρ₀, ρ₁: the variance-minimising norm balance of Tallec & Ollivier, or ρ₀ = ρ₁ = 1 (also unbiased, more variance)',
    },
  },
  reference: 'papers.md §6.2 (Tallec & Ollivier 2018, Algorithm 1); perf-baseline.md §4.3(c)',
  models: ['rnn', 'influence-chain'],
};

/**
 * UORO. Each sequence keeps s̃ (n) and θ̃ (P) with ∂s_t/∂θ ≈ s̃·θ̃ᵀ. Per step, with ν a vector of
 * independent random signs:
 * ```
 * s̃ ← ρ₀·J_t·s̃ + ρ₁·ν          θ̃ ← θ̃/ρ₀ + (νᵀ·∂s_t/∂θ)/ρ₁
 * ρ₀ = √((‖θ̃‖ + ε)/(‖J_t s̃‖ + ε))   ρ₁ = √((‖νᵀ∂s_t/∂θ‖ + ε)/(‖ν‖ + ε))
 * gradient = (q_t·s̃)·θ̃
 * ```
 * The pair is updated first and the gradient uses the updated pair (the loss is read from s_t).
 * E[ν νᵀ] = I makes E[s̃θ̃ᵀ] the exact influence whatever ρ₀, ρ₁ > 0 (tested: the mean of many
 * estimates converges to RTRL's). With plain SGD the θ̃ update, its norm and the parameter step
 * are one pass over P; for the rnn trained on one sequence, {@link UoroRnnState} does the same
 * arithmetic with GEMMs only.
 *
 * @example
 * ```ts
 * createSequenceLearner({ model: { name: 'rnn', hidden: 64 }, rule: { name: 'uoro' }, optimizer: { name: 'sgd', lr: 0.01 } }, shape, seed, 1);
 * ```
 */
export const uoroRule: TemporalRuleImpl = {
  sequence: {
    stochastic: true,
    init: (ctx) => {
      // The wasm-GEMM kernel for the rnn (same arithmetic): one sequence, plain SGD, parameters applied.
      const rate = ctx.updater.fusedRate;
      if (ctx.cell instanceof RnnCell && ctx.rows === 1 && ctx.updater.applies && rate !== undefined) {
        return new UoroRnnState(ctx.cell, ctx.rng, rate, ctx.params.scaling !== 'none');
      }
      return new UoroState(ctx);
    },
  },
};

class UoroState implements SequenceRuleState {
  private readonly cell: RecurrentCell;
  private readonly rows: number;
  private readonly updater: ParamUpdater;
  private readonly rng: Rng;
  private readonly balanced: boolean;
  private readonly sTilde: Float32Array[] = [];
  private readonly thTilde: Float32Array[] = [];
  /** ‖θ̃‖² of each row, carried from the pass that last wrote θ̃. */
  private readonly thNorm2: Float64Array;
  private readonly nu: Float32Array[] = [];
  private readonly js: Float32Array;
  private readonly rho0: Float64Array;
  private readonly rho1: Float64Array;
  private readonly coef: Float64Array;

  constructor(ctx: SequenceRuleContext) {
    const { cell, rows } = ctx;
    this.cell = cell;
    this.rows = rows;
    this.updater = ctx.updater;
    this.rng = ctx.rng;
    this.balanced = ctx.params.scaling !== 'none';
    for (let r = 0; r < rows; r++) {
      this.sTilde.push(allocFloats(cell.n));
      this.thTilde.push(allocFloats(cell.theta.length));
      this.nu.push(allocFloats(cell.n));
    }
    this.thNorm2 = new Float64Array(rows);
    this.js = allocFloats(cell.n);
    this.rho0 = new Float64Array(rows);
    this.rho1 = new Float64Array(rows);
    this.coef = new Float64Array(rows);
  }

  reset(): void {
    for (let r = 0; r < this.rows; r++) {
      this.sTilde[r]!.fill(0);
      this.thTilde[r]!.fill(0);
      this.thNorm2[r] = 0;
    }
  }

  step(u: Unroll, x: Float32Array, target: Float32Array, mask: Float32Array | undefined): number {
    u.advance(x);
    const loss = u.loss(target, mask);
    this.updater.backOutput(u);
    const { cell, rows } = this;
    const n = cell.n, I = cell.inputs, A = cell.auxSize;
    const single = rows === 1;
    const view = (a: Float32Array, r: number, k: number): Float32Array => (single ? a : a.subarray(r * k, (r + 1) * k));
    // Pass 1, every row, with θ unchanged: s̃ and the scalars of the step.
    for (let r = 0; r < rows; r++) {
      const sPrev = view(u.sPrev, r, n), xr = view(u.x, r, I), aux = view(u.aux, r, A);
      const st = this.sTilde[r]!, nu = this.nu[r]!, js = this.js;
      cell.jacobian(sPrev, xr, aux, st, js, 1);
      drawSigns(this.rng, nu);
      let r0 = 1, r1 = 1;
      if (this.balanced) {
        let jn = 0;
        for (let i = 0; i < n; i++) jn += js[i]! * js[i]!;
        const vjpNorm = cell.immediateVjpNorm(sPrev, xr, aux, nu);
        r0 = Math.sqrt((Math.sqrt(this.thNorm2[r]!) + UORO_EPS) / (Math.sqrt(jn) + UORO_EPS));
        r1 = Math.sqrt((vjpNorm + UORO_EPS) / (Math.sqrt(n) + UORO_EPS));
      }
      const q = view(u.q, r, n);
      let c = 0;
      for (let i = 0; i < n; i++) {
        const v = r0 * js[i]! + r1 * nu[i]!;
        st[i] = v;
        c += q[i]! * v;
      }
      this.rho0[r] = r0;
      this.rho1[r] = r1;
      this.coef[r] = c;
    }
    // Pass 2: θ̃ ← θ̃/ρ₀ + νᵀ∂s/∂θ/ρ₁, and the gradient coef·θ̃ (fused into θ under plain SGD).
    const rate = this.updater.fusedRate;
    const g = this.updater.gTheta;
    for (let r = 0; r < rows; r++) {
      const sPrev = view(u.sPrev, r, n), xr = view(u.x, r, I), aux = view(u.aux, r, A);
      const tt = this.thTilde[r]!, c = this.coef[r]!;
      if (rate !== undefined) {
        this.thNorm2[r] = cell.scaledImmediateVjp(sPrev, xr, aux, this.nu[r]!, 1 / this.rho1[r]!, tt, 1 / this.rho0[r]!, cell.theta, -rate * c);
      } else {
        this.thNorm2[r] = cell.scaledImmediateVjp(sPrev, xr, aux, this.nu[r]!, 1 / this.rho1[r]!, tt, 1 / this.rho0[r]!);
        for (let i = 0; i < tt.length; i++) g[i] = g[i]! + c * tt[i]!;
      }
    }
    this.updater.commit(undefined, rate !== undefined);
    return loss;
  }

  endSegment(): void {}

  memoryFloats(): number {
    return this.rows * (2 * this.cell.n + this.cell.theta.length);
  }
}
