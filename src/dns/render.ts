// Text rendering of a validation result: the answer, its security state, and the chain of trust
// one zone per line, so an admin sees at a glance which link holds and which breaks.
import type { ChainLink, ValidationResult } from './dnssec/validator.ts';
import type { SigView } from './dnssec/rrset.ts';
import { algorithmToString, digestTypeToString } from './types.ts';

const MARK: Record<string, string> = { secure: '✔ secure', insecure: '○ insecure', bogus: '✘ bogus', indeterminate: '? indeterminate' };

const day = (iso: string) => iso.slice(0, 10);

function sigLine(s: SigView): string {
  const state = s.status === 'valid' ? 'valid' : s.status.replace(/-/g, ' ');
  return `RRSIG by ${s.signer} key ${s.keyTag} (${algorithmToString(s.algorithm)}) ${day(s.inception)} → ${day(s.expiration)}: ${state}`;
}

function linkLines(l: ChainLink): string[] {
  const out = [`  ${l.zone.padEnd(24)} ${MARK[l.security] ?? l.security}  (${describeVia(l)})`];
  for (const d of l.ds) {
    out.push(`      DS ${d.keyTag} ${algorithmToString(d.algorithm)} ${digestTypeToString(d.digestType)}: ${d.status.replace(/-/g, ' ')}`);
  }
  for (const k of l.dnskeys) {
    out.push(`      DNSKEY ${k.keyTag} ${k.role} ${algorithmToString(k.algorithm)}${k.matchedByDs ? ' ← trusted by DS/anchor' : ''}`);
  }
  for (const s of l.dnskeySignatures) out.push(`      DNSKEY ${sigLine(s)}`);
  return out;
}

function describeVia(l: ChainLink): string {
  switch (l.via) {
    case 'trust-anchor':
      return 'trust anchor';
    case 'ds':
      return 'DS at the parent, signed';
    case 'no-ds':
      return 'the parent proves there is no DS: unsigned delegation';
    case 'parent-insecure':
      return 'below an unsigned delegation';
    case 'failed':
      return 'chain broken here';
  }
}

export function renderValidation(r: ValidationResult): string {
  const lines: string[] = [];
  lines.push(`${r.name} ${r.type}: ${MARK[r.security] ?? r.security}${r.insecureAt ? ` (no DNSSEC below ${r.insecureAt})` : ''}`);
  lines.push(`  response: ${r.rcode}${r.denial ? `, ${r.denial}` : ''}`);
  for (const set of r.answer) {
    lines.push(`  ${set.name} ${set.ttl} ${set.type} (${set.security}${set.zone ? `, zone ${set.zone}` : ''})`);
    for (const rec of set.records) lines.push(`      ${rec}`);
    for (const s of set.signatures) lines.push(`      ${sigLine(s)}`);
  }
  if (r.chain.length) {
    lines.push('', 'chain of trust:');
    for (const l of r.chain) lines.push(...linkLines(l));
  }
  if (r.problems.length) {
    lines.push('', 'problems:');
    for (const p of r.problems) lines.push(`  [${p.code}] ${p.message} (${p.rfc})`);
  }
  if (r.ede.length) {
    lines.push('', 'the resolver said (Extended DNS Errors, RFC 8914):');
    for (const e of r.ede) lines.push(`  EDE ${e.code}${e.text ? `: ${e.text}` : ''}`);
  }
  return lines.join('\n');
}
