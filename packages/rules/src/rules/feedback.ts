import type { ParamSchema, Params } from '@credo/core';
import type { Rng } from '@credo/tensor';

/** Parameters shared by the random-feedback rules (fa, dfa): the scale and law of B. */
export const FEEDBACK_PARAMS: ParamSchema = {
  scale: { type: 'number', min: 0, exclusiveMin: true, default: 1, description: 'multiplies the init bound 1/√fan_in of B (equivalent to scaling the hidden learning rates)' },
  distribution: { type: 'enum', values: ['uniform', 'normal'], default: 'uniform', description: 'B ~ U(±scale/√fan_in), or N(0, (scale/√fan_in)²)' },
};

/**
 * A fixed random feedback matrix of shape (rows, cols), where cols plays the role of fan-in (the
 * matrix is used like a forward weight W of that shape): U(±scale/√cols) or N(0, (scale/√cols)²).
 * fa and dfa both draw through this one function, in their layer order, from the same stream, so
 * with one hidden layer their B is the same matrix bit for bit.
 *
 * @example
 * ```ts
 * const B2 = drawFeedback(rng, nOut, nHidden, { scale: 1, distribution: 'uniform' });
 * ```
 */
export function drawFeedback(rng: Rng, rows: number, cols: number, params: Params): Float32Array {
  const B = new Float32Array(rows * cols);
  const bound = (params.scale as number) / Math.sqrt(cols);
  if (params.distribution === 'normal') rng.fillNormal(B, 0, bound);
  else rng.fillUniform(B, -bound, bound);
  return B;
}
