import { createLearner, type Learner } from '@credo/rules';
import { loadMnist } from '@credo/tasks';
import { median, now } from '../record.js';
import type { BenchContext, Workload } from '../workload.js';

/** The paper's architectures (papers.md §2.1): no hidden layer, 500, and 500-100. */
const HIDDEN: Record<number, number[]> = { 0: [], 1: [500], 2: [500, 100] };
const MODES = ['spiking', 'nonspiking'] as const;

function makeLearner(hiddenLayers: number, mode: string): Learner {
  return createLearner(
    { model: { name: 'dendritic', hidden: HIDDEN[hiddenLayers]!, mode }, rule: { name: 'guerguiev' }, optimizer: { name: 'sgd', lr: 1 } },
    { inputs: 784, outputs: 10, loss: 'softmax-ce' },
    0,
  );
}

/**
 * Images per second and per core of the segregated-dendrite network (one thread): `dendritic_train`
 * times online training (forward phase + target phase + update per image, as in the paper), and
 * `dendritic_test` the single long test forward phase. Both on real MNIST digits, in spiking and
 * non-spiking mode, for 0, 1 and 2 hidden layers. The wall-clock median is `value`; the CPU-time
 * rate is kept as `cpu_images_per_s`, which is the fairer number on a shared machine.
 *
 * @example
 * ```sh
 * npm run bench -- --only dendritic --quick
 * ```
 */
export const dendriticWorkload: Workload = {
  name: 'dendritic',
  description: 'segregated-dendrite network (Guerguiev et al. 2017): images/s per core, training and test, spiking and non-spiking',
  run(ctx: BenchContext) {
    const train = loadMnist('train', 10_000);
    const labels = train.y as Int32Array;
    const reps = ctx.quick ? 3 : 5;
    for (const mode of MODES) {
      for (const hiddenLayers of [0, 1, 2]) {
        const spiking = mode === 'spiking';
        // About half a second per repetition on one core.
        const perRep = spiking ? (hiddenLayers === 0 ? 400 : 80) : hiddenLayers === 0 ? 20_000 : 2_000;
        const learner = makeLearner(hiddenLayers, mode);
        let next = 0;
        const trainImages = (count: number): void => {
          for (let k = 0; k < count; k++, next = (next + 1) % train.n) {
            learner.trainStep(train.x.subarray(next * 784, (next + 1) * 784), labels.subarray(next, next + 1), 1);
          }
        };
        emit(ctx, 'dendritic_train', hiddenLayers, mode, reps, perRep, trainImages);
        const testCount = Math.max(1, Math.round(perRep / (spiking ? 2.5 : 1)));
        const testImages = (count: number): void => {
          for (let done = 0; done < count; done += train.n) {
            const rows = Math.min(train.n, count - done);
            learner.predict(train.x.subarray(0, rows * 784), rows);
          }
        };
        emit(ctx, 'dendritic_test', hiddenLayers, mode, reps, testCount, testImages);
      }
    }
  },
};

function emit(ctx: BenchContext, workload: string, hiddenLayers: number, mode: string, reps: number, count: number, fn: (count: number) => void): void {
  fn(Math.max(1, Math.round(count / 4))); // warm-up: JIT and buffers
  const wall: number[] = [], cpu: number[] = [];
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage(), t0 = now();
    fn(count);
    const t = now() - t0, c = process.cpuUsage(c0);
    wall.push(count / t);
    cpu.push(count / ((c.user + c.system) / 1e6));
  }
  const value = median(wall);
  ctx.emit({
    workload, impl: 'credo', params: { hidden_layers: hiddenLayers, mode }, metric: 'images_per_s',
    value: Math.round(value * 10) / 10, unit: 'images/s', reps, samples: wall.map((v) => Math.round(v * 10) / 10),
    cpu_images_per_s: Math.round(median(cpu) * 10) / 10, images_per_rep: count,
  });
  ctx.log(`${workload} hidden_layers=${hiddenLayers} ${mode}: ${value.toFixed(1)} images/s (cpu ${median(cpu).toFixed(1)})`);
}
