// `keywatch serve` configuration: a JSON file, validated field by field (zod) with errors that
// name the field, then a few KEYWATCH_* environment variables that override the main settings
// (the error then names the variable). docs/SERVICE.md is the reference for every field.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';

const seconds = (def: number, what: string) => z.number({ error: `${what} must be a number of seconds` }).positive(`${what} must be more than 0 seconds`).default(def);
const count = (def: number, max: number) => z.number().int('must be a whole number').min(1, 'must be at least 1').max(max, `must be at most ${max}`).default(def);

const domainName = z
  .string()
  .regex(/^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_]([a-z0-9-]{0,61}[a-z0-9])?\.?$/i, 'must be a domain name');

export const CONFIG_SCHEMA = z.strictObject({
  /** Where the SQLite database (keywatch.sqlite) lives. */
  dataDir: z.string().min(1).optional(),
  database: z
    .strictObject({
      url: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
      poolSize: count(10, 100),
    })
    .optional(),
  listen: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0, 'must be 0-65535 (0: any free port)').max(65535, 'must be 0-65535').default(8080),
    })
    .prefault({}),
  /** The service's address as users reach it: links in messages start with it. */
  publicUrl: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
  /** Take the client address for rate limits from X-Forwarded-For (behind a reverse proxy only). */
  trustProxy: z.boolean().default(false),
  dns: z
    .strictObject({
      resolvers: z.array(z.string().min(1)).default([]),
      trustAnchor: z.string().min(1).optional(),
      timeoutMs: z.number().int().min(100).max(60000).default(3000),
    })
    .prefault({}),
  caFile: z.string().min(1).optional(),
  socks: z
    .string()
    .regex(/^(socks5h?:\/\/)?(\[[0-9a-fA-F:.]+\]|[^:/]+):\d{1,5}\/?$/, 'must be a SOCKS5 address such as socks5://127.0.0.1:9050')
    .optional(),
  vantages: z.array(z.enum(['direct', 'tor'])).min(1, 'must name at least one vantage').optional(),
  allowPrivate: z.boolean().default(false),
  checkerDomain: domainName.optional(),
  schedule: z
    .strictObject({
      intervalSeconds: seconds(3600, 'intervalSeconds'),
      minIntervalSeconds: seconds(600, 'minIntervalSeconds'),
      provenMinIntervalSeconds: seconds(300, 'provenMinIntervalSeconds'),
      jitter: z.number().min(0, 'must be from 0 to 0.9').max(0.9, 'must be from 0 to 0.9').default(0.2),
      concurrency: count(4, 256),
      confirmDelaySeconds: seconds(20, 'confirmDelaySeconds'),
      backoffBaseSeconds: seconds(60, 'backoffBaseSeconds'),
      backoffMaxSeconds: seconds(6 * 3600, 'backoffMaxSeconds'),
      leaseSeconds: seconds(600, 'leaseSeconds'),
      pollSeconds: seconds(1, 'pollSeconds'),
    })
    .prefault({}),
  check: z
    .strictObject({
      timeoutMs: z.number().int().min(100).max(120000).default(10000),
      concurrency: count(4, 64),
      extraHandshakes: z.boolean().default(true),
      streamIds: z.number().int().min(0).max(64).default(0),
    })
    .prefault({}),
  outbox: z
    .strictObject({
      concurrency: count(4, 64),
      maxAttempts: count(10, 100),
      retryBaseSeconds: seconds(30, 'retryBaseSeconds'),
      retryMaxSeconds: seconds(3600, 'retryMaxSeconds'),
      sendTimeoutSeconds: seconds(60, 'sendTimeoutSeconds'),
      pollSeconds: seconds(1, 'pollSeconds'),
    })
    .prefault({}),
  limits: z
    .strictObject({
      /** POST /api/domains and /api/subscriptions per client address and hour. */
      requestsPerHour: count(30, 100000),
      /** Messages per subscriber and hour (alerts beyond it are kept, marked suppressed). */
      messagesPerHour: count(10, 10000),
      confirmTtlHours: seconds(48, 'confirmTtlHours'),
      maxDomains: count(10000, 10000000),
    })
    .prefault({}),
  /** Proof of control (src/service/proof.ts): what it gates and how long it holds. */
  proof: z
    .strictObject({
      /** Webhook subscriptions need a valid proof (off only for tests and closed deployments). */
      required: z.boolean().default(true),
      validDays: z.number().positive('must be more than 0 days').max(365, 'must be at most 365 days').default(30),
      challengeHours: z.number().positive('must be more than 0 hours').max(720, 'must be at most 720 hours').default(48),
    })
    .prefault({}),
  /** Keys for secrets kept at rest (src/service/secrets.ts): canary passwords are sealed under keyFile's 32 bytes. */
  secrets: z
    .strictObject({
      keyFile: z.string().min(1).optional(),
    })
    .prefault({}),
  shutdownGraceSeconds: z.number().min(0).max(3600).default(20),
  workerId: z.string().min(1).max(200).optional(),
  logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /** Settings of the built-in notifiers, by channel (src/notify; see docs/SERVICE.md). */
  notify: z.partialRecord(z.enum(['email', 'xmpp', 'webhook', 'pubsub']), z.record(z.string(), z.unknown())).default({}),
  /** Extra notifier modules: each default-exports `(options, context) => Notifier | Promise<Notifier>`. */
  notifierModules: z.array(z.strictObject({ module: z.string().min(1), options: z.record(z.string(), z.unknown()).default({}) })).default([]),
});

export type RawConfig = z.output<typeof CONFIG_SCHEMA>;

export interface ServiceConfig extends RawConfig {
  /** Absolute; the file the config came from, for relative paths. */
  configFile?: string;
  workerId: string;
  publicUrl: string;
  vantages: Array<'direct' | 'tor'>;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Environment variables and the field each overrides. */
export const ENV_OVERRIDES: ReadonlyArray<{ env: string; path: string[]; kind: 'string' | 'number' | 'boolean' | 'list' | 'listen' }> = [
  { env: 'KEYWATCH_DATA_DIR', path: ['dataDir'], kind: 'string' },
  { env: 'KEYWATCH_DATABASE_URL', path: ['database', 'url'], kind: 'string' },
  { env: 'KEYWATCH_LISTEN', path: ['listen'], kind: 'listen' },
  { env: 'KEYWATCH_PUBLIC_URL', path: ['publicUrl'], kind: 'string' },
  { env: 'KEYWATCH_RESOLVERS', path: ['dns', 'resolvers'], kind: 'list' },
  { env: 'KEYWATCH_TRUST_ANCHOR', path: ['dns', 'trustAnchor'], kind: 'string' },
  { env: 'KEYWATCH_CA_FILE', path: ['caFile'], kind: 'string' },
  { env: 'KEYWATCH_SECRETS_KEY_FILE', path: ['secrets', 'keyFile'], kind: 'string' },
  { env: 'KEYWATCH_SOCKS', path: ['socks'], kind: 'string' },
  { env: 'KEYWATCH_ALLOW_PRIVATE', path: ['allowPrivate'], kind: 'boolean' },
  { env: 'KEYWATCH_INTERVAL_SECONDS', path: ['schedule', 'intervalSeconds'], kind: 'number' },
  { env: 'KEYWATCH_CONCURRENCY', path: ['schedule', 'concurrency'], kind: 'number' },
  { env: 'KEYWATCH_WORKER_ID', path: ['workerId'], kind: 'string' },
  { env: 'KEYWATCH_LOG_LEVEL', path: ['logLevel'], kind: 'string' },
];

function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = obj;
  for (const key of path.slice(0, -1)) {
    const next = cur[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) cur[key] = {};
    cur = cur[key] as Record<string, unknown>;
  }
  cur[path[path.length - 1]!] = value;
}

function envValue(o: (typeof ENV_OVERRIDES)[number], text: string): unknown {
  switch (o.kind) {
    case 'string':
      return text;
    case 'list':
      return text.split(',').map((s) => s.trim()).filter(Boolean);
    case 'number': {
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n)) throw new ConfigError(`${o.env}: must be a number, got "${text}"`);
      return n;
    }
    case 'boolean':
      if (/^(1|true|yes|on)$/i.test(text)) return true;
      if (/^(0|false|no|off)$/i.test(text)) return false;
      throw new ConfigError(`${o.env}: must be true or false, got "${text}"`);
    case 'listen': {
      const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
      if (!m) throw new ConfigError(`${o.env}: must be HOST:PORT (e.g. 127.0.0.1:8080, [::1]:8080), got "${text}"`);
      return { host: m[1] ?? m[2], port: Number(m[3]) };
    }
  }
}

/**
 * Validate a configuration object (as read from the file), with environment overrides applied.
 * `source` names the file in errors.
 */
export function parseConfig(raw: unknown, env: NodeJS.ProcessEnv = {}, source = 'config', configFile?: string): ServiceConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`${source}: must be a JSON object`);
  const obj = structuredClone(raw) as Record<string, unknown>;
  const fromEnv = new Map<string, string>();
  for (const o of ENV_OVERRIDES) {
    const text = env[o.env];
    if (text === undefined || text === '') continue;
    if (o.kind === 'listen') {
      const v = envValue(o, text) as { host: string; port: number };
      const listen = typeof obj.listen === 'object' && obj.listen !== null ? (obj.listen as Record<string, unknown>) : {};
      obj.listen = { ...listen, ...v };
      fromEnv.set('listen.host', o.env).set('listen.port', o.env);
    } else {
      setPath(obj, o.path, envValue(o, text));
      fromEnv.set(o.path.join('.'), o.env);
    }
  }
  const parsed = CONFIG_SCHEMA.safeParse(obj);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const path = i.path.map(String).join('.');
      const where = fromEnv.get(path) ?? source;
      if (i.code === 'unrecognized_keys') return `${where}: ${i.keys.map((k) => (path ? `${path}.${k}` : k)).join(', ')}: unknown field (a typo? docs/SERVICE.md lists the fields)`;
      return `${where}: ${path || '(top level)'}: ${i.message}`;
    });
    throw new ConfigError(lines.join('\n'));
  }
  const c = parsed.data;
  if (!c.dataDir && !c.database) throw new ConfigError(`${source}: dataDir: required (where the SQLite database is kept), unless database.url names a PostgreSQL database`);
  if (c.vantages?.includes('tor') && !c.socks) throw new ConfigError(`${source}: vantages: "tor" needs socks (Tor's SOCKS port, e.g. socks5://127.0.0.1:9050)`);
  if (c.schedule.intervalSeconds < c.schedule.minIntervalSeconds) throw new ConfigError(`${source}: schedule.intervalSeconds: must not be below schedule.minIntervalSeconds (${c.schedule.minIntervalSeconds})`);
  if (c.schedule.provenMinIntervalSeconds > c.schedule.minIntervalSeconds) throw new ConfigError(`${source}: schedule.provenMinIntervalSeconds: must not be above schedule.minIntervalSeconds`);
  const base = configFile ? dirname(configFile) : process.cwd();
  const abs = (p: string | undefined) => (p === undefined ? undefined : isAbsolute(p) ? p : resolve(base, p));
  const host = c.listen.host.includes(':') ? `[${c.listen.host}]` : c.listen.host;
  return {
    ...c,
    ...(c.dataDir ? { dataDir: abs(c.dataDir)! } : {}),
    ...(c.caFile ? { caFile: abs(c.caFile)! } : {}),
    secrets: { ...c.secrets, ...(c.secrets.keyFile ? { keyFile: abs(c.secrets.keyFile)! } : {}) },
    ...(configFile ? { configFile } : {}),
    dns: { ...c.dns, ...(c.dns.trustAnchor && !/\s/.test(c.dns.trustAnchor.trim()) ? { trustAnchor: abs(c.dns.trustAnchor)! } : {}) },
    workerId: c.workerId ?? hostname(),
    publicUrl: (c.publicUrl ?? `http://${host}:${c.listen.port}`).replace(/\/+$/, ''),
    vantages: c.vantages ?? (c.socks ? ['direct', 'tor'] : ['direct']),
  };
}

export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(`${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${file}: not valid JSON: ${(e as Error).message}`);
  }
  return parseConfig(raw, env, file, path);
}
