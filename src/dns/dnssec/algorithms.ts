// The DNSSEC algorithm registries as data: what each number is, what RFC 8624 requires of a
// validator, and what keywatch does with it.
//
// Three separate questions, kept apart on purpose:
//   - `validation`: the RFC 8624 §3.1/§3.3 requirement for validating implementations.
//   - `support`:    keywatch's policy. 'supported' algorithms are verified; 'deprecated' and
//                   'unsupported' ones are treated as unknown, which by RFC 4035 §5.2 and
//                   RFC 6840 §5.2 makes a zone that only uses them *insecure* (not bogus).
//   - nodeCanVerify(): whether this Node/OpenSSL build can do the maths, probed at run time.
//
// SHA-1 (algorithms 5 and 7, DS digest 1) is 'deprecated': RFC 8624 still lists validation as
// MUST, but SHA-1 has practical chosen-prefix collisions and the IETF has since moved to forbid it
// (draft-ietf-dnsop-must-not-sha1); some OS crypto policies (e.g. RHEL 9) already refuse it. We
// follow that direction: by default it is treated as unsupported → insecure, and the verify and
// digest functions can still be asked to compute it for diagnostics ("this would have verified").

import { createPublicKey, getCurves, getHashes } from 'node:crypto';

/** Requirement levels used by RFC 8624's tables. */
export type Rfc8624Requirement = 'MUST' | 'RECOMMENDED' | 'MAY' | 'NOT RECOMMENDED' | 'MUST NOT';

/** keywatch policy for an algorithm or digest type. */
export type KeywatchSupport = 'supported' | 'deprecated' | 'unsupported';

export type AlgorithmFamily = 'rsa' | 'ecdsa' | 'eddsa' | 'dsa' | 'gost' | 'sm2' | 'other';

export interface DnssecAlgorithmInfo {
  readonly number: number;
  readonly mnemonic: string;
  readonly description: string;
  readonly reference: string;
  readonly family: AlgorithmFamily;
  /** RFC 8624 §3.1 requirement for signing, or undefined when the RFC does not list it. */
  readonly signing: Rfc8624Requirement | undefined;
  /** RFC 8624 §3.1 requirement for validation, or undefined when the RFC does not list it. */
  readonly validation: Rfc8624Requirement | undefined;
  readonly support: KeywatchSupport;
  /** One line a human can act on: why keywatch treats it this way. */
  readonly note: string;
}

const alg = (info: DnssecAlgorithmInfo): [number, DnssecAlgorithmInfo] => [info.number, info];

/** IANA "DNS Security Algorithm Numbers", the assigned signing algorithms. */
export const DNSSEC_ALGORITHMS: ReadonlyMap<number, DnssecAlgorithmInfo> = new Map([
  alg({ number: 1, mnemonic: 'RSAMD5', description: 'RSA/MD5', reference: 'RFC 3110, RFC 4034', family: 'rsa', signing: 'MUST NOT', validation: 'MUST NOT', support: 'unsupported', note: 'MD5 is broken; RFC 8624 forbids validating it' }),
  alg({ number: 3, mnemonic: 'DSA', description: 'DSA/SHA-1', reference: 'RFC 2536', family: 'dsa', signing: 'MUST NOT', validation: 'MUST NOT', support: 'unsupported', note: 'RFC 8624 forbids DSA' }),
  alg({ number: 5, mnemonic: 'RSASHA1', description: 'RSA/SHA-1', reference: 'RFC 3110', family: 'rsa', signing: 'NOT RECOMMENDED', validation: 'MUST', support: 'deprecated', note: 'SHA-1 signatures are forgeable in practice; treated as unsupported (zone insecure)' }),
  alg({ number: 6, mnemonic: 'DSA-NSEC3-SHA1', description: 'DSA/SHA-1 (NSEC3 alias)', reference: 'RFC 5155', family: 'dsa', signing: 'MUST NOT', validation: 'MUST NOT', support: 'unsupported', note: 'RFC 8624 forbids DSA' }),
  alg({ number: 7, mnemonic: 'RSASHA1-NSEC3-SHA1', description: 'RSA/SHA-1 (NSEC3 alias)', reference: 'RFC 5155', family: 'rsa', signing: 'NOT RECOMMENDED', validation: 'MUST', support: 'deprecated', note: 'SHA-1 signatures are forgeable in practice; treated as unsupported (zone insecure)' }),
  alg({ number: 8, mnemonic: 'RSASHA256', description: 'RSA/SHA-256', reference: 'RFC 5702', family: 'rsa', signing: 'MUST', validation: 'MUST', support: 'supported', note: 'widely deployed' }),
  alg({ number: 10, mnemonic: 'RSASHA512', description: 'RSA/SHA-512', reference: 'RFC 5702', family: 'rsa', signing: 'NOT RECOMMENDED', validation: 'MUST', support: 'supported', note: 'valid, but larger signatures than RSASHA256 for no gain' }),
  alg({ number: 12, mnemonic: 'ECC-GOST', description: 'GOST R 34.10-2001', reference: 'RFC 5933', family: 'gost', signing: 'MUST NOT', validation: 'MAY', support: 'unsupported', note: 'not available in OpenSSL/Node; treated as unsupported (zone insecure)' }),
  alg({ number: 13, mnemonic: 'ECDSAP256SHA256', description: 'ECDSA P-256 with SHA-256', reference: 'RFC 6605', family: 'ecdsa', signing: 'MUST', validation: 'MUST', support: 'supported', note: 'recommended default' }),
  alg({ number: 14, mnemonic: 'ECDSAP384SHA384', description: 'ECDSA P-384 with SHA-384', reference: 'RFC 6605', family: 'ecdsa', signing: 'MAY', validation: 'RECOMMENDED', support: 'supported', note: 'valid' }),
  alg({ number: 15, mnemonic: 'ED25519', description: 'Ed25519', reference: 'RFC 8080', family: 'eddsa', signing: 'RECOMMENDED', validation: 'RECOMMENDED', support: 'supported', note: 'recommended' }),
  alg({ number: 16, mnemonic: 'ED448', description: 'Ed448', reference: 'RFC 8080', family: 'eddsa', signing: 'MAY', validation: 'RECOMMENDED', support: 'supported', note: 'valid; some validators lack it' }),
  alg({ number: 17, mnemonic: 'SM2SM3', description: 'SM2 with SM3', reference: 'RFC 9563', family: 'sm2', signing: undefined, validation: undefined, support: 'unsupported', note: 'not implemented by keywatch; treated as unsupported (zone insecure)' }),
  alg({ number: 23, mnemonic: 'ECC-GOST12', description: 'GOST R 34.10-2012', reference: 'RFC 9558', family: 'gost', signing: undefined, validation: undefined, support: 'unsupported', note: 'not available in OpenSSL/Node; treated as unsupported (zone insecure)' }),
  alg({ number: 252, mnemonic: 'INDIRECT', description: 'Reserved for indirect keys', reference: 'RFC 4034', family: 'other', signing: undefined, validation: undefined, support: 'unsupported', note: 'never defined' }),
  alg({ number: 253, mnemonic: 'PRIVATEDNS', description: 'Private algorithm (domain name)', reference: 'RFC 4034, RFC 6840 §5.3', family: 'other', signing: undefined, validation: undefined, support: 'unsupported', note: 'private algorithm; treated as unsupported' }),
  alg({ number: 254, mnemonic: 'PRIVATEOID', description: 'Private algorithm (OID)', reference: 'RFC 4034, RFC 6840 §5.3', family: 'other', signing: undefined, validation: undefined, support: 'unsupported', note: 'private algorithm; treated as unsupported' }),
]);

/** Registry entry for an algorithm number, or undefined for unassigned/reserved numbers. */
export function dnssecAlgorithm(algorithm: number): DnssecAlgorithmInfo | undefined {
  return DNSSEC_ALGORITHMS.get(algorithm);
}

/** keywatch's policy for an algorithm number; anything unknown is unsupported. */
export function algorithmSupport(algorithm: number): KeywatchSupport {
  return DNSSEC_ALGORITHMS.get(algorithm)?.support ?? 'unsupported';
}

/** "ECDSAP256SHA256 (13)" or "algorithm 99" — for messages. */
export function algorithmLabel(algorithm: number): string {
  const info = DNSSEC_ALGORITHMS.get(algorithm);
  return info ? `${info.mnemonic} (${algorithm})` : `algorithm ${algorithm}`;
}

/** How Node's crypto verifies each algorithm keywatch can verify. */
export type VerifyScheme =
  | { readonly kind: 'rsa'; readonly hash: 'sha1' | 'sha256' | 'sha512'; readonly minBits: number; readonly maxBits: number }
  | { readonly kind: 'ecdsa'; readonly hash: 'sha256' | 'sha384'; readonly curve: 'P-256' | 'P-384'; readonly coordinateOctets: number }
  | { readonly kind: 'eddsa'; readonly curve: 'Ed25519' | 'Ed448'; readonly keyOctets: number; readonly signatureOctets: number };

// RSA modulus bounds: RFC 3110 §2 (and RFC 5702 §2.1) say 512..4096 bits; RFC 5702 §2.2 raises the
// minimum to 1024 for RSASHA512. 512-bit keys are factorable today, but rejecting them would make
// keywatch disagree with every deployed validator, so the *finding* layer should flag them instead.
// Keys over 4096 bits exist in the wild only as experiments; validators differ on them.
const RSA_MIN_BITS = 512;
const RSA_MAX_BITS = 4096;

/** The verification scheme for an algorithm number, whatever keywatch's policy for it. */
export function verifyScheme(algorithm: number): VerifyScheme | undefined {
  switch (algorithm) {
    case 5:
    case 7:
      return { kind: 'rsa', hash: 'sha1', minBits: RSA_MIN_BITS, maxBits: RSA_MAX_BITS };
    case 8:
      return { kind: 'rsa', hash: 'sha256', minBits: RSA_MIN_BITS, maxBits: RSA_MAX_BITS };
    case 10:
      return { kind: 'rsa', hash: 'sha512', minBits: 1024, maxBits: RSA_MAX_BITS };
    case 13:
      return { kind: 'ecdsa', hash: 'sha256', curve: 'P-256', coordinateOctets: 32 };
    case 14:
      return { kind: 'ecdsa', hash: 'sha384', curve: 'P-384', coordinateOctets: 48 };
    case 15:
      return { kind: 'eddsa', curve: 'Ed25519', keyOctets: 32, signatureOctets: 64 };
    case 16:
      return { kind: 'eddsa', curve: 'Ed448', keyOctets: 57, signatureOctets: 114 };
    default:
      return undefined;
  }
}

// A valid public key of each EdDSA curve (RFC 8080 §6 examples), used only to probe whether this
// Node build can import that key type at all.
const EDDSA_PROBE_KEYS = {
  Ed25519: 'l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4',
  Ed448: '3kgROaDjrh0H2iuixWBrc8g2EpBBLCdGzHmn-G2MpTPhpj_OiBVHHSfPodx1FYYUcJKm1MDpJtIA',
} as const;

const OPENSSL_CURVE = { 'P-256': 'prime256v1', 'P-384': 'secp384r1' } as const;

let capability: Map<number, boolean> | undefined;

function probe(scheme: VerifyScheme): boolean {
  const hashes = getHashes();
  switch (scheme.kind) {
    case 'rsa':
      return hashes.includes(scheme.hash);
    case 'ecdsa':
      return hashes.includes(scheme.hash) && getCurves().includes(OPENSSL_CURVE[scheme.curve]);
    case 'eddsa':
      try {
        createPublicKey({ key: { kty: 'OKP', crv: scheme.curve, x: EDDSA_PROBE_KEYS[scheme.curve] }, format: 'jwk' });
        return true;
      } catch {
        return false;
      }
  }
}

/**
 * Whether this Node/OpenSSL build can verify signatures of `algorithm` — a capability, not a
 * policy (RSASHA1 is verifiable here but deprecated by keywatch). Probed once, then cached.
 */
export function nodeCanVerify(algorithm: number): boolean {
  if (!capability) {
    capability = new Map();
    for (const n of DNSSEC_ALGORITHMS.keys()) {
      const scheme = verifyScheme(n);
      capability.set(n, scheme !== undefined && probe(scheme));
    }
  }
  return capability.get(algorithm) ?? false;
}

// ---------------------------------------------------------------------------------------------
// DS digest types (IANA "Delegation Signer (DS) Resource Record (RR) Type Digest Algorithms").

export interface DsDigestInfo {
  readonly number: number;
  readonly mnemonic: string;
  readonly reference: string;
  /** Node hash name, when Node can compute it. */
  readonly nodeHash: 'sha1' | 'sha256' | 'sha384' | undefined;
  /** Digest length in octets, when known. */
  readonly octets: number | undefined;
  /** RFC 8624 §3.3 requirement for validation, or undefined when the RFC does not list it. */
  readonly validation: Rfc8624Requirement | undefined;
  readonly support: KeywatchSupport;
  readonly note: string;
}

const digest = (info: DsDigestInfo): [number, DsDigestInfo] => [info.number, info];

export const DS_DIGEST_TYPES: ReadonlyMap<number, DsDigestInfo> = new Map([
  digest({ number: 1, mnemonic: 'SHA-1', reference: 'RFC 3658, RFC 4034', nodeHash: 'sha1', octets: 20, validation: 'MUST', support: 'deprecated', note: 'SHA-1 is collision-prone; publish a SHA-256 DS instead (RFC 4509 §3: prefer SHA-256 when both exist)' }),
  digest({ number: 2, mnemonic: 'SHA-256', reference: 'RFC 4509', nodeHash: 'sha256', octets: 32, validation: 'MUST', support: 'supported', note: 'recommended' }),
  digest({ number: 3, mnemonic: 'GOST R 34.11-94', reference: 'RFC 5933', nodeHash: undefined, octets: 32, validation: 'MAY', support: 'unsupported', note: 'not available in OpenSSL/Node; DS ignored (RFC 6840 §5.2)' }),
  digest({ number: 4, mnemonic: 'SHA-384', reference: 'RFC 6605', nodeHash: 'sha384', octets: 48, validation: 'RECOMMENDED', support: 'supported', note: 'valid' }),
  digest({ number: 5, mnemonic: 'GOST R 34.11-2012', reference: 'RFC 9558', nodeHash: undefined, octets: 32, validation: undefined, support: 'unsupported', note: 'not available in OpenSSL/Node; DS ignored (RFC 6840 §5.2)' }),
  digest({ number: 6, mnemonic: 'SM3', reference: 'RFC 9563', nodeHash: undefined, octets: 32, validation: undefined, support: 'unsupported', note: 'not implemented; DS ignored (RFC 6840 §5.2)' }),
]);

export function dsDigestType(digestType: number): DsDigestInfo | undefined {
  return DS_DIGEST_TYPES.get(digestType);
}

/** keywatch's policy for a DS digest type; anything unknown is unsupported (RFC 6840 §5.2). */
export function digestSupport(digestType: number): KeywatchSupport {
  return DS_DIGEST_TYPES.get(digestType)?.support ?? 'unsupported';
}
