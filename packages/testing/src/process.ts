import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, closeSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/*
 * Child processes of the test helpers: finding a server binary, running it with its output in a
 * log file, stopping it, and making sure it dies with the test process.
 *
 * Two guards, because a test process does not always exit through 'exit': vitest may end a
 * worker with a signal, and Node runs no 'exit' handlers on a default-handled SIGTERM or on
 * SIGKILL. So besides the 'exit' hook, every server gets a tiny detached `sh` watchdog that
 * polls the test process once a second and, when it is gone, kills the server and removes its
 * temp dir.
 */

export const INSTALL_HINT = 'install with: apt-get install -y nats-server clickhouse-server clickhouse-client';

/** Directories searched besides PATH: Debian puts the servers in /usr/sbin, which a non-root PATH may lack. */
const EXTRA_DIRS = ['/usr/sbin', '/usr/local/sbin', '/sbin', '/usr/bin', '/usr/local/bin'];

/** Absolute path of an executable, or a clear error naming the package to install. */
export function findBinary(name: string): string {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  throw new Error(`${name} is not installed (looked in PATH and ${EXTRA_DIRS.join(', ')}); ${INSTALL_HINT}`);
}

/** Everything that must die when the test process ends, whatever way it ends. */
interface Guarded {
  killNow(): void;
  dir: string;
}
const guarded = new Set<Guarded>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const g of guarded) {
      g.killNow();
      try {
        rmSync(g.dir, { recursive: true, force: true });
      } catch {
        // best effort at exit
      }
    }
  });
}

/**
 * One server process: started (and restarted) with the same arguments, output appended to
 * `logFile`, killed with the test process. {@link ManagedProcess.dispose} ends it for good and
 * removes `dir`.
 */
export class ManagedProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private watchdog: ChildProcess | undefined;
  private readonly guard: Guarded;
  private disposed = false;

  constructor(
    readonly name: string,
    private readonly bin: string,
    private readonly args: readonly string[],
    private readonly cwd: string,
    readonly logFile: string,
    /** Removed by {@link ManagedProcess.dispose}, and by the guards if the test process dies. */
    readonly dir: string,
  ) {
    this.guard = { killNow: () => this.killNow(), dir };
    installExitHook();
    guarded.add(this.guard);
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Spawns the process; resolves once it is spawned (not ready: the caller polls readiness). */
  async spawn(): Promise<void> {
    if (this.running) return;
    if (this.disposed) throw new Error(`${this.name} was stopped for good (its temp dir is gone); for an outage use kill() and then start()`);
    const fd = openSync(this.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(this.bin, this.args, { cwd: this.cwd, stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    this.child = child;
    this.exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', (e) => reject(new Error(`cannot start ${this.name} (${this.bin}): ${e.message}`)));
    });
    this.startWatchdog(child.pid!);
  }

  /** Resolves when the current process has exited (at once if none runs). */
  waitExit(): Promise<void> {
    return this.exited;
  }

  /**
   * Sends `signal`. For signals that end the process (SIGTERM, SIGINT, SIGKILL, SIGQUIT) waits
   * until it has exited, escalating to SIGKILL after `graceMs`; other signals (SIGSTOP, SIGCONT,
   * SIGHUP) are only sent.
   */
  async signal(signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill(signal);
    if (!['SIGTERM', 'SIGINT', 'SIGKILL', 'SIGQUIT'].includes(signal)) return;
    // A stopped process cannot act on SIGTERM until it is continued.
    if (signal !== 'SIGKILL') child.kill('SIGCONT');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    try {
      await this.exited;
    } finally {
      clearTimeout(timer);
      this.stopWatchdog();
    }
  }

  /** Stops the process for good and removes its directory. */
  async dispose(): Promise<void> {
    this.disposed = true;
    await this.signal('SIGTERM');
    this.stopWatchdog();
    guarded.delete(this.guard);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The last `bytes` of the log, for error messages. */
  logTail(bytes = 4000): string {
    try {
      const text = readFileSync(this.logFile, 'utf8');
      return text.slice(-bytes);
    } catch {
      return '';
    }
  }

  private killNow(): void {
    try {
      if (this.running) this.child!.kill('SIGKILL');
    } catch {
      // already gone
    }
    this.stopWatchdog();
  }

  private startWatchdog(serverPid: number): void {
    this.stopWatchdog();
    const script = 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; kill -9 "$2" 2>/dev/null; rm -rf "$3"';
    const w = spawn('sh', ['-c', script, 'credo-test-watchdog', String(process.pid), String(serverPid), this.dir], {
      detached: true,
      stdio: 'ignore',
    });
    w.on('error', () => undefined);
    w.unref();
    this.watchdog = w;
  }

  private stopWatchdog(): void {
    const w = this.watchdog;
    this.watchdog = undefined;
    if (w && w.exitCode === null && w.signalCode === null) {
      try {
        w.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/**
 * Polls `probe` every `intervalMs` until it returns true; fails when the process exits first or
 * after `timeoutMs`, with the end of its log.
 */
export async function waitUntil(proc: ManagedProcess, what: string, probe: () => Promise<boolean>, timeoutMs: number, intervalMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!proc.running) throw new Error(`${proc.name} exited before ${what}; log ${proc.logFile}:\n${proc.logTail()}`);
    try {
      if (await probe()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${proc.name} not ${what} after ${timeoutMs} ms; log ${proc.logFile}:\n${proc.logTail()}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
