// The bot's connection against scripted hostile or broken servers on loopback (plain TCP, no
// TLS): what it must never do (send a password on a clear stream) and what it must survive (an
// endless stanza). The lab's Prosody covers the normal path (test/integration/notify-xmpp.test.ts).
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { Deferred } from '@xmpp/events';
import type { NotifyLog } from '../../../src/notify/log.ts';
import { XmppConfigError, XmppConnection } from '../../../src/notify/xmpp-connection.ts';

const HEADER = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='example.org' version='1.0'>";

interface Scripted {
  port: number;
  received: () => string;
  closed: Promise<void>;
  server: Server;
}

/** A server that answers the stream header with `onOpen`'s bytes and records what the client sends. */
async function scripted(onOpen: (s: Socket) => void): Promise<Scripted> {
  let data = '';
  let opened = false;
  let closedResolve!: () => void;
  const closed = new Promise<void>((r) => (closedResolve = r));
  const server = createServer((s) => {
    s.on('data', (b: Buffer) => {
      data += b.toString('utf8');
      if (!opened && data.includes('<stream:stream')) {
        opened = true;
        onOpen(s);
      }
    });
    s.on('error', () => undefined);
    s.on('close', () => closedResolve());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, received: () => data, closed, server };
}

const servers: Server[] = [];
after(() => {
  for (const s of servers) s.close();
});

function collect(): { log: NotifyLog; lines: string[] } {
  const lines: string[] = [];
  const push = (f: object, m: string) => lines.push(`${m} ${JSON.stringify(f)}`);
  return { lines, log: { debug: push, info: push, warn: push, error: push } };
}

const PASSWORD = 'correct horse battery staple';

describe('XMPP connection: never the password on a clear stream', () => {
  it('a server offering SASL PLAIN without STARTTLS gets no <auth/>, and the attempt fails with a reason', async () => {
    const srv = await scripted((s) => s.write(`${HEADER}<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>`));
    servers.push(srv.server);
    const { log, lines } = collect();
    const c = new XmppConnection({ jid: 'bot@example.org', password: PASSWORD, service: `xmpp://127.0.0.1:${srv.port}`, timeoutMs: 1000, reconnect: { baseMs: 5000, capMs: 5000, maxRetryAfterMs: 5000 } }, { log });
    c.start();
    await assert.rejects(c.waitOnline(1500), /before TLS/);
    await c.stop();
    assert.ok(!srv.received().includes('<auth'), srv.received());
    assert.ok(!srv.received().includes(Buffer.from(`\0bot\0${PASSWORD}`).toString('base64')));
    assert.ok(!lines.some((l) => l.includes(PASSWORD)));
  });
});

describe('XMPP connection: bounded', () => {
  it('a stanza that never ends costs at most the byte budget: stream error, connection closed', async () => {
    const srv = await scripted((s) => {
      s.write(`${HEADER}<stream:features>`);
      const chunk = 'x'.repeat(16 * 1024);
      let sent = 0;
      const pump = () => {
        while (sent < 64 * 1024 * 1024 && !s.destroyed) {
          sent += chunk.length;
          if (!s.write(chunk)) return void s.once('drain', pump);
        }
      };
      pump();
    });
    servers.push(srv.server);
    const { log, lines } = collect();
    const c = new XmppConnection({ jid: 'bot@example.org', password: PASSWORD, service: `xmpp://127.0.0.1:${srv.port}`, maxStanzaBytes: 64 * 1024, timeoutMs: 2000, reconnect: { baseMs: 5000, capMs: 5000, maxRetryAfterMs: 5000 } }, { log });
    c.start();
    const t0 = performance.now();
    await srv.closed;
    assert.ok(performance.now() - t0 < 3000);
    assert.match(srv.received(), /policy-violation/);
    assert.ok(lines.some((l) => l.includes('stanza too large')), lines.join('\n'));
    await c.stop();
  });

  it('reconnects with back-off after the server closes, until stopped', async () => {
    let connections = 0;
    const server = createServer((s) => {
      connections++;
      s.destroy();
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const c = new XmppConnection({ jid: 'bot@example.org', password: PASSWORD, service: `xmpp://127.0.0.1:${port}`, timeoutMs: 500, reconnect: { baseMs: 50, capMs: 100, maxRetryAfterMs: 100 } });
    c.start();
    await new Promise((r) => setTimeout(r, 700));
    await c.stop();
    const seen = connections;
    assert.ok(seen >= 3 && seen <= 20, `connections: ${seen}`);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(connections, seen, 'no attempt after stop()');
  });
});

describe('XMPP connection: IQ replies', () => {
  it('an error reply that arrives before the request finished writing is not an unhandled rejection', async () => {
    // xmpp.js's IQCaller registers the reply's promise, awaits the socket write, and only then
    // listens on it: a fast error reply in between would be an unhandled rejection (in the lab it
    // happened with PubSub's item-not-found), which ends a Node process.
    const c = new XmppConnection({ jid: 'bot@example.org', password: PASSWORD, service: 'xmpp://127.0.0.1:1' });
    const handlers = (c as unknown as { iqCaller: { handlers: Map<string, Deferred<unknown>> } }).iqCaller.handlers;
    let unhandled = 0;
    const count = () => unhandled++;
    process.on('unhandledRejection', count);
    try {
      const d = new Deferred<unknown>();
      handlers.set('fast', d);
      d.reject(new Error('item-not-found'));
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(unhandled, 0);
      await assert.rejects(d.promise, /item-not-found/, 'the caller still sees the error');
    } finally {
      process.off('unhandledRejection', count);
      await c.stop();
    }
  });
});

describe('XMPP connection: configuration', () => {
  it('refuses what it cannot use, with the field named', () => {
    assert.throws(() => new XmppConnection({ jid: 'example.org', password: 'x' }), XmppConfigError);
    assert.throws(() => new XmppConnection({ jid: 'bot@example.org', password: '' }), /password/);
    assert.throws(() => new XmppConnection({ jid: 'bot@example.org', password: 'x', service: 'http://example.org' }), /service must be/);
    assert.throws(() => new XmppConnection({ jid: 'bot@example.org', password: 'x', caFile: '/nonexistent.pem' }), /caFile/);
  });
});
