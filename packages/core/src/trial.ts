import type { ParamSchema, ParamValue } from './params.js';

/** The kinds of registered components a trial is assembled from. */
export type ComponentKind = 'task' | 'model' | 'rule' | 'optimizer';
export const COMPONENT_KINDS: readonly ComponentKind[] = ['task', 'model', 'rule', 'optimizer'];

/** A component selection: its registered name plus its fully resolved parameters. */
export type ComponentConfig = Readonly<{ name: string } & Record<string, ParamValue>>;

/**
 * One fully resolved configuration: the unit of work. Every parameter has its final value
 * (defaults filled), so the canonical JSON of this object identifies the trial.
 */
export interface TrialConfig {
  readonly task: ComponentConfig;
  readonly model: ComponentConfig;
  readonly rule: ComponentConfig;
  readonly optimizer: ComponentConfig;
  readonly train: TrainConfig;
  readonly seed: number;
}

export interface TrainConfig {
  readonly epochs: number;
  readonly batch: number;
  readonly logEvery: number;
  readonly evalEvery: number;
  readonly timeoutSec: number;
}

/** Parameters of the training loop itself, validated like any component's. */
export const TRAIN_SCHEMA: ParamSchema = {
  epochs: { type: 'integer', min: 1, default: 1, description: 'passes over the training set' },
  batch: { type: 'integer', min: 1, default: 32, description: 'minibatch size (1 = online learning)' },
  logEvery: { type: 'integer', min: 1, default: 100, description: 'steps between train/loss (and diagnostic) points' },
  evalEvery: { type: 'integer', min: 0, default: 0, description: 'steps between test evaluations; 0 = at the end of each epoch' },
  timeoutSec: { type: 'number', min: 0, default: 0, description: 'wall-clock limit per trial in seconds; 0 = none' },
};

/** Final states of a trial. `diverged` is a result (NaN/Inf), not a crash. */
export type TrialStatus = 'pending' | 'running' | 'done' | 'failed' | 'diverged' | 'cancelled' | 'timeout';
export const FINAL_STATUSES: readonly TrialStatus[] = ['done', 'failed', 'diverged', 'cancelled', 'timeout'];

/** One point of one metric of one trial. `step` counts optimizer steps (samples seen / batch). */
export interface MetricPoint {
  readonly name: string;
  readonly step: number;
  readonly value: number;
  /** Milliseconds since the epoch when the point was produced. */
  readonly time: number;
}
