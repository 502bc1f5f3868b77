import { Registry } from './registry.js';
import type { ModelImpl } from './model.js';
import type { OptimizerImpl } from './optimizer.js';
import type { RuleImpl } from './rule.js';

/** Learning rules by name (`bp`, `fa`, `dfa`, …); user modules may register more. */
export const ruleRegistry = new Registry<RuleImpl>('rule');
/** Models by name (`mlp`, …). */
export const modelRegistry = new Registry<ModelImpl>('model');
/** Optimizers by name (`sgd`, …). */
export const optimizerRegistry = new Registry<OptimizerImpl>('optimizer');
