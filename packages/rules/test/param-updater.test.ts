import { describe, expect, it } from 'vitest';
import { ParamUpdater, RnnCell, sgdOptimizer } from '@credo/rules';
import { Rng, sgdStep } from '@credo/tensor';

describe('ParamUpdater.commit with blocks', () => {
  // θ = (Wt, Ut, b): the rtrl rule with influence over W steps block 0 and leaves U and b.
  const cell = () => new RnnCell({ params: { hidden: 5, alpha: 1, init: 'uniform-fanin', gain: 1 }, shape: { inputs: 3, outputs: 2, loss: 'mse' }, seed: 4 });

  for (const [name, opt] of [['plain SGD', { lr: 0.1, momentum: 0, weightDecay: 0 }], ['momentum', { lr: 0.1, momentum: 0.9, weightDecay: 0 }]] as const) {
    it(`${name}: steps the listed blocks, leaves the others' parameters, and clears every gradient`, () => {
      for (const blocks of [[0], [1], [0, 2], [2, 0]]) {
        const c = cell();
        const up = new ParamUpdater(c, sgdOptimizer.create(opt));
        const before = Float32Array.from(c.theta);
        for (let rep = 0; rep < 2; rep++) {
          Rng.derive(rep, 'updater-grad').fillNormal(up.gTheta, 0, 1);
          const g = Float32Array.from(up.gTheta);
          const want = Float32Array.from(c.theta);
          for (const i of blocks) {
            const b = c.blocks[i]!, len = b.rows * b.cols;
            if (opt.momentum === 0) sgdStep(len, opt.lr, g.subarray(b.offset, b.offset + len), want.subarray(b.offset, b.offset + len));
          }
          up.commit(blocks);
          expect(Array.from(up.gTheta).every((v) => v === 0), `${blocks}: gradient cleared`).toBe(true);
          for (const [i, b] of c.blocks.entries()) {
            const len = b.rows * b.cols;
            const got = Array.from(c.theta.subarray(b.offset, b.offset + len));
            if (!blocks.includes(i)) expect(got, `${blocks}: block ${b.name} untouched`).toEqual(Array.from(before.subarray(b.offset, b.offset + len)));
            else if (opt.momentum === 0) expect(got, `${blocks}: block ${b.name} stepped`).toEqual(Array.from(want.subarray(b.offset, b.offset + len)));
            else expect(got, `${blocks}: block ${b.name} moved`).not.toEqual(Array.from(before.subarray(b.offset, b.offset + len)));
          }
        }
      }
    });
  }
});
