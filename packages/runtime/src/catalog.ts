import type { Catalog } from '@credo/core';
import { catalogOf, modelRegistry, optimizerRegistry, ruleRegistry } from '@credo/rules';
import { taskRegistry } from '@credo/tasks';

/**
 * Every registered task, model, rule and optimizer behind the read-only {@link Catalog}
 * interface that sweep-file validation and `credo rules` use.
 *
 * @example
 * ```ts
 * const sweep = await loadSweep('examples/quickstart.yaml', defaultCatalog());
 * ```
 */
export function defaultCatalog(): Catalog {
  return catalogOf({ task: taskRegistry, model: modelRegistry, rule: ruleRegistry, optimizer: optimizerRegistry });
}
