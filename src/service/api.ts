// The HTTP side (node:http): /healthz, /metrics, and the JSON API the web pages and other tools
// use. Every answer is JSON (`{error, message}` on failure) with no-store caching and nosniff;
// request bodies are capped; adding domains and subscribing are rate-limited per client address.
// docs/SERVICE.md documents each route.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CANARY_STATUS, CanaryError, canaryRoute } from './canary-store.ts';
import { errorText } from './log.ts';
import { findDomain, listDomains } from './store/domains.ts';
import { PROOF_STATUS, ProofError, proofRoute, requireWebhookProof } from './proof.ts';
import { SubscriptionError } from './subscribers.ts';
import { normalizeDomain, normalizeService, TargetError } from './targets.ts';
import { domainView, historyView } from './views.ts';
import type { WatchService } from './service.ts';
import { webContext, webRoute } from '../web/routes.ts';

const MAX_BODY = 16 * 1024;

export interface ApiServer {
  server: Server;
  url: string;
  /** Stop accepting connections (shutdown begins); /healthz answers 503 from now on. */
  stopAccepting(): void;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const TARGET_STATUS: Record<TargetError['code'], number> = { 'invalid-domain': 400, 'invalid-service': 400, 'private-target': 403, 'no-endpoints': 422, 'dns-failed': 502 };
const SUBSCRIPTION_STATUS: Record<SubscriptionError['code'], number> = { 'invalid-target': 400, 'channel-unavailable': 400, 'rate-limited': 429, 'unknown-token': 404, 'expired-token': 410 };

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    ...headers,
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json' && type !== 'application/x-www-form-urlencoded') throw new HttpError(415, 'unsupported-media-type', 'send application/json (or a form, application/x-www-form-urlencoded)');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new HttpError(413, 'body-too-large', `the request body is limited to ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (type === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(text));
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, 'invalid-json', `the body is not JSON: ${errorText(e)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new HttpError(400, 'invalid-json', 'the body must be a JSON object');
  return parsed as Record<string, unknown>;
}

function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const fwd = req.headers['x-forwarded-for'];
    const last = (Array.isArray(fwd) ? fwd.join(',') : (fwd ?? '')).split(',').map((s) => s.trim()).filter(Boolean).pop();
    if (last) return last;
  }
  return req.socket.remoteAddress ?? 'unknown';
}

function positive(text: string | null, what: string, max: number, def: number): number {
  if (text === null || text === '') return def;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new HttpError(400, 'invalid-parameter', `${what}: must be a whole number from 1 to ${max}`);
  return n;
}

export async function startApi(svc: WatchService): Promise<ApiServer> {
  const c = svc.config;
  let accepting = true;
  const web = webContext(svc, (req) => clientAddress(req, c.trustProxy));

  const rateLimit = (req: IncomingMessage) => {
    const r = svc.limiter.take(clientAddress(req, c.trustProxy));
    if (!r.ok) {
      const secs = Math.max(1, Math.ceil(r.retryAfterMs / 1000));
      throw new HttpError(429, 'rate-limited', `too many requests from this address; try again in ${secs} s`, { 'retry-after': String(secs) });
    }
  };

  const domainOf = async (raw: string, url: URL) => {
    let name: string;
    try {
      name = normalizeDomain(decodeURIComponent(raw), true);
    } catch (e) {
      throw e instanceof TargetError ? e : new HttpError(400, 'invalid-domain', 'domain: not a domain name');
    }
    const service = normalizeService(url.searchParams.get('service'));
    const row = await findDomain(svc.store.db, name, service);
    if (!row || row.active !== 1) throw new HttpError(404, 'not-watched', `${name} (${service}) is not watched; POST /api/domains to add it`);
    return row;
  };

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://keywatch.invalid');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    // The HTML pages (src/web) first; everything else is the JSON API.
    if (await webRoute(web, req, res, url)) return;
    const only = (...methods: string[]) => {
      if (!methods.includes(method)) throw new HttpError(405, 'method-not-allowed', `${path} takes ${methods.join(' or ')}`, { allow: methods.join(', ') });
    };

    if (path === '/healthz') {
      only('GET', 'HEAD');
      try {
        await svc.store.ping();
      } catch (e) {
        return send(res, 503, { status: 'unavailable', database: errorText(e) });
      }
      return send(res, accepting ? 200 : 503, { status: accepting ? 'ok' : 'stopping', database: 'ok', checksRunning: svc.scheduler.running, worker: c.workerId });
    }
    if (path === '/metrics') {
      only('GET');
      const text = await svc.metrics.text();
      res.writeHead(200, { 'content-type': svc.metrics.contentType, 'cache-control': 'no-store' });
      res.end(text);
      return;
    }
    if (path === '/api/domains') {
      if (method === 'GET') {
        const limit = positive(url.searchParams.get('limit'), 'limit', 500, 100);
        const offset = Number(url.searchParams.get('offset') ?? 0) || 0;
        const rows = await listDomains(svc.store.db, limit, Math.max(0, offset));
        return send(res, 200, { domains: rows.map((d) => ({ domain: d.name, service: d.service, status: d.status, lastCheckedAt: d.last_run_at === null ? null : new Date(d.last_run_at).toISOString(), url: svc.links.page(d.name, d.service) })) });
      }
      only('POST');
      const body = await readBody(req);
      rateLimit(req);
      let interval: number | undefined;
      if (body.intervalSeconds !== undefined && body.intervalSeconds !== '') {
        interval = Number(body.intervalSeconds);
        if (!Number.isFinite(interval) || interval <= 0) throw new HttpError(400, 'invalid-parameter', 'intervalSeconds: must be a positive number');
        if (interval < c.schedule.minIntervalSeconds) throw new HttpError(403, 'interval-too-short', `intervalSeconds: below ${c.schedule.minIntervalSeconds} s needs proof that you control the domain: watch it, prove control (POST /api/domains/DOMAIN/proof), then POST /api/domains/DOMAIN/interval`);
      }
      const { row, created } = await svc.watch(body.domain, body.service, interval);
      const view = await domainView(svc.store, row, svc.links);
      return send(res, created ? 202 : 200, view, { location: `/api/domains/${encodeURIComponent(row.name)}${row.service === 'xmpp' ? '' : `?service=${row.service}`}` });
    }
    // Proof of control (src/service/proof.ts): start, state, verify, and the interval it unlocks.
    const pm = /^\/api\/domains\/([^/]+)\/(proof|proof\/verify|interval)$/.exec(path);
    if (pm) {
      if (pm[2] === 'proof') only('GET', 'POST');
      else only('POST');
      if (method === 'POST') rateLimit(req);
      const key = req.headers['keywatch-proof-key'];
      const r = await proofRoute(svc, await domainOf(pm[1]!, url), pm[2]!, method, () => readBody(req), typeof key === 'string' ? key : undefined);
      return send(res, r.status, r.body);
    }
    // Canary accounts (src/service/canary-store.ts), gated by proof of control like the above.
    const cm = /^\/api\/domains\/([^/]+)\/canary$/.exec(path);
    if (cm) {
      only('GET', 'POST', 'DELETE');
      if (method !== 'GET') rateLimit(req);
      const key = req.headers['keywatch-proof-key'];
      const body = () => (method === 'DELETE' && !req.headers['content-type'] ? Promise.resolve({}) : readBody(req));
      const r = await canaryRoute(svc, await domainOf(cm[1]!, url), method, body, typeof key === 'string' ? key : undefined);
      return send(res, r.status, r.body);
    }
    const m = /^\/api\/domains\/([^/]+)(\/history)?$/.exec(path);
    if (m) {
      only('GET');
      const row = await domainOf(m[1]!, url);
      if (!m[2]) return send(res, 200, await domainView(svc.store, row, svc.links));
      const limit = positive(url.searchParams.get('limit'), 'limit', 500, 50);
      const beforeText = url.searchParams.get('before');
      const before = beforeText ? Date.parse(beforeText) : undefined;
      if (before !== undefined && Number.isNaN(before)) throw new HttpError(400, 'invalid-parameter', 'before: must be an ISO 8601 time (the `next` of the previous page)');
      return send(res, 200, await historyView(svc.store, row, limit, before));
    }
    if (path === '/api/subscriptions') {
      only('POST');
      const body = await readBody(req);
      rateLimit(req);
      const channel = body.channel === undefined ? 'email' : body.channel;
      if (channel !== 'email' && channel !== 'webhook') throw new HttpError(400, 'invalid-channel', 'channel: email or webhook (XMPP users subscribe by chatting with the bot, or to the PubSub node)');
      const { row } = await svc.watch(body.domain, body.service);
      if (channel === 'webhook') await requireWebhookProof(svc, row, body.proofKey);
      const r = await svc.subscribers.subscribe(row, channel, body.target, 'api');
      return send(res, r.status === 'already-subscribed' ? 200 : 202, { ...r, domain: row.name, service: row.service, channel, url: svc.links.page(row.name, row.service) });
    }
    if (path === '/api/confirm' || path === '/api/unsubscribe') {
      // GET for the link in a message; POST for RFC 8058 one-click unsubscribe (List-Unsubscribe-Post).
      only('GET', 'POST');
      const token = url.searchParams.get('token') ?? (method === 'POST' && req.headers['content-type'] ? (await readBody(req)).token : undefined);
      const r = path === '/api/confirm' ? await svc.subscribers.confirm(token) : await svc.subscribers.unsubscribeByToken(token);
      return send(res, 200, r);
    }
    throw new HttpError(404, 'not-found', `no route ${path}`);
  }

  const server = createServer((req, res) => {
    route(req, res).catch((e: unknown) => {
      if (res.headersSent) return res.destroy();
      if (e instanceof HttpError) return send(res, e.status, { error: e.code, message: e.message }, e.headers);
      if (e instanceof TargetError) return send(res, TARGET_STATUS[e.code], { error: e.code, message: e.message });
      if (e instanceof SubscriptionError) return send(res, SUBSCRIPTION_STATUS[e.code], { error: e.code, message: e.message });
      if (e instanceof ProofError) return send(res, PROOF_STATUS[e.code], { error: e.code, message: e.message });
      if (e instanceof CanaryError) return send(res, CANARY_STATUS[e.code], { error: e.code, message: e.message });
      svc.log.error({ event: 'http-error', method: req.method, path: req.url?.split('?')[0], error: errorText(e) }, 'request failed');
      send(res, 500, { error: 'internal', message: 'the request failed; the log has the details' });
    });
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  server.maxHeadersCount = 100;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(c.listen.port, c.listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  let closed: Promise<void> | undefined;
  return {
    server,
    url: `http://${host}:${addr.port}`,
    stopAccepting() {
      accepting = false;
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      });
      return closed;
    },
  };
}
