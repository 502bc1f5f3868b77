import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acceptsTcp, freePorts, httpGet } from './ports.js';
import { findBinary, ManagedProcess, waitUntil } from './process.js';

export interface NatsServerOptions {
  /** Start with JetStream (`-js -sd DIR`); default true. */
  readonly jetstream?: boolean;
  /** Extra command-line arguments for nats-server. */
  readonly args?: readonly string[];
  /** How long to wait for readiness; default 30 s. */
  readonly timeoutMs?: number;
}

/** A nats-server on 127.0.0.1 with its own ports and store dir, made by {@link startNats}. */
export interface NatsServer {
  /** `nats://127.0.0.1:PORT`. */
  readonly url: string;
  readonly port: number;
  /** HTTP monitoring port (`-m`): /varz, /jsz, /healthz. */
  readonly monitorPort: number;
  readonly monitorUrl: string;
  /** Temp dir holding the JetStream store (`dir/jetstream`) and the log (`dir/nats.log`). */
  readonly dir: string;
  readonly jetstream: boolean;
  /** Milliseconds the last (re)start took until the server was ready. */
  readonly startupMs: number;
  /** PID of the running server, undefined while it is down. */
  readonly pid: number | undefined;
  readonly running: boolean;
  /** Stops the server for good (SIGTERM, then SIGKILL) and removes its temp dir. */
  stop(): Promise<void>;
  /**
   * Sends a signal, keeping port and store: SIGKILL (default) or SIGTERM/SIGINT wait until the
   * server exited; SIGSTOP/SIGCONT freeze and thaw it (a hung server). {@link NatsServer.start}
   * brings a dead one back.
   */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the server again on the same port and store dir (no-op while it runs) and waits until ready. */
  start(): Promise<void>;
  /** SIGTERM, then {@link NatsServer.start}. */
  restart(): Promise<void>;
}

/**
 * Starts `nats-server -a 127.0.0.1 -p PORT -m MONITOR [-js -sd DIR]` on free ports in a fresh temp
 * dir, and resolves once it accepts TCP connections and (with JetStream) reports JetStream
 * healthy. The server is killed when the test process exits, however it exits.
 *
 * @example
 * ```ts
 * const nats = await startNats();
 * const nc = await connect({ servers: nats.url });
 * await nats.kill();    // fault: the server dies
 * await nats.start();   // same port, same JetStream store
 * await nats.stop();    // for good; temp dir removed
 * ```
 */
export async function startNats(opts: NatsServerOptions = {}): Promise<NatsServer> {
  const bin = findBinary('nats-server');
  const jetstream = opts.jetstream ?? true;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  let lastError: unknown;
  // A port picked by freePort can be taken by someone else before the server binds it: retry.
  for (let tries = 0; tries < 3; tries++) {
    const [port, monitorPort] = (await freePorts(2)) as [number, number];
    const dir = mkdtempSync(join(tmpdir(), 'credo-nats-'));
    const storeDir = join(dir, 'jetstream');
    mkdirSync(storeDir);
    const args = ['-a', '127.0.0.1', '-p', String(port), '-m', String(monitorPort)];
    if (jetstream) args.push('-js', '-sd', storeDir);
    args.push(...(opts.args ?? []));
    const proc = new ManagedProcess('nats-server', bin, args, dir, join(dir, 'nats.log'), dir);
    const server = new Nats(proc, port, monitorPort, dir, jetstream, timeoutMs);
    try {
      await server.start();
      return server;
    } catch (e) {
      lastError = e;
      await proc.dispose();
    }
  }
  throw lastError;
}

class Nats implements NatsServer {
  readonly url: string;
  readonly monitorUrl: string;
  startupMs = NaN;

  constructor(
    private readonly proc: ManagedProcess,
    readonly port: number,
    readonly monitorPort: number,
    readonly dir: string,
    readonly jetstream: boolean,
    private readonly timeoutMs: number,
  ) {
    this.url = `nats://127.0.0.1:${port}`;
    this.monitorUrl = `http://127.0.0.1:${monitorPort}`;
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  get running(): boolean {
    return this.proc.running;
  }

  async start(): Promise<void> {
    if (this.proc.running) return;
    const t0 = performance.now();
    await this.proc.spawn();
    await waitUntil(this.proc, 'accepting connections', () => acceptsTcp(this.port), this.timeoutMs);
    const health = `${this.monitorUrl}/healthz${this.jetstream ? '?js-enabled-only=true' : ''}`;
    await waitUntil(this.proc, 'healthy', async () => (await httpGet(health)).status === 200, this.timeoutMs);
    if (this.jetstream) {
      // /healthz of 2.9 ignores unknown options; /jsz names the store dir only once JetStream runs.
      await waitUntil(this.proc, 'JetStream-ready', async () => {
        const r = await httpGet(`${this.monitorUrl}/jsz`);
        return r.status === 200 && (JSON.parse(r.body) as { config?: { store_dir?: string } }).config?.store_dir !== undefined;
      }, this.timeoutMs);
    }
    this.startupMs = performance.now() - t0;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    return this.proc.signal(signal);
  }

  async restart(): Promise<void> {
    await this.proc.signal('SIGTERM');
    await this.start();
  }

  stop(): Promise<void> {
    return this.proc.dispose();
  }
}
