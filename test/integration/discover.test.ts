// Endpoint discovery against the lab: SRV and fallback, the "." target, MX, one endpoint per
// address, and the RFC 7673/7672 rules on whether DANE applies and where TLSA lives.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useLab } from '../lab/fixture.ts';
import { discover } from '../../src/audit/discover.ts';
import { DnsClient } from '../../src/dns/client.ts';
import { Validator } from '../../src/dns/dnssec/validator.ts';
import { clientFetcher } from '../../src/dns/resolver.ts';
import { parseTrustAnchors } from '../../src/dns/dnssec/trust-anchor.ts';

const lab = useLab();

function validator(): Validator {
  const { resolver, trustAnchor } = lab().state;
  return new Validator(clientFetcher(new DnsClient({ servers: [resolver] })), parseTrustAnchors(trustAnchor.dnskey));
}

const SRV_OF: Record<string, string> = { 'xmpp-client': '_xmpp-client._tcp', 'xmpps-client': '_xmpps-client._tcp', 'xmpp-server': '_xmpp-server._tcp' };

describe('XMPP discovery', () => {
  it('good: every SRV endpoint, each address, with DANE at the SRV target (RFC 7673)', async () => {
    const d = lab().domain('good');
    const r = await discover(validator(), d.domain, 'xmpp');
    assert.deepEqual(r.notes, []);
    const got = r.endpoints.map((e) => [e.service, e.host, e.port, e.address, e.source, e.dane.applies ? e.dane.tlsaName : 'no-dane']).sort();
    const want = d.endpoints.map((e) => [SRV_OF[e.service], e.host, e.port, e.address, 'srv', e.tlsaName]).sort();
    assert.deepEqual(got, want);
    for (const e of r.endpoints) {
      assert.deepEqual(e.referenceNames.sort(), [d.domain, d.host].sort());
      assert.deepEqual(e.dnssec, { service: 'secure', address: 'secure' });
    }
    assert.deepEqual(r.endpoints.map((e) => e.protocol).sort(), ['xmpp-c2s', 'xmpp-s2s', 'xmpps-c2s']);
  });

  it('unsigned: endpoints found, DANE does not apply because the SRV lookup is insecure', async () => {
    const r = await discover(validator(), lab().domain('unsigned').domain, 'xmpp');
    assert.equal(r.endpoints.length, 3);
    for (const e of r.endpoints) {
      assert.equal(e.dane.applies, false);
      assert.match(!e.dane.applies ? e.dane.reason : '', /SRV lookup is insecure.*RFC 7673/);
    }
  });

  it('srv-unsigned: SRV secure, but the target is in an unsigned zone, so no DANE', async () => {
    const r = await discover(validator(), lab().domain('srv-unsigned').domain, 'xmpp');
    assert.equal(r.endpoints.length, 3);
    for (const e of r.endpoints) {
      assert.equal(e.dnssec.service, 'secure');
      assert.equal(e.dnssec.address, 'insecure');
      assert.match(!e.dane.applies ? e.dane.reason : '', /address records of xmpp-srv-unsigned\.unsigned\.test are insecure/);
    }
  });

  it('expired: bogus SRV records stop discovery with a critical note, and no fallback', async () => {
    const r = await discover(validator(), lab().domain('expired').domain, 'xmpp');
    assert.equal(r.endpoints.length, 0);
    // All four SRV names: even the absent _xmpps-server's denial carries expired signatures.
    assert.deepEqual(r.notes.filter((n) => n.code === 'dns.srv-unusable').map((n) => n.severity), ['critical', 'critical', 'critical', 'critical']);
  });

  it('no SRV records: falls back to the domain on 5222 and 5269 (RFC 6120 §3.2.2), never for direct TLS', async () => {
    const z = lab().state.dnsZones.find((x) => x.label === 'alg-ed25519')!;
    const host = `www.${z.zone}`.replace(/\.$/, '');
    const r = await discover(validator(), host, 'xmpp');
    assert.deepEqual(r.endpoints.map((e) => [e.service, e.host, e.port, e.source]).sort(), [
      ['_xmpp-client._tcp', host, 5222, 'fallback'],
      ['_xmpp-server._tcp', host, 5269, 'fallback'],
    ]);
    const c2s = r.endpoints.find((e) => e.port === 5222)!;
    assert.deepEqual(c2s.dane, { applies: true, tlsaName: `_5222._tcp.${host}` });
  });

  it('an SRV target of "." means the service is not offered: noted, no fallback', async () => {
    const r = await discover(validator(), 'features.test', 'xmpp');
    assert.ok(r.notes.some((n) => n.code === 'xmpp.srv-no-service' && /_xmpp-server\._tcp\.features\.test/.test(n.message)), JSON.stringify(r.notes));
    assert.ok(!r.endpoints.some((e) => e.service === '_xmpp-server._tcp'));
  });
});

describe('SMTP discovery', () => {
  it('MX hosts on port 25, DANE at _25._tcp.MX when the MX and its addresses are secure (RFC 7672)', async () => {
    const r = await discover(validator(), 'features.test', 'smtp');
    assert.deepEqual(
      r.endpoints.map((e) => [e.host, e.port, e.address, e.source, e.dane.applies ? e.dane.tlsaName : '']),
      [['mx.features.test', 25, `127.${lab().state.net}.9.9`, 'mx', '_25._tcp.mx.features.test']],
    );
  });
});
