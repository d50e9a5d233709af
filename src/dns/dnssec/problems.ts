// Every way a DNSSEC lookup can fail or fall short, as a stable code tied to the RFC section
// that defines the rule. Reports, tests and the web page key on the code; the message is for
// people and names the exact zone, key tag, record and time involved.

export type Security = 'secure' | 'insecure' | 'bogus' | 'indeterminate';

const SECURITY_RANK: Record<Security, number> = { secure: 0, insecure: 1, indeterminate: 2, bogus: 3 };

/** The weaker of two verdicts: a chain is only as strong as its weakest lookup. */
export function worseSecurity(a: Security, b: Security): Security {
  return SECURITY_RANK[a] >= SECURITY_RANK[b] ? a : b;
}

export const PROBLEM_RFC = {
  'anchor.no-matching-key': 'RFC 4035 §5 (trust anchors), RFC 7958',
  'anchor.dnskey-unsigned': 'RFC 4035 §5.2',
  'ds.no-matching-dnskey': 'RFC 4035 §5.2',
  'ds.digest-mismatch': 'RFC 4034 §5.1.4, RFC 4035 §5.2',
  'ds.unsupported-only': 'RFC 4035 §5.2, RFC 6840 §5.2',
  'ds.denial-not-proven': 'RFC 4035 §5.2, RFC 5155 §8.5–8.6',
  'dnskey.missing': 'RFC 4035 §5.2',
  'dnskey.not-signed-by-sep': 'RFC 4035 §5.2',
  'rrsig.missing': 'RFC 4035 §5.3, §4.3',
  'rrsig.expired': 'RFC 4035 §5.3.1',
  'rrsig.not-yet-valid': 'RFC 4035 §5.3.1',
  'rrsig.invalid': 'RFC 4035 §5.3.3',
  'rrsig.no-key': 'RFC 4035 §5.3.1',
  'rrsig.bad-signer': 'RFC 4035 §5.3.1',
  'rrsig.bad-labels': 'RFC 4035 §5.3.1',
  'rrsig.unsupported-algorithm': 'RFC 6840 §5.2, RFC 8624',
  'denial.not-proven': 'RFC 4035 §5.4, RFC 5155 §8',
  'wildcard.not-proven': 'RFC 4035 §5.3.4, RFC 5155 §8.8',
  'cname.loop': 'RFC 1034 §3.6.2',
  'dname.synthesis-mismatch': 'RFC 6672 §5.3.3',
  'dname.name-too-long': 'RFC 6672 §2.2',
  'cname.too-long': 'RFC 1034 §3.6.2',
  'upstream.failed': 'RFC 4035 §4.9.2 (validation needs the records; the resolver returned none)',
  'upstream.malformed': 'RFC 1035 §4.1',
} as const;

export type ProblemCode = keyof typeof PROBLEM_RFC | `denial.${string}`;

export interface Problem {
  code: ProblemCode;
  /** The RFC section that the rule comes from. */
  rfc: string;
  message: string;
  /** The zone whose data is at fault, when known. */
  zone?: string;
  /** The RRset concerned, as "name TYPE". */
  rrset?: string;
  keyTag?: number;
}

export function problem(code: ProblemCode, message: string, extra: Omit<Problem, 'code' | 'rfc' | 'message'> = {}): Problem {
  const rfc = (PROBLEM_RFC as Record<string, string>)[code] ?? 'RFC 4035 §5.4, RFC 5155 §8';
  return { code, rfc, message, ...extra };
}
