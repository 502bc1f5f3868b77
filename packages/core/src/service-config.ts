import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { deepFreeze } from './canonical.js';
import { CredoError } from './errors.js';
import { resolveParams, type ParamSchema, type ParamValue } from './params.js';

/** `natsUrl` → `--nats-url` and `CREDO_NATS_URL`. */
export function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
export function envName(key: string): string {
  return `CREDO_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/**
 * Parses a service's configuration once, at the edge: defaults < environment (`CREDO_*`) <
 * flags (`--kebab-case`). Secrets may also come from files (`--token-file`, `CREDO_TOKEN_FILE`)
 * so that they stay out of process listings. The result is validated against the service's
 * schema (unknown flags and bad values are usage errors) and frozen.
 *
 * @example
 * ```ts
 * const cfg = parseServiceConfig(WORKER_CONFIG, process.argv.slice(2), process.env);
 * cfg.natsUrl; // 'nats://127.0.0.1:4222'
 * ```
 */
export function parseServiceConfig(schema: ParamSchema, argv: readonly string[], env: Readonly<Record<string, string | undefined>>, secrets: readonly string[] = []): Readonly<Record<string, ParamValue>> {
  const options: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const [key, def] of Object.entries(schema)) {
    options[flagName(key)] = { type: def.type === 'boolean' ? 'boolean' : 'string' };
    if (secrets.includes(key)) options[`${flagName(key)}-file`] = { type: 'string' };
  }
  let flags: Record<string, string | boolean | undefined>;
  try {
    flags = parseArgs({ args: [...argv], options, allowPositionals: false, strict: true }).values as Record<string, string | boolean | undefined>;
  } catch (e) {
    throw new CredoError('USAGE', (e as Error).message, { allowed: Object.keys(options).map((o) => `--${o}`).join(', ') });
  }
  const given: Record<string, unknown> = {};
  for (const [key, def] of Object.entries(schema)) {
    let raw: string | boolean | undefined = flags[flagName(key)] ?? env[envName(key)];
    const file = secrets.includes(key) ? ((flags[`${flagName(key)}-file`] as string | undefined) ?? env[`${envName(key)}_FILE`]) : undefined;
    if (raw === undefined && file) {
      try {
        raw = readFileSync(file, 'utf8').trim();
      } catch (e) {
        throw new CredoError('FILE_NOT_FOUND', `cannot read ${flagName(key)} file ${file}`, { cause: e });
      }
    }
    if (raw === undefined) continue;
    given[key] = coerce(def.type, raw, key);
  }
  return deepFreeze(resolveParams(schema, given, 'config'));
}

function coerce(type: string, raw: string | boolean, key: string): unknown {
  if (typeof raw === 'boolean') return raw;
  switch (type) {
    case 'number':
    case 'integer': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw new CredoError('BAD_PARAM', 'not a number', { field: `config.${key}`, value: raw });
      return n;
    }
    case 'boolean':
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      throw new CredoError('BAD_PARAM', 'not a boolean', { field: `config.${key}`, value: raw, allowed: 'true, false' });
    case 'integer[]':
      return raw.split(',').map((s) => Number(s.trim()));
    default:
      return raw;
  }
}
