// RRsets and their signatures: grouping the records of a response into RRsets, and checking an
// RRset's RRSIGs against a zone's DNSKEYs (RFC 4035 §5.3) with a reason for every failure.
import { canonicalName, isSubdomainOf, labelCount, nameEquals, nameToString, nameToWire, type DnsName } from '../name.ts';
import type { DnsRecord } from '../message.ts';
import { canonicalRdata, type DnskeyData, type RrsigData } from '../rdata.ts';
import { RRType, typeToString } from '../types.ts';
import { problem, type Problem } from './problems.ts';
import { rrsigRdataPrefix, rrsigSignedData, signedOwnerName } from './signed-data.ts';
import { verifySignature } from './verify.ts';
import { keyTag } from './keys.ts';


export interface RRset {
  name: DnsName;
  type: number;
  class: number;
  ttl: number;
  records: DnsRecord[];
  sigs: Array<{ record: DnsRecord; data: RrsigData }>;
}

export const rrsetLabel = (s: { name: DnsName; type: number }) => `${nameToString(s.name)} ${typeToString(s.type)}`;

/** Group records into RRsets (owner compared case-insensitively), attaching covering RRSIGs. */
export function groupRRsets(records: readonly DnsRecord[]): RRset[] {
  const sets: RRset[] = [];
  const find = (name: DnsName, type: number, klass: number) =>
    sets.find((s) => s.type === type && s.class === klass && nameEquals(s.name, name));
  for (const r of records) {
    if (r.type === RRType.RRSIG) continue;
    const s = find(r.name, r.type, r.class);
    if (s) {
      s.records.push(r);
      s.ttl = Math.min(s.ttl, r.ttl);
    } else sets.push({ name: r.name, type: r.type, class: r.class, ttl: r.ttl, records: [r], sigs: [] });
  }
  for (const r of records) {
    if (r.type !== RRType.RRSIG || r.data?.type !== 'RRSIG') continue;
    const s = find(r.name, r.data.typeCovered, r.class);
    s?.sigs.push({ record: r, data: r.data });
  }
  return sets;
}

export interface ZoneKey {
  data: DnskeyData;
  rdata: Uint8Array;
  tag: number;
}

/** The usable keys of a DNSKEY RRset; records that do not decode as DNSKEY are left out. */
export function zoneKeys(dnskeys: RRset): ZoneKey[] {
  return dnskeys.records.flatMap((r) => {
    if (r.data?.type !== 'DNSKEY') return [];
    try {
      return [{ data: r.data, rdata: r.rdata, tag: keyTag(r.rdata) }];
    } catch {
      return [];
    }
  });
}

export type SigStatus = 'valid' | 'expired' | 'not-yet-valid' | 'invalid' | 'no-key' | 'bad-signer' | 'bad-labels' | 'unsupported-algorithm';

export interface SigView {
  keyTag: number;
  algorithm: number;
  signer: string;
  labels: number;
  /** The TTL the zone gives the RRset (RFC 4034 §3.1.4); caches count the served TTL down. */
  originalTtl: number;
  inception: string;
  expiration: string;
  status: SigStatus;
  /** Set when the RRset was synthesised from a wildcard (labels < owner's label count). */
  wildcard?: boolean;
}

export interface RRsetCheck {
  status: 'valid' | 'bogus' | 'unsupported';
  sigs: SigView[];
  /** Which signature validated, when one did. */
  validBy?: SigView;
  problems: Problem[];
}

/** RRSIG times are 32-bit serial numbers (RFC 4034 §3.1.5): compare with RFC 1982 arithmetic. */
function serialBefore(a: number, b: number): boolean {
  return a !== b && ((b - a) >>> 0) < 0x80000000;
}

/** Expand a 32-bit RRSIG time to the nearest absolute time around `nowSec`. */
function absoluteTime(t: number, nowSec: number): number {
  const base = nowSec - (nowSec % 0x100000000);
  const candidates = [base - 0x100000000 + t, base + t, base + 0x100000000 + t];
  return candidates.reduce((best, c) => (Math.abs(c - nowSec) < Math.abs(best - nowSec) ? c : best));
}

const iso = (sec: number) => new Date(sec * 1000).toISOString().replace('.000Z', 'Z');

/**
 * Check an RRset's signatures made by `zone` with `keys`. One valid signature is enough
 * (RFC 4035 §5.3.3); when none is valid, every signature's failure is reported.
 */
export function checkRRset(set: RRset, zone: DnsName, keys: readonly ZoneKey[], nowSec: number): RRsetCheck {
  const label = rrsetLabel(set);
  const zoneText = nameToString(zone);
  const sigs: SigView[] = [];
  const problems: Problem[] = [];
  let validBy: SigView | undefined;
  let unsupportedOnly = set.sigs.length > 0;
  for (const { data: sig } of set.sigs) {
    const view: SigView = {
      keyTag: sig.keyTag,
      algorithm: sig.algorithm,
      signer: nameToString(sig.signerName),
      labels: sig.labels,
      originalTtl: sig.originalTtl,
      inception: iso(absoluteTime(sig.inception, nowSec)),
      expiration: iso(absoluteTime(sig.expiration, nowSec)),
      status: 'valid',
    };
    sigs.push(view);
    const ownerLabels = labelCount(set.name);
    if (sig.labels < ownerLabels) view.wildcard = true;
    if (!nameEquals(sig.signerName, zone) || !isSubdomainOf(set.name, sig.signerName)) {
      view.status = 'bad-signer';
      unsupportedOnly = false;
      problems.push(problem('rrsig.bad-signer', `${label}: RRSIG signer ${view.signer} is not the zone ${zoneText}`, { zone: zoneText, rrset: label }));
      continue;
    }
    if (sig.labels > ownerLabels) {
      view.status = 'bad-labels';
      unsupportedOnly = false;
      problems.push(problem('rrsig.bad-labels', `${label}: RRSIG labels field ${sig.labels} exceeds the owner's ${ownerLabels} labels`, { rrset: label }));
      continue;
    }
    const candidates = keys.filter((k) => k.tag === sig.keyTag && k.data.algorithm === sig.algorithm && (k.data.flags & 0x0100) !== 0);
    if (candidates.length === 0) {
      view.status = 'no-key';
      unsupportedOnly = false;
      problems.push(
        problem('rrsig.no-key', `${label}: signed by key ${sig.keyTag} (algorithm ${sig.algorithm}), which is not in the DNSKEY RRset of ${zoneText}`, {
          zone: zoneText,
          rrset: label,
          keyTag: sig.keyTag,
        }),
      );
      continue;
    }
    if (serialBefore(sig.expiration, nowSec >>> 0)) {
      view.status = 'expired';
      unsupportedOnly = false;
      problems.push(problem('rrsig.expired', `${label}: signature by key ${sig.keyTag} expired at ${view.expiration}`, { zone: zoneText, rrset: label, keyTag: sig.keyTag }));
      continue;
    }
    if (serialBefore(nowSec >>> 0, sig.inception)) {
      view.status = 'not-yet-valid';
      unsupportedOnly = false;
      problems.push(
        problem('rrsig.not-yet-valid', `${label}: signature by key ${sig.keyTag} is valid only from ${view.inception}`, { zone: zoneText, rrset: label, keyTag: sig.keyTag }),
      );
      continue;
    }
    let signed: Uint8Array;
    try {
      signed = signedDataFor(set, sig);
    } catch (e) {
      // Hostile or broken data (an RRSIG that cannot be laid over this RRset): a bad signature.
      view.status = 'invalid';
      unsupportedOnly = false;
      problems.push(problem('rrsig.invalid', `${label}: the signature by key ${sig.keyTag} cannot be checked: ${(e as Error).message}`, { rrset: label, keyTag: sig.keyTag }));
      continue;
    }
    let outcome: 'valid' | 'invalid' | 'unsupported' = 'invalid';
    for (const k of candidates) {
      const r = verifySignature(sig.algorithm, k.data.publicKey, signed, sig.signature);
      if (r.status === 'valid') {
        outcome = 'valid';
        break;
      }
      if (r.status === 'unsupported-algorithm') outcome = 'unsupported';
    }
    if (outcome === 'valid') {
      validBy ??= view;
      unsupportedOnly = false;
      continue;
    }
    if (outcome === 'unsupported') {
      view.status = 'unsupported-algorithm';
      continue;
    }
    view.status = 'invalid';
    unsupportedOnly = false;
    problems.push(
      problem('rrsig.invalid', `${label}: the signature by key ${sig.keyTag} (algorithm ${sig.algorithm}) does not verify`, {
        zone: zoneText,
        rrset: label,
        keyTag: sig.keyTag,
      }),
    );
  }
  if (validBy) return { status: 'valid', sigs, validBy, problems: [] };
  if (set.sigs.length === 0) {
    problems.push(problem('rrsig.missing', `${label}: no RRSIG, but ${zoneText} is a signed zone`, { zone: zoneText, rrset: label }));
  }
  if (unsupportedOnly) return { status: 'unsupported', sigs, problems };
  return { status: 'bogus', sigs, problems };
}

function signedDataFor(set: RRset, sig: RrsigData): Uint8Array {
  const ownerWire = signedOwnerName(nameToWire(canonicalName(set.name)), sig.labels);
  const prefix = rrsigRdataPrefix(set.sigs.find((s) => s.data === sig)!.record.rdata);
  return rrsigSignedData(
    prefix,
    set.records.map((r) => ({ ownerWire, type: r.type, class: r.class, rdataCanonical: canonicalRdata(r.type, r.rdata) })),
  );
}
