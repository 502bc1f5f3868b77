import { CredoError } from '@credo/core';

/**
 * The lazy grid behind a sweep: a tree of products (independent dimensions, nested loops),
 * choices (alternatives, one after the other) and axes (lists of values). Only the tree is held;
 * trial `i` is computed from it in O(depth) by mixed-radix arithmetic, so a 10¹² grid costs the
 * same memory as a 10-trial one (design promise 3).
 *
 * Every node writes the values it picks into a flat record keyed by dotted field name
 * (`rule.scale`, `seed`); the sweep layer assembles trial configurations from that record.
 */
export interface GridNode<V> {
  /** Number of leaves (trials) under this node; always a safe integer ≥ 1. */
  readonly count: number;
  /** Writes the picks of leaf `i` (0 ≤ i < count, an integer) into `out`. */
  pick(i: number, out: Record<string, V>): void;
}

/** A list of values for one field: the innermost loop of its product. */
export class Axis<V> implements GridNode<V> {
  readonly count: number;
  constructor(
    readonly field: string,
    readonly values: readonly V[],
  ) {
    if (values.length === 0) throw new CredoError('INTERNAL', 'grid axis without values', { field });
    this.count = values.length;
  }

  pick(i: number, out: Record<string, V>): void {
    out[this.field] = this.values[i] as V;
  }
}

/** The integers 0..count−1 without storing them (`seeds: 1000000`). */
export class RangeAxis implements GridNode<number> {
  constructor(
    readonly field: string,
    readonly count: number,
  ) {
    if (!Number.isSafeInteger(count) || count < 1) throw new CredoError('INTERNAL', 'range axis needs a count ≥ 1', { field, value: count });
  }

  pick(i: number, out: Record<string, number>): void {
    out[this.field] = i;
  }
}

/**
 * Nested loops over the children in order, the last child varying fastest (so that with seeds
 * last, all seeds of one configuration are adjacent and a leaderboard fills group by group).
 */
export class Product<V> implements GridNode<V> {
  readonly count: number;
  readonly #digits: number[];

  /** `label` names the product in the "grid too large" error. */
  constructor(
    readonly children: readonly GridNode<V>[],
    label: string,
  ) {
    this.count = checkedProduct(children.map((c) => c.count), label);
    this.#digits = new Array<number>(children.length).fill(0);
  }

  pick(i: number, out: Record<string, V>): void {
    const n = this.children.length;
    // A scratch array per node is safe: picks are synchronous and a node appears once in a tree.
    const digits = this.#digits;
    let rest = i;
    // Digits are taken from the last (fastest) child. `(rest - r) / c` divides a multiple of c,
    // so the quotient is exact by construction for every safe integer, with no appeal to how
    // floating-point division rounds near 2^53.
    for (let j = n - 1; j >= 0; j--) {
      const c = (this.children[j] as GridNode<V>).count;
      const r = rest % c;
      digits[j] = r;
      rest = (rest - r) / c;
    }
    // Children are visited in order so that `out` gets its keys in document order.
    for (let j = 0; j < n; j++) (this.children[j] as GridNode<V>).pick(digits[j] as number, out);
  }
}

/** Alternatives one after the other: leaf `i` belongs to the first alternative whose range holds it. */
export class Choice<V> implements GridNode<V> {
  readonly count: number;
  /** starts[k] = index of the first leaf of alternative k. */
  readonly #starts: number[];

  constructor(
    readonly alternatives: readonly GridNode<V>[],
    label: string,
  ) {
    if (alternatives.length === 0) throw new CredoError('INTERNAL', 'choice without alternatives', { field: label });
    this.#starts = [];
    let total = 0;
    for (const a of alternatives) {
      this.#starts.push(total);
      total += a.count;
      if (total > Number.MAX_SAFE_INTEGER) throw tooLarge(label, alternatives.map((x) => x.count).join(' + '));
    }
    this.count = total;
  }

  pick(i: number, out: Record<string, V>): void {
    // Binary search: the number of alternatives is small, but a pathological file with many
    // alternatives should still cost O(log n) per trial.
    const s = this.#starts;
    let lo = 0;
    let hi = s.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((s[mid] as number) <= i) lo = mid;
      else hi = mid - 1;
    }
    (this.alternatives[lo] as GridNode<V>).pick(i - (s[lo] as number), out);
  }
}

/** A node with a single child is that child; a choice of one is its alternative. */
export function product<V>(children: readonly GridNode<V>[], label: string): GridNode<V> {
  return children.length === 1 ? (children[0] as GridNode<V>) : new Product(children, label);
}

export function choice<V>(alternatives: readonly GridNode<V>[], label: string): GridNode<V> {
  return alternatives.length === 1 ? (alternatives[0] as GridNode<V>) : new Choice(alternatives, label);
}

function checkedProduct(counts: readonly number[], label: string): number {
  let total = 1;
  for (const c of counts) {
    total *= c;
    // Doubles stay exact below 2^53; above it trial indices would silently collide.
    if (total > Number.MAX_SAFE_INTEGER) throw tooLarge(label, counts.join(' × '));
  }
  return total;
}

function tooLarge(label: string, expr: string): CredoError {
  return new CredoError('SPEC_INVALID', `grid too large: ${label} has ${expr} trials`, {
    allowed: `at most ${Number.MAX_SAFE_INTEGER} (2^53 − 1) trials per sweep`,
  });
}
