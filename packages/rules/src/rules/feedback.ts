import type { ParamSchema, Params } from '@credo/core';
import { allocFloats, type Rng } from '@credo/tensor';

/** Parameters shared by the random-feedback rules (fa, dfa, kp, wm, frsf, brsf): the scale and law of B. */
export const FEEDBACK_PARAMS: ParamSchema = {
  scale: { type: 'number', min: 0, exclusiveMin: true, default: 1, description: 'multiplies the init bound 1/√fan_in of B (equivalent to scaling the hidden learning rates)' },
  distribution: { type: 'enum', values: ['uniform', 'normal'], default: 'uniform', description: 'B ~ U(±scale/√fan_in), or N(0, (scale/√fan_in)²)' },
  scaleBy: {
    type: 'enum', values: ['fan-in', 'none'], default: 'fan-in',
    description: 'fan-in: the bound is scale/√fan_in; none: the bound is scale itself (Lillicrap\'s linear task: B ~ U[−0.5, 0.5] is scale 0.5, scaleBy none)',
  },
};

/**
 * The bound (uniform) or standard deviation (normal) of a feedback matrix whose rows play the
 * role of fan-in `cols`: scale/√cols, or scale when `scaleBy` is `none`.
 *
 * @example
 * ```ts
 * feedbackBound(1000, { scale: 1, scaleBy: 'fan-in' }); // 1/√1000
 * ```
 */
export function feedbackBound(cols: number, params: Params): number {
  const scale = params.scale as number;
  return params.scaleBy === 'none' ? scale : scale / Math.sqrt(cols);
}

/**
 * A fixed random feedback matrix of shape (rows, cols), where cols plays the role of fan-in (the
 * matrix is used like a forward weight W of that shape): U(±b) or N(0, b²) with b =
 * {@link feedbackBound} (scale/√cols by default).
 * fa and dfa both draw through this one function, in their layer order, from the same stream, so
 * with one hidden layer their B is the same matrix bit for bit.
 *
 * @example
 * ```ts
 * const B2 = drawFeedback(rng, nOut, nHidden, { scale: 1, distribution: 'uniform' });
 * ```
 */
export function drawFeedback(rng: Rng, rows: number, cols: number, params: Params): Float32Array {
  return fillFeedback(rng, allocFloats(rows * cols), cols, params);
}

/**
 * Redraws `B` in place with {@link drawFeedback}'s law (cols = fan-in); returns B.
 *
 * @example
 * ```ts
 * fillFeedback(rng, M, nHidden, params); // brsf's new magnitudes, no allocation
 * ```
 */
export function fillFeedback(rng: Rng, B: Float32Array, cols: number, params: Params): Float32Array {
  const bound = feedbackBound(cols, params);
  if (params.distribution === 'normal') rng.fillNormal(B, 0, bound);
  else rng.fillUniform(B, -bound, bound);
  return B;
}
