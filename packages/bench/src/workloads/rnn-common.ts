import { createSequenceLearner, type SequenceLearner } from '@credo/rules';
import { Rng } from '@credo/tensor';
import type { BenchContext } from '../workload.js';

/** perf-baseline §4.3: input I = 8, output O = 8, lr 0.01, BPTT sequences of T = 100. */
export const RNN_IN = 8;
export const RNN_OUT = 8;
export const RNN_LR = 0.01;
export const RNN_T = 100;
/** Untimed online steps on the timed learner, as torch's `bench_online` (min(steps per rep, 20)). */
export const ONLINE_WARMUP = 20;
/**
 * Least seconds of untimed work on a throwaway learner before each measurement: V8 tiers code up
 * over the first few hundred milliseconds, and after the baseline's few warm-up steps alone the
 * first timed reps ran 3–5× slow. {@link timeFresh} goes on until the speed has stopped improving.
 */
export const WARMUP_SECONDS = 0.3;
/** Most seconds of that warm-up, for the slow sizes (one block of units can take seconds there). */
export const WARMUP_MAX_SECONDS = 3;

/**
 * A vanilla rnn (α = 1, init U(±1/√fan_in), perf-baseline §4.3) on a regression readout with the
 * given temporal rule and plain SGD, through the library's own path (`createSequenceLearner`).
 */
export function rnnLearner(N: number, rule: Record<string, unknown> & { name: string }, lr: number, rows: number): SequenceLearner {
  return createSequenceLearner(
    { model: { name: 'rnn', hidden: N, alpha: 1, init: 'uniform-fanin', gain: 1 }, rule: rule as never, optimizer: { name: 'sgd', lr, momentum: 0, weightDecay: 0 } },
    { inputs: RNN_IN, outputs: RNN_OUT, loss: 'mse' }, 0, rows,
  );
}

/** x_t ~ N(0,1)⁸ and y*_t ~ N(0,1)⁸ for `steps` steps of `rows` rows (values do not affect speed). */
export function rnnData(steps: number, rows: number): { x: Float32Array; y: Float32Array } {
  const rng = Rng.derive(1000, 'bench/rnn');
  const x = new Float32Array(steps * rows * RNN_IN), y = new Float32Array(steps * rows * RNN_OUT);
  rng.fillNormal(x, 0, 1);
  rng.fillNormal(y, 0, 1);
  return { x, y };
}

/** Least-squares slope of log t against log N (perf-baseline §4.3 "Exponents"). */
export function fitExponent(ns: readonly number[], ts: readonly number[]): number {
  const x = ns.map(Math.log), y = ts.map(Math.log);
  const mx = x.reduce((a, b) => a + b, 0) / x.length, my = y.reduce((a, b) => a + b, 0) / y.length;
  let sxy = 0, sxx = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
  }
  return sxy / sxx;
}

/**
 * Emits `<name>_scaling` for each named set of sizes present in `res` (N → seconds per step): the
 * fitted exponent plus the consecutive-pair slopes, as the torch harness does.
 */
export function emitScaling(ctx: BenchContext, workload: string, impl: string, res: ReadonlyMap<number, number>, sets: Record<string, readonly number[]>, expected: number): void {
  for (const [label, sizes] of Object.entries(sets)) {
    const ns = sizes.filter((n) => res.has(n));
    if (ns.length < 2) continue;
    const ts = ns.map((n) => res.get(n)!);
    const local = ns.slice(1).map((b, i) => Math.round((Math.log(ts[i + 1]! / ts[i]!) / Math.log(b / ns[i]!)) * 1000) / 1000);
    ctx.emit({
      workload, impl, params: { N: ns, fit: 'least squares log t vs log N', set: label, expected },
      metric: 'exponent', value: fitExponent(ns, ts), unit: '', local_exponents: local,
    });
  }
}

/** Seconds of CPU this process used (user + system): beside wall time, it shows when a sample was slowed by other load. */
export function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * The torch harness's timing protocol (bench-torch/rnn.py `bench_online`, `bench_bptt`) for a
 * learner built by `make`: `warmup` untimed units on a fresh learner, then `reps` timed
 * repetitions of `units` units, continuing on that same learner. A unit is whatever `unit(learner,
 * i)` does (one online step, one BPTT training step), with i counting units within the warm-up and
 * within each rep. Returns wall-clock seconds per unit of each rep (the metric) and this process's
 * CPU seconds per unit of each rep (on a loaded machine wall ≫ CPU shows interference).
 *
 * Why throwaway learners first: the JIT needs {@link WARMUP_SECONDS} or more of work (at least
 * `warmup` units) to reach steady code, but a learner trained that long on random targets is a different
 * workload: tens of thousands of SGD steps saturate the tanh units and the RTRL influence matrix
 * fills with denormal floats (about 8% of steps at N = 16, each several times slower on Intel), so
 * samples swung 7–17 µs. Torch times a model after only 20 online steps (1 BPTT step), so the
 * measured learner is fresh and sees exactly the baseline's warm-up.
 *
 * @example
 * ```ts
 * const { wall } = timeFresh(() => rnnLearner(16, { name: 'rtrl', influence: 'W' }, RNN_LR, 1),
 *   (l, t) => l.step(xs[t % 100]!, ys[t % 100]!), 100, 5, 20, now);
 * ```
 */
export function timeFresh<L>(make: () => L, unit: (learner: L, i: number) => void, units: number, reps: number, warmup: number,
  now: () => number): { wall: number[]; cpu: number[] } {
  // Blocks of `units` units, each on a new throwaway learner, until the fastest block is at least
  // half the warm-up old. A new learner takes first-step paths (UORO loads θ on its first step) that
  // one long-lived learner exercises only once, before its code is optimized: the timed learner then
  // deoptimized the hot step function, and on a loaded machine (the optimizing compiler is a
  // background thread) it ran 4–15× slow for the first 300–1000 steps (UORO at N = 32: 20–80 µs,
  // then 5). A fixed 0.3 s is not always enough for the compiler either.
  const w0 = now();
  let best = Infinity, tBest = w0;
  for (let i = 0; ;) {
    const jit = make();
    const b0 = now();
    for (let u = 0; u < units; u++, i++) unit(jit, u);
    const t = now();
    if (t - b0 < 0.97 * best) {
      best = t - b0;
      tBest = t;
    }
    const age = t - w0;
    if (i >= warmup && ((age >= WARMUP_SECONDS && t - tBest >= age / 2) || age >= WARMUP_MAX_SECONDS)) break;
  }
  const learner = make();
  for (let i = 0; i < warmup; i++) unit(learner, i);
  const wall: number[] = [], cpu: number[] = [];
  for (let r = 0; r < reps; r++) {
    const c0 = cpuSeconds(), t0 = now();
    for (let i = 0; i < units; i++) unit(learner, i);
    wall.push((now() - t0) / units);
    cpu.push((cpuSeconds() - c0) / units);
  }
  return { wall, cpu };
}

/**
 * Seconds per online step (batch 1) of learners built by `make`, with {@link timeFresh}'s protocol
 * as torch's `bench_online` runs it: min(`steps`, `warmup`) untimed steps on data steps 0, 1, …,
 * then `reps` reps of data steps 0 … `steps` − 1 (the same `steps` inputs and targets every rep).
 *
 * @example
 * ```ts
 * const { wall } = timeOnline(() => rnnLearner(16, { name: 'uoro' }, RNN_LR, 1), 100, 5, 20, now);
 * ```
 */
export function timeOnline(make: () => SequenceLearner, steps: number, reps: number, warmup: number, now: () => number): { wall: number[]; cpu: number[] } {
  const { x, y } = rnnData(steps, 1);
  const xs = Array.from({ length: steps }, (_, t) => x.subarray(t * RNN_IN, (t + 1) * RNN_IN));
  const ys = Array.from({ length: steps }, (_, t) => y.subarray(t * RNN_OUT, (t + 1) * RNN_OUT));
  return timeFresh(make, (l, t) => {
    l.step(xs[t % steps]!, ys[t % steps]!);
  }, steps, reps, Math.min(steps, warmup), now);
}
