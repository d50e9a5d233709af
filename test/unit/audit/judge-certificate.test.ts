// Certificate findings and their severities, on certificates made by openssl (test/unit/dane/pki.ts).
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { judgeCertificate, type CertificateObservation } from '../../../src/audit/judge-certificate.ts';
import { makePki } from '../dane/pki.ts';

const pki = makePki();
after(() => pki.cleanup());

const NOW = new Date();
const noNames: { srvNames: string[]; xmppAddrs: string[] } = { srvNames: [], xmppAddrs: [] };
const obs = (o: Partial<CertificateObservation>): CertificateObservation => ({
  label: 'xmpp.example.test:5222 (192.0.2.1)',
  protocol: 'xmpp-c2s',
  serviceDomain: 'xmpp.example.test',
  referenceNames: ['xmpp.example.test'],
  leafDer: pki.leaf.der,
  pkix: { valid: true },
  now: NOW,
  ...o,
});
const codes = (o: Partial<CertificateObservation>, names = noNames) => judgeCertificate(obs(o), names).map((f) => `${f.code}:${f.severity}`);

describe('judgeCertificate', () => {
  it('a valid certificate for the right name: nothing to say', () => {
    assert.deepEqual(codes({}), []);
  });

  it('expired: error for clients, and the PKIX date reason is not repeated as untrusted', () => {
    const r = codes({ leafDer: pki.expired.der, pkix: { valid: false, reason: 'certificate 0 (CN=xmpp.example.test) expired at 2020-02-01T00:00:00.000Z' } });
    assert.deepEqual(r, ['tls.cert-expired:error']);
  });

  it('an expired intermediate is still an untrusted chain', () => {
    const r = codes({ pkix: { valid: false, reason: 'certificate 1 (CN=inter) expired at 2020-02-01T00:00:00.000Z' } });
    assert.deepEqual(r, ['tls.cert-untrusted:error']);
  });

  it('expiry on SMTP with a matching DANE-EE record is only informative (RFC 7672 §3.1.1)', () => {
    const base = { protocol: 'smtp' as const, leafDer: pki.expired.der, pkix: { valid: false, reason: 'certificate 0 (x) expired at 2020' } };
    assert.deepEqual(codes({ ...base, dane: { verdict: 'match', matchedUsage: 3 } }), ['tls.cert-expired:info']);
    assert.deepEqual(codes(base), ['tls.cert-expired:warning']);
    const f = judgeCertificate(obs({ ...base, dane: { verdict: 'match', matchedUsage: 3 } }), noNames)[0]!;
    assert.match(f.detail, /DANE-EE record that matches ignores names and dates/);
  });

  it('s2s: a PKIX failure is softened when DANE matches, not for c2s', () => {
    const untrusted = { pkix: { valid: false, reason: 'unable to get the issuer' } };
    assert.deepEqual(codes({ ...untrusted, protocol: 'xmpp-s2s', dane: { verdict: 'match', matchedUsage: 3 } }), ['tls.cert-untrusted:warning']);
    assert.deepEqual(codes({ ...untrusted, protocol: 'xmpp-c2s', dane: { verdict: 'match', matchedUsage: 3 } }), ['tls.cert-untrusted:error']);
  });

  it('name mismatch, unless an XMPP SRV-ID or XmppAddr names the service domain', () => {
    assert.deepEqual(codes({ serviceDomain: 'example.test', referenceNames: [] }), ['tls.cert-name-mismatch:error']);
    assert.deepEqual(codes({ serviceDomain: 'example.test', referenceNames: [] }, { srvNames: ['_xmpp-client.example.test'], xmppAddrs: [] }), []);
    assert.deepEqual(codes({ serviceDomain: 'example.test', referenceNames: [], protocol: 'xmpp-s2s' }, { srvNames: ['_xmpp-client.example.test'], xmppAddrs: [] }), ['tls.cert-name-mismatch:error'], 'a c2s SRV-ID does not cover s2s');
    assert.deepEqual(codes({ serviceDomain: 'example.test', referenceNames: [] }, { srvNames: [], xmppAddrs: ['example.test'] }), []);
    assert.deepEqual(codes({ protocol: 'imap', serviceDomain: 'example.test', referenceNames: [] }, { srvNames: ['_xmpp-client.example.test'], xmppAddrs: [] }), ['tls.cert-name-mismatch:error'], 'SRV-IDs are for XMPP only');
  });

  it('the wildcard covers one label only', () => {
    assert.deepEqual(codes({ serviceDomain: 'a.wild.example.test', referenceNames: [] }), []);
    assert.deepEqual(codes({ serviceDomain: 'a.b.wild.example.test', referenceNames: [] }), ['tls.cert-name-mismatch:error']);
  });

  it('expiring within 14 days: a warning naming the days left', () => {
    const notAfter = new Date(new X509Certificate(pki.leaf.der).validTo);
    const f = judgeCertificate(obs({ now: new Date(notAfter.getTime() - 3 * 86_400_000 - 1000) }), noNames);
    assert.deepEqual(f.map((x) => x.code), ['tls.cert-expires-soon']);
    assert.match(f[0]!.title, /expires in 4 days/);
  });

  it('garbage instead of a certificate: one clear finding, no throw', () => {
    assert.deepEqual(codes({ leafDer: new Uint8Array([0x30, 0x03, 1, 2, 3]) }), ['tls.cert-unparsable:error']);
  });
});
