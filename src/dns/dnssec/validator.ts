// The validator: judge a lookup from a trust anchor down, like `delv`, never trusting a
// resolver's AD bit. Records are fetched with CD=1 (the resolver hands over what it has, even
// what it thinks is bogus) and every link is checked here:
//
//   anchor ─► root DNSKEY ─► DS(child) signed by parent ─► DNSKEY(child) matching a DS ─► … ─► RRset
//
// Every zone visited becomes a ChainLink (keys, DS, signatures with validity windows, status),
// so the report and the web page can show the whole chain, DNSViz-style.
import { isSubdomainOf, nameEquals, nameSuffix, nameToString, nameToWire, parseName, type DnsName } from '../name.ts';
import { rdataToString } from '../rdata.ts';
import { RRType, rcodeToString, typeToString } from '../types.ts';
import { dsDigest } from './digest.ts';
import { provenDenial, type DenialQuestion } from './denial-check.ts';
import type { DenialKind } from './denial-result.ts';
import { problem, worseSecurity, type Problem, type Security } from './problems.ts';
import type { DnsRecord } from '../message.ts';
import { checkRRset, groupRRsets, rrsetLabel, zoneKeys, type RRset, type SigView, type ZoneKey } from './rrset.ts';
import type { TrustAnchor } from './trust-anchor.ts';
import { algorithmSupport, nodeCanVerify } from './algorithms.ts';

export interface FetchedResponse {
  rcode: number;
  answer: DnsRecord[];
  authority: DnsRecord[];
  /** Extended DNS Errors the resolver attached (RFC 8914), passed through for the report. */
  ede?: Array<{ code: number; text: string }>;
}

/** How the validator gets records: a DNS client asking with DO=1, CD=1. */
export type Fetcher = (name: DnsName, type: number) => Promise<FetchedResponse>;

export interface KeyView {
  keyTag: number;
  algorithm: number;
  flags: number;
  role: 'KSK' | 'ZSK' | 'other';
  /** Whether a DS (or the trust anchor) names this key. */
  matchedByDs: boolean;
}

export interface DsView {
  keyTag: number;
  algorithm: number;
  digestType: number;
  status: 'matches' | 'no-such-key' | 'digest-mismatch' | 'unsupported';
}

export interface ChainLink {
  zone: string;
  security: Security;
  /** How the zone's keys were authenticated. */
  via: 'trust-anchor' | 'ds' | 'no-ds' | 'parent-insecure' | 'failed';
  ds: DsView[];
  dsSignatures: SigView[];
  dnskeys: KeyView[];
  dnskeySignatures: SigView[];
  problems: Problem[];
}

export interface RRsetView {
  name: string;
  type: string;
  ttl: number;
  records: string[];
  security: Security;
  signatures: SigView[];
  zone?: string;
}

export interface ValidationResult {
  name: string;
  type: string;
  rcode: string;
  security: Security;
  /** For insecure answers: the zone cut below which there is no DNSSEC. */
  insecureAt?: string;
  answer: RRsetView[];
  /** What the negative answer was proven to be, when it is negative. */
  denial?: string;
  chain: ChainLink[];
  problems: Problem[];
  ede: Array<{ code: number; text: string }>;
}

interface ZoneState {
  zone: DnsName;
  security: Security;
  keys: ZoneKey[];
  link: ChainLink;
  insecureAt?: string;
  /** For a secure zone: until when (validator seconds) its keys may be reused without re-checking. */
  validUntil?: number;
  /** The zone whose keys signed this one's DS (absent at the trust anchor). */
  parent?: DnsName;
}

/** Secure zones across lookups, keyed by lowercased name; bounded, oldest out first. */
const ZONE_CACHE_SIZE = 10_000;

export interface ValidatorOptions {
  /** Seconds since the epoch; injectable so tests control time. */
  now?: () => number;
  /** Longest CNAME chain followed. */
  maxCnameChain?: number;
}

const MAX_DEPTH = 64;

export class Validator {
  readonly #fetch: Fetcher;
  readonly #anchor: TrustAnchor;
  readonly #now: () => number;
  readonly #maxCname: number;
  readonly #zoneCache = new Map<string, ZoneState>();

  constructor(fetch: Fetcher, anchor: TrustAnchor, opts: ValidatorOptions = {}) {
    this.#fetch = fetch;
    this.#anchor = anchor;
    this.#now = opts.now ?? (() => Math.floor(Date.now() / 1000));
    this.#maxCname = opts.maxCnameChain ?? 12;
  }

  /** The records as the upstream sent them (DO=1, CD=1), unjudged: for diagnostics that inspect a zone the chain does not vouch for. */
  fetchRaw(name: DnsName | string, type: number): Promise<FetchedResponse> {
    return this.#fetch(typeof name === 'string' ? parseName(name) : name, type);
  }

  /** Look up `name`/`type` and judge the answer from the trust anchor down. */
  async lookup(nameIn: DnsName | string, typeIn: number): Promise<ValidationResult> {
    const run = new Lookup(this.#fetch, this.#anchor, this.#now(), this.#maxCname, this.#zoneCache);
    return run.resolve(typeof nameIn === 'string' ? parseName(nameIn) : nameIn, typeIn);
  }
}


/** One lookup: memoises zone states so each zone's keys are fetched and checked once. */
class Lookup {
  readonly zones = new Map<string, Promise<ZoneState>>();
  readonly problems: Problem[] = [];
  readonly ede: Array<{ code: number; text: string }> = [];

  constructor(
    readonly fetch: Fetcher,
    readonly anchor: TrustAnchor,
    readonly now: number,
    readonly maxCname: number,
    readonly zoneCache: Map<string, ZoneState>,
  ) {}

  async get(name: DnsName, type: number): Promise<FetchedResponse> {
    const r = await this.fetch(name, type);
    for (const e of r.ede ?? []) if (!this.ede.some((x) => x.code === e.code && x.text === e.text)) this.ede.push(e);
    return r;
  }

  /** For the chain's own records: a resolver failure (SERVFAIL, REFUSED, ...) is not an answer. */
  async getChecked(name: DnsName, type: number): Promise<FetchedResponse> {
    const r = await this.get(name, type);
    if (r.rcode !== 0 && r.rcode !== 3) throw new Error(`the resolver answered ${rcodeToString(r.rcode)} even with checking disabled`);
    return r;
  }

  async resolve(qname: DnsName, qtype: number): Promise<ValidationResult> {
    const answer: RRsetView[] = [];
    let security: Security = 'secure';
    let insecureAt: string | undefined;
    let denial: string | undefined;
    let name = qname;
    let rcode = 0;
    const seen = new Set<string>();
    for (let hop = 0; ; hop++) {
      const key = nameToString(name).toLowerCase();
      if (seen.has(key)) {
        this.problems.push(problem('cname.loop', `CNAME chain loops back to ${nameToString(name)}`));
        security = 'bogus';
        break;
      }
      seen.add(key);
      if (hop > this.maxCname) {
        this.problems.push(problem('cname.too-long', `CNAME chain longer than ${this.maxCname} links`));
        security = worseSecurity(security, 'indeterminate');
        break;
      }
      let resp: FetchedResponse;
      try {
        resp = await this.get(name, qtype);
      } catch (e) {
        this.problems.push(problem('upstream.failed', `${nameToString(name)} ${typeToString(qtype)}: ${(e as Error).message}`));
        security = worseSecurity(security, 'indeterminate');
        break;
      }
      rcode = resp.rcode;
      if (rcode !== 0 && rcode !== 3) {
        this.problems.push(
          problem('upstream.failed', `${nameToString(name)} ${typeToString(qtype)}: the resolver answered ${rcodeToString(rcode)} even with checking disabled`),
        );
        security = worseSecurity(security, 'indeterminate');
        break;
      }
      const sets = groupRRsets(resp.answer);
      const direct = sets.find((s) => s.type === qtype && nameEquals(s.name, name));
      const cname = sets.find((s) => s.type === RRType.CNAME && nameEquals(s.name, name));
      const dname = direct ? undefined : sets.find((s) => s.type === RRType.DNAME && isSubdomainOf(name, s.name) && !nameEquals(name, s.name));
      if (dname) {
        // RFC 6672 §5.3.3: the DNAME is signed; the CNAME a resolver synthesises from it is not,
        // so check it was synthesised correctly instead of looking for its signature.
        const judged = await this.judgeRRset(dname, resp);
        answer.push(judged.view);
        security = worseSecurity(security, judged.security);
        insecureAt ??= judged.insecureAt;
        const next = this.followDname(name, dname, cname);
        if (!next) {
          security = 'bogus';
          break;
        }
        if (cname) {
          answer.push({ ...judged.view, name: nameToString(name), type: 'CNAME', records: [nameToString(next)], signatures: [], ttl: cname.ttl });
        }
        name = next;
        continue;
      }
      const set = direct ?? cname;
      if (set) {
        const judged = await this.judgeRRset(set, resp);
        answer.push(judged.view);
        security = worseSecurity(security, judged.security);
        insecureAt ??= judged.insecureAt;
        if (direct || qtype === RRType.CNAME) break;
        const target = cname?.records[0]?.data;
        if (target?.type !== 'CNAME') break;
        name = target.target;
        continue;
      }
      // A negative answer: NXDOMAIN or NODATA, proven by NSEC/NSEC3 in the authority section.
      const judged = await this.judgeDenial({ qname: name, qtype, nxdomain: rcode === 3 }, resp);
      security = worseSecurity(security, judged.security);
      insecureAt ??= judged.insecureAt;
      denial = judged.denial;
      break;
    }
    const chain = await Promise.all([...this.zones.values()]);
    const problems = [...this.problems, ...chain.flatMap((z) => z.link.problems)];
    return {
      name: nameToString(qname),
      type: typeToString(qtype),
      rcode: rcodeToString(rcode),
      security,
      ...(security === 'insecure' && insecureAt ? { insecureAt } : {}),
      answer,
      ...(denial ? { denial } : {}),
      chain: chain.map((z) => z.link).sort((a, b) => depthOf(a.zone) - depthOf(b.zone)),
      problems: dedupe(problems),
      ede: this.ede,
    };
  }

  /** The name a DNAME redirects `name` to, checked against the resolver's synthesised CNAME. */
  followDname(name: DnsName, dname: RRset, cname: RRset | undefined): DnsName | undefined {
    const d = dname.records[0]?.data;
    if (d?.type !== 'DNAME') return undefined;
    const prefix = name.labels.slice(0, name.labels.length - dname.name.labels.length);
    const labels = [...prefix, ...d.target.labels];
    if (labels.reduce((n, l) => n + 1 + l.length, 1) > 255) {
      this.problems.push(problem('dname.name-too-long', `${nameToString(name)} rewritten by ${rrsetLabel(dname)} would exceed 255 octets (YXDOMAIN)`));
      return undefined;
    }
    const target: DnsName = { labels };
    const synthesised = cname?.records[0]?.data;
    if (synthesised?.type === 'CNAME' && !nameEquals(synthesised.target, target)) {
      this.problems.push(
        problem(
          'dname.synthesis-mismatch',
          `${nameToString(name)} CNAME ${nameToString(synthesised.target)} does not follow from ${rrsetLabel(dname)} ${nameToString(d.target)}, which gives ${nameToString(target)}`,
        ),
      );
      return undefined;
    }
    return target;
  }

  /** Judge one answer RRset: find its zone's keys (or prove the zone insecure) and check it. */
  async judgeRRset(set: RRset, resp: FetchedResponse): Promise<{ view: RRsetView; security: Security; insecureAt?: string }> {
    const view: RRsetView = {
      name: nameToString(set.name),
      type: typeToString(set.type),
      ttl: set.ttl,
      records: set.records.map((r) => rdataToString(r.type, r.rdata)),
      security: 'indeterminate',
      signatures: [],
    };
    const signer = set.sigs.map((s) => s.data.signerName).find((n) => isSubdomainOf(set.name, n));
    const zone = signer ? await this.zoneState(signer) : await this.securityAbove(set.name);
    view.zone = nameToString(zone.zone);
    if (zone.security !== 'secure') {
      view.security = zone.security;
      return { view, security: zone.security, ...(zone.insecureAt ? { insecureAt: zone.insecureAt } : {}) };
    }
    const check = checkRRset(set, zone.zone, zone.keys, this.now);
    view.signatures = check.sigs;
    if (check.status === 'unsupported') {
      view.security = 'insecure';
      return { view, security: 'insecure', insecureAt: nameToString(zone.zone) };
    }
    if (check.status === 'bogus') {
      this.problems.push(...check.problems);
      view.security = 'bogus';
      return { view, security: 'bogus' };
    }
    if (check.validBy?.wildcard) {
      // Synthesised from a wildcard: the authority section must prove the exact name is absent.
      const q: DenialQuestion = { qname: set.name, qtype: set.type, nxdomain: false, wildcardLabels: check.validBy.labels };
      const proof = this.verifiedDenial(q, resp, zone);
      if (!proof.ok) {
        this.problems.push(problem('wildcard.not-proven', `${rrsetLabel(set)}: a wildcard answer without proof that the name itself does not exist: ${proof.reason}`));
        view.security = 'bogus';
        return { view, security: 'bogus' };
      }
    }
    view.security = 'secure';
    return { view, security: 'secure' };
  }

  async judgeDenial(q: DenialQuestion, resp: FetchedResponse): Promise<{ security: Security; insecureAt?: string; denial?: string }> {
    const sets = groupRRsets(resp.authority);
    const soa = sets.find((s) => s.type === RRType.SOA && isSubdomainOf(q.qname, s.name));
    const signer = sets.flatMap((s) => s.sigs.map((x) => x.data.signerName)).find((n) => isSubdomainOf(q.qname, n));
    const zone = signer ? await this.zoneState(signer) : await this.securityAbove(soa?.name ?? q.qname);
    const what = q.nxdomain ? 'NXDOMAIN' : 'NODATA';
    if (zone.security !== 'secure') return { security: zone.security, ...(zone.insecureAt ? { insecureAt: zone.insecureAt } : {}), denial: what };
    const proof = this.verifiedDenial(q, resp, zone);
    if (proof.ok === 'insecure') return { security: 'insecure', insecureAt: nameToString(zone.zone), denial: what };
    if (!proof.ok) {
      this.problems.push(proof.problem);
      return { security: 'bogus', denial: what };
    }
    return { security: 'secure', denial: `${what}, proven by ${proof.by}` };
  }

  /** Check the signatures over the NSEC/NSEC3 records, then ask the denial rules. */
  verifiedDenial(
    q: DenialQuestion,
    resp: FetchedResponse,
    zone: ZoneState,
  ): { ok: true; kind: DenialKind; by: string } | { ok: 'insecure'; reason: string } | { ok: false; reason: string; problem: Problem } {
    const sets = groupRRsets(resp.authority).filter((s) => s.type === RRType.NSEC || s.type === RRType.NSEC3 || s.type === RRType.SOA);
    const verified: RRset[] = [];
    for (const s of sets) {
      const c = checkRRset(s, zone.zone, zone.keys, this.now);
      if (c.status === 'valid') verified.push(s);
      else if (s.type !== RRType.SOA) {
        const p = c.problems[0] ?? problem('denial.not-proven', `${rrsetLabel(s)} is not validly signed`);
        return { ok: false, reason: p.message, problem: p };
      }
    }
    const result = provenDenial(q, zone.zone, verified);
    if (result.ok === true) return result;
    if (result.ok === 'insecure') return { ok: 'insecure', reason: result.reason };
    return { ok: false, reason: result.reason, problem: problem(result.code, `${nameToString(q.qname)} ${typeToString(q.qtype)}: ${result.reason}`) };
  }

  /**
   * The security of the zone holding `name` when its data came unsigned: walk the zone cuts
   * from the trust anchor down; an authenticated missing DS makes everything below insecure,
   * while a signed zone all the way down means the missing signatures are bogus.
   */
  async securityAbove(name: DnsName): Promise<ZoneState> {
    let current = await this.zoneState(this.anchor.owner);
    const depth = name.labels.length;
    for (let n = this.anchor.owner.labels.length + 1; n <= depth && current.security === 'secure'; n++) {
      const candidate = nameSuffix(name, n);
      let resp: FetchedResponse;
      try {
        resp = await this.getChecked(candidate, RRType.DS);
      } catch (e) {
        // Without the DS answer the zone cut cannot be placed: no verdict, rather than a guess.
        const zone = nameToString(candidate);
        const p = problem('upstream.failed', `${zone} DS: ${(e as Error).message}`, { zone });
        return { zone: candidate, security: 'indeterminate', keys: [], link: { ...current.link, zone, security: 'indeterminate', via: 'failed', problems: [p] } };
      }
      const ds = groupRRsets(resp.answer).find((s) => s.type === RRType.DS && nameEquals(s.name, candidate));
      if (ds) {
        current = await this.zoneState(candidate);
        continue;
      }
      if (resp.rcode === 3) break;
      const proof = this.verifiedDenial({ qname: candidate, qtype: RRType.DS, nxdomain: false, delegation: true }, resp, current);
      // Secure or opt-out, a proven missing DS at a delegation means: unsigned from here down.
      if ((proof.ok === true && proof.kind === 'no-ds') || proof.ok === 'insecure') return this.insecureZone(candidate);
    }
    return current;
  }

  insecureZone(cut: DnsName): ZoneState {
    const zone = nameToString(cut);
    const state: ZoneState = {
      zone: cut,
      security: 'insecure',
      keys: [],
      insecureAt: zone,
      link: { zone, security: 'insecure', via: 'no-ds', ds: [], dsSignatures: [], dnskeys: [], dnskeySignatures: [], problems: [] },
    };
    if (!this.zones.has(zone.toLowerCase())) this.zones.set(zone.toLowerCase(), Promise.resolve(state));
    return state;
  }

  zoneState(zone: DnsName): Promise<ZoneState> {
    const key = nameToString(zone).toLowerCase();
    let p = this.zones.get(key);
    if (p) return p;
    // A zone validated by an earlier lookup is reused until its TTLs or signatures run out;
    // only secure results are kept, so a repaired (or newly broken) zone is seen at once.
    const cached = this.zoneCache.get(key);
    if (cached && (cached.validUntil ?? 0) > this.now) {
      p = Promise.resolve(cached);
      // Its ancestors belong to the chain shown for this lookup too (cached at least as long).
      if (cached.parent) void this.zoneState(cached.parent);
    } else {
      this.zoneCache.delete(key);
      p = this.computeZone(zone, 0).then((state) => {
        if (state.security === 'secure' && state.validUntil !== undefined) {
          if (this.zoneCache.size >= ZONE_CACHE_SIZE) this.zoneCache.delete(this.zoneCache.keys().next().value!);
          this.zoneCache.set(key, state);
        }
        return state;
      });
    }
    this.zones.set(key, p);
    return p;
  }

  async computeZone(zone: DnsName, depth: number): Promise<ZoneState> {
    const zoneText = nameToString(zone);
    const link: ChainLink = { zone: zoneText, security: 'indeterminate', via: 'failed', ds: [], dsSignatures: [], dnskeys: [], dnskeySignatures: [], problems: [] };
    const fail = (security: Security, p?: Problem): ZoneState => {
      link.security = security;
      if (p) link.problems.push(p);
      return { zone, security, keys: [], link };
    };
    if (depth > MAX_DEPTH || !isSubdomainOf(zone, this.anchor.owner)) {
      return fail('indeterminate', problem('anchor.no-matching-key', `${zoneText} is not below the trust anchor ${nameToString(this.anchor.owner)}`));
    }
    const isAnchor = nameEquals(zone, this.anchor.owner);
    let dsRecords: Array<{ keyTag: number; algorithm: number; digestType: number; digest: Uint8Array }>;
    let validUntil = Infinity;
    let parentZone: DnsName | undefined;
    if (isAnchor) {
      dsRecords = this.anchor.ds;
      link.via = 'trust-anchor';
    } else {
      // The DS RRset lives in the parent and is signed by it.
      let resp: FetchedResponse;
      try {
        resp = await this.getChecked(zone, RRType.DS);
      } catch (e) {
        return fail('indeterminate', problem('upstream.failed', `${zoneText} DS: ${(e as Error).message}`));
      }
      const ds = groupRRsets(resp.answer).find((s) => s.type === RRType.DS && nameEquals(s.name, zone));
      if (!ds) {
        const parent = await this.securityAbove(zone);
        if (parent.security !== 'secure') {
          link.via = parent.security === 'insecure' ? 'parent-insecure' : 'failed';
          return { ...fail(parent.security), ...(parent.insecureAt ? { insecureAt: parent.insecureAt } : {}) };
        }
        if (nameEquals(parent.zone, zone)) return parent;
        return fail('bogus', problem('ds.denial-not-proven', `${zoneText} has signatures but its parent publishes no DS for it, and does not prove the absence`, { zone: zoneText }));
      }
      const signer = ds.sigs.map((s) => s.data.signerName).find((n) => isSubdomainOf(zone, n) && !nameEquals(n, zone));
      const parent = signer ? await this.zoneState(signer) : await this.securityAbove(nameSuffix(zone, zone.labels.length - 1));
      if (parent.security !== 'secure') {
        link.via = parent.security === 'insecure' ? 'parent-insecure' : 'failed';
        return { ...fail(parent.security), ...(parent.insecureAt ? { insecureAt: parent.insecureAt } : {}) };
      }
      const check = checkRRset(ds, parent.zone, parent.keys, this.now);
      link.dsSignatures = check.sigs;
      if (check.status !== 'valid') {
        link.problems.push(...check.problems);
        return fail('bogus');
      }
      link.via = 'ds';
      dsRecords = ds.records.flatMap((r) => (r.data?.type === 'DS' ? [r.data] : []));
      validUntil = Math.min(parent.validUntil ?? Infinity, this.now + ds.ttl, expiry(check.validBy));
      parentZone = parent.zone;
    }

    let resp: FetchedResponse;
    try {
      resp = await this.getChecked(zone, RRType.DNSKEY);
    } catch (e) {
      return fail('indeterminate', problem('upstream.failed', `${zoneText} DNSKEY: ${(e as Error).message}`));
    }
    const dnskeySet = groupRRsets(resp.answer).find((s) => s.type === RRType.DNSKEY && nameEquals(s.name, zone));
    if (!dnskeySet) return fail('bogus', problem('dnskey.missing', `${zoneText} has a DS at its parent but publishes no DNSKEY`, { zone: zoneText }));
    const keys = zoneKeys(dnskeySet);
    const ownerWire = nameToWire(zone);
    const trusted = new Set<ZoneKey>();
    let supportedDs = 0;
    for (const d of dsRecords) {
      const view: DsView = { keyTag: d.keyTag, algorithm: d.algorithm, digestType: d.digestType, status: 'no-such-key' };
      link.ds.push(view);
      if (algorithmSupport(d.algorithm) !== 'supported' || !nodeCanVerify(d.algorithm)) {
        view.status = 'unsupported';
        continue;
      }
      const matches = keys.filter((k) => k.tag === d.keyTag && k.data.algorithm === d.algorithm);
      let digestSupported = true;
      for (const k of matches) {
        const digest = dsDigest(d.digestType, ownerWire, k.rdata);
        if (!digest) {
          digestSupported = false;
          break;
        }
        if (Buffer.from(digest).equals(Buffer.from(d.digest))) {
          trusted.add(k);
          view.status = 'matches';
        } else if (view.status !== 'matches') view.status = 'digest-mismatch';
      }
      if (!digestSupported) {
        view.status = 'unsupported';
        continue;
      }
      supportedDs++;
    }
    for (const a of isAnchor ? this.anchor.dnskeys : []) {
      supportedDs++;
      for (const k of keys) if (Buffer.from(k.rdata).equals(Buffer.from(a.rdata))) trusted.add(k);
    }
    link.dnskeys = keys.map((k) => ({
      keyTag: k.tag,
      algorithm: k.data.algorithm,
      flags: k.data.flags,
      role: k.data.flags & 0x0001 ? 'KSK' : k.data.flags & 0x0100 ? 'ZSK' : 'other',
      matchedByDs: trusted.has(k),
    }));
    if (supportedDs === 0) {
      // RFC 4035 §5.2 / RFC 6840 §5.2: DS records only for algorithms or digests we cannot use
      // mean the zone is treated as unsigned, not as bogus.
      link.security = 'insecure';
      link.problems.push(problem('ds.unsupported-only', `every DS for ${zoneText} uses an algorithm or digest this validator does not support`, { zone: zoneText }));
      return { zone, security: 'insecure', keys: [], link, insecureAt: zoneText };
    }
    if (trusted.size === 0) {
      const mismatch = link.ds.find((d) => d.status === 'digest-mismatch');
      return fail(
        'bogus',
        mismatch
          ? problem('ds.digest-mismatch', `DS ${mismatch.keyTag} for ${zoneText}: the digest does not match DNSKEY ${mismatch.keyTag}`, {
              zone: zoneText,
              keyTag: mismatch.keyTag,
            })
          : problem(isAnchor ? 'anchor.no-matching-key' : 'ds.no-matching-dnskey', `no DNSKEY of ${zoneText} matches ${isAnchor ? 'the trust anchor' : 'a DS at the parent'} (DS key tags ${link.ds.map((d) => d.keyTag).join(', ')}; DNSKEY tags ${keys.map((k) => k.tag).join(', ')})`, {
              zone: zoneText,
            }),
      );
    }
    // The DNSKEY RRset must be signed by one of the keys the DS (or anchor) vouches for.
    const check = checkRRset(dnskeySet, zone, [...trusted], this.now);
    link.dnskeySignatures = checkRRset(dnskeySet, zone, keys, this.now).sigs;
    if (check.status !== 'valid') {
      link.problems.push(
        ...(check.problems.length
          ? check.problems
          : [problem('dnskey.not-signed-by-sep', `the DNSKEY RRset of ${zoneText} is not signed by a key its DS names`, { zone: zoneText })]),
      );
      return fail('bogus');
    }
    link.security = 'secure';
    validUntil = Math.min(validUntil, this.now + dnskeySet.ttl, expiry(check.validBy));
    return { zone, security: 'secure', keys, link, validUntil, ...(parentZone ? { parent: parentZone } : {}) };
  }
}

/** When the signature that validated an RRset expires, in seconds. */
const expiry = (sig: SigView | undefined): number => (sig ? Date.parse(sig.expiration) / 1000 : 0);

/** Labels in a presentation-format name: '.' has none, 'test.' one. */
const depthOf = (zone: string) => (zone === '.' ? 0 : zone.replace(/\.$/, '').split('.').length);

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.code}|${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
