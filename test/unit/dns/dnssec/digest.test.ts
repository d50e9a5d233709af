import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { base32hexDecode, base32hexEncode, dsDigest, nsec3Hash } from '../../../../src/dns/dnssec/digest.ts';
import { WireFormatError } from '../../../../src/dns/dnssec/signed-data.ts';
import {
  dnskeyRdata,
  hex,
  nameWire,
  RFC4034_DSKEY,
  RFC5155_HASHES,
  RFC5155_ITERATIONS,
  RFC5155_SALT,
  RFC6605,
  RFC6605_ZONE,
  RFC8080,
  RFC8080_OWNER,
  toHex,
} from './rfc-vectors.ts';

describe('dsDigest (RFC 4034 §5.1.4)', () => {
  const dskey = dnskeyRdata(RFC4034_DSKEY.flags, RFC4034_DSKEY.algorithm, RFC4034_DSKEY.publicKey);

  test('RFC 4034 §5.4: SHA-1 DS of dskey.example.com. (computed only when deprecated digests are allowed)', () => {
    const d = dsDigest(1, nameWire(RFC4034_DSKEY.owner), dskey, { allowDeprecated: true });
    assert.equal(d && toHex(d).toUpperCase(), RFC4034_DSKEY.dsSha1);
    assert.equal(dsDigest(1, nameWire(RFC4034_DSKEY.owner), dskey), undefined, 'SHA-1 is deprecated by default');
  });

  test('the owner name is lowercased before hashing (and the input is left alone)', () => {
    const upper = Buffer.from(nameWire('DSKEY.Example.COM.'));
    const before = Buffer.from(upper);
    const d = dsDigest(1, upper, dskey, { allowDeprecated: true });
    assert.equal(d && toHex(d).toUpperCase(), RFC4034_DSKEY.dsSha1);
    assert.deepEqual(upper, before);
  });

  test('RFC 6605 §6: SHA-256 DS of the P-256 key and SHA-384 DS of the P-384 key', () => {
    for (const v of RFC6605) {
      const d = dsDigest(v.dsDigestType, nameWire(RFC6605_ZONE), dnskeyRdata(v.flags, v.algorithm, v.publicKey));
      assert.deepEqual(d, hex(v.dsDigest), v.section);
    }
  });

  test('RFC 8080 §6: SHA-256 DS of the four EdDSA keys', () => {
    for (const v of RFC8080) {
      const d = dsDigest(2, nameWire(RFC8080_OWNER), dnskeyRdata(257, v.algorithm, v.publicKey));
      assert.deepEqual(d, hex(v.dsSha256), v.section);
    }
  });

  test('unsupported and unknown digest types give undefined (RFC 6840 §5.2: ignore such DS)', () => {
    for (const type of [0, 3, 5, 6, 7, 255]) assert.equal(dsDigest(type, nameWire(RFC8080_OWNER), dskey), undefined, `type ${type}`);
  });

  test('a malformed owner name is a typed error', () => {
    assert.throws(() => dsDigest(2, new Uint8Array([0xc0, 0x0c]), dskey), WireFormatError);
    assert.throws(() => dsDigest(2, new Uint8Array([3, 0x61, 0x62]), dskey), WireFormatError);
    assert.throws(() => dsDigest(2, new Uint8Array([0, 0]), dskey), WireFormatError);
  });
});

describe('nsec3Hash (RFC 5155 §5)', () => {
  const salt = hex(RFC5155_SALT);

  test('RFC 5155 Appendix A/B: H(name), SHA-1, 12 iterations, salt aabbccdd', () => {
    for (const [name, expected] of RFC5155_HASHES) {
      const h = nsec3Hash(nameWire(name), salt, RFC5155_ITERATIONS);
      assert.equal(h && base32hexEncode(h), expected, name);
    }
  });

  test('names are lowercased first', () => {
    const h = nsec3Hash(nameWire('X.W.Example.'), salt, RFC5155_ITERATIONS);
    assert.equal(h && base32hexEncode(h), 'b4um86eghhds6nea196smvmlo4ors995');
  });

  test('zero iterations is a single hash of name | salt', () => {
    const h = nsec3Hash(nameWire('example.'), salt, 0);
    assert.equal(h?.length, 20);
    assert.notEqual(h && base32hexEncode(h), '0p9mhaveqvm6t7vbl5lop2u3t2rp3tom');
  });

  test('unknown hash algorithms give undefined; out-of-range parameters throw', () => {
    assert.equal(nsec3Hash(nameWire('example.'), salt, 12, 2), undefined);
    assert.throws(() => nsec3Hash(nameWire('example.'), salt, 65536), RangeError);
    assert.throws(() => nsec3Hash(nameWire('example.'), salt, -1), RangeError);
    assert.throws(() => nsec3Hash(nameWire('example.'), new Uint8Array(256), 1), RangeError);
  });
});

describe('base32hex (RFC 4648 §7, unpadded)', () => {
  // RFC 4648 §10 test vectors, with the padding NSEC3 does not use removed.
  const vectors: Array<[string, string]> = [
    ['', ''],
    ['f', 'CO'],
    ['fo', 'CPNG'],
    ['foo', 'CPNMU'],
    ['foob', 'CPNMUOG'],
    ['fooba', 'CPNMUOJ1'],
    ['foobar', 'CPNMUOJ1E8'],
  ];

  test('RFC 4648 §10 vectors encode (lowercase) and decode (either case)', () => {
    for (const [plain, encoded] of vectors) {
      assert.equal(base32hexEncode(Buffer.from(plain)), encoded.toLowerCase());
      assert.equal(Buffer.from(base32hexDecode(encoded) ?? []).toString(), plain);
      assert.equal(Buffer.from(base32hexDecode(encoded.toLowerCase()) ?? []).toString(), plain);
    }
  });

  test('NSEC3 owner labels decode to 20-octet SHA-1 hashes and back', () => {
    for (const [, label] of RFC5155_HASHES) {
      const bytes = base32hexDecode(label);
      assert.equal(bytes?.length, 20);
      assert.equal(bytes && base32hexEncode(bytes), label);
    }
  });

  test('hash order is preserved by the encoding (why NSEC3 uses base32hex)', () => {
    const labels = RFC5155_HASHES.map(([, l]) => l);
    const byText = [...labels].sort();
    const byBytes = [...labels].sort((a, b) => Buffer.compare(Buffer.from(base32hexDecode(a)!), Buffer.from(base32hexDecode(b)!)));
    assert.deepEqual(byBytes, byText);
  });

  test('anything that is not an exact encoding is refused', () => {
    // Foreign characters, padding, impossible lengths, non-zero leftover bits ('9' vs '8'), and the
    // Kelvin sign, which String.toLowerCase() would turn into a valid 'k'.
    for (const bad of ['w', 'CO==', 'C', 'CPN', 'CPNMUO', 'CP', 'cpnmuoj1e9', '\u212a0', ' 0', '0p9m-haveq']) {
      assert.equal(base32hexDecode(bad), undefined, JSON.stringify(bad));
    }
  });
});
