import { CredoError, type ComponentInfo, type ParamSchema, type Params } from '@credo/core';
import { DENDRITIC_CONSTANTS } from './kernel.js';

/** Simulation modes: spiking (the paper's results) or the code's rate-based shortcut. */
export const DENDRITIC_MODES = ['spiking', 'nonspiking'] as const;
/** Feedback weights Y onto the apical dendrites. */
export const DENDRITIC_FEEDBACK = ['random', 'sparse', 'symmetric'] as const;

/**
 * Parameters of the `dendritic` model, validated by `resolveParams`. Defaults are the authors' code
 * in spiking mode with one hidden layer of 500 (papers.md §2).
 */
export const DENDRITIC_PARAMS: ParamSchema = {
  hidden: {
    type: 'integer[]', min: 1, default: [500],
    description: 'hidden layer widths, input side first; [] = no hidden layer (the paper: [], [500], [500, 100])',
  },
  mode: {
    type: 'enum', values: DENDRITIC_MODES, default: 'spiking',
    description: 'spiking: Poisson spikes, PSP kernel, conductances, 1-ms Euler steps (the paper\'s results); nonspiking: the code\'s rate-based mode (2-step phases, steady-state voltages, no spikes)',
  },
  feedback: {
    type: 'enum', values: DENDRITIC_FEEDBACK, default: 'random',
    description: 'apical feedback Y from the output layer: random (fixed), sparse (80% zeroed, rest ×5) or symmetric (Y = Wᵀ of the layers above, kept in sync after every update)',
  },
  apicalConductance: {
    type: 'boolean', default: false,
    description: 'g_A = 0.05: the apical compartment drives the soma (default g_A = 0: fully segregated)',
  },
  apicalInput: {
    type: 'enum', values: ['spikes', 'rates'], default: 'spikes',
    description: 'spiking mode: apical dendrites receive output spikes through the PSP kernel, or the output rates directly (the paper\'s Fig. 7 comparison)',
  },
  plateauTimes: {
    type: 'enum', values: ['fixed', 'random'], default: 'fixed',
    description: 'spiking mode: plateaus at the end of each phase, or per neuron 0–5 steps earlier (min(|trunc N(0, 3²)|, 5))',
  },
  etaHidden: { type: 'number', min: 0, default: 0.21, description: 'learning rate of every hidden layer (paper: 0.21 with one hidden layer, 0.23 with two)' },
  etaOutput: { type: 'number', min: 0, default: 0.21, description: 'learning rate of the output layer (paper: 0.19 without hidden layer, 0.21 with one, 0.12 with two)' },
  phaseMin: { type: 'integer', min: 2, default: 50, description: 'spiking mode: minimum length of the forward and target phases (ms)' },
  randomPhases: { type: 'boolean', default: true, description: 'spiking mode: add trunc(Wald(mean 2, scale 1)) ms to each phase' },
  settle: {
    type: 'integer', min: 0, default: 30,
    description: 'spiking mode: settle time (ms); averages use the last phaseMin − settle steps of each phase (test: testLength − settle)',
  },
  testLength: { type: 'integer', min: 2, default: 250, description: 'spiking mode: length of the single test forward phase (ms; the code uses 250, the paper text says 500)' },
  kernelMemory: {
    type: 'integer', min: 0, default: 0,
    description: 'spiking mode: 0 = the paper\'s PSP kernel κ (Eq. 11, exponential traces); M > 0 truncates κ after M steps, as the code does for speed (mem = 10), which halves the PSPs',
  },
  init: {
    type: 'enum', values: ['optimized', 'optimized-wide', 'uniform'], default: 'optimized',
    description: 'optimized: W = W̄ + 3.465·W_sd·U(±½), mean and SD chosen to put dendritic voltages near 3 ± 3, so the weights get exactly the SD W_sd the code\'s use_weight_optimization computes (the paper: voltages between −6 and 12); optimized-wide: U(±1) instead of U(±½), twice the spread — what the authors\' code actually draws (papers.md §2.5; every stored version of deep_learning.py); uniform: W = 0.1·U(±1), b = U(±1), Y = U(±1)',
  },
};

/** Registry entry of the `dendritic` model. */
export const DENDRITIC_INFO: ComponentInfo = {
  kind: 'model',
  name: 'dendritic',
  description: 'segregated-dendrite network: Poisson inputs, hidden neurons with basal, apical and somatic compartments, output neurons with a teaching current; forward and target phases per image (online)',
  params: DENDRITIC_PARAMS,
  reference: 'Guerguiev, Lillicrap & Richards 2017, papers.md §2',
};

/** The resolved configuration of one network. */
export interface DendriticConfig {
  /** [inputs, hidden…, outputs]. */
  readonly sizes: readonly number[];
  readonly spiking: boolean;
  readonly feedback: (typeof DENDRITIC_FEEDBACK)[number];
  readonly apicalConductance: boolean;
  readonly apicalRates: boolean;
  readonly randomPlateaus: boolean;
  readonly etaHidden: number;
  readonly etaOutput: number;
  readonly phaseMin: number;
  readonly randomPhases: boolean;
  /** Steps averaged at the end of each training phase (phaseMin − settle). */
  readonly window: number;
  readonly testLength: number;
  /** Steps averaged at the end of the test phase (testLength − settle). */
  readonly testWindow: number;
  readonly kernelMemory: number;
  readonly init: 'optimized' | 'optimized-wide' | 'uniform';
  /** k_B = g_B/(g_L + g_B + g_A), k_D = g_D/(g_L + g_D). */
  readonly kB: number;
  readonly kD: number;
  readonly gA: number;
}

/**
 * Checks the combinations a schema cannot express and derives the constants.
 *
 * @example
 * ```ts
 * const cfg = dendriticConfig(resolveParams(DENDRITIC_PARAMS, {}, 'model'), 784, 10); // cfg.window === 20
 * ```
 */
export function dendriticConfig(p: Params, inputs: number, outputs: number): DendriticConfig {
  const hidden = p.hidden as readonly number[];
  const phaseMin = p.phaseMin as number, settle = p.settle as number, testLength = p.testLength as number;
  const spiking = p.mode === 'spiking';
  const randomPlateaus = spiking && p.plateauTimes === 'random';
  if (spiking && settle >= phaseMin) {
    throw new CredoError('BAD_PARAM', 'the settle time must leave at least one step of each phase to average', { field: 'model.settle', value: settle, allowed: `integer < phaseMin (${phaseMin})` });
  }
  if (spiking && settle >= testLength) {
    throw new CredoError('BAD_PARAM', 'the settle time must leave at least one step of the test phase to average', { field: 'model.settle', value: settle, allowed: `integer < testLength (${testLength})` });
  }
  if (randomPlateaus && settle < DENDRITIC_CONSTANTS.maxPlateauDelay) {
    // A plateau up to 5 steps early still averages a full window, which must fit in the phase.
    throw new CredoError('BAD_PARAM', 'random plateau times need a settle time of at least 5 ms', { field: 'model.settle', value: settle, allowed: 'integer ≥ 5 with plateauTimes: random' });
  }
  const { gL, gB, gD } = DENDRITIC_CONSTANTS;
  const gA = p.apicalConductance ? DENDRITIC_CONSTANTS.gA : 0;
  return {
    sizes: Object.freeze([inputs, ...hidden, outputs]),
    spiking,
    feedback: p.feedback as DendriticConfig['feedback'],
    apicalConductance: p.apicalConductance as boolean,
    apicalRates: !spiking || p.apicalInput === 'rates',
    randomPlateaus,
    etaHidden: p.etaHidden as number,
    etaOutput: p.etaOutput as number,
    phaseMin: spiking ? phaseMin : 2,
    randomPhases: spiking && (p.randomPhases as boolean),
    window: spiking ? phaseMin - settle : 1,
    testLength: spiking ? testLength : 2,
    testWindow: spiking ? testLength - settle : 1,
    kernelMemory: p.kernelMemory as number,
    init: p.init as DendriticConfig['init'],
    kB: gB / (gL + gB + gA),
    kD: gD / (gL + gD),
    gA,
  };
}
