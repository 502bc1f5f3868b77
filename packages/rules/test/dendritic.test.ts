import { afterEach, describe, expect, it, vi } from 'vitest';
import { CredoError, resolveParams } from '@credo/core';
import {
  createLearner, DENDRITIC_PARAMS, dendriticConfig, dendriticKernel, DendriticNetwork, DendriticPhaseStats, DendriticState, guerguievRule, dendriticInitStats,
  modelRegistry, PspKernel, ruleRegistry, type DendriticWeights, type Learner,
} from '@credo/rules';
import { Rng } from '@credo/tensor';
import { differingTensors, snapshot } from './helpers.js';

const { kappa, poisson, wald } = dendriticKernel;

const SHAPE = { inputs: 20, outputs: 3, loss: 'softmax-ce' } as const;
const SGD1 = { name: 'sgd', lr: 1 };

function learner(model: Record<string, unknown>, seed = 3, rule = 'guerguiev'): Learner {
  return createLearner({ model: { name: 'dendritic', ...model } as never, rule: { name: rule }, optimizer: SGD1 }, SHAPE, seed);
}

function errorOf(f: () => unknown): CredoError {
  try {
    f();
  } catch (e) {
    if (e instanceof CredoError) return e;
    throw e;
  }
  throw new Error('expected a CredoError, got none');
}

/** A fixed stream of images in [0, 1] with ~60% zeros, and labels. */
function data(n: number, seed = 11): { x: Float32Array; y: Int32Array } {
  const rng = new Rng(seed);
  const x = new Float32Array(n * SHAPE.inputs), y = new Int32Array(n);
  for (let i = 0; i < x.length; i++) x[i] = rng.next() < 0.6 ? 0 : rng.next();
  for (let i = 0; i < n; i++) y[i] = rng.int(SHAPE.outputs);
  return { x, y };
}

function train(l: Learner, n: number, opts: { diagnosticsEvery?: number; predictEvery?: number } = {}): Record<string, Float32Array> {
  const { x, y } = data(n);
  for (let i = 0; i < n; i++) {
    const xi = x.subarray(i * SHAPE.inputs, (i + 1) * SHAPE.inputs), yi = y.subarray(i, i + 1);
    if (opts.diagnosticsEvery && i % opts.diagnosticsEvery === 0) l.diagnostics(xi, yi, 1);
    if (opts.predictEvery && i % opts.predictEvery === 0) l.predict(x, 3);
    l.trainStep(xi, yi, 1);
  }
  return snapshot(l);
}

// ---------------------------------------------------------------------------------------------
// A 2-2-2 network with hand-set weights and a "random" generator that always returns u = 0.9, so
// that every Poisson draw is 1 spike when the rate exceeds −ln 0.9 = 0.10536 and 0 otherwise: the
// spike trains become deterministic and the dynamics can be computed by hand (below, by a direct
// transcription of the paper's equations with an explicit convolution instead of traces).
// ---------------------------------------------------------------------------------------------

const U = Math.floor(0.9 * 2 ** 32);
const THRESHOLD = -Math.log(U / 2 ** 32);
const fixedRng = { nextU32: () => U, next: () => 0.9, normal: () => 0 } as unknown as Rng;
// Weights and pixels are stored as float32; the hand computation uses exactly those values.
const f32 = (m: number[][]): number[][] => m.map((r) => r.map(Math.fround));
const W1 = f32([[1.5, -0.5], [0.8, 2.0]]), B1 = f32([[0.1, -0.2]])[0]!;
const W2 = f32([[2.0, -1.0], [-1.5, 1.0]]), B2 = f32([[0.3, 0.1]])[0]!;
const Y1 = f32([[1.0, -2.0], [0.5, 3.0]]);
const X = f32([[1.0, 0.8]])[0]!;
const LABEL = 1;

function tinyNet(params: Record<string, unknown>): { net: DendriticNetwork; w: DendriticWeights; cfg: ReturnType<typeof dendriticConfig> } {
  const cfg = dendriticConfig(resolveParams(DENDRITIC_PARAMS, { hidden: [2], randomPhases: false, ...params }, 'model'), 2, 2);
  // W_l is stored transposed: Wt[j·n + i] = W[i][j].
  const t = (m: number[][]): Float32Array => Float32Array.from([m[0]![0]!, m[1]![0]!, m[0]![1]!, m[1]![1]!]);
  const w: DendriticWeights = {
    Wt: [new Float32Array(0), t(W1), t(W2)],
    b: [new Float32Array(0), Float32Array.from(B1), Float32Array.from(B2)],
    Y: [new Float32Array(0), Float32Array.from(Y1.flat())],
    yMask: [new Uint8Array(0), new Uint8Array(0)],
  };
  return { net: new DendriticNetwork(cfg, w, guerguievRule.dendritic.init({ sizes: cfg.sizes, params: {} })), w, cfg };
}

const sig = (v: number): number => 1 / (1 + Math.exp(-v));
const matvec = (m: number[][], v: number[], b: number[] = [0, 0]): number[] => m.map((row, i) => row[0]! * v[0]! + row[1]! * v[1]! + b[i]!);

/** The paper's equations stepped directly: PSP = explicit convolution of the spike history with κ (truncated at M > 0). */
function referenceSpiking(phaseLen: number, window: number, M: number) {
  const hist: number[][][] = [[], [], []];
  const psp = (k: number, t: number): number[] => {
    const out = [0, 0];
    // M = 0: the untruncated kernel, over the whole history.
    for (let d = 0; (M === 0 || d < M) && t - d >= 0; d++) for (let j = 0; j < 2; j++) out[j]! += kappa(d + 1) * hist[k]![t - d]![j]!;
    return out;
  };
  const Ch = [0, 0], Co = [0, 0];
  const rec = { Ch: [] as number[][], Co: [] as number[][], ro: [] as number[][], A: [] as number[][], p0: [] as number[][], p1: [] as number[][], rates: [] as number[] };
  for (let t = 0; t < 2 * phaseLen; t++) {
    const target = t >= phaseLen;
    hist[0]![t] = X.map((v) => (0.2 * v > THRESHOLD ? 1 : 0));
    const p0 = psp(0, t);
    const Bh = matvec(W1, p0, B1), A = t === 0 ? [0, 0] : matvec(Y1, psp(2, t - 1));
    for (let i = 0; i < 2; i++) Ch[i]! += -0.1 * Ch[i]! + 0.6 * (Bh[i]! - Ch[i]!);
    const rh = Ch.map((c) => 0.2 * sig(c));
    hist[1]![t] = rh.map((r) => (r > THRESHOLD ? 1 : 0));
    const p1 = psp(1, t);
    const Bo = matvec(W2, p1, B2);
    for (let i = 0; i < 2; i++) {
      const gE = i === LABEL ? 1 : 0;
      Co[i]! += -0.1 * Co[i]! + 0.6 * (Bo[i]! - Co[i]!) + (target ? gE * (8 - Co[i]!) + (1 - gE) * (-8 - Co[i]!) : 0);
    }
    const ro = Co.map((c) => 0.2 * sig(c));
    hist[2]![t] = ro.map((r) => (r > THRESHOLD ? 1 : 0));
    rec.Ch.push([...Ch]); rec.Co.push([...Co]); rec.ro.push(ro); rec.A.push(A); rec.p0.push(p0); rec.p1.push(p1);
    rec.rates.push(...rh, ...ro);
  }
  const mean = (rows: number[][], from: number): number[] => [0, 1].map((j) => rows.slice(from, from + window).reduce((s, r) => s + r[j]!, 0) / window);
  const f = phaseLen - window, tw = 2 * phaseLen - window;
  return { rec, CfH: mean(rec.Ch, f), CfO: mean(rec.Co, f), pspIn: mean(rec.p0, f), pspH: mean(rec.p1, f), rateT: mean(rec.ro, tw), Af: mean(rec.A, f), At: mean(rec.A, tw) };
}

describe('dendritic model: registration and parameters', () => {
  it('registers model dendritic and rules guerguiev, dendritic-bp that train only it', () => {
    expect(modelRegistry.has('dendritic')).toBe(true);
    expect(ruleRegistry.get('guerguiev').info.models).toEqual(['dendritic']);
    expect(ruleRegistry.get('dendritic-bp').info.models).toEqual(['dendritic']);
  });

  it('rejects unknown parameters, bad values and impossible combinations, naming the field', () => {
    const cases: [() => unknown, string, string][] = [
      [() => learner({ hiden: [4] }), 'UNKNOWN_PARAM', 'model.hiden'],
      [() => createLearner({ model: { name: 'dendritic' }, rule: { name: 'guerguiev', eta: 0.1 }, optimizer: SGD1 }, SHAPE, 0), 'UNKNOWN_PARAM', 'rule.eta'],
      [() => learner({ mode: 'rate' }), 'BAD_PARAM', 'model.mode'],
      [() => learner({ feedback: 'dense' }), 'BAD_PARAM', 'model.feedback'],
      [() => learner({ hidden: [0] }), 'BAD_PARAM', 'model.hidden'],
      [() => learner({ etaHidden: -0.1 }), 'BAD_PARAM', 'model.etaHidden'],
      [() => learner({ settle: 50 }), 'BAD_PARAM', 'model.settle'],
      [() => learner({ settle: 3, plateauTimes: 'random' }), 'BAD_PARAM', 'model.settle'],
      [() => createLearner({ model: { name: 'dendritic' }, rule: { name: 'guerguiev' }, optimizer: { name: 'sgd', lr: 0.1 } }, SHAPE, 0), 'BAD_PARAM', 'optimizer'],
      [() => createLearner({ model: { name: 'dendritic' }, rule: { name: 'fa' }, optimizer: SGD1 }, SHAPE, 0), 'SPEC_INVALID', 'rule.name'],
      [() => createLearner({ model: { name: 'mlp' }, rule: { name: 'guerguiev' }, optimizer: SGD1 }, SHAPE, 0), 'SPEC_INVALID', 'rule.name'],
      [() => createLearner({ model: { name: 'dendritic' }, rule: { name: 'guerguiev' }, optimizer: SGD1 }, { ...SHAPE, loss: 'mse' }, 0), 'SHAPE_MISMATCH', 'shape.loss'],
    ];
    for (const [f, code, field] of cases) {
      const e = errorOf(f);
      expect([e.code, e.field], e.message).toEqual([code, field]);
    }
    expect(errorOf(() => learner({}).trainStep(Float32Array.from({ length: 20 }, () => -1), Int32Array.of(0), 1)).field).toBe('x');
    expect(errorOf(() => learner({}).trainStep(new Float32Array(20), Int32Array.of(3), 1)).code).toBe('SHAPE_MISMATCH');
  });

  it('initialises weights as the code\'s optimisation says (hand-computed for a fan-in of 784)', () => {
    // W̄ = (3 − 0.8)/(0.05·784·3) = 0.0187075; W_sm = 9.00654/35.28 = 0.255287; W_sd = √(W_sm − W̄²) = 0.504907
    const s = dendriticInitStats(784);
    expect(s.mean).toBeCloseTo(0.0187075, 6);
    expect(s.sd).toBeCloseTo(0.504907, 5);
    const l = createLearner({ model: { name: 'dendritic', hidden: [300] }, rule: { name: 'guerguiev' }, optimizer: SGD1 }, { inputs: 784, outputs: 10, loss: 'softmax-ce' }, 1);
    const p = l.parameters();
    expect(p.W1t!.length).toBe(784 * 300);
    expect(p.Y1!.length).toBe(300 * 10);
    const stats = (a: Float32Array) => {
      const m = a.reduce((s, v) => s + v, 0) / a.length;
      return { m, sd: Math.sqrt(a.reduce((t, v) => t + (v - m) ** 2, 0) / a.length) };
    };
    const w1 = stats(p.W1t!);
    expect(w1.m).toBeCloseTo(s.mean, 2);
    expect(w1.sd).toBeCloseTo(s.sd, 2); // 3.465·U(±½) has SD 1.0003·W_sd
    const spread = p.W1t!.reduce((x, v) => Math.max(x, Math.abs(v - s.mean)), 0);
    expect(spread).toBeLessThanOrEqual((3.465 / 2) * s.sd + 1e-6);
    expect(spread).toBeGreaterThan(0.99 * (3.465 / 2) * s.sd);
    expect(stats(p.b1!).m).toBeCloseTo(0.8, 3);
    const y = stats(p.Y1!), s300 = dendriticInitStats(300);
    expect(y.m).toBeCloseTo(s300.mean, 1);
    expect(y.sd).toBeCloseTo(s300.sd, 1);
    const wide = createLearner({ model: { name: 'dendritic', hidden: [300], init: 'optimized-wide' }, rule: { name: 'guerguiev' }, optimizer: SGD1 }, { inputs: 784, outputs: 10, loss: 'softmax-ce' }, 1);
    expect(stats(wide.parameters().W1t!).sd).toBeCloseTo(2 * s.sd, 2);
  });
});

describe('dendritic model: dynamics and updates against a hand-computed network', () => {
  it('PSP traces reproduce the truncated convolution of the code, and κ(1) by hand', () => {
    expect(kappa(1)).toBeCloseTo((Math.exp(-0.1) - Math.exp(-1 / 3)) / 7, 12);
    expect(kappa(1)).toBeCloseTo(0.0269009, 7);
    for (const M of [10, 3, 0]) {
      const k = new PspKernel(M), rng = new Rng(M);
      const s: number[] = [];
      let tL = 0, tS = 0;
      for (let t = 0; t < 60; t++) {
        s.push(rng.next() < 0.3 ? 1 + rng.int(2) : 0);
        tL = k.decayL * tL + k.addL * s[t]! - (t >= M && M > 0 ? k.dropL * s[t - M]! : 0);
        tS = k.decayS * tS + k.addS * s[t]! - (t >= M && M > 0 ? k.dropS * s[t - M]! : 0);
        let conv = 0;
        for (let d = 0; d <= t && (M === 0 || d < M); d++) conv += kappa(d + 1) * s[t - d]!;
        expect((tL - tS) * k.norm).toBeCloseTo(conv, 12);
      }
    }
  });

  it.each([3, 0])('one forward + target phase (spiking) and one update match the hand computation (kernel memory %i)', (M) => {
    const phaseLen = 6, window = 4;
    const { net, w, cfg } = tinyNet({ phaseMin: phaseLen, settle: phaseLen - window, kernelMemory: M, testLength: 8 });
    expect([cfg.window, cfg.kB, cfg.kD]).toEqual([window, 0.6 / 0.7, 0.6 / 0.7]);
    const ref = referenceSpiking(phaseLen, window, M);
    // Hand check of the reference's first step: both inputs spike, PSP = κ(1), C = 0.6·B from rest.
    expect(ref.rec.Ch[0]![0]).toBeCloseTo(0.6 * ((1.5 - 0.5) * 0.0269009 + 0.1), 7);
    // The generator makes spikes a threshold on the rate: keep every rate clear of it.
    for (const r of ref.rec.rates) expect(Math.abs(r - THRESHOLD)).toBeGreaterThan(1e-6);
    expect(ref.rec.rates.some((r) => r > THRESHOLD) && ref.rec.rates.some((r) => r < THRESHOLD)).toBe(true);

    const st = new DendriticState(cfg.sizes, M), stats = new DendriticPhaseStats(cfg.sizes, window, 0);
    net.setInput(Float32Array.from(X), 0);
    net.trainImage(st, stats, LABEL, fixedRng, fixedRng);
    const close = (a: ArrayLike<number>, b: number[], digits = 9) => b.forEach((v, i) => expect(a[i]).toBeCloseTo(v, digits));
    close(st.C[1]!, ref.rec.Ch[2 * phaseLen - 1]!);
    close(st.C[2]!, ref.rec.Co[2 * phaseLen - 1]!);
    close(stats.meanCf[1]!, ref.CfH);
    close(stats.meanCf[2]!, ref.CfO);
    close(stats.pspF[1]!, ref.pspIn);
    close(stats.pspF[2]!, ref.pspH);
    close(stats.meanRateT[2]!, ref.rateT);
    close(stats.alphaF[1]!, ref.Af.map(sig));
    close(stats.alphaT[1]!, ref.At.map(sig));

    // Errors and the update (η = 0.21 for both layers, P = 500 output, 100 hidden).
    const kD = 0.6 / 0.7, kB = 0.6 / 0.7, ds = (v: number) => sig(v) * (1 - sig(v));
    const Eo = [0, 1].map((i) => -(ref.rateT[i]! - 0.2 * sig(ref.CfO[i]!)) * kD * 0.2 * ds(ref.CfO[i]!));
    const Eh = [0, 1].map((i) => -(sig(ref.At[i]!) - sig(ref.Af[i]!)) * kB * 0.2 * ds(ref.CfH[i]!));
    close(stats.E[2]!, Eo, 12);
    close(stats.E[1]!, Eh, 12);
    expect(Eh.every((e) => e !== 0) && Eo.every((e) => e !== 0)).toBe(true);
    // Backprop's hidden error for the angle: (W2ᵀ·E_o)·k_B·λ_max·σ′(C̄_f).
    close(stats.Ebp[1]!, [0, 1].map((j) => (W2[0]![j]! * Eo[0]! + W2[1]![j]! * Eo[1]!) * kB * 0.2 * ds(ref.CfH[j]!)), 12);
    net.update(st, stats);
    for (let i = 0; i < 2; i++) {
      expect(w.b[2]![i]).toBeCloseTo(B2[i]! - 0.21 * 500 * Eo[i]!, 6);
      expect(w.b[1]![i]).toBeCloseTo(B1[i]! - 0.21 * 100 * Eh[i]!, 6);
      for (let j = 0; j < 2; j++) {
        expect(w.Wt[2]![j * 2 + i]).toBeCloseTo(W2[i]![j]! - 0.21 * 500 * Eo[i]! * ref.pspH[j]!, 6);
        expect(w.Wt[1]![j * 2 + i]).toBeCloseTo(W1[i]![j]! - 0.21 * 100 * Eh[i]! * ref.pspIn[j]!, 6);
      }
    }
    // The drives were recomputed from the traces with the new weights.
    const uL = st.uL[1]!, tL = st.tL[0]!;
    for (let i = 0; i < 2; i++) expect(uL[i]).toBeCloseTo(w.Wt[1]![i]! * tL[0]! + w.Wt[1]![2 + i]! * tL[1]!, 12);
  });

  it('random phase lengths keep the code\'s fixed averaging window: the last phaseMin − settle steps of the longer phase', () => {
    // With normal() = 0 and next() = 0.9, wald(2, 1) returns exactly 2, so both phases last phaseMin + 2 steps. The code's
    // integration_time is fixed at l_f_phase − 30 = 20 when the module loads, so a 52-step phase still averages its last 20
    // steps (circular buffers), not its last 52 − 30 = 22.
    const phaseMin = 6, window = 4, M = 3;
    const { net, cfg } = tinyNet({ phaseMin, settle: phaseMin - window, kernelMemory: M, randomPhases: true });
    expect([cfg.randomPhases, cfg.window]).toEqual([true, window]);
    const ref = referenceSpiking(phaseMin + 2, window, M);
    for (const r of ref.rec.rates) expect(Math.abs(r - THRESHOLD)).toBeGreaterThan(1e-6);
    const st = new DendriticState(cfg.sizes, M), stats = new DendriticPhaseStats(cfg.sizes, window, 0);
    net.setInput(Float32Array.from(X), 0);
    net.trainImage(st, stats, LABEL, fixedRng, fixedRng);
    const close = (a: ArrayLike<number>, b: number[]) => b.forEach((v, i) => expect(a[i]).toBeCloseTo(v, 9));
    expect(st.step).toBe(2 * (phaseMin + 2));
    close(stats.meanCf[1]!, ref.CfH);
    close(stats.meanCf[2]!, ref.CfO);
    close(stats.pspF[1]!, ref.pspIn);
    close(stats.meanRateT[2]!, ref.rateT);
    close(stats.alphaF[1]!, ref.Af.map(sig));
    close(stats.alphaT[1]!, ref.At.map(sig));
    // A window of phase length − settle would differ.
    const wide = referenceSpiking(phaseMin + 2, window + 2, M);
    expect(Math.abs(wide.CfH[0]! - ref.CfH[0]!) + Math.abs(wide.Af[0]! - ref.Af[0]!)).toBeGreaterThan(1e-6);
  });

  it('random plateau times average the apical window that ends at each neuron\'s plateau', () => {
    // normal() = 0.5 gives the delay min(|trunc(3·0.5)|, 5) = 1 step before the end of the phase.
    const rng = { nextU32: () => U, next: () => 0.9, normal: () => 0.5 } as unknown as Rng;
    const phaseLen = 8, window = 3, M = 0; // untruncated: the PSPs (and A) keep changing
    const { net, cfg } = tinyNet({ phaseMin: phaseLen, settle: phaseLen - window, kernelMemory: M, plateauTimes: 'random' });
    const ref = referenceSpiking(phaseLen, window, M);
    for (const r of ref.rec.rates) expect(Math.abs(r - THRESHOLD)).toBeGreaterThan(1e-6);
    const st = new DendriticState(cfg.sizes, M), stats = new DendriticPhaseStats(cfg.sizes, window, 5);
    net.setInput(Float32Array.from(X), 0);
    net.trainImage(st, stats, LABEL, rng, rng);
    const meanA = (from: number) => [0, 1].map((j) => [0, 1, 2].reduce((s, d) => s + ref.rec.A[from + d]![j]!, 0) / 3);
    const af = meanA(phaseLen - window - 1).map(sig), at = meanA(2 * phaseLen - window - 1).map(sig);
    [0, 1].forEach((i) => {
      expect(stats.alphaF[1]![i]).toBeCloseTo(af[i]!, 9);
      expect(stats.alphaT[1]![i]).toBeCloseTo(at[i]!, 9);
      expect(stats.meanCf[1]![i]).toBeCloseTo(ref.CfH[i]!, 9); // the other averages keep the end of the phase
    });
    expect(Math.abs(af[0]! - sig(ref.Af[0]!))).toBeGreaterThan(1e-6);
  });

  it('one non-spiking image and its update match the hand computation', () => {
    const { net, w } = tinyNet({ mode: 'nonspiking' });
    const kB = 0.6 / 0.7, kD = 0.6 / 0.7, ds = (v: number) => sig(v) * (1 - sig(v));
    const pIn = X.map((v) => 0.2 * v); // [0.2, 0.16]
    const Ch = matvec(W1, pIn, B1).map((b) => kB * b); // k_B·[0.32, 0.28]
    expect(Ch[0]).toBeCloseTo(0.2742857, 6);
    const rh = Ch.map((c) => 0.2 * sig(c));
    const Bo = matvec(W2, rh, B2), Cf = Bo.map((b) => kD * b), rf = Cf.map((c) => 0.2 * sig(c));
    // Target: C = (g_D·B + g_E·E_E + g_I·E_I)/(g_L + g_D + g_E + g_I), g_E one-hot on the label.
    const rt = Bo.map((b, i) => 0.2 * sig((0.6 * b + (i === LABEL ? 8 : -8)) / 1.7));
    const af = matvec(Y1, rf).map(sig), at = matvec(Y1, rt).map(sig);
    const Eo = [0, 1].map((i) => -(rt[i]! - rf[i]!) * kD * 0.2 * ds(Cf[i]!));
    const Eh = [0, 1].map((i) => -(at[i]! - af[i]!) * kB * 0.2 * ds(Ch[i]!));
    const st = new DendriticState([2, 2, 2], 10), stats = new DendriticPhaseStats([2, 2, 2], 1, 0);
    net.setInput(Float32Array.from(X), 0);
    net.trainImage(st, stats, LABEL, fixedRng, fixedRng);
    Eo.forEach((e, i) => expect(stats.E[2]![i]).toBeCloseTo(e, 12));
    Eh.forEach((e, i) => expect(stats.E[1]![i]).toBeCloseTo(e, 12));
    expect(stats.lossOut).toBeCloseTo(((rt[0]! - rf[0]!) ** 2 + (rt[1]! - rf[1]!) ** 2) / 2, 12);
    net.update(st, stats);
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 2; j++) {
        expect(w.Wt[2]![j * 2 + i]).toBeCloseTo(W2[i]![j]! - 0.21 * 500 * Eo[i]! * rh[j]!, 6);
        expect(w.Wt[1]![j * 2 + i]).toBeCloseTo(W1[i]![j]! - 0.21 * 100 * Eh[i]! * pIn[j]!, 6);
      }
    }
  });

  it('the test phase starts from rest and averages the output somata over its last testLength − settle steps', () => {
    const { net, cfg } = tinyNet({ phaseMin: 6, settle: 2, kernelMemory: 3, testLength: 6 });
    const st = new DendriticState(cfg.sizes, 3), stats = new DendriticPhaseStats(cfg.sizes, 4, 0), out = new Float32Array(4);
    net.setInput(Float32Array.from(X), 0);
    st.C[2]!.fill(100); // whatever was there is cleared first
    net.testImage(st, stats, fixedRng, out, 2);
    // The forward phase of the reference is the same simulation from rest, without teaching current.
    const ref = referenceSpiking(6, 4, 3);
    [0, 1].forEach((i) => expect(out[2 + i]).toBeCloseTo(ref.CfO[i]!, 6));
  });
});

describe('dendritic model: determinism and independence of the side computations', () => {
  afterEach(() => vi.restoreAllMocks());

  it('same seed gives the same weights; another seed differs; Math.random is never called', () => {
    const spy = vi.spyOn(Math, 'random');
    const cfg = { hidden: [8, 5], plateauTimes: 'random' };
    const a = train(learner(cfg, 4), 25), b = train(learner(cfg, 4), 25);
    expect(differingTensors(a, b)).toEqual([]);
    const c = train(learner(cfg, 5), 25);
    expect(differingTensors(a, c)).toEqual(Object.keys(a).sort());
    expect(spy).not.toHaveBeenCalled();
  });

  it('diagnostics, gradients and predict change nothing: training is bit-identical with or without them', () => {
    const cfg = { hidden: [8] };
    const plain = train(learner(cfg), 30);
    const l = learner(cfg);
    const observed = train(l, 30, { diagnosticsEvery: 4, predictEvery: 7 });
    expect(differingTensors(plain, observed)).toEqual([]);
    const { x, y } = data(2, 99);
    const before = snapshot(l);
    const g = l.gradients(x, y, 2);
    expect(Object.keys(g).sort()).toEqual(['W1t', 'W2t', 'b1', 'b2']);
    expect(g.W1t!.some((v) => v !== 0)).toBe(true);
    expect(differingTensors(before, snapshot(l))).toEqual([]);
  });

  it('diagnostics report the angle to backprop, the window means and the loss correlation', () => {
    const l = learner({ hidden: [8] });
    const { x, y } = data(1, 5);
    expect(Object.keys(l.diagnostics(x, y, 1))).toEqual(['angle/guerguiev_bp/h1']);
    train(l, 20);
    const d = l.diagnostics(x, y, 1);
    expect(Object.keys(d).sort()).toEqual(['angle/guerguiev_bp/h1', 'angle_mean/guerguiev_bp/h1', 'corr/loss_h1_out', 'train/error']);
    expect(d['angle/guerguiev_bp/h1']).toBeGreaterThanOrEqual(0);
    expect(d['angle/guerguiev_bp/h1']).toBeLessThanOrEqual(180);
    expect(Math.abs(d['corr/loss_h1_out']!)).toBeLessThanOrEqual(1);
    // the window restarts after each call
    expect(Object.keys(l.diagnostics(x, y, 1))).toEqual(['angle/guerguiev_bp/h1']);
    // backprop itself has no angle to report
    const bp = learner({ hidden: [8] }, 3, 'dendritic-bp');
    train(bp, 5);
    expect(Object.keys(bp.diagnostics(x, y, 1)).some((k) => k.startsWith('angle'))).toBe(false);
  });
});

describe('dendritic model: each variant changes what it should', () => {
  it('symmetric feedback is Y = Wᵀ of the layers above, before and after training', () => {
    const one = learner({ hidden: [6], feedback: 'symmetric' });
    const check1 = () => {
      const p = one.parameters();
      // W2 is stored transposed (6 × 3), which is exactly the layout of Y1 = W2ᵀ (6 × 3).
      expect(Array.from(p.Y1!)).toEqual(Array.from(p.W2t!));
    };
    check1();
    train(one, 10);
    check1();
    const two = learner({ hidden: [6, 4], feedback: 'symmetric' });
    train(two, 10);
    const p = two.parameters();
    expect(Array.from(p.Y2!)).toEqual(Array.from(p.W3t!));
    // Y1 = W2ᵀ·Y2 (6 × 4)·(4 × 3)
    for (let i = 0; i < 6; i++) {
      for (let k = 0; k < 3; k++) {
        let s = 0;
        for (let j = 0; j < 4; j++) s += p.W2t![i * 4 + j]! * p.Y2![j * 3 + k]!;
        expect(p.Y1![i * 3 + k]).toBeCloseTo(s, 5);
      }
    }
  });

  it('sparse feedback zeroes exactly 80% of Y and multiplies the rest by 5; forward weights are unchanged', () => {
    const random = learner({ hidden: [50] }).parameters(), sparse = learner({ hidden: [50], feedback: 'sparse' }).parameters();
    const y = sparse.Y1!, r = random.Y1!;
    expect(y.length).toBe(150);
    expect(y.filter((v) => v === 0).length).toBe(120);
    y.forEach((v, i) => { if (v !== 0) expect(v).toBeCloseTo(5 * r[i]!, 5); });
    expect(differingTensors({ W1t: random.W1t!, W2t: random.W2t! }, { W1t: sparse.W1t!, W2t: sparse.W2t! })).toEqual([]);
    const l = learner({ hidden: [50], feedback: 'sparse' });
    const zeros = Array.from(l.parameters().Y1!, (v) => v === 0);
    train(l, 5);
    expect(Array.from(l.parameters().Y1!, (v) => v === 0)).toEqual(zeros); // Y is fixed
  });

  it('non-spiking mode, apical conductance, rate feedback, random plateau times and phase lengths each change training', () => {
    const base = train(learner({ hidden: [8] }), 15);
    for (const v of [{ mode: 'nonspiking' }, { apicalConductance: true }, { apicalInput: 'rates' }, { plateauTimes: 'random' }, { randomPhases: false }, { kernelMemory: 10 }]) {
      const other = train(learner({ hidden: [8], ...v }), 15);
      expect(differingTensors(base, other).length, JSON.stringify(v)).toBeGreaterThan(0);
    }
    // …while apical settings leave a network without hidden layers alone (it has no apical dendrites).
    const flat = train(learner({ hidden: [] }), 15);
    expect(differingTensors(flat, train(learner({ hidden: [], apicalConductance: true }), 15))).toEqual([]);
    expect(differingTensors(flat, train(learner({ hidden: [], feedback: 'sparse' }), 15))).toEqual([]);
  });

  it('non-spiking predictions are deterministic; spiking ones are noisy but repeatable per seed', () => {
    const { x } = data(4);
    const ns = learner({ hidden: [8], mode: 'nonspiking' });
    expect(Array.from(ns.predict(x, 4))).toEqual(Array.from(ns.predict(x, 4)));
    const sp = learner({ hidden: [8] });
    expect(Array.from(sp.predict(x, 4))).not.toEqual(Array.from(sp.predict(x, 4)));
    expect(Array.from(learner({ hidden: [8] }).predict(x, 4))).toEqual(Array.from(learner({ hidden: [8] }).predict(x, 4)));
  });
});

describe('dendritic model: samplers and learning', () => {
  it('Poisson counts and Wald phase extensions have the right means', () => {
    const rng = new Rng(1);
    let s = 0;
    for (let i = 0; i < 200_000; i++) s += poisson(rng, 0.15, Math.exp(-0.15));
    expect(s / 200_000).toBeCloseTo(0.15, 2);
    let w = 0, t = 0;
    for (let i = 0; i < 100_000; i++) {
      const v = wald(rng, 2, 1);
      w += v;
      t += Math.trunc(v);
    }
    expect(w / 100_000).toBeCloseTo(2, 1);
    expect(t / 100_000).toBeGreaterThan(1.2);
    expect(t / 100_000).toBeLessThan(1.8);
  });

  it('learns a separable task: error falls and the hidden update turns towards backprop\'s (non-spiking)', () => {
    // Each class lights its own third of the inputs.
    const rng = new Rng(2), n = 1500, x = new Float32Array(n * 20), y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = rng.int(3);
      for (let j = 0; j < 20; j++) x[i * 20 + j] = Math.floor(j / 7) === y[i] ? 0.5 + 0.5 * rng.next() : 0.3 * rng.next();
    }
    const l = learner({ hidden: [30], mode: 'nonspiking' });
    const err = (from: number, count: number) => {
      const out = l.predict(x.subarray(from * 20), count);
      let wrong = 0;
      for (let r = 0; r < count; r++) {
        let b = 0;
        for (let k = 1; k < 3; k++) if (out[r * 3 + k]! > out[r * 3 + b]!) b = k;
        if (b !== y[from + r]) wrong++;
      }
      return wrong / count;
    };
    const before = err(1000, 500);
    l.diagnostics(x, y, 1);
    for (let i = 0; i < 1000; i++) l.trainStep(x.subarray(i * 20, (i + 1) * 20), y.subarray(i, i + 1), 1);
    const d = l.diagnostics(x, y, 1);
    expect(before).toBeGreaterThan(0.3);
    expect(err(1000, 500)).toBeLessThan(0.05);
    expect(d['angle_mean/guerguiev_bp/h1']).toBeLessThan(80);
  });
});
