// The server-to-server judge on probe results shaped like what the lab's Prosody 0.12 and
// ejabberd 23.01 send (features captured from them), and the software guess behind the
// per-server remediation. Certificates for the DANE records come from openssl (test/unit/dane/pki.ts).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { judgeProbe } from '../../../src/audit/judge-transport.ts';
import { guessSoftware, judgeS2s, s2sObservations, softwareHintsByHost, type S2sInput, type S2sObservation, type SoftwareGuess } from '../../../src/audit/judge-s2s.ts';
import type { TlsaLookup } from '../../../src/audit/tlsa-lookup.ts';
import type { ProbeResult } from '../../../src/probe/probe.ts';
import { readFeatures } from '../../../src/probe/starttls/xmpp-features.ts';
import { XmppStreamScanner, type StreamEvent } from '../../../src/probe/starttls/xml-stream.ts';
import { makePki } from '../dane/pki.ts';

const pki = makePki();
after(() => pki.cleanup());

const LABEL = 'xmpp.example.org:5269 (192.0.2.1)';
const PROSODY_IDS = ['48baffc1-e99a-4f65-8373-0488a4d0e99d', '8cbe8d19-4e4a-45b3-b767-a764ef1ca388'];
const EJABBERD_IDS = ['1330904944759871747', '11241754978675579996'];

/** Features exactly as the lab servers sent them. */
const F = {
  prosodyBefore: "<stream:features><dialback xmlns='urn:xmpp:features:dialback'/><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>",
  prosodyAfter: "<stream:features><dialback xmlns='urn:xmpp:features:dialback'/></stream:features>",
  prosodyBidiAfter: "<stream:features><dialback xmlns='urn:xmpp:features:dialback'/><bidi xmlns='urn:xmpp:features:bidi'/></stream:features>",
  ejabberdBefore: "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>",
  ejabberdAfter: "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>EXTERNAL</mechanism></mechanisms><dialback xmlns='urn:xmpp:features:dialback'><errors/></dialback></stream:features>",
  none: '<stream:features/>',
};

/** Parse a features element with the probe's own scanner. */
function features(raw: string) {
  const sc = new XmppStreamScanner();
  sc.next(Buffer.from("<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>"));
  const r = sc.next(Buffer.from(raw));
  const ev = r.value as StreamEvent;
  assert.equal(ev.type, 'element');
  if (ev.type !== 'element') throw new Error('no features');
  return readFeatures(ev.element, ev.raw);
}

function probe(o: { before: string; after?: string; id?: string; failAfterTls?: string; chain?: Uint8Array[] }): ProbeResult {
  const before = features(o.before);
  const starttls = { protocol: 'xmpp' as const, header: { id: o.id ?? 'x' }, features: before, offered: before.starttls, required: before.starttls && before.starttlsRequired };
  const tls = { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', alpn: null, chain: (o.chain ?? [pki.leaf.der, pki.inter.der]).map((d) => Buffer.from(d)), leaf: {}, pkix: { valid: true, anchors: 'test' }, nameMatches: true };
  const endpoint = { address: '192.0.2.1', port: 5269, protocol: 'xmpp-s2s' as const, serviceDomain: 'example.org' };
  const timings = { connectMs: 1, totalMs: 3 };
  if (o.failAfterTls) return { endpoint, ok: false, stage: 'features', error: { kind: 'protocol', message: o.failAfterTls }, starttls, tls, timings } as unknown as ProbeResult;
  const a = features(o.after ?? F.none);
  const { raw, mechanisms, channelBindings, sasl2, sasl2Mechanisms, dialback, names } = a;
  return { endpoint, ok: true, starttls, tls, featuresAfterTls: { header: { id: o.id ?? 'y' }, raw, mechanisms, channelBindings, sasl2, sasl2Mechanisms, dialback, names }, timings } as unknown as ProbeResult;
}

const TLSA_NAME = '_5269._tcp.xmpp.example.org';
const obs = (p: ProbeResult, more: Partial<S2sObservation> = {}): S2sObservation => ({
  label: LABEL,
  host: 'xmpp.example.org',
  port: 5269,
  protocol: 'xmpp-s2s',
  probe: p,
  tlsaName: TLSA_NAME,
  dane: { applies: true },
  tlsa: { name: TLSA_NAME, state: 'records', records: [], text: [`3 1 1 ${pki.leaf.spki256}`], ttl: 3600 },
  ...more,
});
const codes = (o: S2sObservation[]) => judgeS2s(o).map((f) => `${f.code}:${f.severity}`);
const PROSODY: SoftwareGuess = { name: 'Prosody', basis: ['test'] };
const EJABBERD: SoftwareGuess = { name: 'ejabberd', basis: ['test'] };

describe('judgeS2s: how peers authenticate', () => {
  it('Prosody 0.12 to a peer without a certificate: dialback only, an informative finding with Prosody settings', () => {
    const f = judgeS2s([obs(probe({ before: F.prosodyBefore, after: F.prosodyAfter }), { software: PROSODY })]);
    assert.deepEqual(f.map((x) => `${x.code}:${x.severity}`), ['xmpp.s2s-dialback-only:info']);
    assert.match(f[0]!.detail, /presented no certificate/);
    assert.match(f[0]!.detail, /cannot see whether peers with a valid certificate are offered EXTERNAL/);
    assert.match(f[0]!.remediation!, /^This looks like Prosody/);
    assert.match(f[0]!.remediation!, /s2s_secure_auth = true/);
    assert.doesNotMatch(f[0]!.remediation!, /mod_s2s_dialback/);
  });

  it('ejabberd 23.01: EXTERNAL offered (even to a peer without a certificate) plus dialback, with ejabberd advice', () => {
    const f = judgeS2s([obs(probe({ before: F.ejabberdBefore, after: F.ejabberdAfter }), { software: EJABBERD })]);
    assert.deepEqual(f.map((x) => `${x.code}:${x.severity}`), ['xmpp.s2s-external-offered:info']);
    assert.match(f[0]!.title, /and dialback/);
    assert.match(f[0]!.detail, /does not show which certificates it accepts/);
    assert.match(f[0]!.remediation!, /remove mod_s2s_dialback/);
  });

  it('without a software guess the advice names both servers and claims neither', () => {
    const f = judgeS2s([obs(probe({ before: F.prosodyBefore, after: F.prosodyAfter }))]);
    assert.match(f[0]!.remediation!, /Prosody: s2s_secure_auth = true/);
    assert.match(f[0]!.remediation!, /ejabberd: remove mod_s2s_dialback/);
    assert.doesNotMatch(f[0]!.remediation!, /looks like/);
  });

  it('neither dialback nor EXTERNAL after TLS: peers without a certificate cannot authenticate', () => {
    assert.deepEqual(codes([obs(probe({ before: F.ejabberdBefore, after: F.none }))]), ['xmpp.s2s-no-peer-auth:warning']);
  });

  it('<not-authorized/> right after TLS: certificate-only federation, noted (and not a failure)', () => {
    const p = probe({ before: F.prosodyBefore, failAfterTls: "stream error <not-authorized/>: Your server's certificate could not be validated" });
    const f = judgeS2s([obs(p)]);
    assert.deepEqual(f.map((x) => `${x.code}:${x.severity}`), ['xmpp.s2s-certificate-required:info']);
    assert.match(f[0]!.detail, /s2s_secure_auth/);
  });

  it('judge-transport leaves that case to this judge, but still reports other failures after TLS on s2s', () => {
    const e = { service: '_xmpp-server._tcp', protocol: 'xmpp-s2s', host: 'xmpp.example.org', port: 5269, address: '192.0.2.1', family: 4, source: 'srv', priority: 0, weight: 0, dane: { applies: false, reason: 'x' }, referenceNames: [], dnssec: { service: 'secure', address: 'secure' } } as const;
    const refused = probe({ before: F.prosodyBefore, failAfterTls: 'stream error <not-authorized/>: no certificate' });
    assert.deepEqual(judgeProbe(LABEL, { ...e, referenceNames: [] }, refused), []);
    const broken = probe({ before: F.prosodyBefore, failAfterTls: 'stream error <internal-server-error/>' });
    assert.deepEqual(judgeProbe(LABEL, { ...e, referenceNames: [] }, broken).map((x) => x.code), ['xmpp.features-failed']);
  });

  it('starttls.not-required on s2s says what peers are told, and that dialback is offered before TLS', () => {
    const e = { service: '_xmpp-server._tcp', protocol: 'xmpp-s2s', host: 'xmpp.example.org', port: 5269, address: '192.0.2.1', family: 4, source: 'srv', priority: 0, weight: 0, dane: { applies: false, reason: 'x' }, referenceNames: [], dnssec: { service: 'secure', address: 'secure' } } as const;
    const optional = "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><dialback xmlns='urn:xmpp:features:dialback'/></stream:features>";
    const f = judgeProbe(LABEL, { ...e, referenceNames: [] }, probe({ before: optional, after: F.prosodyAfter }));
    assert.deepEqual(f.map((x) => `${x.code}:${x.severity}`), ['starttls.not-required:warning']);
    assert.match(f[0]!.detail, /tells peer servers that TLS is optional and offers them dialback before TLS/);
    assert.match(f[0]!.remediation!, /s2s_require_encryption = true/);
    assert.match(f[0]!.remediation!, /s2s_use_starttls: required/);
  });

  it('XEP-0288 bidi, with a note about dialback', () => {
    const f = judgeS2s([obs(probe({ before: F.prosodyBefore, after: F.prosodyBidiAfter }))]);
    assert.deepEqual(f.map((x) => `${x.code}:${x.severity}`).sort(), ['xmpp.s2s-bidi:info', 'xmpp.s2s-dialback-only:info']);
    const bidi = f.find((x) => x.code === 'xmpp.s2s-bidi')!;
    assert.match(bidi.detail, /after TLS/);
    assert.match(bidi.detail, /also offers dialback/);
  });
});

describe('judgeS2s: TLSA for port 5269', () => {
  it('records present (matching is judged elsewhere): nothing', () => {
    assert.deepEqual(codes([obs(probe({ before: F.ejabberdBefore, after: F.ejabberdAfter }))]), ['xmpp.s2s-external-offered:info']);
  });

  it('proven absent: the 3 1 1 and 2 1 1 lines a DANE-verifying peer would use, computed from the chain', () => {
    const absent: TlsaLookup = { name: TLSA_NAME, state: 'absent', denial: 'NSEC3' };
    const f = judgeS2s([obs(probe({ before: F.prosodyBefore, after: F.prosodyAfter }), { tlsa: absent, software: PROSODY })]).find((x) => x.code === 'xmpp.s2s-dane-missing');
    assert.ok(f);
    assert.equal(f.severity, 'info');
    assert.match(f.title, /^publish TLSA for xmpp\.example\.org:5269/);
    const lines = f.remediation!.split('\n');
    assert.ok(lines.includes(`${TLSA_NAME}. 3600 IN TLSA 3 1 1 ${pki.leaf.spki256}`), f.remediation);
    assert.ok(lines.includes(`${TLSA_NAME}. 3600 IN TLSA 2 1 1 ${pki.inter.spki256}`), f.remediation);
    assert.match(f.remediation!, /use_dane = true/);
    assert.match(f.remediation!, /outgoing s2s only/);
  });

  it('ejabberd: the records still help peers, but it checks no DANE itself', () => {
    const absent: TlsaLookup = { name: TLSA_NAME, state: 'absent', denial: 'NSEC' };
    const f = judgeS2s([obs(probe({ before: F.ejabberdBefore, after: F.ejabberdAfter }), { tlsa: absent, software: EJABBERD })]).find((x) => x.code === 'xmpp.s2s-dane-missing');
    assert.match(f!.remediation!, /ejabberd 23\.01 does not check DANE on its own outgoing connections/);
  });

  it('DANE not applicable (unsigned path): sign first, then publish', () => {
    const f = judgeS2s([obs(probe({ before: F.prosodyBefore, after: F.prosodyAfter }), { dane: { applies: false, reason: 'the SRV lookup is insecure' }, tlsa: { name: TLSA_NAME, state: 'insecure', text: [] } })]).find((x) => x.code === 'xmpp.s2s-dane-missing');
    assert.match(f!.detail, /the SRV lookup is insecure/);
    assert.match(f!.remediation!, /^Sign the zones on the way with DNSSEC/);
  });

  it('records published on an insecure path, bogus or failed lookups: left to the DNSSEC and key judges', () => {
    const base = probe({ before: F.prosodyBefore, after: F.prosodyAfter });
    for (const tlsa of [{ name: TLSA_NAME, state: 'insecure', text: ['3 1 1 aa'] }, { name: TLSA_NAME, state: 'bogus', reason: 'x', problems: [] }, { name: TLSA_NAME, state: 'failed', reason: 'x' }] as TlsaLookup[]) {
      assert.deepEqual(codes([obs(base, { tlsa })]), ['xmpp.s2s-dialback-only:info'], tlsa.state);
    }
  });
});

describe('guessing the software, and building the observations from a check', () => {
  it('Prosody and ejabberd need two agreeing signs; mixed or thin evidence gives no guess', () => {
    assert.equal(guessSoftware({ streamIds: PROSODY_IDS, features: [F.prosodyBefore], c2sMechanisms: ['SCRAM-SHA-256', 'PLAIN'] })?.name, 'Prosody');
    assert.equal(guessSoftware({ streamIds: EJABBERD_IDS, features: [F.ejabberdAfter], c2sMechanisms: ['PLAIN', 'X-OAUTH2'] })?.name, 'ejabberd');
    assert.equal(guessSoftware({ streamIds: PROSODY_IDS, features: [], c2sMechanisms: [] }), undefined, 'one sign is not enough');
    assert.equal(guessSoftware({ streamIds: PROSODY_IDS, features: [F.prosodyAfter, F.ejabberdAfter], c2sMechanisms: [] }), undefined, 'conflicting signs');
    assert.equal(guessSoftware({ streamIds: ['1', 'abc'], features: [], c2sMechanisms: [] }), undefined);
  });

  it('s2sObservations keeps only s2s endpoints, uses the TLSA owner a DANE peer would use, and guesses per host', () => {
    const c2s = { ...probe({ before: F.prosodyBefore, after: F.prosodyAfter }) };
    const inputs: S2sInput[] = [
      { endpoint: { label: 'xmpp.example.org:5222 (192.0.2.1)', host: 'xmpp.example.org', port: 5222, protocol: 'xmpp-c2s', dane: { applies: true, tlsaName: '_5222._tcp.xmpp.example.org' } }, probe: c2s },
      { endpoint: { label: LABEL, host: 'xmpp.example.org', port: 5269, protocol: 'xmpp-s2s', dane: { applies: false, reason: 'insecure' } }, probe: probe({ before: F.prosodyBefore, after: F.prosodyAfter }) },
    ];
    const hints = softwareHintsByHost(inputs, [{ host: 'xmpp.example.org', ids: PROSODY_IDS }]);
    const o = s2sObservations(inputs, hints);
    assert.equal(o.length, 1);
    assert.equal(o[0]!.tlsaName, TLSA_NAME);
    assert.deepEqual(o[0]!.dane, { applies: false, reason: 'insecure' });
    assert.equal(o[0]!.software?.name, 'Prosody');
  });
});
