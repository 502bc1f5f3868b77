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
import type { TaskImpl } from './task.js';

export const taskRegistry = new Registry<TaskImpl>('task');
taskRegistry.register(mnistInfo, mnistTask);
taskRegistry.register(linearTeacherInfo, linearTeacherTask);

export { readIdx, type IdxArray } from './idx.js';
export { loadMnist, mnistDir, MNIST_PIXELS, MNIST_TEST, MNIST_TRAIN } from './mnist.js';
export type { Dataset, SupervisedTask, TaskImpl } from './task.js';
