/**
 * @module @credo/cli
 * The `credo` command and the local sweep runner it is built on.
 *
 * @example
 * ```ts
 * import { main } from '@credo/cli';
 * process.exitCode = await main(['node', 'credo', 'plan', 'examples/quickstart.yaml']);
 * ```
 */
export { main, buildProgram } from './main.js';
export { runLocalSweep, type LocalProgress, type LocalRunOptions, type LocalRunSummary } from './local-run.js';
