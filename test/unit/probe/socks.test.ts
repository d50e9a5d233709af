// SOCKS5 with username/password (RFC 1928, RFC 1929) through a minimal proxy written here: a
// TLS probe succeeds through it, every probe uses fresh credentials (Tor's IsolateSOCKSAuth
// then gives each its own circuit), and proxy failures come back with the reply code's meaning.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { probeEndpoint } from '../../../src/probe/probe.ts';
import { makePki, serverTls, startServer, type TestPki, type TestServer } from './servers.ts';

interface Proxy {
  server: TestServer;
  usernames: string[];
  methodsOffered: number[][];
}

/** Accepts only method 0x02; answers CONNECT with `reply` (0 = relay to the target). */
async function startSocks(reply = 0): Promise<Proxy> {
  const p: Proxy = { server: undefined as unknown as TestServer, usernames: [], methodsOffered: [] };
  p.server = await startServer((client: Socket) => {
    let buf = Buffer.alloc(0);
    let phase = 0;
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (phase === 0 && buf.length >= 2 && buf.length >= 2 + buf[1]!) {
        p.methodsOffered.push([...buf.subarray(2, 2 + buf[1]!)]);
        const ok = buf.subarray(2, 2 + buf[1]!).includes(2);
        buf = buf.subarray(2 + buf[1]!);
        client.write(Buffer.from([5, ok ? 2 : 0xff]));
        phase = 1;
      }
      if (phase === 1 && buf.length >= 2) {
        const ulen = buf[1]!;
        if (buf.length < 3 + ulen) return;
        const plen = buf[2 + ulen]!;
        if (buf.length < 3 + ulen + plen) return;
        p.usernames.push(buf.subarray(2, 2 + ulen).toString());
        buf = buf.subarray(3 + ulen + plen);
        client.write(Buffer.from([1, 0]));
        phase = 2;
      }
      if (phase === 2 && buf.length >= 10 && buf[3] === 1) {
        const host = [...buf.subarray(4, 8)].join('.');
        const port = buf.readUInt16BE(8);
        buf = buf.subarray(10);
        phase = 3;
        client.off('data', onData);
        if (reply !== 0) {
          client.end(Buffer.from([5, reply, 0, 1, 0, 0, 0, 0, 0, 0]));
          return;
        }
        const upstream = connect({ host, port }, () => {
          client.write(Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0x10, 0x00]));
          if (buf.length) upstream.write(buf);
          client.pipe(upstream).pipe(client);
        });
        upstream.on('error', () => client.destroy());
      }
    };
    client.on('data', onData);
  });
  return p;
}

describe('SOCKS5', () => {
  let pki: TestPki;
  let target: TestServer;
  const cleanup: TestServer[] = [];
  before(async () => {
    pki = await makePki();
    target = await startServer((s) => serverTls(s, pki.full));
    cleanup.push(target);
  });
  after(async () => {
    await Promise.all(cleanup.map((s) => s.close()));
    pki.cleanup();
  });

  it('a TLS probe through the proxy succeeds, and two probes use different credentials', async () => {
    const proxy = await startSocks();
    cleanup.push(proxy.server);
    const opts = {
      address: '127.0.0.1',
      port: target.port,
      protocol: 'tls' as const,
      serviceDomain: 'example.test',
      caFile: pki.ca.rootFile,
      socks: { host: '127.0.0.1', port: proxy.server.port },
    };
    const a = await probeEndpoint(opts);
    const b = await probeEndpoint(opts);
    assert.ok(a.ok && b.ok, JSON.stringify([a, b]));
    assert.equal(a.tls.leaf.spkiSha256, pki.leaf.spkiSha256);
    assert.equal(a.tls.chain.length, 2);
    assert.equal(proxy.usernames.length, 2);
    assert.notEqual(proxy.usernames[0], proxy.usernames[1]);
    assert.deepEqual([a.socksUsername, b.socksUsername], proxy.usernames);
    // Only username/password is offered: no silent fallback to a shared, unauthenticated circuit.
    assert.deepEqual(proxy.methodsOffered, [[2], [2]]);
  });

  it('reply 5 is "connection refused", reply 1 "general failure"', async () => {
    for (const [code, kind, meaning] of [
      [5, 'refused', 'connection refused'],
      [1, 'socks', 'general SOCKS server failure'],
    ] as const) {
      const proxy = await startSocks(code);
      cleanup.push(proxy.server);
      const r = await probeEndpoint({ address: '127.0.0.1', port: 9, protocol: 'tls', serviceDomain: 'example.test', socks: { host: '127.0.0.1', port: proxy.server.port } });
      assert.ok(!r.ok);
      assert.equal(r.stage, 'connect');
      assert.equal(r.error.kind, kind);
      assert.equal(r.error.message, `SOCKS reply ${code}: ${meaning}`);
    }
  });

  it('names are refused: keywatch resolves them itself', async () => {
    const r = await probeEndpoint({ address: 'example.test', port: 443, protocol: 'tls', serviceDomain: 'example.test', socks: { host: '127.0.0.1', port: 9 } });
    assert.ok(!r.ok);
    assert.equal(r.error.kind, 'config');
  });
});
