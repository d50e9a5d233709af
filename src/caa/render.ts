// The CAA report as text: the climb (each lookup with its DNSSEC state), the records of the
// Relevant RRset explained, the verdict for the CA asked about, the findings worst first with
// their fixes, and the recommended records. Record text comes from DNS: control characters are
// escaped so a zone cannot rewrite the terminal.
import { ANSI, painter, safe, SEVERITY_COLOR, wrap } from '../audit/terminal-text.ts';
import type { Finding, Severity } from '../audit/finding.ts';
import type { Security } from '../dns/dnssec/problems.ts';
import type { Decision } from './evaluate.ts';
import type { CaaReport } from './report.ts';

export interface CaaRenderOptions {
  color: boolean;
}


export function renderCaaReport(r: CaaReport, o: CaaRenderOptions): string {
  const paint = painter(o.color);
  const sevColor = SEVERITY_COLOR;
  const secColor: Record<Security, number> = { secure: ANSI.green, insecure: ANSI.yellow, bogus: ANSI.red, indeterminate: ANSI.red };
  const sec = (s: Security) => paint(secColor[s], `${s === 'secure' ? '✔' : s === 'insecure' ? '!' : '✘'} ${s}`.padEnd(15));
  const lines: string[] = [];
  const head = (s: string) => lines.push('', paint(ANSI.bold, s));

  lines.push(paint(ANSI.bold, `keywatch caa ${r.domain}`) + paint(ANSI.dim, `  (CA ${r.request.ca}${r.request.accountUri ? `, account ${r.request.accountUri}` : ''}${r.request.validationMethods ? `, ${r.request.validationMethods.join(',')}` : ''})  ${r.startedAt}, ${r.durationMs} ms`));

  head('Relevant record set (RFC 8659 §3: the first CAA set found climbing from the name towards the root)');
  const width = Math.max(...r.climb.steps.map((s) => s.name.length), 10) + 2;
  for (const s of r.climb.steps) {
    const found = s.records.length ? paint(ANSI.bold, `${s.records.length} CAA record${s.records.length === 1 ? '' : 's'}${s.owner && s.owner !== s.name ? ` at ${s.owner}` : ''}`) : s.security === 'bogus' || s.security === 'indeterminate' ? (s.problems[0] ? `${s.problems[0].code}: ${safe(s.problems[0].message)}` : s.rcode) : `none (${s.rcode === 'NXDOMAIN' ? 'no such name' : 'no CAA'}${s.denial && s.security === 'secure' ? ', proven' : ''})`;
    lines.push(`  ${s.name.padEnd(width)}${sec(s.security)}${found}${s.insecureAt ? paint(ANSI.dim, `  unsigned below ${s.insecureAt}`) : ''}`);
    for (const a of s.aliases) lines.push(paint(ANSI.dim, `  ${''.padEnd(width)}  via ${safe(a)}`));
  }
  if (r.climb.state === 'none') lines.push(`  → no CAA record anywhere up to the top-level domain: any CA may issue`);
  if (r.climb.state === 'bogus') lines.push(paint(ANSI.red, '  → stopped: a bogus answer; validating CAs refuse to issue'));
  if (r.climb.state === 'failed') lines.push(paint(ANSI.red, '  → stopped: the lookup failed; keywatch cannot tell which records apply'));

  if (r.records.length) {
    const rel = r.climb.relevant!;
    head(`Records at ${rel.owner ?? rel.name} (TTL ${rel.originalTtl ?? rel.ttl ?? '?'}, ${rel.security})`);
    for (const rec of r.records) {
      lines.push(`  ${safe(rec.text)}`);
      for (const l of wrap(safe(rec.explanation), 88)) lines.push(paint(ANSI.dim, `      ${l}`));
    }
  }

  head(`Who may issue (for ${r.request.ca}${r.request.accountUri ? ', your account' : ''})`);
  const verdict = (d: Decision) => (d.allowed === null ? paint(ANSI.yellow, 'unknown') : d.allowed ? paint(ANSI.green, 'may issue') : paint(ANSI.red, 'may not issue'));
  for (const d of [r.evaluation.name, r.evaluation.wildcard]) {
    lines.push(`  ${d.name.padEnd(Math.max(r.evaluation.wildcard.name.length, 12) + 2)}${verdict(d)}`);
    for (const l of wrap(safe(d.explanation), 88)) lines.push(paint(ANSI.dim, `      ${l}`));
  }
  if (r.policy) {
    const cas = [...new Set([...r.policy.name.grants, ...r.policy.wildcard.grants].map((g) => g.ca))];
    lines.push(`  authorised CAs: ${r.policy.name.unrestricted ? 'any' : cas.join(', ') || 'none'}; pinned to an account: ${r.policy.pinned ? 'yes' : 'no'}; validation methods: ${r.policy.methods === 'any' ? 'any' : r.policy.methods.join(', ') || 'none'}`);
  }

  head(`Findings (${r.findings.length})`);
  if (!r.findings.length) lines.push(`  ${paint(ANSI.green, 'none')}`);
  for (const f of r.findings) lines.push(...renderFinding(f, (s) => paint(sevColor[s], s.toUpperCase().padEnd(8))));

  head(`Recommended CAA records${r.recommended.matchesPublished ? ': as published' : r.recommended.complete ? '' : ' (replace <ACCOUNT-URL> first)'}`);
  if (!r.recommended.matchesPublished) for (const rec of r.recommended.records) lines.push(`  ${safe(rec.line)}`, paint(ANSI.dim, `      ; ${safe(rec.why)}`));
  for (const n of r.recommended.notes) for (const [k, l] of wrap(safe(n), 90).entries()) lines.push(`  ${k === 0 ? '- ' : '  '}${l}`);
  // Shown once: a finding's fix may already have carried it.
  if (r.recommended.accountHelp && !r.findings.some((f) => f.remediation?.includes(r.recommended.accountHelp![0]!))) {
    lines.push('');
    for (const l of r.recommended.accountHelp) lines.push(`  ${safe(l)}`);
  }

  const color = r.status === 'ok' ? ANSI.green : r.status === 'warning' ? ANSI.yellow : r.status === 'critical' ? ANSI.red : ANSI.bold;
  lines.push('', paint(ANSI.bold, paint(color, safe(r.summary))));
  return lines.join('\n');
}

function renderFinding(f: Finding, sev: (s: Severity) => string): string[] {
  const out = ['', `  ${sev(f.severity)} ${f.code}`, `    ${safe(f.title)}`];
  for (const part of f.detail.split(' | ')) {
    const [first, ...rest] = wrap(safe(part), 92);
    if (first !== undefined) out.push(`    ${first}`, ...rest.map((l) => `      ${l}`));
  }
  if (f.remediation) {
    out.push('    Fix:');
    for (const line of safe(f.remediation).split('\n')) out.push(`      ${line}`);
  }
  if (f.rfc) out.push(`    (${f.rfc})`);
  return out;
}
