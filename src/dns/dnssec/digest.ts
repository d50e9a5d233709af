// Hashes DNSSEC uses outside signatures: the DS digest (RFC 4034 §5.1.4) and the NSEC3 owner
// hash (RFC 5155 §5), plus the base32hex text form of NSEC3 hashes (RFC 4648 §7, no padding,
// RFC 5155 §3.3).
//
// Owner names are lowercased here (ASCII A–Z only, RFC 4034 §6.2), so callers may pass a name as
// it arrived on the wire; they must pass it uncompressed.

import { createHash } from 'node:crypto';
import { digestSupport, dsDigestType } from './algorithms.ts';
import { canonicalNameWire } from './signed-data.ts';

export interface DigestOptions {
  /** Compute deprecated digest types (SHA-1) anyway, for diagnostics. */
  readonly allowDeprecated?: boolean;
}

/**
 * The DS digest of a DNSKEY: digest(canonical owner name | DNSKEY RDATA) (RFC 4034 §5.1.4).
 * Returns undefined for a digest type keywatch does not compute — unknown, unsupported (GOST) or,
 * unless `allowDeprecated`, deprecated (SHA-1) — which the validator must treat like a DS of an
 * unknown algorithm (RFC 6840 §5.2). Throws WireFormatError for a malformed owner name.
 */
export function dsDigest(
  digestType: number,
  ownerNameWire: Uint8Array,
  dnskeyRdata: Uint8Array,
  options: DigestOptions = {},
): Uint8Array | undefined {
  const info = dsDigestType(digestType);
  const support = digestSupport(digestType);
  if (!info?.nodeHash || support === 'unsupported' || (support === 'deprecated' && !options.allowDeprecated)) return undefined;
  const hash = createHash(info.nodeHash);
  hash.update(canonicalNameWire(ownerNameWire));
  hash.update(dnskeyRdata);
  return new Uint8Array(hash.digest());
}

/** NSEC3 hash algorithm 1 (RFC 5155 §11) is the only one defined. */
const NSEC3_HASHES: ReadonlyMap<number, 'sha1'> = new Map([[1, 'sha1']]);

/**
 * The NSEC3 hash of an owner name (RFC 5155 §5):
 *   IH(salt, x, 0) = H(x | salt);  IH(salt, x, k) = H(IH(salt, x, k-1) | salt)
 * over the canonical (lowercased, uncompressed) owner name, `iterations` extra rounds.
 * Returns undefined for an unknown hash algorithm. The caller should apply RFC 9276's iteration
 * limits first (treat high counts as insecure); here iterations only has to fit the 16-bit field.
 */
export function nsec3Hash(ownerNameWire: Uint8Array, salt: Uint8Array, iterations: number, hashAlgorithm = 1): Uint8Array | undefined {
  const hashName = NSEC3_HASHES.get(hashAlgorithm);
  if (!hashName) return undefined;
  if (!Number.isInteger(iterations) || iterations < 0 || iterations > 0xffff) {
    throw new RangeError(`NSEC3 iterations must be an integer 0..65535, got ${iterations}`);
  }
  if (salt.length > 255) throw new RangeError(`NSEC3 salt is at most 255 octets, got ${salt.length}`);
  let x: Uint8Array = canonicalNameWire(ownerNameWire);
  for (let k = 0; k <= iterations; k++) {
    x = createHash(hashName).update(x).update(salt).digest();
  }
  return new Uint8Array(x);
}

export { base32hexDecode, base32hexEncode } from '../base32hex.ts';
