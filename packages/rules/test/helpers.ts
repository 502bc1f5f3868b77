import { Rng } from '@credo/tensor';
import { createLearner, type Learner, type LearnerOptions, type LossKind } from '@credo/rules';

export interface NetSpec {
  inputs: number;
  hidden: number[];
  outputs: number;
  activation?: string;
  loss?: LossKind;
  rule?: string;
  ruleParams?: Record<string, unknown>;
  lr?: number;
  momentum?: number;
  weightDecay?: number;
  seed?: number;
  options?: LearnerOptions;
}

export function makeLearner(s: NetSpec): Learner {
  return createLearner(
    {
      model: { name: 'mlp', hidden: s.hidden, activation: s.activation ?? 'tanh' },
      rule: { name: s.rule ?? 'bp', ...(s.ruleParams as Record<string, number>) },
      optimizer: { name: 'sgd', lr: s.lr ?? 0.1, momentum: s.momentum ?? 0, weightDecay: s.weightDecay ?? 0 },
    },
    { inputs: s.inputs, outputs: s.outputs, loss: s.loss ?? 'softmax-ce' },
    s.seed ?? 0,
    s.options ?? {},
  );
}

/** A minibatch of inputs in [0, 1) with about `zeroFrac` exact zeros (MNIST-like), plus targets. */
export function batch(rng: Rng, rows: number, inputs: number, outputs: number, loss: LossKind, zeroFrac = 0.5): { x: Float32Array; t: Int32Array | Float32Array } {
  const x = new Float32Array(rows * inputs);
  for (let i = 0; i < x.length; i++) x[i] = rng.next() < zeroFrac ? 0 : rng.next();
  if (loss === 'softmax-ce') {
    const t = new Int32Array(rows);
    for (let i = 0; i < rows; i++) t[i] = rng.int(outputs);
    return { x, t };
  }
  const t = new Float32Array(rows * outputs);
  for (let i = 0; i < t.length; i++) t[i] = rng.uniform(-1, 1);
  return { x, t };
}

/** Deep copy of a learner's parameters. */
export function snapshot(l: Learner): Record<string, Float32Array> {
  return Object.fromEntries(Object.entries(l.parameters()).map(([k, v]) => [k, Float32Array.from(v)]));
}

/** Names whose arrays differ bitwise (Object.is per element), or are missing on one side. */
export function differingTensors(a: Record<string, Float32Array>, b: Record<string, Float32Array>): string[] {
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  const out: string[] = [];
  for (const k of names) {
    const x = a[k], y = b[k];
    if (!x || !y || x.length !== y.length) {
      out.push(k);
      continue;
    }
    for (let i = 0; i < x.length; i++) {
      if (!Object.is(x[i], y[i])) {
        out.push(k);
        break;
      }
    }
  }
  return out.sort();
}
