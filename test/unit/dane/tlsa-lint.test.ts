// Operational findings on a TLSA RRset. Records only; the data need not be real digests.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lintTlsa } from '../../../src/dane/tlsa-lint.ts';
import type { TlsaRecord } from '../../../src/dane/tlsa-match.ts';

const spki = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d03010703420004' + '11'.repeat(64), 'hex');
const rec = (usage: number, selector: number, matchingType: number, fill = 0xaa): TlsaRecord => ({
  usage,
  selector,
  matchingType,
  data: matchingType === 0 ? spki : new Uint8Array(matchingType === 2 ? 64 : 32).fill(fill),
});
const codes = (rs: TlsaRecord[], service: 'smtp' | 'xmpp' | 'other' = 'xmpp') =>
  lintTlsa(rs, service)
    .map((f) => `${f.code}:${f.severity}`)
    .sort();

describe('lintTlsa', () => {
  it('a well-kept RRset (current and next key, plus the issuing CA) has no findings', () => {
    assert.deepEqual(codes([rec(3, 1, 1, 1), rec(3, 1, 1, 2), rec(2, 1, 1, 3)]), []);
    assert.deepEqual(codes([rec(3, 1, 1, 1), rec(3, 1, 1, 2)], 'smtp'), []);
  });

  it('one 3 1 1 and no DANE-TA: no-rollover-cover', () => {
    assert.deepEqual(codes([rec(3, 1, 1)]), ['tlsa.no-rollover-cover:warning']);
    assert.deepEqual(codes([rec(3, 1, 1), rec(2, 1, 1)]), []);
  });

  it('Cert(0) with DANE-EE or DANE-TA: cert-pin-fragile', () => {
    assert.deepEqual(codes([rec(3, 0, 1, 1), rec(3, 0, 1, 2)]), ['tlsa.cert-pin-fragile:warning']);
    assert.deepEqual(codes([rec(3, 1, 1, 1), rec(3, 1, 1, 2), rec(2, 0, 1)]), ['tlsa.cert-pin-fragile:warning']);
    const f = lintTlsa([rec(3, 0, 1, 1), rec(3, 1, 1, 2), rec(3, 1, 1, 3)], 'xmpp').find((x) => x.code === 'tlsa.cert-pin-fragile')!;
    assert.equal(f.records.length, 1);
    assert.match(f.rfc, /7671 §5\.1/);
  });

  it('SMTP with PKIX usages: pkix-usage-smtp; when nothing else: unusable-only (error)', () => {
    assert.deepEqual(codes([rec(1, 1, 1), rec(3, 1, 1, 1), rec(3, 1, 1, 2)], 'smtp'), ['tlsa.pkix-usage-smtp:warning']);
    assert.deepEqual(codes([rec(0, 1, 1), rec(1, 1, 1)], 'smtp'), ['tlsa.pkix-usage-smtp:warning', 'tlsa.unusable-only:error']);
    // the same records are fine for XMPP
    assert.deepEqual(codes([rec(0, 1, 1), rec(1, 1, 1)], 'xmpp'), []);
  });

  it('unknown parameters and bad data are named; alone they are unusable-only', () => {
    assert.deepEqual(codes([rec(4, 1, 1), rec(3, 2, 1), rec(3, 1, 7)]), ['tlsa.unknown-parameters:warning', 'tlsa.unusable-only:error']);
    const short: TlsaRecord = { usage: 3, selector: 1, matchingType: 1, data: new Uint8Array(20) };
    assert.deepEqual(codes([short]), ['tlsa.bad-data:warning', 'tlsa.unusable-only:error']);
    assert.deepEqual(codes([short, rec(3, 1, 1, 1), rec(3, 1, 1, 2)]), ['tlsa.bad-data:warning']);
  });

  it('Full(0): full-matching-type (info)', () => {
    assert.deepEqual(codes([rec(3, 1, 0), rec(2, 1, 1)]), ['tlsa.full-matching-type:info']);
  });

  it('digests: SHA2-256 beside SHA2-512 is ignored by clients (RFC 7671 §9); SHA2-512 alone is noted', () => {
    assert.deepEqual(codes([rec(3, 1, 1, 1), rec(3, 1, 2, 1), rec(3, 1, 2, 2)]), ['tlsa.weaker-digest-ignored:info']);
    assert.deepEqual(codes([rec(3, 1, 2, 1), rec(3, 1, 2, 2)]), ['tlsa.sha512-only:info']);
  });

  it('every finding has a message and an RFC; an empty RRset has none', () => {
    for (const f of lintTlsa([rec(3, 0, 1), rec(1, 1, 1), rec(3, 1, 0), rec(9, 1, 1)], 'smtp')) {
      assert.ok(f.message.length > 20);
      assert.match(f.rfc, /^RFC \d+/);
      assert.ok(f.records.length > 0);
    }
    assert.deepEqual(lintTlsa([], 'smtp'), []);
  });
});
