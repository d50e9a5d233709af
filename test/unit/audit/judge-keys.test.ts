// Attack or mistake: the same TLSA mismatch means different things depending on what the other
// endpoints of the host present. Shaped like the lab's scenarios.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judgeKeys, type KeyObservation, type TlsaState } from '../../../src/audit/judge-keys.ts';

const REAL = 'a'.repeat(64);
const MITM = 'b'.repeat(64);
const OTHER = 'c'.repeat(64);
const ports = [5222, 5223, 5269];
const obs = (keys: string[], tlsa: (port: number, key: string) => TlsaState): KeyObservation[] =>
  ports.map((port, i) => ({ host: 'xmpp.example.org', port, address: '192.0.2.1', tlsaName: `_${port}._tcp.xmpp.example.org`, spkiSha256: keys[i]!, tlsa: tlsa(port, keys[i]!) }));
const byKey = (published: string) => (_: number, key: string): TlsaState => (key === published ? { kind: 'match', by: `3 1 1 ${published}` } : { kind: 'mismatch' });
const codes = (f: ReturnType<typeof judgeKeys>) => f.map((x) => `${x.code}:${x.severity}`).sort();

describe('judgeKeys', () => {
  it('good: every endpoint presents the published key → nothing to report', () => {
    assert.deepEqual(judgeKeys(obs([REAL, REAL, REAL], byKey(REAL))), []);
  });

  it('MITM on the client ports only: critical, naming exactly the intercepted endpoints', () => {
    const f = judgeKeys(obs([MITM, MITM, REAL], byKey(REAL)));
    assert.deepEqual(codes(f), ['dane.key-differs-on-path:critical', 'dane.key-differs-on-path:critical']);
    assert.deepEqual(f.flatMap((x) => x.endpoints).sort(), ['xmpp.example.org:5222 (192.0.2.1)', 'xmpp.example.org:5223 (192.0.2.1)']);
    assert.match(f[0]!.detail, /xmpp\.example\.org:5269 \(192\.0\.2\.1\) presents the published key/);
  });

  it('one new key everywhere (renewal, or MITM on every path): error, with the records to publish', () => {
    const f = judgeKeys(obs([MITM, MITM, MITM], byKey(REAL)));
    assert.deepEqual(codes(f), ['dane.tlsa-stale:error']);
    assert.equal(f[0]!.remediation!.split('\n').filter((l) => l.includes(`TLSA 3 1 1 ${MITM}`)).length, 3);
    assert.match(f[0]!.detail, /cannot rule out an interceptor on every path/);
  });

  it('several different keys, none published: critical', () => {
    assert.deepEqual(codes(judgeKeys(obs([MITM, OTHER, MITM], byKey(REAL)))), ['dane.tlsa-mismatch:critical']);
  });

  it('no TLSA records (proven absent): a warning with the 3 1 1 records to add', () => {
    const f = judgeKeys(obs([REAL, REAL, REAL], () => ({ kind: 'absent' })));
    assert.deepEqual(codes(f), ['dane.tlsa-missing:warning']);
    assert.match(f[0]!.remediation!, /_5269\._tcp\.xmpp\.example\.org\. 3600 IN TLSA 3 1 1 a{64}/);
  });

  it('no usable TLSA and the endpoints disagree: still flagged', () => {
    const f = judgeKeys(obs([REAL, MITM, REAL], () => ({ kind: 'not-applicable', reason: 'insecure zone' })));
    assert.deepEqual(codes(f), ['tls.key-differs-between-endpoints:warning']);
  });

  it('bogus TLSA: critical for each endpoint', () => {
    const f = judgeKeys(obs([REAL, REAL, REAL], () => ({ kind: 'bogus', reason: 'RRSIG does not verify' })));
    assert.deepEqual(codes(f), ['dane.tlsa-bogus:critical', 'dane.tlsa-bogus:critical', 'dane.tlsa-bogus:critical']);
  });

  it('hosts are judged separately: a mismatch on one host is not excused by a match on another', () => {
    const a = obs([REAL, REAL, REAL], byKey(REAL));
    const b = obs([MITM, MITM, MITM], byKey(REAL)).map((o) => ({ ...o, host: 'other.example.org' }));
    assert.deepEqual(codes(judgeKeys([...a, ...b])), ['dane.tlsa-stale:error']);
  });
});
