// The notifiers' settings as they stand in the service's configuration file under `notify`
// (docs/NOTIFY.md is the reference): validated field by field, errors naming the field, files
// (CA, DKIM key, passwords) resolved against the configuration file's directory.
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import type { EmailConfig } from './email.ts';
import type { WebhookConfig } from './webhook.ts';
import type { XmppBotConfig } from './xmpp.ts';

export class NotifyConfigError extends Error {
  override name = 'NotifyConfigError';
}

const file = z.string().min(1, 'must name a file');
const ms = (min: number, max: number) => z.number().int('must be a whole number of milliseconds').min(min, `must be at least ${min} ms`).max(max, `must be at most ${max} ms`);
const port = z.number().int().min(1, 'must be 1-65535').max(65535, 'must be 1-65535');
const oneOf = (a: string, b: string) => (o: Record<string, unknown>) => (o[a] === undefined) !== (o[b] === undefined);

export const EMAIL_SCHEMA = z.strictObject({
  host: z.string().min(1, 'must name the SMTP server'),
  port: port.optional(),
  security: z.enum(['starttls', 'tls', 'opportunistic', 'none']).default('starttls'),
  servername: z.string().min(1).optional(),
  caFile: file.optional(),
  auth: z
    .strictObject({ user: z.string().min(1), pass: z.string().min(1).optional(), passFile: file.optional() })
    .refine(oneOf('pass', 'passFile'), 'give exactly one of pass and passFile')
    .optional(),
  from: z.string().regex(/^(?:[^<>\r\n]*<[^<>@\s]+@[^<>@\s]+>|[^<>@\s]+@[^<>@\s]+)$/, 'must be an address, e.g. "keywatch <alerts@example.org>"'),
  replyTo: z.string().min(3).optional(),
  messageIdDomain: z.string().regex(/^[a-z0-9.-]+\.[a-z0-9-]+$/i, 'must be a domain name').optional(),
  html: z.boolean().default(false),
  ehloName: z.string().min(1).optional(),
  timeoutMs: ms(100, 600_000).optional(),
  maxConnections: z.number().int().min(1).max(50).optional(),
  dkim: z.strictObject({ domainName: z.string().min(1), keySelector: z.string().min(1), privateKeyFile: file }).optional(),
});

export const WEBHOOK_SCHEMA = z.strictObject({
  timeoutMs: ms(100, 120_000).optional(),
  maxResponseBytes: z.number().int().min(0).max(100 * 1024 * 1024).optional(),
  allowPrivateAddresses: z.boolean().default(false),
  allowHttp: z.boolean().default(false),
  caFile: file.optional(),
  userAgent: z.string().min(1).max(200).optional(),
});

export const XMPP_SCHEMA = z
  .strictObject({
    jid: z.string().regex(/^[^@/\s]+@[^@/\s]+$/, 'must be the bot account\'s bare JID, e.g. keywatch@example.org'),
    password: z.string().min(1).optional(),
    passwordFile: file.optional(),
    service: z.string().regex(/^xmpps?:\/\/[^/\s]+\/?$/, 'must be xmpp://host[:port] (STARTTLS) or xmpps://host[:port] (direct TLS)').optional(),
    caFile: file.optional(),
    resource: z.string().min(1).max(100).optional(),
    timeoutMs: ms(500, 120_000).optional(),
    maxStanzaBytes: z.number().int().min(4096).max(16 * 1024 * 1024).optional(),
    pingIntervalMs: z.number().int().min(0).max(3_600_000).optional(),
    bounceWaitMs: z.number().int().min(0).max(30_000).optional(),
    commandBurst: z.number().int().min(1).max(1000).optional(),
    commandsPerMinute: z.number().int().min(1).max(10_000).optional(),
    maxConcurrentCommands: z.number().int().min(1).max(1000).optional(),
    reconnect: z.strictObject({ baseMs: ms(10, 600_000), capMs: ms(10, 3_600_000) }).optional(),
  })
  .refine(oneOf('password', 'passwordFile'), 'give exactly one of password and passwordFile');

export const PUBSUB_SCHEMA = z.strictObject({
  /** The XEP-0060 service JID (default `pubsub.<bot domain>`). */
  service: z.string().regex(/^[^@/\s]+$/, 'must be a service JID such as pubsub.example.org').optional(),
  maxItems: z.number().int().min(1).max(256).optional(),
});

export const NOTIFY_SCHEMA = z.strictObject({
  email: EMAIL_SCHEMA.optional(),
  webhook: WEBHOOK_SCHEMA.optional(),
  xmpp: XMPP_SCHEMA.optional(),
  pubsub: PUBSUB_SCHEMA.optional(),
});

export type NotifySettings = z.input<typeof NOTIFY_SCHEMA>;

/** The notifiers' configuration after validation, ready for the constructors. */
export interface NotifyConfig {
  email?: EmailConfig;
  webhook?: WebhookConfig;
  xmpp?: XmppBotConfig;
  /** Present: publish domain states on PubSub (needs `xmpp`, the bot account). */
  pubsub?: { service?: string; maxItems?: number };
}

function parseWith<S extends z.ZodType>(schema: S, raw: unknown, where: string): z.output<S> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => {
    const path = [where, ...i.path.map(String)].filter(Boolean).join('.');
    return `${path}: ${i.message}`;
  });
  throw new NotifyConfigError(lines.join('\n'));
}

function readSecret(path: string, where: string): string {
  try {
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (e) {
    throw new NotifyConfigError(`${where}: cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Validates `notify` settings. `baseDir` resolves relative file names (the configuration file's
 * directory); password files are read here, so a missing one is a configuration error at start.
 */
export function parseNotifyConfig(raw: unknown, o: { baseDir?: string; where?: string } = {}): NotifyConfig {
  const where = o.where ?? 'notify';
  const v = parseWith(NOTIFY_SCHEMA, raw ?? {}, where);
  const path = (p: string | undefined) => (p === undefined ? undefined : isAbsolute(p) || !o.baseDir ? p : resolve(o.baseDir, p));
  const out: NotifyConfig = {};
  if (v.email) {
    const { auth, caFile, dkim, ...rest } = v.email;
    out.email = {
      ...rest,
      ...(caFile ? { caFile: path(caFile)! } : {}),
      ...(auth ? { auth: { user: auth.user, pass: auth.pass ?? readSecret(path(auth.passFile)!, `${where}.email.auth.passFile`) } } : {}),
      ...(dkim ? { dkim: { ...dkim, privateKeyFile: path(dkim.privateKeyFile)! } } : {}),
    };
  }
  if (v.webhook) out.webhook = { ...v.webhook, ...(v.webhook.caFile ? { caFile: path(v.webhook.caFile)! } : {}) };
  if (v.xmpp) {
    const { password, passwordFile, caFile, reconnect, ...rest } = v.xmpp;
    out.xmpp = {
      ...rest,
      password: password ?? readSecret(path(passwordFile)!, `${where}.xmpp.passwordFile`),
      ...(caFile ? { caFile: path(caFile)! } : {}),
      ...(reconnect ? { reconnect: { ...reconnect, maxRetryAfterMs: reconnect.capMs } } : {}),
      ...(v.pubsub?.service ? { pubsubService: v.pubsub.service } : {}),
      ...(v.pubsub?.maxItems ? { pubsubMaxItems: v.pubsub.maxItems } : {}),
    };
  }
  if (v.pubsub) {
    if (!v.xmpp) throw new NotifyConfigError(`${where}.pubsub: PubSub publishing uses the XMPP bot's account: configure ${where}.xmpp too`);
    out.pubsub = { ...v.pubsub };
  }
  return out;
}
