import type { Params } from '@credo/core';
import type { Rng } from '@credo/tensor';
import type { ModelImpl } from './model.js';
import type { ParamUpdater } from './param-updater.js';
import type { RecurrentCell } from './recurrent-cell.js';
import type { RuleImpl } from './rule.js';
import type { Unroll } from './unroll.js';

/** What a temporal rule gets when it is set up for one batch of sequences. */
export interface SequenceRuleContext {
  readonly cell: RecurrentCell;
  /** Parallel sequences (the batch). */
  readonly rows: number;
  /** The rule's resolved parameters. */
  readonly params: Params;
  /** The rule's own random stream (e.g. UORO's signs); training and every probe get distinct ones. */
  readonly rng: Rng;
  /**
   * The trial's stream for fixed random matrices (`Rng.derive(seed, 'rule/feedback')`, as for the
   * mlp rules): a fresh generator on every init, so training and probes draw the same matrices.
   */
  readonly feedbackRng: Rng;
  /** Where the rule's gradient goes (see {@link ParamUpdater}). */
  readonly updater: ParamUpdater;
}

/**
 * A temporal rule set up for one {@link Unroll}. The learner calls `reset` at the start of every
 * batch of sequences, `step` once per time step, and `endSegment` at the end of each training
 * segment (an episode, or a window of a stream).
 *
 * @example
 * ```ts
 * // the online skeleton every past-facing rule follows
 * step(u, x, target, mask) {
 *   u.advance(x);
 *   const loss = u.loss(target, mask);
 *   u.backOutput(updater.gReadout);      // q = ∂ℓ/∂s, readout gradient
 *   // … propagate the influence estimate, add q·(estimate) into updater.gTheta …
 *   updater.commit();
 *   return loss;
 * }
 * ```
 */
export interface SequenceRuleState {
  /** New sequences in every row: the unroll has just been reset; clear traces and history. */
  reset(u: Unroll): void;
  /**
   * One time step: advance `u` with `x` (rows × inputs), score `target` (rows × outputs) under
   * `mask` (rows; undefined = all supervised), do the rule's work, and commit an update when its
   * schedule says so. Returns Σ_rows mask·ℓ of this step.
   */
  step(u: Unroll, x: Float32Array, target: Float32Array, mask: Float32Array | undefined): number;
  /** End of a training segment: commit whatever gradient is pending. */
  endSegment(u: Unroll): void;
  /** Floats the rule holds between steps besides parameters and state (traces, history, memories), for the `memory/floats` metric. */
  memoryFloats(): number;
  /** Indices of the θ blocks the rule trains, when not all (rtrl with `influence: W`); probes compare only those. */
  readonly trainedBlocks?: readonly number[];
  /**
   * For a rule that keeps parameter updates in its own representation between steps (uoro's rnn
   * kernel): write them into the model. The learner calls it before anything reads the parameters.
   */
  sync?(): void;
}

/**
 * A forward pass that differs from the cell's own (SAB adds attention over stored states), used to
 * evaluate a model trained by that rule.
 */
export interface SequenceForward {
  reset(u: Unroll): void;
  advance(u: Unroll, x: Float32Array): void;
}

/**
 * How a rule trains a recurrent model ({@link RecurrentCell}).
 *
 * @example
 * ```ts
 * const myRule: TemporalRuleImpl = { sequence: { init: (ctx) => new MyRuleState(ctx) } };
 * ruleRegistry.register({ kind: 'rule', name: 'mine', description: '…', params: {}, models: ['rnn'] }, myRule);
 * ```
 */
export interface SequenceRule {
  /** True for the exact reference (bptt): the learner then reports no angle-to-exact diagnostics for it. */
  readonly isReference?: boolean;
  /** True when the estimate is random (uoro): probes then draw several estimates and report their variance. */
  readonly stochastic?: boolean;
  init(ctx: SequenceRuleContext): SequenceRuleState;
  /** A rule that changes the forward computation supplies it here, for evaluation. */
  forward?(ctx: Omit<SequenceRuleContext, 'updater' | 'rng' | 'feedbackRng'>): SequenceForward;
  /**
   * For a rule with its own forward pass: its parameters under which it computes the exact
   * gradient of that forward pass over `steps` steps (no truncation), the reference of its probes.
   * Rules without `forward` are compared with bptt.
   */
  exact?(params: Params, steps: number): Params;
}

/** A registered rule that can train sequence models: `RuleImpl` plus the `sequence` hook. */
export interface TemporalRuleImpl extends RuleImpl {
  readonly sequence: SequenceRule;
}

/** Shape of a sequence task: input and output widths and the readout loss. */
export interface SequenceShape {
  readonly inputs: number;
  readonly outputs: number;
  readonly loss: 'mse' | 'softmax-ce';
}

/** Everything a sequence model's `build` needs, already validated. */
export interface SequenceModelBuildArgs {
  readonly params: Params;
  readonly shape: SequenceShape;
  readonly seed: number;
}

/**
 * A registered model that runs on sequences: `ModelImpl` (whose feedforward `build` throws a clear
 * error) plus the `sequence` hook that builds its {@link RecurrentCell}.
 */
export interface SequenceModelImpl extends ModelImpl {
  readonly sequence: { build(args: SequenceModelBuildArgs): RecurrentCell };
}

/** Type guards for registry entries (the registries hold the base interfaces). */
export function sequenceRuleOf(impl: RuleImpl): SequenceRule | undefined {
  return (impl as Partial<TemporalRuleImpl>).sequence;
}

export function sequenceModelOf(impl: ModelImpl): SequenceModelImpl['sequence'] | undefined {
  return (impl as Partial<SequenceModelImpl>).sequence;
}
