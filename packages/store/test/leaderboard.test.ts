import { describe, expect, it } from 'vitest';
import { CredoError } from '@credo/core';
import { groupColumns, leaderboard, tCritical95, variedParams, type LeaderboardInput } from '@credo/store';

/** Two rules × two learning rates × three seeds, plus a constant parameter. */
function rows(): LeaderboardInput[] {
  const out: LeaderboardInput[] = [];
  const base: Record<string, Record<number, number[]>> = {
    bp: { 0.1: [0.02, 0.03, 0.025], 0.01: [0.05, 0.06, 0.055] },
    fa: { 0.1: [0.04, 0.05, 0.045], 0.01: [0.09, 0.1, 0.095] },
  };
  for (const [rule, byLr] of Object.entries(base)) {
    for (const [lr, vals] of Object.entries(byLr)) {
      vals.forEach((value, i) => out.push({ params: { 'rule.name': rule, 'optimizer.lr': Number(lr), 'model.hidden': [64], seed: i + 1 }, value }));
    }
  }
  return out;
}

describe('leaderboard', () => {
  it('groups by the parameters that vary (not seed, not constants) and ranks by mean', () => {
    expect(variedParams(rows())).toEqual(['optimizer.lr', 'rule.name']);
    const lb = leaderboard(rows(), { order: 'asc' });
    expect(lb.map((r) => [r.group['rule.name'], r.group['optimizer.lr'], r.n])).toEqual([
      ['bp', 0.1, 3],
      ['fa', 0.1, 3],
      ['bp', 0.01, 3],
      ['fa', 0.01, 3],
    ]);
    expect(Object.keys(lb[0]!.group).sort()).toEqual(['optimizer.lr', 'rule.name']);
    const best = lb[0]!;
    expect(best.mean).toBeCloseTo(0.025, 12);
    expect(best.sd).toBeCloseTo(0.005, 12);
    expect(best.ci95).toBeCloseTo((tCritical95(2) * 0.005) / Math.sqrt(3), 12);
    expect([best.min, best.max]).toEqual([0.02, 0.03]);
    expect(leaderboard(rows(), { order: 'desc' })[0]!.group).toEqual({ 'rule.name': 'fa', 'optimizer.lr': 0.01 });
  });

  it('groups by the parameters named in `by`, pooling the rest', () => {
    const lb = leaderboard(rows(), { by: ['rule.name'], order: 'asc' });
    expect(lb.map((r) => [r.group, r.n])).toEqual([
      [{ 'rule.name': 'bp' }, 6],
      [{ 'rule.name': 'fa' }, 6],
    ]);
    expect(lb[0]!.mean).toBeCloseTo((0.02 + 0.03 + 0.025 + 0.05 + 0.06 + 0.055) / 6, 12);
    // Grouping by a list-valued parameter works too.
    expect(leaderboard(rows(), { by: ['model.hidden'], order: 'asc' })).toHaveLength(1);
    const e = (() => {
      try {
        leaderboard(rows(), { by: ['optimizer.learning_rate'], order: 'asc' });
      } catch (err) {
        return err as CredoError;
      }
      throw new Error('expected an error');
    })();
    expect(e.code).toBe('UNKNOWN_PARAM');
    expect(e.message).toContain('optimizer.lr');
  });

  it('gives NaN spread for single-seed groups and counts diverged trials apart from the statistics', () => {
    const input: LeaderboardInput[] = [
      { params: { 'rule.name': 'bp', seed: 1 }, value: 0.1 },
      { params: { 'rule.name': 'fa', seed: 1 }, value: 0.2 },
      { params: { 'rule.name': 'fa', seed: 2 }, value: 0.4 },
      { params: { 'rule.name': 'fa', seed: 3 }, value: NaN, status: 'diverged' },
      { params: { 'rule.name': 'fa', seed: 4 }, value: Infinity },
      { params: { 'rule.name': 'dfa', seed: 1 }, value: NaN, status: 'diverged' },
    ];
    const lb = leaderboard(input, { order: 'asc' });
    expect(lb.map((r) => [r.group['rule.name'], r.n, r.diverged])).toEqual([
      ['bp', 1, 0],
      ['fa', 2, 2],
      ['dfa', 0, 1],
    ]);
    expect(lb[0]!.sd).toBeNaN();
    expect(lb[0]!.ci95).toBeNaN();
    expect(lb[1]!.mean).toBeCloseTo(0.3, 12);
    expect(lb[2]!.mean).toBeNaN();
    // Descending order still puts the group without a mean last.
    expect(leaderboard(input, { order: 'desc' }).map((r) => r.group['rule.name'])).toEqual(['fa', 'bp', 'dfa']);
  });

  it('treats a parameter present in only some trials as varying, and leaves it out of groups that lack it', () => {
    const input: LeaderboardInput[] = [
      { params: { 'rule.name': 'bp', seed: 1 }, value: 1 },
      { params: { 'rule.name': 'fa', 'rule.feedback': 'gaussian', seed: 1 }, value: 2 },
      { params: { 'rule.name': 'fa', 'rule.feedback': 'uniform', seed: 1 }, value: 3 },
    ];
    expect(variedParams(input)).toEqual(['rule.feedback', 'rule.name']);
    expect(leaderboard(input, { order: 'asc' }).map((r) => r.group)).toEqual([
      { 'rule.name': 'bp' },
      { 'rule.name': 'fa', 'rule.feedback': 'gaussian' },
      { 'rule.name': 'fa', 'rule.feedback': 'uniform' },
    ]);
    expect(leaderboard([], { order: 'asc' })).toEqual([]);
    // The table's columns: every grouping parameter, also those the first (best) row lacks.
    expect(groupColumns(leaderboard(input, { order: 'asc' }))).toEqual(['rule.feedback', 'rule.name']);
    expect(groupColumns([])).toEqual([]);
  });

  it('lists the columns of every row, in the grouping order', () => {
    // rtrl ranks first and has no k; the tbptt rows add rule.k, which sorts between the others.
    const input: LeaderboardInput[] = [
      { params: { 'optimizer.lr': 0.1, 'rule.name': 'rtrl', seed: 1 }, value: 1 },
      { params: { 'optimizer.lr': 0.1, 'rule.k': 1, 'rule.name': 'tbptt', seed: 1 }, value: 5 },
      { params: { 'optimizer.lr': 0.1, 'rule.k': 10, 'rule.name': 'tbptt', seed: 1 }, value: 3 },
    ];
    const rows = leaderboard(input, { order: 'asc' });
    expect(Object.keys(rows[0]!.group)).toEqual(['rule.name']);
    expect(groupColumns(rows)).toEqual(['rule.k', 'rule.name']);
    const by = ['rule.name', 'optimizer.lr', 'rule.k'];
    expect(groupColumns(leaderboard(input, { order: 'asc', by }), by)).toEqual(by);
  });
});
