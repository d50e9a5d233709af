// Verifies one DNSSEC signature over already-built signed data (see signed-data.ts).
//
// Hostile input is the normal case here: keys and signatures come from the network. So this
// function never throws; every failure is a result with a stable reason code a finding can cite.
//
//   RSA     RSASSA-PKCS1-v1_5 (RFC 3110 §3, RFC 5702 §3) with SHA-1/256/512
//   ECDSA   RFC 6605 §4: signature is r | s, each the curve size — IEEE P1363 encoding, which Node
//           accepts directly (dsaEncoding: 'ieee-p1363'), so no DER re-encoding is needed
//   EdDSA   RFC 8080 §4: pure Ed25519/Ed448 (no pre-hash, empty context)

import { verify, type KeyObject } from 'node:crypto';
import { algorithmLabel, algorithmSupport, dnssecAlgorithm, nodeCanVerify, verifyScheme } from './algorithms.ts';
import { DnskeyError, dnskeyToPublicKey, type DnskeyErrorCode } from './keys.ts';

export type VerifyStatus = 'valid' | 'invalid' | 'unsupported-algorithm';

export type InvalidReason =
  | 'signature-mismatch' // well-formed, but the maths says no
  | 'signature-length' // wrong length for the algorithm/key: cannot be a signature by this key
  | 'malformed-key' // the DNSKEY cannot be used at all (see keyError)
  | 'crypto-error'; // the crypto library failed unexpectedly

export type UnsupportedReason =
  | 'unknown-algorithm' // not an assigned algorithm number keywatch knows of
  | 'not-implemented' // assigned (RSAMD5, DSA, GOST, SM2, private...) but not verifiable here
  | 'deprecated-algorithm' // RSASHA1: known, deliberately not trusted (see algorithms.ts)
  | 'not-available'; // this Node/OpenSSL build lacks it (e.g. no Ed448)

export type VerifyResult =
  | { readonly status: 'valid' }
  | { readonly status: 'invalid'; readonly reason: InvalidReason; readonly detail: string; readonly keyError?: DnskeyErrorCode }
  | { readonly status: 'unsupported-algorithm'; readonly reason: UnsupportedReason; readonly detail: string };

export interface VerifyOptions {
  /** Verify deprecated (SHA-1) algorithms anyway, e.g. to explain what a zone would have given. */
  readonly allowDeprecated?: boolean;
}

// --- KeyObject cache ----------------------------------------------------------------------------
// The same few DNSKEYs verify many RRsets; importing a key (JWK → OpenSSL) costs far more than a
// Map lookup. A bounded LRU (Map iteration order is insertion order; a hit re-inserts) keeps the
// memory a hostile stream of distinct keys can pin to KEY_CACHE_SIZE entries. Failures are cached
// too, so a malformed key is not re-parsed for every signature.

const KEY_CACHE_SIZE = 1024;
const keyCache = new Map<string, KeyObject | DnskeyError>();

function cachedKey(algorithm: number, field: Uint8Array): KeyObject | DnskeyError {
  const id = `${algorithm}:${Buffer.from(field.buffer, field.byteOffset, field.byteLength).toString('base64')}`;
  const hit = keyCache.get(id);
  if (hit !== undefined) {
    keyCache.delete(id);
    keyCache.set(id, hit);
    return hit;
  }
  let entry: KeyObject | DnskeyError;
  try {
    entry = dnskeyToPublicKey(algorithm, field);
  } catch (err) {
    entry = err instanceof DnskeyError ? err : new DnskeyError('key-import-failed', String(err), algorithm);
  }
  keyCache.set(id, entry);
  if (keyCache.size > KEY_CACHE_SIZE) {
    const oldest = keyCache.keys().next();
    if (!oldest.done) keyCache.delete(oldest.value);
  }
  return entry;
}

/** Entries in the key cache (for tests and metrics). */
export function keyCacheSize(): number {
  return keyCache.size;
}

export function clearKeyCache(): void {
  keyCache.clear();
}

// --- verification ---------------------------------------------------------------------------------

const invalid = (reason: InvalidReason, detail: string, keyError?: DnskeyErrorCode): VerifyResult =>
  keyError === undefined ? { status: 'invalid', reason, detail } : { status: 'invalid', reason, detail, keyError };

const unsupported = (reason: UnsupportedReason, detail: string): VerifyResult => ({ status: 'unsupported-algorithm', reason, detail });

/**
 * Verifies `signature` over `signedData` with the DNSKEY Public Key field `publicKeyField` of
 * `algorithm`. Never throws.
 *
 * 'unsupported-algorithm' means the validator must treat the algorithm as unknown (RFC 4035 §5.2:
 * insecure if no supported algorithm remains), not as a failed signature.
 */
export function verifySignature(
  algorithm: number,
  publicKeyField: Uint8Array,
  signedData: Uint8Array,
  signature: Uint8Array,
  options: VerifyOptions = {},
): VerifyResult {
  const label = algorithmLabel(algorithm);
  const scheme = verifyScheme(algorithm);
  if (!scheme) {
    return dnssecAlgorithm(algorithm)
      ? unsupported('not-implemented', `${label} is not an algorithm keywatch verifies`)
      : unsupported('unknown-algorithm', `${label} is not an assigned DNSSEC algorithm`);
  }
  if (algorithmSupport(algorithm) === 'deprecated' && !options.allowDeprecated) {
    return unsupported('deprecated-algorithm', `${label} uses SHA-1, which keywatch treats as unsupported`);
  }
  if (!nodeCanVerify(algorithm)) return unsupported('not-available', `this Node/OpenSSL build cannot verify ${label}`);

  const key = cachedKey(algorithm, publicKeyField);
  if (key instanceof DnskeyError) return invalid('malformed-key', key.message, key.code);

  try {
    switch (scheme.kind) {
      case 'rsa': {
        // PKCS#1 v1.5 signatures are exactly the modulus length (RFC 8017 §8.2.2). RFC 3110 §3
        // permits leading zero octets; some signers drop them, giving a shorter signature that
        // denotes the same integer, so left-pad those rather than fail them.
        const modulusOctets = Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
        if (signature.length === 0 || signature.length > modulusOctets) {
          return invalid('signature-length', `${label} signature of ${signature.length} octets for a ${modulusOctets}-octet modulus`);
        }
        const padded = signature.length === modulusOctets ? signature : leftPad(signature, modulusOctets);
        return outcome(verify(scheme.hash, signedData, key, padded), label);
      }
      case 'ecdsa': {
        const expected = 2 * scheme.coordinateOctets;
        if (signature.length !== expected) {
          return invalid('signature-length', `${label} signature must be ${expected} octets (r | s), got ${signature.length}`);
        }
        return outcome(verify(scheme.hash, signedData, { key, dsaEncoding: 'ieee-p1363' }, signature), label);
      }
      case 'eddsa': {
        if (signature.length !== scheme.signatureOctets) {
          return invalid('signature-length', `${label} signature must be ${scheme.signatureOctets} octets, got ${signature.length}`);
        }
        return outcome(verify(null, signedData, key, signature), label);
      }
    }
  } catch (err) {
    return invalid('crypto-error', `${label}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function outcome(ok: boolean, label: string): VerifyResult {
  return ok ? { status: 'valid' } : invalid('signature-mismatch', `${label} signature does not match the signed data and key`);
}

function leftPad(bytes: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  out.set(bytes, length - bytes.length);
  return out;
}
