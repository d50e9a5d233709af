// The CAA report of one domain (`keywatch caa --json`, schema `keywatch.caa-report/1`, described
// in docs/CAA.md): the climb to the Relevant RRset with each step's DNSSEC state, every record
// read and explained, who may issue, the verdict for the CA/account/method asked about, the
// findings and the recommended record set. `caaFindings` is the entry point for `keywatch check`.
import { countBySeverity, statusOf, type Status } from '../audit/report.ts';
import type { Finding, Severity } from '../audit/finding.ts';
import { VERSION } from '../version.ts';
import { baseName, findRelevantCaa, validatorLookup, type CaaClimb, type CaaLookup } from './climb.ts';
import { caaPolicy, decide, type CaaPolicy, type Decision } from './evaluate.ts';
import { judgeCaa } from './findings.ts';
import { DEFAULT_CA, recommend, type Recommendation } from './recommend.ts';
import { KNOWN_METHODS, acmeServerOf, readPropertyText, type CaaProperty } from './record.ts';
import type { ValidationResult } from '../dns/dnssec/validator.ts';

export const CAA_REPORT_SCHEMA = 'keywatch.caa-report/1';

export interface CaaOptions {
  /** The CA's issuer domain (default: the CA of a known account URL, else the one the published set names, else letsencrypt.org). */
  ca?: string;
  accountUri?: string;
  /** Validation methods the ACME client uses. */
  methods?: string[];
  iodef?: string;
  /** Wildcard certificates wanted: evaluate *.DOMAIN too and allow them in the recommendation. */
  wildcard?: boolean;
  /** The CA, account or methods were chosen by the user (not defaults): a refusal is an error. */
  explicit?: boolean;
  now?: () => Date;
}

export interface CaaRecordView extends CaaProperty {
  /** What the record means, in one sentence. */
  explanation: string;
}

export interface CaaReport {
  schema: typeof CAA_REPORT_SCHEMA;
  keywatch: string;
  domain: string;
  startedAt: string;
  durationMs: number;
  status: Status;
  exitCode: 0 | 1 | 2 | 3;
  summary: string;
  counts: Record<Severity, number>;
  request: { ca: string; explicit: boolean; accountUri?: string; validationMethods?: string[]; wildcard: boolean; iodef?: string };
  climb: CaaClimb;
  records: CaaRecordView[];
  policy?: CaaPolicy;
  evaluation: { name: Decision; wildcard: Decision };
  findings: Finding[];
  recommended: Recommendation;
  unknownBecause?: string;
}

const METHOD_NOTE = (m: string) => (KNOWN_METHODS[m] ? `${m}` : m.startsWith('ca-') ? `${m} (CA-specific)` : `${m} (unknown)`);

/** One sentence on what a record does, given the set it belongs to. */
export function explain(p: CaaProperty, all: readonly CaaProperty[], owner: string): string {
  const at = owner.replace(/\.$/, '');
  const r = p.issue;
  if (p.kind === 'undecodable') return `cannot be read: ${p.notes[0]?.message ?? 'malformed'}`;
  if ((p.kind === 'issue' || p.kind === 'issuewild') && r) {
    const what = p.kind === 'issue' ? (all.some((x) => x.kind === 'issuewild') ? `${at} and names below it (not wildcards: issuewild governs those)` : `${at}, names below it and wildcards`) : `wildcard names (*.${at}, *.sub.${at})`;
    if (!r.wellFormed) return `malformed, so it counts as naming no issuer and authorises no CA${r.corrected !== undefined ? ` (meant: "${r.corrected}"?)` : ''}`;
    if (r.issuer === '') return p.kind === 'issue' ? `names no CA: on its own it forbids issuance for ${what}; other issue records still add theirs` : `names no CA: no CA may issue ${what} unless another issuewild record allows it`;
    if (r.unsatisfiable) return `authorises nobody: ${r.unsatisfiable}`;
    const parts = [`${r.issuer.toLowerCase()} may issue for ${what}`];
    if (r.accountUri) parts.push(`only to the account ${r.accountUri}`);
    if (r.validationMethods) parts.push(`only by ${r.validationMethods.map(METHOD_NOTE).join(', ')}`);
    const other = r.parameters.filter((x) => x.key !== 'accounturi' && x.key !== 'validationmethods');
    if (other.length) parts.push(`with ${other.map((x) => `${x.key}=${x.value}`).join(', ')} (meaning defined by the CA)`);
    return parts.join(', ');
  }
  if (p.kind === 'iodef' && p.iodef) {
    return p.iodef.valid ? `CAs may report refused or suspicious requests to ${p.iodef.target} (${p.iodef.scheme === 'mailto' ? 'by e-mail' : `over ${p.iodef.scheme?.toUpperCase()}`})` : 'an iodef URL CAs cannot use';
  }
  const tag = p.tag.toLowerCase();
  const known: Record<string, string> = {
    contactemail: 'a contact address for domain validation by e-mail (CA/Browser Forum); restricts nothing',
    contactphone: 'a contact number for domain validation by phone (CA/Browser Forum); restricts nothing',
    issuemail: 'governs S/MIME certificates for mail addresses (RFC 9495), not server certificates',
    issuevmc: 'governs BIMI mark certificates, not server certificates',
  };
  const critical = p.notes.find((n) => n.code === 'critical-unknown-tag');
  if (critical) return critical.message;
  return known[tag] ?? `unknown tag: ignored by CAs${p.notes.find((n) => n.code === 'unknown-tag')?.didYouMean ? ` (a misspelt ${p.notes.find((n) => n.code === 'unknown-tag')!.didYouMean}?)` : ''}`;
}

/** Everything about one domain's CAA, from a lookup function (the validator, or a test's map). */
export async function runCaa(domainIn: string, lookup: CaaLookup, opts: CaaOptions = {}): Promise<CaaReport> {
  const now = opts.now ?? (() => new Date());
  const started = now();
  const domain = baseName(domainIn).name.replace(/\.$/, '').toLowerCase() || '.';
  const wildcard = opts.wildcard === true || domainIn.startsWith('*.');
  const climb = await findRelevantCaa(domain, lookup);
  const owner = climb.relevant?.owner ?? climb.relevant?.name ?? `${domain}.`;
  const props = (climb.relevant?.records ?? []).map(readPropertyText);
  const records = props.map((p) => ({ ...p, explanation: explain(p, props, owner) }));
  const policy = climb.state === 'found' ? caaPolicy(props) : undefined;
  // Without --ca, judge for the CA the published set uses (the default only when it names none).
  const published = [...(policy?.name.grants ?? []), ...(policy?.wildcard.grants ?? [])].map((g) => g.ca);
  const fromAccount = opts.accountUri ? acmeServerOf(opts.accountUri)?.ca : undefined;
  const ca = (opts.ca ?? fromAccount ?? (published.length && !published.includes(DEFAULT_CA) ? published[0]! : DEFAULT_CA)).toLowerCase();
  const request = { ca, ...(opts.accountUri ? { accountUri: opts.accountUri } : {}), ...(opts.methods ? { methods: opts.methods } : {}) };
  const evaluation = { name: decide(climb, props, request, false), wildcard: decide(climb, props, request, true) };
  const recommended = recommend({ domain, ca, ...(opts.accountUri ? { accountUri: opts.accountUri } : {}), ...(opts.methods ? { methods: opts.methods } : {}), ...(opts.iodef ? { iodef: opts.iodef } : {}), wildcard }, climb, props);
  const findings = judgeCaa({ domain, climb, props, ...(policy ? { policy } : {}), request: { ...request, wildcard }, explicit: opts.explicit === true, decisions: evaluation, recommendation: recommended });
  const unknownBecause = climb.state === 'failed' ? `the CAA lookup at ${climb.steps[climb.steps.length - 1]!.name} failed` : undefined;
  const { status, exitCode } = statusOf(findings, unknownBecause);
  const worst = findings[0];
  const summary = `${status.toUpperCase()}: CAA for ${domain}: ${
    climb.state === 'found' ? `${props.length} record${props.length === 1 ? '' : 's'} at ${owner}` : climb.state === 'none' ? 'no records' : climb.state === 'bogus' ? 'bogus' : 'lookup failed'
  }; ${ca}: ${evaluation.name.allowed === null ? 'unknown' : evaluation.name.allowed ? 'may issue' : 'may not issue'}${worst && worst.severity !== 'info' ? `; ${worst.title}` : ''}${findings.filter((f) => f.severity !== 'info').length > 1 ? ` (+${findings.filter((f) => f.severity !== 'info').length - 1} more)` : ''}`;
  return {
    schema: CAA_REPORT_SCHEMA,
    keywatch: VERSION,
    domain,
    startedAt: started.toISOString(),
    durationMs: now().getTime() - started.getTime(),
    status,
    exitCode,
    summary,
    counts: countBySeverity(findings),
    request: { ca, explicit: opts.explicit === true, ...(opts.accountUri ? { accountUri: opts.accountUri } : {}), ...(opts.methods ? { validationMethods: opts.methods } : {}), wildcard, ...(opts.iodef ? { iodef: opts.iodef } : {}) },
    climb,
    records,
    ...(policy ? { policy } : {}),
    evaluation,
    findings,
    recommended,
    ...(unknownBecause ? { unknownBecause } : {}),
  };
}

/**
 * The CAA findings for a domain, for `keywatch check` and the service: the same findings as
 * `keywatch caa DOMAIN` (default CA letsencrypt.org, nothing explicit, so no CA refusal is an
 * error unless options say so).
 */
export async function caaFindings(domain: string, validator: { lookup(name: string, type: number): Promise<ValidationResult> }, opts: CaaOptions = {}): Promise<Finding[]> {
  return (await runCaa(domain, validatorLookup(validator), opts)).findings;
}
