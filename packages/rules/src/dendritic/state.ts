/**
 * The dynamic state of a segregated-dendrite network (everything that carries over from one step to
 * the next), kept apart from the weights so that one network can run several independent
 * simulations: training (continuous across images, as in the code), a scratch copy for diagnostics,
 * and a test state reset for every test image.
 *
 * Populations k = 0 … L are the spike sources (0 = inputs, L = output); layers l = 1 … L are the
 * neurons that receive them (layer l is population l).
 *
 * @example
 * ```ts
 * const s = new DendriticState([784, 500, 10], 10);
 * scratch.copyFrom(s);
 * ```
 */
export class DendriticState {
  /** Steps simulated since the last reset; indexes the spike ring. */
  step = 0;
  /** Ring slots: spikes are kept `memory` steps so the kernel can remove them (1 without truncation). */
  readonly slots: number;
  /**
   * Per population: exponential traces T_L, T_s of its spike trains (papers.md §2.2 PSP). With the
   * untruncated kernel they are stored divided by a common decay factor, T = tL·scale[2k] and
   * T = tS·scale[2k+1], so that a step decays one number instead of every neuron's trace.
   */
  readonly tL: Float64Array[] = [];
  readonly tS: Float64Array[] = [];
  readonly scale: Float64Array;
  /** Per population: spike events (neuron, count) of the last `slots` steps, slot-major. */
  readonly evIdx: Int32Array[] = [];
  readonly evCnt: Int32Array[] = [];
  readonly evLen: Int32Array[] = [];
  /** Per layer (index 0 unused): basal drive W·T_L and W·T_s, somatic voltage C, rate λ_max·σ(C). */
  readonly uL: Float64Array[] = [new Float64Array(0)];
  readonly uS: Float64Array[] = [new Float64Array(0)];
  readonly C: Float64Array[] = [new Float64Array(0)];
  readonly rate: Float64Array[] = [new Float64Array(0)];
  /**
   * Per layer: W·s(t) of each of the last `slots` steps, slot-major (sizes[l] per slot), so that a
   * spike's contribution is removed M steps later by reading it back instead of recomputing it.
   */
  readonly v: Float64Array[] = [new Float64Array(0)];
  /** Hidden layers: apical drive Y·T_L, Y·T_s of the output spikes, and the apical voltage A. */
  readonly aL: Float64Array[] = [new Float64Array(0)];
  readonly aS: Float64Array[] = [new Float64Array(0)];
  readonly A: Float64Array[] = [new Float64Array(0)];
  private readonly all: (Float64Array | Int32Array)[];

  constructor(sizes: readonly number[], memory: number) {
    const L = sizes.length - 1;
    this.slots = memory > 0 ? memory + 1 : 1;
    this.scale = new Float64Array(2 * (L + 1)).fill(1);
    for (let k = 0; k <= L; k++) {
      const n = sizes[k]!;
      this.tL.push(new Float64Array(n));
      this.tS.push(new Float64Array(n));
      this.evIdx.push(new Int32Array(this.slots * n));
      this.evCnt.push(new Int32Array(this.slots * n));
      this.evLen.push(new Int32Array(this.slots));
    }
    for (let l = 1; l <= L; l++) {
      const n = sizes[l]!, hidden = l < L;
      this.uL.push(new Float64Array(n));
      this.uS.push(new Float64Array(n));
      this.C.push(new Float64Array(n));
      this.rate.push(new Float64Array(n));
      this.v.push(new Float64Array(this.slots * n));
      this.aL.push(new Float64Array(hidden ? n : 0));
      this.aS.push(new Float64Array(hidden ? n : 0));
      this.A.push(new Float64Array(hidden ? n : 0));
    }
    this.all = [this.scale, ...this.tL, ...this.tS, ...this.evIdx, ...this.evCnt, ...this.evLen, ...this.uL, ...this.uS, ...this.C, ...this.rate, ...this.v, ...this.aL, ...this.aS, ...this.A];
  }

  /** Makes this state an exact copy of `o` (same network shape). */
  copyFrom(o: DendriticState): void {
    this.step = o.step;
    for (let i = 0; i < this.all.length; i++) this.all[i]!.set(o.all[i]!);
  }

  /** Back to rest: no spikes in memory, all voltages 0 (the code's clear_vars before a test image). */
  reset(): void {
    this.step = 0;
    for (const a of this.all) a.fill(0);
    this.scale.fill(1);
  }
}
