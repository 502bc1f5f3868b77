import { isUtf8 } from 'node:buffer';
import { CredoError } from '@credo/core';
import protobuf from 'protobufjs';
import { descriptor, type MessageTypeName, type MessageTypes } from './gen/credo-v1.js';

/**
 * Binary protobuf encoding of one message type, with the TypeScript shape from the generated
 * interfaces.
 *
 * @example
 * ```ts
 * const bytes = TrialCodec.encode(trial);
 * const again = TrialCodec.decode(bytes); // every field present, uint64 as number
 * ```
 */
export interface Codec<T> {
  /** The fully qualified protobuf name, e.g. `credo.v1.Trial`. */
  readonly typeName: string;
  /**
   * Checks the message against its schema (field names, types, integer ranges) and encodes it,
   * leaving out fields at their proto3 default as proto3 requires. A message that does not fit
   * is a bug in the caller: it throws `CredoError` code `INTERNAL` whose `field` is the path of
   * the bad value (`credo.v1.MetricBatch.points[3].step`), instead of wrapping a negative into a
   * huge unsigned number or dropping a misspelt field as protobufjs would.
   */
  encode(message: T): Uint8Array;
  /**
   * Decodes bytes from the wire into a message with every field present. Truncated input, wire
   * types that contradict the schema, lengths that run past their enclosing message, invalid
   * UTF-8 in strings and 64-bit integers beyond 2^53 - 1 (which a JS number cannot hold exactly)
   * throw `CredoError` code `BAD_PARAM` whose `field` is the message type name. Unknown fields
   * are skipped, so newer senders stay readable.
   */
  decode(bytes: Uint8Array): T;
}

// Decoded messages always carry every field, so consumers never branch on undefined.
const DECODE_OPTIONS: protobuf.IConversionOptions = { longs: Number, enums: String, defaults: true, arrays: true };

const root = protobuf.Root.fromJSON(descriptor);
root.resolveAll();
const cache = new Map<string, Codec<unknown>>();

/**
 * The codec of a message type from the embedded descriptor (built once per type and cached).
 *
 * @throws CredoError `USAGE` when the name is not a message type of `proto/`.
 * @example
 * ```ts
 * const statusCodec = codec('credo.v1.SweepStatus');
 * const status: SweepStatus = statusCodec.decode(bytes);
 * ```
 */
export function codec<K extends MessageTypeName>(typeName: K): Codec<MessageTypes[K]> {
  const cached = cache.get(typeName);
  if (cached) return cached as Codec<MessageTypes[K]>;
  let type: protobuf.Type;
  try {
    type = root.lookupType(typeName);
  } catch {
    throw new CredoError('USAGE', 'unknown protobuf message type', { field: 'typeName', value: typeName, allowed: 'a message of proto/ such as credo.v1.Trial' });
  }
  const c: Codec<MessageTypes[K]> = {
    typeName,
    encode(message) {
      let wire: Record<string, unknown>;
      try {
        wire = walk(type, message, typeName, true)!;
      } catch (e) {
        if (e instanceof Problem) throw new CredoError('INTERNAL', `cannot encode: ${e.reason}`, { field: e.path, value: e.value });
        throw e;
      }
      return type.encode(wire).finish();
    },
    decode(bytes) {
      if (!(bytes instanceof Uint8Array)) {
        throw new CredoError('BAD_PARAM', 'expected protobuf bytes (Uint8Array)', { field: typeName, value: typeof bytes });
      }
      let obj: Record<string, unknown>;
      try {
        // protobufjs trusts its input (a string may run past the end of a Buffer, a field may
        // arrive with the wrong wire type), so the structure is checked before it decodes.
        scan(type, protobuf.Reader.create(bytes), bytes.length, typeName, 0);
        obj = type.toObject(type.decode(bytes), DECODE_OPTIONS);
        walk(type, obj, typeName, false);
      } catch (e) {
        const why = e instanceof Problem ? `${e.path} ${e.reason}` : e instanceof Error ? e.message : String(e);
        throw new CredoError('BAD_PARAM', `malformed protobuf message (${bytes.length} bytes): ${why}`, { field: typeName, cause: e });
      }
      return obj as MessageTypes[K];
    },
  };
  cache.set(typeName, c as Codec<unknown>);
  return c;
}

/** Where and why a value does not fit its schema; thrown inside this module only. */
class Problem {
  constructor(readonly path: string, readonly reason: string, readonly value?: unknown) {}
}

const INT_RANGES: Record<string, readonly [number, number]> = {
  int32: [-(2 ** 31), 2 ** 31 - 1], sint32: [-(2 ** 31), 2 ** 31 - 1], sfixed32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1], fixed32: [0, 2 ** 32 - 1],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER], sint64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  sfixed64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint64: [0, Number.MAX_SAFE_INTEGER], fixed64: [0, Number.MAX_SAFE_INTEGER],
};

/**
 * Checks `value` against `type` (recursively) and, when `build`, returns the object protobufjs
 * should encode: enums as numbers and proto3 defaults left out (protobufjs would otherwise
 * write every field that is set, defaults included).
 */
function walk(type: protobuf.Type, value: unknown, path: string, build: boolean): Record<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Problem(path, `must be a ${type.name} object`, value);
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!Object.hasOwn(type.fields, key)) {
      throw new Problem(`${path}.${key}`, `is not a field of ${type.name} (fields: ${type.fieldsArray.map((f) => f.name).join(', ') || 'none'})`, obj[key]);
    }
  }
  const out: Record<string, unknown> | undefined = build ? {} : undefined;
  for (const field of type.fieldsArray) {
    const v = obj[field.name];
    // Absent fields encode as their proto3 default, exactly as protobuf itself treats them.
    if (v === undefined) continue;
    const p = `${path}.${field.name}`;
    const rt = field.resolvedType;
    if (field.repeated) {
      if (!Array.isArray(v)) throw new Problem(p, 'must be an array', v);
      const items = out ? new Array<unknown>(v.length) : undefined;
      for (let i = 0; i < v.length; i++) {
        const w = rt instanceof protobuf.Type ? walk(rt, v[i], `${p}[${i}]`, build) : scalar(field, v[i], `${p}[${i}]`);
        if (items) items[i] = w;
      }
      if (out && v.length > 0) out[field.name] = items;
    } else if (rt instanceof protobuf.Type) {
      // An unset singular message field decodes as null (proto3 has no default message).
      if (v === null) continue;
      const m = walk(rt, v, p, build);
      if (out) out[field.name] = m;
    } else {
      const w = scalar(field, v, p);
      // -0 is not the default: its sign bit would be lost.
      if (out && !(w === '' || w === false || Object.is(w, 0) || (w instanceof Uint8Array && w.length === 0))) out[field.name] = w;
    }
  }
  return out;
}

/** Checks one scalar or enum value and returns it as protobufjs encodes it. */
function scalar(field: protobuf.Field, v: unknown, path: string): unknown {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Enum) {
    if (typeof v === 'string' && Object.hasOwn(rt.values, v)) return rt.values[v];
    // Unknown numeric values pass through as numbers, as proto3 keeps unknown enum values.
    if (typeof v === 'number' && Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31) return v;
    throw new Problem(path, `must be one of ${Object.keys(rt.values).join(', ')}`, v);
  }
  switch (field.type) {
    case 'double':
    case 'float':
      // NaN and ±Infinity are legitimate (a diverging metric): protobuf carries IEEE 754 as is.
      if (typeof v === 'number') return v;
      throw new Problem(path, 'must be a number', v);
    case 'bool':
      if (typeof v === 'boolean') return v;
      throw new Problem(path, 'must be a boolean', v);
    case 'string':
      if (typeof v === 'string') return v;
      throw new Problem(path, 'must be a string', v);
    case 'bytes':
      if (v instanceof Uint8Array) return v;
      throw new Problem(path, 'must be a Uint8Array', v);
    default: {
      const range = INT_RANGES[field.type];
      if (!range) throw new Problem(path, `has unsupported type ${field.type}`, v);
      const [lo, hi] = range;
      if (typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi) return v;
      const long = hi === Number.MAX_SAFE_INTEGER;
      const what = long ? `${lo === 0 ? '0' : '-(2^53 - 1)'} … 2^53 - 1` : `${lo} … ${hi}`;
      throw new Problem(path, `must be an integer in ${what} (${field.type}${long ? ', exact as a JS number' : ''})`, v);
    }
  }
}

const WIRE_TYPE = protobuf.types.basic as Record<string, number>;
const MAX_DEPTH = 64;

/**
 * Walks the encoded bytes of one `type` message from `r.pos` to `end` without decoding values:
 * every known field must carry the wire type its schema implies (or a packed run for repeated
 * numbers), every length must stay inside its enclosing message, and strings must be UTF-8.
 */
function scan(type: protobuf.Type, r: protobuf.Reader, end: number, path: string, depth: number): void {
  if (depth > MAX_DEPTH) throw new Problem(path, `nests deeper than ${MAX_DEPTH} messages`);
  while (r.pos < end) {
    const at = r.pos;
    const tag = r.uint32();
    const id = tag >>> 3;
    const wt = tag & 7;
    if (id === 0) throw new Problem(path, `has field number 0 at byte ${at}`);
    const field = type.fieldsById[id];
    if (!field) {
      r.skipType(wt);
      if (r.pos > end) throw new Problem(path, `unknown field ${id} at byte ${at} runs past the end of the message`);
      continue;
    }
    const p = `${path}.${field.name}`;
    const rt = field.resolvedType;
    const want = rt instanceof protobuf.Type ? 2 : rt instanceof protobuf.Enum ? 0 : WIRE_TYPE[field.type];
    if (want === undefined) throw new Problem(p, `has unsupported type ${field.type}`);
    const packed = wt === 2 && want !== 2 && field.repeated;
    if (wt !== want && !packed) throw new Problem(p, `arrives with wire type ${wt} at byte ${at}, expected ${want}`);
    if (wt !== 2) {
      r.skipType(wt);
      if (r.pos > end) throw new Problem(p, `runs past the end of the message at byte ${at}`);
      continue;
    }
    const len = r.uint32();
    const stop = r.pos + len;
    if (stop > end) throw new Problem(p, `says ${len} bytes at byte ${at} but only ${end - r.pos} remain`);
    if (rt instanceof protobuf.Type) {
      scan(rt, r, stop, p, depth + 1);
    } else if (packed) {
      if (want === 0) while (r.pos < stop) r.skipType(0);
      else if (len % (want === 1 ? 8 : 4) !== 0) throw new Problem(p, `packed run of ${len} bytes is not a whole number of values`);
      if (r.pos > stop) throw new Problem(p, `packed run overruns its ${len} bytes`);
      r.pos = stop;
    } else {
      if (field.type === 'string' && !isUtf8(r.buf.subarray(r.pos, stop))) throw new Problem(p, `is not valid UTF-8 (at byte ${at})`);
      r.pos = stop;
    }
  }
  if (r.pos !== end) throw new Problem(path, `overruns its length by ${r.pos - end} bytes`);
}

/** `credo.v1.Trial`: one unit of work on the TRIALS work queue. */
export const TrialCodec: Codec<MessageTypes['credo.v1.Trial']> = codec('credo.v1.Trial');
/** `credo.v1.MetricBatch`: metric points of one attempt, published to METRICS. */
export const MetricBatchCodec: Codec<MessageTypes['credo.v1.MetricBatch']> = codec('credo.v1.MetricBatch');
/** `credo.v1.TrialResult`: the final state of one attempt, published to RESULTS. */
export const TrialResultCodec: Codec<MessageTypes['credo.v1.TrialResult']> = codec('credo.v1.TrialResult');
/** `credo.v1.SweepStatus`: sweep progress, as kept in the sweep-state KV bucket and streamed by WatchSweep. */
export const SweepStatusCodec: Codec<MessageTypes['credo.v1.SweepStatus']> = codec('credo.v1.SweepStatus');
