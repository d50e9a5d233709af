// TLSA matching against certificates made by openssl, with expected record data computed by
// openssl (test/unit/dane/pki.ts), never by the code under test.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { certificateSpki, matchTlsa, type DaneContext, type TlsaRecord } from '../../../src/dane/tlsa-match.ts';
import { fromHex, makePki, type Pki } from './pki.ts';

let pki: Pki;
before(() => {
  pki = makePki();
});
after(() => pki.cleanup());

const rec = (usage: number, selector: number, matchingType: number, data: string | Uint8Array): TlsaRecord => ({
  usage,
  selector,
  matchingType,
  data: typeof data === 'string' ? fromHex(data) : data,
});
const ctx = (over: Partial<DaneContext> = {}): DaneContext => ({
  service: 'xmpp',
  pkix: { valid: true },
  referenceNames: ['xmpp.example.test'],
  now: new Date(),
  ...over,
});
/** leaf + intermediate, as most servers send. */
const chain = () => [pki.leaf.der, pki.inter.der];
const one = (r: TlsaRecord, c: Uint8Array[] = chain(), x: Partial<DaneContext> = {}) => {
  const v = matchTlsa([r], c, ctx(x));
  assert.equal(v.results.length, 1);
  return { ...v, r: v.results[0]! };
};

describe('certificateSpki', () => {
  it('takes the same SPKI bytes out of the certificate as openssl exports (RSA and EC)', () => {
    for (const c of [pki.leaf, pki.inter, pki.root, pki.attacker]) {
      assert.deepEqual(Buffer.from(certificateSpki(c.der)!), Buffer.from(c.spki));
    }
  });
  it('returns undefined for bytes that are not a certificate', () => {
    assert.equal(certificateSpki(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00])), undefined);
    assert.equal(certificateSpki(new Uint8Array([0x30, 0x84, 0xff, 0xff, 0xff, 0xff])), undefined);
    assert.equal(certificateSpki(pki.leaf.der.subarray(0, 100)), undefined);
  });
});

describe('DANE-EE(3)', () => {
  it('3 1 1, 3 1 2, 3 0 1, 3 0 2, 3 1 0 and 3 0 0 of the leaf match at depth 0', () => {
    for (const r of [
      rec(3, 1, 1, pki.leaf.spki256),
      rec(3, 1, 2, pki.leaf.spki512),
      rec(3, 0, 1, pki.leaf.cert256),
      rec(3, 0, 2, pki.leaf.cert512),
      rec(3, 1, 0, pki.leaf.spki),
      rec(3, 0, 0, pki.leaf.der),
    ]) {
      const v = one(r);
      assert.equal(v.verdict, 'match', v.r.record);
      assert.equal(v.r.matchedDepth, 0);
      assert.equal(v.matchedBy, v.r.record);
    }
  });

  it('record text is "u s m hex"', () => {
    assert.equal(one(rec(3, 1, 1, pki.leaf.spki256)).r.record, `3 1 1 ${pki.leaf.spki256}`);
  });

  it("another key (an interceptor's certificate from the same CA) does not match", () => {
    const v = one(rec(3, 1, 1, pki.leaf.spki256), [pki.attacker.der, pki.inter.der]);
    assert.equal(v.verdict, 'mismatch');
    assert.equal(v.r.code, 'no-cert-matches');
  });

  it('ignores names and expiry (RFC 7671 §5.1)', () => {
    const v = one(rec(3, 1, 1, pki.expired.spki256), [pki.expired.der, pki.inter.der], { referenceNames: ['unrelated.example'] });
    assert.equal(v.verdict, 'match');
    assert.equal(one(rec(3, 1, 1, pki.leaf.spki256), chain(), { referenceNames: [], now: new Date('2100-01-01') }).verdict, 'match');
  });

  it("a 3 x x record holding the CA's digest is no-match with a pointer to usage 2", () => {
    const v = one(rec(3, 1, 1, pki.inter.spki256));
    assert.equal(v.verdict, 'mismatch');
    assert.equal(v.r.code, 'ee-matches-issuer');
    assert.equal(v.r.status, 'no-match');
  });
});

describe('DANE-TA(2)', () => {
  it('2 1 1 and 2 0 1 of the sent intermediate match at depth 1', () => {
    for (const r of [rec(2, 1, 1, pki.inter.spki256), rec(2, 0, 1, pki.inter.cert256), rec(2, 1, 2, pki.inter.spki512)]) {
      const v = one(r);
      assert.equal(v.verdict, 'match', v.r.record);
      assert.equal(v.r.matchedDepth, 1);
      assert.equal(v.r.taNotSent, undefined);
    }
  });

  it('2 1 1 of the root matches when the server sends the root', () => {
    const v = one(rec(2, 1, 1, pki.root.spki256), [pki.leaf.der, pki.inter.der, pki.root.der]);
    assert.equal(v.verdict, 'match');
    assert.equal(v.r.matchedDepth, 2);
  });

  it('finds the issuer path in an unordered chain and reports the depth as sent', () => {
    const v = one(rec(2, 1, 1, pki.root.spki256), [pki.leaf.der, pki.root.der, pki.inter.der]);
    assert.equal(v.verdict, 'match');
    assert.equal(v.r.matchedDepth, 1);
  });

  it('TA not sent: 2 1 1 fails, 2 1 0 (full key, RFC 7671 §5.2.2) passes', () => {
    const digest = one(rec(2, 1, 1, pki.inter.spki256), [pki.leaf.der]);
    assert.equal(digest.verdict, 'mismatch');
    assert.equal(digest.r.code, 'no-cert-matches');
    const full = one(rec(2, 1, 0, pki.inter.spki), [pki.leaf.der]);
    assert.equal(full.verdict, 'match');
    assert.equal(full.r.taNotSent, true);
    assert.equal(full.r.matchedDepth, 1);
    // the root's key one level further up
    const root = one(rec(2, 1, 0, pki.root.spki), chain());
    assert.equal(root.verdict, 'match');
    assert.equal(root.r.matchedDepth, 2);
    assert.equal(root.r.taNotSent, true);
    assert.equal(one(rec(2, 1, 1, pki.root.spki256), chain()).verdict, 'mismatch');
  });

  it('2 0 0 (the whole TA certificate) also works when the TA is not sent', () => {
    const v = one(rec(2, 0, 0, pki.inter.der), [pki.leaf.der]);
    assert.equal(v.verdict, 'match');
    assert.equal(v.r.taNotSent, true);
  });

  it("2 1 0 of a key that signed nothing on the path does not match", () => {
    const v = one(rec(2, 1, 0, pki.rogue.spki), [pki.leaf.der]);
    assert.equal(v.verdict, 'mismatch');
    assert.equal(v.r.code, 'no-cert-matches');
  });

  it('fails when the leaf matches none of the reference names', () => {
    const v = one(rec(2, 1, 1, pki.inter.spki256), chain(), { referenceNames: ['other.example.test'] });
    assert.equal(v.verdict, 'mismatch');
    assert.equal(v.r.code, 'name-mismatch');
    assert.equal(one(rec(2, 1, 1, pki.inter.spki256), chain(), { referenceNames: [] }).r.code, 'name-mismatch');
  });

  it('accepts any one of several reference names (RFC 7673: SRV target or service domain)', () => {
    assert.equal(one(rec(2, 1, 1, pki.inter.spki256), chain(), { referenceNames: ['example.test', 'xmpp.example.test'] }).verdict, 'match');
  });

  it('names: case and a trailing dot do not matter; a wildcard matches exactly one label (RFC 6125 §6.4.3)', () => {
    const ta = rec(2, 1, 1, pki.inter.spki256);
    assert.equal(one(ta, chain(), { referenceNames: ['XMPP.Example.TEST.'] }).verdict, 'match');
    assert.equal(one(ta, chain(), { referenceNames: ['a.wild.example.test'] }).verdict, 'match');
    assert.equal(one(ta, chain(), { referenceNames: ['a.b.wild.example.test'] }).r.code, 'name-mismatch');
    assert.equal(one(ta, chain(), { referenceNames: ['wild.example.test'] }).r.code, 'name-mismatch');
  });

  it('fails on an expired leaf, and on dates checked at the injected clock', () => {
    const ta = rec(2, 1, 1, pki.inter.spki256);
    assert.equal(one(ta, [pki.expired.der, pki.inter.der]).r.code, 'expired');
    assert.equal(one(ta, chain(), { now: new Date('2100-01-01') }).r.code, 'expired');
    assert.equal(one(ta, chain(), { now: new Date('2000-01-01') }).r.code, 'not-yet-valid');
    // the same expired leaf under DANE-EE: fine
    assert.equal(one(rec(3, 1, 1, pki.expired.spki256), [pki.expired.der, pki.inter.der]).verdict, 'match');
  });

  it("same CA, other key: DANE-TA still matches an interceptor's certificate, DANE-EE does not", () => {
    const attacker = [pki.attacker.der, pki.inter.der];
    assert.equal(one(rec(2, 1, 1, pki.inter.spki256), attacker).verdict, 'match');
    assert.equal(one(rec(3, 1, 1, pki.leaf.spki256), attacker).verdict, 'mismatch');
  });

  it('a DANE-TA record matching only the leaf is no-match (ta-matches-leaf)', () => {
    const v = one(rec(2, 1, 1, pki.leaf.spki256));
    assert.equal(v.verdict, 'mismatch');
    assert.equal(v.r.status, 'no-match');
    assert.equal(v.r.code, 'ta-matches-leaf');
  });

  it('a sent CA that did not issue the leaf is not a trust anchor (ta-not-on-path)', () => {
    const v = one(rec(2, 1, 1, pki.rogue.spki256), [pki.leaf.der, pki.rogue.der]);
    assert.equal(v.verdict, 'mismatch');
    assert.equal(v.r.code, 'ta-not-on-path');
  });
});

describe('PKIX-EE(1) and PKIX-TA(0)', () => {
  it('1 1 1 matches only when PKIX validation succeeded', () => {
    assert.equal(one(rec(1, 1, 1, pki.leaf.spki256)).verdict, 'match');
    const v = one(rec(1, 1, 1, pki.leaf.spki256), chain(), { pkix: { valid: false, reason: 'unable to get local issuer certificate' } });
    assert.equal(v.verdict, 'mismatch');
    assert.equal(v.r.code, 'pkix-invalid');
    assert.match(v.r.reason!, /local issuer/);
  });

  it('0 1 1 of the intermediate matches at depth 1 only when PKIX validation succeeded', () => {
    const v = one(rec(0, 1, 1, pki.inter.spki256));
    assert.equal(v.verdict, 'match');
    assert.equal(v.r.matchedDepth, 1);
    assert.equal(one(rec(0, 1, 1, pki.inter.spki256), chain(), { pkix: { valid: false } }).r.code, 'pkix-invalid');
    assert.equal(one(rec(0, 1, 1, pki.root.spki256)).r.code, 'no-cert-matches'); // root not sent
  });

  it('SMTP: 0 x x and 1 x x are unusable (RFC 7672 §3.1.3)', () => {
    const smtp = { service: 'smtp' as const };
    const v = matchTlsa([rec(1, 1, 1, pki.leaf.spki256), rec(0, 1, 1, pki.inter.spki256)], chain(), ctx(smtp));
    assert.equal(v.verdict, 'no-usable-records');
    assert.deepEqual(v.results.map((r) => [r.status, r.code]), [['unusable', 'pkix-usage-smtp'], ['unusable', 'pkix-usage-smtp']]);
    const mixed = matchTlsa([rec(1, 1, 1, pki.leaf.spki256), rec(3, 1, 1, pki.leaf.spki256)], chain(), ctx(smtp));
    assert.equal(mixed.verdict, 'match');
    assert.equal(mixed.matchedBy, `3 1 1 ${pki.leaf.spki256}`);
  });
});

describe('unusable records', () => {
  it('are reported with a code and reason, and alone give no-usable-records', () => {
    const d32 = 'ab'.repeat(32);
    const v = matchTlsa(
      [
        rec(4, 1, 1, d32),
        rec(3, 2, 1, d32),
        rec(3, 1, 3, d32),
        rec(3, 1, 1, 'ab'.repeat(31)),
        rec(3, 1, 2, d32),
        rec(3, 1, 0, 'deadbeef'),
        rec(3, 0, 0, pki.leaf.spki), // an SPKI where a certificate belongs
        rec(2, 1, 0, pki.leaf.der), // a certificate where an SPKI belongs
      ],
      chain(),
      ctx(),
    );
    assert.equal(v.verdict, 'no-usable-records');
    assert.deepEqual(
      v.results.map((r) => r.code),
      ['unknown-usage', 'unknown-selector', 'unknown-matching-type', 'bad-digest-length', 'bad-digest-length', 'bad-full-data', 'bad-full-data', 'bad-full-data'],
    );
    for (const r of v.results) {
      assert.equal(r.status, 'unusable');
      assert.ok(r.reason && r.reason.length > 10);
    }
  });

  it('do not hide a usable record that matches', () => {
    const v = matchTlsa([rec(9, 9, 9, '00'), rec(3, 1, 1, pki.leaf.spki256)], chain(), ctx());
    assert.equal(v.verdict, 'match');
  });

  it('no records at all: no-usable-records', () => {
    assert.deepEqual(matchTlsa([], chain(), ctx()), { verdict: 'no-usable-records', results: [] });
  });
});

describe('digest agility (RFC 7671 §9)', () => {
  it('with SHA2-256 and SHA2-512 for the same usage/selector, only SHA2-512 counts', () => {
    const v = matchTlsa([rec(3, 1, 1, pki.leaf.spki256), rec(3, 1, 2, pki.attacker.spki512)], chain(), ctx());
    assert.equal(v.verdict, 'mismatch');
    assert.deepEqual(v.results.map((r) => r.code), ['weaker-digest', 'no-cert-matches']);
    assert.equal(v.results[0]!.status, 'unusable');
    const w = matchTlsa([rec(3, 1, 1, pki.attacker.spki256), rec(3, 1, 2, pki.leaf.spki512)], chain(), ctx());
    assert.equal(w.verdict, 'match');
  });

  it('applies per usage and selector, and ignores a malformed stronger record', () => {
    const v = matchTlsa([rec(3, 1, 1, pki.leaf.spki256), rec(3, 0, 2, pki.attacker.cert512), rec(2, 1, 2, pki.rogue.spki512)], chain(), ctx());
    assert.equal(v.verdict, 'match');
    assert.equal(v.results[0]!.code, 'matched');
    const bad512 = matchTlsa([rec(3, 1, 1, pki.leaf.spki256), rec(3, 1, 2, 'ab')], chain(), ctx());
    assert.deepEqual(bad512.results.map((r) => r.code), ['matched', 'bad-digest-length']);
  });

  it('Full(0) is not a digest and always counts', () => {
    const v = matchTlsa([rec(3, 1, 0, pki.leaf.spki), rec(3, 1, 2, pki.attacker.spki512)], chain(), ctx());
    assert.equal(v.verdict, 'match');
  });
});

describe('hostile or odd chains', () => {
  it('an empty chain: usable records do not match', () => {
    const v = matchTlsa([rec(3, 1, 1, pki.leaf.spki256)], [], ctx());
    assert.equal(v.verdict, 'mismatch');
    assert.equal(v.results[0]!.code, 'empty-chain');
  });

  it('garbage instead of certificates: no crash, no match', () => {
    const junk = [new Uint8Array([1, 2, 3]), new Uint8Array(0)];
    for (const r of [rec(3, 1, 1, pki.leaf.spki256), rec(2, 1, 1, pki.inter.spki256), rec(2, 1, 0, pki.inter.spki), rec(3, 0, 1, pki.leaf.cert256)]) {
      assert.equal(matchTlsa([r], junk, ctx()).verdict, 'mismatch');
    }
  });

  it('a self-signed leaf is not its own DANE-TA, even with its full key (2 1 0)', () => {
    const selfSigned = [pki.root.der];
    assert.equal(one(rec(2, 1, 0, pki.root.spki), selfSigned).r.code, 'ta-matches-leaf');
    assert.equal(one(rec(2, 1, 1, pki.root.spki256), selfSigned).r.code, 'ta-matches-leaf');
    assert.equal(one(rec(3, 1, 1, pki.root.spki256), selfSigned).verdict, 'match');
  });

  it('Full(0) data must be DER: a PEM certificate in the record is unusable', () => {
    assert.equal(one(rec(3, 0, 0, Buffer.from(pki.leaf.pem))).r.code, 'bad-full-data');
  });

  it('a long chain of repeated certificates costs a bounded amount', () => {
    const long = [pki.leaf.der, ...Array.from({ length: 500 }, () => pki.rogue.der), pki.inter.der];
    const t0 = performance.now();
    assert.equal(one(rec(2, 1, 1, pki.inter.spki256), long).verdict, 'match');
    assert.equal(one(rec(2, 1, 1, pki.root.spki256), long).verdict, 'mismatch');
    assert.ok(performance.now() - t0 < 5000);
  });
});
