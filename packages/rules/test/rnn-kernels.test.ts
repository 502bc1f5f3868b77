import { describe, expect, it } from 'vitest';
import { createSequenceLearner, RnnCell, type SequenceLearner } from '@credo/rules';
import { allocFloats, kernelBackend, Rng, setKernelBackend, sgdStep, tanhInPlace, fmaAvailable, wasmSimdAvailable, withKernelBackend, type KernelBackend } from '@credo/tensor';
import { randomBatch, relErr } from './temporal-reference.js';

/**
 * The uoro rule has a GEMM-only kernel for the rnn trained on one sequence with plain SGD
 * (rules/uoro-rnn.ts). Weight decay 1e-30 changes nothing numerically but makes the optimizer
 * non-plain, which selects the generic path: the two must follow the same trajectory (the same
 * random signs, the same arithmetic up to float32 rounding). The learning rate is small enough
 * that training is not chaotic: at lr 0.02 on random targets rounding differences grow ×10 every
 * ~25 steps on either path alone.
 */
function uoro(opts: { N: number; alpha?: number; wd?: number; loss?: 'mse' | 'softmax-ce'; scaling?: string; I?: number; O?: number }): SequenceLearner {
  return createSequenceLearner(
    { model: { name: 'rnn', hidden: opts.N, alpha: opts.alpha ?? 1, gain: 1.2 }, rule: { name: 'uoro', scaling: opts.scaling ?? 'norm-balanced' }, optimizer: { name: 'sgd', lr: 0.003, momentum: 0, weightDecay: opts.wd ?? 0 } },
    { inputs: opts.I ?? 3, outputs: opts.O ?? 2, loss: opts.loss ?? 'mse' }, 5, 1,
  );
}

function train(l: SequenceLearner, steps: number, resetEvery = 0, masked = false): void {
  const b = randomBatch(31, steps, 1, l.cell.inputs, l.cell.outputs, l.cell.loss, masked);
  const I = l.cell.inputs, O = l.cell.outputs;
  for (let t = 0; t < steps; t++) {
    if (resetEvery > 0 && t % resetEvery === 0) l.reset();
    l.step(b.x.subarray(t * I, (t + 1) * I), b.y.subarray(t * O, (t + 1) * O), b.mask?.subarray(t, t + 1));
  }
}

function params(l: SequenceLearner): Float64Array {
  const p = l.parameters();
  return Float64Array.from([...p['Wt']!, ...p['Ut']!, ...p['b']!, ...p['Vt']!, ...p['c']!]);
}

describe('uoro kernel for the rnn', () => {
  const cases = [
    { name: 'vanilla, mse', N: 20 },
    { name: 'leaky α = 0.6, softmax, masked', N: 12, alpha: 0.6, loss: 'softmax-ce' as const, O: 3, masked: true },
    { name: 'no ρ scaling', N: 9, scaling: 'none' },
    { name: 'N = 64 (several flushes and folds, episodes reset every 37 steps)', N: 64, resetEvery: 37 },
  ];
  for (const c of cases) {
    it(`${c.name}: same trajectory as the generic rule`, () => {
      const fast = uoro({ ...c }), slow = uoro({ ...c, wd: 1e-30 });
      const p0 = params(fast);
      train(fast, 300, c.resetEvery ?? 0, c.masked ?? false);
      train(slow, 300, c.resetEvery ?? 0, c.masked ?? false);
      const pf = params(fast), ps = params(slow);
      // the parameters moved, and moved the same way on both paths
      expect(relErr(ps, p0)).toBeGreaterThan(1e-3);
      expect(relErr(pf.map((v, i) => v - p0[i]!), ps.map((v, i) => v - p0[i]!))).toBeLessThan(1e-3);
    });
  }
  it('writes θ back before evaluations and picks up parameters written from outside', () => {
    const l = uoro({ N: 16 });
    train(l, 50);
    const b = randomBatch(2, 20, 1, 3, 2, 'mse');
    const before = l.evaluate(b).loss;
    expect(l.evaluate(b).loss).toBe(before);
    l.parameters()['Wt']!.fill(0);
    l.parameters()['Ut']!.fill(0);
    l.parameters()['b']!.fill(0);
    // with all recurrent weights zero the state stays 0, so the output is the bias c alone
    const ev = l.evaluate(b);
    train(l, 1);
    expect(Number.isFinite(ev.loss)).toBe(true);
    const wt = l.parameters()['Wt']!;
    // one step from W = 0 moves W only by the step's rank-one term: tiny, not the old weights
    expect(Math.max(...wt.map(Math.abs))).toBeLessThan(0.05);
  });
});

describe('online rtrl with plain SGD', () => {
  /**
   * The rnn's per-step path at batch 1 — the fused readout backward, the blocked small products and
   * the plain-SGD commit (one float32 kernel pass per block that also clears its gradient) — against
   * the optimizer's generic path (weight decay 1e-30 again), on both kernel backends.
   */
  const rtrl = (N: number, wd: number): SequenceLearner => createSequenceLearner(
    { model: { name: 'rnn', hidden: N, gain: 1.2 }, rule: { name: 'rtrl', influence: 'W' }, optimizer: { name: 'sgd', lr: 0.003, momentum: 0, weightDecay: wd } },
    { inputs: 3, outputs: 5, loss: 'mse' }, 5, 1,
  );
  for (const N of [7, 16, 33]) {
    it(`N = ${N}: same trajectory as the generic optimizer path, and on the js backend; U and b stay fixed`, () => {
      const run = (wd: number, backend: KernelBackend) => {
        const prev = kernelBackend();
        setKernelBackend(backend);
        try {
          const l = rtrl(N, wd);
          const p0 = params(l);
          train(l, 200, 0, true);
          return { p0, p: params(l) };
        } finally {
          setKernelBackend(prev);
        }
      };
      const backends: KernelBackend[] = wasmSimdAvailable() ? ['wasm', ...(fmaAvailable() ? (['fma'] as const) : []), 'js'] : ['js'];
      const ref = run(1e-30, 'js');
      const dRef = ref.p.map((v, i) => v - ref.p0[i]!);
      expect(relErr(ref.p, ref.p0)).toBeGreaterThan(1e-3);
      for (const b of backends) {
        const fast = run(0, b);
        expect(relErr(fast.p.map((v, i) => v - fast.p0[i]!), dRef), b).toBeLessThan(1e-3);
        // U and b (θ after the N² entries of Wt) never move when only W is tracked
        for (let i = N * N; i < N * N + 4 * N; i++) expect(fast.p[i]).toBe(fast.p0[i]);
      }
    });
  }
});

describe("the rnn's one-row paths", () => {
  const backends: KernelBackend[] = wasmSimdAvailable() ? ['wasm', 'js'] : ['js'];
  const cell = (N: number, I: number, O: number, seed: number) => {
    const c = new RnnCell({ params: { hidden: N, alpha: 1, init: 'uniform-fanin', gain: 1 }, shape: { inputs: I, outputs: O, loss: 'mse' }, seed });
    Rng.derive(seed, 'bias').fillNormal(c.b, 0, 0.3);
    Rng.derive(seed, 'readout-bias').fillNormal(c.c, 0, 0.3);
    return c;
  };
  const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength)));
  // Signed zeros where a sum's sign of zero could differ: s_i = −0 and dy_k = −0 entries, and a −0 weight.
  const withZeros = (a: Float32Array) => {
    a[0] = -0;
    if (a.length > 2) a[2] = 0;
    return a;
  };

  for (const [N, I, O] of [[16, 8, 8], [7, 3, 5], [5, 1, 2]] as const) {
    it(`N = ${N}, I = ${I}: the forward and the readout are the contract's float64 sums, rounded where it says`, () => {
      for (const backend of backends) {
        withKernelBackend(backend, () => {
          const c = cell(N, I, O, N), rng = Rng.derive(N, 'row');
          const sPrev = withZeros(allocFloats(N)), x = allocFloats(I), s = allocFloats(N), aux = allocFloats(N), y = allocFloats(O);
          rng.fillNormal(sPrev, 0, 0.5);
          rng.fillNormal(x, 0, 1);
          withZeros(sPrev);
          c.forward(sPrev, x, s, aux, 1);
          // pre_j = fround(fround(b_j + Σ_p a_p·W[j,p]) + Σ_p x_p·U[j,p]), sums in float64 from +0.
          const pre = new Float32Array(N);
          for (let j = 0; j < N; j++) {
            let s1 = 0, s2 = 0;
            for (let p = 0; p < N; p++) s1 += sPrev[p]! * c.Wt[p * N + j]!;
            for (let p = 0; p < I; p++) s2 += x[p]! * c.Ut[p * N + j]!;
            pre[j] = Math.fround(Math.fround(c.b[j]! + s1) + s2);
          }
          tanhInPlace(pre);
          expect(bits(s), `${backend} s`).toEqual(bits(pre));
          expect(bits(aux), `${backend} aux`).toEqual(bits(pre.map((v) => 1 - v * v)));
          c.output(s, y, 1);
          const want = new Float32Array(O);
          for (let k = 0; k < O; k++) {
            let acc = 0;
            for (let i = 0; i < N; i++) acc += s[i]! * c.Vt[i * O + k]!;
            want[k] = c.c[k]! + acc;
          }
          expect(bits(y), `${backend} y`).toEqual(bits(want));
        });
      }
    });

    it(`N = ${N}, O = ${O}: the readout backward with plain SGD folded in gives the bits of accumulating and then sgdStep`, () => {
      for (const backend of backends) {
        withKernelBackend(backend, () => {
          const rng = Rng.derive(N + 1, 'readout');
          const s = withZeros(allocFloats(N)), dy = allocFloats(O);
          rng.fillNormal(s, 0, 0.5);
          rng.fillNormal(dy, 0, 0.5);
          withZeros(s);
          withZeros(dy);
          const lr = 0.37;
          const run = (fused: boolean) => {
            const c = cell(N, I, O, 3);
            c.Vt[1] = -0;
            const grads = { Vt: allocFloats(N * O), c: allocFloats(O) };
            Rng.derive(4, 'pending').fillNormal(grads.Vt, 0, 0.1);   // pending gradient from earlier steps
            const q = allocFloats(N);
            if (fused) {
              c.outputBackward(s, dy, q, 1, grads, lr);
            } else {
              c.outputBackward(s, dy, q, 1, grads);
              sgdStep(c.Vt.length, lr, grads.Vt, c.Vt, true);
              sgdStep(c.c.length, lr, grads.c, c.c, true);
            }
            return { q: bits(q), Vt: bits(c.Vt), c: bits(c.c), g: [...grads.Vt, ...grads.c] };
          };
          const fused = run(true), plain = run(false);
          expect(fused.q, `${backend} q`).toEqual(plain.q);
          expect(fused.Vt, `${backend} Vt`).toEqual(plain.Vt);
          expect(fused.c, `${backend} c`).toEqual(plain.c);
          expect(fused.g.every((v) => v === 0), `${backend} gradients cleared`).toBe(true);
        });
      }
    });
  }
});

describe("the rnn's native one-row kernels (@credo/tensor's rnnRowPlan)", () => {
  // The cell keeps its plan in `row`; without it, the same calls run the JavaScript paths above.
  const withoutNative = (l: SequenceLearner): SequenceLearner => {
    (l.cell as unknown as { row: unknown }).row = undefined;
    return l;
  };
  const cases = [
    { rule: { name: 'rtrl', influence: 'W' }, N: 16 },
    { rule: { name: 'rtrl' }, N: 13, alpha: 0.6, loss: 'softmax-ce' as const },
    { rule: { name: 'uoro' }, N: 16, momentum: 0.9 },
    { rule: { name: 'rflo' }, N: 8, alpha: 0.5 },
    { rule: { name: 'tbptt', k: 5 }, N: 16, loss: 'softmax-ce' as const },
    { rule: { name: 'bptt' }, N: 11, momentum: 0.5 },
  ];
  for (const c of cases) {
    it(`${c.rule.name}, N = ${c.N}${c.alpha ? `, α = ${c.alpha}` : ''}${c.loss ? `, ${c.loss}` : ''}${c.momentum ? ', momentum' : ''}: the same bits as the JavaScript paths`, () => {
      const make = () => createSequenceLearner(
        { model: { name: 'rnn', hidden: c.N, alpha: c.alpha ?? 1, gain: 1.2 }, rule: c.rule, optimizer: { name: 'sgd', lr: 0.01, momentum: c.momentum ?? 0, weightDecay: 0 } },
        { inputs: 8, outputs: 8, loss: c.loss ?? 'mse' }, 9, 1,
      );
      const native = make(), js = withoutNative(make());
      expect((native.cell as unknown as { row: unknown }).row !== undefined || !wasmSimdAvailable()).toBe(true);
      for (const l of [native, js]) {
        train(l, 240, 60);
        l.endSegment();
      }
      const a = params(native), b = params(js);
      expect(a.some((v, i) => v !== params(make())[i]), 'training moved the parameters').toBe(true);
      expect(Array.from(a)).toEqual(Array.from(b));
    });
  }
});
