// The email channel: one SMTP submission per delivery through nodemailer (a small pool of
// connections), TLS verified against the system store or a configured CA file, STARTTLS required
// unless the operator says otherwise. What the server answers decides whether the service's
// outbox tries again: a 5xx reply is final, a 4xx reply or a broken connection is not.
import { readFileSync } from 'node:fs';
import nodemailer, { type NodemailerError, type SMTPPoolOptions, type Transporter } from 'nodemailer';
import type { Delivery, DeliveryResult, Notifier } from '../service/contracts.ts';
import { emailContent, isPlainMailbox } from './email-message.ts';
import { cleanLine } from './plain-text.ts';
import { errorLine, silentLog, type NotifyLog } from './log.ts';

export interface EmailConfig {
  /** SMTP server (submission or relay). */
  host: string;
  /** Default 587, or 465 with `security: 'tls'`. */
  port?: number;
  /**
   * `starttls` (default): STARTTLS is required, the message is not sent without it;
   * `tls`: TLS from the first byte (port 465, RFC 8314);
   * `opportunistic`: STARTTLS when offered, plain text otherwise;
   * `none`: never TLS (a relay on the same host only; refused together with `auth`).
   */
  security?: 'starttls' | 'tls' | 'opportunistic' | 'none';
  /** The name the server's certificate must carry, when `host` is an address. */
  servername?: string;
  /** PEM file of the CA(s) to trust instead of the system store. */
  caFile?: string;
  auth?: { user: string; pass: string };
  /** The From header, e.g. `keywatch <alerts@example.org>`. */
  from: string;
  replyTo?: string;
  /** Domain of Message-IDs (default: the From address's domain). */
  messageIdDomain?: string;
  /** Add an HTML alternative (default: plain text only). */
  html?: boolean;
  /** Name sent in EHLO (default: nodemailer's, the host name). */
  ehloName?: string;
  /** Connect, greeting and idle-socket timeout (default 30 s). */
  timeoutMs?: number;
  /** Concurrent SMTP connections (default 2). */
  maxConnections?: number;
  /** DKIM signing (RFC 8058 asks for a signature covering the List-Unsubscribe headers). */
  dkim?: { domainName: string; keySelector: string; privateKeyFile: string };
}

export class EmailConfigError extends Error {
  override name = 'EmailConfigError';
}

/** Turns an SMTP failure into what the outbox needs to know. */
export function classifySmtpError(e: unknown): DeliveryResult {
  const err = (e ?? {}) as NodemailerError;
  const code = typeof err.code === 'string' ? err.code : undefined;
  const reply = typeof err.responseCode === 'number' ? err.responseCode : undefined;
  const what = cleanLine(
    reply !== undefined
      ? `SMTP ${reply}${err.command ? ` after ${err.command.split(' ')[0]}` : ''}: ${err.response ?? errorLine(e)}`
      : `${code ? `${code}: ` : ''}${errorLine(e)}`,
    300,
  );
  // Our own credentials being refused is the operator's to fix, not the recipient's fault: keep
  // the message and try again later rather than lose an alert.
  if (code === 'EAUTH' || code === 'ENOAUTH') return { ok: false, permanent: false, error: `SMTP authentication failed (check the SMTP credentials): ${what}` };
  if (reply !== undefined) {
    // A refusal before the envelope (greeting, EHLO, STARTTLS, AUTH) is about this service's
    // session with its relay, not about the message or the recipient: the operator fixes it,
    // and the message waits.
    if (err.command && /^(CONN|EHLO|HELO|LHLO|STARTTLS|AUTH)\b/i.test(err.command)) {
      return { ok: false, permanent: false, error: `the SMTP server refused the session (check the email settings): ${what}` };
    }
    // RFC 5321 §4.2.1: 5yz is a permanent negative completion, 4yz a transient one. 503 (bad
    // sequence of commands) is about the session, not the message.
    if (reply >= 500 && reply <= 599 && reply !== 503) return { ok: false, permanent: true, error: what };
    return { ok: false, permanent: false, error: what };
  }
  // An envelope nodemailer itself refused (no valid recipient) cannot get better by waiting.
  if (code === 'EENVELOPE') return { ok: false, permanent: true, error: what };
  // Connection refused or reset, timeouts, DNS, TLS handshake: try again later.
  return { ok: false, permanent: false, error: what };
}

export class EmailNotifier implements Notifier {
  readonly channel = 'email' as const;
  private readonly transport: Transporter;
  private readonly log: NotifyLog;

  constructor(
    private readonly config: EmailConfig,
    o: { log?: NotifyLog } = {},
  ) {
    this.log = o.log ?? silentLog;
    const security = config.security ?? 'starttls';
    if (!config.host) throw new EmailConfigError('email: `host` is required');
    if (!config.from) throw new EmailConfigError('email: `from` is required');
    if (security === 'none' && config.auth) {
      throw new EmailConfigError("email: `auth` with `security: 'none'` would send the password in clear text; use starttls or tls");
    }
    let ca: Buffer | undefined;
    if (config.caFile) {
      try {
        ca = readFileSync(config.caFile);
      } catch (e) {
        throw new EmailConfigError(`email: cannot read caFile ${config.caFile}: ${errorLine(e)}`, { cause: e });
      }
    }
    let dkim: SMTPPoolOptions['dkim'];
    if (config.dkim) {
      try {
        dkim = { domainName: config.dkim.domainName, keySelector: config.dkim.keySelector, privateKey: readFileSync(config.dkim.privateKeyFile, 'utf8') };
      } catch (e) {
        throw new EmailConfigError(`email: cannot read dkim.privateKeyFile ${config.dkim.privateKeyFile}: ${errorLine(e)}`, { cause: e });
      }
    }
    const timeout = config.timeoutMs ?? 30_000;
    const options: SMTPPoolOptions & { pool: true } = {
      pool: true,
      maxConnections: config.maxConnections ?? 2,
      host: config.host,
      port: config.port ?? (security === 'tls' ? 465 : 587),
      secure: security === 'tls',
      requireTLS: security === 'starttls',
      ignoreTLS: security === 'none',
      ...(config.ehloName ? { name: config.ehloName } : {}),
      ...(config.auth ? { auth: { user: config.auth.user, pass: config.auth.pass } } : {}),
      ...(dkim ? { dkim } : {}),
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      // Messages are built here from text: nothing may pull in a file or a URL.
      disableFileAccess: true,
      disableUrlAccess: true,
      logger: false,
      tls: {
        rejectUnauthorized: true,
        minVersion: 'TLSv1.2',
        ...(ca ? { ca } : {}),
        ...(config.servername ? { servername: config.servername } : {}),
      },
    };
    this.transport = nodemailer.createTransport(options);
    // A pooled connection failing between sends must not become an unhandled 'error' event.
    this.transport.on('error', (e: unknown) => this.log.warn({ error: errorLine(e) }, 'email: SMTP pool error'));
  }

  async send(d: Delivery): Promise<DeliveryResult> {
    if (d.channel !== 'email') return { ok: false, permanent: true, error: `email notifier cannot send a ${d.channel} delivery` };
    if (!isPlainMailbox(d.target)) return { ok: false, permanent: true, error: `not a plain email address: ${JSON.stringify(cleanLine(d.target, 80))}` };
    const c = emailContent(d, {
      from: this.config.from,
      ...(this.config.replyTo ? { replyTo: this.config.replyTo } : {}),
      ...(this.config.messageIdDomain ? { messageIdDomain: this.config.messageIdDomain } : {}),
      ...(this.config.html ? { html: true } : {}),
    });
    try {
      await this.transport.sendMail({ ...c, envelope: { from: envelopeFrom(this.config.from), to: [d.target] } });
      this.log.info({ delivery: d.id, attempt: d.attempt, messageId: c.messageId }, 'email: sent');
      return { ok: true };
    } catch (e) {
      const r = classifySmtpError(e);
      this.log[r.permanent ? 'warn' : 'info']({ delivery: d.id, attempt: d.attempt, permanent: r.permanent, error: r.error }, 'email: not sent');
      return r;
    }
  }

  close(): Promise<void> {
    this.transport.close();
    return Promise.resolve();
  }
}

/** The envelope sender: the address inside `Name <addr>`, or the value itself. */
function envelopeFrom(from: string): string {
  return /<([^<>]+)>\s*$/.exec(from)?.[1] ?? from;
}
