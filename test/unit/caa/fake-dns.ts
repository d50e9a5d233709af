// A map of names to CAA answers, for climbing without a network: each name has records, or an
// alias, and a DNSSEC state; names not in the map are NXDOMAIN (secure unless stated).
import type { CaaLookup, CaaLookupStep } from '../../../src/caa/climb.ts';
import type { Security } from '../../../src/dns/dnssec/problems.ts';

export interface FakeName {
  records?: string[];
  cname?: string;
  security?: Security;
  ttl?: number;
}

export function fakeLookup(zone: Record<string, FakeName>, defaults: { security?: Security } = {}): CaaLookup & { asked: string[] } {
  const asked: string[] = [];
  const norm = (n: string) => (n.endsWith('.') ? n : `${n}.`).toLowerCase();
  const entries = new Map(Object.entries(zone).map(([k, v]) => [norm(k), v]));
  const fn = async (name: string): Promise<CaaLookupStep> => {
    await Promise.resolve();
    asked.push(name);
    const aliases: string[] = [];
    let at = norm(name);
    let security: Security = defaults.security ?? 'secure';
    for (let hops = 0; hops < 8; hops++) {
      const e = entries.get(at);
      if (e?.security) security = e.security === 'secure' ? security : e.security;
      if (e?.cname) {
        aliases.push(`${at} CNAME ${norm(e.cname)}`);
        at = norm(e.cname);
        continue;
      }
      const problems = security === 'bogus' ? [{ code: 'rrsig.invalid', message: `${at} CAA: the signature does not verify` }] : security === 'indeterminate' ? [{ code: 'upstream.failed', message: `${at} CAA: SERVFAIL` }] : [];
      if (security === 'bogus' || security === 'indeterminate') return { name: norm(name), security, rcode: security === 'bogus' ? 'NOERROR' : 'SERVFAIL', aliases, records: [], problems };
      const records = e?.records ?? [];
      return {
        name: norm(name),
        security,
        rcode: e ? 'NOERROR' : 'NXDOMAIN',
        aliases,
        ...(records.length ? { owner: at, ttl: e?.ttl ?? 300, ...(security === 'secure' ? { originalTtl: e?.ttl ?? 300 } : {}) } : {}),
        records,
        ...(security === 'insecure' ? { insecureAt: at.split('.').slice(-3).join('.') } : {}),
        problems,
      };
    }
    throw new Error('alias loop');
  };
  return Object.assign(fn, { asked });
}
