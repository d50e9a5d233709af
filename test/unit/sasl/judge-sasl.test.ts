// The SASL judge on hand-made observations: which code, which severity, and when it must stay
// quiet. The observations mirror what the lab's Prosody 0.12 and ejabberd 23.01 really offer
// (test/integration/sasl-lab.test.ts checks the same against the servers).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judgeSasl, type SaslEndpointInput } from '../../../src/audit/judge-sasl.ts';
import type { Finding } from '../../../src/audit/finding.ts';
import type { CanaryAttempt, CanaryResult } from '../../../src/sasl/canary.ts';
import type { SaslObservation, SaslOffer } from '../../../src/sasl/observe.ts';

const offer = (tlsVersion: string, mechanisms: string[], channelBindings?: string[]): SaslOffer => ({ tlsVersion, mechanisms, ...(channelBindings ? { channelBindings } : {}), sasl2: false, sasl2Mechanisms: [] });
const obs = (...offers: SaslOffer[]): SaslObservation => ({ offers, probeRuns: [], errors: [], connections: 0 });
const ep = (port: number, observation: SaslObservation, more: Partial<SaslEndpointInput> = {}): SaslEndpointInput => ({
  label: `xmpp.example.test:${port} (192.0.2.1)`,
  host: 'xmpp.example.test',
  port,
  protocol: port === 5223 ? 'xmpps-c2s' : 'xmpp-c2s',
  observation,
  daneEe: false,
  ...more,
});
const judge = (inputs: SaslEndpointInput[], canary?: { requirePlus: boolean }) =>
  judgeSasl(inputs, { software: new Map(), ...(canary ? { canary: { jid: 'canary@example.test', ...canary } } : {}) });
const codes = (fs: Finding[]) => fs.map((f) => `${f.code}:${f.severity}`).sort();

const prosody12 = () => obs(offer('TLSv1.3', ['SCRAM-SHA-256', 'PLAIN']), offer('TLSv1.2', ['SCRAM-SHA-256', 'PLAIN', 'SCRAM-SHA-256-PLUS']));
const prosody13 = () => obs(offer('TLSv1.3', ['SCRAM-SHA-256', 'SCRAM-SHA-256-PLUS'], ['tls-exporter']), offer('TLSv1.2', ['SCRAM-SHA-256', 'SCRAM-SHA-256-PLUS'], ['tls-unique']));

const attempt = (tlsVersion: string, purpose: CanaryAttempt['purpose'], result: CanaryAttempt['result'], more: Partial<CanaryAttempt> = {}): CanaryAttempt => ({
  tlsVersion,
  mechanism: purpose === 'bind' ? 'SCRAM-SHA-256-PLUS' : 'SCRAM-SHA-256',
  gs2: purpose === 'bind' ? 'p' : 'y',
  ...(purpose === 'bind' ? { bindingType: 'tls-unique' as const, bindingSha256: 'ab'.repeat(32) } : {}),
  purpose,
  result,
  ...more,
});
const ok = { outcome: 'success', iterations: 4096, ssdp: { state: 'absent' }, extensions: {} } as const;
const refusedAtProof = (text?: string) => ({ outcome: 'failure', stage: 'client-final', failure: { condition: 'not-authorized', ...(text ? { text } : {}) } }) as const;
const refusedAtFirst = (condition = 'malformed-request') => ({ outcome: 'failure', stage: 'client-first', failure: { condition } }) as const;
const canary = (offers: SaslOffer[], attempts: CanaryAttempt[]): CanaryResult => ({ offers, attempts, unavailable: [], errors: [], connections: 0 });

describe('judgeSasl: what the server offers', () => {
  it('Prosody 0.12 (-PLUS on TLS 1.2 only): a warning, an info with DANE-EE; plus no XEP-0440', () => {
    assert.deepEqual(codes(judge([ep(5222, prosody12())])), ['sasl.channel-binding-tls12-only:warning', 'sasl.no-xep0440:info']);
    assert.deepEqual(codes(judge([ep(5222, prosody12(), { daneEe: true })])), ['sasl.channel-binding-tls12-only:info', 'sasl.no-xep0440:info']);
  });
  it('Prosody 13 (tls-exporter on 1.3, XEP-0440): nothing to say', () => {
    assert.deepEqual(judge([ep(5222, prosody13()), ep(5223, prosody13())]), []);
  });
  it('no -PLUS under any version: a warning whatever DANE says', () => {
    const o = obs(offer('TLSv1.3', ['SCRAM-SHA-256', 'PLAIN']), offer('TLSv1.2', ['SCRAM-SHA-256', 'PLAIN']));
    assert.deepEqual(codes(judge([ep(5222, o, { daneEe: true })])), ['sasl.no-channel-binding:warning']);
  });
  it('only TLS 1.3 looked at (--quick): no -PLUS there is what modern clients get, lowered with DANE-EE like the TLS-1.2-only case', () => {
    const o = obs(offer('TLSv1.3', ['SCRAM-SHA-256', 'PLAIN']));
    assert.deepEqual(codes(judge([ep(5222, o)])), ['sasl.no-channel-binding:warning']);
    const pinned = judge([ep(5222, o, { daneEe: true })]);
    assert.deepEqual(codes(pinned), ['sasl.no-channel-binding:info']);
    assert.match(pinned[0]!.detail, /did not look under TLS 1\.2/);
  });
  it('PLAIN only is an error; PLAIN before TLS is an error; SHA-1 only is a warning', () => {
    assert.deepEqual(codes(judge([ep(5222, obs(offer('TLSv1.3', ['PLAIN'])))])), ['sasl.plain-only:error']);
    assert.deepEqual(codes(judge([ep(5222, { ...prosody13(), beforeTls: ['PLAIN'] })])), ['sasl.plain-before-tls:error']);
    const sha1 = obs(offer('TLSv1.3', ['SCRAM-SHA-1', 'SCRAM-SHA-1-PLUS'], ['tls-exporter']));
    assert.deepEqual(codes(judge([ep(5222, sha1)])), ['sasl.sha1-only:warning']);
  });
  it('ejabberd 23.01 (-PLUS on TLS 1.3, only tls-unique accepted): unusable type, from the probes', () => {
    const o = obs(offer('TLSv1.3', ['PLAIN', 'SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256', 'X-OAUTH2']));
    // Without probes nothing can be said about the types beyond "no XEP-0440".
    assert.deepEqual(codes(judge([ep(5222, o)])), ['sasl.no-xep0440:info']);
    o.probeRuns.push({
      tlsVersion: 'TLSv1.3',
      baseline: 'failure not-authorized: Invalid username or password',
      probes: [
        { subject: 'tls-exporter', mechanism: 'SCRAM-SHA-256-PLUS', answer: 'failure not-authorized: Invalid channel binding', verdict: 'refused' },
        { subject: 'tls-server-end-point', mechanism: 'SCRAM-SHA-256-PLUS', answer: 'failure not-authorized: Invalid channel binding', verdict: 'refused' },
        { subject: 'tls-unique', mechanism: 'SCRAM-SHA-256-PLUS', answer: 'failure not-authorized: Invalid username or password', verdict: 'accepted' },
        { subject: 'y-flag', mechanism: 'SCRAM-SHA-256', answer: 'failure not-authorized: Invalid username or password', verdict: 'accepted' },
      ],
    });
    const other = obs(offer('TLSv1.3', ['PLAIN', 'SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256', 'X-OAUTH2']));
    const fs = judge([ep(5222, o), ep(5223, other)]);
    assert.deepEqual(codes(fs), ['sasl.binding-type-unusable:warning', 'sasl.binding-type-unusable:warning', 'sasl.no-xep0440:info', 'sasl.no-xep0440:info', 'sasl.server-accepts-y:info', 'sasl.server-accepts-y:info'], 'the probe at 5222 holds for 5223, which offered the same');
    const f = fs.find((x) => x.code === 'sasl.binding-type-unusable')!;
    assert.deepEqual(f.evidence.tls13Types, ['tls-unique']);
    assert.ok(f.remediation);
  });
  it('inconclusive probes say nothing about types', () => {
    const o = obs(offer('TLSv1.3', ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256']));
    o.probeRuns.push({ tlsVersion: 'TLSv1.3', baseline: 'failure not-authorized', probes: [{ subject: 'tls-unique', mechanism: 'SCRAM-SHA-256-PLUS', answer: 'failure not-authorized', verdict: 'inconclusive' }] });
    assert.deepEqual(codes(judge([ep(5222, o)])), ['sasl.no-xep0440:info']);
  });
});

describe('judgeSasl: endpoints compared', () => {
  it('-PLUS missing on one path of a host: critical, naming both', () => {
    const stripped = obs(offer('TLSv1.3', ['SCRAM-SHA-256', 'PLAIN']), offer('TLSv1.2', ['SCRAM-SHA-256', 'PLAIN']));
    const fs = judge([ep(5222, stripped), ep(5223, prosody12())]);
    const d = fs.find((f) => f.code === 'sasl.mechanisms-differ')!;
    assert.equal(d.severity, 'critical');
    assert.equal(d.evidence.tlsVersion, 'TLSv1.2');
    assert.equal(d.endpoints.length, 2);
    assert.match(d.detail, /5222 \(192\.0\.2\.1\) offers no SCRAM-\*-PLUS/);
  });
  it('different hosts: a warning; other differences on one host: an error', () => {
    const a = ep(5222, prosody13());
    const b = { ...ep(5222, obs(offer('TLSv1.3', ['SCRAM-SHA-256']), offer('TLSv1.2', ['SCRAM-SHA-256']))), host: 'xmpp2.example.test', label: 'xmpp2.example.test:5222 (192.0.2.2)' };
    assert.ok(judge([a, b]).some((f) => f.code === 'sasl.mechanisms-differ' && f.severity === 'warning'));
    const c = ep(5223, obs(offer('TLSv1.3', ['SCRAM-SHA-256', 'SCRAM-SHA-256-PLUS', 'PLAIN'], ['tls-exporter']), offer('TLSv1.2', ['SCRAM-SHA-256', 'SCRAM-SHA-256-PLUS', 'PLAIN'], ['tls-unique'])));
    assert.deepEqual(judge([a, c]).filter((f) => f.code === 'sasl.mechanisms-differ').map((f) => f.severity), ['error', 'error']);
  });
  it('paths negotiating different TLS versions (XEP-0515): a warning', () => {
    const fs = judge([ep(5222, prosody12()), ep(5223, obs(offer('TLSv1.2', ['SCRAM-SHA-256', 'PLAIN', 'SCRAM-SHA-256-PLUS'])))]);
    assert.ok(fs.some((f) => f.code === 'sasl.tls-version-differs' && f.severity === 'warning'));
  });
});

describe('judgeSasl: the canary', () => {
  const offers12 = prosody12().offers;
  it('-PLUS refused at the proof while another login worked: critical, with our binding digest', () => {
    const c = canary(offers12, [attempt('TLSv1.3', 'unbound', ok), attempt('TLSv1.2', 'bind', refusedAtProof())]);
    const f = judge([ep(5222, prosody12(), { canary: c })]).find((x) => x.code === 'sasl.channel-binding-failed');
    assert.ok(f);
    assert.equal(f.severity, 'critical');
    const ev = f.evidence as { failed: Array<{ bindingSha256: string }>; passwordProvenBy: { tlsVersion: string } };
    assert.equal(ev.failed[0]!.bindingSha256, 'ab'.repeat(32));
    assert.equal(ev.passwordProvenBy.tlsVersion, 'TLSv1.3');
  });
  it('…or when the server says the binding did not match, even with no other login', () => {
    const c = canary(offers12.slice(1), [attempt('TLSv1.2', 'bind', refusedAtProof('Invalid channel binding'))]);
    assert.ok(judge([ep(5222, obs(offers12[1]!), { canary: c })]).some((x) => x.code === 'sasl.channel-binding-failed'));
  });
  it('refused at the proof with nothing showing the password is right: canary-login-failed (error), not critical', () => {
    const c = canary(offers12.slice(1), [attempt('TLSv1.2', 'bind', refusedAtProof())]);
    assert.deepEqual(codes(judge([ep(5222, obs(offers12[1]!), { canary: c })])).filter((x) => x.startsWith('sasl.canary') || x.startsWith('sasl.channel-binding-failed')), ['sasl.canary-login-failed:error']);
  });
  it('an unsupported type refused at client-first is not a failure; a bound login is verified (ok)', () => {
    const c = canary(offers12, [attempt('TLSv1.3', 'unbound', ok), attempt('TLSv1.2', 'bind', ok), attempt('TLSv1.2', 'bind', refusedAtFirst(), { bindingType: 'tls-server-end-point' }), attempt('TLSv1.2', 'y-test', refusedAtFirst())]);
    const fs = judge([ep(5222, prosody12(), { canary: c, daneEe: true })]);
    assert.deepEqual(codes(fs), ['sasl.channel-binding-tls12-only:info', 'sasl.channel-binding-verified:ok', 'sasl.no-xep0440:info', 'sasl.no-xep0474:info']);
  });
  it('y accepted while -PLUS is offered: server-accepts-y, confirmed (warning)', () => {
    const c = canary(offers12, [attempt('TLSv1.2', 'bind', ok), attempt('TLSv1.2', 'y-test', ok)]);
    assert.ok(judge([ep(5222, prosody12(), { canary: c })]).some((f) => f.code === 'sasl.server-accepts-y' && f.severity === 'warning'));
  });
  it('y refused where no -PLUS was offered: stripping when another path offers -PLUS (critical), else a warning', () => {
    const stripped = obs(offer('TLSv1.3', ['SCRAM-SHA-256']), offer('TLSv1.2', ['SCRAM-SHA-256']));
    const c = canary(stripped.offers, [attempt('TLSv1.3', 'unbound', ok), attempt('TLSv1.2', 'unbound', refusedAtFirst())]);
    const fs = judge([ep(5222, stripped, { canary: c }), ep(5223, prosody12())]);
    const d = fs.find((f) => f.code === 'sasl.downgrade-detected')!;
    assert.equal(d.severity, 'critical');
    assert.deepEqual(d.endpoints, ['xmpp.example.test:5222 (192.0.2.1)']);
    assert.deepEqual(codes(judge([ep(5222, stripped, { canary: c })])), ['sasl.no-channel-binding:warning', 'sasl.no-xep0474:info', 'sasl.y-flag-refused:warning']);
  });
  it('requirePlus: an endpoint without any -PLUS login is a downgrade, never a fallback', () => {
    const none = obs(offer('TLSv1.3', ['SCRAM-SHA-256']), offer('TLSv1.2', ['SCRAM-SHA-256']));
    const c = canary(none.offers, [attempt('TLSv1.3', 'unbound', ok), attempt('TLSv1.2', 'unbound', ok)]);
    const fs = judge([ep(5222, none, { canary: c })], { requirePlus: true });
    const d = fs.find((f) => f.code === 'sasl.downgrade-detected')!;
    assert.equal(d.severity, 'critical');
    assert.equal((d.evidence as { method: string }).method, 'canary-requires-plus');
  });
  it('a bad server signature and an XEP-0474 mismatch are critical', () => {
    const c = canary(offers12, [
      attempt('TLSv1.3', 'unbound', { outcome: 'bad-server-signature', detail: 'v= does not verify' }),
      attempt('TLSv1.2', 'bind', { outcome: 'ssdp-mismatch', ssdp: { state: 'mismatch', format: '0.4', received: 'x', expected: 'y' } }),
    ]);
    const fs = judge([ep(5222, prosody12(), { canary: c })]);
    assert.ok(fs.some((f) => f.code === 'sasl.server-signature-invalid' && f.severity === 'critical'));
    assert.ok(fs.some((f) => f.code === 'sasl.downgrade-detected' && (f.evidence as { method: string }).method === 'xep-0474'));
  });
  it('few iterations are a warning; every finding above info has a remediation', () => {
    const c = canary(offers12, [attempt('TLSv1.3', 'unbound', { ...ok, iterations: 1000 })]);
    const fs = judge([ep(5222, prosody12(), { canary: c })]);
    assert.ok(fs.some((f) => f.code === 'sasl.scram-iterations-low' && f.severity === 'warning'));
    const all = [...fs, ...judge([ep(5222, obs(offer('TLSv1.3', ['PLAIN'])), { observation: { ...obs(offer('TLSv1.3', ['PLAIN'])), beforeTls: ['PLAIN'] } })])];
    assert.deepEqual(all.filter((f) => f.severity !== 'info' && f.severity !== 'ok' && !f.remediation).map((f) => f.code), []);
  });
});
