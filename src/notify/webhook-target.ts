// Where a webhook may go. Anyone who proves control of a domain can register a webhook URL,
// so without a check keywatch would POST to whatever a name resolves to: 127.0.0.1:6379, the
// cloud metadata address, a router on the operator's network. The URL's host is resolved once,
// every address it resolves to must be public (src/audit/address-policy.ts) unless the operator
// allows private ones, and the request then connects to exactly those checked addresses: a
// second resolution (DNS rebinding: public for the check, 127.0.0.1 for the connection) never
// happens.
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { classifyAddress } from '../audit/address-policy.ts';
import { cleanLine } from './plain-text.ts';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** How names are resolved (the system resolver by default; tests inject their own). */
export type HostResolver = (host: string) => Promise<ResolvedAddress[]>;

export const systemResolver: HostResolver = async (host) => {
  const all = await dnsLookup(host, { all: true, verbatim: true });
  return all.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

export interface TargetPolicy {
  /** Allow loopback, private, link-local and other non-public addresses (tests, private deployments). */
  allowPrivateAddresses?: boolean;
  /** Allow http:// URLs (default: https only). */
  allowHttp?: boolean;
}

export type TargetCheck =
  | { ok: true; url: URL; host: string; addresses: ResolvedAddress[] }
  /** `permanent`: the URL itself is unacceptable; otherwise resolution failed and may work later. */
  | { ok: false; permanent: boolean; error: string };

/** Syntax and scheme only: what can be judged without the network (also for the service's form). */
export function checkWebhookUrl(raw: string, policy: TargetPolicy = {}): { ok: true; url: URL; host: string } | { ok: false; error: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, error: `not a URL: ${JSON.stringify(cleanLine(raw, 100))}` };
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowHttp)) {
    return { ok: false, error: `webhook URLs must use https${policy.allowHttp ? ' or http' : ''}, not ${url.protocol.replace(/:$/, '')}` };
  }
  if (url.username || url.password) return { ok: false, error: 'webhook URLs must not carry credentials (the signature authenticates keywatch)' };
  // WHATWG URL keeps the brackets of an IPv6 literal in `hostname`.
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (!host) return { ok: false, error: 'the webhook URL has no host' };
  return { ok: true, url, host };
}

/** Resolves the URL's host and checks every address against the address policy. */
export async function resolveWebhookTarget(raw: string, policy: TargetPolicy = {}, resolve: HostResolver = systemResolver): Promise<TargetCheck> {
  const syntax = checkWebhookUrl(raw, policy);
  if (!syntax.ok) return { ok: false, permanent: true, error: syntax.error };
  const { url, host } = syntax;
  let addresses: ResolvedAddress[];
  const literal = isIP(host);
  if (literal) {
    addresses = [{ address: host, family: literal === 6 ? 6 : 4 }];
  } else {
    try {
      addresses = await resolve(host);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return { ok: false, permanent: false, error: `cannot resolve ${host}${code ? ` (${code})` : ''}` };
    }
    if (addresses.length === 0) return { ok: false, permanent: false, error: `${host} has no addresses` };
  }
  if (!policy.allowPrivateAddresses) {
    for (const a of addresses) {
      let v;
      try {
        v = classifyAddress(a.address);
      } catch {
        return { ok: false, permanent: true, error: `${host} resolved to something that is not an address: ${JSON.stringify(cleanLine(a.address, 60))}` };
      }
      if (!v.public) {
        return {
          ok: false,
          permanent: true,
          error: `refused: ${host === v.address ? host : `${host} resolves to ${v.address}, which`} is ${v.class} (${v.name}, ${v.range}); keywatch sends webhooks to public addresses only`,
        };
      }
    }
  }
  return { ok: true, url, host, addresses };
}
