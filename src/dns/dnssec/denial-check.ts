// Between the validator and the denial rules: turn the verified NSEC/NSEC3 RRsets of a response
// into the rules' input, pick the proof the question needs, and report the outcome.
import type { DnsName } from '../name.ts';
import { RRType } from '../types.ts';
import { proveNoData, proveNoDs, proveNxdomain, proveWildcardExpansion } from './denial.ts';
import type { DenialKind, DenialRecords, DenialResult, Nsec3RR, NsecRR } from './denial-result.ts';
import type { RRset } from './rrset.ts';

export interface DenialQuestion {
  qname: DnsName;
  qtype: number;
  nxdomain: boolean;
  /** For a wildcard-synthesised answer: the RRSIG Labels field (prove the exact name absent). */
  wildcardLabels?: number;
  /** Asking whether `qname` is an unsigned delegation (a DS that the parent proves absent). */
  delegation?: boolean;
}

export type DenialOutcome =
  | { ok: true; kind: DenialKind; by: string }
  | { ok: 'insecure'; reason: string }
  | { ok: false; code: `denial.${string}`; reason: string };

export function denialRecords(sets: readonly RRset[]): DenialRecords {
  const nsec: NsecRR[] = [];
  const nsec3: Nsec3RR[] = [];
  for (const s of sets) {
    for (const r of s.records) {
      const d = r.data;
      if (s.type === RRType.NSEC && d?.type === 'NSEC') nsec.push({ owner: r.name, next: d.nextDomain, types: new Set(d.types) });
      if (s.type === RRType.NSEC3 && d?.type === 'NSEC3') {
        nsec3.push({
          owner: r.name,
          hashAlgorithm: d.hashAlgorithm,
          optOut: d.optOut,
          iterations: d.iterations,
          salt: d.salt,
          nextHashed: d.nextHashedOwner,
          types: new Set(d.types),
          flags: d.flags,
        });
      }
    }
  }
  return { nsec, nsec3 };
}

/** Does this response's (already signature-checked) denial data prove what the question needs? */
export function provenDenial(q: DenialQuestion, zone: DnsName, verified: readonly RRset[]): DenialOutcome {
  const records = denialRecords(verified);
  let result: DenialResult;
  if (q.wildcardLabels !== undefined) result = proveWildcardExpansion(q.qname, q.wildcardLabels, zone, records);
  else if (q.delegation) result = proveNoDs(q.qname, zone, records);
  else if (q.nxdomain) result = proveNxdomain(q.qname, zone, records);
  else result = proveNoData(q.qname, q.qtype, zone, records);
  switch (result.status) {
    case 'secure':
      return { ok: true, kind: result.kind, by: result.summary };
    case 'insecure':
      return { ok: 'insecure', reason: result.reason };
    case 'bogus':
      return { ok: false, code: result.code, reason: result.reason };
  }
}
