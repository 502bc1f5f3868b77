import type { ParamSchema } from './params.js';
import type { ComponentKind } from './trial.js';

/** What `credo rules` shows and what a sweep file is validated against. */
export interface ComponentInfo {
  readonly kind: ComponentKind;
  readonly name: string;
  /** One line. */
  readonly description: string;
  readonly params: ParamSchema;
  /** Paper or section of reference this component implements. */
  readonly reference?: string;
  /** For rules: the models it can train (absent = every model). */
  readonly models?: readonly string[];
}

/**
 * The registries seen through one read-only interface, so that the sweep-file validator does
 * not depend on the numeric packages and a user's own registrations are validated the same way.
 */
export interface Catalog {
  get(kind: ComponentKind, name: string): ComponentInfo | undefined;
  list(kind: ComponentKind): readonly ComponentInfo[];
}
