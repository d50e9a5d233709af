// DNSKEY public keys: key tags (RFC 4034 Appendix B) and conversion of the DNSKEY Public Key
// field to a Node KeyObject, per algorithm:
//   RSA     RFC 3110 §2:  exponent length (1 octet, or 0 + 2 octets) | exponent | modulus
//   ECDSA   RFC 6605 §4:  Q as x | y, each coordinate exactly the curve size (no 0x04 prefix)
//   EdDSA   RFC 8080 §3:  the raw RFC 8032 public key (32 octets Ed25519, 57 octets Ed448)
// Keys are built as JWKs: Node validates EC points on import (an off-curve point throws, which
// we wrap), and a JWK needs no hand-written DER.

import { createPublicKey, type KeyObject } from 'node:crypto';
import { algorithmLabel, verifyScheme } from './algorithms.ts';

export type DnskeyErrorCode =
  | 'rdata-too-short' // DNSKEY RDATA under the 4 fixed octets (or alg-1 key under 3)
  | 'unsupported-algorithm' // no key format known for this algorithm number
  | 'empty-key'
  | 'rsa-exponent-length' // zero exponent length, or the length runs past the key
  | 'rsa-exponent-invalid' // exponent < 3, even, or longer than RFC 3110 allows
  | 'rsa-modulus-missing'
  | 'rsa-modulus-too-small'
  | 'rsa-modulus-too-large'
  | 'ecdsa-key-length'
  | 'ecdsa-point-invalid' // not a point on the curve
  | 'eddsa-key-length'
  | 'key-import-failed'; // Node refused the key for another reason

/** A DNSKEY that cannot be used. `code` is stable; `message` explains it to a human. */
export class DnskeyError extends Error {
  override readonly name = 'DnskeyError';
  constructor(
    readonly code: DnskeyErrorCode,
    message: string,
    readonly algorithm?: number,
  ) {
    super(message);
  }
}

/** The four fixed fields and the Public Key field of DNSKEY RDATA (RFC 4034 §2.1). */
export interface DnskeyRdataParts {
  readonly flags: number;
  readonly protocol: number;
  readonly algorithm: number;
  readonly publicKey: Uint8Array;
}

export function parseDnskeyRdata(rdata: Uint8Array): DnskeyRdataParts {
  if (rdata.length < 4) throw new DnskeyError('rdata-too-short', `DNSKEY RDATA has ${rdata.length} octets, fewer than the 4 fixed ones`);
  return {
    flags: (rdata[0]! << 8) | rdata[1]!,
    protocol: rdata[2]!,
    algorithm: rdata[3]!,
    publicKey: rdata.subarray(4),
  };
}

/**
 * The key tag of a DNSKEY (RFC 4034 Appendix B): the RDATA summed as 16-bit big-endian words,
 * carry folded once. For algorithm 1 (RSA/MD5, Appendix B.1) it is instead the 4th- and
 * 3rd-to-last octets of the modulus, which ends the RDATA. Throws DnskeyError for RDATA too short
 * to have a tag.
 */
export function keyTag(dnskeyRdata: Uint8Array): number {
  const { algorithm, publicKey } = parseDnskeyRdata(dnskeyRdata);
  if (algorithm === 1) {
    if (publicKey.length < 3) throw new DnskeyError('rdata-too-short', 'RSA/MD5 key too short for an Appendix B.1 key tag', 1);
    const n = dnskeyRdata.length;
    return (dnskeyRdata[n - 3]! << 8) | dnskeyRdata[n - 2]!;
  }
  let ac = 0;
  for (let i = 0; i < dnskeyRdata.length; i++) {
    ac += i & 1 ? dnskeyRdata[i]! : dnskeyRdata[i]! << 8;
  }
  // 65535 octets of 0xff sum to < 2^32, so a JS number holds the accumulator exactly.
  ac += (ac >>> 16) & 0xffff;
  return ac & 0xffff;
}

const b64url = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');

function stripLeadingZeros(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  return bytes.subarray(i);
}

function bitLength(unsigned: Uint8Array): number {
  const v = stripLeadingZeros(unsigned);
  const top = v[0];
  return top === undefined ? 0 : (v.length - 1) * 8 + (32 - Math.clz32(top));
}

export interface RsaPublicKeyParts {
  readonly exponent: Uint8Array;
  readonly modulus: Uint8Array;
  readonly modulusBits: number;
}

// RFC 3110 §2: "the exponent and modulus are each limited to 4096 bits".
const RSA_MAX_EXPONENT_OCTETS = 512;

/**
 * Splits an RFC 3110 RSA public key field into exponent and modulus, with the sanity checks that
 * do not depend on the algorithm. Leading zero octets, which RFC 3110 prohibits, are tolerated
 * (other validators accept them) but do not count towards the modulus size.
 */
export function parseRsaPublicKey(field: Uint8Array): RsaPublicKeyParts {
  const first = field[0];
  if (first === undefined) throw new DnskeyError('empty-key', 'the DNSKEY has an empty public key field');
  let exponentLength = first;
  let offset = 1;
  if (first === 0) {
    // Zero octet, then a two-octet length: exponents longer than 255 octets.
    if (field.length < 3) throw new DnskeyError('rsa-exponent-length', 'RSA key ends inside its 3-octet exponent length');
    exponentLength = (field[1]! << 8) | field[2]!;
    offset = 3;
    if (exponentLength === 0) throw new DnskeyError('rsa-exponent-length', 'RSA key has a zero-length exponent');
  }
  if (offset + exponentLength > field.length) {
    throw new DnskeyError('rsa-exponent-length', `RSA exponent length ${exponentLength} runs past the ${field.length}-octet key`);
  }
  if (exponentLength > RSA_MAX_EXPONENT_OCTETS) {
    throw new DnskeyError('rsa-exponent-invalid', `RSA exponent of ${exponentLength} octets exceeds RFC 3110's 4096 bits`);
  }
  const exponent = stripLeadingZeros(field.subarray(offset, offset + exponentLength));
  const modulus = stripLeadingZeros(field.subarray(offset + exponentLength));
  if (modulus.length === 0) throw new DnskeyError('rsa-modulus-missing', 'RSA key has no modulus after its exponent');
  // e = 1 makes every "signature" equal to its padded message (forgeable by anyone), and Node
  // accepts it; an even e is not a valid RSA exponent. RFC 8017 §3.1 requires 3 <= e < n.
  const last = exponent[exponent.length - 1];
  if (last === undefined || (exponent.length === 1 && last < 3) || (last & 1) === 0) {
    throw new DnskeyError('rsa-exponent-invalid', 'RSA exponent must be odd and at least 3');
  }
  return { exponent, modulus, modulusBits: bitLength(modulus) };
}

/**
 * Converts a DNSKEY Public Key field to a Node KeyObject. Throws DnskeyError (with a stable code)
 * for an unknown algorithm or a malformed key. Does not apply keywatch's algorithm policy: a
 * deprecated RSASHA1 key converts fine; verify.ts decides whether to use it.
 */
export function dnskeyToPublicKey(algorithm: number, publicKeyField: Uint8Array): KeyObject {
  const scheme = verifyScheme(algorithm);
  if (!scheme) throw new DnskeyError('unsupported-algorithm', `no public key format known for ${algorithmLabel(algorithm)}`, algorithm);
  if (publicKeyField.length === 0) throw new DnskeyError('empty-key', 'the DNSKEY has an empty public key field', algorithm);
  const label = algorithmLabel(algorithm);

  switch (scheme.kind) {
    case 'rsa': {
      const { exponent, modulus, modulusBits } = parseRsaPublicKey(publicKeyField);
      if (modulusBits < scheme.minBits) {
        throw new DnskeyError('rsa-modulus-too-small', `${label} modulus of ${modulusBits} bits is under the ${scheme.minBits}-bit minimum`, algorithm);
      }
      if (modulusBits > scheme.maxBits) {
        throw new DnskeyError('rsa-modulus-too-large', `${label} modulus of ${modulusBits} bits is over the ${scheme.maxBits}-bit maximum`, algorithm);
      }
      if (bitLength(exponent) > modulusBits) {
        throw new DnskeyError('rsa-exponent-invalid', `${label} exponent is longer than its modulus`, algorithm);
      }
      return importJwk({ kty: 'RSA', n: b64url(modulus), e: b64url(exponent) }, 'key-import-failed', algorithm);
    }
    case 'ecdsa': {
      const size = scheme.coordinateOctets;
      if (publicKeyField.length !== 2 * size) {
        throw new DnskeyError('ecdsa-key-length', `${label} key must be ${2 * size} octets (x | y), got ${publicKeyField.length}`, algorithm);
      }
      const x = b64url(publicKeyField.subarray(0, size));
      const y = b64url(publicKeyField.subarray(size));
      return importJwk({ kty: 'EC', crv: scheme.curve, x, y }, 'ecdsa-point-invalid', algorithm);
    }
    case 'eddsa': {
      if (publicKeyField.length !== scheme.keyOctets) {
        throw new DnskeyError('eddsa-key-length', `${label} key must be ${scheme.keyOctets} octets, got ${publicKeyField.length}`, algorithm);
      }
      // OpenSSL does not check that an EdDSA key decodes to a curve point on import; a bad one
      // simply never verifies, which verify.ts reports as 'invalid'.
      return importJwk({ kty: 'OKP', crv: scheme.curve, x: b64url(publicKeyField) }, 'key-import-failed', algorithm);
    }
  }
}

function importJwk(jwk: Record<string, string>, code: DnskeyErrorCode, algorithm: number): KeyObject {
  try {
    return createPublicKey({ key: jwk, format: 'jwk' });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    const what = code === 'ecdsa-point-invalid' ? 'is not a valid point on the curve' : 'was refused by the crypto library';
    throw new DnskeyError(code, `${algorithmLabel(algorithm)} public key ${what} (${why})`, algorithm);
  }
}
