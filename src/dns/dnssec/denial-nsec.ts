// Authenticated denial of existence with NSEC (RFC 4035 §5.4, RFC 4034 §4, RFC 6840 §4.1/§4.4,
// RFC 4592 for wildcards). An NSEC says "these are the types at my owner, and no name exists
// between my owner and my next name in canonical order (RFC 4034 §6.1)".
//
// All records passed in are already authenticated and belong to `zone`; the functions here decide
// only what they prove.

import { compareLabels, compareNames, isSubdomainOf, nameEquals, nameSuffix, prependLabel, type DnsName } from '../name.ts';
import { RRType, typeToString } from '../types.ts';
import {
  bogus,
  secure,
  show,
  typeList,
  type DenialEvidence,
  type DenialResult,
  type DenialWarning,
  type NsecRR,
  type ProofStep,
} from './denial-result.ts';

/** The NSEC is at `name` itself (names compare without ASCII case, RFC 4343). */
export function nsecMatches(nsec: NsecRR, name: DnsName): boolean {
  return nameEquals(nsec.owner, name);
}

/**
 * The NSEC's span contains `name`: owner < name < next in canonical order. The last NSEC of a zone
 * has the apex as its next name (RFC 4034 §4.1.1) and spans everything after its owner. A record
 * whose next name does not follow its owner and is not the apex is no valid chain link and covers
 * nothing. Names outside `zone` are never covered.
 */
export function nsecCovers(nsec: NsecRR, name: DnsName, zone: DnsName): boolean {
  if (!isSubdomainOf(name, zone) || !isSubdomainOf(nsec.owner, zone)) return false;
  const afterOwner = compareNames(nsec.owner, name) < 0;
  if (compareNames(nsec.owner, nsec.next) < 0) return afterOwner && compareNames(name, nsec.next) < 0;
  // Wrap-around: nothing in the zone sorts before the apex, so "after the owner" is the whole span.
  return nameEquals(nsec.next, zone) && afterOwner;
}

/** The longest common ancestor of two names (at least the root). */
export function commonAncestor(a: DnsName, b: DnsName): DnsName {
  let n = 0;
  while (n < a.labels.length && n < b.labels.length) {
    const x = a.labels[a.labels.length - 1 - n]!;
    const y = b.labels[b.labels.length - 1 - n]!;
    if (compareLabels(x, y) !== 0) break;
    n += 1;
  }
  return nameSuffix(a, n);
}

/**
 * The closest encloser of a name that `cover` proves absent: the deeper of its common ancestors
 * with the owner and with the next name. Both ends exist, so their ancestors exist; and any
 * existing ancestor of the name must sort at or before the owner (or, being an empty
 * non-terminal, have a descendant at or after the next name), so none can be deeper.
 */
export function nsecClosestEncloser(name: DnsName, cover: NsecRR): DnsName {
  const viaOwner = commonAncestor(name, cover.owner);
  const viaNext = commonAncestor(name, cover.next);
  return viaOwner.labels.length >= viaNext.labels.length ? viaOwner : viaNext;
}

function isStrictlyBelow(name: DnsName, ancestor: DnsName): boolean {
  return name.labels.length > ancestor.labels.length && isSubdomainOf(name, ancestor);
}

/** A zone cut at the owner (NS without SOA: a delegation point, RFC 6840 §4.1) or a DNAME. */
export function isCutBitmap(types: ReadonlySet<number>): boolean {
  return (types.has(RRType.NS) && !types.has(RRType.SOA)) || types.has(RRType.DNAME);
}

export function describeNsec(nsec: NsecRR): string {
  return `NSEC ${show(nsec.owner)} → ${show(nsec.next)} [${typeList(nsec.types)}]`;
}

/**
 * RFC 6840 §4.1: an NSEC at a delegation point (NS, no SOA) or with a DNAME proves nothing about
 * the names below it — they belong to another zone (or are redirected). Returns the record that
 * shows such a cut above `name`, if the response holds one.
 */
function cutAbove(name: DnsName, nsecs: readonly NsecRR[]): NsecRR | undefined {
  return nsecs.find((n) => isStrictlyBelow(name, n.owner) && isCutBitmap(n.types));
}

function ancestorDelegation(name: DnsName, cut: NsecRR): DenialResult {
  const what = cut.types.has(RRType.DNAME) ? 'a DNAME' : 'a delegation point (NS without SOA)';
  return bogus(
    'denial.ancestor-delegation',
    `${describeNsec(cut)} is ${what}; ${show(name)} lies below it, in a zone this NSEC does not speak for, so it cannot deny anything there (RFC 6840 §4.1)`,
  );
}

/** Why a bitmap does not allow NODATA for `qtype`, or undefined when it does. */
function typeConflict(types: ReadonlySet<number>, qtype: number): string | undefined {
  if (types.has(qtype)) return `it lists ${typeToString(qtype)}`;
  // A CNAME at the name would have been the answer (RFC 4035 §5.4, RFC 5155 §8.5).
  if (types.has(RRType.CNAME)) return 'it lists CNAME (the answer should have been the alias)';
  return undefined;
}

function evidence(steps: ProofStep[], extra: Partial<DenialEvidence> = {}): DenialEvidence {
  return { method: 'nsec', steps, ...extra };
}

/** A covering NSEC whose next name is below `name`: the name is an empty non-terminal. */
function endsBelow(cover: NsecRR, name: DnsName): boolean {
  return isStrictlyBelow(cover.next, name);
}

/** NODATA (RFC 4035 §5.4): the name exists without `qtype`, directly, as an ENT, or via a wildcard. */
export function nsecProveNoData(qname: DnsName, qtype: number, zone: DnsName, nsecs: readonly NsecRR[]): DenialResult {
  const cut = cutAbove(qname, nsecs);
  if (cut) return ancestorDelegation(qname, cut);

  const match = nsecs.find((n) => nsecMatches(n, qname));
  if (match) {
    // The parent's NSEC at a delegation point speaks only for DS (and NSEC) at that name; every
    // other type there belongs to the child zone (RFC 6840 §4.1, RFC 4035 §5.4).
    if (qtype !== RRType.DS && match.types.has(RRType.NS) && !match.types.has(RRType.SOA)) {
      return bogus(
        'denial.ancestor-delegation',
        `${describeNsec(match)} is the parent side of a delegation; it proves only the absence of DS at ${show(qname)}, not of ${typeToString(qtype)}, which the child zone holds (RFC 6840 §4.1)`,
      );
    }
    const conflict = typeConflict(match.types, qtype);
    if (conflict) {
      return bogus('denial.type-present', `${describeNsec(match)} is at ${show(qname)} and ${conflict}: no NODATA for ${typeToString(qtype)} (RFC 4035 §5.4)`);
    }
    const warnings: DenialWarning[] = [];
    if (qtype === RRType.DS && match.types.has(RRType.SOA) && qname.labels.length > 0) warnings.push(dsChildApexWarning(qname));
    const step: ProofStep = { role: 'qname-match', name: qname, record: match, text: `${describeNsec(match)} is at ${show(qname)} and does not list ${typeToString(qtype)} or CNAME` };
    return secure('nodata', `${show(qname)} exists without ${typeToString(qtype)}: ${describeNsec(match)}`, evidence([step]), warnings);
  }

  const cover = nsecs.find((n) => nsecCovers(n, qname, zone));
  if (!cover) return bogus('denial.nsec-no-cover', `no NSEC is at ${show(qname)} or covers it, so nothing proves that ${typeToString(qtype)} is absent (RFC 4035 §5.4)`);

  if (endsBelow(cover, qname)) {
    // RFC 4035 §3.1.3.2 / RFC 4592 §2.2.2: no NSEC exists for an empty non-terminal; the NSEC
    // before it, whose next name is below it, shows that it exists and holds nothing.
    const step: ProofStep = {
      role: 'empty-non-terminal',
      name: qname,
      record: cover,
      text: `${describeNsec(cover)} covers ${show(qname)} and its next name lies below it: an empty non-terminal`,
    };
    return secure('empty-non-terminal', `${show(qname)} is an empty non-terminal: ${describeNsec(cover)}`, evidence([step]));
  }

  // The name does not exist; a NODATA is right only if the wildcard at the closest encloser exists
  // without the type (RFC 4592 §4, RFC 4035 §3.1.3.4).
  const ce = nsecClosestEncloser(qname, cover);
  const wildcard = prependLabel(ce, '*');
  const wmatch = nsecs.find((n) => nsecMatches(n, wildcard));
  if (!wmatch) {
    return bogus(
      'denial.no-match',
      `${describeNsec(cover)} shows that ${show(qname)} does not exist, and no NSEC is at the wildcard ${show(wildcard)}: that is a name error, not NODATA (RFC 4035 §5.4)`,
    );
  }
  const conflict = typeConflict(wmatch.types, qtype);
  if (conflict) {
    return bogus('denial.type-present', `the wildcard ${describeNsec(wmatch)} ${conflict}: ${show(qname)} ${typeToString(qtype)} would be synthesised from it (RFC 4592 §3.3.1)`);
  }
  const steps: ProofStep[] = [
    { role: 'qname-cover', name: qname, record: cover, text: `${describeNsec(cover)} covers ${show(qname)}: it does not exist; closest encloser ${show(ce)}` },
    { role: 'wildcard-match', name: wildcard, record: wmatch, text: `${describeNsec(wmatch)} is the wildcard and does not list ${typeToString(qtype)} or CNAME` },
  ];
  return secure('wildcard-nodata', `${show(qname)} matches the wildcard ${show(wildcard)}, which has no ${typeToString(qtype)}`, evidence(steps, { closestEncloser: ce, wildcard }));
}

/** NXDOMAIN (RFC 4035 §5.4): an NSEC covers the name and one covers the wildcard at its closest encloser. */
export function nsecProveNxdomain(qname: DnsName, zone: DnsName, nsecs: readonly NsecRR[]): DenialResult {
  const cut = cutAbove(qname, nsecs);
  if (cut) return ancestorDelegation(qname, cut);

  const match = nsecs.find((n) => nsecMatches(n, qname));
  if (match) return bogus('denial.name-exists', `${describeNsec(match)} is at ${show(qname)}: the name exists (RFC 4035 §5.4)`);
  const cover = nsecs.find((n) => nsecCovers(n, qname, zone));
  if (!cover) return bogus('denial.nsec-no-cover', `no NSEC covers ${show(qname)}, so nothing proves it does not exist (RFC 4035 §5.4)`);
  if (endsBelow(cover, qname)) {
    return bogus('denial.name-exists', `${describeNsec(cover)} ends below ${show(qname)}: the name is an empty non-terminal, it exists (RFC 4035 §5.4, RFC 4592 §2.2.2)`);
  }

  const ce = nsecClosestEncloser(qname, cover);
  const wildcard = prependLabel(ce, '*');
  const wmatch = nsecs.find((n) => nsecMatches(n, wildcard));
  if (wmatch) {
    return bogus('denial.wildcard-not-denied', `${describeNsec(wmatch)} shows that the wildcard ${show(wildcard)} exists: ${show(qname)} should have been synthesised from it (RFC 4592 §3.3.1)`);
  }
  const wcover = nsecs.find((n) => nsecCovers(n, wildcard, zone));
  if (!wcover) {
    return bogus('denial.wildcard-not-denied', `${show(qname)} is covered by ${describeNsec(cover)}, but no NSEC covers the wildcard ${show(wildcard)} at the closest encloser ${show(ce)} (RFC 4035 §5.4)`);
  }
  if (endsBelow(wcover, wildcard)) {
    return bogus('denial.wildcard-not-denied', `${describeNsec(wcover)} ends below ${show(wildcard)}: the wildcard exists as an empty non-terminal (RFC 4592 §2.2.2)`);
  }
  const steps: ProofStep[] = [
    { role: 'qname-cover', name: qname, record: cover, text: `${describeNsec(cover)} covers ${show(qname)}: closest encloser ${show(ce)}` },
    { role: 'wildcard-cover', name: wildcard, record: wcover, text: `${describeNsec(wcover)} covers the wildcard ${show(wildcard)}` },
  ];
  const summary =
    cover === wcover
      ? `${show(qname)} and ${show(wildcard)} do not exist: ${describeNsec(cover)}`
      : `${show(qname)} does not exist (${describeNsec(cover)}), nor does ${show(wildcard)} (${describeNsec(wcover)})`;
  return secure('nxdomain', summary, evidence(steps, { closestEncloser: ce, wildcard }));
}

/**
 * An insecure delegation (RFC 4035 §5.2, RFC 6840 §4.4): the parent's NSEC at the child name has NS
 * and neither DS nor SOA. An NSEC with SOA is the child's own apex record, from the wrong side of
 * the cut.
 */
export function nsecProveNoDs(child: DnsName, parentZone: DnsName, nsecs: readonly NsecRR[]): DenialResult {
  const cut = cutAbove(child, nsecs);
  if (cut) return ancestorDelegation(child, cut);

  const match = nsecs.find((n) => nsecMatches(n, child));
  if (match) {
    if (match.types.has(RRType.SOA)) {
      return bogus('denial.child-apex', `${describeNsec(match)} lists SOA: it is the child zone's apex NSEC, not the parent's record of the delegation, and cannot prove the DS is absent (RFC 6840 §4.4)`);
    }
    if (!match.types.has(RRType.NS)) {
      return bogus('denial.not-delegation', `${describeNsec(match)} lists no NS: ${show(child)} is not a delegation in ${show(parentZone)} (RFC 6840 §4.4)`);
    }
    if (match.types.has(RRType.DS)) return bogus('denial.type-present', `${describeNsec(match)} lists DS: the delegation is signed (RFC 4035 §5.2)`);
    const step: ProofStep = { role: 'qname-match', name: child, record: match, text: `${describeNsec(match)} lists NS and neither DS nor SOA` };
    return secure('no-ds', `${show(parentZone)} delegates ${show(child)} without DS: ${describeNsec(match)}`, evidence([step]));
  }
  const cover = nsecs.find((n) => nsecCovers(n, child, parentZone));
  if (!cover) return bogus('denial.nsec-no-cover', `no NSEC is at ${show(child)} or covers it: nothing proves an unsigned delegation (RFC 4035 §5.2)`);
  const what = endsBelow(cover, child) ? 'is an empty non-terminal' : 'does not exist';
  return bogus('denial.not-delegation', `${describeNsec(cover)} shows that ${show(child)} ${what} in ${show(parentZone)}: there is no delegation there (RFC 6840 §4.4)`);
}

/**
 * A wildcard answer (RFC 4035 §5.3.4): the query name itself must not exist, and the NSEC proving
 * that must place the closest encloser exactly at the wildcard's parent — otherwise a closer name
 * exists and the wildcard could not have applied (RFC 4592 §3.3.1).
 */
export function nsecProveWildcardExpansion(qname: DnsName, closestEncloser: DnsName, zone: DnsName, nsecs: readonly NsecRR[]): DenialResult {
  const cut = cutAbove(qname, nsecs);
  if (cut) return ancestorDelegation(qname, cut);

  const match = nsecs.find((n) => nsecMatches(n, qname));
  if (match) return bogus('denial.name-exists', `${describeNsec(match)} is at ${show(qname)}: the name exists, so no wildcard could answer for it (RFC 4592 §3.3.1)`);
  const cover = nsecs.find((n) => nsecCovers(n, qname, zone));
  if (!cover) return bogus('denial.nsec-no-cover', `no NSEC covers ${show(qname)}: nothing proves the wildcard answer was the right one (RFC 4035 §5.3.4)`);
  if (endsBelow(cover, qname)) {
    return bogus('denial.name-exists', `${describeNsec(cover)} ends below ${show(qname)}: the name exists as an empty non-terminal, so no wildcard applies (RFC 4592 §2.2.2)`);
  }
  const ce = nsecClosestEncloser(qname, cover);
  if (!nameEquals(ce, closestEncloser)) {
    return bogus(
      'denial.wildcard-mismatch',
      `${describeNsec(cover)} puts the closest encloser of ${show(qname)} at ${show(ce)}, but the answer came from the wildcard ${show(prependLabel(closestEncloser, '*'))} (RFC 4592 §3.3.1)`,
    );
  }
  const step: ProofStep = { role: 'qname-cover', name: qname, record: cover, text: `${describeNsec(cover)} covers ${show(qname)}: closest encloser ${show(ce)}` };
  const wildcard = prependLabel(ce, '*');
  return secure('wildcard-expansion', `${show(qname)} does not exist, so ${show(wildcard)} answered: ${describeNsec(cover)}`, evidence([step], { closestEncloser: ce, wildcard }));
}

export function dsChildApexWarning(qname: DnsName): DenialWarning {
  return {
    code: 'denial.ds-child-apex',
    text: `the record proving no DS at ${show(qname)} is the zone's own apex record (SOA present): this answer came from the child side of the cut and says nothing about the DS the parent publishes (RFC 4035 §3.1.4.1)`,
  };
}
