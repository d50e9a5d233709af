import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { describe, test } from 'node:test';
import { nodeCanVerify } from '../../../../src/dns/dnssec/algorithms.ts';
import { rrsigSignedData } from '../../../../src/dns/dnssec/signed-data.ts';
import { clearKeyCache, keyCacheSize, verifySignature } from '../../../../src/dns/dnssec/verify.ts';
import {
  b64,
  concat,
  nameWire,
  RFC5702,
  RFC5702_A_RDATA,
  RFC5702_OWNER,
  RFC6605,
  RFC6605_A_RDATA,
  RFC6605_OWNER,
  RFC8080,
  RFC8080_MX_RDATA,
  RFC8080_OWNER,
  rfc8080Rrsig,
  rrsigPrefixBytes,
  rrWire,
  TYPE_A,
  TYPE_MX,
} from './rfc-vectors.ts';

const b64url = (text: string): string => Buffer.from(b64(text)).toString('base64url');

function flipBit(bytes: Uint8Array, index: number): Uint8Array {
  const copy = new Uint8Array(bytes); // not bytes.slice(): on a Buffer that is a view
  copy[index] = copy[index]! ^ 0x01;
  return copy;
}

/** RFC 3110 public key field from a Node RSA key (1-octet exponent length form). */
function rfc3110Field(jwk: { n?: string; e?: string }, longForm = false): Uint8Array {
  const e = Buffer.from(jwk.e ?? '', 'base64url');
  const n = Buffer.from(jwk.n ?? '', 'base64url');
  const len = longForm ? Buffer.from([0, e.length >>> 8, e.length & 0xff]) : Buffer.from([e.length]);
  return concat(len, e, n);
}

describe('RFC 5702 §6 RSA/SHA-2 examples', () => {
  for (const v of RFC5702) {
    // Built by hand, exactly as RFC 4034 §3.1.8.1 spells it: RRSIG_RDATA | owner | type | class | TTL | RDLENGTH | RDATA.
    const signedByHand = concat(rrsigPrefixBytes(v.rrsig), rrWire(RFC5702_OWNER, TYPE_A, 3600, RFC5702_A_RDATA));
    const signature = b64(v.rrsig.signatureB64);

    test(`${v.section}: the published RRSIG verifies`, () => {
      assert.deepEqual(verifySignature(v.algorithm, b64(v.publicKey), signedByHand, signature), { status: 'valid' });
    });

    test(`${v.section}: rrsigSignedData builds the same bytes as the hand-built data`, () => {
      const built = rrsigSignedData(rrsigPrefixBytes(v.rrsig), [
        { ownerWire: nameWire(RFC5702_OWNER), type: TYPE_A, class: 1, rdataCanonical: RFC5702_A_RDATA },
      ]);
      assert.deepEqual(built, signedByHand);
    });

    test(`${v.section}: re-signing with the RFC's private key reproduces the RFC's signature byte for byte`, () => {
      // PKCS#1 v1.5 is deterministic, so this pins the signed data independently of the verifier.
      const pk = v.privateKey;
      const key = createPrivateKey({
        key: { kty: 'RSA', n: b64url(pk.n), e: b64url(pk.e), d: b64url(pk.d), p: b64url(pk.p), q: b64url(pk.q), dp: b64url(pk.dp), dq: b64url(pk.dq), qi: b64url(pk.qi) },
        format: 'jwk',
      });
      const hash = v.algorithm === 8 ? 'sha256' : 'sha512';
      assert.deepEqual(new Uint8Array(sign(hash, signedByHand, key)), signature);
    });

    test(`${v.section}: a flipped bit in the signature is invalid`, () => {
      const r = verifySignature(v.algorithm, b64(v.publicKey), signedByHand, flipBit(signature, signature.length - 1));
      assert.equal(r.status, 'invalid');
      assert.equal(r.status === 'invalid' && r.reason, 'signature-mismatch');
    });

    test(`${v.section}: a flipped bit in the signed data is invalid`, () => {
      const r = verifySignature(v.algorithm, b64(v.publicKey), flipBit(signedByHand, signedByHand.length - 1), signature);
      assert.equal(r.status, 'invalid');
    });

    test(`${v.section}: truncated, empty and over-long signatures are invalid, not thrown`, () => {
      for (const bad of [signature.subarray(0, 10), signature.subarray(1), new Uint8Array(0), concat(signature, new Uint8Array([0]))]) {
        const r = verifySignature(v.algorithm, b64(v.publicKey), signedByHand, bad);
        assert.equal(r.status, 'invalid');
      }
      const r = verifySignature(v.algorithm, b64(v.publicKey), signedByHand, new Uint8Array(0));
      assert.equal(r.status === 'invalid' && r.reason, 'signature-length');
    });
  }

  test('the 512-bit RFC 5702 §6.1 key is refused for RSASHA512 (RFC 5702 §2.2: at least 1024 bits)', () => {
    const v = RFC5702[0]!;
    const r = verifySignature(10, b64(v.publicKey), new Uint8Array(1), b64(v.rrsig.signatureB64));
    assert.equal(r.status, 'invalid');
    assert.equal(r.status === 'invalid' && r.reason, 'malformed-key');
    assert.equal(r.status === 'invalid' && r.keyError, 'rsa-modulus-too-small');
  });

  test('a signature with its leading zero octet dropped still verifies (RFC 3110 §3 leading zeros)', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const field = rfc3110Field(publicKey.export({ format: 'jwk' }));
    // Find data whose signature starts with a zero octet (about 1 in 256 tries).
    for (let i = 0; i < 5000; i++) {
      const data = Buffer.from(`message ${i}`);
      const sig = new Uint8Array(sign('sha256', data, privateKey));
      if (sig[0] !== 0) continue;
      assert.deepEqual(verifySignature(8, field, data, sig), { status: 'valid' });
      assert.deepEqual(verifySignature(8, field, data, sig.subarray(1)), { status: 'valid' });
      return;
    }
    assert.fail('no signature with a leading zero octet found');
  });
});

describe('RFC 6605 §6 ECDSA examples', () => {
  for (const v of RFC6605) {
    const signedByHand = concat(rrsigPrefixBytes(v.rrsig), rrWire(RFC6605_OWNER, TYPE_A, 3600, RFC6605_A_RDATA));
    const signature = b64(v.rrsig.signatureB64);
    const publicKey = b64(v.publicKey);

    test(`${v.section}: the published (randomised) RRSIG verifies`, () => {
      assert.deepEqual(verifySignature(v.algorithm, publicKey, signedByHand, signature), { status: 'valid' });
    });

    test(`${v.section}: a fresh signature by the RFC's private key verifies against the DNSKEY`, () => {
      const size = v.algorithm === 13 ? 32 : 48;
      const key = createPrivateKey({
        key: {
          kty: 'EC',
          crv: v.algorithm === 13 ? 'P-256' : 'P-384',
          d: b64url(v.privateKey),
          x: Buffer.from(publicKey.subarray(0, size)).toString('base64url'),
          y: Buffer.from(publicKey.subarray(size)).toString('base64url'),
        },
        format: 'jwk',
      });
      const fresh = sign(v.algorithm === 13 ? 'sha256' : 'sha384', signedByHand, { key, dsaEncoding: 'ieee-p1363' });
      assert.deepEqual(verifySignature(v.algorithm, publicKey, signedByHand, fresh), { status: 'valid' });
    });

    test(`${v.section}: flipped bits in r and in s are invalid`, () => {
      for (const i of [0, signature.length / 2, signature.length - 1]) {
        const r = verifySignature(v.algorithm, publicKey, signedByHand, flipBit(signature, i));
        assert.equal(r.status, 'invalid');
        assert.equal(r.status === 'invalid' && r.reason, 'signature-mismatch');
      }
    });

    test(`${v.section}: wrong-length signatures are invalid with reason signature-length`, () => {
      for (const bad of [signature.subarray(1), concat(signature, new Uint8Array([0])), new Uint8Array(0)]) {
        const r = verifySignature(v.algorithm, publicKey, signedByHand, bad);
        assert.equal(r.status, 'invalid');
        assert.equal(r.status === 'invalid' && r.reason, 'signature-length');
      }
    });

    test(`${v.section}: a key of the wrong length is a malformed key`, () => {
      const r = verifySignature(v.algorithm, publicKey.subarray(1), signedByHand, signature);
      assert.equal(r.status === 'invalid' && r.keyError, 'ecdsa-key-length');
    });
  }

  test('a P-256 key and signature presented as algorithm 14 are refused (key length)', () => {
    const v = RFC6605[0]!;
    const r = verifySignature(14, b64(v.publicKey), new Uint8Array(0), b64(v.rrsig.signatureB64));
    assert.equal(r.status === 'invalid' && r.keyError, 'ecdsa-key-length');
  });
});

describe('RFC 8080 §6 EdDSA examples (with verified erratum 4935)', () => {
  for (const v of RFC8080) {
    const mx = rrWire(RFC8080_OWNER, TYPE_MX, 3600, RFC8080_MX_RDATA);
    const signedData = (labels: number): Uint8Array => concat(rrsigPrefixBytes(rfc8080Rrsig(v, labels, '')), mx);
    const corrected = b64(v.signatureB64);
    const published = b64(v.publishedSignatureB64);
    const publicKey = b64(v.publicKey);
    const skip = nodeCanVerify(v.algorithm) ? false : 'this Node build cannot verify this algorithm';

    test(`${v.section}: the erratum's RRSIG (Labels 2) verifies`, { skip }, () => {
      assert.deepEqual(verifySignature(v.algorithm, publicKey, signedData(2), corrected), { status: 'valid' });
    });

    test(`${v.section}: the RFC's printed RRSIG was made over Labels 3, as the erratum explains`, { skip }, () => {
      assert.deepEqual(verifySignature(v.algorithm, publicKey, signedData(3), published), { status: 'valid' });
      assert.equal(verifySignature(v.algorithm, publicKey, signedData(2), published).status, 'invalid');
    });

    test(`${v.section}: signing with the RFC's private key reproduces the erratum's signature (EdDSA is deterministic)`, { skip }, () => {
      const key = createPrivateKey({
        key: { kty: 'OKP', crv: v.algorithm === 15 ? 'Ed25519' : 'Ed448', d: b64url(v.privateKey), x: b64url(v.publicKey) },
        format: 'jwk',
      });
      assert.deepEqual(new Uint8Array(sign(null, signedData(2), key)), corrected);
    });

    test(`${v.section}: flipped bit and wrong length are invalid`, { skip }, () => {
      assert.equal(verifySignature(v.algorithm, publicKey, signedData(2), flipBit(corrected, 5)).status, 'invalid');
      const r = verifySignature(v.algorithm, publicKey, signedData(2), corrected.subarray(0, corrected.length - 1));
      assert.equal(r.status === 'invalid' && r.reason, 'signature-length');
    });
  }

  test('the first Ed25519 key does not verify the second key’s signature', () => {
    const [a, b] = [RFC8080[0]!, RFC8080[1]!];
    const data = concat(rrsigPrefixBytes(rfc8080Rrsig(b, 2, '')), rrWire(RFC8080_OWNER, TYPE_MX, 3600, RFC8080_MX_RDATA));
    assert.equal(verifySignature(15, b64(a.publicKey), data, b64(b.signatureB64)).status, 'invalid');
    assert.deepEqual(verifySignature(15, b64(b.publicKey), data, b64(b.signatureB64)), { status: 'valid' });
  });
});

describe('unsupported and deprecated algorithms', () => {
  const v = RFC6605[0]!;

  test('unassigned algorithm numbers are unsupported, not invalid', () => {
    for (const alg of [0, 2, 4, 9, 11, 99, 255]) {
      const r = verifySignature(alg, b64(v.publicKey), new Uint8Array(1), b64(v.rrsig.signatureB64));
      assert.equal(r.status, 'unsupported-algorithm', `algorithm ${alg}`);
      assert.equal(r.status === 'unsupported-algorithm' && r.reason, 'unknown-algorithm');
    }
  });

  test('assigned algorithms keywatch does not implement (RSAMD5, DSA, GOST, SM2, private) are unsupported', () => {
    for (const alg of [1, 3, 6, 12, 17, 23, 253, 254]) {
      const r = verifySignature(alg, b64(v.publicKey), new Uint8Array(1), b64(v.rrsig.signatureB64));
      assert.equal(r.status, 'unsupported-algorithm', `algorithm ${alg}`);
      assert.equal(r.status === 'unsupported-algorithm' && r.reason, 'not-implemented');
    }
  });

  test('RSASHA1 (5) and RSASHA1-NSEC3-SHA1 (7) are deprecated → unsupported unless explicitly allowed', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const field = rfc3110Field(publicKey.export({ format: 'jwk' }));
    const data = Buffer.from('an RRset');
    const sig = sign('sha1', data, privateKey);
    for (const alg of [5, 7]) {
      const r = verifySignature(alg, field, data, sig);
      assert.equal(r.status === 'unsupported-algorithm' && r.reason, 'deprecated-algorithm');
      assert.deepEqual(verifySignature(alg, field, data, sig, { allowDeprecated: true }), { status: 'valid' });
      assert.equal(verifySignature(alg, field, flipBit(data, 0), sig, { allowDeprecated: true }).status, 'invalid');
    }
  });
});

describe('RFC 3110 key encodings round-trip through Node keys', () => {
  test('the 3-octet exponent length form (0, length) is understood', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = publicKey.export({ format: 'jwk' });
    const data = Buffer.from('www.example. A 192.0.2.1');
    const sig = sign('sha256', data, privateKey);
    assert.deepEqual(verifySignature(8, rfc3110Field(jwk), data, sig), { status: 'valid' });
    assert.deepEqual(verifySignature(8, rfc3110Field(jwk, true), data, sig), { status: 'valid' });
    assert.deepEqual(verifySignature(10, rfc3110Field(jwk), data, sign('sha512', data, privateKey)), { status: 'valid' });
  });
});

describe('hostile input', () => {
  test('random keys and signatures for every algorithm never throw', () => {
    const algorithms = [1, 5, 7, 8, 10, 13, 14, 15, 16, 99];
    for (let i = 0; i < 400; i++) {
      const alg = algorithms[i % algorithms.length]!;
      const key = randomBytes(i % 7 === 0 ? 0 : [3, 32, 57, 64, 96, 130, 260][i % 7]!);
      const sig = randomBytes([0, 1, 64, 96, 114, 128, 256][i % 7]!);
      const r = verifySignature(alg, key, randomBytes(40), sig, { allowDeprecated: true });
      assert.notEqual(r.status, 'valid');
    }
  });

  test('the key cache stays bounded under a stream of distinct keys', () => {
    clearKeyCache();
    const data = Buffer.from('x');
    const sig = new Uint8Array(64);
    for (let i = 0; i < 1100; i++) verifySignature(15, randomBytes(32), data, sig);
    assert.equal(keyCacheSize(), 1024);
    clearKeyCache();
    const v = RFC8080[0]!;
    for (let i = 0; i < 5; i++) verifySignature(15, b64(v.publicKey), data, sig);
    assert.equal(keyCacheSize(), 1, 'the same key is imported once');
  });
});
