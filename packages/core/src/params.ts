import { CredoError, showValue } from './errors.js';

/**
 * The schema language for the parameters of every registered component (task, model, rule,
 * optimizer) and of the training loop. It is deliberately small: enough to validate a sweep
 * file before anything runs, to fill defaults, and to print `credo rules`.
 *
 * @example
 * ```ts
 * const schema: ParamSchema = {
 *   lr: { type: 'number', min: 0, exclusiveMin: true, default: 0.1, description: 'learning rate' },
 *   hidden: { type: 'integer[]', min: 1, default: [256], description: 'hidden layer sizes' },
 * };
 * resolveParams(schema, { lr: 0.5 }, 'optimizer'); // { lr: 0.5, hidden: [256] }
 * ```
 */
export type ParamDef =
  | { type: 'number'; description: string; default?: number; min?: number; max?: number; exclusiveMin?: boolean; exclusiveMax?: boolean }
  | { type: 'integer'; description: string; default?: number; min?: number; max?: number }
  | { type: 'boolean'; description: string; default?: boolean }
  | { type: 'string'; description: string; default?: string }
  | { type: 'enum'; description: string; values: readonly string[]; default?: string }
  | { type: 'integer[]'; description: string; default?: readonly number[]; min?: number; minLength?: number };

export type ParamSchema = Readonly<Record<string, ParamDef>>;
export type ParamValue = number | boolean | string | readonly number[];
export type Params = Readonly<Record<string, ParamValue>>;

/** True when a parameter's value is itself a list, so that in a sweep file a list of lists is a grid axis. */
export function isListParam(def: ParamDef): boolean {
  return def.type === 'integer[]';
}

/** Human description of what a parameter accepts, used in errors and `credo rules`. */
export function describeAllowed(def: ParamDef): string {
  switch (def.type) {
    case 'number': {
      const lo = def.min === undefined ? '' : `${def.exclusiveMin ? '>' : '≥'} ${def.min}`;
      const hi = def.max === undefined ? '' : `${def.exclusiveMax ? '<' : '≤'} ${def.max}`;
      return ['number', lo, hi].filter(Boolean).join(' ');
    }
    case 'integer': {
      const lo = def.min === undefined ? '' : `≥ ${def.min}`;
      const hi = def.max === undefined ? '' : `≤ ${def.max}`;
      return ['integer', lo, hi].filter(Boolean).join(' ');
    }
    case 'boolean':
      return 'true or false';
    case 'string':
      return 'a string';
    case 'enum':
      return `one of ${def.values.join(', ')}`;
    case 'integer[]':
      return `a list of integers${def.min === undefined ? '' : ` ≥ ${def.min}`}${def.minLength ? ` (at least ${def.minLength})` : ''}`;
  }
}

/** Checks one value against its definition; returns the value or throws a BAD_PARAM error naming `field`. */
export function checkParam(def: ParamDef, value: unknown, field: string): ParamValue {
  const bad = (): never => {
    throw new CredoError('BAD_PARAM', 'invalid value', { field, value, allowed: describeAllowed(def) });
  };
  switch (def.type) {
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) bad();
      if (def.min !== undefined && ((value as number) < def.min || (def.exclusiveMin && value === def.min))) bad();
      if (def.max !== undefined && ((value as number) > def.max || (def.exclusiveMax && value === def.max))) bad();
      return value as number;
    case 'integer':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) bad();
      if (def.min !== undefined && (value as number) < def.min) bad();
      if (def.max !== undefined && (value as number) > def.max) bad();
      return value as number;
    case 'boolean':
      if (typeof value !== 'boolean') bad();
      return value as boolean;
    case 'string':
      if (typeof value !== 'string') bad();
      return value as string;
    case 'enum':
      if (typeof value !== 'string' || !def.values.includes(value)) bad();
      return value as string;
    case 'integer[]': {
      if (!Array.isArray(value)) bad();
      const arr = value as unknown[];
      if (def.minLength !== undefined && arr.length < def.minLength) bad();
      for (const x of arr) {
        if (typeof x !== 'number' || !Number.isSafeInteger(x) || (def.min !== undefined && x < def.min)) bad();
      }
      return Object.freeze([...(arr as number[])]);
    }
  }
}

/**
 * Validates `given` against `schema` and fills defaults. Unknown keys, missing required keys and
 * bad values each throw a {@link CredoError} whose field is `prefix.key`.
 */
export function resolveParams(schema: ParamSchema, given: Readonly<Record<string, unknown>>, prefix: string): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(schema, key)) {
      const known = Object.keys(schema);
      throw new CredoError('UNKNOWN_PARAM', 'unknown parameter', {
        field: `${prefix}.${key}`,
        allowed: known.length ? known.join(', ') : 'no parameters',
      });
    }
  }
  for (const [key, def] of Object.entries(schema)) {
    const field = `${prefix}.${key}`;
    if (Object.hasOwn(given, key) && given[key] !== undefined && given[key] !== null) {
      out[key] = checkParam(def, given[key], field);
    } else if (def.default !== undefined) {
      out[key] = def.default as ParamValue;
    } else {
      throw new CredoError('BAD_PARAM', 'required parameter is missing', { field, allowed: describeAllowed(def) });
    }
  }
  return out;
}

export { showValue };
