import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import {
  canonicalJson, COMPONENT_KINDS, CredoError, deepFreeze, hashKey, TRAIN_SCHEMA,
  type Catalog, type ComponentConfig, type ParamSchema, type ParamValue, type TrialConfig,
} from '@credo/core';
import { LineCounter, parseDocument } from 'yaml';
import { compileSpec, NAME_PATTERN, type Compiled, type CompiledAlternative, type CompiledAxis } from './compile.js';
import { Axis, choice, product, RangeAxis, type GridNode } from './grid.js';
import { noLocation, yamlLocator } from './locate.js';

/** One fully resolved trial of a sweep. */
export interface Trial {
  /** Position in the sweep's expansion order, 0-based. */
  readonly index: number;
  /** `hashKey(config)`: 16 hex digits identifying the trial wherever and whenever it is expanded. */
  readonly key: string;
  /** `hashKey(config without seed)`: equal for the seeds of one configuration. */
  readonly configKey: string;
  /** Frozen; every parameter has its final value (defaults filled). */
  readonly config: TrialConfig;
  /**
   * Frozen flat view of the config, dotted names → values, in a fixed order (task, model, rule,
   * optimizer, train, each `name` then parameters in schema order, `seed` last):
   * `task.name`, `task.train`, `model.hidden`, `rule.name`, `rule.scale`, `optimizer.lr`, `train.epochs`, …, `seed`.
   */
  readonly params: Readonly<Record<string, ParamValue>>;
}

/**
 * One alternative of a component in the normalized spec: its name and every parameter as a
 * list of values (an axis; list-typed parameters are lists of lists). Defaults are written out.
 */
export interface ComponentSpec {
  readonly name: string;
  readonly [param: string]: string | readonly ParamValue[];
}

/**
 * The normalized sweep spec: the file with shorthand expanded (`rule: bp` → `[{name: bp, ...}]`,
 * `name: [fa, dfa]` split into alternatives, scalars → one-value lists, defaults filled, seeds as a
 * count when they are 0..n−1). It is itself a valid sweep file with the same trials in the same
 * order, provided it is stored with its key order (`JSON.stringify`, not `canonicalJson`:
 * parameter axes nest in document order).
 */
export interface SweepSpec {
  readonly name: string;
  readonly description?: string;
  readonly task: readonly ComponentSpec[];
  readonly model: readonly ComponentSpec[];
  readonly rule: readonly ComponentSpec[];
  readonly optimizer: readonly ComponentSpec[];
  readonly train: Readonly<Record<string, readonly ParamValue[]>>;
  readonly seeds: number | readonly number[];
}

/**
 * A validated sweep and its lazy expansion. Nothing is materialized: `count` comes from the
 * grid's shape and `at(i)` computes one trial in O(depth).
 *
 * Order: nested loops over task, model, rule, optimizer, train, then seeds (fastest). Within a
 * component, alternatives come in the order written and, inside one, the name is the outer loop
 * and parameters nest in document order (the last written varies fastest).
 *
 * @example
 * ```ts
 * const sweep = parseSweep(text, catalog);
 * const last = sweep.at(sweep.count - 1);      // O(depth), whatever the size of the grid
 * for (const t of sweep.trials(resumeFrom)) submit(t.key, t.config);
 * ```
 */
export interface Sweep {
  /** The sweep id; same as `name`. */
  readonly id: string;
  readonly name: string;
  readonly description: string | undefined;
  /** `hashKey(spec)`: changes when the trials (or the name or description) change. */
  readonly specHash: string;
  /** Number of trials. */
  readonly count: number;
  /** Dotted names of the parameters that take more than one value across the grid, seed excluded. */
  readonly varied: readonly string[];
  /** The seeds of every configuration, in order. */
  readonly seeds: readonly number[];
  /** Trial `index` (0 ≤ index < count). */
  at(index: number): Trial;
  /** Trials from `from` to the end, computed one at a time. */
  trials(from?: number): Iterable<Trial>;
  /** Normalized, frozen, JSON-safe; see {@link SweepSpec}. */
  readonly spec: SweepSpec;
}

export interface ParseSweepOptions {
  /** File name for error positions; its basename without extension is the default sweep name. */
  readonly source?: string;
}

/**
 * Parses and validates a sweep file (YAML or JSON text) against the registered components.
 * Throws a {@link CredoError} naming the field, the bad value and what is allowed (with its
 * `file:line:col`) before anything runs.
 *
 * @example
 * ```ts
 * const sweep = parseSweep(
 *   'task: {name: mnist, train: 10000}\nmodel: mlp\nrule: [bp, fa]\noptimizer: {name: sgd, lr: [0.1, 0.3]}\nseeds: 2\n',
 *   catalog, { source: 'quickstart.yaml' },
 * );
 * sweep.count;                 // 2 rules × 2 lr × 2 seeds = 8
 * sweep.at(1).params;          // { 'task.name': 'mnist', …, 'rule.name': 'bp', 'optimizer.lr': 0.1, …, seed: 1 }
 * for (const t of sweep.trials()) run(t.config);
 * ```
 */
export function parseSweep(text: string, catalog: Catalog, opts: ParseSweepOptions = {}): Sweep {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const where = (line: number, col: number): string => (opts.source === undefined ? `line ${line}, column ${col}` : `${opts.source}:${line}:${col}`);
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0] ?? lines.linePos(first.pos[0]);
    // yaml's message is "<what> at line L, column C:\n\n<code frame>"; the CLI prints one line.
    const what = (first.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    throw new CredoError('SPEC_SYNTAX', `${where(pos.line, pos.col)}: invalid YAML: ${what}`);
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    throw new CredoError('SPEC_SYNTAX', `${opts.source ?? 'sweep'}: invalid YAML: ${(e as Error).message}`, { cause: e });
  }
  const locate = yamlLocator(doc, lines, where);
  return buildSweep(compileSpec(raw, catalog, locate), opts.source);
}

/**
 * Reads and parses a sweep file; see {@link parseSweep}. A missing file is `FILE_NOT_FOUND`.
 *
 * @example
 * ```ts
 * const sweep = await loadSweep('examples/fa-vs-bp.yaml', catalog);
 * console.log(`${sweep.id}: ${sweep.count} trials, varying ${sweep.varied.join(', ')}`);
 * ```
 */
export async function loadSweep(path: string, catalog: Catalog): Promise<Sweep> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new CredoError('FILE_NOT_FOUND', `sweep file not found: ${path}`, { cause: e });
    }
    if (code === 'EISDIR') throw new CredoError('USAGE', `${path} is a directory, not a sweep file`, { cause: e });
    throw new CredoError('USAGE', `cannot read sweep file ${path}: ${(e as Error).message}`, { cause: e });
  }
  return parseSweep(text, catalog, { source: path });
}

/**
 * Rebuilds a sweep from an already parsed object, typically a stored {@link Sweep.spec}: same
 * validation, same trials and keys, no file positions in errors.
 *
 * @example
 * ```ts
 * const again = sweepFromSpec(JSON.parse(JSON.stringify(sweep.spec)), catalog);
 * again.specHash === sweep.specHash; // true
 * ```
 */
export function sweepFromSpec(spec: unknown, catalog: Catalog, opts: ParseSweepOptions = {}): Sweep {
  return buildSweep(compileSpec(spec, catalog, noLocation), opts.source);
}

function buildSweep(c: Compiled, source: string | undefined): Sweep {
  const body = {
    task: componentSpec(c.components.task),
    model: componentSpec(c.components.model),
    rule: componentSpec(c.components.rule),
    optimizer: componentSpec(c.components.optimizer),
    train: Object.fromEntries(c.train.map((a) => [a.key, [...a.values]])),
    seeds: 'range' in c.seeds ? c.seeds.range : [...c.seeds.list],
  };
  // Without a name and a file to take it from, a name derived from the content keeps re-runs of
  // the same sweep on the same id (resume) and different sweeps apart.
  const name = c.name ?? nameFromSource(source) ?? `sweep-${hashKey(body, 8)}`;
  const spec: SweepSpec = deepFreeze({ name, ...(c.description === undefined ? {} : { description: c.description }), ...body });

  const nodes: GridNode<ParamValue>[] = COMPONENT_KINDS.map((kind) =>
    choice(c.components[kind].map((alt) => product<ParamValue>([new Axis(`${kind}.name`, [alt.name]), ...axesOf(kind, alt.axes)], `${alt.label}`)), kind),
  );
  nodes.push(product(axesOf('train', c.train), 'train'));
  nodes.push('range' in c.seeds ? (new RangeAxis('seed', c.seeds.range) as GridNode<ParamValue>) : new Axis<ParamValue>('seed', c.seeds.list));
  const root = product(nodes, 'the sweep (task × model × rule × optimizer × train × seeds)');

  const schemas = new Map<string, ParamSchema>();
  for (const kind of COMPONENT_KINDS) for (const alt of c.components[kind]) schemas.set(`${kind}\0${alt.name}`, alt.info.params);

  return new GridSweep(spec, hashKey(spec), root, schemas, variedOf(c), c.seeds);
}

class GridSweep implements Sweep {
  readonly id: string;
  readonly name: string;
  readonly description: string | undefined;
  readonly count: number;
  readonly #root: GridNode<ParamValue>;
  readonly #schemas: ReadonlyMap<string, ParamSchema>;
  readonly #seeds: Compiled['seeds'];
  #seedList: readonly number[] | undefined;

  constructor(
    readonly spec: SweepSpec,
    readonly specHash: string,
    root: GridNode<ParamValue>,
    schemas: ReadonlyMap<string, ParamSchema>,
    readonly varied: readonly string[],
    seeds: Compiled['seeds'],
  ) {
    this.id = spec.name;
    this.name = spec.name;
    this.description = spec.description;
    this.count = root.count;
    this.#root = root;
    this.#schemas = schemas;
    this.#seeds = seeds;
    Object.freeze(varied);
  }

  get seeds(): readonly number[] {
    // `seeds: 1000000` is held as a range; the list is only built if someone asks for it.
    this.#seedList ??= 'range' in this.#seeds ? Object.freeze(Array.from({ length: this.#seeds.range }, (_, i) => i)) : this.#seeds.list;
    return this.#seedList;
  }

  at(index: number): Trial {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.count) {
      throw new CredoError('USAGE', 'trial index out of range', { field: 'index', value: index, allowed: `an integer from 0 to ${this.count - 1}` });
    }
    const picked: Record<string, ParamValue> = {};
    this.#root.pick(index, picked);

    const params: Record<string, ParamValue> = {};
    const parts: Record<string, unknown> = {};
    for (const kind of COMPONENT_KINDS) {
      const name = picked[`${kind}.name`] as string;
      const comp: Record<string, ParamValue> = { name };
      params[`${kind}.name`] = name;
      for (const key of Object.keys(this.#schemas.get(`${kind}\0${name}`)!)) {
        const v = picked[`${kind}.${key}`] as ParamValue;
        comp[key] = v;
        params[`${kind}.${key}`] = v;
      }
      parts[kind] = Object.freeze(comp) as ComponentConfig;
    }
    const train: Record<string, ParamValue> = {};
    for (const key of Object.keys(TRAIN_SCHEMA)) {
      const v = picked[`train.${key}`] as ParamValue;
      train[key] = v;
      params[`train.${key}`] = v;
    }
    parts['train'] = Object.freeze(train);
    const seed = picked['seed'] as number;
    params['seed'] = seed;

    // List values are frozen copies made at validation, shared by all trials.
    const config = Object.freeze({ ...parts, seed }) as unknown as TrialConfig;
    return Object.freeze({
      index,
      key: hashKey(config),
      configKey: hashKey(parts),
      config,
      params: Object.freeze(params),
    });
  }

  *trials(from = 0): Generator<Trial, void, undefined> {
    if (!Number.isSafeInteger(from) || from < 0 || from > this.count) {
      throw new CredoError('USAGE', 'trial index out of range', { field: 'from', value: from, allowed: `an integer from 0 to ${this.count}` });
    }
    for (let i = from; i < this.count; i++) yield this.at(i);
  }
}

function axesOf(prefix: string, axes: readonly CompiledAxis[]): GridNode<ParamValue>[] {
  return axes.map((a) => new Axis(`${prefix}.${a.key}`, a.values));
}

function componentSpec(alts: readonly CompiledAlternative[]): ComponentSpec[] {
  return alts.map((a) => ({ name: a.name, ...Object.fromEntries(a.axes.map((x) => [x.key, [...x.values]])) }));
}

/** Parameters with more than one distinct value across the grid, in `params` order. */
function variedOf(c: Compiled): string[] {
  const out: string[] = [];
  for (const kind of COMPONENT_KINDS) {
    const alts = c.components[kind];
    if (new Set(alts.map((a) => a.name)).size > 1) out.push(`${kind}.name`);
    const values = new Map<string, Set<string>>();
    for (const alt of alts) {
      for (const key of Object.keys(alt.info.params)) {
        const axis = alt.axes.find((a) => a.key === key);
        const set = values.get(key) ?? new Set<string>();
        for (const v of axis?.values ?? []) set.add(canonicalJson(v));
        values.set(key, set);
      }
    }
    for (const [key, set] of values) if (set.size > 1) out.push(`${kind}.${key}`);
  }
  for (const a of c.train) if (a.values.length > 1) out.push(`train.${a.key}`);
  return out;
}

/** `runs/FA vs BP.yaml` → `fa-vs-bp`; undefined when nothing usable is left. */
function nameFromSource(source: string | undefined): string | undefined {
  if (source === undefined) return undefined;
  const base = basename(source, extname(source))
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 64);
  return NAME_PATTERN.test(base) ? base : undefined;
}
