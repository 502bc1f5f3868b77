import { createSequenceLearner, type SequenceLearner } from '@credo/rules';
import { Rng } from '@credo/tensor';
import type { BenchContext } from '../workload.js';

/** perf-baseline §4.3: input I = 8, output O = 8, lr 0.01, BPTT sequences of T = 100. */
export const RNN_IN = 8;
export const RNN_OUT = 8;
export const RNN_LR = 0.01;
export const RNN_T = 100;
/**
 * Untimed work before a measurement, in seconds: V8 tiers code up over the first few hundred
 * milliseconds, and the baseline's single warm-up step leaves the first timed reps 3–5× slow.
 */
export const WARMUP_SECONDS = 0.3;

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
 * Seconds per online step of `learner` (batch 1), perf-baseline's protocol: `warmup` untimed steps
 * (and at least {@link WARMUP_SECONDS} of them), then `reps` repetitions of `steps` steps. Returns wall-clock seconds per step of each rep (the
 * metric) and the process's CPU seconds per step of each rep (to judge interference: on a loaded
 * machine wall ≫ CPU).
 */
export function timeOnline(learner: SequenceLearner, steps: number, reps: number, warmup: number, now: () => number): { wall: number[]; cpu: number[] } {
  const { x, y } = rnnData(steps, 1);
  const xs = Array.from({ length: steps }, (_, t) => x.subarray(t * RNN_IN, (t + 1) * RNN_IN));
  const ys = Array.from({ length: steps }, (_, t) => y.subarray(t * RNN_OUT, (t + 1) * RNN_OUT));
  const w0 = now();
  for (let t = 0; t < warmup || now() - w0 < WARMUP_SECONDS; t++) learner.step(xs[t % steps]!, ys[t % steps]!);
  const wall: number[] = [], cpu: number[] = [];
  for (let r = 0; r < reps; r++) {
    const c0 = cpuSeconds(), t0 = now();
    for (let t = 0; t < steps; t++) learner.step(xs[t]!, ys[t]!);
    wall.push((now() - t0) / steps);
    cpu.push((cpuSeconds() - c0) / steps);
  }
  return { wall, cpu };
}
