// The records report as text an admin pastes: a zone-file fragment (BIND and NSD read it; every
// explanation is a `;` comment, so the whole output can go into a zone as it is), or nsupdate
// commands (RFC 2136 dynamic update), or JSON.
import { safe } from '../audit/terminal-text.ts';
import type { DnssecReadiness } from './dnssec-readiness.ts';
import type { RecordsReport } from './records.ts';
import type { OwnerPlan } from './tlsa-records.ts';

export type RecordsFormat = 'zone' | 'nsupdate' | 'json';

const comment = (text: string) =>
  text
    .split('\n')
    .map((l) => (l ? `; ${l}` : ';'))
    .join('\n');

const fqdn = (n: string) => (n.endsWith('.') ? n : `${n}.`);

const READY: Record<DnssecReadiness['state'], string> = {
  secure: 'secure',
  unsigned: 'NOT SIGNED',
  'signed-no-ds': 'SIGNED, NO DS AT THE PARENT',
  'ds-mismatch': 'DS MISMATCH (BOGUS)',
  'parent-insecure': 'PARENT NOT SIGNED',
  'ds-unsupported': 'UNSUPPORTED ALGORITHM',
  bogus: 'BOGUS',
  unknown: 'UNKNOWN',
};

function readinessLines(r: DnssecReadiness): string {
  const lines = [`DNSSEC ${r.zone.replace(/\.$/, '')}: ${READY[r.state]}. ${r.summary}.`];
  if (r.action) lines.push(...r.action.split('\n').map((l) => `  ${l}`));
  return comment(lines.join('\n'));
}

/** Which of the owner's published records no key keywatch knows uses. */
const unmatched = (o: OwnerPlan) => o.publishedRecords.filter((p) => p.matches === 'nothing');

function ownerBlock(o: OwnerPlan): string {
  const out: string[] = [];
  const ttlWhy = o.ttlSource === 'published' ? 'the published RRset\'s TTL' : o.ttlSource === 'option' ? 'from --ttl' : 'default';
  out.push(comment(`${o.owner}: used by ${o.endpoints.map(safe).join(', ')}; TTL ${o.ttl} (${ttlWhy})`));
  if (!o.dane.applies) out.push(comment(`WARNING: DANE does not apply to these endpoints yet: ${o.dane.reason}. Publish anyway, and fix that first.`));
  if (o.publishedState === 'bogus') out.push(comment('WARNING: the RRset published now fails DNSSEC validation; clients that use DANE cannot connect.'));
  if (o.records.length === 0) out.push(comment('no key seen for these endpoints: nothing to publish (give --cert or --key)'));
  for (const r of o.records) {
    out.push(`${fqdn(o.owner)} ${o.ttl} IN TLSA ${r.rdata} ; ${r.published ? 'published' : 'ADD'}: ${safe(r.about)}`);
  }
  for (const p of unmatched(o)) {
    out.push(comment(`published, matches no key keywatch saw: ${fqdn(o.owner)} IN TLSA ${safe(p.rdata)}\n  remove it once no server uses that key (if it is your next key, keep it)`));
  }
  return out.join('\n');
}

const TA_NOTE = `About 2 1 1 (DANE-TA): it trusts the issuing CA, so it keeps DANE working when a renewal
changes the key without notice; but any certificate that CA issues for these names matches it,
including one an attacker obtains from the same CA (how jabber.ru was intercepted). Leave it out
(--no-issuer) if you publish each next key's 3 1 1 ahead of time (keywatch rollover), and replace
it when you change CA.`;

export function renderRecordsZone(r: RecordsReport): string {
  const out: string[] = [];
  out.push(comment(`keywatch records ${r.domain} (${r.service}), keys from ${r.keySource === 'live' ? 'the live endpoints' : 'the given files'}`));
  if (r.check) out.push(comment(`check: ${r.check.summary} (details: keywatch check ${r.domain})`));
  out.push(';');
  for (const d of r.dnssec) out.push(readinessLines(d));
  for (const u of r.unseen) out.push(comment(`not seen: ${safe(u.endpoint)}: ${safe(u.reason)}`));
  for (const o of r.owners) out.push(';', ownerBlock(o));
  if (r.owners.some((o) => o.records.some((x) => x.role === 'issuer'))) out.push(';', comment(TA_NOTE));
  return out.join('\n');
}

/** nsupdate(1) commands: add what is missing, then send. Removals stay comments: they are for after a rollover. */
export function renderRecordsNsupdate(r: RecordsReport): string {
  const out: string[] = [comment(`keywatch records ${r.domain}: nsupdate commands (add "server" and "key" lines for your primary)`)];
  for (const d of r.dnssec.filter((x) => x.state !== 'secure')) out.push(readinessLines(d));
  for (const o of r.owners) {
    const missing = o.records.filter((x) => !x.published);
    for (const x of missing) out.push(`update add ${fqdn(o.owner)} ${o.ttl} IN TLSA ${x.rdata}`);
    for (const p of unmatched(o)) out.push(comment(`after the rollover: update delete ${fqdn(o.owner)} IN TLSA ${safe(p.rdata)}`));
  }
  out.push('send');
  return out.join('\n');
}

export function renderRecords(r: RecordsReport, format: RecordsFormat): string {
  if (format === 'json') return JSON.stringify(r, null, 2);
  return format === 'nsupdate' ? renderRecordsNsupdate(r) : renderRecordsZone(r);
}
