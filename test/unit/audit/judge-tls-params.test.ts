// TLS parameters across the endpoints of a host: the jabber.ru pattern (anonymous suites accepted
// on one port, refused on the others), parameters that differ, obsolete versions, and what must
// not produce a finding (identical endpoints, failed probes, two different hosts, two daemons).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judgeTlsParams, type TlsParamsObservation } from '../../../src/audit/judge-tls-params.ts';
import type { AnonymousResult } from '../../../src/probe/variants.ts';

const LEAF = 'a'.repeat(64);
const INTER = 'b'.repeat(64);
const OTHER_INTER = 'c'.repeat(64);
const ISSUER = 'C=US\nO=Let\'s Encrypt\nCN=R10';
const REFUSED: AnonymousResult = { outcome: 'refused', alert: 'handshake_failure', error: 'TLS handshake failed', errorKind: 'tls', stage: 'tls' };
const ACCEPTED: AnonymousResult = { outcome: 'accepted', version: 'TLSv1.2', cipher: 'TLS_DH_anon_WITH_AES_256_GCM_SHA384' };
const UNKNOWN: AnonymousResult = { outcome: 'unknown', error: 'connection closed', errorKind: 'closed', stage: 'tls' };

const ep = (port: number, protocol: string, extra: Partial<TlsParamsObservation> = {}): TlsParamsObservation => ({
  host: 'xmpp.example.org',
  port,
  address: '192.0.2.1',
  protocol,
  version: 'TLSv1.3',
  cipher: 'TLS_AES_256_GCM_SHA384',
  chainSha256: [LEAF, INTER],
  issuer: ISSUER,
  anonymous: REFUSED,
  ...extra,
});
const xmpp = (extra: Partial<Record<5222 | 5223 | 5269, Partial<TlsParamsObservation>>> = {}) => [
  ep(5222, 'xmpp-c2s', extra[5222]),
  ep(5223, 'xmpps-c2s', extra[5223]),
  ep(5269, 'xmpp-s2s', extra[5269]),
];
const codes = (f: ReturnType<typeof judgeTlsParams>) => f.map((x) => `${x.code}:${x.severity}`).sort();

describe('judgeTlsParams', () => {
  it('the same parameters everywhere: nothing to report', () => {
    assert.deepEqual(judgeTlsParams(xmpp()), []);
  });

  it('nothing observed: nothing to report', () => {
    assert.deepEqual(judgeTlsParams([]), []);
  });

  it('jabber.ru: 5222 accepts anonymous suites, 5223 and 5269 refuse → critical on 5222, and the difference named', () => {
    const f = judgeTlsParams(xmpp({ 5222: { anonymous: ACCEPTED, version: 'TLSv1.2', cipher: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384' } }));
    assert.deepEqual(codes(f), ['tls.anonymous-accepted:critical', 'tls.params-differ:warning']);
    const anon = f.find((x) => x.code === 'tls.anonymous-accepted')!;
    assert.deepEqual(anon.endpoints, ['xmpp.example.org:5222 (192.0.2.1)']);
    assert.match(anon.title, /other endpoints of xmpp\.example\.org refuse/);
    assert.match(anon.detail, /TLS_DH_anon_WITH_AES_256_GCM_SHA384 \(TLSv1\.2\)/);
    assert.match(anon.detail, /any active attacker/);
    assert.match(anon.detail, /xmpp\.example\.org:5223 \(192\.0\.2\.1\), xmpp\.example\.org:5269 \(192\.0\.2\.1\)/);
    assert.deepEqual(anon.evidence.refusedBy, ['xmpp.example.org:5223 (192.0.2.1)', 'xmpp.example.org:5269 (192.0.2.1)']);
    assert.match(anon.remediation ?? '', /!aNULL:!eNULL/);
    assert.match(anon.remediation ?? '', /ejabberd/);

    const differ = f.find((x) => x.code === 'tls.params-differ')!;
    assert.deepEqual(differ.evidence.differs, ['version', 'cipher', 'anonymous']);
    assert.match(differ.title, /differ in protocol version, cipher suite, anonymous\/NULL suites$/);
    assert.match(differ.detail, /protocol version: TLSv1\.2 on xmpp\.example\.org:5222 \(192\.0\.2\.1\); TLSv1\.3 on xmpp\.example\.org:5223 \(192\.0\.2\.1\), xmpp\.example\.org:5269 \(192\.0\.2\.1\)\./);
    // Side by side, one row per endpoint.
    const table = differ.evidence.table as Array<Record<string, unknown>>;
    assert.deepEqual(
      table.map((r) => [r.endpoint, r.version, r.cipher, r.anonymous]),
      [
        ['xmpp.example.org:5222 (192.0.2.1)', 'TLSv1.2', 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'accepted (TLS_DH_anon_WITH_AES_256_GCM_SHA384, TLSv1.2)'],
        ['xmpp.example.org:5223 (192.0.2.1)', 'TLSv1.3', 'TLS_AES_256_GCM_SHA384', 'refused'],
        ['xmpp.example.org:5269 (192.0.2.1)', 'TLSv1.3', 'TLS_AES_256_GCM_SHA384', 'refused'],
      ],
    );
    assert.deepEqual(table[0]!.intermediates, [INTER]);
  });

  it('anonymous suites accepted everywhere on an XMPP host: error on each endpoint, no contrast', () => {
    const f = judgeTlsParams(xmpp({ 5222: { anonymous: ACCEPTED }, 5223: { anonymous: ACCEPTED }, 5269: { anonymous: ACCEPTED } }));
    assert.deepEqual(codes(f), ['tls.anonymous-accepted:error', 'tls.anonymous-accepted:error', 'tls.anonymous-accepted:error']);
    assert.match(f[0]!.detail, /normally refuse them/);
  });

  it('accepted where the others could not tell: error, not critical (unknown is not a refusal)', () => {
    const f = judgeTlsParams(xmpp({ 5222: { anonymous: ACCEPTED }, 5223: { anonymous: UNKNOWN }, 5269: { anonymous: undefined } }));
    assert.deepEqual(codes(f), ['tls.anonymous-accepted:error']);
  });

  it('SMTP: Postfix accepts anonymous suites by default → info; a refusal on another address of the host → critical', () => {
    const mx = (address: string, anonymous: AnonymousResult): TlsParamsObservation => ({ ...ep(25, 'smtp', { anonymous }), host: 'mx.example.org', address });
    const alone = judgeTlsParams([mx('192.0.2.25', ACCEPTED), mx('2001:db8::25', ACCEPTED)]);
    assert.deepEqual(codes(alone), ['tls.anonymous-accepted:info', 'tls.anonymous-accepted:info']);
    assert.match(alone[0]!.detail, /Postfix/);
    assert.match(alone[0]!.remediation ?? '', /smtpd_tls_exclude_ciphers = aNULL, eNULL/);

    const split = judgeTlsParams([mx('192.0.2.25', ACCEPTED), mx('2001:db8::25', REFUSED)]);
    assert.deepEqual(codes(split), ['tls.anonymous-accepted:critical', 'tls.params-differ:warning']);
    assert.deepEqual(split.find((x) => x.code === 'tls.anonymous-accepted')!.endpoints, ['mx.example.org:25 (192.0.2.25)']);
  });

  it('different intermediates on one port: params-differ, naming the chain', () => {
    const f = judgeTlsParams(xmpp({ 5222: { chainSha256: [LEAF, OTHER_INTER] } }));
    assert.deepEqual(codes(f), ['tls.params-differ:warning']);
    assert.deepEqual(f[0]!.evidence.differs, ['chain']);
    assert.match(f[0]!.title, /intermediate certificates/);
    assert.match(f[0]!.detail, /cccccccccccccccc… on xmpp\.example\.org:5222/);
  });

  it('a leaf-only endpoint next to full chains is a difference; a different leaf alone is not (judge-keys.ts has it)', () => {
    const leafOnly = judgeTlsParams(xmpp({ 5223: { chainSha256: [LEAF] } }));
    assert.deepEqual(leafOnly[0]?.evidence.differs, ['chain']);
    assert.match(leafOnly[0].detail, /none \(leaf only\) on xmpp\.example\.org:5223/);
    assert.deepEqual(judgeTlsParams(xmpp({ 5223: { chainSha256: ['d'.repeat(64), INTER] } })), []);
  });

  it('a different leaf issuer: params-differ on the issuer', () => {
    const f = judgeTlsParams(xmpp({ 5269: { issuer: 'O=Interception Inc\nCN=MITM CA' } }));
    assert.deepEqual(f[0]?.evidence.differs, ['issuer']);
    assert.match(f[0].detail, /O=Interception Inc, CN=MITM CA on xmpp\.example\.org:5269/);
  });

  it('failed probes (undefined fields) are not differences', () => {
    const failed: Partial<TlsParamsObservation> = { version: undefined, cipher: undefined, chainSha256: undefined, issuer: undefined, anonymous: undefined };
    assert.deepEqual(judgeTlsParams(xmpp({ 5222: failed })), []);
    // Partially known: a probe whose anonymous check could not tell.
    assert.deepEqual(judgeTlsParams(xmpp({ 5223: { anonymous: UNKNOWN } })), []);
    // Only one endpoint left with data: nothing to compare with.
    assert.deepEqual(judgeTlsParams(xmpp({ 5222: failed, 5223: failed, 5269: { version: 'TLSv1.2' } })), []);
  });

  it('two hosts are never compared with each other', () => {
    const a = xmpp();
    const b = xmpp({ 5222: { version: 'TLSv1.2' }, 5223: { version: 'TLSv1.2' }, 5269: { version: 'TLSv1.2' } }).map((o) => ({ ...o, host: 'other.example.org', address: '198.51.100.7' }));
    assert.deepEqual(judgeTlsParams([...a, ...b]), []);
    // …but within one of them a difference still shows, named for that host only.
    const c = b.map((o, i) => (i === 0 ? { ...o, cipher: 'TLS_CHACHA20_POLY1305_SHA256' } : o));
    const f = judgeTlsParams([...a, ...c]);
    assert.deepEqual(codes(f), ['tls.params-differ:warning']);
    assert.match(f[0]!.title, /^endpoints of other\.example\.org differ in cipher suite$/);
    assert.ok(f[0]!.endpoints.every((e) => e.startsWith('other.example.org:')));
  });

  it('one host, one name: case and the root dot do not split it', () => {
    const f = judgeTlsParams([ep(5222, 'xmpp-c2s', { version: 'TLSv1.2' }), { ...ep(5223, 'xmpps-c2s'), host: 'XMPP.example.org.' }]);
    assert.deepEqual(codes(f), ['tls.params-differ:warning']);
  });

  it('two daemons on one host (SMTP and IMAP) are not compared', () => {
    const smtp = { ...ep(25, 'smtp', { version: 'TLSv1.2', cipher: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', anonymous: ACCEPTED }), host: 'mail.example.org' };
    const imaps = { ...ep(993, 'imaps'), host: 'mail.example.org' };
    const imap = { ...ep(143, 'imap'), host: 'mail.example.org' };
    assert.deepEqual(codes(judgeTlsParams([smtp, imaps, imap])), ['tls.anonymous-accepted:info']);
    // IMAP and IMAPS are one service: a difference between them counts.
    assert.deepEqual(codes(judgeTlsParams([imaps, { ...imap, version: 'TLSv1.2' }])), ['tls.params-differ:warning']);
  });

  it('TLS 1.0 / 1.1 / SSLv3 negotiated: version-obsolete per endpoint', () => {
    const f = judgeTlsParams([
      ep(5222, 'xmpp-c2s', { version: 'TLSv1', cipher: 'TLS_RSA_WITH_AES_128_CBC_SHA' }),
      ep(5223, 'xmpps-c2s', { version: 'TLSv1.1' }),
      { ...ep(443, 'https', { version: 'SSLv3' }), host: 'www.example.org' },
      { ...ep(443, 'https', { version: 'TLSv1.2' }), host: 'www2.example.org' },
    ]);
    const obsolete = f.filter((x) => x.code === 'tls.version-obsolete');
    assert.deepEqual(
      obsolete.map((x) => [x.endpoints[0], x.severity, x.rfc]),
      [
        ['xmpp.example.org:5222 (192.0.2.1)', 'warning', 'RFC 8996'],
        ['xmpp.example.org:5223 (192.0.2.1)', 'warning', 'RFC 8996'],
        ['www.example.org:443 (192.0.2.1)', 'warning', 'RFC 7568'],
      ],
    );
    assert.match(obsolete[0]!.title, /negotiated TLSv1$/);
    assert.match(obsolete[0]!.detail, /TLS_RSA_WITH_AES_128_CBC_SHA/);
    // And the two XMPP ports differ in version with each other.
    assert.deepEqual(f.find((x) => x.code === 'tls.params-differ')?.evidence.differs, ['version', 'cipher']);
  });
});
