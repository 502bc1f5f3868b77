import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { inflateSync } from 'node:zlib';

/*
 * Opens a page in Debian's headless Chromium and reports what a user would see go wrong:
 * console errors, uncaught exceptions, failed loads, plus a full-page screenshot. Talks the
 * DevTools protocol over a pipe (--remote-debugging-pipe: fds 3 and 4, NUL-terminated JSON), so
 * no port, no WebSocket client and no npm browser package are needed.
 */

/** The Chromium binary, or undefined when it is not installed. */
export function findChromium(): string | undefined {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  return undefined;
}

export interface PageCheck {
  /** Console errors, exceptions, failed requests and error-level log entries. */
  readonly errors: string[];
  /** Full-page PNG. */
  readonly screenshot: Buffer;
  readonly width: number;
  readonly height: number;
  /** document.images that finished loading with a non-zero natural size. */
  readonly imagesLoaded: number;
  readonly imagesTotal: number;
}

/** Loads `file` in headless Chromium; resolves when the page has loaded and been captured. */
export async function checkPage(chromium: string, file: string, opts: { width?: number; timeoutMs?: number } = {}): Promise<PageCheck> {
  const profile = await mkdtemp(join(tmpdir(), 'credo-chromium-'));
  const proc = spawn(
    chromium,
    [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-extensions', '--disable-sync',
      '--disable-component-update', '--no-first-run', '--no-default-browser-check', '--mute-audio', '--hide-scrollbars',
      `--user-data-dir=${profile}`, '--remote-debugging-pipe', 'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const toChrome = proc.stdio[3] as Writable;
  const fromChrome = proc.stdio[4] as Readable;
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  const listeners: Array<(m: any) => void> = [];
  let buf = '';
  fromChrome.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    let i: number;
    while ((i = buf.indexOf('\0')) >= 0) {
      const msg = JSON.parse(buf.slice(0, i));
      buf = buf.slice(i + 1);
      if (msg.id !== undefined && pending.has(msg.id)) {
        const p = pending.get(msg.id)!;
        pending.delete(msg.id);
        if (msg.error) p.reject(new Error(`${msg.error.message} (${msg.error.code})`));
        else p.resolve(msg.result);
      } else for (const l of listeners) l(msg);
    }
  });
  const send = (method: string, params: object = {}, sessionId?: string): Promise<any> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      toChrome.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
    });
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  const timeout = opts.timeoutMs ?? 30_000;
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeout);
  try {
    const errors: string[] = [];
    listeners.push((m) => {
      if (m.method === 'Runtime.exceptionThrown') errors.push(`exception: ${m.params.exceptionDetails?.exception?.description ?? m.params.exceptionDetails?.text}`);
      if (m.method === 'Runtime.consoleAPICalled' && (m.params.type === 'error' || m.params.type === 'assert')) {
        errors.push(`console.${m.params.type}: ${m.params.args.map((a: any) => a.value ?? a.description).join(' ')}`);
      }
      if (m.method === 'Log.entryAdded' && m.params.entry.level === 'error') errors.push(`log: ${m.params.entry.text} ${m.params.entry.url ?? ''}`.trim());
      if (m.method === 'Network.loadingFailed' && !m.params.canceled) errors.push(`load failed: ${m.params.errorText}`);
    });
    const { targetInfos } = await send('Target.getTargets');
    const target = targetInfos.find((t: any) => t.type === 'page');
    if (!target) throw new Error(`no page target in Chromium (stderr: ${stderr.slice(0, 500)})`);
    const { sessionId } = await send('Target.attachToTarget', { targetId: target.targetId, flatten: true });
    await send('Runtime.enable', {}, sessionId);
    await send('Log.enable', {}, sessionId);
    await send('Network.enable', {}, sessionId);
    await send('Page.enable', {}, sessionId);
    const width = opts.width ?? 1200;
    await send('Emulation.setDeviceMetricsOverride', { width, height: 900, deviceScaleFactor: 1, mobile: false }, sessionId);
    const loaded = new Promise<void>((resolve) => listeners.push((m) => m.method === 'Page.loadEventFired' && m.sessionId === sessionId && resolve()));
    const nav = await send('Page.navigate', { url: pathToFileURL(file).href }, sessionId);
    if (nav.errorText) errors.push(`navigation: ${nav.errorText}`);
    await loaded;
    const images = await send(
      'Runtime.evaluate',
      { expression: 'JSON.stringify([...document.images].map((i) => i.complete && i.naturalWidth > 0))', returnByValue: true },
      sessionId,
    );
    const states = JSON.parse(images.result.value as string) as boolean[];
    const metrics = await send('Page.getLayoutMetrics', {}, sessionId);
    const height = Math.ceil(metrics.cssContentSize?.height ?? metrics.contentSize.height);
    await send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false }, sessionId);
    const shot = await send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true }, sessionId);
    await send('Browser.close').catch(() => undefined);
    return {
      errors,
      screenshot: Buffer.from(shot.data as string, 'base64'),
      width,
      height,
      imagesLoaded: states.filter(Boolean).length,
      imagesTotal: states.length,
    };
  } finally {
    clearTimeout(timer);
    if (proc.exitCode === null) proc.kill('SIGTERM');
    await exited;
    // Chromium's helper processes can outlive the browser by a moment and still write into the
    // profile (ENOTEMPTY on a loaded machine): rm retries those.
    await rm(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  }
}

/** A decoded 8-bit PNG (RGB or RGBA, not interlaced), enough to count colours in a screenshot. */
export interface Pixels {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly data: Uint8Array;
}

/** Decodes the PNGs Chromium and resvg write (8-bit truecolor ± alpha, no interlace). */
export function decodePng(png: Buffer): Pixels {
  if (png.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
  let off = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (off < png.length) {
    const len = png.readUInt32BE(off);
    const type = png.toString('ascii', off + 4, off + 8);
    const body = png.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const depth = body[8]!;
      const color = body[9]!;
      if (depth !== 8 || (color !== 2 && color !== 6) || body[12] !== 0) throw new Error(`unsupported PNG (depth ${depth}, colour type ${color}, interlace ${body[12]})`);
      channels = color === 6 ? 4 : 3;
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? out[y * stride + x - channels]! : 0;
      const b = y > 0 ? out[(y - 1) * stride + x]! : 0;
      const c = x >= channels && y > 0 ? out[(y - 1) * stride + x - channels]! : 0;
      let v = line[x]!;
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      out[y * stride + x] = v & 0xff;
    }
  }
  return { width, height, channels, data: out };
}

/** Pixels within `tolerance` (per channel) of the colour `#rrggbb`. */
export function countColor(img: Pixels, hex: string, tolerance = 6): number {
  const r = parseInt(hex.slice(1, 3), 16);
  const g = parseInt(hex.slice(3, 5), 16);
  const b = parseInt(hex.slice(5, 7), 16);
  let n = 0;
  for (let i = 0; i < img.data.length; i += img.channels) {
    if (Math.abs(img.data[i]! - r) <= tolerance && Math.abs(img.data[i + 1]! - g) <= tolerance && Math.abs(img.data[i + 2]! - b) <= tolerance) n++;
  }
  return n;
}
