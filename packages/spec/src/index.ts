/**
 * @module @credo/spec
 * Sweep files: parsing, validation against the registered components (a {@link Catalog} is
 * injected, so this package never loads the numeric code), lazy deterministic expansion into
 * trials, and trial keys.
 *
 * @example
 * ```ts
 * import { loadSweep } from '@credo/spec';
 * const sweep = await loadSweep('examples/quickstart.yaml', catalog);
 * for (const trial of sweep.trials()) console.log(trial.key, trial.params);
 * ```
 */
export {
  loadSweep, parseSweep, sweepFromSpec,
  type ComponentSpec, type ParseSweepOptions, type Sweep, type SweepSpec, type Trial,
} from './sweep.js';
export { DEFAULT_OPTIMIZER, NAME_PATTERN as SWEEP_NAME_PATTERN, TOP_LEVEL_KEYS as SWEEP_KEYS } from './compile.js';
