// The TLS handshake a probe makes, and what it captures: protocol version, cipher, ALPN, the
// certificate chain as the server sent it, the leaf's keys, dates, names, and a PKIX verdict.
//
// How we get the chain exactly as sent. Node has no API for the raw Certificate message.
// getPeerCertificate(true) starts from OpenSSL's SSL_get_peer_cert_chain (what the server
// sent), links each certificate to its issuer *among the sent ones*, and then — the trap — asks
// the connection's trust store for the issuer of the last one and appends it. A leaf-only server
// would appear to send its intermediate, and a DANE-TA (usage 2) check would match a CA the
// server never presented. So the handshake runs with a trust store holding one dummy certificate
// that nothing chains to (x509/empty-trust.ts) and rejectUnauthorized: false; nothing can be
// appended. PKIX is then decided by pkix.ts against the real anchors (system or CA file), with
// an injected clock. test/unit/probe/chain-capture.test.ts proves it against `openssl s_client
// -showcerts` as an independent judge, and shows the trap with a naive client.
// Limitation (Node's linking): sent certificates that are not on the leaf's issuer path
// (strays, duplicates) are not reported, and the order is the issuer order, which for a correct
// server is the sent order (RFC 8446 §4.4.2, RFC 5246 §7.4.2).
//
// Handshake size: OpenSSL caps a peer's certificate list (max_cert_list, 100 KiB by default)
// and handshake messages, so the bytes read during TLS are bounded by the library; the time is
// bounded by the probe's deadline here.
import { createHash, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, type PeerCertificate, type SecureVersion, type TLSSocket } from 'node:tls';
import { remainingMs, type Budget } from './bounded.ts';
import { ProbeError } from './errors.ts';
import { EMPTY_TRUST_PEM } from './x509/empty-trust.ts';
import { certificateNames, type CertificateNames } from './x509/names.ts';
import { memoByDer } from './x509/memo.ts';
import { nameMatches, validateChain, type PkixResult } from './x509/pkix.ts';

export interface TlsHandshakeOptions {
  /** SNI (RFC 6066 §3); omitted when it is an IP address, which SNI does not allow. */
  servername?: string;
  /** ALPN protocols to offer, e.g. `xmpp-client` for XEP-0368 direct TLS. */
  alpn?: string[];
  minVersion?: SecureVersion;
  maxVersion?: SecureVersion;
  /**
   * OpenSSL cipher list. Node hands names starting `TLS_` to TLS 1.3 and the rest to TLS ≤ 1.2,
   * so a list without `TLS_` names also turns TLS 1.3 off.
   */
  ciphers?: string;
  /** OpenSSL signature_algorithms list, e.g. `ecdsa_secp256r1_sha256:ed25519`. */
  sigalgs?: string;
}

export interface LeafInfo {
  /** SHA-256 / SHA-512 over the DER SubjectPublicKeyInfo, hex: TLSA selector 1 data. */
  spkiSha256: string;
  spkiSha512: string;
  /** SHA-256 over the whole DER certificate: TLSA selector 0, matching type 1. */
  certSha256: string;
  notBefore: string;
  notAfter: string;
  /** Attacker-controlled text: escape before display. */
  subject: string;
  issuer: string;
  serialNumber: string;
  keyType: string;
  names: CertificateNames;
}

export interface TlsCapture {
  version: string;
  cipher: string;
  alpn: string | null;
  /** DER certificates as the server sent them, leaf first (see the comment at the top). */
  chain: Buffer[];
  leaf: LeafInfo;
  /** PKIX validation of `chain` against `anchors`, at the injected time. Names not included. */
  pkix: PkixResult & { anchors: string };
  /** The leaf's DNS-IDs cover `servername` (RFC 6125). */
  nameMatches: boolean;
}

export async function tlsHandshake(socket: Duplex, o: TlsHandshakeOptions, budget: Budget): Promise<TLSSocket> {
  const servername = o.servername && !isIP(o.servername) ? o.servername : undefined;
  return new Promise((resolve, reject) => {
    const tls = tlsConnect({
      socket,
      ...(servername ? { servername } : {}),
      ...(o.alpn?.length ? { ALPNProtocols: o.alpn } : {}),
      ...(o.minVersion ? { minVersion: o.minVersion } : {}),
      ...(o.maxVersion ? { maxVersion: o.maxVersion } : {}),
      ...(o.ciphers ? { ciphers: o.ciphers } : {}),
      ...(o.sigalgs ? { sigalgs: o.sigalgs } : {}),
      ca: [EMPTY_TRUST_PEM],
      rejectUnauthorized: false,
    });
    const timer = setTimeout(() => {
      tls.destroy();
      reject(new ProbeError('timeout', `no TLS handshake within ${Math.round(budget.timeoutMs)} ms`));
    }, remainingMs(budget));
    tls.once('secureConnect', () => {
      clearTimeout(timer);
      tls.removeAllListeners('error');
      // Later failures are reported by whoever reads next; an unhandled 'error' would crash.
      tls.on('error', () => undefined);
      resolve(tls);
    });
    tls.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      tls.destroy();
      const closed = err.code === 'ECONNRESET' || /socket disconnected/i.test(err.message);
      reject(new ProbeError(closed ? 'closed' : 'tls', `TLS handshake failed: ${err.message}`, { cause: err }));
    });
  });
}

/** The sent chain, leaf first, from Node's linked certificate objects (see the top comment). */
export function sentChain(tls: TLSSocket): Buffer[] {
  const out: Buffer[] = [];
  let c: PeerCertificate | undefined = tls.getPeerCertificate(true);
  while (c && c.raw && !out.some((d) => d.equals(c!.raw))) {
    out.push(c.raw);
    c = (c as { issuerCertificate?: PeerCertificate }).issuerCertificate;
  }
  return out;
}

const hex = (alg: string, data: Buffer) => createHash(alg).update(data).digest('hex');

export function leafInfo(leaf: X509Certificate): LeafInfo {
  return leafInfoOf(leaf.raw);
}

/** A certificate's SPKI digests, dates and names; memoised (x509/memo.ts), so read-only. */
const leafInfoOf = memoByDer(4096, (der): LeafInfo => {
  const leaf = parseCertificate(der);
  const spki = leaf.publicKey.export({ type: 'spki', format: 'der' });
  return {
    spkiSha256: hex('sha256', spki),
    spkiSha512: hex('sha512', spki),
    certSha256: hex('sha256', leaf.raw),
    notBefore: new Date(Date.parse(leaf.validFrom)).toISOString(),
    notAfter: new Date(Date.parse(leaf.validTo)).toISOString(),
    subject: leaf.subject,
    issuer: leaf.issuer,
    serialNumber: leaf.serialNumber,
    keyType: leaf.publicKey.asymmetricKeyType ?? 'unknown',
    names: certificateNames(leaf.raw),
  };
});

/** Parsed certificates, shared across probes (read-only). */
export const parseCertificate = memoByDer(4096, (der) => new X509Certificate(der));

export function captureTls(tls: TLSSocket, o: { anchors: X509Certificate[]; anchorsName: string; now: Date; servername?: string }): TlsCapture {
  const chain = sentChain(tls);
  const certs = chain.map(parseCertificate);
  const leaf = certs[0];
  if (!leaf) throw new ProbeError('tls', 'the server completed the handshake without a certificate');
  const cipher = tls.getCipher();
  return {
    version: tls.getProtocol() ?? 'unknown',
    cipher: cipher.standardName ?? cipher.name,
    alpn: typeof tls.alpnProtocol === 'string' ? tls.alpnProtocol : null,
    chain,
    leaf: leafInfo(leaf),
    pkix: { ...validateChain(certs, o.anchors, o.now), anchors: o.anchorsName },
    nameMatches: o.servername ? nameMatches(leaf, o.servername) : false,
  };
}
