import type { ComponentInfo } from '@credo/core';
import { Rng } from '@credo/tensor';
import type { Dataset, TaskImpl } from './task.js';

/** Registry entry (name, description, parameter schema) of this component. */
export const nonlinearTeacherInfo: ComponentInfo = {
  kind: 'task',
  name: 'nonlinear-teacher',
  description: "Lillicrap et al. 2016's nonlinear task: learn y = W2·tanh(W1·tanh(W0·x + b0) + b1) + b2 of a random 30-20-10-10 tanh teacher, x ~ N(0, I), MSE loss",
  reference: 'papers.md §1.3 task (3) (Lillicrap, Cownden, Tweed & Akerman 2016)',
  params: {
    inputs: { type: 'integer', min: 1, default: 30, description: 'input dimension' },
    teacherHidden: { type: 'integer[]', min: 1, minLength: 1, default: [20, 10], description: 'hidden widths of the tanh teacher (30-20-10-10: [20, 10])' },
    outputs: { type: 'integer', min: 1, default: 10, description: 'output dimension (linear output units)' },
    teacherBound: {
      type: 'number', min: 0, exclusiveMin: true, default: 1,
      description: 'teacher weights and biases ~ U[−bound, bound] (1, as in the YAGI0423 translation of the preprint)',
    },
    train: { type: 'integer', min: 1, default: 2000, description: 'training examples' },
    test: { type: 'integer', min: 1, default: 500, description: 'test examples' },
    teacherSeed: { type: 'integer', min: 0, default: 0, description: 'seed of the teacher and of the data, shared by all trial seeds so that they solve the same problem' },
  },
};

/** One teacher layer: W (out × in) and b (out), uniform in ±bound. */
interface Layer {
  readonly W: Float64Array;
  readonly b: Float64Array;
  readonly nIn: number;
  readonly nOut: number;
}

function drawTeacher(rng: Rng, sizes: readonly number[], bound: number): Layer[] {
  const layers: Layer[] = [];
  for (let l = 1; l < sizes.length; l++) {
    const nIn = sizes[l - 1]!, nOut = sizes[l]!;
    const W = new Float64Array(nOut * nIn), b = new Float64Array(nOut);
    rng.fillUniform(W, -bound, bound);
    rng.fillUniform(b, -bound, bound);
    layers.push({ W, b, nIn, nOut });
  }
  return layers;
}

/** x ~ N(0, I) rows and the teacher's outputs, computed in float64 and stored as float32. */
function sample(rng: Rng, teacher: readonly Layer[], n: number): Dataset {
  const nIn = teacher[0]!.nIn, nOut = teacher[teacher.length - 1]!.nOut;
  const x = new Float32Array(n * nIn);
  rng.fillNormal(x, 0, 1);
  const y = new Float32Array(n * nOut);
  for (let r = 0; r < n; r++) {
    let h: number[] = Array.from(x.subarray(r * nIn, (r + 1) * nIn));
    teacher.forEach((layer, i) => {
      const a: number[] = [];
      for (let o = 0; o < layer.nOut; o++) {
        let s = layer.b[o]!;
        for (let j = 0; j < layer.nIn; j++) s += layer.W[o * layer.nIn + j]! * h[j]!;
        a.push(i < teacher.length - 1 ? Math.tanh(s) : s);
      }
      h = a;
    });
    y.set(h, r * nOut);
  }
  return { x, y, n };
}

/**
 * The nonlinear function-approximation task of Lillicrap et al. 2016: a fixed random tanh
 * network (hidden widths `teacherHidden`, linear output, biases everywhere) generates the targets
 * of Gaussian inputs; students are typically 30-20-10 or 30-20-10-10 tanh MLPs trained on MSE.
 * The teacher and both data sets come from `teacherSeed` alone (drawn in the order: every layer's
 * W then b, then the training set, then the test set), so every trial seed sees the same problem.
 *
 * @example
 * ```ts
 * const task = nonlinearTeacherTask.create({ inputs: 30, teacherHidden: [20, 10], outputs: 10, teacherBound: 1, train: 2000, test: 500, teacherSeed: 0 }, 0);
 * ```
 */
export const nonlinearTeacherTask: TaskImpl = {
  score: 'mse',
  create(params) {
    const nIn = params['inputs'] as number;
    const nOut = params['outputs'] as number;
    const hidden = params['teacherHidden'] as readonly number[];
    const rng = new Rng(params['teacherSeed'] as number);
    const teacher = drawTeacher(rng, [nIn, ...hidden, nOut], params['teacherBound'] as number);
    const train = sample(rng, teacher, params['train'] as number);
    const test = sample(rng, teacher, params['test'] as number);
    return { inputs: nIn, outputs: nOut, loss: 'mse', score: 'mse', train, test };
  },
};
