// SOCKS5 with username/password (RFC 1928, RFC 1929) through a minimal proxy written here: a
// TLS probe succeeds through it, every probe uses fresh credentials (Tor's IsolateSOCKSAuth
// then gives each its own circuit), and proxy failures come back with the reply code's meaning.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { probeEndpoint } from '../../../src/probe/probe.ts';
import { makePki, serverTls, startServer, type TestPki, type TestServer } from './servers.ts';
import { startSocks } from '../../helpers/socks-proxy.ts';

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
