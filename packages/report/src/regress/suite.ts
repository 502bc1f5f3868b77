import { readFile } from 'node:fs/promises';
import { canonicalJson, CredoError, hashKey, type Catalog, type ParamValue } from '@credo/core';
import { sweepFromSpec, SWEEP_NAME_PATTERN, type Sweep } from '@credo/spec';
import type { Better } from '@credo/store';
import { parse as parseYaml } from 'yaml';

/*
 * A regression suite file (regress/nightly.yaml): a few small sweeps, and the benchmarks judged
 * on them, each with the direction that is better and the smallest change that matters. The
 * file is validated whole before anything runs, naming the field, the bad value and what is
 * allowed (promise 5); the sweeps are validated against the registered components by the spec
 * package, as any sweep file is.
 */

/** One benchmark: a rule on a task, judged by one metric. */
export interface BenchmarkSpec {
  /** `rule/task/metric`, e.g. `fa/linear-teacher/test/mse`. */
  readonly id: string;
  readonly rule: string;
  readonly task: string;
  readonly metric: string;
  readonly better: Better;
  /** The smallest change that matters: absolute, or a fraction of the baseline mean when `relative`. */
  readonly minChange: number;
  readonly relative: boolean;
  /** More parameter values a trial must have to count (when the sweeps vary more than rule and task). */
  readonly where: Readonly<Record<string, ParamValue>>;
}

/** Decision settings of a suite; see decide.ts. */
export interface SuiteSettings {
  /** Level of the one-sided Mann–Whitney test per benchmark (default 0.05). */
  readonly alpha: number;
  /** A regression must also be this many standard deviations from the lookback window's nightly means (default 3). */
  readonly zMin: number;
  /** Past nights in the window (default 14). */
  readonly lookback: number;
  /** The z criterion applies only with at least this many past nights (default 5). */
  readonly minHistory: number;
}

export interface RegressSuite extends SuiteSettings {
  readonly name: string;
  readonly description?: string;
  /** The sweeps, as written (each a sweep spec with its own short `name`). */
  readonly sweeps: ReadonlyArray<{ readonly name: string; readonly spec: Record<string, unknown> }>;
  readonly benchmarks: readonly BenchmarkSpec[];
  /**
   * Hash of the sweeps alone: a baseline is only comparable when this matches (editing a
   * threshold keeps the history; changing what runs starts a new one).
   */
  readonly sweepsHash: string;
}

const SUITE_KEYS = ['suite', 'description', 'alpha', 'zMin', 'lookback', 'minHistory', 'sweeps', 'benchmarks'];
const BENCH_KEYS = ['rule', 'task', 'metric', 'better', 'minChange', 'where'];

/**
 * Parses and validates a suite (YAML text). Sweep specs are checked later, against a catalog,
 * by {@link suiteSweeps}.
 *
 * @example
 * ```ts
 * const suite = parseSuite(await readFile('regress/nightly.yaml', 'utf8'), 'regress/nightly.yaml');
 * suite.benchmarks[0]; // { id: 'bp/linear-teacher/test/mse', better: 'lower', minChange: 0.25, relative: true, … }
 * ```
 */
export function parseSuite(text: string, source = 'suite'): RegressSuite {
  let raw: unknown;
  try {
    raw = parseYaml(text, { uniqueKeys: true });
  } catch (e) {
    throw new CredoError('SPEC_SYNTAX', `${source}: invalid YAML: ${(e as Error).message.split('\n')[0]}`, { cause: e });
  }
  const bad = (field: string, value: unknown, allowed: string, msg = 'invalid value'): CredoError =>
    new CredoError('SPEC_INVALID', `${source}: ${msg}`, { field, value, allowed });
  if (!isObject(raw)) throw bad('(top level)', raw, 'a mapping with suite, sweeps and benchmarks');
  for (const k of Object.keys(raw)) if (!SUITE_KEYS.includes(k)) throw bad(k, raw[k], SUITE_KEYS.join(', '), 'unknown key');
  const name = raw['suite'];
  if (typeof name !== 'string' || !SWEEP_NAME_PATTERN.test(name) || name.length > 24) {
    throw bad('suite', name, 'a name of lowercase letters, digits, ".", "_" and "-", at most 24 characters');
  }
  const num = (k: string, dflt: number, ok: (v: number) => boolean, allowed: string): number => {
    const v = raw[k] ?? dflt;
    if (typeof v !== 'number' || !ok(v)) throw bad(k, v, allowed);
    return v;
  };
  const alpha = num('alpha', 0.05, (v) => v > 0 && v < 0.5, 'a number in (0, 0.5)');
  const zMin = num('zMin', 3, (v) => v >= 0, 'a number ≥ 0');
  const lookback = num('lookback', 14, (v) => Number.isInteger(v) && v >= 1, 'an integer ≥ 1');
  const minHistory = num('minHistory', 5, (v) => Number.isInteger(v) && v >= 2, 'an integer ≥ 2');
  const description = raw['description'];
  if (description !== undefined && typeof description !== 'string') throw bad('description', description, 'text');

  const sweepsRaw = raw['sweeps'];
  if (!Array.isArray(sweepsRaw) || sweepsRaw.length === 0) throw bad('sweeps', sweepsRaw, 'a non-empty list of sweep specs, each with a name');
  const sweepNames = new Set<string>();
  const sweeps = sweepsRaw.map((s, i) => {
    if (!isObject(s)) throw bad(`sweeps[${i}]`, s, 'a sweep spec (task, model, rule, optimizer, train, seeds) with a name');
    const n = s['name'];
    if (typeof n !== 'string' || !/^[a-z0-9][a-z0-9_-]{0,15}$/.test(n)) throw bad(`sweeps[${i}].name`, n, 'a short name: lowercase letters, digits, _ and -, at most 16 characters');
    if (sweepNames.has(n)) throw bad(`sweeps[${i}].name`, n, 'a name no other sweep of the suite has');
    sweepNames.add(n);
    const { name: _n, ...spec } = s;
    return { name: n, spec };
  });

  const benchRaw = raw['benchmarks'];
  if (!Array.isArray(benchRaw) || benchRaw.length === 0) throw bad('benchmarks', benchRaw, 'a non-empty list of {rule, task, metric, better, minChange}');
  const ids = new Set<string>();
  const benchmarks = benchRaw.map((b, i): BenchmarkSpec => {
    const f = (k: string) => `benchmarks[${i}].${k}`;
    if (!isObject(b)) throw bad(`benchmarks[${i}]`, b, 'a mapping with rule, task, metric, better, minChange');
    for (const k of Object.keys(b)) if (!BENCH_KEYS.includes(k)) throw bad(f(k), b[k], BENCH_KEYS.join(', '), 'unknown key');
    for (const k of ['rule', 'task', 'metric'] as const) if (typeof b[k] !== 'string' || b[k] === '') throw bad(f(k), b[k], 'a non-empty name');
    const better = b['better'];
    if (better !== 'lower' && better !== 'higher') throw bad(f('better'), better, 'lower, higher');
    const { minChange, relative } = parseMinChange(b['minChange'], f('minChange'), source);
    const where = b['where'] ?? {};
    if (!isObject(where)) throw bad(f('where'), where, 'a mapping of dotted parameter names to values');
    const id = `${b['rule']}/${b['task']}/${b['metric']}${Object.keys(where).length ? `@${canonicalJson(where)}` : ''}`;
    if (ids.has(id)) throw bad(`benchmarks[${i}]`, id, 'a benchmark no other entry names');
    ids.add(id);
    return { id, rule: b['rule'] as string, task: b['task'] as string, metric: b['metric'] as string, better, minChange, relative, where: where as Record<string, ParamValue> };
  });
  return {
    name,
    ...(description ? { description } : {}),
    alpha,
    zMin,
    lookback,
    minHistory,
    sweeps,
    benchmarks,
    sweepsHash: hashKey(sweeps),
  };
}

/** `0.05` (absolute) or `"20%"` (relative to the baseline mean). */
function parseMinChange(v: unknown, field: string, source: string): { minChange: number; relative: boolean } {
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) return { minChange: v, relative: false };
  if (typeof v === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(v);
    if (m && Number(m[1]) > 0) return { minChange: Number(m[1]) / 100, relative: true };
  }
  throw new CredoError('SPEC_INVALID', `${source}: invalid value`, { field, value: v, allowed: 'a number > 0 (absolute) or a percentage like "20%" (of the baseline mean)' });
}

/**
 * Reads and parses a suite file; a missing file is FILE_NOT_FOUND.
 *
 * @example
 * ```ts
 * const suite = await loadSuite('regress/nightly.yaml');
 * ```
 */
export async function loadSuite(path: string): Promise<RegressSuite> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new CredoError('FILE_NOT_FOUND', `suite file not found: ${path}`, { cause: e });
    throw new CredoError('USAGE', `cannot read suite file ${path}: ${(e as Error).message}`, { cause: e });
  }
  return parseSuite(text, path);
}

/**
 * A parameter override for one run (`--set`): `[alternative:]kind.param=value`, e.g.
 * `fa:rule.scale=0.000001` (only FA's feedback scale), `rule.scale=0.5` (every rule that has
 * the parameter), `train.epochs=2`. The value is read as YAML (numbers, booleans, lists).
 */
export interface Override {
  readonly key: string;
  readonly alternative?: string;
  readonly kind: 'task' | 'model' | 'rule' | 'optimizer' | 'train';
  readonly param: string;
  readonly value: ParamValue;
}

/**
 * Parses `--set` text.
 *
 * @example
 * ```ts
 * parseOverride('fa:rule.scale=0.000001') // { key: 'fa:rule.scale', alternative: 'fa', kind: 'rule', param: 'scale', value: 0.000001 }
 * ```
 */
export function parseOverride(text: string): Override {
  const m = /^(?:([a-z0-9][a-z0-9._-]*):)?(task|model|rule|optimizer|train)\.([A-Za-z][A-Za-z0-9]*)=(.*)$/s.exec(text.trim());
  if (!m) {
    throw new CredoError('USAGE', 'invalid value', { field: '--set', value: text, allowed: '[alternative:]kind.param=value, e.g. fa:rule.scale=0.000001 or train.epochs=2' });
  }
  let value: unknown;
  try {
    value = parseYaml(m[4]!);
  } catch {
    value = m[4];
  }
  if (value === null || value === undefined || (typeof value === 'object' && !Array.isArray(value))) {
    throw new CredoError('USAGE', 'invalid value', { field: '--set', value: text, allowed: 'a number, string, boolean or list after =' });
  }
  if (m[1] !== undefined && m[2] === 'train') {
    throw new CredoError('USAGE', 'train has no alternatives', { field: '--set', value: text });
  }
  return { key: `${m[1] ? `${m[1]}:` : ''}${m[2]}.${m[3]}`, ...(m[1] ? { alternative: m[1] } : {}), kind: m[2] as Override['kind'], param: m[3]!, value: value as ParamValue };
}

/**
 * Builds the sweeps of one run of a suite: each named `<runId>-<sweep name>`, with the
 * overrides applied, validated against the catalog. An override that no sweep can take (no
 * such parameter in any matching alternative) is a usage error, so that a typo cannot make a
 * "broken rule" run that silently runs the normal code.
 *
 * @example
 * ```ts
 * const sweeps = suiteSweeps(suite, defaultCatalog(), 'nightly-2025-01-31-nightly', [parseOverride('fa:rule.scale=0.000001')]);
 * ```
 */
export function suiteSweeps(suite: RegressSuite, catalog: Catalog, runId: string, overrides: readonly Override[] = []): Sweep[] {
  const used = new Set<string>();
  const sweeps = suite.sweeps.map((s) => {
    const id = `${runId}-${s.name}`;
    const base = sweepFromSpec({ ...s.spec, name: id }, catalog, { source: `suite ${suite.name}, sweep ${s.name}` });
    if (overrides.length === 0) return base;
    const spec = JSON.parse(JSON.stringify(base.spec)) as Record<string, unknown>;
    for (const o of overrides) {
      if (o.kind === 'train') {
        const train = spec['train'] as Record<string, unknown>;
        if (o.param in train) {
          train[o.param] = [o.value];
          used.add(o.key);
        }
        continue;
      }
      for (const alt of spec[o.kind] as Array<Record<string, unknown>>) {
        if (o.alternative !== undefined && alt['name'] !== o.alternative) continue;
        if (o.param === 'name' || !(o.param in alt)) continue;
        alt[o.param] = [o.value];
        used.add(o.key);
      }
    }
    return sweepFromSpec(spec, catalog, { source: `suite ${suite.name}, sweep ${s.name} with --set` });
  });
  for (const o of overrides) {
    if (!used.has(o.key)) {
      throw new CredoError('USAGE', 'no sweep of the suite has this parameter', { field: '--set', value: o.key, allowed: 'a parameter of a component the suite runs (see credo rules)' });
    }
  }
  return sweeps;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
