import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  algorithmLabel,
  algorithmSupport,
  digestSupport,
  DNSSEC_ALGORITHMS,
  dnssecAlgorithm,
  DS_DIGEST_TYPES,
  nodeCanVerify,
  verifyScheme,
} from '../../../../src/dns/dnssec/algorithms.ts';

describe('DNSSEC algorithm registry', () => {
  test('RFC 8624 §3.1 validation requirements', () => {
    const expected: Record<number, string> = {
      1: 'MUST NOT',
      3: 'MUST NOT',
      5: 'MUST',
      6: 'MUST NOT',
      7: 'MUST',
      8: 'MUST',
      10: 'MUST',
      12: 'MAY',
      13: 'MUST',
      14: 'RECOMMENDED',
      15: 'RECOMMENDED',
      16: 'RECOMMENDED',
    };
    for (const [n, req] of Object.entries(expected)) assert.equal(dnssecAlgorithm(Number(n))?.validation, req, `algorithm ${n}`);
  });

  test('keywatch policy: SHA-1 deprecated, MD5/DSA/GOST unsupported, the rest supported', () => {
    assert.equal(algorithmSupport(5), 'deprecated');
    assert.equal(algorithmSupport(7), 'deprecated');
    for (const n of [1, 3, 6, 12, 17, 23, 252, 253, 254]) assert.equal(algorithmSupport(n), 'unsupported', `algorithm ${n}`);
    for (const n of [8, 10, 13, 14, 15, 16]) assert.equal(algorithmSupport(n), 'supported', `algorithm ${n}`);
    for (const n of [0, 2, 4, 9, 11, 18, 99, 255]) assert.equal(algorithmSupport(n), 'unsupported', `unassigned ${n}`);
  });

  test('every supported or deprecated algorithm has a verification scheme', () => {
    for (const info of DNSSEC_ALGORITHMS.values()) {
      assert.equal(verifyScheme(info.number) !== undefined, info.support !== 'unsupported', info.mnemonic);
    }
  });

  test('labels for messages', () => {
    assert.equal(algorithmLabel(13), 'ECDSAP256SHA256 (13)');
    assert.equal(algorithmLabel(99), 'algorithm 99');
  });

  test('this Node verifies RSA/SHA-2, ECDSA P-256/P-384 and Ed25519', () => {
    for (const n of [5, 7, 8, 10, 13, 14, 15]) assert.equal(nodeCanVerify(n), true, algorithmLabel(n));
    for (const n of [1, 3, 12, 99]) assert.equal(nodeCanVerify(n), false, algorithmLabel(n));
  });

  test('Ed448 support is probed at run time and agrees with Node', (t) => {
    let direct: boolean;
    try {
      createPublicKey({ key: { kty: 'OKP', crv: 'Ed448', x: '3kgROaDjrh0H2iuixWBrc8g2EpBBLCdGzHmn-G2MpTPhpj_OiBVHHSfPodx1FYYUcJKm1MDpJtIA' }, format: 'jwk' });
      direct = true;
    } catch {
      direct = false;
    }
    assert.equal(nodeCanVerify(16), direct);
    t.diagnostic(`Ed448 (16) verifiable on Node ${process.version} / OpenSSL ${process.versions.openssl}: ${direct}`);
  });
});

describe('DS digest type registry', () => {
  test('RFC 8624 §3.3 requirements and keywatch policy', () => {
    assert.equal(DS_DIGEST_TYPES.get(1)?.validation, 'MUST');
    assert.equal(DS_DIGEST_TYPES.get(2)?.validation, 'MUST');
    assert.equal(DS_DIGEST_TYPES.get(3)?.validation, 'MAY');
    assert.equal(DS_DIGEST_TYPES.get(4)?.validation, 'RECOMMENDED');
    assert.equal(digestSupport(1), 'deprecated');
    assert.equal(digestSupport(2), 'supported');
    assert.equal(digestSupport(3), 'unsupported');
    assert.equal(digestSupport(4), 'supported');
    assert.equal(digestSupport(0), 'unsupported');
    assert.equal(digestSupport(99), 'unsupported');
  });

  test('digest lengths', () => {
    assert.equal(DS_DIGEST_TYPES.get(1)?.octets, 20);
    assert.equal(DS_DIGEST_TYPES.get(2)?.octets, 32);
    assert.equal(DS_DIGEST_TYPES.get(4)?.octets, 48);
  });
});
