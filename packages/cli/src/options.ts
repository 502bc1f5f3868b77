import { CredoError, type ParamValue } from '@credo/core';

/** Commander argument parsers that fail as usage errors naming the option, the value and what is allowed. */
export function intOption(name: string, min: number) {
  return (raw: string): number => {
    const v = Number(raw);
    if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(v) || v < min) {
      throw new CredoError('USAGE', 'invalid value', { field: name, value: raw, allowed: `integer ≥ ${min}` });
    }
    return v;
  };
}

export function numberOption(name: string, min: number) {
  return (raw: string): number => {
    const v = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(v) || v < min) throw new CredoError('USAGE', 'invalid value', { field: name, value: raw, allowed: `number ≥ ${min}` });
    return v;
  };
}

export function choiceOption<T extends string>(name: string, values: readonly T[]) {
  return (raw: string): T => {
    if (!(values as readonly string[]).includes(raw)) throw new CredoError('USAGE', 'invalid value', { field: name, value: raw, allowed: values.join(', ') });
    return raw as T;
  };
}

export function listOption(raw: string): string[] {
  return raw.split(',').map((s) => s.trim()).filter(Boolean);
}

/**
 * Commander parser for `param=value[,param=value…]` (`rule.name=bp,optimizer.lr=0.1`). A value
 * reads as JSON when it is JSON (numbers, booleans, lists), else as the text itself, which is
 * how parameters are stored.
 *
 * @example
 * ```ts
 * paramsOption('--a')('rule.name=bp,optimizer.lr=0.1') // { 'rule.name': 'bp', 'optimizer.lr': 0.1 }
 * ```
 */
export function paramsOption(name: string) {
  return (raw: string, prev?: Record<string, ParamValue>): Record<string, ParamValue> => {
    const out: Record<string, ParamValue> = { ...prev };
    const bad = (): CredoError => new CredoError('USAGE', 'invalid value', { field: name, value: raw, allowed: 'param=value[,param=value…], e.g. rule.name=bp,optimizer.lr=0.1' });
    // Commas inside a list value ([20,20]) belong to the value, not the separator.
    const parts = raw.split(/,(?![^[]*\])/).map((s) => s.trim()).filter(Boolean);
    if (parts.length === 0) throw bad();
    for (const part of parts) {
      const m = /^([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)=(.+)$/.exec(part);
      if (!m) throw bad();
      out[m[1]!] = parseParamValue(m[2]!.trim());
    }
    return out;
  };
}

function parseParamValue(text: string): ParamValue {
  try {
    const v = JSON.parse(text) as unknown;
    if (v !== null && (typeof v !== 'object' || Array.isArray(v))) return v as ParamValue;
  } catch {
    // not JSON: a plain string such as a rule name
  }
  return text;
}

/** Where the embedded store lives unless --store says otherwise. */
export const DEFAULT_STORE = './credo.duckdb';
