import {
  canonicalJson, checkParam, COMPONENT_KINDS, CredoError, describeAllowed, isListParam, resolveParams, TRAIN_SCHEMA,
  type Catalog, type ComponentInfo, type ComponentKind, type CredoErrorCode, type ParamSchema, type ParamValue,
} from '@credo/core';
import { didYouMean, relocate, type Locator, type SpecPath } from './locate.js';

/**
 * Validation of a parsed sweep file against a {@link Catalog}, producing the compiled form the
 * grid is built from and the normalized spec that is stored.
 *
 * Cost is O(sum of axis lengths): every axis value is checked once (once per component name
 * that shares it), every alternative's required and unknown parameters once; no combination of
 * values is ever looked at, so validating a 10¹² grid is as cheap as writing it down.
 */

export const TOP_LEVEL_KEYS = ['name', 'description', 'task', 'model', 'rule', 'optimizer', 'train', 'seeds'] as const;
export const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const NAME_ALLOWED = 'lowercase letters, digits, ".", "_" and "-", starting with a letter or digit, at most 64 characters';
/** The optimizer a sweep file may leave out. */
export const DEFAULT_OPTIMIZER = 'sgd';
const SEEDS_ALLOWED = 'a list of distinct non-negative integers, or a count n ≥ 1 meaning 0..n−1';

/** One parameter's values: a single value is an axis of length one. */
export interface CompiledAxis {
  readonly key: string;
  readonly values: readonly ParamValue[];
}

/** One alternative of a component dimension: one registered name and its parameter axes. */
export interface CompiledAlternative {
  readonly kind: ComponentKind;
  readonly info: ComponentInfo;
  readonly name: string;
  /** Given parameters in document order, then defaulted ones in schema order. */
  readonly axes: readonly CompiledAxis[];
  /** Where it was written, for messages: `rule`, `rule[2]`, `rule.name[1]`. */
  readonly label: string;
  /** The field of its name: `rule.name`, `rule[2].name`, `rule.name[1]`. */
  readonly nameField: string;
  readonly path: SpecPath;
}

export type CompiledSeeds = { readonly range: number } | { readonly list: readonly number[] };

export interface Compiled {
  readonly name: string | undefined;
  readonly description: string | undefined;
  readonly components: Readonly<Record<ComponentKind, readonly CompiledAlternative[]>>;
  readonly train: readonly CompiledAxis[];
  readonly seeds: CompiledSeeds;
}

/** Validation context: where values come from and how to report them. */
interface Ctx {
  readonly catalog: Catalog;
  readonly locate: Locator;
}

/**
 * Validates a sweep file already parsed into plain values. Throws the first problem as a
 * {@link CredoError} naming the field, the bad value and what is allowed.
 */
export function compileSpec(raw: unknown, catalog: Catalog, locate: Locator): Compiled {
  const ctx: Ctx = { catalog, locate };
  if (raw === null || raw === undefined) {
    throw fail(ctx, 'SPEC_INVALID', 'the sweep file is empty', [], { allowed: `a mapping with keys ${TOP_LEVEL_KEYS.join(', ')}` });
  }
  if (!isRecord(raw)) {
    throw fail(ctx, 'SPEC_INVALID', 'a sweep file must be a mapping', [], { value: raw, allowed: `a mapping with keys ${TOP_LEVEL_KEYS.join(', ')}` });
  }
  for (const key of Object.keys(raw)) {
    if (!(TOP_LEVEL_KEYS as readonly string[]).includes(key)) {
      throw fail(ctx, 'SPEC_INVALID', `unknown top-level key${didYouMean(key, TOP_LEVEL_KEYS)}`, [key], { field: key, allowed: TOP_LEVEL_KEYS.join(', ') }, true);
    }
  }

  const name = optional(raw, 'name');
  if (name !== undefined && (typeof name !== 'string' || !NAME_PATTERN.test(name))) {
    throw fail(ctx, 'SPEC_INVALID', 'invalid sweep name', ['name'], { field: 'name', value: name, allowed: NAME_ALLOWED });
  }
  const description = optional(raw, 'description');
  if (description !== undefined && typeof description !== 'string') {
    throw fail(ctx, 'SPEC_INVALID', 'must be a string', ['description'], { field: 'description', value: description, allowed: 'a string' });
  }

  const components = {} as Record<ComponentKind, CompiledAlternative[]>;
  for (const kind of COMPONENT_KINDS) {
    let value = optional(raw, kind);
    if (value === undefined) {
      if (kind === 'optimizer' && catalog.get('optimizer', DEFAULT_OPTIMIZER)) {
        value = DEFAULT_OPTIMIZER;
      } else {
        throw fail(ctx, 'SPEC_INVALID', `required section "${kind}" is missing`, [], { field: kind, allowed: `one of ${namesOf(ctx, kind)}` });
      }
    }
    components[kind] = compileComponent(ctx, kind, value);
  }
  checkRuleModels(ctx, components.rule, components.model);
  for (const kind of COMPONENT_KINDS) checkNoRepeats(ctx, components[kind]);

  const train = compileTrain(ctx, optional(raw, 'train'));
  const seeds = compileSeeds(ctx, optional(raw, 'seeds'));
  return { name: name as string | undefined, description: description as string | undefined, components, train, seeds };
}

/** A section that is absent or explicitly empty (`train:`) means "the default". */
function optional(raw: Record<string, unknown>, key: string): unknown {
  const v = raw[key];
  return v === null ? undefined : v;
}

function compileComponent(ctx: Ctx, kind: ComponentKind, value: unknown): CompiledAlternative[] {
  const shape = `a ${kind} name, a mapping {name, ...parameters}, or a list of these`;
  const entries: { value: unknown; path: SpecPath; field: string }[] = [];
  if (Array.isArray(value)) {
    if (value.length === 0) {
      throw fail(ctx, 'EMPTY_GRID', `empty list of ${kind} alternatives`, [kind], { field: kind, allowed: `at least one of ${namesOf(ctx, kind)}` });
    }
    value.forEach((v, i) => entries.push({ value: v, path: [kind, i], field: `${kind}[${i}]` }));
  } else {
    entries.push({ value, path: [kind], field: kind });
  }

  const out: CompiledAlternative[] = [];
  for (const e of entries) {
    let names: { name: unknown; field: string; path: SpecPath }[];
    let params: Record<string, unknown> = {};
    if (typeof e.value === 'string') {
      names = [{ name: e.value, field: `${e.field}.name`, path: e.path }];
    } else if (isRecord(e.value)) {
      params = e.value;
      const n = params['name'];
      if (n === undefined || n === null) {
        throw fail(ctx, 'SPEC_INVALID', `missing ${kind} name`, e.path, { field: `${e.field}.name`, allowed: `one of ${namesOf(ctx, kind)}` });
      }
      if (Array.isArray(n)) {
        if (n.length === 0) {
          throw fail(ctx, 'EMPTY_GRID', `empty list of ${kind} names`, [...e.path, 'name'], { field: `${e.field}.name`, allowed: `at least one of ${namesOf(ctx, kind)}` });
        }
        names = n.map((x, j) => ({ name: x, field: `${e.field}.name[${j}]`, path: [...e.path, 'name', j] }));
      } else {
        names = [{ name: n, field: `${e.field}.name`, path: [...e.path, 'name'] }];
      }
    } else {
      throw fail(ctx, 'SPEC_INVALID', `invalid ${kind}`, e.path, { field: e.field, value: e.value, allowed: shape });
    }

    for (const n of names) {
      if (typeof n.name !== 'string') {
        throw fail(ctx, 'SPEC_INVALID', `a ${kind} name must be a string`, n.path, { field: n.field, value: n.name, allowed: `one of ${namesOf(ctx, kind)}` });
      }
      const info = ctx.catalog.get(kind, n.name);
      if (!info) {
        const known = ctx.catalog.list(kind).map((c) => c.name);
        throw fail(ctx, 'UNKNOWN_COMPONENT', `unknown ${kind}${didYouMean(n.name, known)}`, n.path, { field: n.field, value: n.name, allowed: known.join(', ') || `no ${kind} is registered` });
      }
      // With `name: [fa, dfa]` the same parameters are checked against each named component,
      // and a message must say which one rejected them.
      const note = names.length > 1 ? `(for ${kind} "${n.name}")` : undefined;
      const axes = compileParams(ctx, info.params, params, { field: e.field, path: e.path, hasName: true, note });
      out.push({ kind, info, name: n.name, axes, label: names.length > 1 ? n.field : e.field, nameField: n.field, path: n.path });
    }
  }
  return out;
}

function compileTrain(ctx: Ctx, value: unknown): CompiledAxis[] {
  if (value !== undefined && !isRecord(value)) {
    throw fail(ctx, 'SPEC_INVALID', 'must be a mapping of training parameters', ['train'], {
      field: 'train', value, allowed: `a mapping with keys ${Object.keys(TRAIN_SCHEMA).join(', ')}`,
    });
  }
  return compileParams(ctx, TRAIN_SCHEMA, value ?? {}, { field: 'train', path: ['train'], hasName: false, note: undefined });
}

/**
 * Checks the parameters of one component alternative (or of `train`) and turns each into an
 * axis. A list is an axis, except for a list-typed parameter (`hidden: [512, 256]`), where only a
 * list of lists is (`hidden: [[256], [512, 256]]`).
 */
function compileParams(
  ctx: Ctx,
  schema: ParamSchema,
  given: Record<string, unknown>,
  where: { field: string; path: SpecPath; hasName: boolean; note: string | undefined },
): CompiledAxis[] {
  const keys = Object.keys(given).filter((k) => !(where.hasName && k === 'name'));
  const known = Object.keys(schema);
  for (const key of keys) {
    // Object.hasOwn, not `in`: a parameter called `constructor` must not match Object.prototype.
    if (!Object.hasOwn(schema, key)) {
      throw fail(ctx, 'UNKNOWN_PARAM', `unknown parameter${didYouMean(key, known)}`, [...where.path, key], {
        field: `${where.field}.${key}`, allowed: known.length ? known.join(', ') : 'no parameters',
      }, true, where.note);
    }
  }

  const axes: CompiledAxis[] = [];
  for (const key of keys) {
    const def = schema[key]!;
    const v = given[key];
    const field = `${where.field}.${key}`;
    const isAxis = Array.isArray(v) && (!isListParam(def) || v.some(Array.isArray));
    if (isAxis && v.length === 0) {
      throw fail(ctx, 'EMPTY_GRID', 'empty list of values (a list is a grid axis and needs at least one value)', [...where.path, key], {
        field, allowed: `a list of one or more of: ${describeAllowed(def)}`,
      }, false, where.note);
    }
    const raw: unknown[] = isAxis ? v : [v];
    const seen = new Set<string>();
    const values = raw.map((x, j) => {
      const path = isAxis ? [...where.path, key, j] : [...where.path, key];
      const f = isAxis ? `${field}[${j}]` : field;
      const checked = guard(ctx, path, where.note, () => checkParam(def, x, f));
      const id = canonicalJson(checked);
      if (seen.has(id)) {
        throw fail(ctx, 'SPEC_INVALID', 'duplicate value in a grid axis (it would repeat trials)', path, { field: f, value: x }, false, where.note);
      }
      seen.add(id);
      return freezeValue(checked);
    });
    axes.push({ key, values });
  }

  // resolveParams fills the defaults and reports required parameters that are missing, with
  // the same wording as everywhere else; the given values were checked above, so one probe
  // combination (the first value of each axis) is enough.
  const probe = Object.fromEntries(axes.map((a) => [a.key, a.values[0]]));
  const full = guard(ctx, where.path, where.note, () => resolveParams(schema, probe, where.field));
  for (const key of known) {
    if (!keys.includes(key)) axes.push({ key, values: [freezeValue(full[key] as ParamValue)] });
  }
  return axes;
}

function compileSeeds(ctx: Ctx, value: unknown): CompiledSeeds {
  if (value === undefined) return { range: 1 };
  if (typeof value === 'number') {
    if (value === 0) throw fail(ctx, 'EMPTY_GRID', 'zero seeds', ['seeds'], { field: 'seeds', value, allowed: SEEDS_ALLOWED });
    if (!Number.isSafeInteger(value) || value < 0) throw fail(ctx, 'BAD_PARAM', 'invalid seed count', ['seeds'], { field: 'seeds', value, allowed: SEEDS_ALLOWED });
    return { range: value };
  }
  if (!Array.isArray(value)) {
    throw fail(ctx, 'SPEC_INVALID', 'must be a list of seeds or a count', ['seeds'], { field: 'seeds', value, allowed: SEEDS_ALLOWED });
  }
  if (value.length === 0) throw fail(ctx, 'EMPTY_GRID', 'empty list of seeds', ['seeds'], { field: 'seeds', allowed: SEEDS_ALLOWED });
  const seen = new Set<number>();
  value.forEach((s, i) => {
    if (typeof s !== 'number' || !Number.isSafeInteger(s) || s < 0) {
      throw fail(ctx, 'BAD_PARAM', 'invalid seed', ['seeds', i], { field: `seeds[${i}]`, value: s, allowed: SEEDS_ALLOWED });
    }
    if (seen.has(s)) throw fail(ctx, 'SPEC_INVALID', 'duplicate seed (it would repeat trials)', ['seeds', i], { field: `seeds[${i}]`, value: s, allowed: SEEDS_ALLOWED });
    seen.add(s);
  });
  // [0, 1, ..., n−1] and n are the same grid; one normal form keeps the spec hash the same.
  const list = value as number[];
  return list.every((s, i) => s === i) ? { range: list.length } : { list: Object.freeze([...list]) };
}

/** Every rule is paired with every model of the sweep, so each pair must be trainable. */
function checkRuleModels(ctx: Ctx, rules: readonly CompiledAlternative[], models: readonly CompiledAlternative[]): void {
  for (const r of rules) {
    const ok = r.info.models;
    if (!ok) continue;
    for (const m of models) {
      if (!ok.includes(m.name)) {
        throw fail(ctx, 'SPEC_INVALID', `rule "${r.name}" cannot train model "${m.name}" (every rule of a sweep is paired with every model)`, r.path, {
          field: r.nameField, value: r.name, allowed: `models ${ok.join(', ')}`,
        });
      }
    }
  }
}

/**
 * Two alternatives with the same name whose axes intersect on every parameter would produce the
 * same trial twice (same key), which breaks exactly-once accounting; reject them here, where it
 * costs the sum of their axis lengths, instead of discovering it trial by trial.
 */
function checkNoRepeats(ctx: Ctx, alts: readonly CompiledAlternative[]): void {
  const byName = new Map<string, CompiledAlternative[]>();
  for (const a of alts) {
    const group = byName.get(a.name) ?? [];
    for (const b of group) {
      if (overlaps(b, a)) {
        throw fail(ctx, 'SPEC_INVALID', `repeats trials of ${b.label} (same ${a.kind} and overlapping values of every parameter)`, a.path, {
          field: a.label, value: a.name, allowed: `alternatives of the same ${a.kind} that differ in at least one parameter`,
        });
      }
    }
    group.push(a);
    byName.set(a.name, group);
  }
}

function overlaps(a: CompiledAlternative, b: CompiledAlternative): boolean {
  for (const axis of a.axes) {
    const other = b.axes.find((x) => x.key === axis.key);
    if (!other) return false;
    const mine = new Set(axis.values.map((v) => canonicalJson(v)));
    if (!other.values.some((v) => mine.has(canonicalJson(v)))) return false;
  }
  return true;
}

function namesOf(ctx: Ctx, kind: ComponentKind): string {
  const names = ctx.catalog.list(kind).map((c) => c.name);
  return names.length ? names.join(', ') : `(no ${kind} registered)`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** List values are copied so that freezing trials never freezes a catalog's default arrays. */
function freezeValue(v: ParamValue): ParamValue {
  return Array.isArray(v) ? Object.freeze([...(v as readonly number[])]) : v;
}

function fail(
  ctx: Ctx, code: CredoErrorCode, message: string, path: SpecPath,
  details: { field?: string; value?: unknown; allowed?: string }, atKey = false, note?: string,
): CredoError {
  return relocate(new CredoError(code, message, details), ctx.locate(path, atKey), note);
}

/** Runs a core check and gives its error the position of `path` in the file. */
function guard<T>(ctx: Ctx, path: SpecPath, note: string | undefined, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof CredoError) throw relocate(e, ctx.locate(path), note);
    throw e;
  }
}
