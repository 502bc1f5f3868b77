import { allocFloats, gemmNN, gemmTN, tanhInPlace, type Rng } from '@credo/tensor';
import { mm } from '../small-products.js';
import type { RnnCell } from '../models/rnn.js';
import type { SequenceRuleState } from '../sequence-rule.js';
import { outputLoss, type Unroll } from '../unroll.js';
import { drawSigns, UORO_EPS } from './uoro-common.js';

/** Rank-one terms collected before they are applied as one GEMM. */
const PENDING = 32;
/** Magnitudes flushed to zero when folding (far below anything that matters, above float32's subnormals). */
const TINY = 1e-30;

/**
 * UORO on the `rnn` model for one sequence under plain SGD, with every O(N²) operation a wasm GEMM.
 * The arithmetic is the generic rule's (uoro.ts); only the representation of θ̃ and θ differs.
 *
 * The rnn stores θ as K = N + I + 1 rows of N floats (the rows of Wt, of Ut, then b), so the
 * immediate vjp of a step is one rank-one term r_t = â·uᵀ with â = [a_{t−1}; x_t; 1] and
 * u = α·φ′⊙ν, and the forward pre-activation is âᵀ·θ. Per step UORO rescales θ̃ by 1/ρ₀, adds
 * r_t/ρ₁ and moves θ along θ̃: two passes over P = K·N floats that plain loops cannot make fast.
 * Between flushes both are kept as
 * ```
 * θ̃ = σ·Θ + Σ_p γ_p·r_p          θ = Z + κ·Θ + Σ_p β_p·r_p
 * ```
 * over the pending terms p, with only scalars changing per step (σ, γ_p ← ·/ρ₀; κ −= η·c·σ,
 * β_p −= η·c·γ_p). Every coefficient stays bounded (σ ≤ 1, γ_p ≤ 1/ρ₁), so nothing cancels in
 * float32. Every {@link PENDING} steps one pass folds Z += κΘ, Θ ← σΘ (flushing values below
 * {@link TINY} to zero), and one GEMM applies the
 * pending terms: [Z | Θ] += Vᵀ·[β⊙U | γ⊙U]. What a step needs — âᵀθ (the pre-activation), W·s̃
 * and âᵀθ̃ (the cross term of ‖θ̃‖²) — is one GEMM of [â; s̃] against [Z | Θ] plus two small
 * GEMMs for the pending terms.
 *
 * The model's θ is written back (`sync`) before anyone reads it: the learner calls it before
 * evaluations, probes and `parameters()`.
 */
export class UoroRnnState implements SequenceRuleState {
  private readonly N: number;
  private readonly I: number;
  private readonly O: number;
  /** Rows of θ: N + I + 1. */
  private readonly K: number;
  private readonly alpha: number;
  /** [Z | Θ]: row j holds θ's row j in the Z representation, then Θ's (K × 2N). */
  private readonly C: Float32Array;
  private sigma = 1;
  private kappa = 0;
  /** ‖θ̃‖², carried from step to step. */
  private th2 = 0;
  private readonly sTilde: Float32Array;
  /** Pending rank-one terms, row p for term p: Vp (â, K floats), Up (u, N floats); and their coefficients. */
  private readonly Vp: Float32Array;
  private readonly Up: Float32Array;
  private readonly gamma: Float64Array;
  private readonly beta: Float64Array;
  private readonly Rp: Float32Array;
  private pending = 0;
  /** Z must be (re)loaded from the model before the next step. */
  private stale = true;
  // scratch
  /** Rows [â; s̃ (zero beyond N)]: the wasm gemm's 2-row path reads [Z | Θ] once for both. */
  private readonly X: Float32Array;
  private readonly Xt: Float32Array;
  private readonly prod: Float32Array;
  private readonly dots: Float32Array;
  private readonly wcoef: Float32Array;
  private readonly corr: Float32Array;
  private readonly nu: Float32Array;
  private readonly u: Float32Array;
  private readonly y: Float32Array;
  private readonly e: Float32Array;
  private readonly q: Float32Array;

  constructor(private readonly cell: RnnCell, private readonly rng: Rng, private readonly rate: number, private readonly balanced: boolean) {
    const N = cell.n, I = cell.inputs, O = cell.outputs, K = N + I + 1;
    this.N = N;
    this.I = I;
    this.O = O;
    this.K = K;
    this.alpha = cell.alpha;
    this.C = allocFloats(K * 2 * N);
    this.sTilde = allocFloats(N);
    this.Vp = allocFloats(PENDING * K);
    this.Up = allocFloats(PENDING * N);
    this.gamma = new Float64Array(PENDING);
    this.beta = new Float64Array(PENDING);
    this.Rp = allocFloats(PENDING * 2 * N);
    this.X = allocFloats(2 * K);
    this.Xt = allocFloats(2 * K);
    this.prod = allocFloats(2 * 2 * N);
    this.dots = allocFloats(2 * PENDING);
    this.wcoef = allocFloats(3 * PENDING);
    this.corr = allocFloats(3 * N);
    this.nu = new Float32Array(N);
    this.u = allocFloats(N);
    this.y = allocFloats(O);
    this.e = allocFloats(O);
    this.q = allocFloats(N);
  }

  reset(): void {
    // θ̃ ← 0, θ unchanged: apply the pending terms and fold first.
    if (!this.stale) this.flush();
    const N = this.N;
    for (let j = 0; j < this.K; j++) this.C.fill(0, j * 2 * N + N, (j + 1) * 2 * N);
    this.th2 = 0;
    this.sTilde.fill(0);
  }

  endSegment(): void {}

  memoryFloats(): number {
    // θ̃ (Θ), s̃ and the pending terms; Z is θ's own storage.
    return this.K * this.N + this.N + PENDING * (this.K + 3 * this.N + 2);
  }

  /** Writes θ into the model, which is then the master copy until the next step. */
  sync(): void {
    if (this.stale) return;
    this.flush();
    const N = this.N, th = this.cell.theta, C = this.C;
    for (let j = 0; j < this.K; j++) th.set(C.subarray(j * 2 * N, j * 2 * N + N), j * N);
    this.stale = true;
  }

  step(un: Unroll, x: Float32Array, target: Float32Array, mask: Float32Array | undefined): number {
    const { N, I, O, K, alpha, C, cell } = this;
    if (this.stale) this.load();
    const eta = this.rate;
    // Advance the unroll by hand: θ lives here, not in the model.
    const tmp = un.sPrev;
    un.sPrev = un.s;
    un.s = tmp;
    un.x = x;
    un.t++;
    const hPrev = un.sPrev, h = un.s, D = un.aux, st = this.sTilde, X = this.X;
    // X = [â; s̃] against [Z | Θ] → rows [Zᵀâ, Θᵀâ], [W_Zᵀ… s̃, …]
    X.set(hPrev.subarray(0, N), 0);
    for (let j = 0; j < I; j++) X[N + j] = x[j]!;
    X[N + I] = 1;
    X.set(st, K);
    gemmNN(2, 2 * N, K, X, C, this.prod);
    const prod = this.prod, corr = this.corr;
    const r = this.pending, kappa = this.kappa, sigma = this.sigma;
    if (r > 0) {
      // (dâ_p, ds_p) = (v_p·â, v_p·s̃), then Σ_p β_p·dâ_p·u_p, Σ_p β_p·ds_p·u_p, Σ_p γ_p·dâ_p·u_p
      const Xt = this.Xt;
      for (let j = 0; j < K; j++) {
        Xt[2 * j] = X[j]!;
        Xt[2 * j + 1] = X[K + j]!;
      }
      mm('NN', r, 2, K, this.Vp.subarray(0, r * K), Xt, this.dots);
      const w = this.wcoef, d = this.dots;
      for (let p = 0; p < r; p++) {
        w[p] = this.beta[p]! * d[2 * p]!;
        w[r + p] = this.beta[p]! * d[2 * p + 1]!;
        w[2 * r + p] = this.gamma[p]! * d[2 * p]!;
      }
      mm('NN', 3, N, r, w.subarray(0, 3 * r), this.Up.subarray(0, r * N), corr);
    } else {
      corr.fill(0);
    }
    // h_t = tanh(âᵀθ), or the leaky update
    for (let i = 0; i < N; i++) h[i] = prod[i]! + kappa * prod[N + i]! + corr[i]!;
    if (alpha === 1) {
      tanhInPlace(h, N);
      for (let i = 0; i < N; i++) D[i] = 1 - h[i]! * h[i]!;
    } else {
      D.set(h.subarray(0, N));
      tanhInPlace(D, N);
      for (let i = 0; i < N; i++) {
        const f = D[i]!;
        h[i] = (1 - alpha) * hPrev[i]! + alpha * f;
        D[i] = 1 - f * f;
      }
    }
    // J s̃ = α·φ′⊙(W s̃) + (1 − α)·s̃ (into s̃);  u = α·φ′⊙ν;  uᵀ·θ̃ᵀ·â, the cross term of ‖θ̃‖²
    const nu = this.nu, u = this.u, o1 = 2 * N;
    drawSigns(this.rng, nu);
    let jn = 0, un2 = 0, cross = 0;
    for (let i = 0; i < N; i++) {
      const ws = prod[o1 + i]! + kappa * prod[o1 + N + i]! + corr[N + i]!;
      const v = alpha * D[i]! * ws + (1 - alpha) * st[i]!;
      st[i] = v;
      jn += v * v;
      const ui = alpha * D[i]! * nu[i]!;
      u[i] = ui;
      un2 += ui * ui;
      cross += ui * (sigma * prod[N + i]! + corr[2 * N + i]!);
    }
    let an2 = 0;
    for (let j = 0; j < K; j++) an2 += X[j]! * X[j]!;
    const rho0 = this.balanced ? Math.sqrt((Math.sqrt(this.th2) + UORO_EPS) / (Math.sqrt(jn) + UORO_EPS)) : 1;
    const rho1 = this.balanced ? Math.sqrt((Math.sqrt(un2 * an2) + UORO_EPS) / (Math.sqrt(N) + UORO_EPS)) : 1;
    for (let i = 0; i < N; i++) st[i] = rho0 * st[i]! + rho1 * nu[i]!;
    // Readout: y = V h + c, e = dℓ/dy, q = Vᵀe; the step's coefficient q·s̃; V, c take their own step.
    const Vt = cell.Vt, c = cell.c, y = this.y, e = this.e, q = this.q;
    y.set(c);
    mm('NN', 1, O, N, h, Vt, y, 1, 1);
    const m = mask === undefined ? 1 : mask[0]!;
    const loss = m * outputLoss(cell.loss, y, target, undefined, 1, O, e, m);
    mm('NT', 1, N, O, e, Vt, q);
    let coef = 0;
    for (let i = 0; i < N; i++) coef += q[i]! * st[i]!;
    mm('NN', N, O, 1, h, e, Vt, -eta, 1);
    for (let k = 0; k < O; k++) c[k] = c[k]! - eta * e[k]!;
    // θ̃ ← θ̃/ρ₀ + r_t/ρ₁ and θ ← θ − η·coef·θ̃, through the scalars
    this.th2 = Math.max(0, this.th2 / (rho0 * rho0) + (2 * cross) / (rho0 * rho1) + (un2 * an2) / (rho1 * rho1));
    const sig = sigma / rho0;
    for (let p = 0; p < r; p++) this.gamma[p] = this.gamma[p]! / rho0;
    this.Vp.set(X.subarray(0, K), r * K);
    this.Up.set(u.subarray(0, N), r * N);
    this.gamma[r] = 1 / rho1;
    this.beta[r] = 0;
    const ec = eta * coef;
    for (let p = 0; p <= r; p++) this.beta[p] = this.beta[p]! - ec * this.gamma[p]!;
    this.kappa = kappa - ec * sig;
    this.sigma = sig;
    this.pending = r + 1;
    if (this.pending === PENDING) this.flush();
    return loss;
  }

  /** Folds the scalars into the matrices (Z += κΘ, Θ ← σΘ) and applies the pending terms as one GEMM. */
  private flush(): void {
    const N = this.N, K = this.K, C = this.C, k = this.kappa, s = this.sigma, r = this.pending;
    // Θ's old terms decay by 1/ρ₀ every step and end up subnormal in float32, where x86 SIMD
    // arithmetic is ~2× slower per element touched (measured: 0.4% subnormal entries doubled the
    // step's GEMM). They are ≤ 1e-30 of θ̃'s O(1) norm, so they are flushed to zero here.
    for (let j = 0; j < K; j++) {
      const o = j * 2 * N;
      for (let i = 0; i < N; i++) {
        const th = s * C[o + N + i]!;
        const z = C[o + i]! + k * C[o + N + i]!;
        C[o + i] = Math.abs(z) < TINY ? 0 : z;
        C[o + N + i] = Math.abs(th) < TINY ? 0 : th;
      }
    }
    if (r > 0) {
      const R = this.Rp, U = this.Up;
      for (let p = 0; p < r; p++) {
        const bp = this.beta[p]!, gp = this.gamma[p]!, ro = p * 2 * N, uo = p * N;
        for (let i = 0; i < N; i++) {
          const zb = bp * U[uo + i]!, zg = gp * U[uo + i]!;
          R[ro + i] = Math.abs(zb) < TINY ? 0 : zb;
          R[ro + N + i] = Math.abs(zg) < TINY ? 0 : zg;
        }
      }
      gemmTN(K, 2 * N, r, this.Vp.subarray(0, r * K), R.subarray(0, r * 2 * N), C, 1, 1);
    }
    this.pending = 0;
    this.kappa = 0;
    this.sigma = 1;
  }

  /** Z ← the model's θ (the master copy after a sync, or at the start). */
  private load(): void {
    const N = this.N, C = this.C, th = this.cell.theta;
    for (let j = 0; j < this.K; j++) C.set(th.subarray(j * N, (j + 1) * N), j * 2 * N);
    this.stale = false;
  }
}
