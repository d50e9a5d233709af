// PKIX path validation of the chain *as the server sent it* (RFC 5280 §6, reduced to what a
// TLS client checks): each certificate is issued and signed by the next one up, every one is
// within its validity period at `now` (injected, so tests control time), every issuer below the
// anchor is a CA (basicConstraints), and the path ends at a trust anchor — a trusted
// certificate equal to a sent one, or one that issued the last sent certificate it reaches.
//
// Why not let OpenSSL do it during the handshake: the handshake runs against an empty trust
// store (see tls.ts) so that Node cannot add local certificates to the captured chain, and
// DANE-TA (usage 2) must see only what was sent. Validating here also gives a reason a human
// can act on and a clock we control. Not checked here: the name (nameMatches below, separate
// because DANE-EE ignores names), pathLenConstraint, name constraints, policies, revocation.
import type { X509Certificate } from 'node:crypto';

export interface PkixResult {
  valid: boolean;
  /** Why not, in words, naming the certificate by its position (0 = leaf) and subject. */
  reason?: string;
  /** The trust anchor the path ended at. */
  anchor?: string;
  /** Positions in the sent chain used by the path, leaf first. */
  path: number[];
}

const subjectOf = (c: X509Certificate) => c.subject.replaceAll('\n', ', ');
const describe = (c: X509Certificate, i: number) => `certificate ${i} (${subjectOf(c)})`;

function dateProblem(c: X509Certificate, what: string, now: Date): string | undefined {
  const from = Date.parse(c.validFrom);
  const to = Date.parse(c.validTo);
  if (now.getTime() < from) return `${what} is not valid before ${new Date(from).toISOString()}`;
  if (now.getTime() > to) return `${what} expired at ${new Date(to).toISOString()}`;
  return undefined;
}

// Node's a.checkIssued(b) asks "was a issued by b?" (names, key identifiers, keyCertSign).
// Signature checks are remembered per (subject, issuer) object pair: parsed certificates and
// anchors are shared across probes (tls.ts, trust.ts), and the same chains come back every poll.
const verified = new WeakMap<X509Certificate, WeakMap<X509Certificate, boolean>>();
function signedBy(subject: X509Certificate, issuer: X509Certificate): boolean {
  let m = verified.get(subject);
  if (!m) verified.set(subject, (m = new WeakMap()));
  let ok = m.get(issuer);
  if (ok === undefined) m.set(issuer, (ok = subject.verify(issuer.publicKey)));
  return ok;
}
const issued = (issuer: X509Certificate, subject: X509Certificate) => subject.checkIssued(issuer) && signedBy(subject, issuer);

export function validateChain(chain: X509Certificate[], anchors: X509Certificate[], now: Date): PkixResult {
  const path: number[] = [];
  const leaf = chain[0];
  if (!leaf) return { valid: false, reason: 'the server sent no certificate', path };
  let i = 0;
  let cert = leaf;
  for (;;) {
    path.push(i);
    const what = describe(cert, i);
    const dates = dateProblem(cert, what, now);
    if (dates) return { valid: false, reason: dates, path };
    if (i > 0 && !cert.ca) return { valid: false, reason: `${what} issues certificates but is not a CA (basicConstraints)`, path };
    // The sent certificate is itself trusted (a root, or an intermediate configured as anchor).
    if (anchors.some((a) => a.raw.equals(cert.raw))) return { valid: true, anchor: subjectOf(cert), path };
    const anchor = anchors.find((a) => issued(a, cert));
    if (anchor) {
      const anchorDates = dateProblem(anchor, `the trust anchor (${subjectOf(anchor)})`, now);
      if (anchorDates) return { valid: false, reason: anchorDates, path };
      return { valid: true, anchor: subjectOf(anchor), path };
    }
    // Look among the other sent certificates, in any order, as clients do; each used once.
    const next = chain.findIndex((c, j) => !path.includes(j) && cert.checkIssued(c));
    const issuer = chain[next];
    if (next < 0 || !issuer) {
      return { valid: false, reason: `unable to get the issuer of ${what}: "${cert.issuer.replaceAll('\n', ', ')}" is neither sent nor trusted`, path };
    }
    if (!signedBy(cert, issuer)) {
      return { valid: false, reason: `the signature on ${what} does not verify with the key of ${describe(issuer, next)}`, path };
    }
    i = next;
    cert = issuer;
  }
}

/** RFC 6125 DNS-ID check of the leaf against `name` (wildcards in the left-most label only). */
export function nameMatches(leaf: X509Certificate, name: string): boolean {
  return leaf.checkHost(name, { subject: 'never', wildcards: true, partialWildcards: false, multiLabelWildcards: false }) !== undefined;
}
