// Who may issue, from the Relevant RRset: RFC 8659 §3 (an RRset without issue/issuewild
// restricts nothing), §4.2 (issue; a malformed value names no issuer; authorisations add up),
// §4.3 (issuewild applies only to wildcard names and, when present, replaces issue for them),
// §4.5 (an unknown critical tag stops every CA), and RFC 8657 (accounturi and validationmethods
// narrow a record to one account and to some validation methods).
import type { CaaClimb } from './climb.ts';
import { sameAccount, type CaaProperty } from './record.ts';

/** One authorisation a record grants: a CA, optionally narrowed to an account and to methods. */
export interface Grant {
  /** Index of the record in the Relevant RRset. */
  record: number;
  /** The issuer domain, lower case. */
  ca: string;
  accountUri?: string;
  methods?: string[];
}

export interface NamePolicy {
  /** Which property set applies: issue, issuewild (wildcards only, when present), or none at all. */
  source: 'issue' | 'issuewild' | 'none';
  /** No CAA restriction applies to this name: any CA may issue. */
  unrestricted: boolean;
  /** Every CA must refuse: a critical tag no CA knows (RFC 8659 §4.5). */
  blockedBy?: number[];
  /** Flag 1 on a tag Let's Encrypt does not know: Let's Encrypt refuses. */
  blockedAtLetsEncryptBy?: number[];
  grants: Grant[];
  /** Records of the applicable set that authorise nobody (malformed, empty issuer, unsatisfiable). */
  inert: number[];
}

export interface CaaPolicy {
  name: NamePolicy;
  wildcard: NamePolicy;
  /** Every grant, for both kinds of name, is pinned to an account. */
  pinned: boolean;
  /** Validation methods some grant allows; "any" when some grant does not restrict them. */
  methods: string[] | 'any';
}

function namePolicy(props: readonly CaaProperty[], wildcard: boolean): NamePolicy {
  const blockedBy: number[] = [];
  const blockedAtLe: number[] = [];
  props.forEach((p, i) => {
    const note = p.notes.find((n) => n.code === 'critical-unknown-tag');
    if (!note) return;
    if (p.critical && !note.registered) blockedBy.push(i);
    else if (!p.critical) blockedAtLe.push(i);
  });
  const issuewild = props.some((p) => p.kind === 'issuewild');
  const kind = wildcard && issuewild ? 'issuewild' : 'issue';
  const applicable = props.map((p, i) => ({ p, i })).filter(({ p }) => p.kind === kind);
  const grants: Grant[] = [];
  const inert: number[] = [];
  for (const { p, i } of applicable) {
    const r = p.issue!;
    if (!r.wellFormed || r.issuer === '' || r.unsatisfiable) {
      inert.push(i);
      continue;
    }
    grants.push({ record: i, ca: r.issuer.toLowerCase(), ...(r.accountUri ? { accountUri: r.accountUri } : {}), ...(r.validationMethods ? { methods: r.validationMethods } : {}) });
  }
  const source = applicable.length ? kind : 'none';
  return {
    source,
    unrestricted: source === 'none' && blockedBy.length === 0,
    ...(blockedBy.length ? { blockedBy } : {}),
    ...(blockedAtLe.length ? { blockedAtLetsEncryptBy: blockedAtLe } : {}),
    grants,
    inert,
  };
}

export function caaPolicy(props: readonly CaaProperty[]): CaaPolicy {
  const name = namePolicy(props, false);
  const wildcard = namePolicy(props, true);
  const all = [...name.grants, ...wildcard.grants];
  const open = (p: NamePolicy) => p.unrestricted;
  const pinned = !open(name) && !open(wildcard) && all.every((g) => g.accountUri !== undefined);
  const methods = open(name) || open(wildcard) || all.some((g) => !g.methods) ? 'any' : [...new Set(all.flatMap((g) => g.methods ?? []))].sort();
  return { name, wildcard, pinned, methods };
}

export interface IssuanceRequest {
  /** The CA's issuer domain, e.g. letsencrypt.org. */
  ca: string;
  accountUri?: string;
  /** Methods the ACME client may use; issuance is possible when one of them is allowed. */
  methods?: string[];
}

export interface Decision {
  /** `example.org` or `*.example.org`. */
  name: string;
  /** null: the CAA lookup failed, nobody can tell. */
  allowed: boolean | null;
  basis: 'no-caa' | 'unrestricted' | 'authorised' | 'not-listed' | 'account' | 'method' | 'no-issuer' | 'critical-tag' | 'bogus' | 'lookup-failed';
  /** The grants that let this request through. */
  grants: Grant[];
  /** What the allowance is narrowed to, when the request left it open: accounts, methods. */
  conditions: string[];
  explanation: string;
}

const list = (xs: readonly string[]) => (xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);

export function decide(climb: CaaClimb, props: readonly CaaProperty[], req: IssuanceRequest, wildcard: boolean): Decision {
  const base = climb.name.replace(/\.$/, '');
  const name = wildcard ? `*.${base}` : base;
  const at = climb.relevant?.owner ?? climb.relevant?.name ?? '';
  const ca = req.ca.toLowerCase();
  const d = (allowed: boolean | null, basis: Decision['basis'], explanation: string, grants: Grant[] = [], conditions: string[] = []): Decision => ({ name, allowed, basis, grants, conditions, explanation });

  if (climb.state === 'bogus') {
    const step = climb.steps[climb.steps.length - 1]!;
    return d(false, 'bogus', `the CAA lookup at ${step.name} fails DNSSEC validation; CAs that validate (Let's Encrypt does) get SERVFAIL and refuse to issue`);
  }
  if (climb.state === 'failed') {
    const step = climb.steps[climb.steps.length - 1]!;
    return d(null, 'lookup-failed', `the CAA lookup at ${step.name} failed (${step.problems[0]?.message ?? step.rcode}); a CA meeting the same failure refuses to issue`);
  }
  if (climb.state === 'none') return d(true, 'no-caa', `no CAA record at ${base} or any parent: any CA may issue`);

  const policy = namePolicy(props, wildcard);
  if (policy.blockedBy) return d(false, 'critical-tag', `the record set at ${at} holds a critical tag (${policy.blockedBy.map((i) => props[i]!.tag).join(', ')}) that no CA implements: no CA may issue (RFC 8659 §4.5)`);
  if (policy.blockedAtLetsEncryptBy && ca === 'letsencrypt.org') {
    return d(false, 'critical-tag', `the record set at ${at} sets flag 1 on ${policy.blockedAtLetsEncryptBy.map((i) => props[i]!.tag).join(', ')}, which Let's Encrypt treats as critical: it refuses`);
  }
  if (policy.source === 'none') {
    const what = wildcard ? 'neither issue nor issuewild' : props.some((p) => p.kind === 'issuewild') ? 'only issuewild, which does not apply to this name' : 'no issue property';
    return d(true, 'unrestricted', `the record set at ${at} has ${what}: it restricts no CA for ${name}`);
  }
  const using = policy.source === 'issuewild' ? 'issuewild (it replaces issue for wildcard names, RFC 8659 §4.3)' : wildcard ? 'issue (no issuewild, so issue also governs wildcard names)' : 'issue';
  if (policy.grants.length === 0) return d(false, 'no-issuer', `the ${using} records at ${at} authorise no CA`);
  const mine = policy.grants.filter((g) => g.ca === ca);
  if (mine.length === 0) return d(false, 'not-listed', `${using} at ${at} authorises only ${list([...new Set(policy.grants.map((g) => g.ca))])}, not ${ca}`);
  const byAccount = req.accountUri === undefined ? mine : mine.filter((g) => g.accountUri === undefined || sameAccount(g.accountUri, req.accountUri!));
  if (byAccount.length === 0) return d(false, 'account', `${using} at ${at} lets ${ca} issue only to ${list([...new Set(mine.map((g) => g.accountUri!))])}, not to ${req.accountUri}`);
  const methodOk = (g: Grant) => req.methods === undefined || g.methods === undefined || g.methods.some((m) => req.methods!.includes(m));
  const usable = byAccount.filter(methodOk);
  if (usable.length === 0) {
    return d(false, 'method', `${using} at ${at} lets ${ca} validate only by ${list([...new Set(byAccount.flatMap((g) => g.methods ?? []))])}, and you use ${list(req.methods ?? [])}`);
  }
  const conditions: string[] = [];
  if (usable.every((g) => g.accountUri !== undefined)) conditions.push(`only to account ${list([...new Set(usable.map((g) => g.accountUri!))])}`);
  else if (req.accountUri === undefined) conditions.push('to any account');
  if (usable.every((g) => g.methods !== undefined)) conditions.push(`only by ${list([...new Set(usable.flatMap((g) => g.methods!))])}`);
  return d(true, 'authorised', `${using} at ${at} authorises ${ca}${conditions.length ? ` ${conditions.join(', ')}` : ''}`, usable, conditions);
}
