#!/usr/bin/env node
// Thin launcher: the CLI is compiled by `tsc -b` (npm ci runs it through the root `prepare`).
import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('credo: not built yet; run `npm ci` (or `npm run build`) in the credo checkout\n');
  process.exit(2);
}
const { main: run } = await import(main.href);
process.exitCode = await run(process.argv);
