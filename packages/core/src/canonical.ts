import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every level, so that equal configurations serialize to equal
 * strings whatever the key order of the file they came from. Trial keys rest on this.
 *
 * @example
 * ```ts
 * canonicalJson({ b: 1, a: [2, { d: 3, c: 4 }] }) // '{"a":[2,{"c":4,"d":3}],"b":1}'
 * ```
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeys(x);
    }
    return out;
  }
  if (typeof v === 'number' && !Number.isFinite(v)) throw new TypeError(`canonicalJson: non-finite number ${v}`);
  return v;
}

/** First `hexChars` hex digits of the SHA-256 of the canonical JSON of `value`. */
export function hashKey(value: unknown, hexChars = 16): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, hexChars);
}

/** Recursively freezes a plain object tree: configuration is parsed once at the edge, then frozen. */
export function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const k of Object.keys(v as object)) deepFreeze((v as Record<string, unknown>)[k]);
  }
  return v;
}
