import { CredoError, type Params } from '@credo/core';
import { angleDegrees, Rng } from '@credo/tensor';
import type { LearnerConfig } from './learner.js';
import type { Optimizer } from './optimizer.js';
import { ParamUpdater } from './param-updater.js';
import type { RecurrentCell } from './recurrent-cell.js';
import { resolveLearnerConfig } from './create-learner.js';
import { modelRegistry, ruleRegistry } from './registries.js';
import { bpttRule } from './rules/bptt.js';
import {
  sequenceModelOf, sequenceRuleOf, type SequenceForward, type SequenceRule, type SequenceRuleState, type SequenceShape,
} from './sequence-rule.js';
import { Unroll } from './unroll.js';

/**
 * A batch of sequences, time-major: step t of row r is at `(t·rows + r)·width`.
 *
 * @example
 * ```ts
 * const b: SequenceBatch = { steps: 100, rows: 1, x: new Float32Array(100 * 8), y: new Float32Array(100 * 8), mask: undefined };
 * ```
 */
export interface SequenceBatch {
  readonly steps: number;
  readonly rows: number;
  /** steps × rows × inputs. */
  readonly x: Float32Array;
  /** steps × rows × outputs: real targets (mse) or a probability vector per row (softmax-ce). */
  readonly y: Float32Array;
  /** steps × rows weights (1 = supervised, 0 = not); undefined = every step supervised. */
  readonly mask: Float32Array | undefined;
}

/** Scores of a model on a batch of sequences, from reset, parameters unchanged. */
export interface SequenceEvaluation {
  /** Mean loss ℓ over supervised (step, row) pairs. */
  readonly loss: number;
  /** Fraction of supervised pairs whose argmax output differs from the target's (softmax-ce); NaN for mse. */
  readonly error: number;
  /** Supervised (step, row) pairs. */
  readonly count: number;
}

/** Estimates of a rule's gradient drawn per probe when the rule is stochastic. */
export const PROBE_DRAWS = 8;

/**
 * A recurrent model with its temporal rule and optimizer, ready to learn from sequences one time
 * step at a time (the sequence counterpart of `Learner`).
 *
 * Training protocol: `reset()` starts new sequences in every row (episodes; for a stream, once),
 * `step()` feeds one time step of every row, `endSegment()` closes a training segment (the end of
 * an episode, or of a window of a stream) so that window rules (bptt) apply their update. Each
 * update is the rule's estimate of the gradient of Σ_{steps since its last update} mean_rows ℓ_t.
 *
 * @example
 * ```ts
 * const learner = createSequenceLearner(
 *   { model: { name: 'rnn', hidden: 32 }, rule: { name: 'uoro' }, optimizer: { name: 'sgd', lr: 0.01 } },
 *   { inputs: 2, outputs: 2, loss: 'softmax-ce' }, seed, 1);
 * learner.reset();
 * for (let t = 0; t < T; t++) learner.step(x.subarray(2 * t, 2 * t + 2), y.subarray(2 * t, 2 * t + 2));
 * learner.endSegment();
 * const { 'angle/uoro_exact': angle } = learner.probe(testBatch);
 * ```
 */
export interface SequenceLearner {
  /** Parallel sequences per step (the batch). */
  readonly rows: number;
  readonly ruleName: string;
  readonly cell: RecurrentCell;
  /** Starts new sequences in every row: state s_0, the rule's traces and history cleared. */
  reset(): void;
  /** One time step: x (rows × inputs), target (rows × outputs), mask (rows). Returns Σ_rows mask·ℓ. */
  step(x: Float32Array, target: Float32Array, mask?: Float32Array): number;
  /** Ends a training segment: pending gradients are applied. */
  endSegment(): void;
  /** Runs `batch` from reset with the parameters frozen (using the rule's forward pass, e.g. sab's attention). */
  evaluate(batch: SequenceBatch): SequenceEvaluation;
  /**
   * The rule's estimate of ∂(Σ_t mean_rows ℓ_t)/∂θ on `batch`, from reset, parameters frozen, with
   * fresh traces and the random stream of draw `draw`; a new array shaped like θ.
   */
  gradientEstimate(batch: SequenceBatch, draw?: number): Float32Array;
  /**
   * The exact gradient of the same loss: full BPTT through `batch` (for a rule with its own
   * forward pass, sab, the rule itself without truncation).
   */
  exactGradient(batch: SequenceBatch): Float32Array;
  /**
   * Gradient diagnostics on `batch`, as metric name → value: `angle/<rule>_exact` (degrees between
   * the rule's estimate and the exact gradient, mean over draws), `gradbias/<rule>` (‖E[ĝ] − g‖/‖g‖)
   * and, for stochastic rules, `gradvar/<rule>` (E‖ĝ − E[ĝ]‖² / ‖g‖² over {@link PROBE_DRAWS} draws).
   * Only over the parameter blocks the rule trains. Empty for bptt, the reference itself.
   */
  probe(batch: SequenceBatch): Record<string, number>;
  /** Cheap per-step metrics: `memory/floats` (what the rule holds between steps) and the model's own (e.g. `param/theta`). */
  metrics(): Record<string, number>;
  /**
   * Views of θ's blocks by name (`Wt`, `Ut`, `b` for the rnn, stored transposed; `theta` for the
   * influence chain) and of the readout tensors, current as of this call (a rule that defers its
   * updates writes them back first); writing into them changes the model.
   */
  parameters(): Record<string, Float32Array>;
}

/**
 * Builds a sequence learner from the registries, like `createLearner` for feedforward tasks:
 * looks the model, rule and optimizer up by name, validates their parameters (unknown names give
 * `UNKNOWN_COMPONENT`, unknown parameters `UNKNOWN_PARAM`, bad values `BAD_PARAM`), checks that
 * the rule can train the model and that both work on sequences, and initialises from `seed`.
 *
 * @example
 * ```ts
 * const learner = createSequenceLearner(
 *   { model: { name: 'influence-chain' }, rule: { name: 'tbptt', k: 10 }, optimizer: { name: 'sgd', lr: 1e-4 } },
 *   { inputs: 1, outputs: 1, loss: 'mse' }, 0, 1);
 * ```
 */
export function createSequenceLearner(cfg: LearnerConfig, shape: SequenceShape, seed: number, rows: number): SequenceLearner {
  const { model, rule, optimizer, modelParams, ruleParams, optParams } = resolveLearnerConfig(cfg);
  const build = sequenceModelOf(model.impl);
  if (build === undefined) {
    throw new CredoError('SPEC_INVALID', `model ${model.info.name} is not a sequence model`, { field: 'model.name', value: model.info.name, allowed: sequenceNames('model').join(', ') });
  }
  const seqRule = sequenceRuleOf(rule.impl);
  if (seqRule === undefined) {
    throw new CredoError('SPEC_INVALID', `rule ${rule.info.name} cannot train sequence models`, { field: 'rule.name', value: rule.info.name, allowed: sequenceNames('rule').join(', ') });
  }
  checkShape(shape);
  if (!Number.isSafeInteger(seed)) throw new CredoError('BAD_PARAM', 'seed must be a safe integer', { field: 'seed', value: seed });
  if (!Number.isSafeInteger(rows) || rows < 1) throw new CredoError('BAD_PARAM', 'rows must be a positive integer', { field: 'train.batch', value: rows });
  const cell = build.build({ params: modelParams, shape, seed });
  return new SequenceLearnerImpl(cell, rule.info.name, seqRule, ruleParams, optimizer.impl.create(optParams), seed, rows);
}

function sequenceNames(kind: 'model' | 'rule'): string[] {
  return kind === 'model'
    ? modelRegistry.names().filter((n) => sequenceModelOf(modelRegistry.get(n).impl) !== undefined)
    : ruleRegistry.names().filter((n) => sequenceRuleOf(ruleRegistry.get(n).impl) !== undefined);
}

function checkShape(shape: SequenceShape): void {
  for (const k of ['inputs', 'outputs'] as const) {
    const v = shape[k];
    if (!Number.isSafeInteger(v) || v < 1) throw new CredoError('SHAPE_MISMATCH', 'must be a positive integer', { field: `shape.${k}`, value: v });
  }
  if (shape.loss !== 'mse' && shape.loss !== 'softmax-ce') {
    throw new CredoError('BAD_PARAM', 'unknown loss', { field: 'shape.loss', value: shape.loss, allowed: 'mse, softmax-ce' });
  }
  if (shape.loss === 'softmax-ce' && shape.outputs < 2) {
    throw new CredoError('SHAPE_MISMATCH', 'softmax-ce needs at least 2 outputs', { field: 'shape.outputs', value: shape.outputs });
  }
}

class SequenceLearnerImpl implements SequenceLearner {
  readonly rows: number;
  readonly ruleName: string;
  readonly cell: RecurrentCell;
  private readonly rule: SequenceRule;
  private readonly ruleParams: Params;
  private readonly seed: number;
  private readonly updater: ParamUpdater;
  private readonly unroll: Unroll;
  private readonly state: SequenceRuleState;
  private readonly evalUnrolls = new Map<number, { u: Unroll; fwd: SequenceForward | undefined }>();

  constructor(cell: RecurrentCell, ruleName: string, rule: SequenceRule, ruleParams: Params, optimizer: Optimizer, seed: number, rows: number) {
    this.cell = cell;
    this.ruleName = ruleName;
    this.rule = rule;
    this.ruleParams = ruleParams;
    this.seed = seed;
    this.rows = rows;
    this.updater = new ParamUpdater(cell, optimizer);
    this.unroll = new Unroll(cell, rows);
    this.state = this.initRule(rule, rows, this.updater, Rng.derive(seed, 'rule/noise'));
    this.state.reset(this.unroll);
  }

  reset(): void {
    this.unroll.reset();
    this.state.reset(this.unroll);
  }

  step(x: Float32Array, target: Float32Array, mask?: Float32Array): number {
    const c = this.cell, rows = this.rows;
    // Checked here once for every rule (reading past a typed array's end gives undefined → NaN).
    if (x.length < rows * c.inputs || target.length < rows * c.outputs || (mask !== undefined && mask.length < rows)) {
      throw new CredoError('SHAPE_MISMATCH', `a step needs rows × inputs = ${rows * c.inputs} inputs, rows × outputs = ${rows * c.outputs} targets and ${rows} mask values`, {
        field: 'step', value: { x: x.length, target: target.length, mask: mask?.length },
      });
    }
    return this.state.step(this.unroll, x, target, mask);
  }

  endSegment(): void {
    this.state.endSegment(this.unroll);
  }

  evaluate(batch: SequenceBatch): SequenceEvaluation {
    this.checkBatch(batch);
    this.state.sync?.();
    const { rows } = batch;
    let e = this.evalUnrolls.get(rows);
    if (e === undefined) {
      const u = new Unroll(this.cell, rows);
      e = { u, fwd: this.rule.forward?.({ cell: this.cell, rows, params: this.ruleParams }) };
      this.evalUnrolls.set(rows, e);
    }
    const { u, fwd } = e;
    const c = this.cell, I = c.inputs, O = c.outputs;
    u.reset();
    fwd?.reset(u);
    let loss = 0, count = 0, wrong = 0;
    const classify = c.loss === 'softmax-ce';
    for (let t = 0; t < batch.steps; t++) {
      const x = batch.x.subarray(t * rows * I, (t + 1) * rows * I);
      if (fwd === undefined) u.advance(x);
      else fwd.advance(u, x);
      const y = batch.y.subarray(t * rows * O, (t + 1) * rows * O);
      const mask = batch.mask?.subarray(t * rows, (t + 1) * rows);
      loss += u.loss(y, mask);
      for (let r = 0; r < rows; r++) {
        const m = mask === undefined ? 1 : mask[r]!;
        if (m === 0) continue;
        count += m;
        if (classify && argmax(u.y, r * O, O) !== argmax(y, r * O, O)) wrong += m;
      }
    }
    return { loss: count > 0 ? loss / count : 0, error: classify ? (count > 0 ? wrong / count : 0) : Number.NaN, count };
  }

  gradientEstimate(batch: SequenceBatch, draw = 0): Float32Array {
    return this.runFrozen(this.rule, this.ruleParams, batch, Rng.derive(this.seed, `rule/probe/${draw}`)).total;
  }

  exactGradient(batch: SequenceBatch): Float32Array {
    const rng = Rng.derive(this.seed, 'rule/probe/exact');
    const own = this.rule.exact;
    if (this.rule.forward !== undefined && own !== undefined) return this.runFrozen(this.rule, own(this.ruleParams, batch.steps), batch, rng).total;
    return this.runFrozen(bpttRule.sequence, {}, batch, rng).total;
  }

  probe(batch: SequenceBatch): Record<string, number> {
    if (this.rule.isReference) return {};
    const exact = this.exactGradient(batch);
    const draws = this.rule.stochastic ? PROBE_DRAWS : 1;
    let blocks: readonly number[] | undefined;
    const est: Float32Array[] = [];
    for (let k = 0; k < draws; k++) {
      const r = this.runFrozen(this.rule, this.ruleParams, batch, Rng.derive(this.seed, `rule/probe/${k}`));
      est.push(r.total);
      blocks = r.blocks;
    }
    const idx = coordinates(this.cell, blocks);
    const g = gather(exact, idx);
    const ests = est.map((e) => gather(e, idx));
    const mean = new Float64Array(idx.length);
    for (const e of ests) for (let i = 0; i < idx.length; i++) mean[i] = mean[i]! + e[i]! / draws;
    const gNorm2 = sumSq(g);
    const out: Record<string, number> = {};
    let angle = 0, nAngle = 0;
    for (const e of ests) {
      const a = angleDegrees(e, g);
      if (!Number.isNaN(a)) {
        angle += a;
        nAngle++;
      }
    }
    if (nAngle > 0) out[`angle/${this.ruleName}_exact`] = angle / nAngle;
    if (gNorm2 > 0) {
      let bias = 0;
      for (let i = 0; i < idx.length; i++) bias += (mean[i]! - g[i]!) ** 2;
      out[`gradbias/${this.ruleName}`] = Math.sqrt(bias / gNorm2);
      if (this.rule.stochastic) {
        let v = 0;
        for (const e of ests) for (let i = 0; i < idx.length; i++) v += (e[i]! - mean[i]!) ** 2;
        out[`gradvar/${this.ruleName}`] = v / (draws - 1) / gNorm2;
      }
    }
    return out;
  }

  metrics(): Record<string, number> {
    if (this.cell.metrics !== undefined) this.state.sync?.();
    return { 'memory/floats': this.state.memoryFloats(), ...(this.cell.metrics?.() ?? {}) };
  }

  parameters(): Record<string, Float32Array> {
    this.state.sync?.();
    const out: Record<string, Float32Array> = {};
    for (const b of this.cell.blocks) out[b.name] = this.cell.theta.subarray(b.offset, b.offset + b.rows * b.cols);
    return Object.assign(out, this.cell.readout);
  }

  private initRule(rule: SequenceRule, rows: number, updater: ParamUpdater, rng: Rng, params = this.ruleParams): SequenceRuleState {
    return rule.init({ cell: this.cell, rows, params, rng, updater, feedbackRng: Rng.derive(this.seed, 'rule/feedback') });
  }

  /** Runs `rule` over `batch` from reset with every commit summed instead of applied. */
  private runFrozen(rule: SequenceRule, params: Params, batch: SequenceBatch, rng: Rng): { total: Float32Array; blocks: readonly number[] | undefined } {
    this.checkBatch(batch);
    this.state.sync?.();
    const updater = new ParamUpdater(this.cell);
    const u = new Unroll(this.cell, batch.rows);
    const state = this.initRule(rule, batch.rows, updater, rng, params);
    const { rows } = batch, I = this.cell.inputs, O = this.cell.outputs;
    state.reset(u);
    for (let t = 0; t < batch.steps; t++) {
      state.step(
        u, batch.x.subarray(t * rows * I, (t + 1) * rows * I), batch.y.subarray(t * rows * O, (t + 1) * rows * O),
        batch.mask?.subarray(t * rows, (t + 1) * rows),
      );
    }
    state.endSegment(u);
    return { total: updater.totalTheta, blocks: state.trainedBlocks };
  }

  private checkBatch(b: SequenceBatch): void {
    const c = this.cell;
    const ok = Number.isSafeInteger(b.steps) && b.steps >= 1 && Number.isSafeInteger(b.rows) && b.rows >= 1
      && b.x.length >= b.steps * b.rows * c.inputs && b.y.length >= b.steps * b.rows * c.outputs
      && (b.mask === undefined || b.mask.length >= b.steps * b.rows);
    if (!ok) throw new CredoError('SHAPE_MISMATCH', `sequence batch does not match ${c.inputs} inputs and ${c.outputs} outputs`, { field: 'batch', value: { steps: b.steps, rows: b.rows } });
  }
}

function argmax(a: Float32Array, o: number, n: number): number {
  let best = 0;
  for (let j = 1; j < n; j++) if (a[o + j]! > a[o + best]!) best = j;
  return best;
}

/** Indices into θ of the given blocks (all blocks when undefined). */
function coordinates(cell: RecurrentCell, blocks: readonly number[] | undefined): Int32Array {
  const bs = blocks === undefined ? cell.blocks : blocks.map((i) => cell.blocks[i]!);
  const out: number[] = [];
  for (const b of bs) for (let i = 0; i < b.rows * b.cols; i++) out.push(b.offset + i);
  return Int32Array.from(out);
}

function gather(a: Float32Array, idx: Int32Array): Float64Array {
  const out = new Float64Array(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = a[idx[i]!]!;
  return out;
}

function sumSq(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return s;
}

