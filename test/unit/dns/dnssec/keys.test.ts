import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { DnskeyError, dnskeyToPublicKey, keyTag, parseDnskeyRdata, parseRsaPublicKey, type DnskeyErrorCode } from '../../../../src/dns/dnssec/keys.ts';
import { b64, concat, dnskeyRdata, RFC4034_DSKEY, RFC5702, RFC6605, RFC8080 } from './rfc-vectors.ts';

function assertKeyError(fn: () => unknown, code: DnskeyErrorCode): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof DnskeyError, `expected DnskeyError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  });
}

const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');

describe('keyTag (RFC 4034 Appendix B)', () => {
  test('RFC 4034 §5.4: dskey.example.com. has key tag 60485', () => {
    assert.equal(keyTag(dnskeyRdata(RFC4034_DSKEY.flags, RFC4034_DSKEY.algorithm, RFC4034_DSKEY.publicKey)), 60485);
  });

  test('RFC 5702 §6 keys: 9033 and 3740', () => {
    for (const v of RFC5702) assert.equal(keyTag(dnskeyRdata(v.flags, v.algorithm, v.publicKey)), v.keyTag, v.section);
  });

  test('RFC 6605 §6 keys: 55648 and 10771', () => {
    for (const v of RFC6605) assert.equal(keyTag(dnskeyRdata(v.flags, v.algorithm, v.publicKey)), v.keyTag, v.section);
  });

  test('RFC 8080 §6 keys: 3613, 35217, 9713, 38353', () => {
    for (const v of RFC8080) assert.equal(keyTag(dnskeyRdata(257, v.algorithm, v.publicKey)), v.keyTag, v.section);
  });

  test('the tag covers the flags: setting the REVOKE bit (RFC 5011) changes it by 128', () => {
    const v = RFC6605[0]!;
    assert.equal(keyTag(dnskeyRdata(257 | 0x80, v.algorithm, v.publicKey)), (v.keyTag + 128) & 0xffff);
  });

  test('algorithm 1 (RSA/MD5, Appendix B.1): the 4th- and 3rd-to-last octets of the modulus', () => {
    const field = concat(new Uint8Array([1, 3]), new Uint8Array(60).fill(0x55), new Uint8Array([0xab, 0xcd, 0xef]));
    assert.equal(keyTag(concat(new Uint8Array([1, 0, 3, 1]), field)), 0xabcd);
    // The same bytes under another algorithm use the checksum, which differs.
    assert.notEqual(keyTag(concat(new Uint8Array([1, 0, 3, 8]), field)), 0xabcd);
  });

  test('carry folding: a key of 0xff octets', () => {
    // 4 fixed octets 01 00 03 08, then 8 octets of ff: words 0x0100 + 0x0308 + 4 * 0xffff.
    const rdata = concat(new Uint8Array([1, 0, 3, 8]), new Uint8Array(8).fill(0xff));
    let ac = 0x0100 + 0x0308 + 4 * 0xffff;
    ac += (ac >>> 16) & 0xffff;
    assert.equal(keyTag(rdata), ac & 0xffff);
  });

  test('RDATA too short for a tag is a typed error', () => {
    assertKeyError(() => keyTag(new Uint8Array([1, 0, 3])), 'rdata-too-short');
    assertKeyError(() => keyTag(new Uint8Array([1, 0, 3, 1, 7])), 'rdata-too-short');
  });

  test('parseDnskeyRdata splits the fixed fields', () => {
    const parts = parseDnskeyRdata(dnskeyRdata(257, 13, RFC6605[0]!.publicKey));
    assert.equal(parts.flags, 257);
    assert.equal(parts.protocol, 3);
    assert.equal(parts.algorithm, 13);
    assert.equal(parts.publicKey.length, 64);
  });
});

describe('dnskeyToPublicKey: RSA (RFC 3110)', () => {
  test('RFC 5702 keys: exponent 65537 and the RFC\'s modulus', () => {
    for (const v of RFC5702) {
      const parts = parseRsaPublicKey(b64(v.publicKey));
      assert.deepEqual([...parts.exponent], [1, 0, 1]);
      assert.equal(parts.modulusBits, v.keyBits);
      const jwk = dnskeyToPublicKey(v.algorithm, b64(v.publicKey)).export({ format: 'jwk' });
      assert.equal(jwk.n, b64url(b64(v.privateKey.n)), v.section);
      assert.equal(jwk.e, 'AQAB');
    }
  });

  const modulus = (bits: number): Uint8Array => {
    const m = new Uint8Array(bits / 8).fill(0xa5);
    m[0] = 0xc1;
    m[m.length - 1] = 0x01;
    return m;
  };

  test('malformed exponent lengths', () => {
    assertKeyError(() => dnskeyToPublicKey(8, new Uint8Array([0, 0, 0, ...modulus(1024)])), 'rsa-exponent-length');
    assertKeyError(() => dnskeyToPublicKey(8, new Uint8Array([0, 1])), 'rsa-exponent-length');
    assertKeyError(() => dnskeyToPublicKey(8, new Uint8Array([200, 1, 0, 1])), 'rsa-exponent-length');
    assertKeyError(() => dnskeyToPublicKey(8, new Uint8Array([0, 0x10, 0x00, 1])), 'rsa-exponent-length');
  });

  test('exponent values that are not RSA exponents', () => {
    assertKeyError(() => dnskeyToPublicKey(8, concat(new Uint8Array([1, 1]), modulus(1024))), 'rsa-exponent-invalid'); // e = 1: forgeable
    assertKeyError(() => dnskeyToPublicKey(8, concat(new Uint8Array([1, 2]), modulus(1024))), 'rsa-exponent-invalid');
    assertKeyError(() => dnskeyToPublicKey(8, concat(new Uint8Array([3, 1, 0, 0]), modulus(1024))), 'rsa-exponent-invalid');
    assertKeyError(() => dnskeyToPublicKey(8, concat(new Uint8Array([1, 0]), modulus(1024))), 'rsa-exponent-invalid');
  });

  test('modulus size bounds: 512..4096 bits, 1024.. for RSASHA512', () => {
    const e = new Uint8Array([3, 1, 0, 1]);
    assertKeyError(() => dnskeyToPublicKey(8, e), 'rsa-modulus-missing');
    assertKeyError(() => dnskeyToPublicKey(8, concat(e, modulus(504))), 'rsa-modulus-too-small');
    assertKeyError(() => dnskeyToPublicKey(8, concat(e, modulus(4104))), 'rsa-modulus-too-large');
    assertKeyError(() => dnskeyToPublicKey(10, concat(e, modulus(1016))), 'rsa-modulus-too-small');
    assertKeyError(() => dnskeyToPublicKey(5, concat(e, modulus(256))), 'rsa-modulus-too-small');
  });

  test('leading zero octets (prohibited by RFC 3110) are tolerated but not counted towards the size', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const jwk = publicKey.export({ format: 'jwk' });
    const n = Buffer.from(jwk.n ?? '', 'base64url');
    const key = dnskeyToPublicKey(8, concat(new Uint8Array([4, 0, 1, 0, 1]), new Uint8Array([0, 0]), n));
    assert.equal(key.asymmetricKeyDetails?.modulusLength, 1024);
    assertKeyError(() => dnskeyToPublicKey(8, concat(new Uint8Array([3, 1, 0, 1]), new Uint8Array(8), modulus(504))), 'rsa-modulus-too-small');
  });

  test('an empty public key field', () => {
    assertKeyError(() => dnskeyToPublicKey(8, new Uint8Array(0)), 'empty-key');
  });
});

describe('dnskeyToPublicKey: ECDSA (RFC 6605) and EdDSA (RFC 8080)', () => {
  test('RFC 6605 keys become P-256/P-384 keys with the DNSKEY\'s x and y', () => {
    for (const v of RFC6605) {
      const raw = b64(v.publicKey);
      const size = raw.length / 2;
      const jwk = dnskeyToPublicKey(v.algorithm, raw).export({ format: 'jwk' });
      assert.equal(jwk.crv, v.algorithm === 13 ? 'P-256' : 'P-384');
      assert.equal(jwk.x, b64url(raw.subarray(0, size)));
      assert.equal(jwk.y, b64url(raw.subarray(size)));
    }
  });

  test('ECDSA keys of the wrong length (including a 0x04-prefixed point)', () => {
    const raw = b64(RFC6605[0]!.publicKey);
    assertKeyError(() => dnskeyToPublicKey(13, raw.subarray(1)), 'ecdsa-key-length');
    assertKeyError(() => dnskeyToPublicKey(13, concat(new Uint8Array([4]), raw)), 'ecdsa-key-length');
    assertKeyError(() => dnskeyToPublicKey(14, raw), 'ecdsa-key-length');
    assertKeyError(() => dnskeyToPublicKey(13, b64(RFC6605[1]!.publicKey)), 'ecdsa-key-length');
  });

  test('an ECDSA point not on the curve is refused with a wrapped error', () => {
    const raw = b64(RFC6605[0]!.publicKey);
    const offCurve = raw.slice();
    offCurve[63] = offCurve[63]! ^ 1;
    assertKeyError(() => dnskeyToPublicKey(13, offCurve), 'ecdsa-point-invalid');
    assertKeyError(() => dnskeyToPublicKey(14, new Uint8Array(96)), 'ecdsa-point-invalid');
  });

  test('RFC 8080 keys become Ed25519/Ed448 keys', () => {
    for (const v of RFC8080) {
      const key = dnskeyToPublicKey(v.algorithm, b64(v.publicKey));
      assert.equal(key.asymmetricKeyType, v.algorithm === 15 ? 'ed25519' : 'ed448');
      assert.equal(key.export({ format: 'jwk' }).x, b64url(b64(v.publicKey)));
    }
  });

  test('EdDSA keys of the wrong length', () => {
    assertKeyError(() => dnskeyToPublicKey(15, new Uint8Array(31)), 'eddsa-key-length');
    assertKeyError(() => dnskeyToPublicKey(15, b64(RFC8080[2]!.publicKey)), 'eddsa-key-length');
    assertKeyError(() => dnskeyToPublicKey(16, new Uint8Array(56)), 'eddsa-key-length');
  });

  test('algorithms without a key format are unsupported', () => {
    for (const alg of [1, 3, 6, 12, 99]) assertKeyError(() => dnskeyToPublicKey(alg, new Uint8Array(64)), 'unsupported-algorithm');
  });
});
