// The check Report as text for a terminal: DNSSEC first, then one block per endpoint (what it
// presented and how it matched), then the findings worst first with their remediation, then the
// summary line. Everything a server sent (certificate subjects, banners) is attacker-controlled:
// control characters are escaped so a certificate cannot rewrite the terminal.
import type { Finding, Severity } from './finding.ts';
import type { EndpointReport, Report } from './report.ts';
import type { StreamIdRun } from './stream-ids.ts';
import { ANSI, painter, safe, SEVERITY_COLOR, wrap } from './terminal-text.ts';

export interface RenderOptions {
  color: boolean;
  /** Show every DNS lookup and all record results, not just the interesting ones. */
  verbose?: boolean;
}


export function renderReport(r: Report, o: RenderOptions): string {
  const paint = painter(o.color);
  const sev = (s: Severity) => paint(SEVERITY_COLOR[s], s.toUpperCase().padEnd(8));
  const lines: string[] = [];
  const head = (s: string) => lines.push('', paint(ANSI.bold, s));

  lines.push(paint(ANSI.bold, `keywatch check ${r.domain} (${r.service})`) + paint(ANSI.dim, `  ${r.startedAt}, ${r.durationMs} ms`));

  head('DNSSEC');
  const shown = o.verbose ? r.dnssec : r.dnssec.filter((d) => d.security !== 'secure' || d.type === 'SRV' || d.type === 'MX' || d.type === 'TLSA');
  for (const d of shown) {
    const state = d.security === 'secure' ? paint(ANSI.green, 'secure') : d.security === 'bogus' ? paint(ANSI.red, 'bogus') : paint(ANSI.yellow, d.security);
    const extra = d.insecureAt ? ` (unsigned below ${d.insecureAt})` : d.problems[0] ? ` (${d.problems[0].code}: ${safe(d.problems[0].message)})` : d.rcode !== 'NOERROR' ? ` (${d.rcode})` : '';
    lines.push(`  ${d.name} ${d.type}: ${state}${extra}`);
  }
  if (shown.length < r.dnssec.length) lines.push(paint(ANSI.dim, `  (${r.dnssec.length - shown.length} more secure lookups; --verbose lists them)`));

  head(`Endpoints (${r.endpoints.length})`);
  if (r.endpoints.length === 0) lines.push('  none found');
  for (const e of r.endpoints) lines.push(...renderEndpoint(e, r.findings, paint, o));

  if (r.streamIds?.length) {
    head('Stream ids');
    for (const run of r.streamIds) lines.push(...renderStreamIds(run, r.findings, paint));
  }

  head(`Findings (${r.findings.length})`);
  if (r.findings.length === 0) lines.push(`  ${paint(ANSI.green, 'none')}: every endpoint presents a published key over a secure DNSSEC path`);
  for (const f of r.findings) lines.push(...renderFinding(f, sev));

  lines.push('', paint(ANSI.bold, r.status === 'ok' ? paint(ANSI.green, r.summary) : r.status === 'warning' ? paint(ANSI.yellow, r.summary) : r.status === 'unknown' ? r.summary : paint(ANSI.red, r.summary)));
  return lines.join('\n');
}

function renderEndpoint(e: EndpointReport, findings: readonly Finding[], paint: (c: number, s: string) => string, o: RenderOptions): string[] {
  const out: string[] = [''];
  const how = e.protocol.startsWith('xmpps') || ['imaps', 'pop3s', 'https', 'tls'].includes(e.protocol) ? 'direct TLS' : 'STARTTLS';
  out.push(`  ${paint(ANSI.bold, e.label)}  ${e.service} ${how}${e.source === 'srv' ? ` (SRV ${e.priority} ${e.weight})` : e.source === 'mx' ? ` (MX ${e.priority})` : ` (${e.source})`}`);
  if (e.refused) {
    out.push(`    not probed: ${e.refused}`);
    return out;
  }
  const p = e.probe;
  if (!p) return out;
  if (p.starttls && 'required' in p.starttls) out.push(`    STARTTLS ${p.starttls.offered ? (p.starttls.required ? 'offered, required' : 'offered, not required') : 'not offered'}`);
  if (!p.ok) out.push(`    ${paint(ANSI.red, `failed at ${p.stage ?? '?'}`)}: ${safe(p.error?.message ?? '')}`);
  if (p.tls) {
    const t = p.tls;
    out.push(`    ${t.version} ${t.cipher}${t.alpn ? ` ALPN ${t.alpn}` : ''}, ${t.chain.length} certificate${t.chain.length === 1 ? '' : 's'} sent`);
    out.push(`    key ${t.leaf.keyType} SPKI SHA-256 ${t.leaf.spkiSha256}`);
    out.push(`    subject ${safe(t.leaf.subject.replaceAll('\n', ', '))}; issuer ${safe(t.leaf.issuer.replaceAll('\n', ', '))}; valid until ${t.leaf.notAfter}`);
    out.push(`    PKIX (${t.pkix.anchors}): ${t.pkix.valid ? paint(ANSI.green, 'valid') : paint(ANSI.red, `invalid: ${safe(t.pkix.reason ?? '')}`)}`);
  }
  if (!e.dane.applies) out.push(`    DANE: not applicable: ${e.dane.reason}`);
  else if (e.tlsa) {
    const t = e.tlsa;
    const v = e.daneVerdict;
    const state =
      t.state === 'records'
        ? v
          ? v.verdict === 'match'
            ? paint(ANSI.green, `match (${v.matchedBy?.slice(0, 24)}…)`)
            : paint(ANSI.red, v.verdict)
          : 'not matched (no certificate)'
        : t.state === 'absent'
          ? paint(ANSI.yellow, 'no TLSA records (proven absent)')
          : paint(ANSI.red, t.state);
    out.push(`    TLSA ${t.name}: ${state}`);
    if (v && (o.verbose || v.verdict !== 'match')) for (const rr of v.results) out.push(paint(ANSI.dim, `      ${rr.record.slice(0, 30)}… ${rr.status}${rr.reason ? `: ${rr.reason}` : ''}`));
  }
  for (const k of e.keyTypes ?? []) {
    if (k.outcome !== 'served' || k.spkiSha256 === p.tls?.leaf.spkiSha256) continue;
    out.push(`    also serves ${k.family} key ${k.spkiSha256}${k.dane ? ` (TLSA: ${k.dane})` : ''}`);
  }
  if (e.anonymous?.outcome === 'accepted') out.push(`    ${paint(ANSI.red, `accepts anonymous suites: ${e.anonymous.cipher ?? '?'} (${e.anonymous.version ?? '?'})`)}`);
  if (p.features) {
    const f = p.features;
    out.push(`    SASL ${f.mechanisms.join(' ') || '(none)'}${f.channelBindings.length ? `; channel binding ${f.channelBindings.join(' ')}` : ''}${f.sasl2 ? '; SASL2' : ''}${f.dialback ? '; dialback' : ''}${f.names.some((n) => n.includes('urn:xmpp:features:bidi')) ? '; bidi' : ''}`);
  }
  out.push(...renderSasl(e, paint));
  const mine = findings.filter((f) => f.endpoints.includes(e.label));
  if (mine.length) out.push(`    findings: ${mine.map((f) => f.code).join(', ')}`);
  return out;
}

/** SASL under the other TLS versions, the binding types asked about, and the canary's logins. */
function renderSasl(e: EndpointReport, paint: (c: number, s: string) => string): string[] {
  const s = e.sasl;
  if (!s) return [];
  const out: string[] = [];
  if (s.beforeTls?.length) out.push(`    SASL before TLS: ${safe(s.beforeTls.join(' '))}`);
  for (const o of s.offers.slice(1)) out.push(`    SASL under ${o.tlsVersion}: ${safe(o.mechanisms.join(' ') || '(none)')}${o.channelBindings ? `; channel binding ${safe(o.channelBindings.join(' '))}` : ''}`);
  for (const r of s.probeRuns) out.push(`    binding types asked under ${r.tlsVersion} without a password: ${r.error ? safe(r.error) : r.probes.map((x) => `${x.subject} ${x.verdict}`).join(', ')}`);
  for (const a of s.canary?.attempts ?? []) {
    const r = a.result;
    const what = `${a.tlsVersion} ${a.mechanism} ${a.bindingType ?? `${a.gs2},,`}`;
    const how =
      r.outcome === 'success'
        ? paint(ANSI.green, 'logged in, server signature verified')
        : r.outcome === 'failure'
          ? `${r.stage === 'client-final' && a.purpose === 'bind' ? paint(ANSI.red, 'refused at the proof') : `refused at ${r.stage}`}: ${safe(r.failure.condition)}${r.failure.text ? ` "${safe(r.failure.text)}"` : ''}${r.serverError ? ` e=${safe(r.serverError)}` : ''}`
          : paint(ANSI.red, `${r.outcome}${'message' in r ? `: ${safe(r.message)}` : ''}`);
    out.push(`    canary ${what}: ${how}`);
  }
  for (const err of s.canary?.errors ?? []) out.push(paint(ANSI.dim, `    canary: ${safe(err)}`));
  return out;
}

/** One host and role: where the ids came from, the statistics, and what was flagged (or "no weakness seen"). */
function renderStreamIds(run: StreamIdRun, findings: readonly Finding[], paint: (c: number, s: string) => string): string[] {
  const s = run.stats;
  const c = run.collection;
  const from = [c ? `${c.connections} fresh connection${c.connections === 1 ? '' : 's'} to ${c.endpoint}` : '', run.fromProbes ? `${run.fromProbes} from the probes` : ''].filter(Boolean).join(', ');
  const shape = s.layout === 'uuid' ? `UUID v${(s.uuidVersions ?? []).join('/v')}` : `${s.layout} (${s.alphabet.name}, ${s.alphabet.bitsPerChar} bits/char)`;
  const out = [`  ${paint(ANSI.bold, `${run.host} ${run.role}`)}: ${s.count} id${s.count === 1 ? '' : 's'} (${from || 'none'})`];
  if (s.count) {
    out.push(`    ${shape}, ${s.length.min === s.length.max ? s.length.min : `${s.length.min}-${s.length.max}`} characters, about ${s.apparentBits} bits apparent entropy (${s.method}), ${s.repeats.length ? paint(ANSI.red, `${s.repeats.length} repeated`) : 'no repeats'}${s.commonPrefix ? `, common prefix "${safe(s.commonPrefix)}"` : ''}`);
    out.push(paint(ANSI.dim, `    e.g. ${run.ids.slice(-2).map((x) => safe(x)).join(', ')}`));
  }
  if (c?.failures.length) out.push(`    ${c.failures.length} connection${c.failures.length === 1 ? '' : 's'} failed: ${safe(c.failures[0]!.message)}`);
  const mine = findings.filter((f) => f.code.startsWith('xmpp.stream-id-') && run.endpoints.some((e) => f.endpoints.includes(e)) && f.title.startsWith(`${run.host} (${run.role})`));
  out.push(mine.length ? `    flagged: ${mine.map((f) => f.code).join(', ')}` : `    ${paint(ANSI.green, 'no weakness seen')}${s.count < 4 ? ' (too few ids for statistics)' : ''}`);
  return out;
}

function renderFinding(f: Finding, sev: (s: Severity) => string): string[] {
  const out = ['', `  ${sev(f.severity)} ${f.code}`, `    ${safe(f.title)}`];
  for (const line of wrap(safe(f.detail), 92)) out.push(`    ${line}`);
  if (f.remediation) {
    out.push('    Fix:');
    for (const line of safe(f.remediation).split('\n')) out.push(`      ${line}`);
  }
  if (f.rfc) out.push(`    (${f.rfc})`);
  return out;
}

