// Authenticated denial of existence: do the NSEC or NSEC3 records of a response prove what the
// response claims? Pure functions, no I/O. The validator calls them with records whose RRSIGs it
// has already verified, all signed by `zone`; these functions decide whether the records prove
// the claim and, when they do not, say why with a stable code (see DENIAL_RFC).
//
//   proveNoData            NOERROR with no answer: the type (or the name, for ENTs) is absent
//   proveNxdomain          NXDOMAIN: the name and the wildcard that could have matched are absent
//   proveNoDs              the parent delegates to the child without DS (the child is unsigned)
//   proveWildcardExpansion a wildcard-synthesised answer: the query name itself does not exist
//
// Results are `secure` (proven), `insecure` (authentic records that cannot make the answer
// secure: an Opt-Out span or NSEC3 iterations over the limit) or `bogus` (not proven).
//
// The rules: RFC 4035 §5.4 (NSEC), RFC 5155 §8 (NSEC3), RFC 4592 (wildcards), RFC 6840 §4.1/§4.4
// (ancestor delegations, insecure delegation proofs), RFC 9276 (NSEC3 parameters); RFC 7129
// explains them all well.

import { isSubdomainOf, isWildcard, nameEquals, nameSuffix, parentName, type DnsName } from '../name.ts';
import { describeNsec, nsecClosestEncloser, nsecCovers, nsecProveNoData, nsecProveNoDs, nsecProveNxdomain, nsecProveWildcardExpansion } from './denial-nsec.ts';
import {
  nsec3Covers,
  nsec3Matches,
  nsec3ProveNoData,
  nsec3ProveNoDs,
  nsec3ProveNxdomain,
  nsec3ProveWildcardExpansion,
  withNsec3Sets,
  type Nsec3Set,
} from './denial-nsec3.ts';
import {
  bogus,
  rank,
  show,
  withWarnings,
  DEFAULT_MAX_NSEC3_ITERATIONS,
  type DenialOptions,
  type DenialRecords,
  type DenialResult,
  type DenialWarning,
  type NsecRR,
} from './denial-result.ts';

export {
  DENIAL_RFC,
  DEFAULT_MAX_NSEC3_ITERATIONS,
  type DenialBogus,
  type DenialBogusCode,
  type DenialCode,
  type DenialEvidence,
  type DenialInsecure,
  type DenialInsecureCode,
  type DenialKind,
  type DenialOptions,
  type DenialRecords,
  type DenialResult,
  type DenialSecure,
  type DenialWarning,
  type DenialWarningCode,
  type Nsec3RR,
  type NsecRR,
  type ProofRole,
  type ProofStep,
} from './denial-result.ts';
export { commonAncestor, describeNsec, nsecClosestEncloser, nsecCovers, nsecMatches } from './denial-nsec.ts';
export { describeNsec3, nsec3Covers, nsec3HashName, nsec3Matches, nsec3OwnerHash } from './denial-nsec3.ts';

/** NSEC records outside the zone (owner or next name) are no part of its chain: skip them. */
function usableNsec(records: readonly NsecRR[], zone: DnsName): { usable: NsecRR[]; warnings: DenialWarning[] } {
  const usable: NsecRR[] = [];
  const warnings: DenialWarning[] = [];
  for (const nsec of records) {
    if (isSubdomainOf(nsec.owner, zone) && isSubdomainOf(nsec.next, zone)) usable.push(nsec);
    else warnings.push({ code: 'denial.ignored-record', text: `${describeNsec(nsec)} ignored: it is not part of the zone ${show(zone)}` });
  }
  return { usable, warnings };
}

/**
 * Runs the NSEC rule and/or the NSEC3 rule over what the response holds, and keeps the best
 * outcome (a zone in transition between NSEC and NSEC3 may send both; NSEC wins a tie).
 */
function run(
  name: DnsName,
  zone: DnsName,
  records: DenialRecords,
  options: DenialOptions,
  viaNsec: (nsecs: readonly NsecRR[]) => DenialResult,
  viaNsec3: (set: Nsec3Set) => DenialResult,
): DenialResult {
  if (!isSubdomainOf(name, zone)) return bogus('denial.out-of-zone', `${show(name)} is not in the zone ${show(zone)}, whose records were given as proof`);
  const nsec = records.nsec ?? [];
  const nsec3 = records.nsec3 ?? [];
  if (nsec.length === 0 && nsec3.length === 0) return bogus('denial.no-records', `the response holds no NSEC or NSEC3 records from ${show(zone)} to prove anything about ${show(name)}`);
  let best: DenialResult | undefined;
  if (nsec.length > 0) {
    const { usable, warnings } = usableNsec(nsec, zone);
    best =
      usable.length > 0
        ? withWarnings(viaNsec(usable), warnings)
        : bogus('denial.wrong-zone', `none of the ${nsec.length} NSEC records belongs to the zone ${show(zone)}`, warnings);
  }
  if (nsec3.length > 0) {
    const result = withNsec3Sets(nsec3, zone, options, viaNsec3);
    if (!best || rank(result) < rank(best)) best = result;
  }
  return best!;
}

/**
 * NODATA: `qname` has no `qtype` (and no CNAME). Proven by the record at the name, by an empty
 * non-terminal proof, or by a wildcard without the type; for DS also by an Opt-Out span
 * (insecure). A DS query answered by the child's own apex record proves NODATA with the warning
 * `denial.ds-child-apex` — use `proveNoDs` for the chain of trust.
 */
export function proveNoData(qname: DnsName, qtype: number, zone: DnsName, records: DenialRecords, options: DenialOptions = {}): DenialResult {
  return run(
    qname,
    zone,
    records,
    options,
    (nsecs) => nsecProveNoData(qname, qtype, zone, nsecs),
    (set) => nsec3ProveNoData(set, qname, qtype, zone),
  );
}

/** NXDOMAIN: `qname` does not exist, and no wildcard at its closest encloser could answer. */
export function proveNxdomain(qname: DnsName, zone: DnsName, records: DenialRecords, options: DenialOptions = {}): DenialResult {
  return run(
    qname,
    zone,
    records,
    options,
    (nsecs) => nsecProveNxdomain(qname, zone, nsecs),
    (set) => nsec3ProveNxdomain(set, qname, zone),
  );
}

/**
 * The delegation from `parentZone` to `childZone` has no DS: the child is unsigned. `secure` means
 * the parent's own record at the cut shows NS without DS or SOA; `insecure` (Opt-Out span or
 * iteration limit) means the same for the chain of trust: treat the child as insecure. `bogus`
 * with `denial.not-delegation` means the parent proves there is no delegation at that name at all
 * (an empty non-terminal or a name that does not exist) — use `proveNoData` for that answer.
 */
export function proveNoDs(childZone: DnsName, parentZone: DnsName, records: DenialRecords, options: DenialOptions = {}): DenialResult {
  if (childZone.labels.length <= parentZone.labels.length) {
    return bogus('denial.out-of-zone', `${show(childZone)} is not below ${show(parentZone)}, so ${show(parentZone)} cannot delegate it`);
  }
  return run(
    childZone,
    parentZone,
    records,
    options,
    (nsecs) => nsecProveNoDs(childZone, parentZone, nsecs),
    (set) => nsec3ProveNoDs(set, childZone, parentZone),
  );
}

/**
 * A positive answer for `qname` synthesised from a wildcard: prove `qname` (more exactly, the next
 * closer name) does not exist. `source` is the wildcard owner (`*.<closest encloser>`) or the
 * Labels field of the answer's RRSIG, which counts the closest encloser's labels (RFC 4034 §3.1.3,
 * RFC 4035 §5.3.4).
 */
export function proveWildcardExpansion(
  qname: DnsName,
  source: DnsName | number,
  zone: DnsName,
  records: DenialRecords,
  options: DenialOptions = {},
): DenialResult {
  let ce: DnsName | undefined;
  if (typeof source === 'number') {
    if (Number.isInteger(source) && source >= 0 && source < qname.labels.length) ce = nameSuffix(qname, source);
  } else if (isWildcard(source)) {
    ce = parentName(source);
  }
  if (!ce || !(qname.labels.length > ce.labels.length && isSubdomainOf(qname, ce)) || !isSubdomainOf(ce, zone)) {
    const what = typeof source === 'number' ? `an RRSIG Labels field of ${source}` : `the source ${show(source)}`;
    return bogus('denial.wildcard-bad-source', `${what} does not describe a wildcard in ${show(zone)} that could answer for ${show(qname)} (RFC 4035 §5.3.4)`);
  }
  const encloser = ce;
  return run(
    qname,
    zone,
    records,
    options,
    (nsecs) => nsecProveWildcardExpansion(qname, encloser, zone, nsecs),
    (set) => nsec3ProveWildcardExpansion(set, qname, encloser),
  );
}

export interface ClosestEncloser {
  method: 'nsec' | 'nsec3';
  closestEncloser: DnsName;
  /** The ancestor of the name one label below the closest encloser (the name itself if one label below). */
  nextCloser: DnsName;
}

/**
 * The closest encloser of a name the records show to be absent, for explanations: with NSEC, from
 * the record covering the name (RFC 4592 §3.3.1); with NSEC3, the nearest ancestor with a matching
 * record (RFC 5155 §8.3; NSEC3 over the iteration limit are not hashed). Undefined when the
 * records show the name exists or say nothing about it. This locates; it does not prove — use the
 * prove* functions for that.
 */
export function closestEncloser(name: DnsName, zone: DnsName, records: DenialRecords, options: DenialOptions = {}): ClosestEncloser | undefined {
  if (!isSubdomainOf(name, zone)) return undefined;
  const suffix = (ce: DnsName): DnsName => nameSuffix(name, ce.labels.length + 1);
  const nsecs = usableNsec(records.nsec ?? [], zone).usable;
  if (!nsecs.some((n) => nameEquals(n.owner, name))) {
    const cover = nsecs.find((n) => nsecCovers(n, name, zone) && !(isSubdomainOf(n.next, name) && n.next.labels.length > name.labels.length));
    if (cover) {
      const ce = nsecClosestEncloser(name, cover);
      return { method: 'nsec', closestEncloser: ce, nextCloser: suffix(ce) };
    }
  }
  const maxIterations = options.maxIterations ?? DEFAULT_MAX_NSEC3_ITERATIONS;
  const nsec3 = (records.nsec3 ?? []).filter((rr) => rr.iterations <= maxIterations);
  if (nsec3.length === 0 || nsec3.some((rr) => nsec3Matches(rr, name, zone))) return undefined;
  for (let n = name.labels.length - 1; n >= zone.labels.length; n -= 1) {
    const candidate = nameSuffix(name, n);
    if (nsec3.some((rr) => nsec3Matches(rr, candidate, zone))) {
      const nextCloser = suffix(candidate);
      if (!nsec3.some((rr) => nsec3Covers(rr, nextCloser, zone))) return undefined;
      return { method: 'nsec3', closestEncloser: candidate, nextCloser };
    }
  }
  return undefined;
}
