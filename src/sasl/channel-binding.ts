// Channel-binding data for SCRAM-*-PLUS, from a client-side Node TLSSocket. Three types:
//
//  tls-exporter (RFC 9266): 32 bytes from the TLS exporter, label "EXPORTER-Channel-Binding",
//    empty context. Only after the handshake (secureConnect) and only on TLS 1.3. RFC 9266 §3
//    lets TLS 1.2 use it only with the extended master secret (RFC 7627); Node cannot tell us
//    whether that was negotiated, so keywatch never uses it below TLS 1.3.
//
//  tls-server-end-point (RFC 5929 §4.1): a hash of the server's DER certificate, with the hash
//    of the certificate's signatureAlgorithm (MD5 and SHA-1 become SHA-256). Node's
//    X509Certificate does not expose the signature algorithm, so it is read from the DER with
//    asn1js; RSASSA-PSS names its hash in its parameters (RFC 4055 §3.1, default SHA-1 → SHA-256).
//    Ed25519 and Ed448 signatures have no separate hash and RFC 5929 defines nothing for them:
//    keywatch reports the type as unavailable rather than guess one a server might not.
//    It binds the certificate, not the connection: a man in the middle holding the server's
//    key *and certificate* passes it. Only tls-unique and tls-exporter catch a stolen key.
//
//  tls-unique (RFC 5929 §3.1): the first Finished message of the latest handshake — the
//    client's (getFinished) after a full handshake, the server's (getPeerFinished) after an
//    abbreviated one (session resumption). Undefined for TLS 1.3 (RFC 8446 §C.5, RFC 9266 §1):
//    Node still returns bytes there, so the version is checked first. (Without the extended
//    master secret, RFC 7627, the triple-handshake attack applies; OpenSSL negotiates it by
//    default.)
//
// Evidence for reports: the SHA-256 of the binding data, never the data itself (tls-unique and
// tls-exporter values are secrets of the session).
import { createHash } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import * as asn1 from 'asn1js';

export type BindingType = 'tls-exporter' | 'tls-server-end-point' | 'tls-unique';

export const BINDING_TYPES: readonly BindingType[] = ['tls-exporter', 'tls-server-end-point', 'tls-unique'];

export const isBindingType = (s: string): s is BindingType => (BINDING_TYPES as readonly string[]).includes(s);

export const EXPORTER_LABEL = 'EXPORTER-Channel-Binding';

/** Which types are defined for a negotiated protocol version (as Node names it: `TLSv1.3`). */
export function bindingDefined(type: BindingType, tlsVersion: string): { defined: boolean; why?: string } {
  const tls13 = tlsVersion === 'TLSv1.3';
  switch (type) {
    case 'tls-exporter':
      return tls13 ? { defined: true } : { defined: false, why: 'keywatch uses tls-exporter only on TLS 1.3 (RFC 9266 §3 requires the extended master secret below, which Node cannot confirm)' };
    case 'tls-unique':
      return tls13 ? { defined: false, why: 'tls-unique is undefined for TLS 1.3 (RFC 9266 §1, RFC 8446 §C.5)' } : { defined: true };
    case 'tls-server-end-point':
      return { defined: true };
  }
}

/**
 * The types a client should try under a protocol version, best first: the ones that bind the
 * connection before the one that binds only the certificate.
 */
export function preferredTypes(tlsVersion: string): BindingType[] {
  return tlsVersion === 'TLSv1.3' ? ['tls-exporter', 'tls-server-end-point'] : ['tls-unique', 'tls-server-end-point'];
}

export type BindingData =
  | { ok: true; type: BindingType; data: Buffer; /** SHA-256 of data, hex: for evidence. */ sha256: string; detail: string }
  | { ok: false; type: BindingType; reason: string };

const sha256hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

// --- tls-server-end-point -----------------------------------------------------------------

/** Signature algorithm OIDs → the hash RFC 5929 §4.1 prescribes (MD5/SHA-1 → SHA-256). */
const SIG_HASH: Record<string, { name: string; hash: string | null }> = {
  '1.2.840.113549.1.1.4': { name: 'md5WithRSAEncryption', hash: 'sha256' },
  '1.2.840.113549.1.1.5': { name: 'sha1WithRSAEncryption', hash: 'sha256' },
  '1.2.840.113549.1.1.14': { name: 'sha224WithRSAEncryption', hash: 'sha224' },
  '1.2.840.113549.1.1.11': { name: 'sha256WithRSAEncryption', hash: 'sha256' },
  '1.2.840.113549.1.1.12': { name: 'sha384WithRSAEncryption', hash: 'sha384' },
  '1.2.840.113549.1.1.13': { name: 'sha512WithRSAEncryption', hash: 'sha512' },
  '1.2.840.10045.4.1': { name: 'ecdsa-with-SHA1', hash: 'sha256' },
  '1.2.840.10045.4.3.1': { name: 'ecdsa-with-SHA224', hash: 'sha224' },
  '1.2.840.10045.4.3.2': { name: 'ecdsa-with-SHA256', hash: 'sha256' },
  '1.2.840.10045.4.3.3': { name: 'ecdsa-with-SHA384', hash: 'sha384' },
  '1.2.840.10045.4.3.4': { name: 'ecdsa-with-SHA512', hash: 'sha512' },
  '1.2.840.10040.4.3': { name: 'dsa-with-sha1', hash: 'sha256' },
  '2.16.840.1.101.3.4.3.1': { name: 'dsa-with-sha224', hash: 'sha224' },
  '2.16.840.1.101.3.4.3.2': { name: 'dsa-with-sha256', hash: 'sha256' },
  '2.16.840.1.101.3.4.3.9': { name: 'ecdsa-with-SHA3-224', hash: 'sha3-224' },
  '2.16.840.1.101.3.4.3.10': { name: 'ecdsa-with-SHA3-256', hash: 'sha3-256' },
  '2.16.840.1.101.3.4.3.11': { name: 'ecdsa-with-SHA3-384', hash: 'sha3-384' },
  '2.16.840.1.101.3.4.3.12': { name: 'ecdsa-with-SHA3-512', hash: 'sha3-512' },
  '2.16.840.1.101.3.4.3.13': { name: 'RSA-with-SHA3-224', hash: 'sha3-224' },
  '2.16.840.1.101.3.4.3.14': { name: 'RSA-with-SHA3-256', hash: 'sha3-256' },
  '2.16.840.1.101.3.4.3.15': { name: 'RSA-with-SHA3-384', hash: 'sha3-384' },
  '2.16.840.1.101.3.4.3.16': { name: 'RSA-with-SHA3-512', hash: 'sha3-512' },
  '1.3.101.112': { name: 'Ed25519', hash: null },
  '1.3.101.113': { name: 'Ed448', hash: null },
};

const OID_RSASSA_PSS = '1.2.840.113549.1.1.10';

/** Hash algorithm OIDs as they appear in RSASSA-PSS parameters. */
const HASH_OID: Record<string, string> = {
  '1.3.14.3.2.26': 'sha256', // SHA-1 → SHA-256
  '1.2.840.113549.2.5': 'sha256', // MD5 → SHA-256
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '2.16.840.1.101.3.4.2.5': 'sha512-224',
  '2.16.840.1.101.3.4.2.6': 'sha512-256',
  '2.16.840.1.101.3.4.2.7': 'sha3-224',
  '2.16.840.1.101.3.4.2.8': 'sha3-256',
  '2.16.840.1.101.3.4.2.9': 'sha3-384',
  '2.16.840.1.101.3.4.2.10': 'sha3-512',
};

const children = (b: asn1.AsnType | undefined): asn1.AsnType[] => {
  const v: unknown = (b?.valueBlock as { value?: unknown } | undefined)?.value;
  return Array.isArray(v) ? (v as asn1.AsnType[]) : [];
};

export type EndPointHash = { ok: true; hash: string; signatureAlgorithm: string; oid: string } | { ok: false; reason: string; oid?: string };

/** The hash tls-server-end-point uses for this DER certificate (RFC 5929 §4.1). */
export function endPointHash(der: Uint8Array): EndPointHash {
  let decoded: ReturnType<typeof asn1.fromBER>;
  try {
    decoded = asn1.fromBER(der);
  } catch (e) {
    return { ok: false, reason: `the certificate does not decode: ${(e as Error).message}` };
  }
  if (decoded.offset === -1 || !(decoded.result instanceof asn1.Sequence)) return { ok: false, reason: 'the certificate is not DER' };
  const algId = children(decoded.result)[1];
  const [oidBlock, params] = children(algId);
  if (!(algId instanceof asn1.Sequence) || !(oidBlock instanceof asn1.ObjectIdentifier)) return { ok: false, reason: 'the certificate has no readable signatureAlgorithm' };
  const oid = oidBlock.valueBlock.toString();
  if (oid === OID_RSASSA_PSS) {
    // RSASSA-PSS-params ::= SEQUENCE { hashAlgorithm [0] HashAlgorithm DEFAULT sha1, ... }
    const hashField = children(params).find((c) => c.idBlock.tagClass === 3 && c.idBlock.tagNumber === 0);
    const hashOid = children(children(hashField)[0])[0];
    if (!hashField) return { ok: true, hash: 'sha256', signatureAlgorithm: 'RSASSA-PSS (SHA-1 by default)', oid };
    if (!(hashOid instanceof asn1.ObjectIdentifier)) return { ok: false, reason: 'RSASSA-PSS parameters without a readable hash algorithm', oid };
    const hash = HASH_OID[hashOid.valueBlock.toString()];
    if (!hash) return { ok: false, reason: `RSASSA-PSS with hash ${hashOid.valueBlock.toString()}, which keywatch does not know`, oid };
    return { ok: true, hash, signatureAlgorithm: `RSASSA-PSS (${hash})`, oid };
  }
  const known = SIG_HASH[oid];
  if (!known) return { ok: false, reason: `signature algorithm ${oid} is not one keywatch knows a tls-server-end-point hash for`, oid };
  if (known.hash === null) {
    return { ok: false, reason: `the certificate is signed with ${known.name}, which has no separate hash: RFC 5929 leaves tls-server-end-point undefined for it`, oid };
  }
  return { ok: true, hash: known.hash, signatureAlgorithm: known.name, oid };
}

export function tlsServerEndPoint(der: Uint8Array): BindingData {
  const h = endPointHash(der);
  if (!h.ok) return { ok: false, type: 'tls-server-end-point', reason: h.reason };
  const data = createHash(h.hash).update(der).digest();
  return { ok: true, type: 'tls-server-end-point', data, sha256: sha256hex(data), detail: `${h.hash} of the server's certificate (signed with ${h.signatureAlgorithm})` };
}

// --- from a live connection -------------------------------------------------------------------

/** Binding data of `type` for an established client TLS connection. Never throws. */
export function bindingData(tls: TLSSocket, type: BindingType): BindingData {
  const version = tls.getProtocol();
  if (!version) return { ok: false, type, reason: 'the TLS connection is not established (handshake not complete, or already closed)' };
  const defined = bindingDefined(type, version);
  if (!defined.defined) return { ok: false, type, reason: defined.why! };
  try {
    switch (type) {
      case 'tls-exporter': {
        // RFC 9266 §2: 32 bytes, this label, and no context, which TLS 1.3 treats as an empty one
        // (RFC 8446 §7.5); passed explicitly, as Node would otherwise export without a context.
        const data = tls.exportKeyingMaterial(32, EXPORTER_LABEL, Buffer.alloc(0));
        return { ok: true, type, data, sha256: sha256hex(data), detail: `32 bytes exported with label ${EXPORTER_LABEL} (${version})` };
      }
      case 'tls-unique': {
        const resumed = tls.isSessionReused();
        const data = resumed ? tls.getPeerFinished() : tls.getFinished();
        if (!data?.length) return { ok: false, type, reason: 'the TLS library did not give the Finished message' };
        return { ok: true, type, data, sha256: sha256hex(data), detail: `the ${resumed ? "server's" : "client's"} Finished message of ${resumed ? 'the abbreviated' : 'the full'} ${version} handshake` };
      }
      case 'tls-server-end-point': {
        const cert = tls.getPeerX509Certificate();
        if (!cert) return { ok: false, type, reason: 'the server sent no certificate' };
        return tlsServerEndPoint(cert.raw);
      }
    }
  } catch (e) {
    return { ok: false, type, reason: `the TLS library refused: ${(e as Error).message}` };
  }
}
