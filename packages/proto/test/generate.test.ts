import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const script = join(repo, 'packages/proto/scripts/generate.mjs');
const committed = join(repo, 'packages/proto/src/gen/credo-v1.ts');
const tmp = mkdtempSync(join(tmpdir(), 'credo-proto-gen-'));

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function generate(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [script, ...args], { cwd: repo });
    return { stdout, stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

describe('generated code', () => {
  it('is up to date with proto/ (run `node packages/proto/scripts/generate.mjs` after editing a .proto)', async () => {
    const out = join(tmp, 'fresh.ts');
    const r = await generate('--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(committed, 'utf8'));
    expect((await generate('--check')).code).toBe(0);
  });

  it('notices a .proto edit that was not regenerated', async () => {
    const protoDir = join(tmp, 'proto-edited');
    cpSync(join(repo, 'proto'), protoDir, { recursive: true });
    const file = join(protoDir, 'credo/v1/trial.proto');
    writeFileSync(file, readFileSync(file, 'utf8').replace('bool final = 13;', 'bool final = 13;\n  string host = 15;'));
    const r = await generate('--proto-dir', protoDir, '--check');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is stale: run `node packages\/proto\/scripts\/generate\.mjs`/);
  });

  it('refuses proto features it cannot type yet, with a clear message', async () => {
    const protoDir = join(tmp, 'proto-map');
    cpSync(join(repo, 'proto'), protoDir, { recursive: true });
    writeFileSync(join(protoDir, 'credo/v1/extra.proto'), 'syntax = "proto3";\npackage credo.v1;\nmessage Tags { map<string, string> tags = 1; }\n');
    const r = await generate('--proto-dir', protoDir, '--out', join(tmp, 'never.ts'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/credo\.v1\.Tags\.tags: map fields are not supported/);
  });
});
