import type { Params } from '@credo/core';

/** Rows of inputs with their targets: labels (Int32Array) for classification, rows×outputs floats for regression. */
export interface Dataset {
  readonly x: Float32Array;
  readonly y: Int32Array | Float32Array;
  readonly n: number;
}

/**
 * A supervised problem as a trial sees it: fixed train and test sets, the network's input and
 * output sizes, the loss the learner minimizes and how the test set is scored.
 */
export interface SupervisedTask {
  readonly inputs: number;
  readonly outputs: number;
  readonly loss: 'softmax-ce' | 'mse';
  /** `error` = fraction misclassified (argmax, ties to the lowest index); `mse` = mean ½‖y−t‖². */
  readonly score: 'error' | 'mse';
  readonly train: Dataset;
  readonly test: Dataset;
}

/** How a task's test set is scored (`test/<score>`; lower is better): error rate, mean ½‖y−t‖², or mean loss. */
export type TaskScore = 'error' | 'mse' | 'loss';

/** What a registered task provides: a factory from resolved params and the trial seed. */
export interface TaskImpl {
  /** Absent for supervised tasks; sequence tasks (`SequenceTaskImpl`) say `'sequence'`. */
  readonly kind?: 'supervised';
  /** Known without building the task, so that leaderboards can name the metric up front. */
  readonly score: SupervisedTask['score'];
  create(params: Params, seed: number): SupervisedTask;
}
