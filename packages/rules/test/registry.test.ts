import { describe, expect, it } from 'vitest';
import { CredoError, type ComponentInfo } from '@credo/core';
import { catalogOf, Registry } from '@credo/rules';

const info = (name: string, extra: Partial<ComponentInfo> = {}): ComponentInfo => ({ kind: 'rule', name, description: name, params: {}, ...extra });

describe('Registry', () => {
  it('registers, gets, lists in order', () => {
    const r = new Registry<number>('rule');
    r.register(info('b'), 2);
    r.register(info('a'), 1);
    expect(r.get('a')).toEqual({ info: info('a'), impl: 1 });
    expect(r.has('b')).toBe(true);
    expect(r.has('c')).toBe(false);
    expect(r.list().map((i) => i.name)).toEqual(['b', 'a']);
    expect(r.names()).toEqual(['b', 'a']);
  });

  it('stores a frozen copy of the info', () => {
    const r = new Registry<number>('rule');
    const i = info('x', { params: { k: { type: 'number', description: 'k', default: 1 } } });
    r.register(i, 0);
    (i as { description: string }).description = 'changed';
    expect(r.get('x').info.description).toBe('x');
    expect(Object.isFrozen(r.get('x').info.params)).toBe(true);
  });

  it('throws UNKNOWN_COMPONENT with field, value and the allowed names', () => {
    const r = new Registry<number>('optimizer');
    r.register({ ...info('sgd'), kind: 'optimizer' }, 1);
    r.register({ ...info('adam'), kind: 'optimizer' }, 2);
    try {
      r.get('adamw');
      expect.fail('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(CredoError);
      const c = e as CredoError;
      expect(c.code).toBe('UNKNOWN_COMPONENT');
      expect(c.field).toBe('optimizer.name');
      expect(c.value).toBe('adamw');
      expect(c.allowed).toBe('sgd, adam');
      expect(c.message).toBe('optimizer.name: unknown optimizer (got "adamw") — allowed: sgd, adam');
    }
    expect(() => new Registry('task').get('x')).toThrow(/no tasks registered/);
  });

  it('refuses duplicates, other kinds, odd names and defaults that break their own schema', () => {
    const r = new Registry<number>('rule');
    r.register(info('bp'), 1);
    expect(() => r.register(info('bp'), 2)).toThrow(/already registered/);
    expect(r.get('bp').impl).toBe(1);
    expect(() => r.register({ ...info('m'), kind: 'model' }, 1)).toThrow(/cannot register a model in the rule registry/);
    for (const bad of ['', 'a/b', ' x', '-x', 'a b']) expect(() => r.register(info(bad), 1)).toThrow(/invalid component name/);
    expect(() => r.register(info('y', { params: { lr: { type: 'number', min: 0, description: 'lr', default: -1 } } }), 1)).toThrow(/default of lr/);
    expect(r.names()).toEqual(['bp']);
  });

  it('is visible through a Catalog', () => {
    const rules = new Registry<number>('rule');
    rules.register(info('fa'), 1);
    const c = catalogOf({ rule: rules });
    expect(c.get('rule', 'fa')?.name).toBe('fa');
    expect(c.get('rule', 'bp')).toBeUndefined();
    expect(c.get('task', 'mnist')).toBeUndefined();
    expect(c.list('rule').map((i) => i.name)).toEqual(['fa']);
    expect(c.list('model')).toEqual([]);
  });
});
