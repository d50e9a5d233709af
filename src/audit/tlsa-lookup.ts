// Fetching one endpoint's TLSA RRset through the validator and saying what it is worth:
// usable records (secure), proven absent (secure denial), ignored (the zone is insecure, so a
// client must not use them — RFC 6698 §4.1, RFC 7672 §2.2), bogus, or not to be had.
import { decodeRdata, rdataFromString } from '../dns/rdata.ts';
import { RRType } from '../dns/types.ts';
import type { ValidationResult, Validator } from '../dns/dnssec/validator.ts';
import type { TlsaRecord } from '../dane/tlsa-match.ts';

export type TlsaLookup =
  | { name: string; state: 'records'; records: TlsaRecord[]; text: string[]; ttl: number }
  | { name: string; state: 'absent'; denial: string }
  | { name: string; state: 'insecure'; text: string[]; insecureAt?: string }
  | { name: string; state: 'bogus'; reason: string; problems: string[] }
  | { name: string; state: 'failed'; reason: string };

const bare = (n: string) => n.replace(/\.$/, '');

/** TLSA rdata text (`3 1 1 ab…`) to the matcher's record; undefined for what does not parse. */
export function parseTlsaText(text: string): TlsaRecord | undefined {
  try {
    const d = decodeRdata(RRType.TLSA, rdataFromString(RRType.TLSA, text));
    if (d?.type !== 'TLSA') return undefined;
    return { usage: d.usage, selector: d.selector, matchingType: d.matchingType, data: d.data };
  } catch {
    return undefined;
  }
}

export function tlsaFromValidation(name: string, r: ValidationResult): TlsaLookup {
  const set = r.answer.find((a) => a.type === 'TLSA' && bare(a.name).toLowerCase() === bare(name).toLowerCase());
  const text = set?.records ?? [];
  switch (r.security) {
    case 'bogus':
      return { name, state: 'bogus', reason: r.problems[0]?.message ?? 'DNSSEC validation failed', problems: r.problems.map((p) => p.code) };
    case 'indeterminate':
      return { name, state: 'failed', reason: r.problems[0]?.message ?? `the lookup failed (${r.rcode})` };
    case 'insecure':
      return { name, state: 'insecure', text, ...(r.insecureAt ? { insecureAt: r.insecureAt } : {}) };
    case 'secure': {
      if (text.length === 0) return { name, state: 'absent', denial: r.denial ?? r.rcode };
      const records = text.map(parseTlsaText).filter((x): x is TlsaRecord => x !== undefined);
      // The zone's TTL, not the cache's count-down: records to add must share the RRset's TTL.
      const ttl = set?.signatures.find((g) => g.status === 'valid')?.originalTtl ?? set?.ttl ?? 0;
      return { name, state: 'records', records, text, ttl };
    }
  }
}

/** One lookup per distinct owner name, in parallel; the validator shares its cache across them. */
export async function lookupTlsa(validator: Validator, names: readonly string[]): Promise<{ byName: Map<string, TlsaLookup>; lookups: ValidationResult[] }> {
  const unique = [...new Set(names)];
  const results = await Promise.all(unique.map((n) => validator.lookup(`${bare(n)}.`, RRType.TLSA)));
  const byName = new Map<string, TlsaLookup>();
  unique.forEach((n, i) => byName.set(n, tlsaFromValidation(n, results[i]!)));
  return { byName, lookups: results };
}
