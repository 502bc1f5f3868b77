import type { ComponentInfo, Params } from '@credo/core';
import type { Learner, LearnerOptions, LearnerShape } from './learner.js';
import type { Optimizer } from './optimizer.js';
import type { RuleImpl } from './rule.js';

/**
 * A registered model: builds a {@link Learner} from resolved parameters, the chosen rule and a
 * fresh optimizer.
 *
 * @example
 * ```ts
 * const learner = modelRegistry.get('mlp').impl.build(args);
 * ```
 */
export interface ModelImpl {
  build(args: ModelBuildArgs): Learner;
}

/** Everything {@link ModelImpl.build} needs, already validated by `createLearner`. */
export interface ModelBuildArgs {
  readonly params: Params;
  readonly rule: { readonly name: string; readonly info: ComponentInfo; readonly impl: RuleImpl; readonly params: Params };
  readonly optimizer: Optimizer;
  readonly shape: LearnerShape;
  readonly seed: number;
  readonly options: LearnerOptions;
}
