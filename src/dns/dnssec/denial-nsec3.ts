// Authenticated denial of existence with NSEC3 (RFC 5155 §8, RFC 6840 §4.1/§4.4, RFC 9276).
// An NSEC3 is an NSEC over hashed names: its owner is H(name).zone, and it says "no name hashes
// between my owner hash and my next hash". Because hashing loses the tree, a proof about a name
// that does not exist needs the closest encloser proof (RFC 5155 §8.3): an NSEC3 *matching* the
// closest existing ancestor, and one *covering* the next closer name (the ancestor one label
// longer), which together show where the tree ends.
//
// All records passed in are already authenticated and belong to `zone`.

import { canonicalName, isSubdomainOf, nameEquals, nameSuffix, nameToString, nameToWire, parentName, prependLabel, type DnsName } from '../name.ts';
import { RRType, typeToString } from '../types.ts';
import { isCutBitmap, dsChildApexWarning } from './denial-nsec.ts';
import {
  bogus,
  insecure,
  rank,
  secure,
  show,
  typeList,
  withWarnings,
  type DenialEvidence,
  type DenialKind,
  type DenialOptions,
  type DenialResult,
  type DenialWarning,
  type Nsec3RR,
  type ProofStep,
  DEFAULT_MAX_NSEC3_ITERATIONS,
} from './denial-result.ts';
import { base32hexDecode, base32hexEncode, nsec3Hash } from './digest.ts';

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i += 1) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** The digest length of a hash algorithm digest.ts can compute (only SHA-1, RFC 5155 §11, is defined). */
function hashLength(algorithm: number): number | undefined {
  return nsec3Hash(Uint8Array.of(0), new Uint8Array(0), 0, algorithm)?.length;
}

/** At most this many NSEC3 parameter sets are tried for one proof; RFC 5155 §7.2 allows one. */
const MAX_PARAMETER_SETS = 4;

/**
 * The hash an NSEC3 owner name carries: its first label in base32hex, directly under the zone
 * apex, of the same length as the next hashed owner name. Undefined for anything else (RFC 5155
 * §8.1: an NSEC3 whose owner is not `<hash>.<zone>` belongs to no chain of this zone).
 */
export function nsec3OwnerHash(rr: Nsec3RR, zone: DnsName): Uint8Array | undefined {
  if (rr.owner.labels.length !== zone.labels.length + 1 || !isSubdomainOf(rr.owner, zone)) return undefined;
  const label = rr.owner.labels[0]!;
  const hash = base32hexDecode(String.fromCharCode(...label));
  if (!hash || hash.length !== rr.nextHashed.length || hash.length !== hashLength(rr.hashAlgorithm)) return undefined;
  return hash;
}

/** H(name) with the record's parameters; undefined for an unknown hash algorithm. */
export function nsec3HashName(name: DnsName, rr: Pick<Nsec3RR, 'hashAlgorithm' | 'iterations' | 'salt'>): Uint8Array | undefined {
  return nsec3Hash(nameToWire(name), rr.salt, rr.iterations, rr.hashAlgorithm);
}

/** `hash` lies strictly between owner and next, wrapping around at the end of the hash ring. */
function spanContains(owner: Uint8Array, next: Uint8Array, hash: Uint8Array): boolean {
  const afterOwner = compareBytes(owner, hash) < 0;
  const beforeNext = compareBytes(hash, next) < 0;
  // The last NSEC3 of the chain points back to the first (RFC 5155 §3.1.7): its span is the end
  // of the ring plus its start. With a single NSEC3, owner = next and it spans all other hashes.
  return compareBytes(owner, next) < 0 ? afterOwner && beforeNext : afterOwner || beforeNext;
}

/** The NSEC3 is at `name`: its owner hash equals H(name) (RFC 5155 §8.3 "matches"). */
export function nsec3Matches(rr: Nsec3RR, name: DnsName, zone: DnsName): boolean {
  const owner = nsec3OwnerHash(rr, zone);
  const hash = owner && isSubdomainOf(name, zone) ? nsec3HashName(name, rr) : undefined;
  return owner !== undefined && hash !== undefined && compareBytes(owner, hash) === 0;
}

/** The NSEC3's span contains H(name) (RFC 5155 §8.3 "covers"), wrap-around included. */
export function nsec3Covers(rr: Nsec3RR, name: DnsName, zone: DnsName): boolean {
  const owner = nsec3OwnerHash(rr, zone);
  const hash = owner && isSubdomainOf(name, zone) ? nsec3HashName(name, rr) : undefined;
  return owner !== undefined && hash !== undefined && spanContains(owner, rr.nextHashed, hash);
}

export function describeNsec3(rr: Nsec3RR): string {
  return `NSEC3 ${show(rr.owner)} → ${base32hexEncode(rr.nextHashed)} [${typeList(rr.types)}]${rr.optOut ? ' opt-out' : ''}`;
}

interface Entry {
  rr: Nsec3RR;
  ownerHash: Uint8Array;
}

interface Found {
  entry: Entry;
  hash: Uint8Array;
}

/** The usable records of one parameter set (RFC 5155 §8.2: a proof never mixes sets). */
export class Nsec3Set {
  readonly #cache = new Map<string, Uint8Array>();
  readonly params: Pick<Nsec3RR, 'hashAlgorithm' | 'iterations' | 'salt'>;

  constructor(readonly entries: readonly Entry[]) {
    this.params = entries[0]!.rr;
  }

  hash(name: DnsName): Uint8Array {
    const key = nameToString(canonicalName(name));
    let hash = this.#cache.get(key);
    if (!hash) {
      // The algorithm was checked when the set was built, so the hash is always defined.
      hash = nsec3HashName(name, this.params) ?? new Uint8Array(0);
      this.#cache.set(key, hash);
    }
    return hash;
  }

  match(name: DnsName): Found | undefined {
    const hash = this.hash(name);
    const entry = this.entries.find((e) => compareBytes(e.ownerHash, hash) === 0);
    return entry && { entry, hash };
  }

  cover(name: DnsName): Found | undefined {
    const hash = this.hash(name);
    const entry = this.entries.find((e) => spanContains(e.ownerHash, e.rr.nextHashed, hash));
    return entry && { entry, hash };
  }

  evidence(steps: ProofStep[], extra: Partial<DenialEvidence> = {}): DenialEvidence {
    const { hashAlgorithm, iterations, salt } = this.params;
    return { method: 'nsec3', steps, ...extra, nsec3: { hashAlgorithm, iterations, salt: hex(salt) } };
  }
}

function h(found: { hash: Uint8Array }): string {
  return base32hexEncode(found.hash);
}

function step(role: ProofStep['role'], name: DnsName, found: Found, text: string): ProofStep {
  return { role, name, hash: h(found), record: found.entry.rr, text };
}

/** Why a bitmap does not allow NODATA for `qtype`, or undefined when it does (RFC 5155 §8.5–8.7). */
function typeConflict(types: ReadonlySet<number>, qtype: number): string | undefined {
  if (types.has(qtype)) return `it lists ${typeToString(qtype)}`;
  if (types.has(RRType.CNAME)) return 'it lists CNAME (the answer should have been the alias)';
  return undefined;
}

interface CeProof {
  ce: DnsName;
  ceFound: Found;
  nextCloser: DnsName;
  ncFound: Found;
  steps: ProofStep[];
}

/**
 * The closest (provable) encloser proof, RFC 5155 §8.3: walk up from the parent of `name` to the
 * apex until an NSEC3 matches; the name one label below it is the next closer name and must be
 * covered. The matching NSEC3 must not be a zone cut (NS without SOA, or DNAME), or it would deny
 * names in a zone it does not speak for (RFC 5155 §8.3 last paragraph, RFC 6840 §4.1).
 */
function closestEncloserProof(set: Nsec3Set, name: DnsName, zone: DnsName): CeProof | DenialResult {
  let nextCloser = name;
  let candidate = nameEquals(name, zone) ? undefined : parentName(name);
  while (candidate && isSubdomainOf(candidate, zone)) {
    const ceFound = set.match(candidate);
    if (ceFound) {
      const ce = candidate;
      if (isCutBitmap(ceFound.entry.rr.types)) {
        const what = ceFound.entry.rr.types.has(RRType.DNAME) ? 'a DNAME' : 'a delegation point (NS without SOA)';
        return bogus(
          'denial.ancestor-delegation',
          `the closest encloser ${show(ce)} (${describeNsec3(ceFound.entry.rr)}) is ${what}; ${show(name)} lies below it, where this zone cannot deny anything (RFC 5155 §8.3, RFC 6840 §4.1)`,
        );
      }
      const ncFound = set.cover(nextCloser);
      if (!ncFound) {
        return bogus(
          'denial.nsec3-no-cover',
          `the closest encloser of ${show(name)} is ${show(ce)}, but no NSEC3 covers the next closer name ${show(nextCloser)} (hash ${base32hexEncode(set.hash(nextCloser))}) (RFC 5155 §8.3)`,
        );
      }
      const steps = [
        step('closest-encloser', ce, ceFound, `${describeNsec3(ceFound.entry.rr)} matches the closest encloser ${show(ce)}`),
        step('next-closer-cover', nextCloser, ncFound, `${describeNsec3(ncFound.entry.rr)} covers the next closer name ${show(nextCloser)} (hash ${h(ncFound)})`),
      ];
      return { ce, ceFound, nextCloser, ncFound, steps };
    }
    if (nameEquals(candidate, zone)) break;
    nextCloser = candidate;
    candidate = parentName(candidate);
  }
  return bogus('denial.nsec3-no-closest-encloser', `no NSEC3 matches any ancestor of ${show(name)} up to the apex ${show(zone)}: no closest encloser proof (RFC 5155 §8.3)`);
}

function isProof(x: CeProof | DenialResult): x is CeProof {
  return 'ce' in x;
}

function optOutInsecure(set: Nsec3Set, proof: CeProof, kind: DenialKind, what: string, extra: Partial<DenialEvidence> = {}, more: ProofStep[] = []): DenialResult {
  return insecure(
    'denial.optout-insecure',
    `the next closer name ${show(proof.nextCloser)} (hash ${h(proof.ncFound)}) is covered by the Opt-Out ${describeNsec3(proof.ncFound.entry.rr)}: an unsigned delegation may exist there, so ${what}`,
    { kind, evidence: set.evidence([...proof.steps, ...more], { closestEncloser: proof.ce, nextCloser: proof.nextCloser, ...extra }) },
  );
}

/** NODATA, RFC 5155 §8.5 (qtype not DS, with erratum 3441), §8.6 (DS), §8.7 (wildcard NODATA). */
export function nsec3ProveNoData(set: Nsec3Set, qname: DnsName, qtype: number, zone: DnsName): DenialResult {
  const match = set.match(qname);
  if (match) {
    const rr = match.entry.rr;
    if (qtype !== RRType.DS && rr.types.has(RRType.NS) && !rr.types.has(RRType.SOA)) {
      return bogus(
        'denial.ancestor-delegation',
        `${describeNsec3(rr)} matches ${show(qname)}, a delegation point: it proves only the absence of DS there, not of ${typeToString(qtype)}, which the child zone holds (RFC 6840 §4.1)`,
      );
    }
    const conflict = typeConflict(rr.types, qtype);
    if (conflict) return bogus('denial.type-present', `${describeNsec3(rr)} matches ${show(qname)} and ${conflict}: no NODATA for ${typeToString(qtype)} (RFC 5155 §8.5)`);
    const warnings: DenialWarning[] = [];
    if (qtype === RRType.DS && rr.types.has(RRType.SOA) && qname.labels.length > 0) warnings.push(dsChildApexWarning(qname));
    const kind: DenialKind = rr.types.size === 0 ? 'empty-non-terminal' : 'nodata';
    const s = step('qname-match', qname, match, `${describeNsec3(rr)} matches ${show(qname)} (hash ${h(match)}) and does not list ${typeToString(qtype)} or CNAME`);
    return secure(kind, `${show(qname)} exists without ${typeToString(qtype)}: ${describeNsec3(rr)}`, set.evidence([s]), warnings);
  }

  const proof = closestEncloserProof(set, qname, zone);
  if (!isProof(proof)) return proof;

  // Wildcard NODATA (§8.7): the wildcard at the closest encloser exists without the type. RFC 5155
  // asks nothing about Opt-Out here, and neither does unbound; keywatch follows.
  const wildcard = prependLabel(proof.ce, '*');
  const wmatch = set.match(wildcard);
  if (wmatch) {
    const conflict = typeConflict(wmatch.entry.rr.types, qtype);
    if (conflict) {
      return bogus('denial.type-present', `the wildcard ${show(wildcard)} (${describeNsec3(wmatch.entry.rr)}) ${conflict}: ${show(qname)} ${typeToString(qtype)} would be synthesised from it (RFC 5155 §8.7)`);
    }
    const steps = [...proof.steps, step('wildcard-match', wildcard, wmatch, `${describeNsec3(wmatch.entry.rr)} matches the wildcard ${show(wildcard)} and does not list ${typeToString(qtype)} or CNAME`)];
    return secure(
      'wildcard-nodata',
      `${show(qname)} matches the wildcard ${show(wildcard)}, which has no ${typeToString(qtype)}`,
      set.evidence(steps, { closestEncloser: proof.ce, nextCloser: proof.nextCloser, wildcard }),
    );
  }

  // No NSEC3 for the name: acceptable only inside an Opt-Out span — an empty non-terminal above an
  // unsigned delegation (§8.5 with erratum 3441) or a DS query for an unsigned delegation (§8.6).
  if (proof.ncFound.entry.rr.optOut) {
    const kind: DenialKind = qtype === RRType.DS ? 'no-ds' : 'nodata';
    return optOutInsecure(set, proof, kind, `the absence of ${typeToString(qtype)} at ${show(qname)} cannot be proven secure (RFC 5155 §8.5–8.6, erratum 3441)`);
  }
  return bogus(
    'denial.no-match',
    `no NSEC3 matches ${show(qname)} or the wildcard ${show(wildcard)}, and the next closer name ${show(proof.nextCloser)} is covered without Opt-Out: the name does not exist, which is a name error, not NODATA (RFC 5155 §8.5)`,
  );
}

/** Name error, RFC 5155 §8.4: closest encloser proof plus a covering NSEC3 for the wildcard. */
export function nsec3ProveNxdomain(set: Nsec3Set, qname: DnsName, zone: DnsName): DenialResult {
  const match = set.match(qname);
  if (match) return bogus('denial.name-exists', `${describeNsec3(match.entry.rr)} matches ${show(qname)} (hash ${h(match)}): the name exists (RFC 5155 §8.4)`);
  const proof = closestEncloserProof(set, qname, zone);
  if (!isProof(proof)) return proof;
  const wildcard = prependLabel(proof.ce, '*');
  const wmatch = set.match(wildcard);
  if (wmatch) {
    return bogus('denial.wildcard-not-denied', `${describeNsec3(wmatch.entry.rr)} matches the wildcard ${show(wildcard)}: it exists, so ${show(qname)} should have been synthesised from it (RFC 5155 §8.4)`);
  }
  const wcover = set.cover(wildcard);
  if (!wcover) {
    return bogus('denial.wildcard-not-denied', `no NSEC3 covers the wildcard ${show(wildcard)} (hash ${base32hexEncode(set.hash(wildcard))}) at the closest encloser ${show(proof.ce)} (RFC 5155 §8.4)`);
  }
  const wstep = step('wildcard-cover', wildcard, wcover, `${describeNsec3(wcover.entry.rr)} covers the wildcard ${show(wildcard)} (hash ${h(wcover)})`);
  const extra = { wildcard };
  // RFC 5155 §9.2/§12.2: an Opt-Out span asserts nothing about unsigned delegations in it, so the
  // next closer name may be one: the name error is not secure (unbound treats it so too).
  if (proof.ncFound.entry.rr.optOut) return optOutInsecure(set, proof, 'nxdomain', `the name error for ${show(qname)} cannot be proven secure (RFC 5155 §9.2, §12.2)`, extra, [wstep]);
  return secure(
    'nxdomain',
    `${show(qname)} does not exist: closest encloser ${show(proof.ce)}, next closer ${show(proof.nextCloser)} and wildcard ${show(wildcard)} denied`,
    set.evidence([...proof.steps, wstep], { closestEncloser: proof.ce, nextCloser: proof.nextCloser, ...extra }),
  );
}

/** Insecure delegation, RFC 5155 §8.6 and RFC 6840 §4.4: NS and neither DS nor SOA, or an Opt-Out span. */
export function nsec3ProveNoDs(set: Nsec3Set, child: DnsName, parentZone: DnsName): DenialResult {
  const match = set.match(child);
  if (match) {
    const rr = match.entry.rr;
    if (rr.types.has(RRType.SOA)) {
      return bogus('denial.child-apex', `${describeNsec3(rr)} matches ${show(child)} and lists SOA: it is the child zone's apex record, not the parent's record of the delegation (RFC 6840 §4.4)`);
    }
    if (!rr.types.has(RRType.NS)) return bogus('denial.not-delegation', `${describeNsec3(rr)} matches ${show(child)} and lists no NS: it is not a delegation in ${show(parentZone)} (RFC 6840 §4.4)`);
    if (rr.types.has(RRType.DS)) return bogus('denial.type-present', `${describeNsec3(rr)} lists DS: the delegation is signed (RFC 5155 §8.6)`);
    const s = step('qname-match', child, match, `${describeNsec3(rr)} matches ${show(child)} (hash ${h(match)}) and lists NS without DS or SOA`);
    return secure('no-ds', `${show(parentZone)} delegates ${show(child)} without DS: ${describeNsec3(rr)}`, set.evidence([s]));
  }
  const proof = closestEncloserProof(set, child, parentZone);
  if (!isProof(proof)) return proof;
  if (proof.ncFound.entry.rr.optOut) return optOutInsecure(set, proof, 'no-ds', `any delegation at ${show(child)} is unsigned (RFC 5155 §8.6, RFC 6840 §4.4)`);
  return bogus(
    'denial.not-delegation',
    `no NSEC3 matches ${show(child)} and the next closer name ${show(proof.nextCloser)} is covered without Opt-Out: ${show(child)} does not exist in ${show(parentZone)}, so there is no delegation (RFC 5155 §8.6)`,
  );
}

/** Wildcard answer, RFC 5155 §8.8: an NSEC3 covers the next closer name below the closest encloser. */
export function nsec3ProveWildcardExpansion(set: Nsec3Set, qname: DnsName, closestEncloser: DnsName): DenialResult {
  const nextCloser = nameSuffix(qname, closestEncloser.labels.length + 1);
  const wildcard = prependLabel(closestEncloser, '*');
  const match = set.match(nextCloser);
  if (match) {
    return bogus('denial.name-exists', `${describeNsec3(match.entry.rr)} matches the next closer name ${show(nextCloser)}: it exists, so the wildcard ${show(wildcard)} could not answer for ${show(qname)} (RFC 5155 §8.8)`);
  }
  const cover = set.cover(nextCloser);
  if (!cover) {
    return bogus('denial.nsec3-no-cover', `no NSEC3 covers the next closer name ${show(nextCloser)} (hash ${base32hexEncode(set.hash(nextCloser))}): nothing proves the wildcard answer was the right one (RFC 5155 §8.8)`);
  }
  const s = step('next-closer-cover', nextCloser, cover, `${describeNsec3(cover.entry.rr)} covers the next closer name ${show(nextCloser)} (hash ${h(cover)})`);
  const evidence = set.evidence([s], { closestEncloser, nextCloser, wildcard });
  if (cover.entry.rr.optOut) {
    return insecure(
      'denial.optout-insecure',
      `the next closer name ${show(nextCloser)} (hash ${h(cover)}) is covered by the Opt-Out ${describeNsec3(cover.entry.rr)}: an unsigned delegation may exist there, so the wildcard answer cannot be proven secure (RFC 5155 §9.2, §12.2)`,
      { kind: 'wildcard-expansion', evidence },
    );
  }
  return secure('wildcard-expansion', `${show(nextCloser)} does not exist, so ${show(wildcard)} answered for ${show(qname)}`, evidence);
}

// ---------------------------------------------------------------------------------------------
// Record filtering, parameter sets and the iteration limit.

function paramText(rr: Pick<Nsec3RR, 'hashAlgorithm' | 'iterations' | 'salt'>): string {
  return `algorithm ${rr.hashAlgorithm}, ${rr.iterations} iterations, salt ${rr.salt.length === 0 ? '-' : hex(rr.salt)}`;
}

/**
 * Runs `prove` over the usable NSEC3 records of each parameter set and keeps the best outcome.
 * Records are skipped (with a warning) for flags other than 0/1 (RFC 5155 §8.2), an unknown hash
 * algorithm (§8.1) or an owner that is not `<hash>.<zone>`. A set whose iterations exceed the
 * limit yields `insecure` without any hashing (RFC 9276 §3.2): the point of the limit is to spare
 * the CPU.
 */
export function withNsec3Sets(records: readonly Nsec3RR[], zone: DnsName, options: DenialOptions, prove: (set: Nsec3Set) => DenialResult): DenialResult {
  const maxIterations = options.maxIterations ?? DEFAULT_MAX_NSEC3_ITERATIONS;
  const warnings: DenialWarning[] = [];
  const groups = new Map<string, Entry[]>();
  let unknownAlgorithm = 0;
  const algorithmKnown = new Map<number, boolean>();
  for (const rr of records) {
    if (rr.flags !== undefined && (rr.flags & ~1) !== 0) {
      warnings.push({ code: 'denial.ignored-record', text: `${describeNsec3(rr)} ignored: flags ${rr.flags} (only 0 and 1 are defined, RFC 5155 §8.2)` });
      continue;
    }
    if (!Number.isInteger(rr.iterations) || rr.iterations < 0 || rr.iterations > 0xffff || rr.salt.length > 255) {
      warnings.push({ code: 'denial.ignored-record', text: `${describeNsec3(rr)} ignored: iterations or salt outside the RDATA fields' range (RFC 5155 §3.2)` });
      continue;
    }
    let known = algorithmKnown.get(rr.hashAlgorithm);
    if (known === undefined) {
      known = hashLength(rr.hashAlgorithm) !== undefined;
      algorithmKnown.set(rr.hashAlgorithm, known);
    }
    if (!known) {
      unknownAlgorithm += 1;
      warnings.push({ code: 'denial.ignored-record', text: `${describeNsec3(rr)} ignored: unknown hash algorithm ${rr.hashAlgorithm} (RFC 5155 §8.1)` });
      continue;
    }
    const ownerHash = nsec3OwnerHash(rr, zone);
    if (!ownerHash) {
      warnings.push({ code: 'denial.ignored-record', text: `${describeNsec3(rr)} ignored: its owner is not a base32hex hash directly under ${show(zone)}` });
      continue;
    }
    const key = `${rr.hashAlgorithm}/${rr.iterations}/${hex(rr.salt)}`;
    const group = groups.get(key) ?? [];
    group.push({ rr, ownerHash });
    groups.set(key, group);
  }

  if (groups.size === 0) {
    if (unknownAlgorithm > 0) {
      return bogus('denial.nsec3-unknown-algorithm', `none of the ${records.length} NSEC3 records is usable: ${unknownAlgorithm} use an unknown hash algorithm (RFC 5155 §8.1)`, warnings);
    }
    return bogus('denial.wrong-zone', `none of the ${records.length} NSEC3 records is usable for the zone ${show(zone)}: ${warnings.map((w) => w.text).join('; ')}`, warnings);
  }

  if (groups.size > MAX_PARAMETER_SETS) {
    // Bounded work: every set tried means hashing the whole proof again, the cost RFC 9276 limits.
    return bogus('denial.nsec3-mixed-params', `the NSEC3 records come from ${groups.size} parameter sets; a proof uses one (RFC 5155 §7.2, §8.2) and keywatch tries at most ${MAX_PARAMETER_SETS}`, warnings);
  }
  let best: DenialResult | undefined;
  let bestSet: Nsec3Set | undefined;
  const failures: string[] = [];
  for (const entries of groups.values()) {
    if (best?.status === 'secure') break;
    const set = new Nsec3Set(entries);
    const { iterations } = set.params;
    const result =
      iterations > maxIterations
        ? insecure(
            'denial.nsec3-iterations',
            `the NSEC3 records use ${iterations} iterations, above the limit of ${maxIterations}: treated as insecure without hashing (RFC 9276 §3.2)`,
          )
        : prove(set);
    if (result.status === 'bogus') failures.push(`[${paramText(set.params)}] ${result.reason}`);
    if (!best || rank(result) < rank(best)) {
      best = result;
      bestSet = set;
    }
  }
  best = best!;
  const params = bestSet!.params;
  if (params.iterations <= maxIterations) {
    // RFC 9276 §3.1: zones SHOULD use no extra iterations and an empty salt.
    if (params.salt.length > 0) warnings.push({ code: 'denial.nsec3-salt', text: `the NSEC3 chain uses the salt ${hex(params.salt)}; RFC 9276 §3.1 recommends an empty salt` });
    if (params.iterations > 0) {
      warnings.push({ code: 'denial.nsec3-iterations-nonzero', text: `the NSEC3 chain uses ${params.iterations} extra iterations; RFC 9276 §3.1 recommends 0` });
    }
  }
  if (groups.size > 1) {
    if (best.status === 'bogus') {
      return bogus(
        'denial.nsec3-mixed-params',
        `the NSEC3 records come from ${groups.size} parameter sets and a proof may not mix them (RFC 5155 §8.2); none proves the claim alone: ${failures.join('; ')}`,
        warnings,
      );
    }
    warnings.push({
      code: 'denial.nsec3-mixed-params',
      text: `the response mixes ${groups.size} NSEC3 parameter sets (RFC 5155 §7.2 wants one); the proof used only ${paramText(params)}`,
    });
  }
  return withWarnings(best, warnings);
}
