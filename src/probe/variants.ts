// Extra handshakes per endpoint, besides the main probe: what the server does when a client
// offers only anonymous or NULL-encryption suites, and which certificate it presents to a
// client that can verify only one key type.
//
// Why. The 2023 jabber.ru interception box answered on port 5222 with a TLS stack of its own: a
// different certificate than port 5223, and it accepted anonymous suites the real server
// refused. A second TLS stack shows in parameters like these even when its certificate is as
// "valid" as the real one. And a server can hold several certificates (RSA and ECDSA; OpenSSL
// chooses by the client's signature_algorithms): every key it may present must match TLSA, not
// only the one our default handshake happens to get.
//
// Every extra handshake is a full connection of its own through openTls (probe.ts): the same
// SOCKS path, STARTTLS dialogue, SNI, ALPN and limits as the main probe, with a fresh budget of
// the same size. Nothing is sent after the handshake.
//
// Outcomes keep "the server said no" apart from "we could not tell": only a TLS alert from the
// server during the handshake counts as a refusal. A reset, a silent close, a timeout or a
// failed STARTTLS dialogue is `unknown`: an interception box may well drop what it cannot
// handle, and a broken network must not read as a clean result.
import type { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { createBudget } from './bounded.ts';
import { ProbeError, type ProbeErrorKind } from './errors.ts';
import { DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT_MS, newTlsOpening, openTls, type ProbeOptions, type ProbeStage } from './probe.ts';
import { captureTls, leafInfo, type LeafInfo, type TlsCapture } from './tls.ts';
import { loadAnchors } from './x509/trust.ts';

/** Why an extra handshake did not complete. */
export interface VariantFailure {
  /** Prose, for reports. */
  error: string;
  errorKind: ProbeErrorKind;
  /** Where it stopped: `connect`, `starttls` or `tls`. */
  stage: ProbeStage;
  /** The TLS alert the server sent, e.g. `handshake_failure`, when it refused with one. */
  alert?: string;
}

export interface AnonymousResult extends Partial<VariantFailure> {
  /**
   * `accepted`: the handshake completed with one of the anonymous/NULL suites we offered.
   * `refused`: the server answered with a TLS alert. `unknown`: anything else (network, timeout,
   * STARTTLS, a close without an alert).
   */
  outcome: 'accepted' | 'refused' | 'unknown';
  /** Negotiated protocol version, when accepted (e.g. `TLSv1.2`). */
  version?: string;
  /** Negotiated suite, IANA name, when accepted (e.g. `TLS_DH_anon_WITH_AES_256_GCM_SHA384`). */
  cipher?: string;
  /**
   * NULL-encryption suites can still authenticate the server: the SPKI SHA-256 of the leaf when
   * a certificate was sent. Absent for anonymous (aNULL) suites, which have none.
   */
  spkiSha256?: string;
}

export type KeyFamily = 'ecdsa' | 'rsa' | 'ed25519';

export interface KeyTypeResult extends Partial<VariantFailure> {
  family: KeyFamily;
  /**
   * `served`: the server completed a handshake with a certificate of this family.
   * `not-served`: it refused with a TLS alert (it has no certificate of this family, or will
   * not use it). `unknown`: anything else, including a server that answered with a certificate
   * of another family despite our restriction.
   */
  outcome: 'served' | 'not-served' | 'unknown';
  version?: string;
  cipher?: string;
  /** SPKI SHA-256 of the leaf, hex (TLSA selector 1, matching type 1). */
  spkiSha256?: string;
  /** Node's name for the leaf key type: `ec`, `rsa`, `rsa-pss`, `ed25519`. */
  keyType?: string;
  /** DER certificates as sent, leaf first (captureTls, tls.ts). */
  chain?: Buffer[];
  leaf?: LeafInfo;
  /** PKIX validation of `chain` against the probe's trust anchors. */
  pkix?: TlsCapture['pkix'];
  nameMatches?: boolean;
}

/**
 * Only anonymous and NULL-encryption suites. SECLEVEL=0 because OpenSSL 3 refuses both (and TLS
 * below 1.2) at its default level. No `TLS_` names, so Node also turns TLS 1.3 off, which has
 * no such suites anyway.
 */
export const ANONYMOUS_CIPHERS = 'aNULL:eNULL@SECLEVEL=0';

// Node's default TLS 1.3 suites. They have to be named: Node gives a cipher list without
// `TLS_` names to TLS ≤ 1.2 only and disables TLS 1.3.
const TLS13_SUITES = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256';

interface FamilySpec {
  /**
   * signature_algorithms to offer. TLS 1.3 signs CertificateVerify with RSA-PSS only
   * (RFC 8446 §4.2.3), so the RSA list must hold rsa_pss_* for TLS 1.3 servers and
   * rsa_pkcs1_* for TLS 1.2 servers that know no PSS.
   */
  sigalgs: string;
  /**
   * TLS ≤ 1.2 suites whose authentication matches the family (there the suite names the key
   * type; OpenSSL authenticates Ed25519 with the ECDSA suites), so that a TLS 1.2 server that
   * ignores signature_algorithms still cannot answer with another key type.
   */
  ciphers: string;
  /** Node's asymmetricKeyType values that belong to the family. */
  keyTypes: readonly string[];
}

export const KEY_FAMILIES: Readonly<Record<KeyFamily, FamilySpec>> = {
  ecdsa: {
    sigalgs: 'ecdsa_secp256r1_sha256:ecdsa_secp384r1_sha384:ecdsa_secp521r1_sha512',
    ciphers: `${TLS13_SUITES}:aECDSA`,
    keyTypes: ['ec'],
  },
  rsa: {
    sigalgs: [
      'rsa_pss_rsae_sha256', 'rsa_pss_rsae_sha384', 'rsa_pss_rsae_sha512',
      'rsa_pss_pss_sha256', 'rsa_pss_pss_sha384', 'rsa_pss_pss_sha512',
      'rsa_pkcs1_sha256', 'rsa_pkcs1_sha384', 'rsa_pkcs1_sha512',
    ].join(':'),
    ciphers: `${TLS13_SUITES}:aRSA`,
    keyTypes: ['rsa', 'rsa-pss'],
  },
  ed25519: {
    sigalgs: 'ed25519',
    ciphers: `${TLS13_SUITES}:aECDSA`,
    keyTypes: ['ed25519'],
  },
};

/** The order probeKeyTypes asks in by default. */
export const DEFAULT_KEY_FAMILIES: readonly KeyFamily[] = ['ecdsa', 'rsa', 'ed25519'];

/** The alert the peer sent, from the OpenSSL reason Node puts in the error code. */
function alertOf(e: unknown): string | undefined {
  // tlsHandshake wraps Node's error as the ProbeError's cause.
  const inner = e instanceof ProbeError && e.cause !== undefined ? e.cause : e;
  const code = (inner as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string') return undefined;
  // e.g. ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE, ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION
  const m = /^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_ALERT_([A-Z0-9_]+)$/.exec(code);
  return m?.[1]?.toLowerCase();
}

function failureOf(e: unknown, stage: ProbeStage): VariantFailure {
  const kind: ProbeErrorKind = e instanceof ProbeError ? e.kind : 'internal';
  const alert = stage === 'tls' ? alertOf(e) : undefined;
  return { error: e instanceof Error ? e.message : String(e), errorKind: kind, stage, ...(alert ? { alert } : {}) };
}

/**
 * One extra handshake: connect, STARTTLS, handshake with `override`, then `onTls` on the
 * session; closed afterwards whatever happens.
 */
async function withHandshake<T>(
  base: ProbeOptions,
  override: Partial<ProbeOptions>,
  onTls: (tls: TLSSocket) => T,
  onFail: (f: VariantFailure) => T,
): Promise<T> {
  const o: ProbeOptions = { ...base, ...override };
  const budget = createBudget(o.timeoutMs ?? DEFAULT_TIMEOUT_MS, o.maxBytes ?? DEFAULT_MAX_BYTES);
  const progress = newTlsOpening();
  try {
    const tls = await openTls(o, budget, progress);
    const out = onTls(tls);
    tls.end();
    return out;
  } catch (e) {
    return onFail(failureOf(e, progress.stage));
  } finally {
    progress.tls?.destroy();
    progress.socket?.destroy();
  }
}

/**
 * Offer only anonymous (aNULL) and NULL-encryption (eNULL) suites, TLS 1.0 to 1.2. A server
 * that accepts lets any active attacker sit in the middle of a client that offers them; real
 * XMPP, IMAP, POP3 and HTTPS servers normally refuse. (Postfix's smtpd accepts them by default
 * for opportunistic SMTP; the judge knows.)
 */
export async function probeAnonymous(base: ProbeOptions): Promise<AnonymousResult> {
  return withHandshake<AnonymousResult>(
    base,
    // TLS 1.0 and 1.1 too: an old interception box may speak nothing newer.
    { ciphers: ANONYMOUS_CIPHERS, minVersion: 'TLSv1', maxVersion: 'TLSv1.2', sigalgs: undefined },
    (tls) => {
      const cipher = tls.getCipher();
      const leaf = tls.getPeerX509Certificate();
      return {
        outcome: 'accepted',
        version: tls.getProtocol() ?? 'unknown',
        cipher: cipher.standardName ?? cipher.name,
        ...(leaf ? { spkiSha256: leafInfo(leaf).spkiSha256 } : {}),
      };
    },
    (f) => ({ outcome: f.alert ? 'refused' : 'unknown', ...f }),
  );
}

/** One handshake that only a certificate of `family` can complete. */
export async function probeKeyType(base: ProbeOptions, family: KeyFamily): Promise<KeyTypeResult> {
  const spec = KEY_FAMILIES[family];
  let anchors: X509Certificate[];
  try {
    anchors = loadAnchors(base.caFile);
  } catch (e) {
    return { family, outcome: 'unknown', ...failureOf(e, 'connect') };
  }
  return withHandshake<KeyTypeResult>(
    base,
    { ciphers: spec.ciphers, sigalgs: spec.sigalgs },
    (tls) => {
      const cap = captureTls(tls, { anchors, anchorsName: base.caFile ?? 'system', now: base.now?.() ?? new Date(), servername: base.serviceDomain });
      const found = { version: cap.version, cipher: cap.cipher, spkiSha256: cap.leaf.spkiSha256, keyType: cap.leaf.keyType };
      if (!spec.keyTypes.includes(cap.leaf.keyType)) {
        // OpenSSL checks the CertificateVerify against what we offered, so this should not
        // happen; if it does, the server did something we do not understand.
        return {
          family,
          outcome: 'unknown',
          ...found,
          error: `asked for a ${family} certificate, the server presented a ${cap.leaf.keyType} key`,
          errorKind: 'protocol',
          stage: 'tls',
        };
      }
      return { family, outcome: 'served', ...found, chain: cap.chain, leaf: cap.leaf, pkix: cap.pkix, nameMatches: cap.nameMatches };
    },
    (f) => ({ family, outcome: f.alert ? 'not-served' : 'unknown', ...f }),
  );
}

/**
 * One handshake per key family, one after another (no burst of connections at the server, or
 * through Tor). In the order given.
 */
export async function probeKeyTypes(base: ProbeOptions, families: readonly KeyFamily[] = DEFAULT_KEY_FAMILIES): Promise<KeyTypeResult[]> {
  const out: KeyTypeResult[] = [];
  for (const family of families) out.push(await probeKeyType(base, family));
  return out;
}
