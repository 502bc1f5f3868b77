/**
 * The mathematical contract between a recurrent model and the temporal learning rules.
 *
 * A model is a transition s_t = F(s_{t−1}, x_t; θ) on a state of `n` floats per sequence, with a
 * flat vector θ of `P` recurrent parameters, plus a readout y_t = R(s_t) trained by its immediate
 * gradient. The rules (`bptt`, `tbptt`, `rtrl`, `uoro`, `sab`, …) never look inside F: they only
 * use the products below, which is what the algorithms are written in (papers.md §5–§7):
 *
 * | product | meaning | used by |
 * | --- | --- | --- |
 * | {@link RecurrentCell.backStep} | uᵀ·J_t and the pre-activation gradient | bptt, tbptt, sab |
 * | {@link RecurrentCell.paramGrad} | Σ_t dpre_tᵀ·∂pre_t/∂θ over stacked steps | bptt, tbptt, sab |
 * | {@link RecurrentCell.jacobian} | J_t·m for an n × cols matrix | uoro (s̃) |
 * | {@link RecurrentCell.jacobianDense} | J_t itself, n × n | rtrl (then J_t·M is one GEMM) |
 * | {@link RecurrentCell.addImmediate} | M += ∂s_t/∂θ (the immediate influence) | rtrl |
 * | {@link RecurrentCell.scaledImmediateVjp} | θ̃ ← β·θ̃ + a·νᵀ·∂s_t/∂θ | uoro |
 * | {@link RecurrentCell.kroneckerForm} (optional) | J_t = β·I + diag(d)·A, ∂s_t/∂θ = diag(d)·(zᵀ ⊗ I) | rtrl (one fused kernel) |
 *
 * where J_t = ∂s_t/∂s_{t−1}. Every buffer is row-major float32; "rows" are independent sequences
 * of a batch. Single-row methods take views of one row (`subarray`), because the online rules keep
 * one influence estimate per sequence.
 */

/** A named block of the flat recurrent parameter vector θ, `rows × cols` values at `offset`, row-major. */
export interface ParamBlock {
  readonly name: string;
  readonly offset: number;
  readonly rows: number;
  readonly cols: number;
}

/** Readout loss: ½‖y − y*‖² on real targets, or softmax cross-entropy against a probability vector y*. */
export type SequenceLoss = 'mse' | 'softmax-ce';

/**
 * A recurrent model as the temporal rules see it. Implementations: the `rnn` model
 * (models/rnn.ts) and the `influence-chain` system of the influence-balancing task
 * (models/influence-chain.ts).
 *
 * @example
 * ```ts
 * // one step of exact RTRL for row 0: M ← J·M + ∂s/∂θ
 * cell.forward(sPrev, x, s, aux, 1);
 * cell.jacobian(sPrev, x, aux, M, M2, cell.P);
 * for (const b of cell.blocks) cell.addImmediate(sPrev, x, aux, M2, cell.P, b, b.offset);
 * ```
 */
export interface RecurrentCell {
  /** Registered model name, for messages. */
  readonly model: string;
  /** State floats per sequence. */
  readonly n: number;
  readonly inputs: number;
  readonly outputs: number;
  readonly loss: SequenceLoss;
  /** Recurrent parameters θ, flat and live (the optimizer updates it in place). */
  readonly theta: Float32Array;
  /** Layout of θ, in order, covering it exactly. */
  readonly blocks: readonly ParamBlock[];
  /** Readout parameters trained with their immediate gradient (may be empty for a fixed readout). */
  readonly readout: Readonly<Record<string, Float32Array>>;
  /** Floats per row and step that the Jacobian products need besides s_{t−1} and x_t (e.g. φ′ for the rnn). */
  readonly auxSize: number;

  /** Writes the initial state s_0 of `rows` sequences. */
  initialState(s: Float32Array, rows: number): void;
  /** s_t = F(s_{t−1}, x_t) for `rows` rows; fills `aux` (rows × auxSize). `s` must not alias `sPrev`. */
  forward(sPrev: Float32Array, x: Float32Array, s: Float32Array, aux: Float32Array, rows: number): void;
  /** y = R(s) (rows × outputs): the logits for softmax-ce. */
  output(s: Float32Array, y: Float32Array, rows: number): void;
  /**
   * Back through the readout: q = (∂y/∂s)ᵀ·dy (rows × n). When `grads` is given, adds the readout
   * parameter gradients Σ_rows dyᵀ·∂y/∂(V, c) into it (same names as {@link RecurrentCell.readout}).
   * When `rate` is given too (plain SGD, applied now), each readout tensor then takes its step
   * p ← p − rate·g at once and its gradient in `grads` is cleared: the same float32 bits as
   * @credo/tensor's `sgdStep(…, clearGrad)` afterwards, with q computed from the readout before the step.
   */
  outputBackward(s: Float32Array, dy: Float32Array, q: Float32Array, rows: number, grads: Readonly<Record<string, Float32Array>> | undefined,
    rate?: number): void;
  /**
   * Called before a run of {@link RecurrentCell.backStep} calls during which the parameters do not
   * change (a cell may prepare a layout of its weights for the backward products then).
   */
  beginBackward?(): void;
  /**
   * One step of backprop for `rows` rows: given u = ∂L/∂s_t, writes `dpre` (rows × n, the gradient
   * at the step's parameter-linear pre-activation, consumed by {@link RecurrentCell.paramGrad}) and
   * uPrev = uᵀ·J_t = ∂L/∂s_{t−1} along this step.
   */
  backStep(sPrev: Float32Array, x: Float32Array, aux: Float32Array, u: Float32Array, uPrev: Float32Array, dpre: Float32Array, rows: number): void;
  /** g (length P) += the parameter gradient of `count` stacked steps/rows of (dpre, s_{t−1}, x_t). */
  paramGrad(dpre: Float32Array, sPrev: Float32Array, x: Float32Array, count: number, g: Float32Array): void;
  /** One row: out (n × cols) = J_t · m (n × cols). `out` must not alias `m`. */
  jacobian(sPrev: Float32Array, x: Float32Array, aux: Float32Array, m: Float32Array, out: Float32Array, cols: number): void;
  /** One row: writes J_t = ∂s_t/∂s_{t−1} as a dense row-major n × n matrix. */
  jacobianDense(sPrev: Float32Array, x: Float32Array, aux: Float32Array, J: Float32Array): void;
  /**
   * One row: adds the immediate influence ∂s_t/∂θ_block (n × block size) into columns
   * [col, col + block size) of `m` (n × cols).
   */
  addImmediate(sPrev: Float32Array, x: Float32Array, aux: Float32Array, m: Float32Array, cols: number, block: ParamBlock, col: number): void;
  /** One row: ‖uᵀ·∂s_t/∂θ‖ (the norm of the immediate parameter vjp), without forming the vector. */
  immediateVjpNorm(sPrev: Float32Array, x: Float32Array, aux: Float32Array, u: Float32Array): number;
  /**
   * One row: out (length P) ← beta·out + a·(uᵀ·∂s_t/∂θ), in one pass; returns ‖out‖² afterwards.
   * When `target` is given, also target += gamma·out (fused into the same pass: UORO's plain-SGD step).
   */
  scaledImmediateVjp(
    sPrev: Float32Array, x: Float32Array, aux: Float32Array, u: Float32Array,
    a: number, out: Float32Array, beta: number, target?: Float32Array, gamma?: number,
  ): number;
  /**
   * Optional, for cells of the form s_t = β·s_{t−1} + f(A·s_{t−1} + …): J_t = β·I + diag(d_t)·A,
   * and the immediate influence on θ's first n·groups entries is diag(d_t)·(z_tᵀ ⊗ I), entry
   * j·n + i being the weight through which input z_j reaches unit i. Then RTRL runs as the fused
   * `influenceStep` kernel of @credo/tensor without forming J. Returns A transposed (n × n, a live
   * view that follows parameter updates), β and the number of groups; constant for the cell.
   */
  kroneckerForm?(): { readonly At: Float32Array; readonly beta: number; readonly groups: number };
  /** With {@link RecurrentCell.kroneckerForm}: one row's d_t (n floats) and z_t (groups floats). */
  kroneckerFactors?(sPrev: Float32Array, x: Float32Array, aux: Float32Array, d: Float32Array, z: Float32Array): void;
  /** Model-specific scalars worth logging (e.g. `param/theta` of the influence chain). */
  metrics?(): Record<string, number>;
}
