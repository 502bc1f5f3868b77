import type { Rng } from '@credo/tensor';

/** ε of the ρ formulas (papers.md §6.2). */
export const UORO_EPS = 1e-7;

/** Fills `nu` with independent ±1, 32 signs per 32-bit draw (so every uoro path draws the same ν). */
export function drawSigns(rng: Rng, nu: Float32Array): void {
  let bits = 0;
  for (let i = 0; i < nu.length; i++) {
    if ((i & 31) === 0) bits = rng.nextU32();
    nu[i] = bits & 1 ? 1 : -1;
    bits >>>= 1;
  }
}
