import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  canonicalNameWire,
  compareCanonicalRdata,
  parseRrsigRdata,
  rrsigLabelCount,
  rrsigRdataPrefix,
  rrsigSignedData,
  signedOwnerName,
  WireFormatError,
  type SignedRecord,
  type WireFormatErrorCode,
} from '../../../../src/dns/dnssec/signed-data.ts';
import { b64, concat, nameWire, RFC5702, rrsigPrefixBytes, rrWire, TYPE_A, u16, u32 } from './rfc-vectors.ts';

function assertWireError(fn: () => unknown, code: WireFormatErrorCode): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof WireFormatError, `expected WireFormatError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  });
}

const TYPE_TXT = 16;
const a = (owner: string, ...octets: number[]): SignedRecord => ({ ownerWire: nameWire(owner), type: TYPE_A, class: 1, rdataCanonical: new Uint8Array(octets) });
const txt = (owner: string, rdata: Uint8Array): SignedRecord => ({ ownerWire: nameWire(owner), type: TYPE_TXT, class: 1, rdataCanonical: rdata });
/** TXT RDATA of one character-string. */
const txtRdata = (s: string): Uint8Array => concat(new Uint8Array([s.length]), Buffer.from(s, 'ascii'));

const v = RFC5702[0]!;
const fullRrsigRdata = concat(rrsigPrefixBytes(v.rrsig), b64(v.rrsig.signatureB64));

describe('RRSIG RDATA parsing', () => {
  test('parseRrsigRdata reads the RFC 5702 §6.1 RRSIG', () => {
    const f = parseRrsigRdata(fullRrsigRdata);
    assert.equal(f.typeCovered, TYPE_A);
    assert.equal(f.algorithm, 8);
    assert.equal(f.labels, 3);
    assert.equal(f.originalTtl, 3600);
    assert.equal(f.expiration, v.rrsig.expiration);
    assert.equal(f.inception, v.rrsig.inception);
    assert.equal(f.keyTag, 9033);
    assert.deepEqual(f.signerNameWire, nameWire('example.net.'));
    assert.deepEqual(f.signature, b64(v.rrsig.signatureB64));
  });

  test('rrsigRdataPrefix is the RDATA without the signature, signer name lowercased, input untouched', () => {
    assert.deepEqual(rrsigRdataPrefix(fullRrsigRdata), rrsigPrefixBytes(v.rrsig));
    const upper = Buffer.from(concat(rrsigPrefixBytes({ ...v.rrsig, signer: 'EXAMPLE.Net.' }), b64(v.rrsig.signatureB64)));
    const before = Buffer.from(upper);
    assert.deepEqual(rrsigRdataPrefix(upper), rrsigPrefixBytes(v.rrsig));
    assert.deepEqual(upper, before);
  });

  test('truncated and compressed RRSIGs are typed errors', () => {
    assertWireError(() => parseRrsigRdata(fullRrsigRdata.subarray(0, 18)), 'rrsig-truncated');
    assertWireError(() => parseRrsigRdata(fullRrsigRdata.subarray(0, 22)), 'name-truncated');
    assertWireError(() => parseRrsigRdata(concat(fullRrsigRdata.subarray(0, 18), new Uint8Array([0xc0, 0x0c]))), 'name-compressed');
    const longName = concat(...Array.from({ length: 5 }, () => concat(new Uint8Array([63]), new Uint8Array(63).fill(0x61))), new Uint8Array([0]));
    assertWireError(() => parseRrsigRdata(concat(fullRrsigRdata.subarray(0, 18), longName)), 'name-too-long');
  });
});

describe('canonical names and labels', () => {
  test('canonicalNameWire lowercases A–Z only', () => {
    assert.deepEqual(canonicalNameWire(nameWire('WwW.ExAmPlE.NeT.')), nameWire('www.example.net.'));
    const odd = new Uint8Array([3, 0x5b, 0x40, 0xc4, 0]); // '[', '@', and a non-ASCII octet stay as they are
    assert.deepEqual(canonicalNameWire(odd), odd);
    assertWireError(() => canonicalNameWire(concat(nameWire('a.'), new Uint8Array([1]))), 'trailing-bytes');
  });

  test('rrsigLabelCount ignores the root and a leading wildcard (RFC 4034 §3.1.3)', () => {
    assert.equal(rrsigLabelCount(nameWire('.')), 0);
    assert.equal(rrsigLabelCount(nameWire('www.example.net.')), 3);
    assert.equal(rrsigLabelCount(nameWire('*.w.example.')), 2);
    assert.equal(rrsigLabelCount(nameWire('a.*.w.example.')), 4);
  });

  test('signedOwnerName reconstructs the wildcard (RFC 4035 §5.3.2) and is idempotent', () => {
    assert.deepEqual(signedOwnerName(nameWire('a.z.w.example.'), 2), nameWire('*.w.example.'));
    assert.deepEqual(signedOwnerName(nameWire('*.w.example.'), 2), nameWire('*.w.example.'));
    assert.deepEqual(signedOwnerName(nameWire('A.Example.'), 2), nameWire('a.example.'));
    assert.deepEqual(signedOwnerName(nameWire('a.example.'), 0), nameWire('*.'));
    assertWireError(() => signedOwnerName(nameWire('example.'), 2), 'labels-exceed-owner');
  });
});

describe('rrsigSignedData (RFC 4034 §3.1.8.1, §6.3)', () => {
  const prefix = rrsigPrefixBytes({ ...v.rrsig, typeCovered: TYPE_A });
  const txtPrefix = rrsigPrefixBytes({ ...v.rrsig, typeCovered: TYPE_TXT });
  const owner = 'www.example.net.';

  test('the same RRset in two orders gives identical bytes, in canonical order', () => {
    const one = rrsigSignedData(prefix, [a(owner, 192, 0, 2, 91), a(owner, 10, 0, 0, 1), a(owner, 192, 0, 2, 1)]);
    const two = rrsigSignedData(prefix, [a(owner, 192, 0, 2, 1), a(owner, 192, 0, 2, 91), a(owner, 10, 0, 0, 1)]);
    assert.deepEqual(one, two);
    const expected = concat(
      prefix,
      rrWire(owner, TYPE_A, 3600, new Uint8Array([10, 0, 0, 1])),
      rrWire(owner, TYPE_A, 3600, new Uint8Array([192, 0, 2, 1])),
      rrWire(owner, TYPE_A, 3600, new Uint8Array([192, 0, 2, 91])),
    );
    assert.deepEqual(one, expected);
  });

  test('duplicate RDATA is signed once (RFC 4034 §6.3)', () => {
    const withDuplicates = rrsigSignedData(prefix, [a(owner, 192, 0, 2, 1), a(owner, 192, 0, 2, 91), a(owner, 192, 0, 2, 1)]);
    assert.deepEqual(withDuplicates, rrsigSignedData(prefix, [a(owner, 192, 0, 2, 91), a(owner, 192, 0, 2, 1)]));
  });

  test('a proper prefix sorts first: absence of an octet sorts before a zero octet', () => {
    const short = txtRdata('abc');
    const long = concat(txtRdata('abc'), txtRdata(''));
    // 03 'abc' is a proper prefix of 03 'abc' 00, so it sorts first.
    const signed = rrsigSignedData(txtPrefix, [txt(owner, long), txt(owner, short)]);
    assert.deepEqual(signed, concat(txtPrefix, rrWire(owner, TYPE_TXT, 3600, short), rrWire(owner, TYPE_TXT, 3600, long)));
    assert.ok(compareCanonicalRdata(new Uint8Array([1]), new Uint8Array([1, 0])) < 0);
    assert.ok(compareCanonicalRdata(new Uint8Array([1, 0]), new Uint8Array([2])) < 0);
    assert.equal(compareCanonicalRdata(new Uint8Array([7]), new Uint8Array([7])), 0);
  });

  test('RDATA is compared as unsigned octets, not by length first', () => {
    const signed = rrsigSignedData(txtPrefix, [txt(owner, txtRdata('b')), txt(owner, txtRdata('aaaa'))]);
    // 01 'b' vs 04 'aaaa': the length octet 1 < 4 decides, whatever the text.
    assert.deepEqual(signed, concat(txtPrefix, rrWire(owner, TYPE_TXT, 3600, txtRdata('b')), rrWire(owner, TYPE_TXT, 3600, txtRdata('aaaa'))));
  });

  test('every RR carries the RRSIG Original TTL; owner and signer are lowercased', () => {
    const prefix300 = rrsigPrefixBytes({ ...v.rrsig, originalTtl: 300, signer: 'Example.NET.' });
    const signed = rrsigSignedData(prefix300, [a('WWW.Example.Net.', 192, 0, 2, 1)]);
    const expected = concat(rrsigPrefixBytes({ ...v.rrsig, originalTtl: 300 }), rrWire(owner, TYPE_A, 300, new Uint8Array([192, 0, 2, 1])));
    assert.deepEqual(signed, expected);
  });

  test('a wildcard-expanded answer is signed over the wildcard owner', () => {
    const wildPrefix = rrsigPrefixBytes({ ...v.rrsig, labels: 2 });
    const signed = rrsigSignedData(wildPrefix, [a('a.z.example.net.', 192, 0, 2, 1)]);
    assert.deepEqual(signed, concat(wildPrefix, rrWire('*.example.net.', TYPE_A, 3600, new Uint8Array([192, 0, 2, 1]))));
  });

  test('records that are not one RRset of the covered type are refused', () => {
    assertWireError(() => rrsigSignedData(prefix, []), 'empty-rrset');
    assertWireError(() => rrsigSignedData(prefix, [txt(owner, txtRdata('x'))]), 'rrset-mismatch');
    assertWireError(() => rrsigSignedData(prefix, [a(owner, 1, 2, 3, 4), a('other.example.net.', 1, 2, 3, 4)]), 'rrset-mismatch');
    assertWireError(() => rrsigSignedData(prefix, [a(owner, 1, 2, 3, 4), { ...a(owner, 1, 2, 3, 5), class: 3 }]), 'rrset-mismatch');
    assertWireError(() => rrsigSignedData(prefix, [{ ...a(owner), rdataCanonical: new Uint8Array(0x10000) }]), 'rdata-too-long');
  });

  test('a full RRSIG RDATA (with signature) is refused as a prefix', () => {
    assertWireError(() => rrsigSignedData(fullRrsigRdata, [a(owner, 192, 0, 2, 91)]), 'trailing-bytes');
    assertWireError(() => rrsigSignedData(prefix.subarray(0, 10), [a(owner, 192, 0, 2, 91)]), 'rrsig-truncated');
  });

  test('an owner with more labels than Labels, and fewer', () => {
    const p4 = concat(u16(TYPE_A), new Uint8Array([8, 4]), u32(3600), u32(0), u32(0), u16(1), nameWire('example.net.'));
    assertWireError(() => rrsigSignedData(p4, [a(owner, 1, 2, 3, 4)]), 'labels-exceed-owner');
  });
});
