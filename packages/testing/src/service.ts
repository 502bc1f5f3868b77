import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/*
 * The credo services (coordinator, worker agent, ingester) started from their built entry points
 * as separate processes, as an orchestrator would run them: for the cluster tests and the cluster
 * benchmarks alike.
 */

/** The repository root, from packages/testing/dist/. */
const ROOT = new URL('../../../', import.meta.url);

/** Output kept per process: the tail, so that a long benchmark run cannot grow it without bound. */
const KEEP_CHARS = 4 << 20;

/** A running service process. */
export interface ServiceProc {
  readonly child: ChildProcess;
  /** The pid while the process runs, else undefined. */
  readonly pid: number | undefined;
  /** What it printed so far, stdout and stderr interleaved (the last 4 MiB). */
  output(): string;
  /** Resolves with the match once the output matches `re`; rejects if the process exits or the time runs out first. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Sends `signal` (SIGTERM by default, SIGKILL if it is still alive 15 s later) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `services/<name>/dist/bin.js` with `args` (and `env` over this process's environment),
 * capturing its output. The services must have been built (`npm run build`).
 *
 * @example
 * ```ts
 * const coordinator = startService('coordinator', ['--nats-url', nats.url, '--listen', address, '--token-file', tokenFile]);
 * await coordinator.waitFor(/listening /);
 * await coordinator.stop();
 * ```
 */
export function startService(name: 'coordinator' | 'worker' | 'ingester', args: readonly string[], env: Record<string, string> = {}): ServiceProc {
  const bin = fileURLToPath(new URL(`services/${name}/dist/bin.js`, ROOT));
  const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer): void => {
    out += d.toString();
    if (out.length > KEEP_CHARS) out = out.slice(-KEEP_CHARS);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    get pid() {
      return child.exitCode === null && child.signalCode === null ? child.pid : undefined;
    },
    output: () => out,
    waitFor(re, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const t0 = Date.now();
        const tick = setInterval(() => {
          const m = out.match(re);
          if (m) {
            clearInterval(tick);
            resolve(m);
          } else if (Date.now() - t0 > timeoutMs || child.exitCode !== null || child.signalCode !== null) {
            clearInterval(tick);
            reject(new Error(`${name} did not print ${re} (exit ${child.exitCode ?? child.signalCode}):\n${out.slice(-3000)}`));
          }
        }, 20);
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}
