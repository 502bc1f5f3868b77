import { CredoError } from '@credo/core';

/**
 * Float arrays the kernels accept. Float64Array works too, but the kernels are tuned for float32
 * (mixing both in one process makes V8's call sites polymorphic and slower).
 */
export type FloatArray = Float32Array | Float64Array;

/**
 * Kernels check sizes once per call (a few comparisons, nothing per element): reading past the end
 * of a typed array yields `undefined`, which would silently turn results into NaN.
 */
export function checkDims(op: string, m: number, n = 0, k = 0, names = 'm,n,k'): void {
  // Positional, with the names in one string split only on error: this runs on every kernel call
  // and must not allocate.
  if (isDim(m) && isDim(n) && isDim(k)) return;
  const bad = !isDim(m) ? 0 : !isDim(n) ? 1 : 2;
  const name = names.split(',')[bad] ?? '?';
  throw new CredoError('SHAPE_MISMATCH', `${op}: dimension ${name} must be a non-negative integer`, { field: name, value: [m, n, k][bad] });
}

function isDim(v: number): boolean {
  return Number.isInteger(v) && v >= 0;
}

export function checkLength(op: string, name: string, arr: { length: number }, needed: number): void {
  if (arr.length < needed) {
    throw new CredoError('SHAPE_MISMATCH', `${op}: ${name} has ${arr.length} elements, needs at least ${needed}`, { field: name, value: arr.length });
  }
}
