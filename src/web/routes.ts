// The web pages' routes, served by the same HTTP server as the JSON API (src/service/api.ts asks
// `webRoute` first). Pages: `/` (the form), `/d/:domain` (also `/domains/:domain`, the links in
// messages), `/d/:domain/history`, `/badge/:domain.svg`, and the confirm/unsubscribe pages, which
// act only on a POST (mail scanners open links). Every POST carries a CSRF token bound to a cookie.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorText } from '../service/log.ts';
import { findDomain } from '../service/store/domains.ts';
import { SubscriptionError } from '../service/subscribers.ts';
import { normalizeDomain, normalizeService, TargetError } from '../service/targets.ts';
import { domainView, historyView } from '../service/views.ts';
import type { WatchService } from '../service/service.ts';
import { badgeSvg } from './badge.ts';
import { Csrf } from './csrf.ts';
import { html } from './html.ts';
import { CSS_HASH, domainPath, homePage, historyPage, messagePage, resultPage, tokenPage } from './pages.ts';

const MAX_FORM = 8 * 1024;

export const PAGE_CSP = `default-src 'none'; style-src ${CSS_HASH}; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`;
const BADGE_CSP = "default-src 'none'; style-src 'unsafe-inline'";

export interface WebContext {
  svc: WatchService;
  csrf: Csrf;
  clientAddress(req: IncomingMessage): string;
}

export function webContext(svc: WatchService, clientAddress: (req: IncomingMessage) => string): WebContext {
  return { svc, csrf: new Csrf(svc.config.publicUrl.startsWith('https:')), clientAddress };
}

function page(res: ServerResponse, status: number, body: string, extra: Record<string, string | string[]> = {}): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'content-security-policy': PAGE_CSP,
    ...extra,
  });
  res.end(body);
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { location, 'cache-control': 'no-store', 'content-length': 0, 'referrer-policy': 'no-referrer' });
  res.end();
}

class FormError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') throw new FormError(415, 'This address takes a form (application/x-www-form-urlencoded).');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM) throw new FormError(413, 'The form is too large.');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

const wantsHtml = (req: IncomingMessage) => {
  const accept = String(req.headers.accept ?? '');
  return accept.includes('text/html') && !accept.includes('application/json');
};

const TARGET_STATUS: Record<TargetError['code'], number> = { 'invalid-domain': 400, 'invalid-service': 400, 'private-target': 403, 'no-endpoints': 422, 'dns-failed': 502 };
const SUBSCRIPTION_STATUS: Record<SubscriptionError['code'], number> = { 'invalid-target': 400, 'channel-unavailable': 400, 'rate-limited': 429, 'unknown-token': 404, 'expired-token': 410 };

/** Serve the request if it is for a page; false when the JSON API should handle it. */
export async function webRoute(ctx: WebContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
  const path = url.pathname;
  const method = req.method ?? 'GET';
  const isPage =
    path === '/' ||
    path === '/check' ||
    path === '/confirm' ||
    path === '/unsubscribe' ||
    /^\/(d|domains)\/[^/]+(\/history|\/subscribe)?$/.test(path) ||
    /^\/badge\/[^/]+\.svg$/.test(path) ||
    ((path === '/api/confirm' || path === '/api/unsubscribe') && method === 'GET' && wantsHtml(req));
  if (!isPage) return false;
  try {
    await servePage(ctx, req, res, url, method);
  } catch (e) {
    if (res.headersSent) {
      res.destroy();
      return true;
    }
    const [status, text] =
      e instanceof FormError ? [e.status, e.message] : e instanceof TargetError ? [TARGET_STATUS[e.code], e.message] : e instanceof SubscriptionError ? [SUBSCRIPTION_STATUS[e.code], e.message] : [500, 'Something went wrong on our side; the log has the details.'];
    if (status === 500) ctx.svc.log.error({ event: 'http-error', method, path, error: errorText(e) }, 'page failed');
    page(res, status, messagePage(status === 500 ? 'Something went wrong' : 'That did not work', text, { href: '/', label: 'Check a domain' }));
  }
  return true;
}

async function servePage(ctx: WebContext, req: IncomingMessage, res: ServerResponse, url: URL, method: string): Promise<void> {
  const { svc, csrf } = ctx;
  const path = url.pathname;
  const only = (...methods: string[]) => {
    if (!methods.includes(method)) throw new FormError(405, `${path} takes ${methods.join(' or ')}.`);
  };
  const session = () => {
    const s = csrf.session(req);
    const headers: Record<string, string> = s.setCookie ? { 'set-cookie': s.setCookie } : {};
    return { value: s.value, headers };
  };
  const requireToken = (form: string, token: string | null) => {
    if (!csrf.check(req, form, token)) throw new FormError(403, 'The form expired or did not come from this site. Go back, reload the page and try again.');
  };
  const rateLimit = () => {
    const r = svc.limiter.take(ctx.clientAddress(req));
    if (!r.ok) throw new FormError(429, `Too many requests from this address; try again in ${Math.max(1, Math.ceil(r.retryAfterMs / 1000))} seconds.`);
  };

  if (path === '/') {
    only('GET', 'HEAD');
    const s = session();
    return page(res, 200, homePage({ token: csrf.token(s.value, 'check') }), s.headers);
  }
  if (path === '/check') {
    only('POST');
    const form = await readForm(req);
    requireToken('check', form.get('csrf'));
    const domain = form.get('domain') ?? '';
    const service = form.get('service') ?? 'xmpp';
    try {
      rateLimit();
      const { row } = await svc.watch(domain.trim(), service);
      return redirect(res, domainPath(row.name, row.service));
    } catch (e) {
      if (!(e instanceof TargetError) && !(e instanceof FormError)) throw e;
      const s = session();
      return page(res, e instanceof FormError ? e.status : TARGET_STATUS[e.code], homePage({ token: csrf.token(s.value, 'check'), error: e.message, domain, service }), s.headers);
    }
  }
  if (path === '/confirm' || path === '/unsubscribe' || path === '/api/confirm' || path === '/api/unsubscribe') {
    const kind = path.endsWith('confirm') && !path.endsWith('unsubscribe') ? 'confirm' : 'unsubscribe';
    if (method === 'GET' || method === 'HEAD') {
      const token = url.searchParams.get('token') ?? '';
      const s = session();
      return page(res, 200, tokenPage(kind, token, csrf.token(s.value, kind)), s.headers);
    }
    only('POST');
    const form = await readForm(req);
    requireToken(kind, form.get('csrf'));
    if (kind === 'confirm') {
      const r = await svc.subscribers.confirm(form.get('token'));
      return page(res, 200, messagePage('Subscription confirmed', `${r.target} will get keywatch alerts about ${r.domain} (${r.service}).`, { href: domainPath(r.domain, r.service), label: `The state of ${r.domain}` }));
    }
    const r = await svc.subscribers.unsubscribeByToken(form.get('token'));
    return page(res, 200, messagePage('Unsubscribed', `${r.target} will get no more keywatch messages about ${r.domain} (${r.service}).`, { href: domainPath(r.domain, r.service), label: `The state of ${r.domain}` }));
  }

  const badge = /^\/badge\/([^/]+)\.svg$/.exec(path);
  if (badge) {
    only('GET', 'HEAD');
    let label = 'keywatch';
    let state = 'not watched';
    try {
      const name = normalizeDomain(decodeURIComponent(badge[1]!), true);
      const row = await findDomain(svc.store.db, name, normalizeService(url.searchParams.get('service')));
      label = name;
      if (row && row.active === 1) state = row.status;
    } catch (e) {
      if (!(e instanceof TargetError) && !(e instanceof URIError)) throw e;
    }
    const svg = badgeSvg(label, state);
    res.writeHead(200, {
      'content-type': 'image/svg+xml; charset=utf-8',
      'content-length': Buffer.byteLength(svg),
      'cache-control': 'public, max-age=300',
      'x-content-type-options': 'nosniff',
      'content-security-policy': BADGE_CSP,
      'referrer-policy': 'no-referrer',
    });
    res.end(method === 'HEAD' ? undefined : svg);
    return;
  }

  const m = /^\/(?:d|domains)\/([^/]+)(\/history|\/subscribe)?$/.exec(path)!;
  let name: string;
  try {
    name = normalizeDomain(decodeURIComponent(m[1]!), true);
  } catch (e) {
    throw e instanceof TargetError ? e : new FormError(400, 'That is not a domain name.');
  }
  const service = normalizeService(url.searchParams.get('service'));
  const row = await findDomain(svc.store.db, name, service);
  if (!row || row.active !== 1) {
    const s = session();
    return page(res, 404, homePage({ token: csrf.token(s.value, 'check'), error: `${name} (${service}) is not watched yet. Check it to start watching it.`, domain: name, service }), s.headers);
  }
  const emailOffered = svc.notifiers.has('email');
  if (m[2] === '/subscribe') {
    only('POST');
    const form = await readForm(req);
    requireToken(`subscribe:${row.id}`, form.get('csrf'));
    rateLimit();
    if (!emailOffered) throw new FormError(400, 'This service does not send email alerts.');
    const r = await svc.subscribers.subscribe(row, 'email', form.get('email') ?? '', 'api');
    const s = session();
    const notice =
      r.status === 'already-subscribed'
        ? html`<p>That address is already subscribed to ${row.name}.</p>`
        : html`<p><strong>Check your mail.</strong> We sent a confirmation link to ${form.get('email') ?? ''}; alerts start once you open it and press the button.</p>`;
    return page(res, 202, resultPage({ view: await domainView(svc.store, row, svc.links), subscribeToken: csrf.token(s.value, `subscribe:${row.id}`), notice, publicUrl: svc.config.publicUrl }), s.headers);
  }
  only('GET', 'HEAD');
  if (m[2] === '/history') {
    const beforeText = url.searchParams.get('before');
    const before = beforeText ? Date.parse(beforeText) : undefined;
    if (before !== undefined && Number.isNaN(before)) throw new FormError(400, 'before: must be an ISO 8601 time.');
    const v = await historyView(svc.store, row, 50, before);
    const older = v.next ? `${domainPath(row.name, row.service, '/history')}${row.service === 'xmpp' ? '?' : '&'}before=${encodeURIComponent(v.next)}` : null;
    return page(res, 200, historyPage(v, older));
  }
  const s = session();
  return page(res, 200, resultPage({ view: await domainView(svc.store, row, svc.links), ...(emailOffered ? { subscribeToken: csrf.token(s.value, `subscribe:${row.id}`) } : {}), publicUrl: svc.config.publicUrl }), s.headers);
}
