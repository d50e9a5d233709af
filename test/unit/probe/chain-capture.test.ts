// The captured chain is exactly what the server sent — no certificate from the local trust
// store appended — and PKIX is judged separately against the given anchors at an injected time.
// `openssl s_client -showcerts` (which prints the server's Certificate message as received) is
// the independent judge of what was sent; a naive Node client shows the trap we avoid.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect, type PeerCertificate } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { probeEndpoint } from '../../../src/probe/probe.ts';
import { run } from '../../lab/procs.ts';
import { makePki, serverTls, startServer, type TestPki, type TestServer, type TlsIdentity } from './servers.ts';

async function sentByServer(port: number): Promise<Buffer[]> {
  const { stdout } = await run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'example.test', '-showcerts'], {
    input: '',
    timeoutMs: 10_000,
  });
  return [...stdout.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)].map((m) => new X509Certificate(m[0]).raw);
}

describe('chain capture and PKIX', () => {
  let pki: TestPki;
  let rootOnly: string;
  const servers: TestServer[] = [];
  const tlsServer = async (id: TlsIdentity) => {
    const s = await startServer((sock) => serverTls(sock, id));
    servers.push(s);
    return s;
  };
  const probe = (port: number, caFile: string, now?: Date) =>
    probeEndpoint({ address: '127.0.0.1', port, protocol: 'tls', serviceDomain: 'example.test', caFile, timeoutMs: 5000, ...(now ? { now: () => now } : {}) });

  before(async () => {
    pki = await makePki();
    rootOnly = pki.ca.rootFile;
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    pki.cleanup();
  });

  it('a leaf-only server: exactly 1 certificate captured, even though the CA file holds its issuer', async () => {
    const server = await tlsServer(pki.leafOnly);
    // The CA file holds the leaf's issuer (the intermediate) as the trust anchor.
    const caFile = join(pki.dir, 'intermediate-anchor.pem');
    writeFileSync(caFile, pki.intermediatePem);
    const r = await probe(server.port, caFile);
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.tls.chain.length, 1);
    assert.deepEqual(r.tls.chain, await sentByServer(server.port));
    assert.equal(r.tls.pkix.valid, true, r.tls.pkix.reason);
    assert.match(r.tls.pkix.anchor ?? '', /issuing CA R1/);
    assert.equal(r.tls.leaf.spkiSha256, pki.leaf.spkiSha256);
    assert.equal(r.tls.nameMatches, true);

    // The trap: a client whose trust store holds the issuer sees it "in the chain".
    const naive = await new Promise<number>((resolve, reject) => {
      const c = tlsConnect({ host: '127.0.0.1', port: server.port, servername: 'example.test', ca: [pki.intermediatePem, pki.rootPem] }, () => {
        let n = 0;
        const seen = new Set<string>();
        let cert: PeerCertificate | undefined = c.getPeerCertificate(true);
        while (cert?.raw && !seen.has(cert.fingerprint256)) {
          seen.add(cert.fingerprint256);
          n++;
          cert = (cert as { issuerCertificate?: PeerCertificate }).issuerCertificate;
        }
        c.destroy();
        resolve(n);
      });
      c.on('error', reject);
    });
    assert.equal(naive, 3, 'Node appends the locally trusted intermediate and root to getPeerCertificate(true)');
  });

  it('leaf + intermediate sent, root only in the CA file: 2 certificates captured, PKIX valid', async () => {
    const server = await tlsServer(pki.full);
    const r = await probe(server.port, rootOnly);
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.tls.chain.length, 2);
    assert.deepEqual(r.tls.chain, await sentByServer(server.port));
    assert.deepEqual(r.tls.chain[1], new X509Certificate(pki.intermediatePem).raw);
    assert.equal(r.tls.pkix.valid, true, r.tls.pkix.reason);
    assert.deepEqual(r.tls.pkix.path, [0, 1]);
    assert.match(r.tls.pkix.anchor ?? '', /root CA/);
  });

  it('the leaf alone against the root: PKIX invalid, the missing issuer named', async () => {
    const server = await tlsServer(pki.leafOnly);
    const r = await probe(server.port, rootOnly);
    assert.ok(r.ok);
    assert.equal(r.tls.chain.length, 1);
    assert.equal(r.tls.pkix.valid, false);
    assert.match(r.tls.pkix.reason ?? '', /unable to get the issuer of certificate 0 .*issuing CA R1/);
  });

  it('an untrusted chain: PKIX invalid with a reason, and the capture is still complete', async () => {
    const server = await tlsServer(pki.full);
    const other = await makePki();
    try {
      const r = await probe(server.port, other.ca.rootFile);
      assert.ok(r.ok);
      assert.equal(r.tls.chain.length, 2);
      assert.equal(r.tls.pkix.valid, false);
      assert.match(r.tls.pkix.reason ?? '', /certificate 1 .*neither sent nor trusted/);
    } finally {
      other.cleanup();
    }
  });

  it('an expired leaf at an injected time: invalid, with the expiry date', async () => {
    const server = await tlsServer(pki.full);
    const notAfter = new Date(Date.parse(new X509Certificate(pki.leafPem).validTo));
    const r = await probe(server.port, rootOnly, new Date(notAfter.getTime() + 86_400_000));
    assert.ok(r.ok);
    assert.equal(r.tls.pkix.valid, false);
    assert.equal(r.tls.pkix.reason, `certificate 0 (CN=example.test) expired at ${notAfter.toISOString()}`);
    // And valid one day before.
    const ok = await probe(server.port, rootOnly, new Date(notAfter.getTime() - 86_400_000));
    assert.ok(ok.ok);
    assert.equal(ok.tls.pkix.valid, true);
  });

  it('decodes SRV-IDs and xmppAddr from the leaf', async () => {
    const server = await tlsServer(pki.full);
    const r = await probe(server.port, rootOnly);
    assert.ok(r.ok);
    assert.deepEqual(r.tls.leaf.names.dnsNames, ['example.test', 'xmpp.example.test']);
    assert.deepEqual(r.tls.leaf.names.srvNames, ['_xmpp-client.example.test', '_xmpp-server.example.test']);
    assert.deepEqual(r.tls.leaf.names.xmppAddrs, ['example.test']);
    assert.equal(r.tls.leaf.spkiSha512, pki.leaf.spkiSha512);
    assert.match(r.tls.version, /^TLSv1\.[23]$/);
  });

  it('maxVersion caps the protocol', async () => {
    const server = await tlsServer(pki.full);
    const r = await probeEndpoint({ address: '127.0.0.1', port: server.port, protocol: 'tls', serviceDomain: 'example.test', caFile: rootOnly, maxVersion: 'TLSv1.2' });
    assert.ok(r.ok);
    assert.equal(r.tls.version, 'TLSv1.2');
    assert.equal(r.tls.chain.length, 2);
  });
});
