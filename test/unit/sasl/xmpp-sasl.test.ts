// SCRAM over an XMPP stream against scripted direct-TLS servers on loopback: an honest server
// whose SCRAM side is written here with Node's crypto directly (not keywatch's SCRAM code) and
// which checks tls-unique against its own view of the TLS session, and hostile ones. Every
// hostile answer must come back as a result, never a throw or a hang, and the proof must never
// be sent when the exchange is already wrong.
import assert from 'node:assert/strict';
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { TLSSocket } from 'node:tls';
import { createBudget } from '../../../src/probe/bounded.ts';
import { bindingData } from '../../../src/sasl/channel-binding.ts';
import { ssdpHash } from '../../../src/sasl/downgrade-protection.ts';
import { ScramClient } from '../../../src/sasl/scram.ts';
import { openSaslSession, scramLogin, type LoginResult } from '../../../src/sasl/xmpp-sasl.ts';
import { makePki, type TestPki } from '../probe/servers.ts';

let pki: TestPki;
before(async () => {
  pki = await makePki();
});
after(() => pki.cleanup());

const USER = 'canary';
const PASSWORD = 'correct horse battery staple';
const SALT = randomBytes(16);
const ITER = 4096;
const salted = pbkdf2Sync(PASSWORD, SALT, ITER, 32, 'sha256');
const hmac = (k: Buffer, m: string) => createHmac('sha256', k).update(m).digest();
const clientKey = hmac(salted, 'Client Key');
const storedKey = createHash('sha256').update(clientKey).digest();
const serverKey = hmac(salted, 'Server Key');

interface Conn {
  tls: TLSSocket;
  /** The next element whose name matches, with its text. */
  next(name: string): Promise<{ attrs: string; text: string }>;
  send(xml: string): void;
  /** What the client sent over the whole connection. */
  received(): string;
}

const MECHS = ['SCRAM-SHA-256', 'SCRAM-SHA-256-PLUS'];
const features = (mechs = MECHS, extra = '') =>
  `<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${mechs.map((m) => `<mechanism>${m}</mechanism>`).join('')}</mechanisms>${extra}</stream:features>`;

/** A direct-TLS XMPP server: header and features, then `script` runs the SASL side. */
async function xmppServer(script: (c: Conn) => Promise<void>, o: { features?: string; maxVersion?: 'TLSv1.2' | 'TLSv1.3' } = {}): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((raw) => {
    raw.on('error', () => undefined);
    const tls = new TLSSocket(raw, { isServer: true, key: pki.full.key, cert: pki.full.cert, ...(o.maxVersion ? { maxVersion: o.maxVersion } : {}) });
    tls.on('error', () => undefined);
    let buf = '';
    let all = '';
    let wake: (() => void) | undefined;
    tls.on('data', (b: Buffer) => {
      buf += b.toString('utf8');
      all += b.toString('utf8');
      wake?.();
    });
    const next = async (name: string) => {
      // The stream header is an open tag; everything else is a whole element.
      const re = name === 'stream:stream' ? /<stream:stream\b([^>]*)>()/ : new RegExp(`<${name}\\b([^>]*?)(?:/>|>([\\s\\S]*?)</${name}>)`);
      for (;;) {
        const m = re.exec(buf);
        if (m) {
          buf = buf.slice(m.index + m[0].length);
          return { attrs: m[1] ?? '', text: m[2] ?? '' };
        }
        await new Promise<void>((r) => (wake = r));
      }
    };
    const conn: Conn = { tls, next, send: (x) => void tls.write(x), received: () => all };
    void (async () => {
      await next('stream:stream');
      conn.send(`<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='t1' from='example.test' version='1.0'>${o.features ?? features()}`);
      await script(conn);
    })().catch(() => tls.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: string) => Buffer.from(s.trim(), 'base64').toString('utf8');

/**
 * The honest SCRAM-SHA-256(-PLUS) server side: checks the proof, and for p=tls-unique the
 * binding data against its own view (the client's Finished = getPeerFinished on the server).
 */
async function honest(c: Conn, o: { serverFirstExtra?: string; tamper?: 'signature' | 'no-signature' } = {}): Promise<void> {
  const auth = await c.next('auth');
  const first = unb64(auth.text);
  const m = /^((?:p=([^,]+)|[ny]),,)(n=[^,]+,r=([^,]+))$/.exec(first);
  if (!m) return c.send("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><malformed-request/></failure>");
  const [, gs2, cbType, bare, cnonce] = m;
  const nonce = `${cnonce}${randomBytes(8).toString('hex')}`;
  const serverFirst = `r=${nonce},s=${SALT.toString('base64')},i=${ITER}${o.serverFirstExtra ?? ''}`;
  c.send(`<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${b64(serverFirst)}</challenge>`);
  const resp = unb64((await c.next('response')).text);
  const fm = /^(c=([^,]*),r=([^,]*)),p=(.*)$/.exec(resp)!;
  const cbData = cbType === 'tls-unique' ? c.tls.getPeerFinished()! : Buffer.alloc(0);
  if (!Buffer.from(fm[2]!, 'base64').equals(Buffer.concat([Buffer.from(gs2!), cbData]))) {
    return c.send(`<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/><text>Invalid channel binding</text></failure>`);
  }
  const authMessage = `${bare},${serverFirst},${fm[1]}`;
  const sig = hmac(storedKey, authMessage);
  const proof = Buffer.from(fm[4]!, 'base64');
  const ck = Buffer.from(proof.map((x, i) => x ^ sig[i]!));
  if (proof.length !== sig.length || !timingSafeEqual(createHash('sha256').update(ck).digest(), storedKey)) {
    return c.send("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>");
  }
  const v = o.tamper === 'signature' ? randomBytes(32).toString('base64') : hmac(serverKey, authMessage).toString('base64');
  c.send(o.tamper === 'no-signature' ? "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>" : `<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${b64(`v=${v}`)}</success>`);
}

async function login(port: number, o: { binding: 'tls-unique' | 'n' | 'y'; mechanism?: string; maxVersion?: 'TLSv1.2'; timeoutMs?: number; maxBytes?: number }): Promise<{ r: LoginResult; channelBindings?: string[] }> {
  const s = await openSaslSession({ address: '127.0.0.1', port, protocol: 'xmpps-c2s', serviceDomain: 'example.test', ...(o.maxVersion ? { maxVersion: o.maxVersion } : {}) }, createBudget(o.timeoutMs ?? 5000, o.maxBytes ?? 1 << 20));
  try {
    let binding: ConstructorParameters<typeof ScramClient>[0]['binding'] = { flag: o.binding === 'y' ? 'y' : 'n' };
    if (o.binding === 'tls-unique') {
      const d = bindingData(s.tls, 'tls-unique');
      assert.ok(d.ok, JSON.stringify(d));
      binding = { flag: 'p', type: 'tls-unique', data: d.data };
    }
    const mechanism = o.mechanism ?? (o.binding === 'tls-unique' ? 'SCRAM-SHA-256-PLUS' : 'SCRAM-SHA-256');
    const scram = new ScramClient({ hash: 'SHA-256', username: USER, credentials: { password: PASSWORD }, binding });
    const r = await scramLogin(s, { mechanism, scram, advertised: { mechanisms: s.features.mechanisms, channelBindings: undefined } });
    return { r };
  } finally {
    await s.close();
  }
}

describe('SCRAM over XMPP against a server written independently', () => {
  it('TLS 1.2 with tls-unique: the server checks the binding against its own view and keywatch verifies v=', async () => {
    const srv = await xmppServer((c) => honest(c), { maxVersion: 'TLSv1.2' });
    try {
      const { r } = await login(srv.port, { binding: 'tls-unique' });
      assert.equal(r.outcome, 'success', JSON.stringify(r));
      assert.equal(r.outcome === 'success' && r.iterations, ITER);
    } finally {
      await srv.close();
    }
  });

  it('a wrong password is a failure at client-final, not an error', async () => {
    const srv = await xmppServer((c) => honest(c), { maxVersion: 'TLSv1.2' });
    try {
      const s = await openSaslSession({ address: '127.0.0.1', port: srv.port, protocol: 'xmpps-c2s', serviceDomain: 'example.test' }, createBudget(5000, 1 << 20));
      const scram = new ScramClient({ hash: 'SHA-256', username: USER, credentials: { password: 'wrong' }, binding: { flag: 'n' } });
      const r = await scramLogin(s, { mechanism: 'SCRAM-SHA-256', scram, advertised: { mechanisms: MECHS, channelBindings: undefined } });
      await s.close();
      assert.deepEqual(r.outcome === 'failure' && [r.stage, r.failure.condition], ['client-final', 'not-authorized']);
    } finally {
      await srv.close();
    }
  });

  it('a server that cannot prove the server key (bad v=, or none) is reported, not trusted', async () => {
    for (const tamper of ['signature', 'no-signature'] as const) {
      const srv = await xmppServer((c) => honest(c, { tamper }));
      try {
        const { r } = await login(srv.port, { binding: 'n' });
        assert.equal(r.outcome, 'bad-server-signature', `${tamper}: ${JSON.stringify(r)}`);
      } finally {
        await srv.close();
      }
    }
  });

  it('XEP-0474: a matching h= passes; a hash of other lists (features tampered on the way) stops before the proof', async () => {
    const good = `,h=${ssdpHash('0.4', 'SHA-256', MECHS, undefined)}`;
    const srv = await xmppServer((c) => honest(c, { serverFirstExtra: good }));
    try {
      const { r } = await login(srv.port, { binding: 'n' });
      assert.deepEqual(r.outcome === 'success' && r.ssdp, { state: 'match', format: '0.4' });
    } finally {
      await srv.close();
    }
    // The server hashes what it sent (with -PLUS); the client was shown a list without it.
    let sawResponse = false;
    const tampered = await xmppServer(
      async (c) => {
        const p = honest(c, { serverFirstExtra: `,d=${ssdpHash('0.3', 'SHA-256', [...MECHS, 'SCRAM-SHA-512-PLUS'], undefined)}` });
        await p;
        sawResponse = /<response/.test(c.received());
      },
    );
    try {
      const { r } = await login(tampered.port, { binding: 'n' });
      assert.equal(r.outcome, 'ssdp-mismatch', JSON.stringify(r));
      assert.equal(r.outcome === 'ssdp-mismatch' && r.ssdp.state === 'mismatch' && r.ssdp.format, '0.3');
      assert.equal(sawResponse, false, 'no proof was sent');
    } finally {
      await tampered.close();
    }
  });
});

describe('hostile SASL answers', () => {
  const cases: Array<{ name: string; reply: (c: Conn, clientFirst: string) => void; expect: (r: LoginResult) => void }> = [
    {
      name: 'a nonce that does not extend ours',
      reply: (c) => c.send(`<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${b64('r=notyours123,s=c2FsdA==,i=4096')}</challenge>`),
      expect: (r) => assert.deepEqual(r.outcome === 'error' && r.code, 'nonce-mismatch'),
    },
    {
      name: 'a billion iterations',
      reply: (c, first) => c.send(`<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${b64(`r=${/r=([^,]+)$/.exec(first)![1]}x,s=c2FsdA==,i=1000000000`)}</challenge>`),
      expect: (r) => assert.deepEqual(r.outcome === 'error' && r.code, 'iterations-out-of-range'),
    },
    {
      name: 'a challenge that is not base64',
      reply: (c) => c.send("<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>!!not base64!!</challenge>"),
      expect: (r) => assert.equal(r.outcome, 'error'),
    },
    {
      name: 'an e= error as the challenge',
      reply: (c) => c.send(`<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${b64('e=other-error')}</challenge>`),
      expect: (r) => assert.deepEqual(r.outcome === 'failure' && r.serverError, 'other-error'),
    },
    {
      name: 'success straight after <auth/> (no SCRAM exchange at all)',
      reply: (c) => c.send("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"),
      expect: (r) => assert.equal(r.outcome, 'error'),
    },
    {
      name: 'a stream error',
      reply: (c) => c.send("<stream:error><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>"),
      expect: (r) => assert.match(r.outcome === 'error' ? r.message : '', /stream error <policy-violation\/>/),
    },
    {
      name: 'the connection closed',
      reply: (c) => c.tls.destroy(),
      expect: (r) => assert.equal(r.outcome, 'error'),
    },
  ];
  for (const k of cases) {
    it(k.name, async () => {
      const srv = await xmppServer(async (c) => {
        const auth = await c.next('auth');
        k.reply(c, unb64(auth.text));
        await c.next('abort').catch(() => undefined);
        c.send("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><aborted/></failure>");
      });
      try {
        const { r } = await login(srv.port, { binding: 'n' });
        k.expect(r);
      } finally {
        await srv.close();
      }
    });
  }

  it('endless XML after <auth/> stops at the byte limit, quickly', async () => {
    const srv = await xmppServer(async (c) => {
      await c.next('auth');
      c.send('<challenge>');
      const chunk = 'A'.repeat(65536);
      const pump = () => {
        while (!c.tls.destroyed && c.tls.write(chunk));
        if (!c.tls.destroyed) c.tls.once('drain', pump);
      };
      pump();
    });
    try {
      const t0 = performance.now();
      const { r } = await login(srv.port, { binding: 'n', maxBytes: 256 * 1024, timeoutMs: 20_000 });
      assert.equal(r.outcome, 'error');
      assert.match(r.outcome === 'error' ? r.message : '', /byte|limit|bytes/i);
      assert.ok(performance.now() - t0 < 5000);
    } finally {
      await srv.close();
    }
  });

  it('silence after <auth/> stops at the time limit', async () => {
    const srv = await xmppServer(async (c) => {
      await c.next('auth');
    });
    try {
      const { r } = await login(srv.port, { binding: 'n', timeoutMs: 800 });
      assert.equal(r.outcome, 'error');
    } finally {
      await srv.close();
    }
  });

  it('refuses a mechanism name that is not one', async () => {
    const srv = await xmppServer(async (c) => void (await c.next('auth')));
    try {
      const { r } = await login(srv.port, { binding: 'n', mechanism: "SCRAM'/><evil" });
      assert.equal(r.outcome, 'error');
    } finally {
      await srv.close();
    }
  });
});
