import { CredoError } from '@credo/core';
import {
  codec, messageTypeNames, MetricBatchCodec, SweepStatusCodec, TrialCodec, TrialResultCodec,
  type MessageTypeName, type MessageTypes, type MetricBatch, type SweepStatus, type Trial,
} from '@credo/proto';
import { describe, expect, it } from 'vitest';

const MAX = Number.MAX_SAFE_INTEGER; // 2^53 - 1

const status: SweepStatus = {
  sweepId: 'sw-1', name: 'fa-vs-bp', state: 'running', total: MAX, dispatched: 2 ** 40, done: 3, failed: 4,
  diverged: 5, cancelled: 6, timeout: 7, createdMs: 1_700_000_000_000, updatedMs: -1, specHash: 'abc',
};

/** One non-default sample of every message type; the type makes sure none is forgotten. */
const samples: { [K in MessageTypeName]: MessageTypes[K] } = {
  'credo.v1.SweepSpec': { yaml: 'rules: [bp, fa]\n', sourceName: 'fa-vs-bp.yaml', maxAttempts: 2 ** 32 - 1 },
  'credo.v1.SweepStatus': status,
  'credo.v1.SubmitSweepRequest': { spec: { yaml: 'x: 1', sourceName: '', maxAttempts: 0 } },
  'credo.v1.SubmitSweepResponse': { status, existing: true },
  'credo.v1.GetSweepRequest': { sweepId: 'sw-1' },
  'credo.v1.ListSweepsRequest': {},
  'credo.v1.ListSweepsResponse': { sweeps: [status, { ...status, sweepId: 'sw-2', total: 0 }] },
  'credo.v1.WatchSweepRequest': { sweepId: 'sw-1' },
  'credo.v1.CancelSweepRequest': { sweepId: 'sw-1' },
  'credo.v1.RetryFailedRequest': { sweepId: 'sw-1' },
  'credo.v1.RetryFailedResponse': { status, requeued: MAX },
  'credo.v1.Trial': {
    sweepId: 'sw-1', trialKey: 't'.repeat(64), configKey: 'c'.repeat(64), index: MAX,
    configJson: '{"rule":{"name":"fa"},"émoji":"✓"}', paramsJson: '{"rule.lr":0.01}', maxAttempts: 3, attemptBase: 6, specHash: 'abc123',
  },
  'credo.v1.MetricPoint': { name: 'train/loss', step: MAX, value: Number.NaN, timeMs: -(2 ** 53 - 1) },
  'credo.v1.MetricBatch': {
    sweepId: 'sw-1', trialKey: 'k', attempt: 2, seq: 9,
    points: [
      { name: 'train/loss', step: 0, value: Number.NaN, timeMs: 1 },
      { name: 'train/loss', step: 1, value: Number.POSITIVE_INFINITY, timeMs: 2 },
      { name: 'train/loss', step: 2, value: Number.NEGATIVE_INFINITY, timeMs: 3 },
      { name: 'test/error', step: MAX, value: 5e-324, timeMs: 4 },
      { name: 'angle/fa_bp/h1', step: 3, value: -0, timeMs: 5 },
    ],
  },
  'credo.v1.TrialResult': {
    sweepId: 'sw-1', trialKey: 'k', attempt: 1, status: 'diverged', error: 'loss is NaN at step 17', durationMs: 1234.5,
    worker: 'w-1', metricBatches: 17, configKey: 'c', configJson: '{}', paramsJson: '{}', index: MAX, final: true,
    points: [{ name: 'test/error', step: 99, value: 0.125, timeMs: 1_700_000_000_000 }, { name: 'train/loss', step: 100, value: Number.NaN, timeMs: 1_700_000_000_001 }],
  },
  'grpc.health.v1.HealthCheckRequest': { service: 'credo.v1.CoordinatorService' },
  'grpc.health.v1.HealthCheckResponse': { status: 'NOT_SERVING' },
};

/** The proto3 default of every message type: what decoding zero bytes gives. */
const defaults: { [K in MessageTypeName]: MessageTypes[K] } = {
  'credo.v1.SweepSpec': { yaml: '', sourceName: '', maxAttempts: 0 },
  'credo.v1.SweepStatus': {
    sweepId: '', name: '', state: '', total: 0, dispatched: 0, done: 0, failed: 0, diverged: 0, cancelled: 0, timeout: 0,
    createdMs: 0, updatedMs: 0, specHash: '',
  },
  'credo.v1.SubmitSweepRequest': { spec: null },
  'credo.v1.SubmitSweepResponse': { status: null, existing: false },
  'credo.v1.GetSweepRequest': { sweepId: '' },
  'credo.v1.ListSweepsRequest': {},
  'credo.v1.ListSweepsResponse': { sweeps: [] },
  'credo.v1.WatchSweepRequest': { sweepId: '' },
  'credo.v1.CancelSweepRequest': { sweepId: '' },
  'credo.v1.RetryFailedRequest': { sweepId: '' },
  'credo.v1.RetryFailedResponse': { status: null, requeued: 0 },
  'credo.v1.Trial': { sweepId: '', trialKey: '', configKey: '', index: 0, configJson: '', paramsJson: '', maxAttempts: 0, attemptBase: 0, specHash: '' },
  'credo.v1.MetricPoint': { name: '', step: 0, value: 0, timeMs: 0 },
  'credo.v1.MetricBatch': { sweepId: '', trialKey: '', attempt: 0, seq: 0, points: [] },
  'credo.v1.TrialResult': {
    sweepId: '', trialKey: '', attempt: 0, status: '', error: '', durationMs: 0, worker: '', metricBatches: 0,
    configKey: '', configJson: '', paramsJson: '', index: 0, final: false, points: [],
  },
  'grpc.health.v1.HealthCheckRequest': { service: '' },
  'grpc.health.v1.HealthCheckResponse': { status: 'UNKNOWN' },
};

function catchError(fn: () => unknown): CredoError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CredoError);
    return e as CredoError;
  }
  throw new Error('expected a CredoError, nothing was thrown');
}

describe('codec round trip', () => {
  it('has a sample for every message type', () => {
    expect(Object.keys(samples).sort()).toEqual([...messageTypeNames].sort());
  });

  for (const name of messageTypeNames) {
    it(`${name}: a full message survives encode → decode`, () => {
      const c = codec(name);
      const back = c.decode(c.encode(samples[name] as never));
      // toStrictEqual distinguishes NaN, ±Infinity and -0 the way Object.is does.
      expect(back).toStrictEqual(samples[name]);
    });

    it(`${name}: zero bytes decode to every field at its default`, () => {
      const c = codec(name);
      expect(c.decode(new Uint8Array(0))).toStrictEqual(defaults[name]);
      expect(c.encode(defaults[name] as never)).toHaveLength(0);
    });
  }

  it('keeps uint64 and int64 exact up to 2^53 - 1', () => {
    const back = TrialCodec.decode(TrialCodec.encode(samples['credo.v1.Trial']));
    expect(back.index).toBe(9007199254740991);
    expect(Number.isSafeInteger(back.index)).toBe(true);
    const p = codec('credo.v1.MetricPoint').decode(codec('credo.v1.MetricPoint').encode(samples['credo.v1.MetricPoint']));
    expect(p.timeMs).toBe(-9007199254740991);
  });

  it('carries NaN and ±Infinity in MetricPoint.value unchanged', () => {
    const back = MetricBatchCodec.decode(MetricBatchCodec.encode(samples['credo.v1.MetricBatch']));
    expect(back.points.map((p) => p.value)).toStrictEqual([Number.NaN, Infinity, -Infinity, 5e-324, -0]);
  });

  it('decodes an empty repeated field as an empty array, not undefined', () => {
    const batch: MetricBatch = { sweepId: 's', trialKey: 'k', attempt: 1, seq: 0, points: [] };
    const back = MetricBatchCodec.decode(MetricBatchCodec.encode(batch));
    expect(back.points).toEqual([]);
    expect(SweepStatusCodec.decode(SweepStatusCodec.encode(status))).toStrictEqual(status);
    const noPoints = { ...samples['credo.v1.TrialResult'], points: [] };
    expect(TrialResultCodec.decode(TrialResultCodec.encode(noPoints))).toStrictEqual(noPoints);
  });

  it('accepts absent fields on encode as their defaults', () => {
    const partial = { sweepId: 's' } as Trial;
    expect(TrialCodec.decode(TrialCodec.encode(partial))).toStrictEqual({ ...defaults['credo.v1.Trial'], sweepId: 's' });
  });

  it('puts fields on the wire under the numbers of the .proto files', () => {
    // Trial.sweep_id = 1 (length-delimited): tag 0x0a; Trial.index = 4 (varint): tag 0x20.
    expect([...TrialCodec.encode({ ...defaults['credo.v1.Trial'], sweepId: 'a', index: 300 })]).toEqual([0x0a, 0x01, 0x61, 0x20, 0xac, 0x02]);
    // MetricPoint.value = 3 (fixed64 double): tag 0x19, then 1.0 little-endian.
    expect([...codec('credo.v1.MetricPoint').encode({ ...defaults['credo.v1.MetricPoint'], value: 1 })])
      .toEqual([0x19, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f]);
    // TrialResult.final = 13 (varint): tag 0x68.
    expect([...TrialResultCodec.encode({ ...defaults['credo.v1.TrialResult'], final: true })]).toEqual([0x68, 0x01]);
  });

  it('returns the same codec object for the same type', () => {
    expect(codec('credo.v1.Trial')).toBe(TrialCodec);
  });
});

describe('codec rejects malformed input', () => {
  const good = TrialCodec.encode(samples['credo.v1.Trial']);

  it('rejects bytes truncated inside a field with BAD_PARAM naming the type', () => {
    const e = catchError(() => TrialCodec.decode(good.subarray(0, 10)));
    expect(e.code).toBe('BAD_PARAM');
    expect(e.field).toBe('credo.v1.Trial');
    expect(e.message).toBe('credo.v1.Trial: malformed protobuf message (10 bytes): credo.v1.Trial.trialKey says 64 bytes at byte 6 but only 2 remain');
  });

  it('rejects every truncation inside a length-delimited field', () => {
    // The first field is sweep_id: tag, length 4, then "sw-1"; cutting anywhere inside it must fail.
    for (let n = 2; n < 6; n++) expect(catchError(() => TrialCodec.decode(good.subarray(0, n))).code).toBe('BAD_PARAM');
  });

  it('rejects an invalid wire type', () => {
    const e = catchError(() => MetricBatchCodec.decode(new Uint8Array([0x0f, 0x01, 0x02])));
    expect(e.code).toBe('BAD_PARAM');
    expect(e.message).toMatch(/credo\.v1\.MetricBatch\.sweepId arrives with wire type 7 at byte 0, expected 2/);
  });

  it('rejects a uint64 beyond 2^53 - 1 instead of rounding it', () => {
    // Trial.index = 2^64 - 1 as a varint: tag 0x20 then nine 0xff and 0x01.
    const bytes = new Uint8Array([0x20, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    const e = catchError(() => TrialCodec.decode(bytes));
    expect(e.code).toBe('BAD_PARAM');
    expect(e.message).toMatch(/credo\.v1\.Trial\.index must be an integer in 0 … 2\^53 - 1/);
  });

  it('rejects a nested length that runs past its enclosing message', () => {
    // MetricBatch.points (field 5) of 3 bytes holding MetricPoint.name (field 1) that claims 5 bytes.
    const e = catchError(() => MetricBatchCodec.decode(new Uint8Array([0x2a, 0x03, 0x0a, 0x05, 0x61, 0x62, 0x63, 0x64, 0x65])));
    expect(e.message).toMatch(/credo\.v1\.MetricBatch\.points\.name says 5 bytes at byte 2 but only 1 remain/);
  });

  it('rejects a string that is not UTF-8', () => {
    const e = catchError(() => TrialCodec.decode(new Uint8Array([0x0a, 0x02, 0xc3, 0x28])));
    expect(e.message).toMatch(/credo\.v1\.Trial\.sweepId is not valid UTF-8/);
  });

  it('rejects field number 0', () => {
    expect(catchError(() => TrialCodec.decode(new Uint8Array([0x00, 0x01]))).message).toMatch(/field number 0/);
  });

  it('skips unknown fields, so that messages from newer senders stay readable', () => {
    // Field 99 (varint 5) and field 100 (length-delimited "hi") after a valid Trial.
    const extra = [0x98, 0x06, 0x05, 0xa2, 0x06, 0x02, 0x68, 0x69];
    const bytes = new Uint8Array([...good, ...extra]);
    expect(TrialCodec.decode(bytes)).toStrictEqual(samples['credo.v1.Trial']);
    // ... but not an unknown field whose length runs past the end.
    expect(catchError(() => TrialCodec.decode(new Uint8Array([...good, 0xa2, 0x06, 0x09, 0x68]))).code).toBe('BAD_PARAM');
  });

  it('accepts a Buffer, a plain Uint8Array and a view into a larger buffer alike', () => {
    const padded = new Uint8Array(good.length + 8);
    padded.set(good, 4);
    for (const b of [Buffer.from(good), new Uint8Array(good), padded.subarray(4, 4 + good.length)]) {
      expect(TrialCodec.decode(b)).toStrictEqual(samples['credo.v1.Trial']);
    }
  });

  it('rejects something that is not bytes', () => {
    const e = catchError(() => TrialCodec.decode('hello' as unknown as Uint8Array));
    expect(e.code).toBe('BAD_PARAM');
    expect(e.message).toMatch(/expected protobuf bytes/);
  });

  it('on random bytes either decodes to a well-typed message or throws CredoError, never anything else', () => {
    // A seeded LCG: the same bytes on every run.
    let s = 12345;
    const next = (): number => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 24;
    let rejected = 0;
    for (let i = 0; i < 2000; i++) {
      const bytes = Uint8Array.from({ length: 1 + (i % 64) }, next);
      for (const c of [TrialCodec, MetricBatchCodec, TrialResultCodec, SweepStatusCodec]) {
        try {
          const m = c.decode(bytes) as unknown as Record<string, unknown>;
          expect(Object.keys(m).length).toBeGreaterThan(0);
        } catch (e) {
          expect(e).toBeInstanceOf(CredoError);
          expect((e as CredoError).code).toBe('BAD_PARAM');
          rejected++;
        }
      }
    }
    expect(rejected).toBeGreaterThan(1000);
  });
});

describe('codec refuses to encode what the schema cannot carry', () => {
  const trial = samples['credo.v1.Trial'];

  it.each([
    ['a negative uint64', { ...trial, index: -1 }, 'credo.v1.Trial.index', /0 … 2\^53 - 1/],
    ['a uint64 beyond 2^53 - 1', { ...trial, index: 2 ** 53 }, 'credo.v1.Trial.index', /2\^53 - 1/],
    ['a fractional integer', { ...trial, maxAttempts: 1.5 }, 'credo.v1.Trial.maxAttempts', /0 … 4294967295/],
    ['a uint32 overflow', { ...trial, maxAttempts: 2 ** 32 }, 'credo.v1.Trial.maxAttempts', /0 … 4294967295/],
    ['a number for a string', { ...trial, sweepId: 7 }, 'credo.v1.Trial.sweepId', /must be a string/],
    ['a misspelt field', { ...trial, sweep_id: 'x' }, 'credo.v1.Trial.sweep_id', /is not a field of Trial/],
    ['a bigint', { ...trial, index: 5n }, 'credo.v1.Trial.index', /must be an integer/],
  ])('rejects %s with INTERNAL and the field path', (_what, message, field, reason) => {
    const e = catchError(() => TrialCodec.encode(message as unknown as Trial));
    expect(e.code).toBe('INTERNAL');
    expect(e.field).toBe(field);
    expect(e.message).toMatch(reason);
  });

  it('names the index of a bad element of a repeated field', () => {
    const batch = { ...samples['credo.v1.MetricBatch'], points: [{ name: 'a', step: 1, value: 1, timeMs: 1 }, { name: 'a', step: 2, value: '1', timeMs: 1 }] };
    const e = catchError(() => MetricBatchCodec.encode(batch as unknown as MetricBatch));
    expect(e.field).toBe('credo.v1.MetricBatch.points[1].value');
    expect(e.message).toMatch(/must be a number \(got "1"\)/);
  });

  it('rejects an unknown enum name', () => {
    const e = catchError(() => codec('grpc.health.v1.HealthCheckResponse').encode({ status: 'FINE' as never }));
    expect(e.message).toMatch(/must be one of UNKNOWN, SERVING, NOT_SERVING, SERVICE_UNKNOWN/);
  });

  it('rejects an unknown type name with USAGE', () => {
    const e = catchError(() => codec('credo.v1.Nope' as MessageTypeName));
    expect(e.code).toBe('USAGE');
    expect(e.message).toMatch(/unknown protobuf message type/);
  });
});
