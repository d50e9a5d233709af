// The probe against the lab's real servers (Prosody, ejabberd) and interceptors: what a client
// is shown on each endpoint — STARTTLS offered and required, the chain the server sends (leaf +
// intermediate), the key, the XMPP identities in the certificate, PKIX against the lab root,
// and SASL mechanisms after TLS — and, for mitm-c2s, whose key each port presents.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { probeEndpoint, type ProbeOptions } from '../../src/probe/probe.ts';
import type { LabEndpoint } from '../lab/lab.ts';
import { useLab } from '../lab/fixture.ts';

const lab = useLab();

const PROTOCOL: Record<LabEndpoint['service'], ProbeOptions['protocol']> = {
  'xmpp-client': 'xmpp-c2s',
  'xmpps-client': 'xmpps-c2s',
  'xmpp-server': 'xmpp-s2s',
};

const probe = (domain: string, e: LabEndpoint) =>
  probeEndpoint({
    address: e.address,
    port: e.port,
    protocol: PROTOCOL[e.service],
    serviceDomain: domain,
    checkerDomain: 'checker.keywatch.test',
    caFile: lab().state.ca.rootFile,
    timeoutMs: 10_000,
  });

describe('probe against the lab', () => {
  for (const scenario of ['good', 'ejabberd'] as const) {
    it(`${scenario}: every endpoint as a client sees it`, async () => {
      const d = lab().domain(scenario);
      const intermediate = new X509Certificate(readFileSync(lab().state.ca.intermediateFile)).raw;
      assert.equal(d.endpoints.length, 3);
      for (const e of d.endpoints) {
        const where = `${scenario} ${e.service} ${e.address}:${e.port}`;
        const r = await probe(d.domain, e);
        assert.ok(r.ok, `${where}: ${JSON.stringify(r)}`);
        if (e.tls === 'starttls') {
          assert.equal(r.starttls?.protocol, 'xmpp', where);
          assert.ok(r.starttls.protocol === 'xmpp');
          assert.equal(r.starttls.offered, true, where);
          if (e.service === 'xmpp-client') assert.equal(r.starttls.required, true, `${where}: STARTTLS required`);
        } else {
          assert.equal(r.starttls, undefined);
        }
        assert.equal(r.tls.chain.length, 2, `${where}: leaf + intermediate`);
        assert.deepEqual(r.tls.chain[1], intermediate, where);
        assert.equal(r.tls.leaf.spkiSha256, e.presentedSpkiSha256, where);
        assert.equal(r.tls.leaf.spkiSha256, d.keys.server.spkiSha256, where);
        assert.deepEqual(r.tls.leaf.names.srvNames.sort(), [`_xmpp-client.${d.domain}`, `_xmpp-server.${d.domain}`].sort(), where);
        assert.deepEqual(r.tls.leaf.names.xmppAddrs, [d.domain], where);
        assert.equal(r.tls.pkix.valid, true, `${where}: ${r.tls.pkix.reason}`);
        assert.equal(r.tls.nameMatches, true, where);
        assert.ok(r.featuresAfterTls, where);
        if (e.service !== 'xmpp-server') {
          assert.ok(
            r.featuresAfterTls.mechanisms.some((m) => /^SCRAM-SHA-/.test(m)),
            `${where}: mechanisms ${r.featuresAfterTls.mechanisms.join(' ')}`,
          );
        }
      }
    });
  }

  it('mitm-c2s: the client ports show the interceptor, the server port the real server', async () => {
    const d = lab().domain('mitm-c2s');
    const interceptor = d.keys.interceptor?.spkiSha256;
    assert.ok(interceptor);
    for (const e of d.endpoints) {
      const r = await probe(d.domain, e);
      assert.ok(r.ok, `${e.service}: ${JSON.stringify(r)}`);
      const expected: string = e.service === 'xmpp-server' ? d.keys.server.spkiSha256 : interceptor;
      assert.equal(r.tls.leaf.spkiSha256, expected, e.service);
      assert.equal(r.tls.leaf.spkiSha256, e.presentedSpkiSha256, e.service);
      // The interceptor's certificate is exactly as valid: only the key tells.
      assert.equal(r.tls.pkix.valid, true, r.tls.pkix.reason);
    }
  });
});
