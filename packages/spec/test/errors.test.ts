import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CredoError, type CredoErrorCode } from '@credo/core';
import { loadSweep, parseSweep } from '@credo/spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalog, COMPONENTS, makeCatalog } from './catalog-fixture.js';

/** Parses `text` as `bad.yaml` and returns the error it must raise. */
function errorOf(text: string, cat = catalog): CredoError {
  try {
    parseSweep(text, cat, { source: 'bad.yaml' });
  } catch (e) {
    expect(e).toBeInstanceOf(CredoError);
    return e as CredoError;
  }
  throw new Error(`expected an error for:\n${text}`);
}

interface Expected {
  code: CredoErrorCode;
  field?: string;
  /** `bad.yaml:<line>:` must start the message. */
  line?: number;
  /** Each must appear in the message (the bad value, the allowed values, …). */
  mentions?: readonly string[];
}

function expectError(text: string, want: Expected, cat = catalog): CredoError {
  const e = errorOf(text, cat);
  expect(e.code).toBe(want.code);
  expect(e.isUsageError).toBe(true);
  if (want.field !== undefined) {
    expect(e.field).toBe(want.field);
    expect(e.message).toContain(`${want.field}`);
  }
  if (want.line !== undefined) expect(e.message).toMatch(new RegExp(`^bad\\.yaml:${want.line}:\\d+: `));
  for (const m of want.mentions ?? []) expect(e.message).toContain(m);
  return e;
}

const HEAD = 'name: e\ntask: mnist\nmodel: mlp\n';

describe('file errors', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'credo-spec-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a missing file is FILE_NOT_FOUND and names the path', async () => {
    const path = join(dir, 'nope.yaml');
    await expect(loadSweep(path, catalog)).rejects.toMatchObject({ code: 'FILE_NOT_FOUND', message: expect.stringContaining(path) });
  });

  it('a directory is a usage error', async () => {
    await expect(loadSweep(dir, catalog)).rejects.toMatchObject({ code: 'USAGE' });
  });

  it('loads a file, names the sweep after it and reports positions in it', async () => {
    const good = join(dir, 'FA-vs-BP.yaml');
    await writeFile(good, 'task: mnist\nmodel: mlp\nrule: [bp, fa]\nseeds: 2\n');
    const sweep = await loadSweep(good, catalog);
    expect(sweep.id).toBe('fa-vs-bp');
    expect(sweep.count).toBe(4);

    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'task: mnist\nmodel: mlp\nrule: [bp, fa]\noptimizer: {name: sgd, lr: [0.1, -1]}\n');
    await expect(loadSweep(bad, catalog)).rejects.toMatchObject({
      code: 'BAD_PARAM', field: 'optimizer.lr[1]', message: expect.stringContaining(`${bad}:4:`),
    });
  });
});

describe('YAML syntax', () => {
  it('reports SPEC_SYNTAX with line and column', () => {
    const e = expectError('name: e\ntask: mnist\nrule: [bp, fa\nmodel: mlp\n', { code: 'SPEC_SYNTAX', line: 4 });
    expect(e.message).toMatch(/invalid YAML/);
    expect(e.message).not.toContain('\n');
  });

  it('rejects duplicate keys and several documents', () => {
    expectError('task: mnist\nmodel: mlp\nrule: bp\nrule: fa\n', { code: 'SPEC_SYNTAX', line: 4, mentions: ['unique'] });
    expectError('task: mnist\n---\nmodel: mlp\n', { code: 'SPEC_SYNTAX', line: 2 });
  });

  it('says where without a file name too', () => {
    try {
      parseSweep('task: [mnist\n', catalog);
    } catch (e) {
      expect((e as CredoError).message).toMatch(/^line 2, column 1: /);
      return;
    }
    throw new Error('no error');
  });
});

describe('structure', () => {
  it('an empty file or a non-mapping is SPEC_INVALID', () => {
    expectError('', { code: 'SPEC_INVALID', mentions: ['empty', 'task, model, rule'] });
    expectError('# nothing\n', { code: 'SPEC_INVALID', mentions: ['empty'] });
    expectError('- task\n- model\n', { code: 'SPEC_INVALID', mentions: ['mapping'] });
  });

  it('an unknown top-level key is named, with the allowed keys and a suggestion', () => {
    expectError(`${HEAD}rules: [bp, fa]\n`, {
      code: 'SPEC_INVALID', field: 'rules', line: 4,
      mentions: ['unknown top-level key', 'did you mean "rule"', 'name, description, task, model, rule, optimizer, train, seeds'],
    });
  });

  it('a missing required section is named with its choices', () => {
    expectError(HEAD, { code: 'SPEC_INVALID', field: 'rule', mentions: ['missing', 'bp, fa, dfa, rtrl'] });
    expectError('task: mnist\nrule: bp\n', { code: 'SPEC_INVALID', field: 'model', mentions: ['mlp, rnn'] });
  });

  it('an optimizer is required when the catalog has no sgd', () => {
    const noSgd = makeCatalog(COMPONENTS.filter((c) => c.name !== 'sgd'));
    expectError(`${HEAD}rule: bp\n`, { code: 'SPEC_INVALID', field: 'optimizer', mentions: ['adam'] }, noSgd);
  });

  it('a section of the wrong type is SPEC_INVALID naming the section and the value', () => {
    expectError(`${HEAD}rule: bp\ntrain: 5\n`, { code: 'SPEC_INVALID', field: 'train', line: 5, mentions: ['(got 5)', 'epochs, batch'] });
    expectError(`${HEAD}rule: bp\ntrain: [1, 2]\n`, { code: 'SPEC_INVALID', field: 'train', mentions: ['[1,2]'] });
    expectError(`${HEAD}rule: 5\n`, { code: 'SPEC_INVALID', field: 'rule', line: 4, mentions: ['(got 5)', 'a rule name'] });
    expectError('task: mnist\nmodel: [[mlp]]\nrule: bp\n', { code: 'SPEC_INVALID', field: 'model[0]', line: 2, mentions: ['[["mlp"]]'.slice(1, -1)] });
    expectError(`${HEAD}rule: {scale: 2}\n`, { code: 'SPEC_INVALID', field: 'rule.name', mentions: ['missing rule name', 'bp, fa'] });
    expectError(`${HEAD}rule: {name: 3}\n`, { code: 'SPEC_INVALID', field: 'rule.name', mentions: ['(got 3)'] });
    expectError(`${HEAD}rule: bp\nseeds: lots\n`, { code: 'SPEC_INVALID', field: 'seeds', mentions: ['"lots"', 'non-negative integers'] });
    expectError(`${HEAD}rule: bp\ndescription: [a]\n`, { code: 'SPEC_INVALID', field: 'description' });
  });

  it('an invalid sweep name is SPEC_INVALID with the naming rule', () => {
    expectError(`name: My Sweep\ntask: mnist\nmodel: mlp\nrule: bp\n`, { code: 'SPEC_INVALID', field: 'name', line: 1, mentions: ['"My Sweep"', 'lowercase letters'] });
    expectError(`name: ${'a'.repeat(65)}\ntask: mnist\nmodel: mlp\nrule: bp\n`, { code: 'SPEC_INVALID', field: 'name', mentions: ['at most 64'] });
  });
});

describe('components and parameters', () => {
  it('an unknown component names the field, the value and the registered names', () => {
    expectError(`${HEAD}rule: [bp, fa, xfa]\n`, {
      code: 'UNKNOWN_COMPONENT', field: 'rule[2].name', line: 4, mentions: ['unknown rule', '"xfa"', 'bp, fa, dfa, rtrl'],
    });
    expectError(`${HEAD}rule: {name: [fa, dfaa]}\n`, { code: 'UNKNOWN_COMPONENT', field: 'rule.name[1]', mentions: ['"dfaa"', 'did you mean "dfa"'] });
    expectError(`${HEAD}rule: bpp\n`, { code: 'UNKNOWN_COMPONENT', field: 'rule.name', mentions: ['"bpp"'] });
    expectError('task: cifar\nmodel: mlp\nrule: bp\n', { code: 'UNKNOWN_COMPONENT', field: 'task.name', line: 1, mentions: ['"cifar"', 'mnist, teacher'] });
  });

  it('an unknown parameter names the field and the known parameters', () => {
    expectError(`${HEAD}rule: bp\noptimizer: {name: sgd, lrr: 0.1}\n`, {
      code: 'UNKNOWN_PARAM', field: 'optimizer.lrr', line: 5, mentions: ['unknown parameter', 'did you mean "lr"', 'lr, momentum'],
    });
    expectError(`${HEAD}rule: {name: bp, scale: 2}\n`, { code: 'UNKNOWN_PARAM', field: 'rule.scale', mentions: ['no parameters'] });
    expectError(`${HEAD}rule: bp\ntrain: {epoch: 3}\n`, { code: 'UNKNOWN_PARAM', field: 'train.epoch', mentions: ['epochs, batch, logEvery'] });
    expectError(`${HEAD}rule: bp\ntrain: {name: x}\n`, { code: 'UNKNOWN_PARAM', field: 'train.name' });
    // `constructor` is on Object.prototype; it must still be unknown.
    expectError(`${HEAD}rule: {name: fa, constructor: 1}\n`, { code: 'UNKNOWN_PARAM', field: 'rule.constructor' });
  });

  it('with several names, says which component rejected a parameter', () => {
    const noScale = makeCatalog(COMPONENTS.map((c) => (c.name === 'dfa' ? { ...c, params: {} } : c)));
    expectError(`${HEAD}rule: {name: [fa, dfa], scale: [1, 10]}\n`, {
      code: 'UNKNOWN_PARAM', field: 'rule.scale', mentions: ['for rule "dfa"'],
    }, noScale);
  });

  it('a bad value is BAD_PARAM naming the axis position, the value and the allowed range', () => {
    expectError(`${HEAD}rule: bp\noptimizer: {name: sgd, lr: [0.1, -0.5]}\n`, {
      code: 'BAD_PARAM', field: 'optimizer.lr[1]', line: 5, mentions: ['(got -0.5)', 'number > 0'],
    });
    expectError(`${HEAD}rule: bp\noptimizer: {name: sgd, lr: "0.1"}\n`, { code: 'BAD_PARAM', field: 'optimizer.lr', mentions: ['"0.1"'] });
    expectError(`${HEAD}rule: bp\noptimizer: {name: sgd, momentum: 2}\n`, { code: 'BAD_PARAM', field: 'optimizer.momentum', mentions: ['≤ 1'] });
    expectError(`${HEAD}rule: bp\noptimizer: {name: sgd, lr: .inf}\n`, { code: 'BAD_PARAM', field: 'optimizer.lr' });
    expectError(`${HEAD}rule: bp\noptimizer: {name: sgd, lr: }\n`, { code: 'BAD_PARAM', field: 'optimizer.lr', mentions: ['null'] });
    expectError(`${HEAD}rule: bp\ntrain: {epochs: [1, 2.5]}\n`, { code: 'BAD_PARAM', field: 'train.epochs[1]', mentions: ['2.5', 'integer ≥ 1'] });
    expectError('task: mnist\nmodel: {name: mlp, activation: [tanh, sigmoid]}\nrule: bp\n', {
      code: 'BAD_PARAM', field: 'model.activation[1]', line: 2, mentions: ['"sigmoid"', 'one of tanh, relu'],
    });
  });

  it('list-typed parameters: a list is one value, a list of lists an axis', () => {
    expectError('task: mnist\nmodel: {name: mlp, hidden: 256}\nrule: bp\n', { code: 'BAD_PARAM', field: 'model.hidden', mentions: ['256', 'a list of integers ≥ 1'] });
    expectError('task: mnist\nmodel: {name: mlp, hidden: [[256], [0, 3]]}\nrule: bp\n', { code: 'BAD_PARAM', field: 'model.hidden[1]', mentions: ['[0,3]'] });
    expectError('task: mnist\nmodel: {name: mlp, hidden: [[256], 512]}\nrule: bp\n', { code: 'BAD_PARAM', field: 'model.hidden[1]', mentions: ['512'] });
    const sweep = parseSweep('task: mnist\nmodel: {name: mlp, hidden: [512, 256]}\nrule: bp\n', catalog);
    expect(sweep.count).toBe(1);
    expect(sweep.at(0).config.model['hidden']).toEqual([512, 256]);
  });

  it('a missing required parameter is BAD_PARAM naming it', () => {
    expectError('task: teacher\nmodel: mlp\nrule: bp\n', { code: 'BAD_PARAM', field: 'task.dim', mentions: ['required', 'integer ≥ 1'] });
    expect(parseSweep('task: {name: teacher, dim: [2, 4]}\nmodel: mlp\nrule: bp\n', catalog).count).toBe(2);
  });
});

describe('grids', () => {
  it('an empty list where an axis would be is EMPTY_GRID naming the field', () => {
    expectError(`${HEAD}rule: []\n`, { code: 'EMPTY_GRID', field: 'rule', line: 4, mentions: ['bp, fa'] });
    expectError(`${HEAD}rule: {name: []}\n`, { code: 'EMPTY_GRID', field: 'rule.name' });
    expectError(`${HEAD}rule: bp\noptimizer: {name: sgd, lr: []}\n`, { code: 'EMPTY_GRID', field: 'optimizer.lr', line: 5, mentions: ['number > 0'] });
    expectError(`${HEAD}rule: bp\ntrain: {epochs: []}\n`, { code: 'EMPTY_GRID', field: 'train.epochs' });
    expectError(`${HEAD}rule: bp\nseeds: []\n`, { code: 'EMPTY_GRID', field: 'seeds', line: 5 });
    expectError(`${HEAD}rule: bp\nseeds: 0\n`, { code: 'EMPTY_GRID', field: 'seeds' });
  });

  it('bad seeds are named with what seeds may be', () => {
    expectError(`${HEAD}rule: bp\nseeds: -3\n`, { code: 'BAD_PARAM', field: 'seeds', line: 5, mentions: ['(got -3)', 'non-negative integers'] });
    expectError(`${HEAD}rule: bp\nseeds: 2.5\n`, { code: 'BAD_PARAM', field: 'seeds', mentions: ['2.5'] });
    expectError(`${HEAD}rule: bp\nseeds: [0, 1.5]\n`, { code: 'BAD_PARAM', field: 'seeds[1]', mentions: ['1.5'] });
    expectError(`${HEAD}rule: bp\nseeds: [0, -1]\n`, { code: 'BAD_PARAM', field: 'seeds[1]', mentions: ['-1'] });
    expectError(`${HEAD}rule: bp\nseeds: [0, "1"]\n`, { code: 'BAD_PARAM', field: 'seeds[1]', mentions: ['"1"'] });
    expectError(`${HEAD}rule: bp\nseeds: [3, 3]\n`, { code: 'SPEC_INVALID', field: 'seeds[1]', mentions: ['duplicate', '3'] });
  });

  it('values and alternatives that would repeat trials are rejected', () => {
    expectError(`${HEAD}rule: bp\noptimizer: {name: sgd, lr: [0.1, 0.1]}\n`, { code: 'SPEC_INVALID', field: 'optimizer.lr[1]', mentions: ['duplicate', '0.1'] });
    expectError('task: mnist\nmodel: {name: mlp, hidden: [[256], [256]]}\nrule: bp\n', { code: 'SPEC_INVALID', field: 'model.hidden[1]' });
    expectError(`${HEAD}rule: [{name: fa, scale: [1, 2]}, {name: fa, scale: [2, 3]}]\n`, { code: 'SPEC_INVALID', field: 'rule[1]', mentions: ['repeats trials of rule[0]'] });
    // `{name: fa}` has scale 1 by default: the same trials as `{name: fa, scale: 1}`.
    expectError(`${HEAD}rule: [fa, {name: fa, scale: 1}]\n`, { code: 'SPEC_INVALID', field: 'rule[1]' });
    expectError(`${HEAD}rule: {name: [fa, fa]}\n`, { code: 'SPEC_INVALID', field: 'rule.name[1]' });
    // Same name but disjoint in one parameter is fine.
    expect(parseSweep(`${HEAD}rule: [{name: fa, scale: [1, 2]}, {name: fa, scale: 3}]\n`, catalog).count).toBe(3);
  });

  it('a rule is paired only with the models it can train', () => {
    expectError('task: mnist\nmodel: [mlp, rnn]\nrule: [bp, rtrl]\n', {
      code: 'SPEC_INVALID', field: 'rule[1].name', line: 3, mentions: ['"rtrl"', 'cannot train model "mlp"', 'rnn'],
    });
    expectError('task: mnist\nmodel: mlp\nrule: rtrl\n', { code: 'SPEC_INVALID', field: 'rule.name', mentions: ['models rnn'] });
    expect(parseSweep('task: mnist\nmodel: rnn\nrule: [bp, rtrl]\n', catalog).count).toBe(2);
  });
});
