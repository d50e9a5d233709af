// The webhook notifier against real node:http(s) receivers on loopback (allowed by
// configuration): the signature as a receiver verifies it, the payload, what each answer means
// for the outbox, hostile receivers (silent, endless body, redirect), the address policy, and
// that the connection goes to the address that was checked.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { classifyHttpStatus, WebhookNotifier, webhookPayload, type WebhookConfig, type WebhookPayload } from '../../../src/notify/webhook.ts';
import { signWebhook, verifyWebhookSignature } from '../../../src/notify/webhook-signature.ts';
import type { HostResolver } from '../../../src/notify/webhook-target.ts';
import { makePki, type Pki } from '../dane/pki.ts';
import { delivery } from './fixtures.ts';

const SECRET = 'whsec-test-0123456789';

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

interface Receiver {
  port: number;
  url: (path?: string) => string;
  received: Received[];
  handler: Handler;
  close(): Promise<void>;
}

async function startReceiver(o: { tls?: { cert: string; key: string } } = {}): Promise<Receiver> {
  const received: Received[] = [];
  const r = { handler: ((_q, res) => res.end('ok')) as Handler };
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      r.handler(req, res, body);
    });
  };
  const server = o.tls ? https.createServer({ cert: o.tls.cert, key: o.tls.key }, onRequest) : http.createServer(onRequest);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: (path = '/hook') => `${o.tls ? 'https' : 'http'}://127.0.0.1:${port}${path}`,
    received,
    get handler() {
      return r.handler;
    },
    set handler(h: Handler) {
      r.handler = h;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let rx: Receiver;
before(async () => {
  rx = await startReceiver();
});
after(async () => {
  await rx.close();
});

const local: WebhookConfig = { allowPrivateAddresses: true, allowHttp: true, timeoutMs: 2000 };
const hook = (target: string, over: Parameters<typeof delivery>[2] = {}) => delivery('webhook', target, { secret: SECRET, ...over });

describe('webhook: what the receiver gets', () => {
  it('a signed JSON POST that verifies with the exported recipe, with the delivery id and timestamp', async () => {
    rx.handler = (_q, res) => res.writeHead(204).end();
    const n = new WebhookNotifier(local);
    const r = await n.send(hook(rx.url('/k?x=1'), { id: 'dlv-7', attempt: 3 }));
    assert.deepEqual(r, { ok: true });
    const got = rx.received.at(-1)!;
    assert.equal(got.method, 'POST');
    assert.equal(got.url, '/k?x=1');
    assert.equal(got.headers['content-type'], 'application/json');
    assert.equal(got.headers['x-keywatch-delivery'], 'dlv-7');
    const ts = got.headers['x-keywatch-timestamp'] as string;
    assert.match(ts, /^\d+$/);
    assert.ok(Math.abs(Number(ts) - Date.now() / 1000) < 5);
    const sig = got.headers['x-keywatch-signature'] as string;
    assert.match(sig, /^sha256=[0-9a-f]{64}$/);
    assert.deepEqual(verifyWebhookSignature({ secret: SECRET, body: got.body, timestamp: ts, signature: sig }), { ok: true });
    // The body as text verifies too (receivers that get a string).
    assert.deepEqual(verifyWebhookSignature({ secret: SECRET, body: got.body.toString('utf8'), timestamp: ts, signature: sig }), { ok: true });
    const p = JSON.parse(got.body.toString('utf8')) as WebhookPayload;
    assert.equal(p.version, 1);
    assert.equal(p.delivery, 'dlv-7');
    assert.equal(p.attempt, 3);
    assert.equal(String(p.timestamp), ts);
    assert.equal(p.kind, 'alert');
    assert.equal(p.domain, 'example.org');
    assert.equal(p.state?.findings[0]?.code, 'dane.key-differs-on-path');
    assert.equal(p.previousStatus, 'ok');
    assert.equal(p.links.unsubscribe, 'https://keywatch.example.net/u/tok-example.org?s=1&t=2');
    assert.ok(!got.body.toString('utf8').includes(SECRET), 'the secret is never in the body');
  });

  it('verification refuses a changed body, another secret, an old timestamp, and malformed headers', () => {
    const body = JSON.stringify(webhookPayload(hook('https://x.example/'), 1_700_000_000));
    const ts = '1700000000';
    const now = 1_700_000_000_000;
    const sig = signWebhook(SECRET, ts, body);
    assert.deepEqual(verifyWebhookSignature({ secret: SECRET, body, timestamp: ts, signature: sig, now }), { ok: true });
    assert.deepEqual(verifyWebhookSignature({ secret: SECRET, body: body.replace('alert', 'recovery'), timestamp: ts, signature: sig, now }), { ok: false, reason: 'signature-mismatch' });
    assert.deepEqual(verifyWebhookSignature({ secret: 'other', body, timestamp: ts, signature: sig, now }), { ok: false, reason: 'signature-mismatch' });
    // A key change: the old and the new secret are both accepted while it lasts.
    assert.deepEqual(verifyWebhookSignature({ secret: ['new-secret', SECRET], body, timestamp: ts, signature: sig, now }), { ok: true });
    // Replayed ten minutes later: outside the default five-minute window.
    assert.deepEqual(verifyWebhookSignature({ secret: SECRET, body, timestamp: ts, signature: sig, now: now + 600_000 }), { ok: false, reason: 'outside-window' });
    assert.deepEqual(verifyWebhookSignature({ secret: SECRET, body, timestamp: ts, signature: sig, now: now + 600_000, toleranceSeconds: 900 }), { ok: true });
    // The timestamp is signed: moving it forward breaks the signature.
    assert.deepEqual(verifyWebhookSignature({ secret: SECRET, body, timestamp: '1700000100', signature: sig, now }), { ok: false, reason: 'signature-mismatch' });
    assert.deepEqual(verifyWebhookSignature({ secret: SECRET, body, timestamp: undefined, signature: sig, now }), { ok: false, reason: 'missing-header' });
    assert.deepEqual(verifyWebhookSignature({ secret: SECRET, body, timestamp: '17e8', signature: sig, now }), { ok: false, reason: 'bad-timestamp' });
    assert.deepEqual(verifyWebhookSignature({ secret: SECRET, body, timestamp: ts, signature: sig.replace('sha256=', 'sha1='), now }), { ok: false, reason: 'bad-signature-format' });
    assert.deepEqual(verifyWebhookSignature({ secret: SECRET, body, timestamp: ts, signature: `${sig}00`, now }), { ok: false, reason: 'bad-signature-format' });
  });

  it('the signature is what openssl computes over "timestamp.body"', async () => {
    const { execFileSync } = await import('node:child_process');
    const body = '{"a":"é"}';
    const out = execFileSync('openssl', ['dgst', '-sha256', '-hmac', SECRET, '-r'], { input: `1700000000.${body}` }).toString().split(' ')[0];
    assert.equal(signWebhook(SECRET, 1_700_000_000, body), `sha256=${out}`);
  });
});

describe('webhook: answers and failures as the outbox needs them', () => {
  const statusOf = async (status: number, headers: Record<string, string> = {}) => {
    rx.handler = (_q, res) => res.writeHead(status, headers).end('body');
    return new WebhookNotifier(local).send(hook(rx.url()));
  };

  it('2xx delivered; 410 and other 4xx final; 429 and 5xx retried, honouring Retry-After', async () => {
    assert.deepEqual(await statusOf(200), { ok: true });
    assert.deepEqual(await statusOf(202), { ok: true });
    const gone = await statusOf(410);
    assert.equal(gone.permanent, true);
    assert.match(gone.error ?? '', /410/);
    assert.equal((await statusOf(404)).permanent, true);
    assert.equal((await statusOf(401)).permanent, true);
    const tooMany = await statusOf(429, { 'Retry-After': '120' });
    assert.equal(tooMany.ok, false);
    assert.equal(tooMany.permanent, false);
    assert.equal(tooMany.retryAfterMs, 120_000);
    const date = new Date(Date.now() + 3_600_000).toUTCString();
    const unavailable = await statusOf(503, { 'Retry-After': date });
    assert.equal(unavailable.permanent, false);
    assert.ok(unavailable.retryAfterMs! > 3_590_000 && unavailable.retryAfterMs! <= 3_600_000, String(unavailable.retryAfterMs));
    const err = await statusOf(500);
    assert.equal(err.permanent, false);
    assert.equal(err.retryAfterMs, undefined);
    assert.equal(classifyHttpStatus(408).permanent, false);
  });

  it('a redirect is not followed: final, and its target gets nothing', async () => {
    const other = await startReceiver();
    try {
      rx.handler = (_q, res) => res.writeHead(307, { Location: other.url('/elsewhere') }).end();
      const r = await new WebhookNotifier(local).send(hook(rx.url()));
      assert.equal(r.ok, false);
      assert.equal(r.permanent, true);
      assert.match(r.error ?? '', /redirect/);
      assert.equal(other.received.length, 0);
    } finally {
      await other.close();
    }
  });

  it('a receiver that never answers costs the deadline, then retry', async () => {
    rx.handler = () => undefined; // holds the request open
    const t0 = performance.now();
    const r = await new WebhookNotifier({ ...local, timeoutMs: 400 }).send(hook(rx.url()));
    const took = performance.now() - t0;
    assert.equal(r.ok, false);
    assert.equal(r.permanent, false);
    assert.match(r.error ?? '', /no answer within 400 ms/);
    assert.ok(took < 1500, `took ${took} ms`);
  });

  it('a huge or endless response body is not read beyond the limit; the status decides', async () => {
    let written = 0;
    let closedEarly = false;
    rx.handler = (_q, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const pump = () => {
        while (written < 512 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => (closedEarly = !res.writableFinished));
      pump();
    };
    const t0 = performance.now();
    const r = await new WebhookNotifier({ ...local, maxResponseBytes: 100_000 }).send(hook(rx.url()));
    assert.deepEqual(r, { ok: true });
    assert.ok(performance.now() - t0 < 1500);
    await new Promise((res) => setTimeout(res, 50));
    assert.ok(closedEarly, 'keywatch closed the connection');
    assert.ok(written < 64 * 1024 * 1024, `the receiver could write only ${written} bytes`);
  });

  it('a body that drips after a 5xx status line: the status decides, within the deadline', async () => {
    rx.handler = (_q, res) => {
      res.writeHead(503, { 'Retry-After': '30' });
      const t = setInterval(() => (res.writableEnded || res.destroyed ? clearInterval(t) : res.write('.')), 50);
      res.on('close', () => clearInterval(t));
    };
    const r = await new WebhookNotifier({ ...local, timeoutMs: 400 }).send(hook(rx.url()));
    assert.equal(r.ok, false);
    assert.equal(r.permanent, false);
    assert.equal(r.retryAfterMs, 30_000);
  });

  it('nothing listening → retry; no secret → final; not a delivery for this channel → final', async () => {
    const s = http.createServer();
    await new Promise<void>((res) => s.listen(0, '127.0.0.1', res));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((res) => s.close(() => res()));
    const refused = await new WebhookNotifier(local).send(hook(`http://127.0.0.1:${port}/`));
    assert.equal(refused.permanent, false);
    assert.match(refused.error ?? '', /ECONNREFUSED/);
    const noSecret = await new WebhookNotifier(local).send(delivery('webhook', rx.url()));
    assert.equal(noSecret.permanent, true);
    const wrong = await new WebhookNotifier(local).send(delivery('email', 'a@example.org', { secret: SECRET }));
    assert.equal(wrong.permanent, true);
  });
});

describe('webhook: where it may connect', () => {
  it('loopback and private targets are refused unless configured, whether literal or by name', async () => {
    const before = rx.received.length;
    const n = new WebhookNotifier({ allowHttp: true });
    const literal = await n.send(hook(rx.url()));
    assert.equal(literal.ok, false);
    assert.equal(literal.permanent, true);
    assert.match(literal.error ?? '', /127\.0\.0\.1 is loopback/);
    // `localhost` through the system resolver (/etc/hosts).
    const named = await n.send(hook(`http://localhost:${rx.port}/hook`));
    assert.equal(named.permanent, true);
    assert.match(named.error ?? '', /localhost resolves to .* loopback/);
    // A name with one public and one private address is refused as a whole.
    const mixed: HostResolver = () => Promise.resolve([{ address: '203.0.114.1', family: 4 }, { address: '10.1.2.3', family: 4 }]);
    const m = await new WebhookNotifier({}, { resolve: mixed }).send(hook('https://hook.example.com/x'));
    assert.equal(m.permanent, true);
    assert.match(m.error ?? '', /10\.1\.2\.3/);
    for (const bad of ['http://[::1]:1/x', 'https://[::ffff:127.0.0.1]/x', 'https://169.254.169.254/latest', 'https://0.0.0.0/']) {
      const r = await new WebhookNotifier({ allowHttp: true }).send(hook(bad));
      assert.equal(r.permanent, true, `${bad}: ${r.error}`);
      assert.match(r.error ?? '', /refused/, bad);
    }
    assert.equal(rx.received.length, before, 'no request reached the receiver');
  });

  it('http is refused unless allowed; URLs with credentials or other schemes are refused', async () => {
    const n = new WebhookNotifier({ allowPrivateAddresses: true });
    for (const bad of [rx.url(), 'ftp://example.org/x', 'https://user:pw@example.org/x', 'not a url']) {
      const r = await n.send(hook(bad));
      assert.equal(r.permanent, true, bad);
    }
  });

  it('the host is resolved once and the request goes to the checked address (no DNS rebinding)', async () => {
    let calls = 0;
    // First answer: the receiver's address. Any later answer: another address with nothing on it.
    const rebinding: HostResolver = () => Promise.resolve([{ address: calls++ === 0 ? '127.0.0.1' : '127.0.0.2', family: 4 }]);
    rx.handler = (_q, res) => res.end('ok');
    const r = await new WebhookNotifier(local, { resolve: rebinding }).send(hook(`http://hook.example.test:${rx.port}/pinned`));
    assert.deepEqual(r, { ok: true });
    assert.equal(calls, 1);
    const got = rx.received.at(-1)!;
    assert.equal(got.url, '/pinned');
    assert.equal(got.headers.host, `hook.example.test:${rx.port}`);
  });
});

describe('webhook over https', () => {
  let pki: Pki;
  let tlsRx: Receiver;
  before(async () => {
    pki = makePki();
    const chain = readFileSync(pki.leaf.pemFile, 'utf8') + readFileSync(pki.inter.pemFile, 'utf8');
    tlsRx = await startReceiver({ tls: { cert: chain, key: readFileSync(pki.leaf.keyFile, 'utf8') } });
  });
  after(async () => {
    await tlsRx.close();
    pki.cleanup();
  });
  const toLoopback: HostResolver = () => Promise.resolve([{ address: '127.0.0.1', family: 4 }]);

  it('verifies the receiver certificate for the URL host name, against the configured CA', async () => {
    const url = `https://xmpp.example.test:${tlsRx.port}/tls`;
    const ok = await new WebhookNotifier({ allowPrivateAddresses: true, caFile: pki.root.pemFile }, { resolve: toLoopback }).send(hook(url));
    assert.deepEqual(ok, { ok: true });
    const rogue = await new WebhookNotifier({ allowPrivateAddresses: true, caFile: pki.rogue.pemFile }, { resolve: toLoopback }).send(hook(url));
    assert.equal(rogue.ok, false);
    assert.equal(rogue.permanent, false);
    const wrongName = await new WebhookNotifier({ allowPrivateAddresses: true, caFile: pki.root.pemFile }, { resolve: toLoopback }).send(hook(`https://other.example.test:${tlsRx.port}/tls`));
    assert.equal(wrongName.ok, false);
    assert.match(wrongName.error ?? '', /altnames|certificate/i);
    assert.equal(tlsRx.received.length, 1);
  });
});
