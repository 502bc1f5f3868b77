import { describe, expect, it } from 'vitest';
import { gemmNN, Rng } from '@credo/tensor';
import { ruleRegistry, type RuleImpl } from '@credo/rules';
import { batch, differingTensors, makeLearner, snapshot, type NetSpec } from './helpers.js';

// Backprop's signal, registered as an ordinary rule (not flagged as backprop), so the learner
// measures its angle to backprop: it must be 0.
const mirror: RuleImpl = {
  mlp: {
    init: ({ sizes }) => ({
      tensors: {},
      hiddenSignal(l, net, rows, out) {
        gemmNN(rows, sizes[l]!, sizes[l + 1]!, net.delta(l + 1), net.weight(l + 1), out);
      },
    }),
  },
};
ruleRegistry.register({ kind: 'rule', name: 'bp-mirror', description: 'backprop in disguise', params: {}, models: ['mlp'] }, mirror);

describe('diagnostics', () => {
  const { x, t } = batch(new Rng(1), 16, 20, 4, 'softmax-ce', 0.5);

  it('bp reports its weight norms and its angle to pseudobackprop, nothing against itself', () => {
    const l = makeLearner({ inputs: 20, hidden: [10], outputs: 4 });
    const d = l.diagnostics(x, t, 16);
    expect(Object.keys(d).sort()).toEqual(['angle/bp_pbp/h1', 'norm/W1', 'norm/W2']);
    const p = l.parameters();
    expect(d['norm/W1']).toBeCloseTo(Math.sqrt(p.W1t!.reduce((s, v) => s + v * v, 0)), 10);
    expect(d['norm/W2']).toBeCloseTo(Math.sqrt(p.W2!.reduce((s, v) => s + v * v, 0)), 10);
  });

  it('fa and dfa report one angle per hidden layer to bp and to pbp, eᵀWBe fractions, and fa its W–B distance, without changing parameters', () => {
    for (const rule of ['fa', 'dfa']) {
      for (const hidden of [[10], [10, 8, 6]]) {
        const l = makeLearner({ inputs: 20, hidden, outputs: 4, rule });
        const before = snapshot(l);
        const d = l.diagnostics(x, t, 16);
        const h = hidden.map((_, i) => i + 1);
        const want = [
          ...h.map((i) => `angle/${rule}_bp/h${i}`), ...h.map((i) => `angle/${rule}_pbp/h${i}`), ...h.map((i) => `ewbe_pos/${rule}/h${i}`),
          ...[...h, hidden.length + 1].map((i) => `norm/W${i}`),
          ...(rule === 'fa' ? h.flatMap((i) => [`wb_angle/W${i + 1}`, `wb_dist/W${i + 1}`]) : []),
        ];
        expect(Object.keys(d).sort()).toEqual(want.sort());
        for (const [k, v] of Object.entries(d)) {
          if (k.startsWith('angle/') || k.startsWith('wb_angle/')) {
            expect(v).toBeGreaterThanOrEqual(0);
            expect(v).toBeLessThanOrEqual(180);
          }
          if (k.startsWith('ewbe_pos/')) {
            expect(v).toBeGreaterThanOrEqual(0);
            expect(v).toBeLessThanOrEqual(1);
          }
        }
        expect(differingTensors(before, snapshot(l))).toEqual([]);
      }
    }
  });

  it("backprop's angle to itself is 0 at every layer, and eᵀWWᵀe > 0 for every sample", () => {
    const d = makeLearner({ inputs: 20, hidden: [10, 8], outputs: 4, rule: 'bp-mirror' }).diagnostics(x, t, 16);
    const angles = Object.keys(d).filter((k) => k.startsWith('angle/bp-mirror_bp/')).sort();
    expect(angles).toEqual(['angle/bp-mirror_bp/h1', 'angle/bp-mirror_bp/h2']);
    for (const k of angles) expect(d[k]).toBeLessThan(1e-3);
    expect(d['ewbe_pos/bp-mirror/h1']).toBe(1);
    expect(d['ewbe_pos/bp-mirror/h2']).toBe(1);
  });

  it('a rule whose signal is −bp is at 180°', () => {
    ruleRegistry.register({ kind: 'rule', name: 'anti-bp', description: 'test', params: {}, models: ['mlp'] }, {
      mlp: {
        init: ({ sizes }) => ({
          tensors: {},
          hiddenSignal(l, net, rows, out) {
            gemmNN(rows, sizes[l]!, sizes[l + 1]!, net.delta(l + 1), net.weight(l + 1), out, -1);
          },
        }),
      },
    });
    const d = makeLearner({ inputs: 20, hidden: [10], outputs: 4, rule: 'anti-bp' }).diagnostics(x, t, 16);
    expect(d['angle/anti-bp_bp/h1']).toBeGreaterThan(179.999);
    expect(d['ewbe_pos/anti-bp/h1']).toBe(0);
  });

  it("fa's angle to backprop falls below 90° as the forward weights align with B", () => {
    const spec: NetSpec = { inputs: 20, hidden: [32], outputs: 4, rule: 'fa', lr: 0.2, seed: 3 };
    const l = makeLearner(spec);
    const T = new Float32Array(4 * 20);
    new Rng(5).fillNormal(T, 0, 1);
    const data = new Rng(6);
    const labelled = () => {
      const { x: xb } = batch(data, 32, 20, 4, 'softmax-ce', 0);
      const y = new Int32Array(32);
      for (let r = 0; r < 32; r++) {
        let best = 0, bv = -Infinity;
        for (let k = 0; k < 4; k++) {
          let v = 0;
          for (let i = 0; i < 20; i++) v += T[k * 20 + i]! * (xb[r * 20 + i]! - 0.5);
          if (v > bv) { bv = v; best = k; }
        }
        y[r] = best;
      }
      return { xb, y };
    };
    const probe = labelled();
    const start = l.diagnostics(probe.xb, probe.y, 32)['angle/fa_bp/h1']!;
    for (let s = 0; s < 1500; s++) {
      const b = labelled();
      l.trainStep(b.xb, b.y, 32);
    }
    const end = l.diagnostics(probe.xb, probe.y, 32)['angle/fa_bp/h1']!;
    expect(end).toBeLessThan(60);
    expect(end).toBeLessThan(start);
  });
});
