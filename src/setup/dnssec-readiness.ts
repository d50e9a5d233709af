// Is a domain's zone ready for DANE? TLSA records count only under a chain of trust, so the
// first thing an admin needs to know is which of these the zone is in, and what to do next:
//   unsigned        — no DNSKEY: sign the zone (most DNS hosts have a switch for it);
//   signed-no-ds    — DNSKEYs, self-signed, but the parent proves there is no DS: hand the
//                     registrar the DS (or DNSKEY) printed here;
//   ds-mismatch     — the parent's DS names no key the zone publishes: validating resolvers
//                     answer SERVFAIL; replace the DS with the one printed here;
//   secure          — DS ↔ KSK ↔ zone: DANE works;
// and the cases an admin cannot fix in the zone itself (parent unsigned, DS algorithms no
// validator supports, other validation failures, lookups that failed).
import { nameToWire, parseName, type DnsName } from '../dns/name.ts';
import { rdataFromString } from '../dns/rdata.ts';
import { algorithmToString, RRType } from '../dns/types.ts';
import { checkRRset, groupRRsets, zoneKeys } from '../dns/dnssec/rrset.ts';
import { dsDigest } from '../dns/dnssec/digest.ts';
import { keyTag } from '../dns/dnssec/keys.ts';
import type { ValidationResult, Validator } from '../dns/dnssec/validator.ts';

export type ReadinessState = 'secure' | 'unsigned' | 'signed-no-ds' | 'ds-mismatch' | 'parent-insecure' | 'ds-unsupported' | 'bogus' | 'unknown';

export interface ReadinessKey {
  keyTag: number;
  algorithm: number;
  algorithmName: string;
  flags: number;
  /** Secure Entry Point (flags 257): the key a DS should name. */
  sep: boolean;
  /** The DNSKEY as a zone-file line, for registrars that take keys instead of DS. */
  dnskey: string;
  /** This key's DS with SHA-256 (digest type 2), as a zone-file line at the parent. */
  ds: string;
}

export interface DnssecReadiness {
  /** The zone apex that holds the domain's records (found by SOA). */
  zone: string;
  state: ReadinessState;
  /** One sentence: where the zone stands. */
  summary: string;
  /** What to do next, or undefined when nothing is needed. */
  action?: string;
  /** The zone's DNSKEYs (when it publishes any), with the DS to hand over. */
  keys: ReadinessKey[];
  /** The DS RRset the parent publishes now, with each record's status. */
  parentDs: Array<{ keyTag: number; algorithm: number; digestType: number; status: string }>;
  /** Where the chain of trust ends above the zone, for `parent-insecure`. */
  insecureAt?: string;
  /** Whether the zone's DNSKEY RRset is signed by the keys proposed for the DS (checked before proposing them). */
  selfSigned?: boolean;
  /** Validation problem codes, for `bogus` and `ds-mismatch`. */
  problems: string[];
}

const dot = (n: string) => (n.endsWith('.') ? n : `${n}.`);
const bare = (n: string) => n.replace(/\.$/, '');

/** The apex of the zone holding `domain`: the closest enclosing name that owns an SOA. */
export async function findZoneApex(validator: Validator, domain: string): Promise<{ apex: string; lookup: ValidationResult } | undefined> {
  let labels = bare(domain).split('.');
  while (labels.length > 0) {
    const name = `${labels.join('.')}.`;
    const r = await validator.lookup(name, RRType.SOA);
    if (r.answer.some((a) => a.type === 'SOA' && a.name.toLowerCase() === name.toLowerCase())) return { apex: name, lookup: r };
    if (r.security === 'indeterminate') return undefined;
    labels = labels.slice(1);
  }
  return undefined;
}

function keysOf(zone: string, dnskeyText: readonly string[]): ReadinessKey[] {
  const owner = nameToWire(parseName(dot(zone)));
  return dnskeyText.flatMap((text) => {
    let rdata: Uint8Array;
    try {
      rdata = rdataFromString(RRType.DNSKEY, text);
    } catch {
      return [];
    }
    const [flags, , algorithm] = text.trim().split(/\s+/).map(Number);
    if (flags === undefined || algorithm === undefined || (flags & 0x0100) === 0) return []; // not a zone key
    const tag = keyTag(rdata);
    const digest = dsDigest(2, owner, rdata);
    return [
      {
        keyTag: tag,
        algorithm,
        algorithmName: algorithmToString(algorithm),
        flags,
        sep: (flags & 1) === 1,
        dnskey: `${dot(zone)} 3600 IN DNSKEY ${text}`,
        ds: `${dot(zone)} 3600 IN DS ${tag} ${algorithm} 2 ${digest ? Buffer.from(digest).toString('hex').toUpperCase() : '?'}`,
      },
    ];
  });
}

/** Whether the DNSKEY RRset, as served, is signed by one of `tags` (a DS naming them would validate). */
async function dnskeySignedBy(validator: Validator, zone: DnsName, tags: ReadonlySet<number>, nowSec: number): Promise<boolean> {
  const res = await validator.fetchRaw(zone, RRType.DNSKEY);
  const set = groupRRsets(res.answer).find((s) => s.type === RRType.DNSKEY);
  if (!set) return false;
  const keys = zoneKeys(set).filter((k) => tags.has(k.tag));
  return checkRRset(set, zone, keys, nowSec).status === 'valid';
}

export interface ReadinessOptions {
  /** Seconds since the epoch, for signature validity (default: now). */
  nowSec?: number;
}

export async function dnssecReadiness(validator: Validator, domain: string, opts: ReadinessOptions = {}): Promise<DnssecReadiness> {
  const found = await findZoneApex(validator, domain);
  if (!found) {
    return { zone: dot(domain), state: 'unknown', summary: `the zone of ${bare(domain)} could not be found (no SOA answer)`, keys: [], parentDs: [], problems: [] };
  }
  const zone = found.apex;
  const r = await validator.lookup(zone, RRType.DNSKEY);
  const dnskeyText = r.answer.find((a) => a.type === 'DNSKEY' && a.name.toLowerCase() === zone.toLowerCase())?.records ?? [];
  const keys = keysOf(zone, dnskeyText);
  const link = r.chain.find((l) => l.zone.toLowerCase() === zone.toLowerCase());
  const parentDs = link?.ds.map((d) => ({ keyTag: d.keyTag, algorithm: d.algorithm, digestType: d.digestType, status: d.status })) ?? [];
  const problems = r.problems.map((p) => p.code);
  const base = { zone, keys, parentDs, problems };
  const z = bare(zone);
  // The keys a DS should name: the SEP keys, or every zone key when none is flagged SEP.
  const proposed = keys.some((k) => k.sep) ? keys.filter((k) => k.sep) : keys;
  const handOver = (intro: string) =>
    `${intro}:\n${proposed.map((k) => k.ds).join('\n')}\n(Registrars that ask for the key instead want:\n${proposed.map((k) => k.dnskey).join('\n')})`;

  switch (r.security) {
    case 'secure': {
      const matched = parentDs.filter((d) => d.status === 'matches').map((d) => d.keyTag);
      return { ...base, state: 'secure', summary: `${z} is signed and the DS at its parent matches key ${[...new Set(matched)].join(', ')}: DANE records here can be validated` };
    }
    case 'bogus': {
      if (problems.some((p) => p === 'ds.digest-mismatch' || p === 'ds.no-matching-dnskey')) {
        return {
          ...base,
          state: 'ds-mismatch',
          summary: `the DS at ${z}'s parent names no key the zone publishes: validating resolvers answer SERVFAIL for the whole zone`,
          action: proposed.length ? handOver('Replace the DS at your registrar (or the parent zone\'s operator) with') : 'Publish the DNSKEY the DS names again, or have the DS removed at the registrar.',
        };
      }
      return {
        ...base,
        state: 'bogus',
        summary: `${z} fails DNSSEC validation: ${r.problems[0]?.message ?? 'bogus'}`,
        action: 'Fix the signing problem first (re-sign the zone; check the signer is running and its clock); `keywatch dns` explains each link.',
      };
    }
    case 'indeterminate':
      return { ...base, state: 'unknown', summary: `the DNSSEC state of ${z} could not be determined: ${r.problems[0]?.message ?? r.rcode}` };
    case 'insecure': {
      const cut = r.insecureAt ?? zone;
      if (problems.includes('ds.unsupported-only')) {
        return {
          ...base,
          state: 'ds-unsupported',
          summary: `every DS for ${z} uses an algorithm or digest type keywatch does not accept (unknown, or SHA-1 based, which RFC 8624 retires): validators without support treat the zone as unsigned, and DANE cannot rely on it`,
          action: `Move the zone to a current algorithm (ECDSA P-256, 13, or Ed25519, 15; RFC 8624), then hand your registrar the new DS record keywatch records prints.`,
        };
      }
      if (cut.toLowerCase() !== zone.toLowerCase()) {
        return {
          ...base,
          state: 'parent-insecure',
          insecureAt: cut,
          summary: `the chain of trust ends above ${z}, at ${bare(cut)}: nothing ${z} publishes can be validated until that zone is signed and delegated securely`,
          action: `Ask the operator of ${bare(cut)} to sign it (or move the domain to a signed parent).`,
        };
      }
      if (dnskeyText.length === 0) {
        return {
          ...base,
          state: 'unsigned',
          summary: `${z} is not signed: its TLSA records (if any) cannot be used by any client`,
          action: `Sign the zone (a switch at most DNS hosts; with your own servers: Knot's or BIND's automatic signing, or OpenDNSSEC), then hand your registrar the DS record keywatch records prints.`,
        };
      }
      const tags = new Set(proposed.map((k) => k.keyTag));
      const selfSigned = await dnskeySignedBy(validator, parseName(zone), tags, opts.nowSec ?? Math.floor(Date.now() / 1000));
      if (!selfSigned) {
        return {
          ...base,
          state: 'signed-no-ds',
          selfSigned,
          summary: `${z} publishes DNSKEYs but its DNSKEY RRset is not validly signed by key ${[...tags].join(', ')}: a DS now would make the zone bogus`,
          action: 'Fix the zone signing first (the DNSKEY RRset must carry a valid signature by the key the DS will name); keywatch records then prints the DS.',
        };
      }
      return {
        ...base,
        state: 'signed-no-ds',
        selfSigned,
        summary: `${z} is signed, but its parent publishes no DS for it (proven by the parent's signed denial): validators treat it as unsigned`,
        action: handOver('Hand your registrar (or the parent zone\'s operator) this DS record'),
      };
    }
  }
}
