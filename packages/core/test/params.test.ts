import { describe, expect, it } from 'vitest';
import { canonicalJson, CredoError, hashKey, resolveParams, type ParamSchema } from '@credo/core';

const schema: ParamSchema = {
  lr: { type: 'number', min: 0, exclusiveMin: true, default: 0.1, description: 'learning rate' },
  hidden: { type: 'integer[]', min: 1, minLength: 1, default: [256], description: 'hidden sizes' },
  act: { type: 'enum', values: ['tanh', 'relu'], default: 'tanh', description: 'activation' },
  n: { type: 'integer', min: 1, description: 'required count' },
};

function errorOf(f: () => unknown): CredoError {
  try {
    f();
  } catch (e) {
    if (e instanceof CredoError) return e;
    throw e;
  }
  throw new Error('expected a CredoError');
}

describe('resolveParams', () => {
  it('exclusiveMax rejects the bound itself and says so', () => {
    const s: ParamSchema = { mu: { type: 'number', min: 0, max: 1, exclusiveMax: true, default: 0, description: 'momentum' } };
    expect(resolveParams(s, { mu: 0.999 }, 'optimizer')).toEqual({ mu: 0.999 });
    const e = errorOf(() => resolveParams(s, { mu: 1 }, 'optimizer'));
    expect(e.code).toBe('BAD_PARAM');
    expect(e.field).toBe('optimizer.mu');
    expect(e.allowed).toBe('number ≥ 0 < 1');
    // without the flag the bound is allowed
    expect(resolveParams({ mu: { ...s.mu!, exclusiveMax: false } as ParamSchema['mu'] & object }, { mu: 1 }, 'o')).toEqual({ mu: 1 });
  });
  it('fills defaults and keeps given values', () => {
    expect(resolveParams(schema, { n: 3, lr: 0.5 }, 'x')).toEqual({ lr: 0.5, hidden: [256], act: 'tanh', n: 3 });
  });
  it('rejects unknown parameters, naming the field and the known ones', () => {
    const e = errorOf(() => resolveParams(schema, { n: 1, lrr: 1 }, 'optimizer'));
    expect(e.code).toBe('UNKNOWN_PARAM');
    expect(e.message).toContain('optimizer.lrr');
    expect(e.message).toContain('lr, hidden, act, n');
  });
  it('rejects bad values with the value and what is allowed', () => {
    const e = errorOf(() => resolveParams(schema, { n: 1, lr: 0 }, 'optimizer'));
    expect(e.code).toBe('BAD_PARAM');
    expect(e.message).toMatch(/optimizer\.lr: invalid value \(got 0\) — allowed: number > 0/);
    expect(errorOf(() => resolveParams(schema, { n: 1.5 }, 'm')).message).toContain('m.n');
    expect(errorOf(() => resolveParams(schema, { n: 1, act: 'gelu' }, 'm')).message).toContain('one of tanh, relu');
    expect(errorOf(() => resolveParams(schema, { n: 1, hidden: [] }, 'm')).code).toBe('BAD_PARAM');
    expect(errorOf(() => resolveParams(schema, { n: 1, hidden: [3, 'a'] }, 'm')).code).toBe('BAD_PARAM');
  });
  it('requires parameters without a default', () => {
    const e = errorOf(() => resolveParams(schema, {}, 'task'));
    expect(e.message).toContain('task.n: required parameter is missing');
  });
});

describe('canonical keys', () => {
  it('ignore key order but not values', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: 'z' } })).toBe('{"a":{"c":"z","d":[1,{"x":1,"y":2}]},"b":1}');
    expect(hashKey({ a: 1, b: 2 })).toBe(hashKey({ b: 2, a: 1 }));
    expect(hashKey({ a: 1, b: 2 })).not.toBe(hashKey({ a: 1, b: 3 }));
    expect(hashKey({ a: 1 })).toMatch(/^[0-9a-f]{16}$/);
  });
  it('refuse non-finite numbers', () => {
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(/non-finite/);
  });
});
