// TLSA matching: does the certificate chain a server sent satisfy its DANE TLSA RRset?
//
// Pure: records, the chain exactly as sent (DER, leaf first, no trust-store additions) and a
// context (service, the probe's PKIX verdict, reference names, the clock) in; a verdict with one
// result per record out. Written from RFC 6698 (TLSA), RFC 7218 (acronyms), RFC 7671 (operational
// updates), RFC 7672 (SMTP) and RFC 7673 (SRV).
//
// Decisions on points the RFCs leave open (also in docs, see the report):
//   - A DANE-TA(2) or PKIX-TA(0) record that matches only the leaf is "no-match"
//     (code `ta-matches-leaf`): RFC 6698 §2.1.1 defines usage 2 as the trust anchor that
//     *validates* the end-entity certificate, i.e. an issuer of it; a leaf-as-TA is a DANE-EE
//     record published with the wrong usage. OpenSSL's DANE code likewise only compares TA
//     records at depth ≥ 1. Its parameters are valid, so it is not "unusable".
//   - The TA must be on the issuer path the server sent (RFC 7671 §5.2.1), except for DANE-TA
//     records that carry the full TA (matching type Full(0)): `2 1 0` (RFC 7671 §5.2.2, the
//     public key) and, by the same reasoning, `2 0 0` (the whole certificate holds the key).
//     Then the key only has to verify the signature of a certificate on the sent path.
//   - DANE-TA dates: every certificate below the TA must be valid at `now`; the TA itself is a
//     bare key (RFC 5280 §6.1.1 trust anchor information has no validity), so its dates are
//     not checked.
//   - PKIX-TA/PKIX-EE: names, dates and trust are what the probe's PKIX verdict covers; here we
//     only require `pkix.valid`, the TLSA match, and (for PKIX-TA) that the TA is on the sent
//     issuer path (RFC 7671 §5.4: the server must send it).
//   - Digest agility (RFC 7671 §9): among otherwise usable records of one usage and selector,
//     only those with the strongest digest (SHA2-512 over SHA2-256) count; the weaker ones are
//     reported "unusable" (code `weaker-digest`). Full(0) is not a digest and always counts.
import { createHash, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { TlsaData } from '../dns/rdata.ts';

/** A TLSA record's rdata (RFC 6698 §2.1): `TlsaData` without its type tag. */
export type TlsaRecord = Omit<TlsaData, 'type'>;

export type DaneService = 'smtp' | 'xmpp' | 'other';

export interface DaneContext {
  /** SMTP makes PKIX-TA(0)/PKIX-EE(1) unusable (RFC 7672 §3.1.3). */
  service: DaneService;
  /** The probe's PKIX verdict for this chain (trust store, names, dates). */
  pkix: { valid: boolean; reason?: string };
  /** Names a DANE-TA-validated leaf must match (RFC 7672 §3.2.3, RFC 7673 §3). */
  referenceNames: string[];
  now: Date;
}

/** RFC 7218 §2 acronyms. */
export const Usage = { PKIX_TA: 0, PKIX_EE: 1, DANE_TA: 2, DANE_EE: 3 } as const;
export const Selector = { CERT: 0, SPKI: 1 } as const;
export const Matching = { FULL: 0, SHA2_256: 1, SHA2_512: 2 } as const;

export type RecordStatus = 'match' | 'no-match' | 'unusable';

/** Why a record has its status: tests and callers use these, never the prose. */
export type RecordCode =
  | 'matched'
  // unusable
  | 'unknown-usage'
  | 'unknown-selector'
  | 'unknown-matching-type'
  | 'bad-digest-length'
  | 'bad-full-data'
  | 'pkix-usage-smtp'
  | 'weaker-digest'
  // no-match
  | 'empty-chain'
  | 'no-cert-matches'
  | 'ee-matches-issuer'
  | 'ta-matches-leaf'
  | 'ta-not-on-path'
  | 'ta-key-unusable'
  | 'pkix-invalid'
  | 'name-mismatch'
  | 'expired'
  | 'not-yet-valid';

export interface RecordResult {
  /** Presentation text, e.g. `3 1 1 0a1b…` (full hex). */
  record: string;
  status: RecordStatus;
  code: RecordCode;
  reason?: string;
  /** Index in the chain as sent of the certificate the record designates (0 = leaf). For a
   *  full TA key that was not sent: one above the highest certificate it signed. */
  matchedDepth?: number;
  /** A DANE-TA Full(0) record matched a TA the server did not send. */
  taNotSent?: boolean;
}

export interface DaneVerdict {
  verdict: 'match' | 'mismatch' | 'no-usable-records';
  /** The first matching record, as text. */
  matchedBy?: string;
  results: RecordResult[];
}

const usageName = ['PKIX-TA', 'PKIX-EE', 'DANE-TA', 'DANE-EE'];
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

export function formatTlsa(r: TlsaRecord): string {
  return `${r.usage} ${r.selector} ${r.matchingType} ${hex(r.data)}`;
}

// ---- DER: just enough to take the SubjectPublicKeyInfo out of a certificate byte-exactly ----
// (RFC 6698 §2.1.2: selector 1 is the DER SPKI as it appears in the certificate; re-encoding a
// parsed key could differ, e.g. for compressed EC points or explicit parameters.)

interface Tlv { tag: number; start: number; end: number }

function readTlv(b: Uint8Array, off: number): Tlv | undefined {
  if (off + 2 > b.length) return undefined;
  const tag = b[off]!;
  if ((tag & 0x1f) === 0x1f) return undefined; // high tag numbers never occur here
  let len = b[off + 1]!;
  let header = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || off + 2 + n > b.length) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[off + 2 + i]!;
    header += n;
  }
  const end = off + header + len;
  return end > b.length ? undefined : { tag, start: off + header, end };
}

/** The SPKI bytes of a DER certificate, or undefined when it is not one. */
export function certificateSpki(der: Uint8Array): Uint8Array | undefined {
  const cert = readTlv(der, 0);
  if (cert?.tag !== 0x30 || cert.end !== der.length) return undefined;
  const tbs = readTlv(der, cert.start);
  if (tbs?.tag !== 0x30) return undefined;
  let off = tbs.start;
  const first = readTlv(der, off);
  if (first?.tag === 0xa0) off = first.end; // [0] version
  // serialNumber, signature, issuer, validity, subject (RFC 5280 §4.1)
  for (const tag of [0x02, 0x30, 0x30, 0x30, 0x30]) {
    const el = readTlv(der, off);
    if (el?.tag !== tag || el.end > tbs.end) return undefined;
    off = el.end;
  }
  const spki = readTlv(der, off);
  if (spki?.tag !== 0x30 || spki.end > tbs.end) return undefined;
  return der.subarray(off, spki.end);
}

/** SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING } */
function isSpki(b: Uint8Array): boolean {
  const outer = readTlv(b, 0);
  if (outer?.tag !== 0x30 || outer.end !== b.length) return false;
  const alg = readTlv(b, outer.start);
  if (alg?.tag !== 0x30) return false;
  const bits = readTlv(b, alg.end);
  return bits?.tag === 0x03 && bits.end === outer.end;
}

// ---- Record parameters: usable or not, before looking at any certificate ----

/** Why a record is unusable on its own (RFC 6698 §2.1, RFC 7671 §4, RFC 7672 §3.1.3). */
export function recordProblem(r: TlsaRecord, service: DaneService): { code: RecordCode; reason: string } | undefined {
  if (r.usage > 3) return { code: 'unknown-usage', reason: `certificate usage ${r.usage} is not defined (RFC 6698 §2.1.1); clients ignore the record` };
  if (r.selector > 1) return { code: 'unknown-selector', reason: `selector ${r.selector} is not defined (RFC 6698 §2.1.2); clients ignore the record` };
  if (r.matchingType > 2) return { code: 'unknown-matching-type', reason: `matching type ${r.matchingType} is not defined (RFC 6698 §2.1.3); clients ignore the record` };
  if (service === 'smtp' && r.usage <= 1) {
    return { code: 'pkix-usage-smtp', reason: `${usageName[r.usage]}(${r.usage}) records are unusable for SMTP, which has no agreed trust store (RFC 7672 §3.1.3)` };
  }
  const want = r.matchingType === Matching.SHA2_256 ? 32 : r.matchingType === Matching.SHA2_512 ? 64 : 0;
  if (want && r.data.length !== want) {
    return { code: 'bad-digest-length', reason: `${r.matchingType === 1 ? 'SHA2-256' : 'SHA2-512'} data must be ${want} bytes, this record has ${r.data.length} (RFC 6698 §2.1.3)` };
  }
  if (r.matchingType === Matching.FULL) {
    const ok = r.selector === Selector.SPKI ? isSpki(r.data) : parseCert(r.data) !== undefined;
    if (!ok) return { code: 'bad-full-data', reason: `Full(0) data does not parse as a DER ${r.selector === 1 ? 'SubjectPublicKeyInfo' : 'certificate'} (RFC 6698 §2.1.3)` };
  }
  return undefined;
}

const digestRank = (m: number) => (m === Matching.SHA2_512 ? 2 : m === Matching.SHA2_256 ? 1 : 0);

/**
 * RFC 7671 §9: for each usage and selector, only the records with the strongest digest present
 * count. Returns the indexes of records that are superseded (given those already unusable).
 */
export function supersededByDigestAgility(records: readonly TlsaRecord[], unusable: ReadonlySet<number>): Set<number> {
  const strongest = new Map<string, number>();
  records.forEach((r, i) => {
    if (unusable.has(i) || digestRank(r.matchingType) === 0) return;
    const key = `${r.usage}/${r.selector}`;
    strongest.set(key, Math.max(strongest.get(key) ?? 0, digestRank(r.matchingType)));
  });
  const out = new Set<number>();
  records.forEach((r, i) => {
    const rank = digestRank(r.matchingType);
    if (!unusable.has(i) && rank > 0 && rank < (strongest.get(`${r.usage}/${r.selector}`) ?? 0)) out.add(i);
  });
  return out;
}

// ---- Certificates ----

interface ChainCert {
  der: Uint8Array;
  x509?: X509Certificate;
  spki?: Uint8Array;
}

function parseCert(der: Uint8Array): X509Certificate | undefined {
  if (der[0] !== 0x30) return undefined; // DER only: Node would also accept PEM text
  try {
    return new X509Certificate(Buffer.from(der));
  } catch {
    return undefined;
  }
}

function toChainCert(der: Uint8Array): ChainCert {
  const x509 = parseCert(der);
  const spki = certificateSpki(der);
  return { der, ...(x509 ? { x509 } : {}), ...(spki ? { spki } : {}) };
}

function digest(matchingType: number, bytes: Uint8Array): Uint8Array {
  if (matchingType === Matching.SHA2_256) return createHash('sha256').update(bytes).digest();
  if (matchingType === Matching.SHA2_512) return createHash('sha512').update(bytes).digest();
  return bytes;
}

function certMatches(r: TlsaRecord, c: ChainCert): boolean {
  const selected = r.selector === Selector.CERT ? c.der : c.spki;
  return selected !== undefined && Buffer.from(digest(r.matchingType, selected)).equals(r.data);
}

function signedBy(child: ChainCert, key: KeyObject): boolean {
  try {
    return child.x509?.verify(key) === true;
  } catch {
    return false; // an algorithm Node cannot verify
  }
}

/** `child` names `parent` as issuer (names, key ids, keyCertSign) and its signature verifies. */
function issuedBy(child: ChainCert, parent: ChainCert): boolean {
  if (!child.x509 || !parent.x509 || !child.x509.checkIssued(parent.x509)) return false;
  return signedBy(child, parent.x509.publicKey);
}

/** Longer sent paths are cut here: real chains have 2–4 certificates, and each step costs
 *  signature checks against every sent certificate (a hostile server sets the chain). */
const MAX_PATH = 16;

/**
 * The issuer path the server sent, as indexes into the chain: leaf first, each next one the
 * issuer of the previous, found anywhere in what was sent (servers do not always order it).
 * Stops at a self-issued certificate or when no sent certificate issued the last one.
 */
function issuerPath(chain: readonly ChainCert[]): number[] {
  const path = [0];
  const used = new Set(path);
  while (path.length < MAX_PATH) {
    const cur = chain[path[path.length - 1]!]!;
    if (cur.x509?.checkIssued(cur.x509)) break;
    const next = chain.findIndex((c, j) => !used.has(j) && issuedBy(cur, c));
    if (next < 0) break;
    path.push(next);
    used.add(next);
  }
  return path;
}

function normaliseName(n: string): string {
  return n.toLowerCase().replace(/\.$/, '');
}

/** RFC 6125 §6.4 via OpenSSL: DNS-IDs, `*` only as the whole left-most label matching one label. */
function leafNameMatch(leaf: X509Certificate, names: readonly string[]): string | undefined {
  const opts = { subject: 'default', wildcards: true, partialWildcards: false, multiLabelWildcards: false } as const;
  return names.find((n) => leaf.checkHost(normaliseName(n), opts) !== undefined);
}

function datesProblem(c: ChainCert, depth: number, now: Date): { code: RecordCode; reason: string } | undefined {
  if (!c.x509) return undefined;
  const from = new Date(c.x509.validFrom);
  const to = new Date(c.x509.validTo);
  if (now < from) return { code: 'not-yet-valid', reason: `certificate at depth ${depth} is not valid before ${from.toISOString()}` };
  if (now > to) return { code: 'expired', reason: `certificate at depth ${depth} expired ${to.toISOString()}` };
  return undefined;
}

// ---- Per-usage matching ----

type Outcome = Omit<RecordResult, 'record'>;
const noMatch = (code: RecordCode, reason: string): Outcome => ({ status: 'no-match', code, reason });

/** PKIX-EE(1) and DANE-EE(3): the record designates the leaf itself. */
function matchEndEntity(r: TlsaRecord, chain: readonly ChainCert[], ctx: DaneContext): Outcome {
  if (!certMatches(r, chain[0]!)) {
    const at = chain.findIndex((c, i) => i > 0 && certMatches(r, c));
    if (at > 0) return noMatch('ee-matches-issuer', `matches the certificate at depth ${at}, but ${usageName[r.usage]} designates the leaf; publish it with usage 2 (DANE-TA) if a CA is meant`);
    return noMatch('no-cert-matches', 'the leaf does not match');
  }
  if (r.usage === Usage.PKIX_EE && !ctx.pkix.valid) {
    return noMatch('pkix-invalid', `the leaf matches, but PKIX-EE also requires PKIX validation, which failed${ctx.pkix.reason ? `: ${ctx.pkix.reason}` : ''} (RFC 6698 §2.1.1)`);
  }
  // DANE-EE: the key is the whole authentication; names and dates do not apply (RFC 7671 §5.1).
  return { status: 'match', code: 'matched', matchedDepth: 0 };
}

/** The TA key a Full(0) DANE-TA record carries, when it can be used without the server sending it. */
function fullTaKey(r: TlsaRecord): KeyObject | undefined {
  if (r.matchingType !== Matching.FULL) return undefined;
  try {
    if (r.selector === Selector.SPKI) return createPublicKey({ key: Buffer.from(r.data), format: 'der', type: 'spki' });
    return parseCert(r.data)?.publicKey;
  } catch {
    return undefined;
  }
}

/** PKIX-TA(0) and DANE-TA(2): the record designates an issuer on the path the server sent. */
function matchTrustAnchor(r: TlsaRecord, chain: readonly ChainCert[], path: readonly number[], ctx: DaneContext): Outcome {
  let taPos = path.findIndex((j, p) => p > 0 && certMatches(r, chain[j]!));
  let matchedDepth = taPos > 0 ? path[taPos]! : undefined;
  let taNotSent = false;

  if (taPos < 0 && r.usage === Usage.DANE_TA && r.matchingType === Matching.FULL) {
    // RFC 7671 §5.2.2: with the full key in DNS the server need not send the TA; it must have
    // signed a certificate on the sent path. A self-signed leaf "signed" by its own key is the
    // leaf-as-TA case and does not count.
    const key = fullTaKey(r);
    if (!key) return noMatch('ta-key-unusable', 'the trust-anchor key in the record cannot be loaded to verify signatures');
    const signedPos = path.findIndex((j, p) => signedBy(chain[j]!, key) && !(p === 0 && chain[0]!.x509?.publicKey.equals(key)));
    if (signedPos >= 0) {
      taPos = signedPos + 1;
      matchedDepth = path[signedPos]! + 1;
      taNotSent = true;
    }
  }

  if (taPos < 0 || matchedDepth === undefined) {
    if (certMatches(r, chain[0]!)) {
      return noMatch('ta-matches-leaf', `matches the leaf, but ${usageName[r.usage]} designates an issuer of the leaf (RFC 6698 §2.1.1); to pin the leaf publish usage 3 (DANE-EE)`);
    }
    const off = chain.findIndex((c, j) => j > 0 && !path.includes(j) && certMatches(r, c));
    if (off > 0) return noMatch('ta-not-on-path', `matches the certificate at depth ${off}, which did not issue the chain above the leaf (signature or issuer name check failed)`);
    return noMatch(
      'no-cert-matches',
      r.matchingType === Matching.FULL
        ? 'no certificate on the sent issuer path matches, and the record\'s key signed none of them'
        : `no issuer the server sent matches; with a digest record the server must send the trust anchor (RFC 7671 §5.2.1${r.usage === 0 ? ', §5.4' : ''})`,
    );
  }

  if (r.usage === Usage.PKIX_TA) {
    if (!ctx.pkix.valid) return noMatch('pkix-invalid', `the trust anchor matches, but PKIX-TA also requires PKIX validation, which failed${ctx.pkix.reason ? `: ${ctx.pkix.reason}` : ''} (RFC 6698 §2.1.1)`);
    return { status: 'match', code: 'matched', matchedDepth };
  }

  // DANE-TA: the leaf must carry one of the reference identifiers (RFC 7671 §5.2, RFC 7672
  // §3.2.3, RFC 7673 §3) and the certificates below the TA must be within their dates.
  const leaf = chain[0]!.x509;
  if (!leaf || !leafNameMatch(leaf, ctx.referenceNames)) {
    const names = ctx.referenceNames.length ? ctx.referenceNames.join(', ') : '(none given)';
    return noMatch('name-mismatch', `the trust anchor matches, but the leaf matches none of the reference names: ${names}`);
  }
  for (let p = 0; p < taPos && p < path.length; p++) {
    const problem = datesProblem(chain[path[p]!]!, path[p]!, ctx.now);
    if (problem) return noMatch(problem.code, `the trust anchor matches, but the ${problem.reason}`);
  }
  return { status: 'match', code: 'matched', matchedDepth, ...(taNotSent ? { taNotSent } : {}) };
}

// ---- The RRset ----

export function matchTlsa(records: readonly TlsaRecord[], chainDer: readonly Uint8Array[], ctx: DaneContext): DaneVerdict {
  const problems = records.map((r) => recordProblem(r, ctx.service));
  const unusable = new Set(problems.flatMap((p, i) => (p ? [i] : [])));
  const superseded = supersededByDigestAgility(records, unusable);
  const chain = chainDer.map(toChainCert);
  let path: number[] | undefined; // built once, when a TA record needs it

  const results = records.map((r, i): RecordResult => {
    const record = formatTlsa(r);
    const problem = problems[i];
    if (problem) return { record, status: 'unusable', ...problem };
    if (superseded.has(i)) {
      return { record, status: 'unusable', code: 'weaker-digest', reason: `a SHA2-512 record exists for ${usageName[r.usage]} with the same selector; only the strongest digest counts (RFC 7671 §9)` };
    }
    if (chain.length === 0) return { record, ...noMatch('empty-chain', 'the server sent no certificate') };
    const outcome =
      r.usage === Usage.PKIX_EE || r.usage === Usage.DANE_EE ? matchEndEntity(r, chain, ctx) : matchTrustAnchor(r, chain, (path ??= issuerPath(chain)), ctx);
    return { record, ...outcome };
  });

  const matched = results.find((x) => x.status === 'match');
  if (matched) return { verdict: 'match', matchedBy: matched.record, results };
  return { verdict: results.some((x) => x.status === 'no-match') ? 'mismatch' : 'no-usable-records', results };
}
