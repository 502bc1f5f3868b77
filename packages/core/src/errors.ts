/**
 * Every error credo raises on purpose is a {@link CredoError}: it carries a machine-readable
 * `code`, and for input errors the offending `field`, the bad `value` and what is `allowed`,
 * so that the CLI can print one line and scripts can branch on the code.
 *
 * @example
 * ```ts
 * throw new CredoError('SPEC_INVALID', 'must be a positive integer', { field: 'train.epochs', value: -1, allowed: 'integer ≥ 1' });
 * ```
 */
export class CredoError extends Error {
  override readonly name = 'CredoError';
  readonly code: CredoErrorCode;
  readonly field: string | undefined;
  readonly value: unknown;
  readonly allowed: string | undefined;

  constructor(code: CredoErrorCode, message: string, details: { field?: string; value?: unknown; allowed?: string; cause?: unknown } = {}) {
    super(formatMessage(message, details), details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.field = details.field;
    this.value = details.value;
    this.allowed = details.allowed;
  }

  /** Usage errors (bad input) exit 2; everything else is an operational failure. */
  get isUsageError(): boolean {
    return USAGE_CODES.has(this.code);
  }

  /** A plain object that survives structured clone (worker threads drop Error subclass fields). */
  toJSON(): CredoErrorData {
    return { code: this.code, message: this.message, field: this.field, allowed: this.allowed };
  }

  static fromJSON(d: CredoErrorData): CredoError {
    const e = new CredoError(d.code, '', {});
    Object.defineProperty(e, 'message', { value: d.message });
    Object.assign(e, { field: d.field, allowed: d.allowed });
    return e;
  }
}

export interface CredoErrorData {
  code: CredoErrorCode;
  message: string;
  field?: string | undefined;
  allowed?: string | undefined;
}

export type CredoErrorCode =
  | 'USAGE'
  | 'FILE_NOT_FOUND'
  | 'SPEC_SYNTAX'
  | 'SPEC_INVALID'
  | 'UNKNOWN_COMPONENT'
  | 'UNKNOWN_PARAM'
  | 'BAD_PARAM'
  | 'EMPTY_GRID'
  | 'DATA_MISSING'
  | 'DATA_CORRUPT'
  | 'SHAPE_MISMATCH'
  | 'STORE_ERROR'
  | 'QUERY_READONLY'
  | 'QUERY_ERROR'
  | 'NOT_FOUND'
  | 'DIVERGED'
  | 'CANCELLED'
  | 'TIMEOUT'
  | 'INTERNAL';

const USAGE_CODES = new Set<CredoErrorCode>([
  'USAGE', 'FILE_NOT_FOUND', 'SPEC_SYNTAX', 'SPEC_INVALID', 'UNKNOWN_COMPONENT', 'UNKNOWN_PARAM',
  'BAD_PARAM', 'EMPTY_GRID', 'QUERY_READONLY', 'NOT_FOUND',
]);

function formatMessage(message: string, d: { field?: string; value?: unknown; allowed?: string }): string {
  const parts: string[] = [];
  if (d.field !== undefined) parts.push(`${d.field}:`);
  parts.push(message);
  if ('value' in d && d.value !== undefined) parts.push(`(got ${showValue(d.value)})`);
  if (d.allowed !== undefined) parts.push(`— allowed: ${d.allowed}`);
  return parts.join(' ');
}

/** A short, single-line rendering of a user-supplied value for error messages. */
export function showValue(v: unknown): string {
  let s: string;
  try {
    s = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

export function isCredoError(e: unknown): e is CredoError {
  return e instanceof CredoError;
}
