import type { ComponentInfo } from '@credo/core';
import { Rng } from '@credo/tensor';
import type { Dataset, TaskImpl } from './task.js';

export const linearTeacherInfo: ComponentInfo = {
  kind: 'task',
  name: 'linear-teacher',
  description: "Lillicrap et al. 2016's linear teacher: learn y = T·x with x ~ N(0, I), T ~ U(−1, 1), MSE loss",
  reference: 'papers.md §1 (Lillicrap, Cownden, Tweed & Akerman 2016, Fig. 2)',
  params: {
    inputs: { type: 'integer', min: 1, default: 30, description: 'input dimension' },
    outputs: { type: 'integer', min: 1, default: 10, description: 'output dimension' },
    train: { type: 'integer', min: 1, default: 2000, description: 'training examples' },
    test: { type: 'integer', min: 1, default: 500, description: 'test examples' },
    teacherSeed: { type: 'integer', min: 0, default: 0, description: 'seed of T and of the data, shared by all trial seeds so that they solve the same problem' },
  },
};

function sample(rng: Rng, t: Float32Array, nIn: number, nOut: number, n: number): Dataset {
  const x = new Float32Array(n * nIn);
  rng.fillNormal(x, 0, 1);
  const y = new Float32Array(n * nOut);
  for (let r = 0; r < n; r++) {
    for (let o = 0; o < nOut; o++) {
      let s = 0;
      for (let i = 0; i < nIn; i++) s += t[o * nIn + i]! * x[r * nIn + i]!;
      y[r * nOut + o] = s;
    }
  }
  return { x, y, n };
}

export const linearTeacherTask: TaskImpl = {
  score: 'mse',
  create(params) {
    const nIn = params['inputs'] as number;
    const nOut = params['outputs'] as number;
    const rng = new Rng(params['teacherSeed'] as number);
    const t = new Float32Array(nOut * nIn);
    rng.fillUniform(t, -1, 1);
    const train = sample(rng, t, nIn, nOut, params['train'] as number);
    const test = sample(rng, t, nIn, nOut, params['test'] as number);
    return { inputs: nIn, outputs: nOut, loss: 'mse', score: 'mse', train, test };
  },
};
