/** Keys whose values never reach a log line, whatever the caller passes. */
const SECRET_KEY = /pass(word)?|token|secret|authorization|credential/i;

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type Logger = Record<LogLevel, (msg: string, fields?: Record<string, unknown>) => void>;

/**
 * Structured logs: one JSON object per line with time, level, service and message, so that a
 * cluster's logs can be filtered by field. Secrets are redacted by key name, and URLs lose
 * their passwords, so that no configuration value leaks through a log.
 *
 * @example
 * ```ts
 * const log = jsonLogger('worker');
 * log.info('trial finished', { sweep: 'quickstart', trial: key, status: 'done' });
 * ```
 */
export function jsonLogger(service: string, write: (line: string) => void = (l) => process.stderr.write(l), minLevel: LogLevel = 'info'): Logger {
  const order: LogLevel[] = ['debug', 'info', 'warn', 'error'];
  const make = (level: LogLevel) => (msg: string, fields: Record<string, unknown> = {}): void => {
    if (order.indexOf(level) < order.indexOf(minLevel)) return;
    write(JSON.stringify({ time: new Date().toISOString(), level, service, msg, ...redact(fields) }) + '\n');
  };
  return { debug: make('debug'), info: make('info'), warn: make('warn'), error: make('error') };
}

export function redact(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (SECRET_KEY.test(k)) out[k] = '[redacted]';
    else if (typeof v === 'string') out[k] = maskUrlPassword(v);
    else if (v instanceof Error) out[k] = maskUrlPassword(v.message);
    else out[k] = v;
  }
  return out;
}

/** `scheme://user:secret@host` → `scheme://user:***@host`. */
export function maskUrlPassword(s: string): string {
  return s.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]+:)[^@\s/]+@/gi, '$1***@');
}
