import { checkParam, CredoError, deepFreeze, type Catalog, type ComponentInfo, type ComponentKind } from '@credo/core';

/** A registered component: what the sweep validator sees (`info`) and what the runtime calls (`impl`). */
export interface Registered<T> {
  readonly info: ComponentInfo;
  readonly impl: T;
}

// Names end up inside metric names (`angle/<rule>_bp/h1`) and file paths, so keep them plain.
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * Components of one kind (rules, models, optimizers, tasks) keyed by name, each with the schema
 * of its parameters, so that a sweep file can be validated against the components it names before
 * anything runs, and so that a user module can add its own.
 *
 * @example
 * ```ts
 * const rules = new Registry<RuleImpl>('rule');
 * rules.register({ kind: 'rule', name: 'bp', description: 'backprop', params: {} }, bpRule);
 * rules.get('bp').impl;          // bpRule
 * rules.get('bq');               // throws CredoError UNKNOWN_COMPONENT, field 'rule.name', allowed 'bp'
 * ```
 */
export class Registry<T> {
  readonly kind: ComponentKind;
  private readonly entries = new Map<string, Registered<T>>();

  constructor(kind: ComponentKind) {
    this.kind = kind;
  }

  /**
   * Adds a component. Throws a `USAGE` {@link CredoError} for a duplicate or malformed name, an
   * info of another kind, or a parameter default that its own schema rejects (a broken schema
   * should fail when it is registered, not when a sweep first uses the default).
   */
  register(info: ComponentInfo, impl: T): void {
    const field = `${this.kind}.name`;
    if (info.kind !== this.kind) {
      throw new CredoError('USAGE', `cannot register a ${info.kind} in the ${this.kind} registry`, { field: `${this.kind}.kind`, value: info.kind, allowed: this.kind });
    }
    if (typeof info.name !== 'string' || !NAME_RE.test(info.name)) {
      throw new CredoError('USAGE', 'invalid component name', { field, value: info.name, allowed: 'letters, digits, _ . - (not first)' });
    }
    if (this.entries.has(info.name)) {
      throw new CredoError('USAGE', `a ${this.kind} with this name is already registered`, { field, value: info.name });
    }
    for (const [key, def] of Object.entries(info.params)) {
      if (def.default !== undefined) {
        try {
          checkParam(def, def.default, `${this.kind}.${key}`);
        } catch (e) {
          throw new CredoError('USAGE', `${this.kind} ${info.name}: the default of ${key} violates its own schema`, { field: `${this.kind}.${key}`, value: def.default, cause: e });
        }
      }
    }
    this.entries.set(info.name, Object.freeze({ info: deepFreeze(structuredClone(info)), impl }));
  }

  /** The component called `name`, or an `UNKNOWN_COMPONENT` {@link CredoError} that lists the registered names. */
  get(name: string): Registered<T> {
    const e = this.entries.get(name);
    if (e === undefined) {
      const names = this.names();
      throw new CredoError('UNKNOWN_COMPONENT', `unknown ${this.kind}`, {
        field: `${this.kind}.name`,
        value: name,
        allowed: names.length ? names.join(', ') : `no ${this.kind}s registered`,
      });
    }
    return e;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** Infos of every registered component, in registration order. */
  list(): readonly ComponentInfo[] {
    return [...this.entries.values()].map((e) => e.info);
  }

  /** Registered names, in registration order. */
  names(): string[] {
    return [...this.entries.keys()];
  }
}

/**
 * The registries seen through core's read-only {@link Catalog}, which is what the sweep-file
 * validator takes (so it need not depend on the numeric packages).
 *
 * @example
 * ```ts
 * const catalog = catalogOf({ rule: ruleRegistry, model: modelRegistry, optimizer: optimizerRegistry, task: taskRegistry });
 * catalog.get('rule', 'fa')?.params.scale;
 * ```
 */
export function catalogOf(registries: Partial<Record<ComponentKind, Registry<unknown>>>): Catalog {
  return {
    get: (kind, name) => {
      const r = registries[kind];
      return r?.has(name) ? r.get(name).info : undefined;
    },
    list: (kind) => registries[kind]?.list() ?? [],
  };
}
