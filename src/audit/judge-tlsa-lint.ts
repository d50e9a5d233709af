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

export function tlsaLintFindings(tlsa: Extract<TlsaLookup, { state: 'records' }>, service: DaneService, endpoints: string[], chain: readonly Uint8Array[] | undefined): Finding[] {
  return lintTlsa(tlsa.records, service).map((l): Finding => {
    let remediation: string | undefined;
    if (l.code === 'tlsa.no-rollover-cover' && chain?.[1]) {
      const ta = tlsaLinesForChain(tlsa.name, chain, tlsa.ttl || 3600).filter((x) => / 2 1 1 /.test(x));
      remediation = `Add a DANE-TA record for the issuing CA (it keeps matching when the server key changes under the same CA; drop it if you switch CAs without notice):\n${ta.join('\n')}\nor publish the next key's 3 1 1 record at least two TTLs before deploying it.`;
    } else if (l.code === 'tlsa.cert-pin-fragile' && chain?.[0]) {
      remediation = `Replace them with key pins:\n${tlsaLinesForChain(tlsa.name, chain, tlsa.ttl || 3600).join('\n')}`;
    } else if (l.code === 'tlsa.pkix-usage-smtp' && chain?.[0]) {
      remediation = `Publish DANE records instead:\n${tlsaLinesForChain(tlsa.name, chain, tlsa.ttl || 3600).join('\n')}`;
    }
    return {
      code: l.code,
      severity: l.severity,
      title: `${tlsa.name}: ${l.message.split('. ')[0]!.replace(/\.$/, '')}`,
      detail: l.message,
      endpoints,
      evidence: { tlsaName: tlsa.name, records: l.records },
      ...(remediation ? { remediation } : {}),
      rfc: l.rfc,
    };
  });
}
