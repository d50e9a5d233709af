// What the denial-of-existence rules take and give back: the NSEC/NSEC3 records as the rules need
// them, the result of one proof (secure, insecure or bogus, with the evidence or the reason), and
// the stable codes. The rules themselves live in denial-nsec.ts and denial-nsec3.ts; denial.ts is
// the entry point the validator calls.
//
// Every record handed in here must already have a verified RRSIG from the zone named `zone`: these
// functions decide only whether the records *prove* the claim, never whether they are authentic.

import { nameToString, type DnsName } from '../name.ts';
import { typeToString } from '../types.ts';
import type { Security } from './problems.ts';

/** An NSEC record (RFC 4034 §4): the owner, the next owner in canonical order, the types present. */
export interface NsecRR {
  owner: DnsName;
  next: DnsName;
  types: ReadonlySet<number>;
}

/** An NSEC3 record (RFC 5155 §3): the owner is `<base32hex hash>.<zone>`. */
export interface Nsec3RR {
  owner: DnsName;
  hashAlgorithm: number;
  optOut: boolean;
  iterations: number;
  salt: Uint8Array;
  /** The raw next hashed owner name (20 octets for SHA-1). */
  nextHashed: Uint8Array;
  types: ReadonlySet<number>;
  /**
   * The whole Flags field, when the caller has it. RFC 5155 §8.2: a validator MUST ignore NSEC3
   * records whose flags are anything but 0 or 1; records with other flags are skipped here.
   */
  flags?: number;
}

/** The denial records of one response, all signed by one zone. Normally only one kind is present. */
export interface DenialRecords {
  nsec?: readonly NsecRR[];
  nsec3?: readonly Nsec3RR[];
}

export interface DenialOptions {
  /**
   * NSEC3 iteration counts above this make the proof `insecure` (RFC 9276 §3.2), without hashing.
   * Default 150 — the figure large resolvers settled on (BIND, Knot, PowerDNS); some resolvers go
   * further and treat counts above 500 as bogus, keywatch does not.
   */
  maxIterations?: number;
}

export const DEFAULT_MAX_NSEC3_ITERATIONS = 150;

/** What a secure (or insecure) proof established. */
export type DenialKind =
  | 'nodata' // the name exists, the type does not (RFC 4035 §5.4, RFC 5155 §8.5/§8.6)
  | 'empty-non-terminal' // the name exists only because names below it exist (RFC 5155 §7.2.3)
  | 'wildcard-nodata' // the name does not exist; the wildcard that would match lacks the type (RFC 5155 §8.7)
  | 'nxdomain' // neither the name nor a matching wildcard exists (RFC 4035 §5.4, RFC 5155 §8.4)
  | 'no-ds' // the parent delegates without DS: the child is unsigned (RFC 4035 §5.2, RFC 6840 §4.4)
  | 'wildcard-expansion'; // the answer's own name does not exist, so the wildcard applied (RFC 4035 §5.3.4, RFC 5155 §8.8)

/** The part one record plays in a proof. */
export type ProofRole =
  | 'qname-match' // the record is at the name itself; its type bitmap is what counts
  | 'qname-cover' // the record's span contains the name: the name does not exist
  | 'empty-non-terminal' // the span contains the name and ends below it: an empty non-terminal
  | 'closest-encloser' // NSEC3 matching the closest (provable) encloser
  | 'next-closer-cover' // NSEC3 covering the next closer name
  | 'wildcard-match' // the record at the wildcard `*.<closest encloser>`
  | 'wildcard-cover'; // the record proving that the wildcard does not exist

export interface ProofStep {
  role: ProofRole;
  /** The name this step is about (the query name, the wildcard, the next closer name…). */
  name: DnsName;
  /** NSEC3 only: the base32hex hash of `name`. */
  hash?: string;
  record: NsecRR | Nsec3RR;
  /** One sentence for people, e.g. "NSEC b.example. → ns1.example. covers ml.example.". */
  text: string;
}

export interface DenialEvidence {
  method: 'nsec' | 'nsec3';
  steps: ProofStep[];
  closestEncloser?: DnsName;
  nextCloser?: DnsName;
  wildcard?: DnsName;
  /** NSEC3 only: the parameter set the proof used (salt in hex, "" when empty). */
  nsec3?: { hashAlgorithm: number; iterations: number; salt: string };
}

/**
 * Stable codes with the RFC sections they come from. Failures (bogus), the two insecure outcomes,
 * and warnings (attached to any result) share one table so the docs can list them together.
 */
export const DENIAL_RFC = {
  // bogus
  'denial.no-records': 'RFC 4035 §5.4, RFC 5155 §8',
  'denial.out-of-zone': 'RFC 4035 §5.4',
  'denial.wrong-zone': 'RFC 4035 §5.3.1, RFC 5155 §8.1',
  'denial.nsec-no-cover': 'RFC 4035 §5.4',
  'denial.name-exists': 'RFC 4035 §5.4, RFC 5155 §8.4',
  'denial.type-present': 'RFC 4035 §5.4, RFC 5155 §8.5–8.7',
  'denial.no-match': 'RFC 4035 §5.4, RFC 5155 §8.5–8.7',
  'denial.wildcard-not-denied': 'RFC 4035 §5.4, RFC 4592 §4.1, RFC 5155 §8.4',
  'denial.wildcard-mismatch': 'RFC 4035 §5.3.4, RFC 4592 §3.3.1',
  'denial.wildcard-bad-source': 'RFC 4035 §5.3.4, RFC 4034 §3.1.3',
  'denial.ancestor-delegation': 'RFC 6840 §4.1, RFC 5155 §8.3',
  'denial.not-delegation': 'RFC 6840 §4.4, RFC 4035 §5.2',
  'denial.child-apex': 'RFC 6840 §4.4, RFC 4035 §5.2',
  'denial.nsec3-no-closest-encloser': 'RFC 5155 §8.3',
  'denial.nsec3-no-cover': 'RFC 5155 §8.3, §8.8',
  'denial.nsec3-unknown-algorithm': 'RFC 5155 §8.1',
  'denial.nsec3-mixed-params': 'RFC 5155 §7.2, §8.2',
  // insecure
  'denial.optout-insecure': 'RFC 5155 §6, §8.6, §9.2, §12.2',
  'denial.nsec3-iterations': 'RFC 9276 §3.2',
  // warnings
  'denial.ignored-record': 'RFC 5155 §8.1–8.2, RFC 4035 §5.3.1',
  'denial.nsec3-salt': 'RFC 9276 §3.1',
  'denial.nsec3-iterations-nonzero': 'RFC 9276 §3.1',
  'denial.ds-child-apex': 'RFC 4035 §3.1.4.1, RFC 6840 §4.4',
} as const;

export type DenialCode = keyof typeof DENIAL_RFC;
export type DenialInsecureCode = 'denial.optout-insecure' | 'denial.nsec3-iterations';
export type DenialWarningCode =
  | 'denial.ignored-record'
  | 'denial.nsec3-salt'
  | 'denial.nsec3-iterations-nonzero'
  | 'denial.ds-child-apex'
  | 'denial.nsec3-mixed-params';
export type DenialBogusCode = Exclude<DenialCode, DenialInsecureCode | Exclude<DenialWarningCode, 'denial.nsec3-mixed-params'>>;

export interface DenialWarning {
  code: DenialWarningCode;
  text: string;
}

export interface DenialSecure {
  status: 'secure';
  proven: true;
  kind: DenialKind;
  /** One line for people: what was proven and by which records. */
  summary: string;
  evidence: DenialEvidence;
  warnings: DenialWarning[];
}

/**
 * The records are authentic but cannot make the answer secure: an Opt-Out span (an unsigned
 * delegation could hide there) or an NSEC3 iteration count over the limit. For `proveNoDs` both
 * still mean "the child is not signed": the validator treats the child as insecure.
 */
export interface DenialInsecure {
  status: 'insecure';
  proven: false;
  code: DenialInsecureCode;
  reason: string;
  /** What the records would have proven, with the evidence (absent for the iteration limit). */
  kind?: DenialKind;
  evidence?: DenialEvidence;
  warnings: DenialWarning[];
}

export interface DenialBogus {
  status: 'bogus';
  proven: false;
  code: DenialBogusCode;
  reason: string;
  warnings: DenialWarning[];
}

export type DenialResult = DenialSecure | DenialInsecure | DenialBogus;

// Compile-time check that the statuses are the validator's own words.
const _statusCheck: DenialResult['status'] extends Security ? true : never = true;
void _statusCheck;

// ---------------------------------------------------------------------------------------------
// Builders shared by the NSEC and NSEC3 rules.

export function secure(kind: DenialKind, summary: string, evidence: DenialEvidence, warnings: DenialWarning[] = []): DenialSecure {
  return { status: 'secure', proven: true, kind, summary, evidence, warnings };
}

export function bogus(code: DenialBogusCode, reason: string, warnings: DenialWarning[] = []): DenialBogus {
  return { status: 'bogus', proven: false, code, reason, warnings };
}

export function insecure(
  code: DenialInsecureCode,
  reason: string,
  proof?: { kind: DenialKind; evidence: DenialEvidence },
  warnings: DenialWarning[] = [],
): DenialInsecure {
  return { status: 'insecure', proven: false, code, reason, ...(proof ? { kind: proof.kind, evidence: proof.evidence } : {}), warnings };
}

/** Prefers secure over insecure over bogus (used when several record sets were tried). */
export function rank(result: DenialResult): number {
  return result.status === 'secure' ? 0 : result.status === 'insecure' ? 1 : 2;
}

export function withWarnings<T extends DenialResult>(result: T, warnings: readonly DenialWarning[]): T {
  if (warnings.length === 0) return result;
  return { ...result, warnings: [...warnings, ...result.warnings] };
}

/** Presentation form for reasons. */
export const show = nameToString;

/** A type bitmap as mnemonics, e.g. "A RRSIG NSEC". */
export function typeList(types: ReadonlySet<number>): string {
  if (types.size === 0) return '(no types)';
  return [...types]
    .sort((a, b) => a - b)
    .map(typeToString)
    .join(' ');
}
