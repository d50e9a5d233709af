// CAA findings (codes `caa.*`, docs/FINDINGS.md): what the Relevant RRset lets CAs do, how its
// lookups were secured, and every record that does not say what its author meant. Each finding
// above info carries the zone-file lines that fix it.
import type { Finding, Severity } from '../audit/finding.ts';
import { bySeverity } from '../audit/finding.ts';
import type { CaaClimb } from './climb.ts';
import type { CaaPolicy, Decision, IssuanceRequest } from './evaluate.ts';
import { DEFAULT_TTL, type Recommendation } from './recommend.ts';
import { quoteCaaValue, type CaaProperty, type RecordNoteCode } from './record.ts';

export interface JudgeInput {
  /** The domain, without the final dot. */
  domain: string;
  climb: CaaClimb;
  props: readonly CaaProperty[];
  policy?: CaaPolicy;
  request: IssuanceRequest & { wildcard: boolean };
  /** The request named a CA, account or method: a refusal is then an error (renewals fail). */
  explicit: boolean;
  decisions: { name: Decision; wildcard: Decision };
  recommendation: Recommendation;
}

const JABBER_RU =
  'In 2023 the hosting provider of jabber.ru intercepted its XMPP traffic with valid Let\'s Encrypt certificates it had obtained by answering the HTTP-01 challenges itself, on the traffic it intercepted. CAA with accounturi (RFC 8657 §3) limits issuance to your own ACME account: such an interceptor would also have needed your account key.';

const INTERCEPTABLE = new Set(['http-01', 'tls-alpn-01']);

function finding(code: string, severity: Severity, title: string, detail: string, evidence: Record<string, unknown>, remediation?: string, rfc?: string): Finding {
  return { code, severity, title, detail, endpoints: [], evidence, ...(remediation ? { remediation } : {}), ...(rfc ? { rfc } : {}) };
}

/** A zone-file line for a new value (quoted here) or a published one (`"${p.value}"`, already escaped). */
function zoneLine(owner: string, ttl: number, flags: number, tag: string, value: string, quoted = false): string {
  return `${owner} ${ttl} IN CAA ${flags} ${tag} ${quoted ? value : quoteCaaValue(value)}`;
}

const NOTE_FINDING: Record<RecordNoteCode, { code: string; severity: Severity; title: string; rfc: string }> = {
  malformed: { code: 'caa.malformed', severity: 'error', title: 'CAA records outside the RFC 8659 grammar authorise no CA', rfc: 'RFC 8659 §4.1, §4.2' },
  'accounturi-invalid': { code: 'caa.accounturi-invalid', severity: 'error', title: 'CAA records with an unusable accounturi authorise nobody', rfc: 'RFC 8657 §3' },
  'validationmethods-invalid': { code: 'caa.validationmethods-invalid', severity: 'error', title: 'CAA records with an unusable validationmethods authorise nobody', rfc: 'RFC 8657 §4, §5.8' },
  'validationmethods-unknown': { code: 'caa.validationmethods-unknown', severity: 'info', title: 'validationmethods names methods CAs do not know', rfc: 'RFC 8657 §4' },
  'not-lowercase': { code: 'caa.not-lowercase', severity: 'warning', title: 'CAA names not in lower case: Let\'s Encrypt compares them exactly', rfc: 'RFC 8659 §4.2, RFC 8657 §3–4' },
  'reserved-flags': { code: 'caa.reserved-flags', severity: 'warning', title: 'CAA records set reserved flag bits', rfc: 'RFC 8659 §4.1' },
  'iodef-invalid': { code: 'caa.iodef-invalid', severity: 'warning', title: 'An iodef record holds no usable mailto:, http: or https: URL', rfc: 'RFC 8659 §4.4' },
  'critical-unknown-tag': { code: 'caa.critical-unknown-tag', severity: 'error', title: 'A critical CAA tag stops CAs that do not know it from issuing', rfc: 'RFC 8659 §4.5' },
  'unknown-tag': { code: 'caa.unknown-tag', severity: 'info', title: 'CAA records with undefined tags, which CAs ignore', rfc: 'RFC 8659 §4.1' },
};

/** How a record's fix is introduced. */
const FIX_INTRO: Record<string, (text: string, owner: string) => string> = {
  'caa.critical-unknown-tag': (t, o) => `Delete ${t} at ${o}, or publish it without the critical flag (CAs that do not know the tag then ignore it):`,
  'caa.unknown-tag': (t) => `If ${t} is a misspelling, publish it as meant (check the value: the record then restricts issuance):`,
  'caa.iodef-invalid': (t, o) => `Replace ${t} at ${o} with a contact CAs can use, e.g.:`,
};
const replaceIntro = (t: string, o: string) => `Replace ${t} at ${o} with:`;

/** The record corrected for one note, when keywatch can tell what was meant. */
function fixFor(code: RecordNoteCode, p: CaaProperty, owner: string, ttl: number): string[] {
  const flags = p.critical ? 128 : 0;
  const tag = p.tag.toLowerCase();
  const r = p.issue;
  switch (code) {
    case 'malformed':
      return r?.corrected !== undefined ? [zoneLine(owner, ttl, flags, tag, r.corrected)] : [];
    case 'accounturi-invalid':
      if (r && r.parameters.filter((x) => x.key === 'accounturi').length > 1) {
        const others = r.parameters.filter((x) => x.key !== 'accounturi').map((x) => `${x.key}=${x.value}`);
        return r.parameters.filter((x) => x.key === 'accounturi').map((x) => zoneLine(owner, ttl, flags, tag, [r.issuer.toLowerCase(), `accounturi=${x.value}`, ...others].join('; ')));
      }
      return [];
    case 'validationmethods-invalid': {
      if (!r) return [];
      const labels = r.parameters.filter((x) => x.key === 'validationmethods').flatMap((x) => x.value.split(/[\s,]+/)).filter((l) => l !== '');
      if (!labels.length) return [];
      const params = r.parameters.filter((x) => x.key !== 'validationmethods').map((x) => `${x.key}=${x.value}`);
      return [zoneLine(owner, ttl, flags, tag, [r.issuer.toLowerCase(), ...params, `validationmethods=${[...new Set(labels.map((l) => l.toLowerCase()))].join(',')}`].join('; '))];
    }
    case 'not-lowercase': {
      if (!r) return [];
      const params = r.parameters.map((x) => {
        const k = x.key.toLowerCase();
        return `${k}=${k === 'validationmethods' ? x.value.toLowerCase() : x.value}`;
      });
      return [zoneLine(owner, ttl, flags, tag, [r.issuer.toLowerCase(), ...params].join('; '))];
    }
    case 'reserved-flags':
      return [zoneLine(owner, ttl, p.critical ? 128 : 0, tag, `"${p.value}"`, true)];
    case 'iodef-invalid':
      return [zoneLine(owner, ttl, flags, 'iodef', `mailto:security@${owner.replace(/\.$/, '')}`)];
    case 'unknown-tag': {
      const guess = p.notes.find((n) => n.code === 'unknown-tag')?.didYouMean;
      return guess ? [zoneLine(owner, ttl, flags, guess, `"${p.value}"`, true)] : [];
    }
    case 'critical-unknown-tag':
      return [zoneLine(owner, ttl, 0, tag, `"${p.value}"`, true)];
    default:
      return [];
  }
}

function climbPath(climb: CaaClimb): string {
  return climb.steps.map((s) => s.name).join(' → ');
}

export function judgeCaa(i: JudgeInput): Finding[] {
  const { climb, props, policy, domain, recommendation: rec } = i;
  const out: Finding[] = [];
  const owner = climb.relevant?.owner ?? climb.relevant?.name ?? `${domain}.`;
  const ttl = climb.relevant?.originalTtl ?? DEFAULT_TTL;
  const recLines = [rec.zone, ...(rec.accountHelp ?? [])].join('\n');

  // How the lookups were secured.
  if (climb.state === 'bogus') {
    const step = climb.steps[climb.steps.length - 1]!;
    out.push(
      finding(
        'caa.bogus',
        'error',
        `The CAA lookup at ${step.name} fails DNSSEC validation`,
        `${step.problems.map((p) => `[${p.code}] ${p.message}`).join('; ') || 'the answer does not validate'}. CAs that validate DNSSEC, Let's Encrypt among them, get SERVFAIL for this lookup and refuse to issue or renew; a forged answer would look the same.`,
        { name: step.name, problems: step.problems },
        `Fix the signatures of the zone holding ${step.name} ("keywatch dns ${step.name} CAA" names the failing link): re-sign the zone, or correct the DS record at its parent.`,
        'RFC 8659 §5.4, §6.4',
      ),
    );
  } else if (climb.state === 'failed') {
    const step = climb.steps[climb.steps.length - 1]!;
    out.push(
      finding(
        'caa.lookup-failed',
        'warning',
        `The CAA lookup at ${step.name} failed`,
        `${step.problems[0]?.message ?? `the resolver answered ${step.rcode}`}. keywatch cannot tell which CAA records apply; a CA meeting the same failure refuses to issue, since records it could not see might forbid it.`,
        { name: step.name, rcode: step.rcode, problems: step.problems },
        'Check that every authoritative server of the zone answers CAA queries with NOERROR (with an empty answer when there are none): some servers and firewalls refuse or drop record types they do not know (RFC 8659 §6.1–6.3).',
        'RFC 8659 §6',
      ),
    );
  }
  if (climb.state !== 'bogus' && climb.security === 'insecure') {
    const cut = climb.steps.find((s) => s.insecureAt)?.insecureAt;
    const unsignedSteps = climb.steps.filter((s) => s.security === 'insecure').map((s) => s.name);
    out.push(
      finding(
        'caa.unsigned',
        'warning',
        `The CAA answers for ${domain} are not DNSSEC-signed`,
        `The ${unsignedSteps.length === 1 ? 'lookup' : 'lookups'} at ${unsignedSteps.join(', ')} ${unsignedSteps.length === 1 ? 'is' : 'are'} unsigned${cut ? ` (DNSSEC ends at ${cut})` : ''}. A CA cannot tell a forged or suppressed CAA answer from a real one: an attacker who can answer the CA's DNS queries could hide these records, or add a permissive set at a name below (RFC 8659 §5.4), and accounturi and validationmethods then protect nothing (RFC 8657 §5.6). Let's Encrypt validates DNSSEC wherever a zone is signed. Against an interceptor near your server, as at jabber.ru, unsigned CAA still helps when your DNS is served elsewhere.`,
        { insecureAt: cut, steps: climb.steps.map((s) => ({ name: s.name, security: s.security })) },
        `Sign the zone${cut ? ` ${cut}` : ''} and publish its DS record at the parent (through your registrar), then check with "keywatch dns ${domain} CAA".`,
        'RFC 8659 §5.1, §5.4; RFC 8657 §5.6',
      ),
    );
  }
  if (climb.state === 'none') {
    out.push(
      finding(
        'caa.none',
        'warning',
        `No CAA record at ${domain} or above: any CA may issue certificates for it`,
        `keywatch looked up CAA at ${climbPath(climb)} and found none, so every publicly trusted CA may issue for ${domain} to whoever passes its domain validation. ${JABBER_RU}`,
        { climbed: climb.steps.map((s) => s.name) },
        recLines,
        'RFC 8659 §3, RFC 8657 §3',
      ),
    );
  }
  if (climb.state !== 'found' || !policy) return finish(out, i);

  const openNames = [policy.name.unrestricted ? domain : undefined, policy.wildcard.unrestricted ? `*.${domain}` : undefined].filter((n): n is string => n !== undefined);
  if (openNames.length) {
    const which = props.some((p) => p.kind === 'issuewild') && !props.some((p) => p.kind === 'issue') ? 'it has issuewild but no issue property' : 'it has no issue or issuewild property';
    out.push(
      finding(
        'caa.no-restriction',
        'warning',
        `The CAA records at ${owner} restrict no CA for ${openNames.join(' and ')}`,
        `A CAA record set restricts issuance only through issue and issuewild properties (RFC 8659 §3); ${which}, so any CA may issue for ${openNames.join(' and ')}.`,
        { owner, records: props.map((p) => p.text) },
        recLines,
        'RFC 8659 §3, §4.3',
      ),
    );
  }

  // Record by record: every note becomes part of one finding per code, with a fix per record.
  const byCode = new Map<string, { meta: (typeof NOTE_FINDING)[RecordNoteCode]; severity: Severity; lines: string[]; records: Array<{ text: string; fixes: string[] }> }>();
  for (const p of props) {
    for (const n of p.notes) {
      const meta = NOTE_FINDING[n.code];
      let severity = meta.severity;
      if (n.code === 'critical-unknown-tag' && (n.registered || !p.critical)) severity = 'warning';
      if (n.code === 'unknown-tag' && n.didYouMean) severity = 'warning';
      const key = `${meta.code}\0${severity}`;
      const entry = byCode.get(key) ?? { meta, severity, lines: [], records: [] };
      entry.lines.push(`${p.text}: ${n.message}`);
      if (!entry.records.some((r) => r.text === p.text)) entry.records.push({ text: p.text, fixes: fixFor(n.code, p, owner, ttl) });
      byCode.set(key, entry);
    }
  }
  for (const e of byCode.values()) {
    const parts: string[] = [];
    let unfixed = false;
    for (const r of e.records) {
      if (r.fixes.length) parts.push((FIX_INTRO[e.meta.code] ?? replaceIntro)(r.text, owner), ...r.fixes);
      else if (e.severity !== 'info') {
        parts.push(`Correct or delete ${r.text} at ${owner}.`);
        unfixed = true;
      }
    }
    if (unfixed) parts.push('A complete set to publish instead:', recLines);
    out.push(finding(e.meta.code, e.severity, e.meta.title, e.lines.join(' | '), { owner, records: e.records.map((r) => r.text) }, parts.length ? parts.join('\n') : undefined, e.meta.rfc));
  }

  // Issuance not pinned to an account: the jabber.ru path.
  const grants = [...policy.name.grants, ...policy.wildcard.grants];
  const unpinned = [...new Set(grants.filter((g) => !g.accountUri).map((g) => g.record))];
  if (unpinned.length) {
    const cas = [...new Set(unpinned.map((r) => props[r]!.issue!.issuer.toLowerCase()))];
    out.push(
      finding(
        'caa.accounturi-missing',
        'warning',
        `CAA lets ${cas.join(', ')} issue for ${domain} to any account (no accounturi)`,
        `${unpinned.map((r) => `"${props[r]!.text}"`).join(', ')} at ${owner} ${unpinned.length === 1 ? 'authorises' : 'authorise'} every account at ${cas.join(', ')}: anyone who passes domain validation can obtain a certificate. ${JABBER_RU}`,
        { owner, records: unpinned.map((r) => props[r]!.text) },
        `Pin each CA to your ACME account (one record per account):\n${recLines}`,
        'RFC 8657 §3',
      ),
    );
  }

  // Validation methods an interceptor at the server can answer.
  const weak = grants.filter((g) => g.methods && g.methods.every((m) => INTERCEPTABLE.has(m)));
  if (weak.length) {
    const methods = [...new Set(weak.flatMap((g) => g.methods!))];
    out.push(
      finding(
        'caa.validation-interceptable',
        'info',
        `validationmethods allows only ${methods.join(' and ')}, which an interceptor of your server's traffic can answer`,
        `HTTP-01 and TLS-ALPN-01 are answered by whoever receives the CA's connection to your server's address — the hosting provider, in the jabber.ru case. DNS-01 is answered in your zone: with DNSSEC, and your DNS served by someone other than your hosting provider, such an interceptor cannot answer it. The accounturi pin protects you whatever the method.`,
        { owner, records: [...new Set(weak.map((g) => props[g.record]!.text))] },
        'If your ACME client can use DNS-01, set validationmethods=dns-01 (keywatch caa DOMAIN --validation-methods dns-01 prints the records).',
        'RFC 8657 §4, §5.6',
      ),
    );
  }

  const hasIssuewild = props.some((p) => p.kind === 'issuewild');
  if (!hasIssuewild && policy.wildcard.grants.length > 0) {
    out.push(
      finding(
        'caa.issuewild-missing',
        'info',
        `No issuewild: the issue records also authorise wildcard certificates (*.${domain})`,
        `Without an issuewild property, issue governs wildcard names too (RFC 8659 §4.3). CAs validate wildcards through DNS only (the CA/Browser Forum rules exclude HTTP and TLS-ALPN validation for them), so this is not the HTTP-01 interception path; an explicit issuewild ";" records that you want none.`,
        { owner },
        zoneLine(owner, ttl, 0, 'issuewild', ';'),
        'RFC 8659 §4.3',
      ),
    );
  }
  if (!props.some((p) => p.kind === 'iodef')) {
    out.push(
      finding(
        'caa.iodef-missing',
        'info',
        `No iodef contact in the CAA records at ${owner}`,
        'An iodef property tells CAs where to report certificate requests that your CAA records made them refuse (RFC 8659 §4.4). Few CAs send such reports (Let\'s Encrypt sends none), so it is a courtesy, not a protection.',
        { owner },
        zoneLine(owner, ttl, 0, 'iodef', `mailto:security@${owner.replace(/\.$/, '')}`),
        'RFC 8659 §4.4',
      ),
    );
  }
  if (climb.relevant?.aliases.length) {
    out.push(
      finding(
        'caa.via-alias',
        'info',
        `The CAA records for ${domain} come through an alias (${climb.relevant.aliases.join(', ')})`,
        `The CAA lookup at ${climb.relevant.name} follows the alias to ${owner} (RFC 8659 §3): whoever controls that zone decides which CAs may issue for ${domain}.`,
        { aliases: climb.relevant.aliases, owner },
        undefined,
        'RFC 8659 §3',
      ),
    );
  }
  const deliberate = props.filter((p) => p.kind === 'issue').every((p) => p.issue!.wellFormed && p.issue!.issuer === '');
  if (policy.name.source === 'issue' && deliberate && !policy.name.blockedBy && !i.explicit) {
    out.push(
      finding(
        'caa.no-issuance',
        'info',
        `No CA may issue certificates for ${domain}`,
        `The issue records at ${owner} authorise no CA. That is right for a name that needs no certificate; for a service domain, certificate renewals will fail.`,
        { owner, records: props.filter((p) => p.kind === 'issue').map((p) => p.text) },
        undefined,
        'RFC 8659 §4.2',
      ),
    );
  }
  return finish(out, i);
}

/** The request's own verdict: a CA, account or method the user named that may not issue. */
function finish(out: Finding[], i: JudgeInput): Finding[] {
  if (i.explicit) {
    const refused = [i.decisions.name, ...(i.request.wildcard ? [i.decisions.wildcard] : [])].filter((d) => d.allowed === false);
    for (const d of refused) {
      const who = [i.request.accountUri ? `account ${i.request.accountUri}` : undefined, i.request.methods ? `by ${i.request.methods.join(', ')}` : undefined].filter(Boolean).join(', ');
      out.push(
        finding(
          'caa.ca-not-authorised',
          'error',
          `${i.request.ca} may not issue for ${d.name}${who ? ` (${who})` : ''}: certificate renewals will fail`,
          `${d.explanation}.`,
          { name: d.name, basis: d.basis, ca: i.request.ca, accountUri: i.request.accountUri, methods: i.request.methods },
          [i.recommendation.zone, ...(i.recommendation.accountHelp ?? [])].join('\n'),
          'RFC 8659 §4.2–4.3, RFC 8657 §3–4',
        ),
      );
    }
  }
  return out.sort(bySeverity);
}
