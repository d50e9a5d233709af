// What may be watched: a syntactically valid domain name (not an address), a service keywatch can
// check, and — on a public service — endpoints at public addresses. The check itself refuses
// every non-public endpoint too (src/audit/address-policy.ts); refusing at the door keeps the
// service from being used to map someone's internal network.
import { isIP } from 'node:net';
import { classifyAddress } from '../audit/address-policy.ts';
import { discover, type ServiceKind } from '../audit/discover.ts';
import { parseName } from '../dns/name.ts';
import type { Validator } from '../dns/dnssec/validator.ts';

export const WATCHABLE_SERVICES: readonly ServiceKind[] = ['xmpp', 'smtp', 'imap', 'pop3', 'https'];

export type TargetErrorCode = 'invalid-domain' | 'invalid-service' | 'private-target' | 'no-endpoints' | 'dns-failed';

export class TargetError extends Error {
  override name = 'TargetError';
  constructor(
    readonly code: TargetErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Lower-case, no trailing dot; refuses addresses, over-long and malformed names, and (unless private targets are allowed) single labels. */
export function normalizeDomain(text: unknown, allowPrivate: boolean): string {
  if (typeof text !== 'string' || text.trim() === '') throw new TargetError('invalid-domain', 'domain: a domain name is required');
  const name = text.trim().toLowerCase().replace(/\.$/, '');
  if (isIP(name) || isIP(name.replace(/^\[|\]$/g, ''))) throw new TargetError('invalid-domain', `domain: "${clip(text)}" is an address; keywatch watches domain names`);
  if (!/^[a-z0-9_.-]+$/.test(name)) throw new TargetError('invalid-domain', `domain: "${clip(text)}" is not a domain name (letters, digits, hyphens and dots; internationalised names in their xn-- form)`);
  try {
    parseName(name);
  } catch (e) {
    throw new TargetError('invalid-domain', `domain: "${clip(text)}" is not a domain name: ${(e as Error).message}`);
  }
  if (name.split('.').some((l) => l === '' || l.length > 63)) throw new TargetError('invalid-domain', `domain: "${clip(text)}" has an empty or over-long label`);
  if (!allowPrivate && !name.includes('.')) throw new TargetError('private-target', `domain: "${clip(text)}" is a single label, not a public domain name`);
  return name;
}

export function normalizeService(text: unknown): ServiceKind {
  if (text === undefined || text === null || text === '') return 'xmpp';
  if (typeof text === 'string' && (WATCHABLE_SERVICES as string[]).includes(text)) return text as ServiceKind;
  throw new TargetError('invalid-service', `service: must be one of ${WATCHABLE_SERVICES.join(', ')}`);
}

/** Find the domain's endpoints; refuse when there are none, or none at a public address (unless allowed). */
export async function vetTarget(validator: Validator, domain: string, service: ServiceKind, allowPrivate: boolean): Promise<{ endpoints: number; public: number }> {
  let endpoints;
  try {
    endpoints = (await discover(validator, domain, service)).endpoints;
  } catch (e) {
    throw new TargetError('dns-failed', `${domain}: the DNS lookups failed: ${(e as Error).message}`);
  }
  if (endpoints.length === 0) throw new TargetError('no-endpoints', `${domain} has no ${service} endpoints: no SRV/MX records and no address for the name itself`);
  const verdicts = endpoints.map((e) => ({ e, v: classifyAddress(e.address) }));
  const publicOnes = verdicts.filter((x) => x.v.public).length;
  if (publicOnes === 0 && !allowPrivate) {
    const list = [...new Set(verdicts.map((x) => `${x.e.address} (${x.v.class})`))].slice(0, 5).join(', ');
    throw new TargetError('private-target', `${domain}: every endpoint is at a non-public address (${list}); this service watches public servers only`);
  }
  return { endpoints: endpoints.length, public: publicOnes };
}

const clip = (s: string) => [...(s.length > 80 ? `${s.slice(0, 80)}…` : s)].map((ch) => (ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f ? '?' : ch)).join('');
