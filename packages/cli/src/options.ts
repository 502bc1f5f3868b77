import { CredoError } from '@credo/core';

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

/** Where the embedded store lives unless --store says otherwise. */
export const DEFAULT_STORE = './credo.duckdb';
