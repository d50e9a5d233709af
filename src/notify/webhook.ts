// The webhook channel: one signed JSON POST per delivery attempt (payload and signature in
// docs/NOTIFY.md). A receiver is somebody else's server and may be slow, huge, or hostile, so
// each request is bounded: one deadline for the whole exchange, a cap on the response bytes
// read, no redirects followed, and only checked addresses connected to (webhook-target.ts).
// The answer decides what the outbox does next: 2xx delivered; 410 or another 4xx final; 408,
// 429 and 5xx (and network failures) again later, no sooner than the receiver's Retry-After.
import { readFileSync } from 'node:fs';
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { Delivery, DeliveryResult, Notifier } from '../service/contracts.ts';
import { VERSION } from '../version.ts';
import { parseRetryAfter } from './backoff.ts';
import { errorLine, silentLog, type NotifyLog } from './log.ts';
import { cleanLine } from './plain-text.ts';
import { DELIVERY_HEADER, SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from './webhook-signature.ts';
import { resolveWebhookTarget, systemResolver, type HostResolver, type ResolvedAddress } from './webhook-target.ts';

export { nextAttemptDelay, DELIVERY_BACKOFF, type BackoffPolicy } from './backoff.ts';
export { verifyWebhookSignature, signWebhook } from './webhook-signature.ts';

/** The JSON body of every webhook request (docs/NOTIFY.md). */
export interface WebhookPayload {
  /** Payload format version. */
  version: 1;
  /** The delivery id: the same on every retry, so receivers can deduplicate. */
  delivery: string;
  /** Unix seconds when this attempt was signed; equals X-Keywatch-Timestamp. */
  timestamp: number;
  /** 1 for the first try. */
  attempt: number;
  kind: Delivery['message']['kind'];
  domain: string;
  subject: string;
  text: string;
  state?: Delivery['message']['state'];
  previousStatus?: Delivery['message']['previousStatus'];
  links: Delivery['message']['links'];
}

export interface WebhookConfig {
  /** Deadline for the whole request, connection to last byte read (default 10 s). */
  timeoutMs?: number;
  /** Response bytes read at most; the rest is discarded and the connection closed (default 64 KiB). */
  maxResponseBytes?: number;
  /** Allow receivers on loopback, private and other non-public addresses (default false). */
  allowPrivateAddresses?: boolean;
  /** Allow http:// receivers (default false: https only). */
  allowHttp?: boolean;
  /** PEM file of CAs to trust for https receivers instead of the system store. */
  caFile?: string;
  /** User-Agent header (default `keywatch/VERSION (webhook)`). */
  userAgent?: string;
}

export interface WebhookDeps {
  log?: NotifyLog;
  /** Name resolution (default: the system resolver). */
  resolve?: HostResolver;
  /** Clock for timestamps, ms since the epoch. */
  now?: () => number;
}

export function webhookPayload(d: Delivery, timestamp: number): WebhookPayload {
  const m = d.message;
  return {
    version: 1,
    delivery: d.id,
    timestamp,
    attempt: d.attempt,
    kind: m.kind,
    domain: m.domain,
    subject: m.subject,
    text: m.text,
    ...(m.state ? { state: m.state } : {}),
    ...(m.previousStatus ? { previousStatus: m.previousStatus } : {}),
    links: m.links,
  };
}

/** What an HTTP status means for the outbox. */
export function classifyHttpStatus(status: number, headers: IncomingHttpHeaders = {}, now = Date.now()): DeliveryResult {
  if (status >= 200 && status <= 299) return { ok: true };
  const header = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  if (status >= 300 && status <= 399) {
    const loc = header('location');
    return { ok: false, permanent: true, error: `HTTP ${status}: redirects are not followed${loc ? ` (Location: ${cleanLine(loc, 120)})` : ''}; register the final URL` };
  }
  if (status === 410) return { ok: false, permanent: true, error: 'HTTP 410 Gone: the receiver says this webhook no longer exists' };
  if (status === 429 || status === 408 || (status >= 500 && status <= 599)) {
    const after = parseRetryAfter(header('retry-after'), now);
    return { ok: false, permanent: false, error: `HTTP ${status}`, ...(after !== undefined ? { retryAfterMs: after } : {}) };
  }
  if (status >= 400 && status <= 499) return { ok: false, permanent: true, error: `HTTP ${status}: the receiver refused the request` };
  return { ok: false, permanent: false, error: `HTTP ${status}: unexpected status` };
}

/** A lookup that answers with the checked addresses only, whatever the name resolves to by now. */
function pinnedLookup(addresses: ResolvedAddress[]): LookupFunction {
  return ((_host: string, options: { all?: boolean; family?: number }, cb: (...args: unknown[]) => void) => {
    const wanted = options.family === 4 || options.family === 6 ? addresses.filter((a) => a.family === options.family) : addresses;
    const list = wanted.length ? wanted : addresses;
    if (options.all) cb(null, list.map((a) => ({ address: a.address, family: a.family })));
    else cb(null, list[0]!.address, list[0]!.family);
  }) as unknown as LookupFunction;
}

export class WebhookNotifier implements Notifier {
  readonly channel = 'webhook' as const;
  private readonly timeoutMs: number;
  private readonly maxResponseBytes: number;
  private readonly ca: Buffer | undefined;
  private readonly log: NotifyLog;
  private readonly resolve: HostResolver;
  private readonly now: () => number;
  private readonly inFlight = new Set<http.ClientRequest>();

  constructor(
    private readonly config: WebhookConfig = {},
    deps: WebhookDeps = {},
  ) {
    this.timeoutMs = config.timeoutMs ?? 10_000;
    this.maxResponseBytes = config.maxResponseBytes ?? 64 * 1024;
    this.log = deps.log ?? silentLog;
    this.resolve = deps.resolve ?? systemResolver;
    this.now = deps.now ?? Date.now;
    if (config.caFile) {
      try {
        this.ca = readFileSync(config.caFile);
      } catch (e) {
        throw new Error(`webhook: cannot read caFile ${config.caFile}: ${errorLine(e)}`, { cause: e });
      }
    }
  }

  async send(d: Delivery): Promise<DeliveryResult> {
    const r = await this.attempt(d);
    const fields = { delivery: d.id, attempt: d.attempt, ok: r.ok, permanent: r.permanent, error: r.error, retryAfterMs: r.retryAfterMs };
    if (r.ok) this.log.info(fields, 'webhook: delivered');
    else this.log[r.permanent ? 'warn' : 'info'](fields, 'webhook: not delivered');
    return r;
  }

  private async attempt(d: Delivery): Promise<DeliveryResult> {
    if (d.channel !== 'webhook') return { ok: false, permanent: true, error: `webhook notifier cannot send a ${d.channel} delivery` };
    if (!d.secret) return { ok: false, permanent: true, error: 'webhook delivery without a secret: nothing to sign with' };
    const deadline = AbortSignal.timeout(this.timeoutMs);
    // Name resolution counts against the same deadline (getaddrinfo has none of its own we control).
    const expired = new Promise<{ ok: false; permanent: false; error: string }>((resolve) =>
      deadline.addEventListener('abort', () => resolve({ ok: false, permanent: false, error: `no address within ${this.timeoutMs} ms` }), { once: true }),
    );
    const target = await Promise.race([resolveWebhookTarget(d.target, this.config, this.resolve), expired]);
    if (!target.ok) return { ok: false, permanent: target.permanent, error: target.error };
    const timestamp = Math.floor(this.now() / 1000);
    const body = Buffer.from(JSON.stringify(webhookPayload(d, timestamp)), 'utf8');
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'Content-Length': String(body.length),
      'User-Agent': this.config.userAgent ?? `keywatch/${VERSION} (webhook)`,
      [DELIVERY_HEADER]: d.id.replace(/[^\x21-\x7e]/g, '?').slice(0, 200),
      [TIMESTAMP_HEADER]: String(timestamp),
      [SIGNATURE_HEADER]: signWebhook(d.secret, timestamp, body),
      'X-Keywatch-Event': d.message.kind,
      Connection: 'close',
    };
    return this.post(target.url, target.addresses, headers, body, deadline);
  }

  private post(url: URL, addresses: ResolvedAddress[], headers: Record<string, string>, body: Buffer, deadline: AbortSignal): Promise<DeliveryResult> {
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise<DeliveryResult>((resolve) => {
      let settled = false;
      let status: DeliveryResult | undefined;
      const finish = (r: DeliveryResult) => {
        if (settled) return;
        settled = true;
        this.inFlight.delete(req);
        req.destroy();
        resolve(r);
      };
      const req = mod.request(url, {
        method: 'POST',
        headers,
        agent: false,
        lookup: pinnedLookup(addresses),
        signal: deadline,
        ...(url.protocol === 'https:' ? { ca: this.ca, rejectUnauthorized: true, minVersion: 'TLSv1.2' as const } : {}),
      });
      this.inFlight.add(req);
      req.on('response', (res) => {
        status = classifyHttpStatus(res.statusCode ?? 0, res.headers, this.now());
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          // Enough: the status decided already, the rest of a huge body is not worth reading.
          if (read > this.maxResponseBytes) finish(status!);
        });
        res.on('end', () => finish(status!));
        res.on('error', () => finish(status!));
        res.on('close', () => finish(status!));
      });
      req.on('error', (e) => {
        // A deadline after the status line arrived still leaves the status as the answer.
        if (status) return finish(status);
        const timedOut = deadline.aborted;
        finish({ ok: false, permanent: false, error: timedOut ? `no answer within ${this.timeoutMs} ms` : `request failed: ${errorLine(e)}` });
      });
      req.end(body);
    });
  }

  close(): Promise<void> {
    for (const r of this.inFlight) r.destroy();
    this.inFlight.clear();
    return Promise.resolve();
  }
}
