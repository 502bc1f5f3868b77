import { CredoError } from '@credo/core';
import { checkDims, checkLength, type FloatArray } from './check.js';

/**
 * Softmax cross-entropy of logits z (m×n) against integer labels, averaged over the m rows.
 * Returns the mean loss; when `e` is given, also writes the output error
 * e = (softmax(z) − onehot(y)) / m, which is the gradient of that mean loss with respect to z.
 * Numerically stable: each row is shifted by its maximum, and the loss is computed as
 * log Σ exp(z − max) − (z_y − max) in float64.
 *
 * @example
 * ```ts
 * const loss = softmaxCrossEntropy(z, labels, rows, 10, e);
 * ```
 */
export function softmaxCrossEntropy(z: FloatArray, labels: Int32Array, m: number, n: number, e?: FloatArray): number {
  checkDims('softmaxCrossEntropy', m, n);
  checkLength('softmaxCrossEntropy', 'z', z, m * n);
  checkLength('softmaxCrossEntropy', 'labels', labels, m);
  if (e) checkLength('softmaxCrossEntropy', 'e', e, m * n);
  const inv = 1 / m;
  let total = 0;
  for (let i = 0; i < m; i++) {
    const y = labels[i]!;
    if (!(y >= 0 && y < n)) {
      throw new CredoError('BAD_PARAM', 'label out of range', { field: `target[${i}]`, value: y, allowed: `integer 0 … ${n - 1}` });
    }
    const o = i * n;
    let mx = -Infinity;
    for (let j = 0; j < n; j++) {
      const v = z[o + j]!;
      if (v > mx) mx = v;
    }
    // A row of -Infinity or NaN logits has no finite maximum; let NaN flow into the loss.
    if (mx === -Infinity) mx = 0;
    let sum = 0;
    for (let j = 0; j < n; j++) sum += Math.exp(z[o + j]! - mx);
    total += Math.log(sum) - (z[o + y]! - mx);
    if (e) {
      const r = inv / sum;
      for (let j = 0; j < n; j++) e[o + j] = Math.exp(z[o + j]! - mx) * r - (j === y ? inv : 0);
    }
  }
  return total * inv;
}

/**
 * Half squared error, ½‖y − t‖² per row, averaged over the m rows of y and t (m×n). Returns that
 * mean; when `e` is given also writes e = (y − t) / m, its gradient with respect to y.
 *
 * @example
 * ```ts
 * const loss = meanSquaredError(yPred, yTrue, rows, nOut, e);
 * ```
 */
export function meanSquaredError(y: FloatArray, t: FloatArray, m: number, n: number, e?: FloatArray): number {
  checkDims('meanSquaredError', m, n);
  checkLength('meanSquaredError', 'y', y, m * n);
  checkLength('meanSquaredError', 't', t, m * n);
  if (e) checkLength('meanSquaredError', 'e', e, m * n);
  const inv = 1 / m;
  let total = 0;
  const len = m * n;
  for (let i = 0; i < len; i++) {
    const d = y[i]! - t[i]!;
    total += d * d;
    if (e) e[i] = d * inv;
  }
  return 0.5 * total * inv;
}
