// The Relevant RRset (RFC 8659 §3): look up CAA at the name, then at each parent, up to but not
// including the root; the first non-empty CAA RRset is the one every CA applies. Each lookup
// follows CNAMEs as ordinary DNS resolution does ("in particular, chasing aliases"), but the
// climb continues from the *queried* name's parent, never the alias target's: RFC 6844's
// climbing of CNAME targets is gone.
//
// The lookup is a parameter, so tests climb a map of names and the CLI climbs through keywatch's
// own DNSSEC validator; every step carries its security state. A bogus step stops the climb (a
// validating CA gets SERVFAIL there and must not issue); so does a lookup that fails, because the
// records it might have returned could restrict issuance.
import { parentName, parseName, nameToString } from '../dns/name.ts';
import { RRType } from '../dns/types.ts';
import { worseSecurity, type Security } from '../dns/dnssec/problems.ts';
import type { ValidationResult } from '../dns/dnssec/validator.ts';

export interface CaaLookupStep {
  /** The name queried, absolute (trailing dot). */
  name: string;
  security: Security;
  rcode: string;
  /** Aliases followed, in order, as "owner CNAME target" (or DNAME). */
  aliases: string[];
  /** Owner of the CAA RRset found: the queried name, or the end of its alias chain. */
  owner?: string;
  /** The CAA rdata in presentation form; empty when there is none. */
  records: string[];
  /** TTL as served (a cache counts it down). */
  ttl?: number;
  /** TTL the zone gives the RRset, from a valid RRSIG (RFC 4034 §3.1.4); absent when unsigned. */
  originalTtl?: number;
  insecureAt?: string;
  /** The proven negative answer (NODATA/NXDOMAIN and how), when DNSSEC proved it. */
  denial?: string;
  problems: Array<{ code: string; message: string; rfc?: string }>;
}

/** Look up the CAA RRset at one absolute name. Should not throw; a throw counts as a failed lookup. */
export type CaaLookup = (name: string) => Promise<CaaLookupStep>;

export type ClimbState = 'found' | 'none' | 'bogus' | 'failed';

export interface CaaClimb {
  /** The name whose Relevant RRset this is, absolute, without a wildcard label. */
  name: string;
  state: ClimbState;
  steps: CaaLookupStep[];
  /** The step where the RRset was found. */
  relevant?: CaaLookupStep;
  /** The weakest security of the steps taken: any of them could have been forged to change the outcome. */
  security: Security;
}

/** `*.example.org` → `example.org.` and wildcard: the Relevant RRset of *.X is that of X (RFC 8659 §3). */
export function baseName(domain: string): { name: string; wildcard: boolean } {
  const wildcard = domain.startsWith('*.');
  const name = nameToString(parseName(wildcard ? domain.slice(2) : domain));
  return { name, wildcard };
}

export async function findRelevantCaa(domain: string, lookup: CaaLookup): Promise<CaaClimb> {
  const start = parseName(baseName(domain).name);
  const steps: CaaLookupStep[] = [];
  let security: Security = 'secure';
  for (let name = start; name.labels.length > 0; name = parentName(name)!) {
    const text = nameToString(name);
    let step: CaaLookupStep;
    try {
      step = await lookup(text);
    } catch (e) {
      step = { name: text, security: 'indeterminate', rcode: 'NONE', aliases: [], records: [], problems: [{ code: 'upstream.failed', message: (e as Error).message }] };
    }
    steps.push(step);
    security = worseSecurity(security, step.security);
    const base = { name: nameToString(start), steps, security };
    if (step.security === 'bogus') return { ...base, state: 'bogus' };
    if (step.security === 'indeterminate') return { ...base, state: 'failed' };
    if (step.records.length > 0) return { ...base, state: 'found', relevant: step };
  }
  return { name: nameToString(start), state: 'none', steps, security };
}

/** One climb step from a validator lookup: the CAA RRset at the end of any alias chain. */
export function stepFromValidation(r: ValidationResult): CaaLookupStep {
  const caa = r.answer.filter((a) => a.type === 'CAA');
  const last = caa[caa.length - 1];
  const originalTtl = last?.signatures.find((s) => s.status === 'valid')?.originalTtl;
  return {
    name: r.name,
    security: r.security,
    rcode: r.rcode,
    aliases: r.answer.filter((a) => a.type === 'CNAME' || a.type === 'DNAME').map((a) => `${a.name} ${a.type} ${a.records[0] ?? ''}`),
    ...(last ? { owner: last.name, ttl: last.ttl } : {}),
    ...(originalTtl !== undefined ? { originalTtl } : {}),
    records: last?.records ?? [],
    ...(r.insecureAt ? { insecureAt: r.insecureAt } : {}),
    ...(r.denial ? { denial: r.denial } : {}),
    problems: r.problems.map((p) => ({ code: p.code, message: p.message, rfc: p.rfc })),
  };
}

/** Climb through keywatch's validator (anything with its `lookup`). */
export function validatorLookup(v: { lookup(name: string, type: number): Promise<ValidationResult> }): CaaLookup {
  return async (name) => stepFromValidation(await v.lookup(name, RRType.CAA));
}
