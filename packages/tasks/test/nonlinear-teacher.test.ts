import { describe, expect, it } from 'vitest';
import { resolveParams } from '@credo/core';
import { createLearner } from '@credo/rules';
import { taskRegistry, type SupervisedTask, type TaskImpl } from '@credo/tasks';

function make(given: Record<string, unknown> = {}): SupervisedTask {
  const { info, impl } = taskRegistry.get('nonlinear-teacher');
  return (impl as TaskImpl).create(resolveParams(info.params, given, 'task'), 0);
}

/** Mean ½‖y − t‖² of the best affine map x → y (least squares in float64, normal equations). */
function linearFitMse(task: SupervisedTask): number {
  const { x, y, n } = task.train;
  const d = task.inputs + 1, o = task.outputs;
  const A = new Float64Array(d * d), Bm = new Float64Array(d * o);
  for (let r = 0; r < n; r++) {
    const row = [...x.subarray(r * task.inputs, (r + 1) * task.inputs), 1];
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) A[i * d + j]! += row[i]! * row[j]!;
      for (let k = 0; k < o; k++) Bm[i * o + k]! += row[i]! * (y as Float32Array)[r * o + k]!;
    }
  }
  // Gauss–Jordan on [A | B]
  for (let c = 0; c < d; c++) {
    const piv = A[c * d + c]!;
    for (let j = 0; j < d; j++) A[c * d + j]! /= piv;
    for (let k = 0; k < o; k++) Bm[c * o + k]! /= piv;
    for (let r = 0; r < d; r++) {
      if (r === c) continue;
      const f = A[r * d + c]!;
      for (let j = 0; j < d; j++) A[r * d + j]! -= f * A[c * d + j]!;
      for (let k = 0; k < o; k++) Bm[r * o + k]! -= f * Bm[c * o + k]!;
    }
  }
  let loss = 0;
  for (let r = 0; r < n; r++) {
    const row = [...x.subarray(r * task.inputs, (r + 1) * task.inputs), 1];
    for (let k = 0; k < o; k++) {
      let p = 0;
      for (let i = 0; i < d; i++) p += row[i]! * Bm[i * o + k]!;
      loss += 0.5 * (p - (y as Float32Array)[r * o + k]!) ** 2;
    }
  }
  return loss / n;
}

describe('nonlinear-teacher task', () => {
  it('is a 30 → 10 regression whose data depend on teacherSeed only', () => {
    const a = make(), b = make(), c = make({ teacherSeed: 1 });
    expect([a.inputs, a.outputs, a.loss, a.score, a.train.n, a.test.n]).toEqual([30, 10, 'mse', 'mse', 2000, 500]);
    expect(Array.from(a.train.y.subarray(0, 20))).toEqual(Array.from(b.train.y.subarray(0, 20)));
    expect(Array.from(a.train.y.subarray(0, 20))).not.toEqual(Array.from(c.train.y.subarray(0, 20)));
    // inputs ~ N(0, I)
    const xs = a.train.x;
    const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
    const varr = xs.reduce((s, v) => s + (v - mean) ** 2, 0) / xs.length;
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(varr - 1)).toBeLessThan(0.03);
  });

  it('is genuinely nonlinear: the best affine fit leaves a large share of the target variance', () => {
    const t = make();
    const y = t.train.y as Float32Array;
    let total = 0;
    const o = t.outputs;
    for (let k = 0; k < o; k++) {
      let m = 0;
      for (let r = 0; r < t.train.n; r++) m += y[r * o + k]!;
      m /= t.train.n;
      for (let r = 0; r < t.train.n; r++) total += 0.5 * (y[r * o + k]! - m) ** 2;
    }
    total /= t.train.n;
    const lin = linearFitMse(t);
    expect(lin).toBeGreaterThan(0.1 * total);
    expect(lin).toBeLessThan(total);
  });

  it('30-20-10 and 30-20-10-10 tanh students learn it with bp and fa (train loss falls 3×)', () => {
    const t = make({ train: 1000 });
    for (const hidden of [[20], [20, 10]]) for (const rule of ['bp', 'fa']) {
      const l = createLearner({ model: { name: 'mlp', hidden, activation: 'tanh' }, rule: { name: rule }, optimizer: { name: 'sgd', lr: 0.02 } },
        { inputs: 30, outputs: 10, loss: 'mse' }, 1);
      const full = () => l.predict(t.train.x, t.train.n).reduce((s, v, i) => s + 0.5 * (v - (t.train.y as Float32Array)[i]!) ** 2, 0) / t.train.n;
      const start = full();
      for (let epoch = 0; epoch < 30; epoch++) {
        for (let r = 0; r < t.train.n; r += 10) l.trainStep(t.train.x.subarray(r * 30, (r + 10) * 30), (t.train.y as Float32Array).subarray(r * 10, (r + 10) * 10), 10);
      }
      expect(full(), `${rule} ${hidden}`).toBeLessThan(start / 3);
    }
  });
});
