// The TLSA RRset's operational lint (src/dane/tlsa-lint.ts) as report findings: named after the
// endpoints that use the RRset, with the records to add where keywatch can compute them from
// the chain the server sent (the issuer's 2 1 1 as rollover cover).
import { createHash } from 'node:crypto';
import type { Finding } from './finding.ts';
import type { TlsaLookup } from './tlsa-lookup.ts';
import { lintTlsa } from '../dane/tlsa-lint.ts';
import { certificateSpki, type DaneService } from '../dane/tlsa-match.ts';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** `3 1 1` of the leaf and `2 1 1` of its issuer (when the server sent it), as zone-file lines. */
export function tlsaLinesForChain(owner: string, chain: readonly Uint8Array[], ttl = 3600): string[] {
  const lines: string[] = [];
  const leaf = chain[0] && certificateSpki(chain[0]);
  if (leaf) lines.push(`${owner}. ${ttl} IN TLSA 3 1 1 ${sha256(leaf)}`);
  const issuer = chain[1] && certificateSpki(chain[1]);
  if (issuer) lines.push(`${owner}. ${ttl} IN TLSA 2 1 1 ${sha256(issuer)}`);
  return lines;
}

export interface TlsaRRsetUse {
  tlsa: Extract<TlsaLookup, { state: 'records' }>;
  service: DaneService;
  /** Labels of the endpoints that use this RRset. */
  endpoints: string[];
  /** A chain one of them sent, for computing records. */
  chain: readonly Uint8Array[] | undefined;
}

const hostOf = (owner: string) => owner.replace(/^_\d+\._tcp\./, '');

/**
 * Lint every RRset; the same finding on identical RRsets of one host (5222, 5223 and 5269 with
 * the same records) is reported once, naming every owner, with the records for each.
 */
export function tlsaLintFindings(uses: readonly TlsaRRsetUse[]): Finding[] {
  const groups = new Map<string, { lint: ReturnType<typeof lintTlsa>[number]; uses: TlsaRRsetUse[] }>();
  for (const u of uses) {
    for (const l of lintTlsa(u.tlsa.records, u.service)) {
      const key = `${l.code}\0${hostOf(u.tlsa.name)}\0${[...u.tlsa.text].sort().join('|')}`;
      const g = groups.get(key) ?? { lint: l, uses: [] };
      g.uses.push(u);
      groups.set(key, g);
    }
  }
  return [...groups.values()].map(({ lint: l, uses: us }): Finding => {
    const owners = us.map((u) => u.tlsa.name);
    const lines = (filter: (line: string) => boolean) => us.flatMap((u) => (u.chain?.[0] ? tlsaLinesForChain(u.tlsa.name, u.chain, u.tlsa.ttl || 3600).filter(filter) : []));
    let remediation: string | undefined;
    if (l.code === 'tlsa.no-rollover-cover' && us.some((u) => u.chain?.[1])) {
      remediation = `Add a DANE-TA record for the issuing CA (it keeps matching when the server key changes under the same CA; drop it if you switch CAs without notice):\n${lines((x) => / 2 1 1 /.test(x)).join('\n')}\nor publish the next key's 3 1 1 record at least two TTLs before deploying it.`;
    } else if (l.code === 'tlsa.cert-pin-fragile' && us.some((u) => u.chain?.[0])) {
      remediation = `Replace them with key pins:\n${lines(() => true).join('\n')}`;
    } else if (l.code === 'tlsa.pkix-usage-smtp' && us.some((u) => u.chain?.[0])) {
      remediation = `Publish DANE records instead:\n${lines(() => true).join('\n')}`;
    }
    return {
      code: l.code,
      severity: l.severity,
      title: `${owners.join(', ')}: ${l.message.split('. ')[0]!.replace(/\.$/, '')}`,
      detail: l.message,
      endpoints: [...new Set(us.flatMap((u) => u.endpoints))],
      evidence: { tlsaNames: owners, records: l.records },
      ...(remediation ? { remediation } : {}),
      rfc: l.rfc,
    };
  });
}
