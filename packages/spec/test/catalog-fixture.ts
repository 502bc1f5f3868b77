import type { Catalog, ComponentInfo, ComponentKind } from '@credo/core';

/**
 * A small catalog written out by hand: the spec package validates against whatever catalog it
 * is given, so its tests need components with known schemas, not the real rule library.
 */
export const COMPONENTS: readonly ComponentInfo[] = [
  {
    kind: 'task', name: 'mnist', description: 'handwritten digits',
    params: {
      train: { type: 'integer', min: 1, default: 60000, description: 'training examples' },
      test: { type: 'integer', min: 1, default: 10000, description: 'test examples' },
    },
  },
  {
    kind: 'task', name: 'teacher', description: 'linear teacher (has a required parameter)',
    params: { dim: { type: 'integer', min: 1, description: 'input dimension' } },
  },
  {
    kind: 'model', name: 'mlp', description: 'multi-layer perceptron',
    params: {
      hidden: { type: 'integer[]', min: 1, default: [256], description: 'hidden layer sizes' },
      activation: { type: 'enum', values: ['tanh', 'relu'], default: 'tanh', description: 'nonlinearity' },
    },
  },
  {
    kind: 'model', name: 'rnn', description: 'vanilla recurrent net',
    params: { hidden: { type: 'integer', min: 1, default: 32, description: 'state size' } },
  },
  { kind: 'rule', name: 'bp', description: 'backprop', params: {} },
  {
    kind: 'rule', name: 'fa', description: 'feedback alignment',
    params: { scale: { type: 'number', min: 0, exclusiveMin: true, default: 1, description: 'feedback scale' } },
  },
  {
    kind: 'rule', name: 'dfa', description: 'direct feedback alignment',
    params: { scale: { type: 'number', min: 0, exclusiveMin: true, default: 1, description: 'feedback scale' } },
  },
  { kind: 'rule', name: 'rtrl', description: 'real-time recurrent learning', params: {}, models: ['rnn'] },
  {
    kind: 'optimizer', name: 'sgd', description: 'stochastic gradient descent',
    params: {
      lr: { type: 'number', min: 0, exclusiveMin: true, default: 0.1, description: 'learning rate' },
      momentum: { type: 'number', min: 0, max: 1, default: 0, description: 'momentum' },
    },
  },
  {
    kind: 'optimizer', name: 'adam', description: 'Adam',
    params: { lr: { type: 'number', min: 0, exclusiveMin: true, default: 0.001, description: 'learning rate' } },
  },
];

export function makeCatalog(components: readonly ComponentInfo[] = COMPONENTS): Catalog {
  return {
    get: (kind: ComponentKind, name: string) => components.find((c) => c.kind === kind && c.name === name),
    list: (kind: ComponentKind) => components.filter((c) => c.kind === kind),
  };
}

export const catalog = makeCatalog();
