/**
 * @module @credo/tasks
 * Data sets and task generators, registered by name. A task gives a trial its train and test
 * sets, input/output sizes, loss and test score.
 *
 * @example
 * ```ts
 * import { taskRegistry } from '@credo/tasks';
 * const { impl } = taskRegistry.get('mnist');
 * const task = impl.create({ train: 10000, test: 2000 }, 0);
 * ```
 */
import { Registry } from '@credo/rules';
import { linearTeacherInfo, linearTeacherTask } from './linear-teacher.js';
import { mnistInfo, mnistTask } from './mnist-task.js';
import { nonlinearTeacherInfo, nonlinearTeacherTask } from './nonlinear-teacher.js';
import type { TaskImpl } from './task.js';
import { addTask, addTaskInfo } from './add-task.js';
import { anbnTask, anbnTaskInfo } from './anbn-task.js';
import { copyTask, copyTaskInfo } from './copy-task.js';
import { influenceBalancingInfo, influenceBalancingTask } from './influence-balancing.js';
import type { SequenceTaskImpl } from './sequence-task.js';

/** Supervised tasks (`TaskImpl`) and sequence tasks (`SequenceTaskImpl`, `kind: 'sequence'`). */
export const taskRegistry = new Registry<TaskImpl | SequenceTaskImpl>('task');
taskRegistry.register(mnistInfo, mnistTask);
taskRegistry.register(linearTeacherInfo, linearTeacherTask);
taskRegistry.register(nonlinearTeacherInfo, nonlinearTeacherTask);
taskRegistry.register(influenceBalancingInfo, influenceBalancingTask);
taskRegistry.register(addTaskInfo, addTask);
taskRegistry.register(copyTaskInfo, copyTask);
taskRegistry.register(anbnTaskInfo, anbnTask);

export { readIdx, type IdxArray } from './idx.js';
export { loadMnist, mnistDir, MNIST_PIXELS, MNIST_TEST, MNIST_TRAIN } from './mnist.js';
export type { Dataset, SupervisedTask, TaskImpl, TaskScore } from './task.js';
export { emptyBatch, rowOf, StreamSource, type SequenceSource, type SequenceTask, type SequenceTaskImpl } from './sequence-task.js';
export { influenceBalancingInfo, influenceBalancingTask } from './influence-balancing.js';
export { addTask, addTaskInfo } from './add-task.js';
export { copyTask, copyTaskInfo } from './copy-task.js';
export { anbnTask, anbnTaskInfo } from './anbn-task.js';
