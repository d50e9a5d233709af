// The pure parts of `keywatch check`: probe outcomes and STARTTLS as findings, DNSSEC along the
// way, merging one finding seen on several endpoints, the Nagios status, and escaping what
// servers send before it reaches a terminal.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Discovery, Endpoint } from '../../../src/audit/discover.ts';
import { endpointLabel, mergeFindings, type Finding } from '../../../src/audit/finding.ts';
import { judgeDnssec } from '../../../src/audit/judge-dnssec.ts';
import { judgeDirectTls, judgeProbe } from '../../../src/audit/judge-transport.ts';
import { statusOf } from '../../../src/audit/report.ts';
import { safe } from '../../../src/audit/terminal-text.ts';
import type { TlsaLookup } from '../../../src/audit/tlsa-lookup.ts';
import type { ProbeResult } from '../../../src/probe/probe.ts';
import type { ValidationResult } from '../../../src/dns/dnssec/validator.ts';

const ep = (o: Partial<Endpoint> = {}): Endpoint & { label: string } => {
  const e: Endpoint = {
    service: '_xmpp-client._tcp',
    protocol: 'xmpp-c2s',
    host: 'xmpp.example.org',
    port: 5222,
    address: '192.0.2.1',
    family: 4,
    source: 'srv',
    priority: 0,
    weight: 0,
    dane: { applies: true, tlsaName: '_5222._tcp.xmpp.example.org' },
    referenceNames: ['xmpp.example.org', 'example.org'],
    dnssec: { service: 'secure', address: 'secure' },
    ...o,
  };
  return { ...e, label: endpointLabel(e) };
};
const failure = (stage: 'connect' | 'starttls' | 'tls' | 'features', kind: string, message = 'it failed'): ProbeResult =>
  ({ endpoint: { address: '192.0.2.1', port: 5222, protocol: 'xmpp-c2s', serviceDomain: 'example.org' }, ok: false, stage, error: { kind, message }, timings: { connectMs: 1, totalMs: 2 } }) as ProbeResult;
const codes = (f: Finding[]) => f.map((x) => `${x.code}:${x.severity}`);

describe('judgeProbe', () => {
  it('each failure kind has its own code', () => {
    const e = ep();
    assert.deepEqual(codes(judgeProbe('x', e, failure('connect', 'refused'))), ['endpoint.unreachable:error']);
    assert.deepEqual(codes(judgeProbe('x', e, failure('connect', 'timeout'))), ['endpoint.unreachable:error']);
    assert.deepEqual(codes(judgeProbe('x', e, failure('starttls', 'timeout'))), ['endpoint.limit-exceeded:error']);
    assert.deepEqual(codes(judgeProbe('x', e, failure('features', 'byte-limit'))), ['endpoint.limit-exceeded:error']);
    assert.deepEqual(codes(judgeProbe('x', e, failure('starttls', 'starttls-not-offered'))), ['starttls.not-offered:error']);
    assert.deepEqual(codes(judgeProbe('x', e, failure('starttls', 'starttls-refused'))), ['starttls.refused:error']);
    assert.deepEqual(codes(judgeProbe('x', e, failure('tls', 'tls'))), ['tls.handshake-failed:error']);
    assert.deepEqual(codes(judgeProbe('x', e, failure('features', 'protocol'))), ['xmpp.features-failed:warning']);
    assert.deepEqual(codes(judgeProbe('x', e, failure('starttls', 'protocol'))), ['endpoint.protocol-error:error']);
  });

  it('XMPP STARTTLS offered without <required/>: a warning with the setting for c2s or s2s', () => {
    const r = { ...failure('features', 'protocol'), starttls: { protocol: 'xmpp', offered: true, required: false, header: {}, features: { names: ['starttls'] } } } as unknown as ProbeResult;
    const c2s = judgeProbe('x', ep(), r).find((f) => f.code === 'starttls.not-required');
    assert.equal(c2s?.severity, 'warning');
    assert.match(c2s.remediation ?? '', /c2s_require_encryption/);
    const s2s = judgeProbe('x', ep({ protocol: 'xmpp-s2s' }), r).find((f) => f.code === 'starttls.not-required');
    assert.match(s2s?.remediation ?? '', /s2s_require_encryption/);
    const required = { ...r, starttls: { ...(r.starttls as object), required: true } } as ProbeResult;
    assert.ok(!judgeProbe('x', ep(), required).some((f) => f.code === 'starttls.not-required'));
  });
});

describe('judgeDirectTls', () => {
  it('c2s without any XEP-0368 endpoint: an info finding with the SRV record to add', () => {
    const f = judgeDirectTls('example.org', [ep()]);
    assert.deepEqual(codes(f), ['xmpp.direct-tls-missing:info']);
    assert.match(f[0]!.remediation!, /^_xmpps-client\._tcp\.example\.org\. 3600 IN SRV/);
    assert.deepEqual(judgeDirectTls('example.org', [ep(), ep({ protocol: 'xmpps-c2s', port: 5223 })]), []);
    assert.deepEqual(judgeDirectTls('example.org', []), []);
  });
});

describe('judgeDnssec', () => {
  const lookup = (name: string, type: string, security: ValidationResult['security'], insecureAt?: string): ValidationResult =>
    ({ name, type, rcode: 'NOERROR', security, answer: [], chain: [], problems: [], ede: [], ...(insecureAt ? { insecureAt } : {}) });
  const disc = (lookups: ValidationResult[], notes: Discovery['notes'] = []): Discovery => ({ domain: 'example.org', service: 'xmpp', endpoints: [], notes, lookups });

  it('one dnssec.unsigned per insecure zone, naming what was looked up there', () => {
    const f = judgeDnssec(disc([lookup('_xmpp-client._tcp.example.org.', 'SRV', 'insecure', 'example.org.'), lookup('xmpp.example.org.', 'A', 'insecure', 'example.org.'), lookup('other.net.', 'A', 'secure')]), [], new Map());
    assert.deepEqual(codes(f), ['dnssec.unsigned:warning']);
    assert.deepEqual((f[0]!.evidence as { names: string[] }).names, ['_xmpp-client._tcp.example.org SRV', 'xmpp.example.org A']);
  });

  it('secure SRV, insecure target: dane.not-applicable; TLSA published there: dane.tlsa-ignored', () => {
    const reason = 'the address records of xmpp.example.net are insecure, so TLSA records there must not be used';
    const e = ep({ host: 'xmpp.example.net', dane: { applies: false, reason }, dnssec: { service: 'secure', address: 'insecure' } });
    const tlsa = new Map<string, TlsaLookup>([['_5222._tcp.xmpp.example.net', { name: '_5222._tcp.xmpp.example.net', state: 'insecure', text: ['3 1 1 aa'] }]]);
    const f = judgeDnssec(disc([]), [e], tlsa);
    assert.deepEqual(codes(f).sort(), ['dane.not-applicable:warning', 'dane.tlsa-ignored:warning']);
  });

  it('DANE applies but the TLSA lookup failed: an error; insecure TLSA under a secure host: a warning', () => {
    const e = ep();
    const failed = new Map<string, TlsaLookup>([['_5222._tcp.xmpp.example.org', { name: '_5222._tcp.xmpp.example.org', state: 'failed', reason: 'SERVFAIL' }]]);
    assert.deepEqual(codes(judgeDnssec(disc([]), [e], failed)), ['dane.tlsa-lookup-failed:error']);
    const insecure = new Map<string, TlsaLookup>([['_5222._tcp.xmpp.example.org', { name: '_5222._tcp.xmpp.example.org', state: 'insecure', text: [] }]]);
    assert.deepEqual(codes(judgeDnssec(disc([]), [e], insecure)), ['dane.tlsa-insecure:warning']);
  });

  it('discovery notes become findings with their severity', () => {
    const f = judgeDnssec(disc([], [{ code: 'dns.srv-unusable', severity: 'critical', message: 'bogus SRV', rfc: 'RFC 7673 §3.1' }]), [], new Map());
    assert.deepEqual(codes(f), ['dns.srv-unusable:critical']);
  });
});

describe('mergeFindings', () => {
  const f = (label: string, detail = 'same'): Finding => ({ code: 'tls.cert-untrusted', severity: 'error', title: `${label} presents a chain that does not validate`, detail, endpoints: [label], evidence: {} });
  it('the same finding on three endpoints becomes one naming all three', () => {
    const m = mergeFindings([f('a:1 (x)'), f('a:2 (x)'), f('a:3 (x)'), f('b:1 (y)', 'other')]);
    assert.equal(m.length, 2);
    assert.deepEqual(m[0]!.endpoints, ['a:1 (x)', 'a:2 (x)', 'a:3 (x)']);
    assert.equal(m[0]!.title, '3 endpoints (a:1 (x), a:2 (x), a:3 (x)) presents a chain that does not validate');
    assert.equal(m[1]!.title, 'b:1 (y) presents a chain that does not validate');
  });
});

describe('statusOf (Nagios)', () => {
  const of = (...sev: Finding['severity'][]) => sev.map((severity) => ({ severity }) as Finding);
  it('critical and error → 2 even when part of the check could not run; unknown → 3; warning → 1; else 0', () => {
    assert.deepEqual(statusOf(of('critical'), 'x'), { status: 'critical', exitCode: 2 });
    assert.deepEqual(statusOf(of('error', 'info'), undefined), { status: 'critical', exitCode: 2 });
    assert.deepEqual(statusOf(of('warning'), 'nothing probed'), { status: 'unknown', exitCode: 3 });
    assert.deepEqual(statusOf(of('warning', 'info'), undefined), { status: 'warning', exitCode: 1 });
    assert.deepEqual(statusOf(of('info'), undefined), { status: 'ok', exitCode: 0 });
    assert.deepEqual(statusOf([], undefined), { status: 'ok', exitCode: 0 });
  });
});

describe('endpoint labels and terminal safety', () => {
  it('IPv6 addresses in brackets', () => {
    assert.equal(endpointLabel({ host: 'h', port: 5222, address: '2001:db8::1' }), 'h:5222 ([2001:db8::1])');
  });
  it('control characters from a certificate subject cannot reach the terminal', () => {
    assert.equal(safe('CN=evil\u001b[2J\u0007\r\nx'), 'CN=evil\\x1b[2J\\x07\\x0d\nx');
    assert.equal(safe('CN=caf\u00e9 \u009b'), 'CN=caf\u00e9 \\x9b');
  });
});
