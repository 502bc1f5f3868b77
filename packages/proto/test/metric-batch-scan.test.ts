import { CredoError } from '@credo/core';
import { MetricBatchCodec, scanMetricBatch, type MetricBatch } from '@credo/proto';
import { describe, expect, it } from 'vitest';

/** What the scanner yields, as the codec's message shape. */
function scan(bytes: Uint8Array): MetricBatch {
  const out: MetricBatch = { sweepId: '', trialKey: '', attempt: 0, seq: 0, points: [] };
  let headers = 0;
  scanMetricBatch(bytes, {
    header: (sweepId, trialKey, attempt, seq) => {
      headers++;
      Object.assign(out, { sweepId, trialKey, attempt, seq });
    },
    point: (name, step, value, timeMs) => out.points.push({ name, step, value, timeMs }),
  });
  expect(headers).toBe(1);
  return out;
}

/** Either both reject with BAD_PARAM, or both give the same message. */
function sameAsCodec(bytes: Uint8Array): 'ok' | 'rejected' {
  let want: MetricBatch | CredoError;
  try {
    want = MetricBatchCodec.decode(bytes);
  } catch (e) {
    want = e as CredoError;
  }
  if (want instanceof Error) {
    expect(want).toBeInstanceOf(CredoError);
    let got: unknown;
    try {
      scan(bytes);
    } catch (e) {
      got = e;
    }
    expect(got, `scanner accepted what the codec rejects: ${want.message}`).toBeInstanceOf(CredoError);
    expect((got as CredoError).code).toBe('BAD_PARAM');
    expect((got as CredoError).field).toBe('credo.v1.MetricBatch');
    return 'rejected';
  }
  expect(scan(bytes)).toEqual(want);
  return 'ok';
}

/** A small deterministic generator (tests must not depend on Math.random). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const NAMES = ['train/loss', 'test/error', 'angle/fa_bp/h1', 'ünïcode/✓', '', 'n'.repeat(300)];
const VALUES = [0, -0, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 5e-324, -1e308];
const INTS = [0, 1, 127, 128, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1];

function randomBatch(rnd: () => number): MetricBatch {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const n = Math.floor(rnd() * 40);
  return {
    sweepId: pick(['sw-1', '', 'ß']), trialKey: pick(['k', 't'.repeat(64), '']), attempt: pick([0, 1, 2 ** 32 - 1]), seq: pick([0, 7]),
    points: Array.from({ length: n }, () => ({ name: pick(NAMES), step: pick(INTS), value: pick(VALUES), timeMs: pick([...INTS, -1, -(2 ** 53 - 1)]) })),
  };
}

/** Protobuf wire pieces, to build what protobufjs would never write. */
const varint = (n: bigint): number[] => {
  const out: number[] = [];
  let v = BigInt.asUintN(64, n);
  do {
    out.push(Number(v & 0x7fn) | (v > 0x7fn ? 0x80 : 0));
    v >>= 7n;
  } while (v > 0n);
  return out;
};
const tag = (field: number, wire: number): number[] => varint(BigInt((field << 3) | wire));
const len = (field: number, body: number[]): number[] => [...tag(field, 2), ...varint(BigInt(body.length)), ...body];
const str = (field: number, s: string): number[] => len(field, [...Buffer.from(s)]);
const dbl = (field: number, v: number): number[] => {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v);
  return [...tag(field, 1), ...b];
};

describe('scanMetricBatch reads MetricBatches exactly as MetricBatchCodec.decode does', () => {
  it('on 300 random batches: defaults, NaN/±Infinity/-0, 2^53 - 1, negative times, long and non-ASCII names', () => {
    const rnd = lcg(12345);
    for (let i = 0; i < 300; i++) expect(sameAsCodec(MetricBatchCodec.encode(randomBatch(rnd)))).toBe('ok');
  });

  it('header after the points, repeated scalars (last wins), unknown fields of every wire type skipped', () => {
    const point = [...str(1, 'loss'), ...tag(2, 0), ...varint(5n), ...dbl(3, 0.25), ...tag(4, 0), ...varint(-3n), ...tag(9, 5), 1, 2, 3, 4];
    const bytes = new Uint8Array([
      ...len(5, point), ...len(5, []), ...tag(15, 0), ...varint(2n ** 63n), ...dbl(16, 1), ...len(17, [1, 2, 3]), ...tag(18, 5), 0, 0, 0, 0,
      ...str(1, 'first'), ...str(1, 'sw'), ...str(2, 'tk'), ...tag(3, 0), ...varint(4n), ...tag(3, 0), ...varint(5n), ...tag(4, 0), ...varint(2n ** 32n + 7n),
    ]);
    expect(sameAsCodec(bytes)).toBe('ok');
    expect(scan(bytes)).toEqual({ sweepId: 'sw', trialKey: 'tk', attempt: 5, seq: 7, points: [{ name: 'loss', step: 5, value: 0.25, timeMs: -3 }, { name: '', step: 0, value: 0, timeMs: 0 }] });
  });

  it('rejects like the codec: every truncation of a batch, wrong wire types, bad UTF-8, integers beyond 2^53 - 1', () => {
    const good = MetricBatchCodec.encode(randomBatch(lcg(7)));
    let rejected = 0;
    for (let n = 0; n < good.length; n++) if (sameAsCodec(good.subarray(0, n)) === 'rejected') rejected++;
    expect(rejected).toBeGreaterThan(good.length / 2);
    const bad = [
      [...tag(5, 0), 1], // points as a varint
      [...tag(1, 0), 1], // sweep_id as a varint
      len(5, [...tag(3, 0), 1]), // value as a varint
      len(5, [...tag(1, 1), 1, 2, 3, 4, 5, 6, 7, 8]), // name as fixed64
      len(5, [...tag(2, 0), ...varint(2n ** 53n)]), // step beyond 2^53 - 1
      len(5, [...tag(4, 0), ...varint(-(2n ** 53n))]), // time below -(2^53 - 1)
      len(5, [...tag(1, 2), 2, 0xc3, 0x28]), // invalid UTF-8 name
      [...tag(2, 2), 1, 0xff], // invalid UTF-8 trial key
      len(5, [...tag(1, 2), 5, 0x61]), // name runs past its point
      [...tag(20, 3)], // a group
      [...tag(0, 0), 1], // field number 0
    ];
    for (const b of bad) expect(sameAsCodec(new Uint8Array(b)), Buffer.from(b).toString('hex')).toBe('rejected');
  });

  it('hands nothing to the visitor from a batch that turns out malformed after good points', () => {
    const ok = len(5, [...str(1, 'a'), ...dbl(3, 1)]);
    const bytes = new Uint8Array([...ok, ...ok, ...len(5, [...tag(2, 0), ...varint(2n ** 60n)])]);
    const seen: string[] = [];
    expect(() => scanMetricBatch(bytes, { header: () => seen.push('header'), point: (name) => seen.push(name) })).toThrow(CredoError);
    expect(seen).toEqual([]);
  });
});
