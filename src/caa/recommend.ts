// The CAA record set keywatch recommends: the chosen CA pinned to the ACME account (RFC 8657
// accounturi), optionally to validation methods, wildcards refused unless wanted, an iodef
// contact, and any other CA the current set authorises carried over so publishing the
// recommendation breaks nothing else. Zone-file lines, ready to paste.
import type { CaaClimb } from './climb.ts';
import { quoteCaaValue, type CaaProperty } from './record.ts';

export const DEFAULT_CA = 'letsencrypt.org';
export const DEFAULT_TTL = 3600;
/** Shown in place of an account URL keywatch cannot know. Not a valid URI: pasted as is, it fails closed. */
export const ACCOUNT_PLACEHOLDER = '<ACCOUNT-URL>';

export interface RecommendOptions {
  /** The domain the records protect, without the final dot. */
  domain: string;
  ca: string;
  accountUri?: string;
  methods?: string[];
  /** iodef URL (mailto:, http:, https:). */
  iodef?: string;
  /** Allow wildcard certificates from the same CA and account. */
  wildcard: boolean;
}

export interface RecommendedRecord {
  tag: 'issue' | 'issuewild' | 'iodef';
  value: string;
  /** The whole zone-file line. */
  line: string;
  /** Why this record is in the set. */
  why: string;
}

export interface Recommendation {
  owner: string;
  ttl: number;
  records: RecommendedRecord[];
  /** The zone-file lines, one per record. */
  zone: string;
  /** False while the account URL is a placeholder: find it first (accountHelp). */
  complete: boolean;
  /** The Relevant RRset already holds exactly these records (wherever it is): nothing to change. */
  matchesPublished: boolean;
  notes: string[];
  /** How to find the ACME account URL, when it is not known yet. */
  accountHelp?: string[];
}

/** How to find the account URL with the common ACME clients. */
export function accountUrlHelp(ca: string, domain: string): string[] {
  const le = ca === 'letsencrypt.org';
  const server = le ? 'acme-v02.api.letsencrypt.org' : '<acme-server>';
  return [
    `Find the URL of the ACME account that obtains your certificates${le ? ' (it looks like https://acme-v02.api.letsencrypt.org/acme/acct/123456789)' : ''}:`,
    `  certbot: run "certbot show_account", or read "uri" in /etc/letsencrypt/accounts/${server}/directory/*/regr.json`,
    '  acme.sh: grep -r ACCOUNT_URL ~/.acme.sh/ca/',
    `  lego:    read "uri" under "registration" in .lego/accounts/${server}/<email>/account.json`,
    '  other clients: the Location header the CA returned when the account was created (RFC 8555 §7.3)',
    `Then run: keywatch caa ${domain} --account-uri URL`,
  ];
}

function line(owner: string, ttl: number, flags: number, tag: string, value: string): string {
  return `${owner} ${ttl} IN CAA ${flags} ${tag} ${quoteCaaValue(value)}`;
}

/** The issue/issuewild value for one CA, account and method list. */
export function issueValue(ca: string, accountUri: string | undefined, methods: readonly string[] | undefined): string {
  return [ca, ...(accountUri ? [`accounturi=${accountUri}`] : []), ...(methods?.length ? [`validationmethods=${methods.join(',')}`] : [])].join('; ');
}

export function recommend(opts: RecommendOptions, climb: CaaClimb | undefined, props: readonly CaaProperty[]): Recommendation {
  const owner = `${opts.domain.replace(/\.$/, '')}.`;
  const ttl = climb?.relevant?.originalTtl ?? DEFAULT_TTL;
  const ca = opts.ca.toLowerCase();
  const notes: string[] = [];
  const records: RecommendedRecord[] = [];
  const add = (tag: RecommendedRecord['tag'], value: string, why: string, flags = 0) => records.push({ tag, value, why, line: line(owner, ttl, flags, tag, value) });

  // Accounts and methods already pinned for this CA are kept when none is given.
  const existing = props.filter((p) => (p.kind === 'issue' || p.kind === 'issuewild') && p.issue?.wellFormed && !p.issue.unsatisfiable && p.issue.issuer.toLowerCase() === ca);
  const knownAccounts = [...new Set(existing.map((p) => p.issue!.accountUri).filter((a): a is string => a !== undefined))];
  const accounts = opts.accountUri ? [opts.accountUri] : knownAccounts.length ? knownAccounts : [ACCOUNT_PLACEHOLDER];
  const existingMethods = existing.every((p) => p.issue!.validationMethods) && existing.length ? [...new Set(existing.flatMap((p) => p.issue!.validationMethods!))] : undefined;
  const methods = opts.methods ?? existingMethods;
  const complete = !accounts.includes(ACCOUNT_PLACEHOLDER);

  for (const a of accounts) {
    add('issue', issueValue(ca, a, methods), `${ca} may issue for ${opts.domain} and the names below it, only to ${a === ACCOUNT_PLACEHOLDER ? 'your ACME account' : `the account ${a}`}${methods ? `, only by ${methods.join(', ')}` : ''}`);
  }
  if (opts.wildcard) {
    for (const a of accounts) add('issuewild', issueValue(ca, a, methods), `wildcard certificates (*.${opts.domain}) from ${ca}, same account`);
  } else add('issuewild', ';', `no CA may issue wildcard certificates (*.${opts.domain}); --wildcard allows them`);

  // Other CAs the current set authorises stay authorised: dropping them could break their renewals.
  for (const p of props) {
    if ((p.kind !== 'issue' && p.kind !== 'issuewild') || !p.issue?.wellFormed || p.issue.unsatisfiable || p.issue.issuer === '' || p.issue.issuer.toLowerCase() === ca) continue;
    if (p.kind === 'issuewild' && !opts.wildcard) continue;
    const value = issueValue(p.issue.issuer.toLowerCase(), p.issue.accountUri, p.issue.validationMethods);
    if (records.some((r) => r.tag === p.kind && r.value === value)) continue;
    add(p.kind, value, `kept from the current set${p.issue.accountUri ? '' : '; not pinned to an account: add accounturi for it too'}`);
  }

  if (opts.iodef) add('iodef', opts.iodef, 'where CAs may report refused or suspicious requests');
  else {
    const iodefs = props.filter((p) => p.kind === 'iodef' && p.iodef?.valid);
    for (const p of iodefs) add('iodef', p.iodef!.url, 'kept from the current set');
    if (!iodefs.length) notes.push(`Add an iodef contact with --iodef mailto:security@${opts.domain} (some CAs report refused requests there).`);
  }

  if (!methods) {
    notes.push(
      'validationmethods is left open so your renewals keep working whatever challenge your ACME client uses. If it uses DNS-01, add --validation-methods dns-01: an interceptor of your server\'s traffic can answer HTTP-01 and TLS-ALPN-01, but not DNS-01 when your zone is signed and served elsewhere.',
    );
  }
  const published = props.map((p) => `${p.tag.toLowerCase()} "${p.value}"`).sort();
  const proposed = records.map((r) => `${r.tag} ${quoteCaaValue(r.value)}`).sort();
  const matchesPublished = complete && props.every((p) => p.flags === 0) && published.length === proposed.length && published.every((x, k) => x === proposed[k]);
  if (matchesPublished) {
    notes.length = 0;
    notes.push(`The records at ${climb?.relevant?.owner ?? climb?.relevant?.name ?? owner} already are this set: nothing to change.`);
  } else if (climb?.relevant && (climb.relevant.owner ?? climb.relevant.name) !== owner) {
    notes.push(`Publish these at ${owner}: records there replace, for ${opts.domain} and every name below it, the set now found at ${climb.relevant.owner ?? climb.relevant.name} (RFC 8659 §3).`);
  } else if (climb?.relevant) notes.push(`Replace the current CAA records at ${owner} with these.`);
  return {
    owner,
    ttl,
    records,
    zone: records.map((r) => r.line).join('\n'),
    complete,
    matchesPublished,
    notes,
    ...(complete ? {} : { accountHelp: accountUrlHelp(ca, opts.domain) }),
  };
}
