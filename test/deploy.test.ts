/**
 * deploy/ against the code it deploys.
 *
 * Static: every YAML, env example, unit file, Dockerfile, NATS conf and ClickHouse users file
 * in deploy/ is parsed; each credo container / unit must run a real `credo` service
 * subcommand and set only CREDO_* variables that its service's config schema knows (`_FILE`
 * only for the service's secrets), with values its own config parser accepts; workers get
 * more stop time than they drain; no password or token is written in plain text outside
 * files named *.example or values marked placeholder; the k8s objects refer to each other
 * consistently; the ConfigMaps that embed config files match those files.
 *
 * Live: Debian's nats-server runs deploy/nats/nats-server.conf (store dir and port swapped for
 * temp ones) with JetStream, and only the configured user gets in; clickhouse-server 18.16
 * runs with deploy/clickhouse/users.d/, where `credo` migrates and inserts and `credo_ro`
 * reads but cannot write.
 *
 * Each checker returns a list of problems; the "checkers catch" block feeds them broken
 * inputs, so that a checker which stopped looking fails here too.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { connect } from '@nats-io/transport-node';
import { envName, parseServiceConfig, type ParamSchema } from '@credo/core';
import { COORDINATOR_CONFIG, COORDINATOR_SECRETS } from '@credo/coordinator';
import { WORKER_CONFIG, WORKER_SECRETS } from '@credo/worker';
import { INGESTER_CONFIG, INGESTER_SECRETS } from '@credo/ingester';
import { buildProgram } from '@credo/cli';
import { connectNats, ensureTopology, sweepsKv, TOPOLOGY } from '@credo/proto';
import { openClickHouseStore } from '@credo/store';
import { findBinary, startClickHouse, startNats, type ClickHouseServer, type NatsServer } from '@credo/testing';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DEPLOY = join(ROOT, 'deploy');
const rel = (p: string): string => relative(ROOT, p);
const read = (p: string): string => readFileSync(p, 'utf8');

/** Stop time a worker gets beyond its drain: NATS drain, pool shutdown, process exit. */
const DRAIN_MARGIN_SEC = 10;

type ServiceName = 'coordinator' | 'worker' | 'ingester';
const SERVICES: Record<ServiceName, { schema: ParamSchema; secrets: readonly string[] }> = {
  coordinator: { schema: COORDINATOR_CONFIG, secrets: COORDINATOR_SECRETS },
  worker: { schema: WORKER_CONFIG, secrets: WORKER_SECRETS },
  ingester: { schema: INGESTER_CONFIG, secrets: INGESTER_SECRETS },
};
const isService = (s: string): s is ServiceName => Object.hasOwn(SERVICES, s);
const CREDO_SUBCOMMANDS = new Set(buildProgram().commands.map((c) => c.name()));

// ---------------------------------------------------------------------------------------------
// Files

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out.sort();
}
const ALL_FILES = existsSync(DEPLOY) ? walk(DEPLOY) : [];
const YAML_FILES = ALL_FILES.filter((f) => /\.ya?ml(\.example)?$/.test(f));
const ENV_EXAMPLES = ALL_FILES.filter((f) => /(^|\/)([\w-]+\.)?env\.example$/.test(f) || basename(f) === '.env.example');
const K8S_FILES = YAML_FILES.filter((f) => f.startsWith(join(DEPLOY, 'k8s') + '/'));
const COMPOSE = join(DEPLOY, 'compose.yaml');
const NATS_CONF = join(DEPLOY, 'nats', 'nats-server.conf');
const CH_USERS_DIR = join(DEPLOY, 'clickhouse', 'users.d');
const CH_USERS = join(CH_USERS_DIR, 'credo.xml');
const CH_PASSWORDS_EXAMPLE = join(CH_USERS_DIR, 'credo-passwords.xml.example');
const CH_FROM_ENV = join(DEPLOY, 'clickhouse', 'credo-passwords-from-env.xml');

function parseYamlFile(file: string): unknown[] {
  const docs = parseAllDocuments(read(file), { merge: true });
  const list = Array.isArray(docs) ? docs : [docs];
  for (const d of list) if (d.errors.length > 0) throw new Error(`${rel(file)}: ${d.errors.map((e) => e.message).join('; ')}`);
  return list.map((d) => d.toJS() as unknown).filter((d) => d !== null && d !== undefined);
}

/** KEY=VALUE lines of an env file (systemd EnvironmentFile / compose .env syntax). */
function parseEnvFile(text: string, file = 'env'): Map<string, string> {
  const out = new Map<string, string>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) throw new Error(`${file}:${i + 1}: not KEY=VALUE: ${line}`);
    out.set(m[1]!, m[2]!.replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1'));
  });
  return out;
}

/** A systemd unit: section → key → values (keys repeat). */
type Unit = Map<string, Map<string, string[]>>;
function parseUnit(text: string): Unit {
  const unit: Unit = new Map();
  let section: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) {
      section = unit.get(s[1]!) ?? new Map();
      unit.set(s[1]!, section);
      continue;
    }
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (!kv || !section) throw new Error(`not a unit line: ${line}`);
    section.set(kv[1]!, [...(section.get(kv[1]!) ?? []), kv[2]!]);
  }
  return unit;
}
const unitValues = (u: Unit, section: string, key: string): string[] => u.get(section)?.get(key) ?? [];
const unitValue = (u: Unit, section: string, key: string): string | undefined => unitValues(u, section, key).at(-1);

/** A small, strict XML reader: elements, attributes, text, comments and the declaration. */
interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  text: string;
}
function parseXml(text: string): XmlNode {
  const root: XmlNode = { name: '#document', attrs: {}, children: [], text: '' };
  const stack = [root];
  const re = /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<(\/?)([A-Za-z_][\w.-]*)((?:\s+[\w.:-]+\s*=\s*"[^"]*")*)\s*(\/?)>|([^<]+)|(<)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    const top = stack.at(-1)!;
    if (m[6]) throw new Error(`XML: stray '<' at offset ${m.index}`);
    if (m[5] !== undefined) {
      if (stack.length === 1 && m[5].trim() !== '') throw new Error('XML: text outside the root element');
      top.text += m[5];
      continue;
    }
    if (!m[2]) continue; // comment or declaration
    if (m[1]) {
      if (top.name !== m[2]) throw new Error(`XML: </${m[2]}> closes <${top.name}>`);
      stack.pop();
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of (m[3] ?? '').matchAll(/([\w.:-]+)\s*=\s*"([^"]*)"/g)) attrs[a[1]!] = a[2]!;
    const node: XmlNode = { name: m[2], attrs, children: [], text: '' };
    if (stack.length === 1 && root.children.length > 0) throw new Error('XML: more than one root element');
    top.children.push(node);
    if (!m[4]) stack.push(node);
  }
  if (stack.length !== 1) throw new Error(`XML: <${stack.at(-1)!.name}> is never closed`);
  if (root.children.length !== 1) throw new Error('XML: no root element');
  return root.children[0]!;
}
const child = (n: XmlNode | undefined, name: string): XmlNode | undefined => n?.children.find((c) => c.name === name);
const childText = (n: XmlNode | undefined, name: string): string | undefined => child(n, name)?.text.trim();

/** Go-style durations (compose) and systemd time spans, in seconds. */
function seconds(v: unknown): number {
  if (typeof v === 'number') return v;
  const s = String(v).trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
  const units: Record<string, number> = { h: 3600, hour: 3600, m: 60, min: 60, s: 1, sec: 1, ms: 0.001 };
  let total = 0;
  let rest = s.replace(/\s+/g, '');
  while (rest !== '') {
    const m = /^(\d+(?:\.\d+)?)(ms|min|sec|hour|h|m|s)/.exec(rest);
    if (!m) return NaN;
    total += Number(m[1]) * units[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// Checkers: each returns problems (empty = fine)

/** What a container or unit sets: name → literal value, or undefined when it comes from elsewhere. */
type EnvSet = Map<string, string | undefined>;

/**
 * CREDO_* names must be settings of the service (or `_FILE` for its secrets), and the literal
 * values must pass the service's own config parser.
 */
function checkServiceEnv(where: string, service: string, env: EnvSet): string[] {
  const problems: string[] = [];
  if (!isService(service)) {
    for (const name of env.keys()) if (name.startsWith('CREDO_')) problems.push(`${where}: sets ${name} but runs no credo service`);
    return problems;
  }
  const { schema, secrets } = SERVICES[service];
  const byEnv = new Map(Object.keys(schema).map((k) => [envName(k), k]));
  const literal: Record<string, string> = {};
  for (const [name, value] of env) {
    if (!name.startsWith('CREDO_')) continue;
    const key = byEnv.get(name);
    if (key !== undefined) {
      if (value !== undefined) literal[name] = value;
      continue;
    }
    const base = name.endsWith('_FILE') ? byEnv.get(name.slice(0, -'_FILE'.length)) : undefined;
    if (base === undefined) problems.push(`${where}: ${name} is not a setting of the ${service} (known: ${[...byEnv.keys()].join(', ')})`);
    else if (!secrets.includes(base)) problems.push(`${where}: ${name}: ${base} is not a secret of the ${service}, so there is no _FILE variant`);
  }
  try {
    parseServiceConfig(schema, [], literal, []);
  } catch (e) {
    problems.push(`${where}: the ${service} rejects its settings: ${(e as Error).message}`);
  }
  return problems;
}

/** The credo subcommand a command line runs, if it runs packages/cli/bin/credo.js. */
function credoSubcommand(argv: readonly string[]): { script: string; sub: string | undefined } | undefined {
  const i = argv.findIndex((a) => /(^|\/)packages\/cli\/bin\/credo\.js$/.test(a));
  return i < 0 ? undefined : { script: argv[i]!, sub: argv[i + 1] };
}

function checkCommand(where: string, argv: readonly string[], expected?: string): { problems: string[]; service?: ServiceName } {
  const c = credoSubcommand(argv);
  if (!c) return { problems: [`${where}: does not run packages/cli/bin/credo.js (${argv.join(' ')})`] };
  const problems: string[] = [];
  const script = c.script.replace(/^\/opt\/credo\//, '');
  if (!existsSync(join(ROOT, script))) problems.push(`${where}: ${c.script} does not exist in the repository`);
  if (c.sub === undefined || !CREDO_SUBCOMMANDS.has(c.sub)) problems.push(`${where}: \`credo ${c.sub ?? ''}\` is not a credo command (${[...CREDO_SUBCOMMANDS].join(', ')})`);
  else if (!isService(c.sub)) problems.push(`${where}: \`credo ${c.sub}\` is not a service (coordinator, worker, ingester)`);
  if (expected !== undefined && c.sub !== expected) problems.push(`${where}: runs \`credo ${c.sub}\`, expected \`credo ${expected}\``);
  return { problems, ...(c.sub && isService(c.sub) ? { service: c.sub } : {}) };
}

function drainOf(env: EnvSet): number {
  const v = env.get(envName('drainSec'));
  return v === undefined ? Number(WORKER_CONFIG['drainSec']!.default) : Number(v);
}

const SECRET_KEY = /(password|passwd|passphrase|token|secret|apikey|privatekey|credentials?)$/i;
const INTERPOLATION_ONLY = /^(\$\{[A-Za-z_][A-Za-z0-9_]*(:?[?-][^}]*)?\})+$/;
const isPlaceholder = (s: string): boolean => /placeholder|replace[-_ ]?me|change[-_ ]?me/i.test(s);
/** What documentation writes where a URL's password goes: `…`, `***`, `PASSWORD`, `<password>`, an interpolation. */
const URL_PASSWORD_STANDIN = /^(…|\.\.\.|\*+|[A-Z_]*PASSWORD[A-Z_]*|<[^>]+>|\$\{\})$/;
const looksRandom = (t: string): boolean =>
  /^[A-Fa-f0-9]{32,}$/.test(t) || (/^[A-Za-z0-9+/_-]{32,}={0,2}$/.test(t) && /[0-9]/.test(t) && /[a-z]/.test(t) && /[A-Z]/.test(t));

/**
 * Secret-looking values written in plain text: a value under a password/token/secret key, a
 * password in a URL, or a long random-looking string. Allowed: compose interpolation, k8s
 * references (objects, not strings), file paths, values marked placeholder.
 */
function findPlaintextSecrets(where: string, doc: unknown): string[] {
  const problems: string[] = [];
  const visit = (v: unknown, key: string, path: string): void => {
    if (Array.isArray(v)) return v.forEach((x, i) => visit(x, key, `${path}[${i}]`));
    if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      // k8s env entries and similar: {name: X, value: Y} is the variable X.
      if (typeof o['name'] === 'string' && 'value' in o) visit(o['value'], o['name'], `${path}.${o['name']}`);
      for (const [k, x] of Object.entries(o)) if (!(k === 'value' && typeof o['name'] === 'string')) visit(x, k, `${path}.${k}`);
      return;
    }
    if (typeof v !== 'string' || v === '' || isPlaceholder(v)) return;
    const normalized = key.replace(/[^A-Za-z]/g, '');
    // Interpolations are filled in at deploy time: not literals.
    const literal = v.replace(/\$\{[^}]*\}/g, '${}');
    const urlPasswords = [...literal.matchAll(/\/\/[^/@:\s]+:([^@\s]+)@/g)].map((m) => m[1]!).filter((p) => !URL_PASSWORD_STANDIN.test(p));
    if (SECRET_KEY.test(normalized) && !/file$/i.test(normalized) && !INTERPOLATION_ONLY.test(v) && !v.startsWith('/')) {
      problems.push(`${where}: ${path} holds a plain-text secret`);
    } else if (urlPasswords.length > 0) {
      problems.push(`${where}: ${path} has a password in a URL`);
    } else if (literal.split(/[\s'"=,;:()[\]{}<>`]+/).some(looksRandom)) {
      problems.push(`${where}: ${path} looks like a key or token`);
    }
  };
  visit(doc, '', '');
  return problems;
}

// ---- compose

interface ComposeService {
  image?: string;
  build?: { context?: string; dockerfile?: string } | string;
  command?: string[] | string;
  environment?: Record<string, unknown> | string[];
  secrets?: Array<string | { source: string; target?: string }>;
  volumes?: Array<string | { type?: string; source?: string; target?: string }>;
  depends_on?: Record<string, unknown> | string[];
  deploy?: { replicas?: number };
  stop_grace_period?: string;
  container_name?: string;
  ports?: unknown[];
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  secrets?: Record<string, { file?: string; environment?: string }>;
  volumes?: Record<string, unknown>;
}

function composeEnv(s: ComposeService): EnvSet {
  const env: EnvSet = new Map();
  const put = (k: string, v: unknown) => env.set(k, v === null || v === undefined ? undefined : resolveInterpolation(String(v)));
  if (Array.isArray(s.environment)) {
    for (const e of s.environment) {
      const i = e.indexOf('=');
      if (i < 0) put(e, undefined);
      else put(e.slice(0, i), e.slice(i + 1));
    }
  } else for (const [k, v] of Object.entries(s.environment ?? {})) put(k, v);
  return env;
}
/** A value as compose would give it with defaults taken and required variables set to "x". */
function resolveInterpolation(v: string): string {
  return v.replace(/\$\$/g, '$').replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[?-])([^}]*))?\}/g, (_m, _n, op: string | undefined, arg: string | undefined) => (op && op.endsWith('-') ? (arg ?? '') : 'x'));
}
const interpolations = (text: string): Array<{ name: string; op: string | undefined }> =>
  [...text.replace(/\$\$/g, '').matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[?-])[^}]*)?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => ({ name: m[1] ?? m[3]!, op: m[2] }));

/** Every string (keys too) of a parsed document. */
function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (v !== null && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => [k, ...strings(x)]);
  return [];
}

function checkCompose(c: ComposeFile, dotenv: Map<string, string>, composeDir: string): string[] {
  const problems: string[] = [];
  const where = (svc: string) => `compose service ${svc}`;
  for (const { name, op } of strings(c).flatMap(interpolations)) {
    if (op?.endsWith('-')) continue;
    if (!dotenv.has(name)) problems.push(`compose: \${${name}} has no default and is not in .env.example`);
    if (op === undefined || !op.endsWith('?')) problems.push(`compose: \${${name}} should fail when unset: write \${${name}:?…} (or give a default)`);
  }
  for (const [name, s] of Object.entries(c.services ?? {})) {
    const argv = Array.isArray(s.command) ? s.command.map(String) : typeof s.command === 'string' ? s.command.split(/\s+/) : [];
    const env = composeEnv(s);
    const runsCredo = credoSubcommand(argv) !== undefined;
    let service: string = name;
    if (runsCredo) {
      const r = checkCommand(where(name), argv);
      problems.push(...r.problems);
      service = r.service ?? '?';
      const build = typeof s.build === 'string' ? { context: s.build } : s.build;
      if (!build || join(composeDir, build.context ?? '.') !== ROOT || build.dockerfile !== 'deploy/Dockerfile') problems.push(`${where(name)}: not built from deploy/Dockerfile with the repository as context`);
    } else service = `(${s.image ?? 'no image'})`;
    problems.push(...checkServiceEnv(where(name), service, env));
    for (const [k, v] of env) {
      if (!isService(service) || !k.startsWith('CREDO_')) continue;
      const key = Object.keys(SERVICES[service].schema).find((x) => envName(x) === k);
      const raw = Array.isArray(s.environment) ? undefined : s.environment?.[k];
      if (key && SERVICES[service].secrets.includes(key) && !(typeof raw === 'string' && /\$\{/.test(raw))) problems.push(`${where(name)}: ${k} is a secret: use ${k}_FILE or \${VAR:?…}`);
      if (k.endsWith('_FILE') && v !== undefined) {
        const m = /^\/run\/secrets\/([\w.-]+)$/.exec(v);
        const mine = (s.secrets ?? []).map((x) => (typeof x === 'string' ? x : (x.target ?? x.source)));
        if (!m || !mine.includes(m[1]!)) problems.push(`${where(name)}: ${k}=${v} is not one of its secrets (${mine.join(', ') || 'none'})`);
      }
    }
    for (const x of s.secrets ?? []) {
      const src = typeof x === 'string' ? x : x.source;
      if (!c.secrets?.[src]) problems.push(`${where(name)}: secret ${src} is not defined`);
    }
    const deps = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {});
    for (const d of deps) if (!c.services[d]) problems.push(`${where(name)}: depends on unknown service ${d}`);
    for (const v of s.volumes ?? []) {
      const src = typeof v === 'string' ? v.split(':')[0]! : (v.source ?? '');
      if (src.startsWith('.') || src.startsWith('/')) {
        if (!existsSync(join(composeDir, src))) problems.push(`${where(name)}: mounts ${src}, which does not exist`);
      } else if (!c.volumes || !(src in c.volumes)) problems.push(`${where(name)}: volume ${src} is not defined`);
    }
    if (service === 'worker') {
      if (!(Number(s.deploy?.replicas) >= 2)) problems.push(`${where(name)}: deploy.replicas should start several workers (is ${s.deploy?.replicas})`);
      if (s.container_name) problems.push(`${where(name)}: container_name prevents --scale`);
      if ((s.ports ?? []).length > 0) problems.push(`${where(name)}: published ports prevent --scale`);
      const grace = seconds(s.stop_grace_period ?? '10s');
      if (!(grace >= drainOf(env) + DRAIN_MARGIN_SEC)) problems.push(`${where(name)}: stop_grace_period ${grace}s < drainSec ${drainOf(env)}s + ${DRAIN_MARGIN_SEC}s: docker would SIGKILL draining workers`);
    }
  }
  for (const [name, sec] of Object.entries(c.secrets ?? {})) {
    if (sec.file && !/^\.\/secrets\//.test(sec.file)) problems.push(`compose: secret ${name} should live in ./secrets/ (git-ignored)`);
  }
  return problems;
}

// ---- Kubernetes

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [k: string]: unknown;
}
interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: Array<{ name: string; value?: string; valueFrom?: Record<string, Record<string, string>> }>;
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  ports?: Array<{ name?: string; containerPort: number }>;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  volumeMounts?: Array<{ name: string; mountPath: string; subPath?: string }>;
}
interface Probe {
  grpc?: { port: number };
  httpGet?: { port: number | string; path?: string };
  tcpSocket?: { port: number | string };
}
interface PodSpec {
  containers: Container[];
  volumes?: Array<{ name: string; configMap?: { name: string; items?: Array<{ key: string; path: string }> }; secret?: { secretName: string; items?: Array<{ key: string; path: string }> }; emptyDir?: unknown }>;
  terminationGracePeriodSeconds?: number;
}
const CONTAINER_FIELDS = new Set([
  'name', 'image', 'imagePullPolicy', 'command', 'args', 'workingDir', 'env', 'envFrom', 'ports', 'resources', 'resizePolicy',
  'restartPolicy', 'volumeMounts', 'volumeDevices', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle',
  'terminationMessagePath', 'terminationMessagePolicy', 'securityContext', 'stdin', 'stdinOnce', 'tty',
]);
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'PersistentVolume', 'StorageClass']);

function podOf(o: K8sObject): PodSpec | undefined {
  if (!['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind)) return undefined;
  return (o['spec'] as { template?: { spec?: PodSpec } } | undefined)?.template?.spec;
}

function containerEnv(c: Container, objs: K8sObject[], ns: string | undefined, problems: string[], where: string): EnvSet {
  const env: EnvSet = new Map();
  const find = (kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === ns);
  for (const ef of c.envFrom ?? []) {
    if (ef.configMapRef) {
      const cm = find('ConfigMap', ef.configMapRef.name);
      if (!cm) problems.push(`${where}: envFrom ConfigMap ${ef.configMapRef.name} does not exist`);
      for (const [k, v] of Object.entries((cm?.['data'] as Record<string, string> | undefined) ?? {})) env.set(k, String(v));
    }
    if (ef.secretRef) {
      const s = find('Secret', ef.secretRef.name);
      if (!s) problems.push(`${where}: envFrom Secret ${ef.secretRef.name} does not exist`);
      for (const k of Object.keys({ ...((s?.['stringData'] as object) ?? {}), ...((s?.['data'] as object) ?? {}) })) env.set(k, undefined);
    }
  }
  for (const e of c.env ?? []) {
    if (e.valueFrom) {
      for (const [kind, ref] of [['Secret', e.valueFrom['secretKeyRef']], ['ConfigMap', e.valueFrom['configMapKeyRef']]] as const) {
        if (!ref) continue;
        const o = find(kind, ref['name']!);
        const keys = { ...((o?.['stringData'] as object) ?? {}), ...((o?.['data'] as object) ?? {}) };
        if (!o || !(ref['key']! in keys)) problems.push(`${where}: ${e.name} refers to ${kind} ${ref['name']} key ${ref['key']}, which does not exist`);
      }
      env.set(e.name, undefined);
    } else env.set(e.name, e.value === undefined ? '' : String(e.value));
  }
  return env;
}

function portMatches(c: Container, port: number | string | undefined): boolean {
  if (port === undefined) return false;
  return (c.ports ?? []).some((p) => p.name === port || p.containerPort === Number(port));
}

function checkK8s(objs: K8sObject[]): string[] {
  const problems: string[] = [];
  const namespaces = new Set(objs.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name));
  for (const o of objs) {
    const where = `k8s ${o.kind} ${o.metadata?.name}`;
    if (!o.apiVersion || !o.kind || !o.metadata?.name) {
      problems.push(`${where}: apiVersion, kind and metadata.name are required`);
      continue;
    }
    if (!CLUSTER_SCOPED.has(o.kind) && !namespaces.has(o.metadata.namespace ?? '')) problems.push(`${where}: namespace ${o.metadata.namespace} is not one of the manifests' Namespaces`);
    if (o.kind === 'ConfigMap') {
      for (const [key, file] of Object.entries(o.metadata.annotations ?? {})) {
        const m = /^credo\/source\.(.+)$/.exec(key);
        if (!m) continue;
        const data = (o['data'] as Record<string, string> | undefined)?.[m[1]!];
        if (!existsSync(join(ROOT, file))) problems.push(`${where}: source ${file} does not exist`);
        else if (data !== read(join(ROOT, file))) problems.push(`${where}: data ${m[1]} differs from ${file}`);
      }
    }
    if (o.kind === 'Service') {
      const spec = o['spec'] as { selector?: Record<string, string>; ports?: Array<{ targetPort?: number | string; port: number }> };
      const pods = objs.filter((p) => p.metadata.namespace === o.metadata.namespace && podOf(p));
      const target = pods.find((p) => Object.entries(spec.selector ?? {}).every(([k, v]) => ((p['spec'] as { template: { metadata: { labels?: Record<string, string> } } }).template.metadata.labels ?? {})[k] === v));
      if (!target) problems.push(`${where}: its selector matches no pod template`);
      else for (const p of spec.ports ?? []) if (!podOf(target)!.containers.some((c) => portMatches(c, p.targetPort ?? p.port))) problems.push(`${where}: targetPort ${p.targetPort ?? p.port} is no container port of ${target.metadata.name}`);
    }
    if (o.kind === 'HorizontalPodAutoscaler') {
      const spec = o['spec'] as { scaleTargetRef: { kind: string; name: string }; minReplicas?: number; maxReplicas: number };
      if (!objs.some((x) => x.kind === spec.scaleTargetRef.kind && x.metadata.name === spec.scaleTargetRef.name && x.metadata.namespace === o.metadata.namespace)) problems.push(`${where}: scales ${spec.scaleTargetRef.kind} ${spec.scaleTargetRef.name}, which does not exist`);
      if (!((spec.minReplicas ?? 1) <= spec.maxReplicas)) problems.push(`${where}: minReplicas > maxReplicas`);
    }
    const pod = podOf(o);
    if (!pod) continue;
    const spec = o['spec'] as { selector?: { matchLabels?: Record<string, string> }; template: { metadata?: { labels?: Record<string, string> } }; replicas?: number; strategy?: { type?: string } };
    const labels = spec.template.metadata?.labels ?? {};
    for (const [k, v] of Object.entries(spec.selector?.matchLabels ?? {})) if (labels[k] !== v) problems.push(`${where}: selector ${k}=${v} does not match the pod template's labels`);
    const volumes = new Map((pod.volumes ?? []).map((v) => [v.name, v]));
    // A StatefulSet's volumeClaimTemplates are volumes of its pods too.
    for (const t of (o['spec'] as { volumeClaimTemplates?: Array<{ metadata: { name: string } }> }).volumeClaimTemplates ?? []) volumes.set(t.metadata.name, { name: t.metadata.name });
    for (const v of pod.volumes ?? []) {
      const ref = v.configMap ? (['ConfigMap', v.configMap.name, v.configMap.items] as const) : v.secret ? (['Secret', v.secret.secretName, v.secret.items] as const) : undefined;
      if (!ref) continue;
      const target = objs.find((x) => x.kind === ref[0] && x.metadata.name === ref[1] && x.metadata.namespace === o.metadata.namespace);
      const keys = { ...((target?.['stringData'] as object) ?? {}), ...((target?.['data'] as object) ?? {}) };
      if (!target) problems.push(`${where}: volume ${v.name} refers to ${ref[0]} ${ref[1]}, which does not exist`);
      else for (const it of ref[2] ?? []) if (!(it.key in keys)) problems.push(`${where}: volume ${v.name} wants key ${it.key} of ${ref[0]} ${ref[1]}, which does not exist`);
    }
    for (const c of pod.containers) {
      const cw = `${where} container ${c.name}`;
      // The API server drops unknown fields silently (a misspelt probe is simply no probe).
      for (const k of Object.keys(c)) if (!CONTAINER_FIELDS.has(k)) problems.push(`${cw}: unknown field ${k}`);
      const limits = c.resources?.limits ?? {};
      const requests = c.resources?.requests ?? {};
      if (!('cpu' in requests && 'memory' in requests && 'cpu' in limits && 'memory' in limits)) problems.push(`${cw}: needs cpu and memory requests and limits`);
      for (const m of c.volumeMounts ?? []) if (!volumes.has(m.name)) problems.push(`${cw}: mounts unknown volume ${m.name}`);
      for (const [kind, p] of [['readiness', c.readinessProbe], ['liveness', c.livenessProbe], ['startup', c.startupProbe]] as const) {
        if (!p) continue;
        const port = p.grpc?.port ?? p.httpGet?.port ?? p.tcpSocket?.port;
        if (!portMatches(c, port)) problems.push(`${cw}: ${kind} probe port ${port} is no container port`);
      }
      const argv = [...(c.command ?? []), ...(c.args ?? [])].map(String);
      const env = containerEnv(c, objs, o.metadata.namespace, problems, cw);
      if (credoSubcommand(argv) === undefined) {
        problems.push(...checkServiceEnv(cw, `(${c.image})`, env));
        continue;
      }
      const r = checkCommand(cw, argv);
      problems.push(...r.problems);
      if (c.command) problems.push(`${cw}: set args, not command: command replaces the image's tini entrypoint`);
      if (!r.service) continue;
      problems.push(...checkServiceEnv(cw, r.service, env));
      // Secrets as files from mounted Secret volumes; never as literal env values.
      const secretKeys = SERVICES[r.service].secrets;
      for (const [k, v] of env) {
        const key = Object.keys(SERVICES[r.service].schema).find((x) => envName(x) === k);
        if (key && secretKeys.includes(key) && v !== undefined) problems.push(`${cw}: ${k} is a secret written as a value: use ${k}_FILE with a Secret volume`);
        if (!k.endsWith('_FILE') || v === undefined) continue;
        const mount = (c.volumeMounts ?? []).find((m) => v.startsWith(m.mountPath.replace(/\/?$/, '/')));
        const vol = mount && volumes.get(mount.name);
        const file = mount ? v.slice(mount.mountPath.replace(/\/?$/, '/').length) : '';
        const provided = vol?.secret ? (vol.secret.items ? vol.secret.items.some((i) => i.path === file) : true) : false;
        if (!provided) problems.push(`${cw}: ${k}=${v} is not a file of a mounted Secret`);
      }
      if (r.service === 'worker') {
        const grace = pod.terminationGracePeriodSeconds ?? 30;
        if (!(grace >= drainOf(env) + DRAIN_MARGIN_SEC)) problems.push(`${cw}: terminationGracePeriodSeconds ${grace} < drainSec ${drainOf(env)} + ${DRAIN_MARGIN_SEC}: the kubelet would SIGKILL draining workers`);
        if (!((spec.replicas ?? 1) >= 2)) problems.push(`${cw}: the worker Deployment should run several replicas`);
      }
      if (r.service === 'coordinator') {
        const listen = env.get(envName('listen')) ?? String(COORDINATOR_CONFIG['listen']!.default);
        const port = Number(/:(\d+)$/.exec(listen)?.[1]);
        if (!/^0\.0\.0\.0:|^\[?::\]?:/.test(listen)) problems.push(`${cw}: CREDO_LISTEN ${listen} is not reachable from other pods`);
        for (const [kind, p] of [['readiness', c.readinessProbe], ['liveness', c.livenessProbe]] as const) {
          if (p?.grpc?.port !== port) problems.push(`${cw}: ${kind} probe should be a grpc probe on the listen port ${port}`);
        }
        if (spec.replicas !== 1 || spec.strategy?.type !== 'Recreate') problems.push(`${cw}: the coordinator must run alone: replicas 1, strategy Recreate`);
      }
    }
  }
  return problems;
}

// ---- systemd

function checkUnit(file: string, envExamples: Map<string, Map<string, string>>): string[] {
  const problems: string[] = [];
  const where = `systemd ${basename(file)}`;
  const u = parseUnit(read(file));
  const m = /^credo-(\w+)(@)?\.service$/.exec(basename(file));
  const expected = m?.[1];
  const argv = (unitValue(u, 'Service', 'ExecStart') ?? '').split(/\s+/);
  if (argv[0] !== '/usr/bin/node') problems.push(`${where}: ExecStart should run /usr/bin/node`);
  const r = checkCommand(where, argv, expected);
  problems.push(...r.problems);
  if (unitValue(u, 'Service', 'WorkingDirectory') !== '/opt/credo') problems.push(`${where}: WorkingDirectory should be the checkout, /opt/credo`);
  const envFiles = unitValues(u, 'Service', 'EnvironmentFile');
  if (envFiles[0] !== `/etc/credo/${expected}.env`) problems.push(`${where}: EnvironmentFile should be /etc/credo/${expected}.env`);
  const env: EnvSet = new Map();
  const example = envExamples.get(`${expected}.env.example`);
  if (!example) problems.push(`${where}: deploy/systemd/${expected}.env.example is missing`);
  for (const [k, v] of example ?? []) env.set(k, v);
  const credentials = new Set(unitValues(u, 'Service', 'LoadCredential').map((c) => c.split(':')[0]!));
  for (const line of unitValues(u, 'Service', 'Environment')) {
    for (const a of line.match(/"[^"]*"|\S+/g) ?? []) {
      const [k, ...rest] = a.replace(/^"|"$/g, '').split('=');
      const v = rest.join('=');
      env.set(k!, /%/.test(v) ? undefined : v);
      const cred = /^%d\/(.+)$/.exec(v);
      if (cred && !credentials.has(cred[1]!)) problems.push(`${where}: ${k}=${v} but no LoadCredential=${cred[1]}:…`);
    }
  }
  if (r.service) {
    problems.push(...checkServiceEnv(where, r.service, env));
    for (const k of env.keys()) {
      const key = Object.keys(SERVICES[r.service].schema).find((x) => envName(x) === k);
      if (key && SERVICES[r.service].secrets.includes(key)) problems.push(`${where}: ${k} is a secret: pass it as a file (LoadCredential= and ${k}_FILE=%d/…)`);
    }
  }
  const want: Array<[string, string]> = [['KillSignal', 'SIGTERM'], ['KillMode', 'mixed'], ['Restart', 'on-failure'], ['NoNewPrivileges', 'yes'], ['ProtectSystem', 'strict'], ['PrivateTmp', 'yes'], ['ProtectHome', 'yes']];
  for (const [k, v] of want) if (unitValue(u, 'Service', k) !== v) problems.push(`${where}: ${k}=${v} expected (is ${unitValue(u, 'Service', k)})`);
  if (unitValue(u, 'Service', 'MemoryDenyWriteExecute') === 'yes') problems.push(`${where}: MemoryDenyWriteExecute=yes breaks V8's JIT`);
  const stop = seconds(unitValue(u, 'Service', 'TimeoutStopSec') ?? '90');
  if (r.service === 'worker' && !(stop >= drainOf(env) + DRAIN_MARGIN_SEC)) problems.push(`${where}: TimeoutStopSec ${stop} < drainSec ${drainOf(env)} + ${DRAIN_MARGIN_SEC}: systemd would SIGKILL draining workers`);
  return problems;
}

// ---- Dockerfile

function checkDockerfile(text: string, ignore: string): string[] {
  const problems: string[] = [];
  const lines = text.split('\n').filter((l) => !/^\s*#/.test(l)).join('\n').replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter(Boolean);
  const froms = lines.filter((l) => /^FROM /i.test(l));
  if (froms.length === 0 || froms.some((l) => !/^FROM node:20[\w.-]*( |$)/i.test(l))) problems.push('Dockerfile: every stage should be FROM node:20…');
  const copied = lines.filter((l) => /^COPY /i.test(l) && !/--from=/.test(l)).flatMap((l) => l.replace(/^COPY\s+(--\S+\s+)*/i, '').split(/\s+/).slice(0, -1));
  const pkg = JSON.parse(read(join(ROOT, 'package.json'))) as { workspaces: string[] };
  const needed = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.base.json', ...new Set(pkg.workspaces.map((w) => w.split('/')[0]!))];
  for (const n of needed) if (!copied.some((c) => c.replace(/^\.\//, '').replace(/\/$/, '') === n)) problems.push(`Dockerfile: does not COPY ${n}`);
  if (!lines.some((l) => /^RUN .*\bnpm ci\b/.test(l))) problems.push('Dockerfile: should install with npm ci');
  if (!lines.some((l) => /^RUN .*(npm run build|tsc -b)/.test(l))) problems.push('Dockerfile: should build (npm run build / tsc -b)');
  const workdir = lines.filter((l) => /^WORKDIR /i.test(l)).at(-1)?.split(/\s+/)[1];
  if (workdir !== '/opt/credo') problems.push(`Dockerfile: the final WORKDIR should be /opt/credo (is ${workdir}); the manifests run packages/cli/bin/credo.js from there`);
  const user = lines.filter((l) => /^USER /i.test(l)).at(-1)?.split(/\s+/)[1];
  if (!user || user === 'root' || user === '0') problems.push('Dockerfile: should not run as root');
  if (!lines.some((l) => /^ENTRYPOINT .*tini/.test(l))) problems.push('Dockerfile: tini should be the entrypoint (PID 1 forwarding SIGTERM)');
  const cmd = lines.filter((l) => /^CMD /i.test(l)).at(-1);
  if (!cmd || !/packages\/cli\/bin\/credo\.js/.test(cmd)) problems.push('Dockerfile: CMD should run packages/cli/bin/credo.js');
  const ignored = ignore.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  for (const p of ['**/node_modules', '**/dist', 'deploy/.env', 'deploy/secrets', '.git']) if (!ignored.includes(p)) problems.push(`Dockerfile.dockerignore: should exclude ${p}`);
  return problems;
}

// ---- NATS and ClickHouse configs

function checkNatsConf(text: string): string[] {
  const problems: string[] = [];
  const body = text.replace(/#[^\n]*/g, '');
  const js = /\bjetstream\s*[:=]?\s*\{([^}]*)\}/.exec(body);
  if (!js) problems.push('nats-server.conf: no jetstream { … } block');
  else {
    if (!/\bstore_dir\s*[:=]/.test(js[1]!)) problems.push('nats-server.conf: jetstream has no store_dir');
    if (!/\bmax_file_store\s*[:=]/.test(js[1]!) || !/\bmax_memory_store\s*[:=]/.test(js[1]!)) problems.push('nats-server.conf: jetstream should set max_file_store and max_memory_store');
  }
  const users = /\bauthorization\s*[:=]?\s*\{[\s\S]*?\busers\s*[:=]\s*\[([\s\S]*?)\]/.exec(body);
  if (!users || !/\buser\s*[:=]\s*"?credo"?/.test(users[1]!)) problems.push('nats-server.conf: authorization.users has no user credo');
  for (const p of body.matchAll(/\bpassword\s*[:=]\s*("?)([^\s,}"]*)\1/g)) if (!/^\$[A-Za-z_]\w*$/.test(p[2]!)) problems.push(`nats-server.conf: password ${p[2]!.slice(0, 2)}… is written in the file: reference an environment variable ($NAME)`);
  return problems;
}

function checkClickHouseUsers(users: XmlNode, passwords: XmlNode): string[] {
  const problems: string[] = [];
  if (users.name !== 'yandex') problems.push(`credo.xml: root element <${users.name}>: ClickHouse 18.16 needs <yandex>`);
  const profiles = child(users, 'profiles');
  const list = child(users, 'users');
  const debianProfiles = new Set(['default', 'readonly']);
  for (const [name, mustBeReadOnly] of [['credo', false], ['credo_ro', true]] as const) {
    const u = child(list, name);
    if (!u) {
      problems.push(`credo.xml: no user ${name}`);
      continue;
    }
    const profile = childText(u, 'profile') ?? 'default';
    const p = child(profiles, profile);
    if (!p && !debianProfiles.has(profile)) problems.push(`credo.xml: ${name}'s profile ${profile} is not defined`);
    const readonly = childText(p, 'readonly') ?? (profile === 'readonly' ? '1' : undefined);
    if (mustBeReadOnly && readonly !== '1') problems.push(`credo.xml: ${name}'s profile ${profile} must have readonly 1 (has ${readonly})`);
    if (!mustBeReadOnly && readonly !== undefined && readonly !== '0') problems.push(`credo.xml: ${name} must be able to write (profile ${profile} has readonly ${readonly})`);
    if (!child(u, 'networks')) problems.push(`credo.xml: ${name} has no <networks>`);
    if (child(u, 'password') || child(u, 'password_sha256_hex')) problems.push(`credo.xml: ${name}'s password is written in credo.xml`);
    const pw = child(child(passwords, 'users'), name);
    if (!child(pw, 'password_sha256_hex') && !child(pw, 'password')) problems.push(`credo-passwords.xml.example: no password for ${name}`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------

const composeText = existsSync(COMPOSE) ? read(COMPOSE) : '';
const envExamples = new Map(ENV_EXAMPLES.map((f) => [basename(f), parseEnvFile(read(f), rel(f))]));
const k8sObjects = (): K8sObject[] => K8S_FILES.flatMap((f) => parseYamlFile(f) as K8sObject[]);

describe('deploy/ files', () => {
  it('has every piece', () => {
    const want = [
      'compose.yaml', '.env.example', 'Dockerfile', 'Dockerfile.dockerignore', 'README.md', '.gitignore',
      'nats/nats-server.conf', 'clickhouse/users.d/credo.xml', 'clickhouse/users.d/credo-passwords.xml.example', 'clickhouse/credo-passwords-from-env.xml',
      'k8s/secret.yaml.example',
      'systemd/credo-coordinator.service', 'systemd/credo-ingester.service', 'systemd/credo-worker.service', 'systemd/credo-worker@.service',
      'systemd/coordinator.env.example', 'systemd/ingester.env.example', 'systemd/worker.env.example',
    ];
    expect(want.filter((f) => !existsSync(join(DEPLOY, f)))).toEqual([]);
  });

  it('parses every YAML file and env example', () => {
    expect(YAML_FILES.length).toBeGreaterThanOrEqual(8);
    for (const f of YAML_FILES) expect(() => parseYamlFile(f), rel(f)).not.toThrow();
    expect(ENV_EXAMPLES.length).toBeGreaterThanOrEqual(5);
    for (const f of ENV_EXAMPLES) expect(() => parseEnvFile(read(f), rel(f)), rel(f)).not.toThrow();
  });

  it('has no plain-text password or token outside *.example files and placeholders', () => {
    const problems: string[] = [];
    for (const f of YAML_FILES.filter((x) => !x.endsWith('.example'))) for (const d of parseYamlFile(f)) problems.push(...findPlaintextSecrets(rel(f), d));
    // Examples: every secret-looking value must be marked placeholder.
    for (const f of YAML_FILES.filter((x) => x.endsWith('.example'))) {
      for (const d of parseYamlFile(f) as K8sObject[]) {
        if (d.kind !== 'Secret') continue;
        for (const [k, v] of Object.entries((d['stringData'] as Record<string, string>) ?? {})) if (!isPlaceholder(String(v))) problems.push(`${rel(f)}: ${k} is not marked placeholder`);
        if (d['data']) problems.push(`${rel(f)}: use stringData with placeholders, not base64 data`);
      }
    }
    for (const [name, env] of envExamples) {
      for (const [k, v] of env) if (SECRET_KEY.test(k.replace(/[^A-Za-z]/g, '')) && !isPlaceholder(v)) problems.push(`${name}: ${k} is not marked placeholder`);
    }
    // Secret files that only real deployments have must stay out of git.
    const ignore = read(join(DEPLOY, '.gitignore'));
    for (const p of ['.env', 'secrets/*']) if (!ignore.split('\n').includes(p)) problems.push(`deploy/.gitignore: should ignore ${p}`);
    expect(problems).toEqual([]);
  });

  it('compose: credo services run real subcommands with known CREDO_* settings; workers scale and drain', () => {
    const c = parseYamlFile(COMPOSE)[0] as ComposeFile;
    expect(Object.keys(c.services)).toEqual(expect.arrayContaining(['nats', 'clickhouse', 'coordinator', 'ingester', 'worker']));
    expect(checkCompose(c, envExamples.get('.env.example') ?? new Map(), DEPLOY)).toEqual([]);
    expect(c.services['coordinator']!.environment).toMatchObject({ CREDO_TOKEN_FILE: expect.stringMatching(/^\/run\/secrets\//) });
    expect(c.services['worker']!.deploy?.replicas).toBe(3);
  });

  it('k8s: objects refer to each other, credo containers run real subcommands with known settings, workers drain in time', () => {
    const objs = k8sObjects();
    const kinds = new Set(objs.map((o) => `${o.kind}/${o.metadata.name}`));
    for (const k of ['Namespace/credo', 'Secret/credo-secrets', 'Deployment/credo-coordinator', 'Service/credo-coordinator', 'Deployment/credo-ingester', 'Deployment/credo-worker', 'HorizontalPodAutoscaler/credo-worker']) expect(kinds, k).toContain(k);
    expect(objs.some((o) => o.kind === 'ConfigMap')).toBe(true);
    expect(checkK8s(objs)).toEqual([]);
  });

  it('systemd: units run real subcommands, set known settings, stop gracefully and are hardened', () => {
    const units = ALL_FILES.filter((f) => /\/systemd\/credo-[\w@]+\.service$/.test(f));
    expect(units.map((f) => basename(f)).sort()).toEqual(['credo-coordinator.service', 'credo-ingester.service', 'credo-worker.service', 'credo-worker@.service']);
    expect(units.flatMap((f) => checkUnit(f, envExamples))).toEqual([]);
    // Drop-in examples set settings of their service too.
    const tls = parseUnit(read(join(DEPLOY, 'systemd', 'credo-coordinator.service.d', 'tls.conf.example')));
    const env: EnvSet = new Map(unitValues(tls, 'Service', 'Environment').map((l) => [l.split('=')[0]!, undefined]));
    expect(checkServiceEnv('tls.conf.example', 'coordinator', env)).toEqual([]);
    // Env examples that belong to no credo service set no CREDO_* variable.
    for (const [name, vars] of envExamples) {
      const svc = /^(\w+)\.env\.example$/.exec(name)?.[1];
      if (svc && isService(svc)) continue;
      expect([...vars.keys()].filter((k) => k.startsWith('CREDO_')), name).toEqual([]);
    }
  });

  it.skipIf(!existsSync('/usr/bin/systemd-analyze'))('systemd: systemd-analyze verifies the units and rates their exposure OK', () => {
    const dir = mkdtempSync(join(tmpdir(), 'credo-units-'));
    try {
      for (const f of ALL_FILES.filter((x) => /\/systemd\/credo-[\w@]+\.service$/.test(x))) {
        const name = basename(f).replace('@.service', '@a.service');
        writeFileSync(join(dir, name), read(f));
        const v = spawnSync('systemd-analyze', ['verify', '--man=no', join(dir, name)], { encoding: 'utf8' });
        const complaints = (v.stderr + v.stdout).split('\n').filter((l) => l.includes(name));
        expect({ unit: name, status: v.status, complaints }).toEqual({ unit: name, status: 0, complaints: [] });
        const s = spawnSync('systemd-analyze', ['security', '--offline=yes', '--no-pager', join(dir, name)], { encoding: 'utf8' });
        const score = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(s.stdout + s.stderr)?.[1]);
        expect(score, `${name}: systemd-analyze security`).toBeLessThan(3);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('Dockerfile builds the workspace with npm ci and runs credo as non-root under tini', () => {
    expect(checkDockerfile(read(join(DEPLOY, 'Dockerfile')), read(join(DEPLOY, 'Dockerfile.dockerignore')))).toEqual([]);
    // Compose and k8s run the image under the version the workspace has.
    const version = (JSON.parse(read(join(ROOT, 'package.json'))) as { version: string }).version;
    const images = [...composeText.matchAll(/image:\s*(credo:\S+)/g), ...K8S_FILES.flatMap((f) => [...read(f).matchAll(/image:\s*(credo:\S+)/g)])].map((m) => m[1]);
    expect(images.length).toBeGreaterThan(0);
    expect(new Set(images)).toEqual(new Set([`credo:${version}`]));
  });

  it('NATS config enables JetStream with limits and a credo user whose password is not in the file', () => {
    expect(checkNatsConf(read(NATS_CONF))).toEqual([]);
  });

  it('ClickHouse users parse and define credo (writes) and credo_ro (readonly = 1), without passwords in credo.xml', () => {
    const users = parseXml(read(CH_USERS));
    expect(checkClickHouseUsers(users, parseXml(read(CH_PASSWORDS_EXAMPLE)))).toEqual([]);
    // The from_env variant (current ClickHouse only) stays out of users.d, and nothing in users.d uses from_env.
    expect(existsSync(join(CH_USERS_DIR, basename(CH_FROM_ENV)))).toBe(false);
    for (const f of readdirSync(CH_USERS_DIR)) expect(read(join(CH_USERS_DIR, f)), f).not.toMatch(/from_env/);
    const fromEnv = parseXml(read(CH_FROM_ENV));
    for (const u of ['credo', 'credo_ro']) {
      const pw = child(child(child(fromEnv, 'users'), u), 'password');
      expect(pw?.attrs['from_env'], u).toMatch(/^CLICKHOUSE_/);
      expect(pw?.text.trim(), u).toBe('');
    }
    // compose and k8s give those variables to their ClickHouse.
    const vars = [...read(CH_FROM_ENV).matchAll(/from_env="(\w+)"/g)].map((m) => m[1]!);
    const compose = parseYamlFile(COMPOSE)[0] as ComposeFile;
    expect(Object.keys(compose.services['clickhouse']!.environment ?? {})).toEqual(expect.arrayContaining(vars));
    const chPod = podOf(k8sObjects().find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'clickhouse')!)!;
    expect(chPod.containers[0]!.env!.map((e) => e.name)).toEqual(expect.arrayContaining(vars));
  });
});

describe('deploy/ checkers catch', () => {
  const worker = (env: Record<string, string>, extra: Partial<ComposeService> = {}): ComposeFile => ({
    services: { worker: { build: { context: '..', dockerfile: 'deploy/Dockerfile' }, command: ['node', 'packages/cli/bin/credo.js', 'worker'], environment: env, deploy: { replicas: 3 }, stop_grace_period: '75s', ...extra } },
  });
  const check = (c: ComposeFile) => checkCompose(c, new Map(), DEPLOY);

  it('unknown settings, _FILE for non-secrets, bad values and secrets written as values', () => {
    expect(check(worker({ CREDO_NATS_URL: 'nats://n:4222' }))).toEqual([]);
    expect(check(worker({ CREDO_NATS_PASWORD: 'x' })).join()).toMatch(/CREDO_NATS_PASWORD is not a setting of the worker/);
    expect(check(worker({ CREDO_WORKERS_FILE: '/run/secrets/w' })).join()).toMatch(/workers is not a secret/);
    expect(check(worker({ CREDO_TOKEN: 'x' })).join()).toMatch(/CREDO_TOKEN is not a setting of the worker/);
    expect(check(worker({ CREDO_WORKERS: 'many' })).join()).toMatch(/rejects its settings/);
    expect(check(worker({ CREDO_NATS_PASSWORD: 'hunter2' })).join()).toMatch(/is a secret/);
    expect(check(worker({ CREDO_NATS_PASSWORD_FILE: '/run/secrets/nope' })).join()).toMatch(/not one of its secrets/);
  });

  it('commands that are not credo services, and CREDO_* on other containers', () => {
    expect(checkCommand('x', ['node', 'packages/cli/bin/credo.js', 'wrker']).problems.join()).toMatch(/not a credo command/);
    expect(checkCommand('x', ['node', 'packages/cli/bin/credo.js', 'run']).problems.join()).toMatch(/not a service/);
    expect(checkCommand('x', ['node', 'packages/cli/bin/credo.js', 'worker'], 'ingester').problems.join()).toMatch(/expected `credo ingester`/);
    expect(checkCommand('x', ['node', 'credo.js', 'worker']).problems.join()).toMatch(/does not run/);
    expect(checkServiceEnv('nats', '(nats)', new Map([['CREDO_NATS_URL', 'x']])).join()).toMatch(/runs no credo service/);
  });

  it('workers that would be killed while draining', () => {
    expect(check(worker({ CREDO_DRAIN_SEC: '120' })).join()).toMatch(/stop_grace_period 75s < drainSec 120s/);
    expect(check(worker({}, { stop_grace_period: undefined })).join()).toMatch(/stop_grace_period 10s < drainSec 30s/);
    expect(check(worker({}, { deploy: { replicas: 1 } })).join()).toMatch(/replicas/);
    const objs = k8sObjects().map((o) => structuredClone(o));
    const dep = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'credo-worker')!;
    podOf(dep)!.terminationGracePeriodSeconds = 30;
    expect(checkK8s(objs).join()).toMatch(/terminationGracePeriodSeconds 30 < drainSec 60/);
    const unit = join(mkdtempSync(join(tmpdir(), 'credo-unit-')), 'credo-worker.service');
    writeFileSync(unit, read(join(DEPLOY, 'systemd', 'credo-worker.service')).replace(/TimeoutStopSec=\S+/, 'TimeoutStopSec=20'));
    expect(checkUnit(unit, envExamples).join()).toMatch(/TimeoutStopSec 20 < drainSec 60/);
    rmSync(dirname(unit), { recursive: true });
  });

  it('plain-text secrets', () => {
    expect(findPlaintextSecrets('f', { environment: { CREDO_NATS_PASSWORD: '${NATS_PASSWORD:?set it}', CREDO_TOKEN_FILE: '/run/secrets/t' } })).toEqual([]);
    expect(findPlaintextSecrets('f', { environment: { NATS_PASSWORD: 'hunter2' } })).toHaveLength(1);
    expect(findPlaintextSecrets('f', { env: [{ name: 'CREDO_TOKEN', value: 'abc' }] })).toHaveLength(1);
    expect(findPlaintextSecrets('f', { url: 'clickhouse://credo:hunter2@ch:8123/credo' })).toHaveLength(1);
    expect(findPlaintextSecrets('f', { url: 'clickhouse://credo:${CH_PW:?x}@ch:8123/credo' })).toEqual([]);
    expect(findPlaintextSecrets('f', { args: ['--flag', randomBytes(24).toString('hex')] })).toHaveLength(1);
    expect(findPlaintextSecrets('f', { stringData: { token: 'PLACEHOLDER-x' } })).toEqual([]);
    expect(checkNatsConf('jetstream { store_dir: "/x"\n max_file_store: 1G\n max_memory_store: 1M }\nauthorization { users: [ { user: credo, password: s3cret } ] }').join()).toMatch(/written in the file/);
  });

  it('broken k8s references and ConfigMaps that drifted from their files', () => {
    const objs = k8sObjects().map((o) => structuredClone(o));
    const cm = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.annotations && Object.keys(o.metadata.annotations).some((k) => k.startsWith('credo/source.')))!;
    const key = Object.keys(cm.metadata.annotations!).find((k) => k.startsWith('credo/source.'))!.slice('credo/source.'.length);
    (cm['data'] as Record<string, string>)[key] += '# edited\n';
    const coord = podOf(objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'credo-coordinator')!)!;
    coord.containers[0]!.envFrom!.push({ configMapRef: { name: 'nope' } });
    coord.containers[0]!.readinessProbe = { httpGet: { port: 8080 } };
    (coord.containers[0] as unknown as Record<string, unknown>)['livenesProbe'] = { grpc: { port: 50051 } };
    const problems = checkK8s(objs).join('\n');
    expect(problems).toMatch(/differs from/);
    expect(problems).toMatch(/ConfigMap nope does not exist/);
    expect(problems).toMatch(/readiness probe port 8080 is no container port/);
    expect(problems).toMatch(/unknown field livenesProbe/);
  });

  it('XML that does not parse, and a credo_ro that may write', () => {
    expect(() => parseXml('<yandex><users></yandex>')).toThrow(/closes/);
    expect(() => parseXml('<yandex><users>')).toThrow(/never closed/);
    const users = parseXml(read(CH_USERS).replace('<readonly>1</readonly>', '<readonly>0</readonly>'));
    expect(checkClickHouseUsers(users, parseXml(read(CH_PASSWORDS_EXAMPLE))).join()).toMatch(/credo_ro's profile .* must have readonly 1/);
  });
});

// ---------------------------------------------------------------------------------------------
// Live servers

describe('Debian nats-server with deploy/nats/nats-server.conf', () => {
  let nats: NatsServer;
  let dir: string;
  let conf: string;
  /** The documented form: a letter, then letters and digits (see nats-server.conf). */
  const natsPassword = () => `n${randomBytes(16).toString('hex')}`;
  const password = natsPassword();
  const saved = process.env['NATS_CREDO_PASSWORD'];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'credo-deploy-nats-'));
    const original = read(NATS_CONF);
    const text = original.replace(/^(\s*store_dir\s*[:=]\s*)"[^"]*"/m, `$1"${join(dir, 'store')}"`);
    expect(text, 'store_dir substituted').not.toBe(original);
    conf = join(dir, 'nats-server.conf');
    writeFileSync(conf, text);
    // The server reads $NATS_CREDO_PASSWORD from its environment (inherited at spawn).
    process.env['NATS_CREDO_PASSWORD'] = password;
    // startNats passes free ports with -a/-p/-m, which override the file's listen and http.
    nats = await startNats({ jetstream: false, args: ['-c', conf] });
  });

  afterAll(async () => {
    if (saved === undefined) delete process.env['NATS_CREDO_PASSWORD'];
    else process.env['NATS_CREDO_PASSWORD'] = saved;
    await nats?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to start without NATS_CREDO_PASSWORD', () => {
    const env = { ...process.env };
    delete env['NATS_CREDO_PASSWORD'];
    const r = spawnSync(findBinary('nats-server'), ['-c', conf, '-t'], { env, encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/NATS_CREDO_PASSWORD/);
  });

  it('reads passwords of the documented form, and refuses (not misreads) a number-like one', () => {
    const test = (pw: string) => spawnSync(findBinary('nats-server'), ['-c', conf, '-t'], { env: { ...process.env, NATS_CREDO_PASSWORD: pw }, encoding: 'utf8' });
    for (let i = 0; i < 20; i++) {
      const r = test(natsPassword());
      expect(r.status, r.stdout + r.stderr).toBe(0);
    }
    // Why the form matters: NATS parses the variable's value, and 4e06… reads as a float.
    expect(test('4e060b33001423ac7b1143fe05a76b0d').status).not.toBe(0);
  });

  it('runs JetStream on the configured store with the configured limits', async () => {
    const r = await fetch(`${nats.monitorUrl}/jsz`);
    const jsz = (await r.json()) as { config?: { store_dir?: string; max_storage?: number; max_memory?: number }; disabled?: boolean };
    expect(jsz.disabled ?? false).toBe(false);
    expect(jsz.config?.store_dir).toBe(join(dir, 'store', 'jetstream'));
    expect(jsz.config?.max_storage).toBe(50 * 1024 ** 3);
    expect(jsz.config?.max_memory).toBe(256 * 1024 ** 2);
  });

  it('lets the credo user in, with JetStream, and the services create their topology', async () => {
    const h = await connectNats({ url: nats.url, user: 'credo', password, name: 'deploy-test' });
    try {
      const info = await h.jsm.getAccountInfo();
      expect(info.limits).toBeDefined();
      await ensureTopology(h);
      const streams: string[] = [];
      for await (const s of h.jsm.streams.list()) streams.push(s.config.name);
      expect(streams).toEqual(expect.arrayContaining([TOPOLOGY.trialsStream, TOPOLOGY.metricsStream, TOPOLOGY.resultsStream, TOPOLOGY.sweepsStream]));
      const kv = await sweepsKv(h);
      await kv.put('deploy-test', 'ok');
      expect((await kv.get('deploy-test'))?.string()).toBe('ok');
      // max_payload 8MB: a 2 MB metric batch goes through.
      const ack = await h.js.publish('credo.metrics.deploy-test', new Uint8Array(2 * 1024 * 1024));
      expect(ack.stream).toBe(TOPOLOGY.metricsStream);
    } finally {
      await h.nc.drain();
    }
  });

  describe('a worker agent configured like deploy/systemd/worker.env.example', () => {
    let worker: ChildProcess | undefined;
    let log = '';
    afterAll(() => {
      if (worker && worker.exitCode === null && worker.signalCode === null) {
        // The CLI and the service process it started.
        spawnSync('pkill', ['-KILL', '-P', String(worker.pid)]);
        worker.kill('SIGKILL');
      }
    });

    it('connects as credo with the password from a file, as the systemd unit runs it', async () => {
      writeFileSync(join(dir, 'nats-password'), password, { mode: 0o600 });
      const env: Record<string, string> = { PATH: process.env['PATH'] ?? '' };
      for (const [k, v] of envExamples.get('worker.env.example')!) env[k] = v;
      Object.assign(env, {
        CREDO_NATS_URL: nats.url, // the example's address is a placeholder
        CREDO_WORKERS: '1',
        CREDO_METRICS_PORT: '0',
        CREDO_DRAIN_SEC: '1',
        CREDO_NATS_PASSWORD_FILE: join(dir, 'nats-password'), // %d/nats-password in the unit
      });
      worker = spawn(process.execPath, [join(ROOT, 'packages/cli/bin/credo.js'), 'worker'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      worker.stdout!.on('data', (b: Buffer) => (log += b.toString()));
      worker.stderr!.on('data', (b: Buffer) => (log += b.toString()));
      const t0 = Date.now();
      while (!/ready/.test(log) && worker.exitCode === null && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 100));
      expect(log).toMatch(/worker \S+ ready/);
      expect(log).not.toContain(password);
    });

    // `credo worker` runs the service with an IPC channel; the service unrefs it, so after
    // SIGTERM it drains and exits instead of waiting for its supervisor's SIGKILL.
    it('exits on SIGTERM within drainSec + margin', async () => {
      expect(worker?.exitCode).toBeNull();
      const exited = new Promise<number | null>((resolve) => worker!.once('exit', (code) => resolve(code)));
      worker!.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('still running'), (1 + DRAIN_MARGIN_SEC) * 1000))]);
      expect(code).toBe(0);
    }, 30_000);
  });

  it('refuses a wrong password and anonymous clients', async () => {
    await expect(connect({ servers: nats.url, user: 'credo', pass: 'wrong', reconnect: false })).rejects.toThrow(/Authorization/i);
    await expect(connect({ servers: nats.url, reconnect: false })).rejects.toThrow(/Authorization/i);
  });
});

describe('clickhouse-server 18.16 with deploy/clickhouse/users.d/', () => {
  let ch: ClickHouseServer;
  const pw = { credo: randomBytes(12).toString('hex'), credo_ro: randomBytes(12).toString('hex') };
  const url = (user: 'credo' | 'credo_ro') => `clickhouse://${user}:${pw[user]}@127.0.0.1:${ch.httpPort}/credo`;
  /** One statement over HTTP as `user`: [status, body]. */
  const http = async (user: string, password: string, sql: string): Promise<[number, string]> => {
    const r = await fetch(`${ch.httpUrl}/?query=${encodeURIComponent(sql)}`, { method: 'POST', headers: { 'X-ClickHouse-User': user, 'X-ClickHouse-Key': password } });
    return [r.status, (await r.text()).trim()];
  };

  beforeAll(async () => {
    ch = await startClickHouse();
    // Install the drop-ins the way an operator does: users.d/ as shipped (the .example is
    // ignored by ClickHouse), plus credo-passwords.xml made from the example.
    const usersD = join(ch.dir, 'users.d');
    mkdirSync(usersD, { recursive: true });
    for (const f of readdirSync(CH_USERS_DIR)) copyFileSync(join(CH_USERS_DIR, f), join(usersD, f));
    const sha = (p: string) => createHash('sha256').update(p).digest('hex');
    const filled = read(CH_PASSWORDS_EXAMPLE)
      .replace(/(<credo>\s*<password_sha256_hex>)[^<]*/, `$1${sha(pw.credo)}`)
      .replace(/(<credo_ro>\s*<password_sha256_hex>)[^<]*/, `$1${sha(pw.credo_ro)}`);
    expect(filled).not.toMatch(/PLACEHOLDER/);
    writeFileSync(join(usersD, 'credo-passwords.xml'), filled);
    await ch.restart();
  });

  afterAll(async () => {
    await ch?.stop();
  });

  it('credo runs the store migrations and inserts like the ingester', async () => {
    const store = await openClickHouseStore(url('credo'));
    try {
      await store.ingest({ metrics: [{ sweepId: 'deploy', trialKey: 't1', attempt: 1, name: 'train/loss', step: 1, value: 0.5, timeMs: Date.now() }] });
    } finally {
      await store.close();
    }
    expect(await http('credo', pw.credo, 'SELECT count() FROM credo.metrics')).toEqual([200, '1']);
  });

  it('credo_ro reads with readonly = 1 and cannot write', async () => {
    const ro = await openClickHouseStore(url('credo_ro'), { readOnly: true });
    try {
      const r = await ro.query('SELECT count() AS n FROM metrics');
      expect(r.rows).toEqual([[1]]);
      await expect(ro.query("INSERT INTO metrics (sweep_id) VALUES ('x')")).rejects.toThrow(/read-only/);
    } finally {
      await ro.close();
    }
    expect(await http('credo_ro', pw.credo_ro, "SELECT value FROM system.settings WHERE name = 'readonly'")).toEqual([200, '1']);
    // The server refuses writes, whatever the client: Code 164 (READONLY).
    const insert = await http('credo_ro', pw.credo_ro, "INSERT INTO credo.metrics (sweep_id, trial_key, attempt, name, step, value, time_ms) VALUES ('x', 'y', 1, 'z', 1, 1, 1)");
    expect(insert[0]).not.toBe(200);
    expect(insert[1]).toMatch(/Code: 164/);
    expect((await http('credo_ro', pw.credo_ro, 'CREATE TABLE credo.x (a UInt8) ENGINE = Memory'))[1]).toMatch(/Code: 164/);
    expect(await http('credo', pw.credo, 'SELECT count() FROM credo.metrics')).toEqual([200, '1']);
  });

  it('keeps both users to the credo database and refuses wrong passwords', async () => {
    expect((await http('credo', pw.credo, 'CREATE TABLE default.x (a UInt8) ENGINE = Memory'))[1]).toMatch(/Code: 291/);
    expect((await http('credo_ro', pw.credo_ro, 'SELECT * FROM default.anything'))[1]).toMatch(/Code: 291/);
    expect((await http('credo_ro', 'wrong', 'SELECT 1'))[1]).toMatch(/Code: 193/);
    expect((await http('credo', '', 'SELECT 1'))[1]).toMatch(/Code: 19[34]/);
  });

  it('fails closed when the password file is the unedited example', async () => {
    copyFileSync(CH_PASSWORDS_EXAMPLE, join(ch.dir, 'users.d', 'credo-passwords.xml'));
    await expect(ch.restart()).rejects.toThrow();
    const log = read(join(ch.dir, 'logs', 'clickhouse-server.err.log'));
    expect(log).toMatch(/password_sha256_hex for user credo/);
  });
});
