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

  it('bp reports nothing', () => {
    expect(makeLearner({ inputs: 20, hidden: [10], outputs: 4 }).diagnostics(x, t, 16)).toEqual({});
  });

  it('fa and dfa report one angle per hidden layer, in [0, 180], without changing parameters', () => {
    for (const rule of ['fa', 'dfa']) {
      for (const hidden of [[10], [10, 8, 6]]) {
        const l = makeLearner({ inputs: 20, hidden, outputs: 4, rule });
        const before = snapshot(l);
        const d = l.diagnostics(x, t, 16);
        expect(Object.keys(d).sort()).toEqual(hidden.map((_, i) => `angle/${rule}_bp/h${i + 1}`));
        for (const v of Object.values(d)) {
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThanOrEqual(180);
        }
        expect(differingTensors(before, snapshot(l))).toEqual([]);
      }
    }
  });

  it("backprop's angle to itself is 0 at every layer", () => {
    const d = makeLearner({ inputs: 20, hidden: [10, 8], outputs: 4, rule: 'bp-mirror' }).diagnostics(x, t, 16);
    expect(Object.keys(d).sort()).toEqual(['angle/bp-mirror_bp/h1', 'angle/bp-mirror_bp/h2']);
    for (const v of Object.values(d)) expect(v).toBeLessThan(1e-3);
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
