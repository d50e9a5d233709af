// Hostile and broken servers cost a bounded amount: endless XML stops at the byte limit, silence
// stops at the time limit, both as typed errors saying which limit and how much.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { BoundedReader, createBudget } from '../../../src/probe/bounded.ts';
import { ProbeLimitError } from '../../../src/probe/errors.ts';
import { probeEndpoint } from '../../../src/probe/probe.ts';
import { XmppStreamScanner, type StreamEvent } from '../../../src/probe/starttls/xml-stream.ts';
import { startServer, streamXmlForever, type TestServer } from './servers.ts';

describe('limits', () => {
  const servers: TestServer[] = [];
  const serve = async (h: (s: Socket) => void) => {
    const s = await startServer(h);
    servers.push(s);
    return s;
  };
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  it('a server streaming XML forever hits the byte limit, well before the time limit', async () => {
    const server = await serve(streamXmlForever);
    const t0 = performance.now();
    const r = await probeEndpoint({ address: '127.0.0.1', port: server.port, protocol: 'xmpp-c2s', serviceDomain: 'example.test', maxBytes: 256 * 1024, timeoutMs: 10_000 });
    assert.ok(!r.ok);
    assert.equal(r.stage, 'starttls');
    assert.equal(r.error.kind, 'byte-limit');
    assert.match(r.error.message, /more than 262144 bytes received while waiting for <stream:features>/);
    assert.ok(performance.now() - t0 < 5000);
  });

  it('the limit error says which limit and how much', async () => {
    const server = await serve((s) => s.write('x'.repeat(10_000)));
    const socket = connect({ host: '127.0.0.1', port: server.port });
    await new Promise((res) => socket.once('connect', res));
    const reader = new BoundedReader(socket, createBudget(5000, 4096));
    const err = await reader.read('a line', () => ({ consumed: 0, done: false })).catch((e: unknown) => e);
    socket.destroy();
    assert.ok(err instanceof ProbeLimitError);
    assert.equal(err.limit, 'bytes');
    assert.ok(err.bytes > 4096);
    assert.equal(err.waitingFor, 'a line');
  });

  it('a server that never answers: timeout at the time limit', async () => {
    const server = await serve(() => undefined);
    const t0 = performance.now();
    const r = await probeEndpoint({ address: '127.0.0.1', port: server.port, protocol: 'smtp', serviceDomain: 'example.test', timeoutMs: 300 });
    const ms = performance.now() - t0;
    assert.ok(!r.ok);
    assert.equal(r.error.kind, 'timeout');
    assert.match(r.error.message, /timed out after 300 ms waiting for the SMTP greeting/);
    assert.ok(ms >= 290 && ms < 2000, `took ${ms} ms`);
  });

  it('a silent TLS server: the handshake is bounded too', async () => {
    const server = await serve(() => undefined);
    const r = await probeEndpoint({ address: '127.0.0.1', port: server.port, protocol: 'tls', serviceDomain: 'example.test', timeoutMs: 300 });
    assert.ok(!r.ok);
    assert.equal(r.stage, 'tls');
    assert.equal(r.error.kind, 'timeout');
  });

  it('a giant SMTP banner line hits the byte limit', async () => {
    const server = await serve((s) => s.write(`220 ${'x'.repeat(200_000)}`));
    const r = await probeEndpoint({ address: '127.0.0.1', port: server.port, protocol: 'smtp', serviceDomain: 'example.test', maxBytes: 65536 });
    assert.ok(!r.ok);
    assert.equal(r.error.kind, 'byte-limit');
  });

  it('refused: a closed port', async () => {
    const server = await serve(() => undefined);
    const { port } = server;
    await server.close();
    const r = await probeEndpoint({ address: '127.0.0.1', port, protocol: 'tls', serviceDomain: 'example.test' });
    assert.ok(!r.ok);
    assert.equal(r.stage, 'connect');
    assert.equal(r.error.kind, 'refused');
  });
});

describe('XMPP stream scanner', () => {
  const doc =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' id='a&amp;b' version=\"1.0\">  " +
    "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>" +
    "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism></mechanisms>" +
    "<x a='>'/></stream:features><proceed/></stream:stream>";

  function events(chunks: Buffer[]): StreamEvent[] {
    const sc = new XmppStreamScanner();
    const out: StreamEvent[] = [];
    let buf = Buffer.alloc(0);
    for (const c of chunks) {
      buf = Buffer.concat([buf, c]);
      for (;;) {
        const r = sc.next(buf);
        buf = buf.subarray(r.consumed);
        if (!r.done) break;
        out.push(r.value!);
      }
    }
    return out;
  }

  it('gives the same events whole and byte by byte', () => {
    const whole = events([Buffer.from(doc)]);
    const bytes = Buffer.from(doc);
    const dripped = events([...bytes].map((b) => Buffer.from([b])));
    assert.deepEqual(dripped, whole);
    assert.deepEqual(
      whole.map((e) => e.type),
      ['header', 'element', 'element', 'end'],
    );
    const [head, features] = whole;
    assert.ok(head?.type === 'header' && features?.type === 'element');
    assert.equal(head.attrs.id, 'a&b');
    assert.equal(features.element.children.length, 3);
    assert.equal(features.element.children[2]?.attrs.a, '>');
    assert.match(features.raw, /^<stream:features>.*<\/stream:features>$/);
  });

  it('refuses mismatched tags and DTDs', () => {
    assert.throws(() => events([Buffer.from("<stream:stream><a></b>")]), /does not close/);
    assert.throws(() => events([Buffer.from("<stream:stream><!DOCTYPE x>")]), /DTD/);
  });
});
