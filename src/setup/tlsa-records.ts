// The TLSA records a domain should publish, owner by owner: `3 1 1` for every key its endpoints
// present (every key type: RSA beside ECDSA), `2 1 1` for the issuing CA as rollover cover, and
// the next key's `3 1 1` ahead of a key change; set against what is published now, so the admin
// sees what to add and what no key keywatch saw still uses.
import { createHash, createPublicKey } from 'node:crypto';
import { certificateSpki, type TlsaRecord } from '../dane/tlsa-match.ts';
import type { TlsaLookup } from '../audit/tlsa-lookup.ts';
import { parseTlsaText } from '../audit/tlsa-lookup.ts';
import { describeKey as keyName } from './key-material.ts';

/** A key keywatch knows the domain uses or will use, with what is needed to write its records. */
export interface KeySighting {
  /** `current`: presented now (or declared current with --cert/--key); `next`: --next-key. */
  role: 'current' | 'next';
  spkiSha256: string;
  /** The DER SPKI when known (files, the main handshake's leaf): lets other record forms be recognised. */
  spki?: Uint8Array;
  /** The leaf certificate's DER, when known: recognises selector 0 records. */
  certificate?: Uint8Array;
  keyType?: string;
  /** The issuing CA's SPKI SHA-256 (the `2 1 1` data) and its name, when the chain was sent. */
  issuer?: { spkiSha256: string; spki?: Uint8Array; name?: string };
  /** Where keywatch saw it: endpoint labels, or a file name. */
  seenOn: string[];
}

export interface TlsaOwner {
  /** `_port._tcp.host` without the trailing dot (RFC 7672 §3, RFC 7673 §3). */
  owner: string;
  /** Endpoints that look their TLSA records up here. */
  endpoints: string[];
  /** Whether DANE applies to those endpoints; the reason when not. */
  dane: { applies: true } | { applies: false; reason: string };
  /** What is published now (undefined: not looked up). */
  published?: PublishedTlsa;
  keys: KeySighting[];
}

/** The part of a TLSA lookup the plan needs (a Report's TlsaView has it too). */
export interface PublishedTlsa {
  state: TlsaLookup['state'];
  text?: string[];
  ttl?: number;
}

export type PlannedRole = 'current' | 'issuer' | 'next';

export interface PlannedRecord {
  /** `3 1 1 <hex>` */
  rdata: string;
  role: PlannedRole;
  /** One line for the zone-file comment: which key, where seen. */
  about: string;
  /** Already in the published RRset. */
  published: boolean;
}

export interface PublishedRecordStatus {
  rdata: string;
  /** What it matches: a current key, the issuer, the next key, or nothing keywatch knows. */
  matches: PlannedRole | 'nothing';
}

export interface OwnerPlan {
  owner: string;
  endpoints: string[];
  dane: TlsaOwner['dane'];
  publishedState: TlsaLookup['state'] | 'not-looked-up';
  ttl: number;
  ttlSource: 'published' | 'option' | 'default';
  records: PlannedRecord[];
  /** Every published record with what it matches; those matching nothing are candidates for removal. */
  publishedRecords: PublishedRecordStatus[];
}

export interface PlanOptions {
  /** Add the issuing CA's `2 1 1` (default true). */
  issuer?: boolean;
  /** TTL for new RRsets (default: the published RRset's TTL, else 3600). */
  ttl?: number;
}

export const DEFAULT_TLSA_TTL = 3600;

const sha = (alg: 'sha256' | 'sha512', b: Uint8Array) => createHash(alg).update(b).digest('hex');
const normalise = (rdata: string) => rdata.trim().split(/\s+/).map((x, i) => (i < 3 ? String(Number(x)) : x.toLowerCase())).join(' ');

/** The rdata text for a key: `3 1 1 <sha256(spki)>` (RFC 7671 §5.1 recommends exactly this form). */
export const eeRecord = (spkiSha256: string) => `3 1 1 ${spkiSha256.toLowerCase()}`;
export const taRecord = (spkiSha256: string) => `2 1 1 ${spkiSha256.toLowerCase()}`;

/** Does a published record designate this key in any form (selector 0/1, matching 0/1/2)? */
function designates(r: TlsaRecord, k: { spkiSha256: string; spki?: Uint8Array; certificate?: Uint8Array }): boolean {
  const data = Buffer.from(r.data).toString('hex');
  if (r.selector === 1) {
    if (r.matchingType === 1) return data === k.spkiSha256.toLowerCase();
    if (!k.spki) return false;
    if (r.matchingType === 2) return data === sha('sha512', k.spki);
    if (r.matchingType === 0) return data === Buffer.from(k.spki).toString('hex');
    return false;
  }
  if (r.selector === 0 && k.certificate) {
    if (r.matchingType === 1) return data === sha('sha256', k.certificate);
    if (r.matchingType === 2) return data === sha('sha512', k.certificate);
    if (r.matchingType === 0) return data === Buffer.from(k.certificate).toString('hex');
  }
  return false;
}

function classify(text: string, keys: readonly KeySighting[]): PlannedRole | 'nothing' {
  const r = parseTlsaText(text);
  if (!r) return 'nothing';
  if (r.usage === 3 || r.usage === 1) {
    const k = keys.find((x) => designates(r, x));
    if (k) return k.role;
  }
  if (r.usage === 2 || r.usage === 0) {
    if (keys.some((x) => x.issuer && designates(r, x.issuer))) return 'issuer';
  }
  return 'nothing';
}

function describeKey(k: KeySighting): string {
  const what = k.role === 'next' ? 'next key' : 'current key';
  return `${what}${k.keyType ? ` (${k.keyType})` : ''}, ${k.role === 'next' ? 'from' : 'seen on'} ${k.seenOn.join(', ')}`;
}

export function planOwner(o: TlsaOwner, opts: PlanOptions = {}): OwnerPlan {
  const publishedText = o.published && (o.published.state === 'records' || o.published.state === 'insecure') ? (o.published.text ?? []) : [];
  const publishedSet = new Set(publishedText.map(normalise));
  const records: PlannedRecord[] = [];
  const add = (rdata: string, role: PlannedRole, about: string) => {
    if (records.some((r) => r.rdata === rdata)) return;
    records.push({ rdata, role, about, published: publishedSet.has(normalise(rdata)) });
  };
  // Current keys first, then their issuers, then next keys: the order the zone file reads best in.
  for (const k of o.keys.filter((x) => x.role === 'current')) add(eeRecord(k.spkiSha256), 'current', describeKey(k));
  if (opts.issuer !== false) {
    for (const k of o.keys.filter((x) => x.role === 'current' && x.issuer)) {
      add(taRecord(k.issuer!.spkiSha256), 'issuer', `issuing CA${k.issuer!.name ? ` ${k.issuer!.name}` : ''} (rollover cover; see the note on DANE-TA)`);
    }
  }
  for (const k of o.keys.filter((x) => x.role === 'next')) add(eeRecord(k.spkiSha256), 'next', describeKey(k));
  const publishedTtl = o.published?.state === 'records' && o.published.ttl ? o.published.ttl : undefined;
  const ttl = opts.ttl ?? publishedTtl ?? DEFAULT_TLSA_TTL;
  return {
    owner: o.owner,
    endpoints: o.endpoints,
    dane: o.dane,
    publishedState: o.published?.state ?? 'not-looked-up',
    ttl,
    ttlSource: opts.ttl !== undefined ? 'option' : publishedTtl !== undefined ? 'published' : 'default',
    records,
    publishedRecords: publishedText.map((t) => ({ rdata: t, matches: classify(t, o.keys) })),
  };
}

/** A sighting from certificate DER (a live chain, leaf first). */
export function sightingFromChain(chain: readonly Uint8Array[], role: KeySighting['role'], seenOn: string[], keyType?: string, issuerName?: string): KeySighting | undefined {
  const leaf = chain[0];
  const spki = leaf && certificateSpki(leaf);
  if (!leaf || !spki) return undefined;
  const issuerSpki = chain[1] && certificateSpki(chain[1]);
  let described = keyType;
  try {
    described = keyName(createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }));
  } catch {
    // a key Node cannot load still has its digest; keep the caller's name for it
  }
  return {
    role,
    spkiSha256: sha('sha256', spki),
    spki,
    certificate: leaf,
    ...(described ? { keyType: described } : {}),
    ...(issuerSpki ? { issuer: { spkiSha256: sha('sha256', issuerSpki), spki: issuerSpki, ...(issuerName ? { name: issuerName } : {}) } } : {}),
    seenOn,
  };
}

/** Node's key type names (`rsa`, `ec`, `ed25519`) as people write them. */
export const keyFamilyName = (nodeType: string) => ({ rsa: 'RSA', 'rsa-pss': 'RSA-PSS', ec: 'ECDSA', ed25519: 'Ed25519', ed448: 'Ed448' })[nodeType] ?? nodeType;

/** Merge sightings of the same key (one per endpoint) into one, listing every place it was seen. */
export function mergeSightings(list: readonly KeySighting[]): KeySighting[] {
  const by = new Map<string, KeySighting>();
  for (const k of list) {
    const key = `${k.role}:${k.spkiSha256}`;
    const prev = by.get(key);
    if (!prev) {
      by.set(key, { ...k, seenOn: [...k.seenOn] });
      continue;
    }
    for (const s of k.seenOn) if (!prev.seenOn.includes(s)) prev.seenOn.push(s);
    prev.spki ??= k.spki;
    prev.certificate ??= k.certificate;
    prev.keyType ??= k.keyType;
    prev.issuer ??= k.issuer;
  }
  return [...by.values()];
}
