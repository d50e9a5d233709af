// Wiring: a validating resolver = a DNS client (transport, cache) + a trust anchor + the
// validator. The CLI, the checker and the service all build theirs here.
import { existsSync, readFileSync } from 'node:fs';
import { DnsClient } from './client.ts';
import { systemResolvers, parseUpstream, type DnsServer } from './resolv-conf.ts';
import { Validator, type Fetcher } from './dnssec/validator.ts';
import { defaultTrustAnchor, parseTrustAnchors, type TrustAnchor } from './dnssec/trust-anchor.ts';

export interface ResolverConfig {
  /** `ADDRESS[:PORT]` strings; empty means the system's /etc/resolv.conf. */
  resolvers?: string[];
  /** A file path or the anchor text itself (DS or DNSKEY lines); default the IANA root KSKs. */
  trustAnchor?: string;
  timeoutMs?: number;
  now?: () => number;
}

export function loadTrustAnchor(spec: string | undefined): TrustAnchor {
  if (spec === undefined) return defaultTrustAnchor();
  const text = existsSync(spec) ? readFileSync(spec, 'utf8') : spec;
  return parseTrustAnchors(text);
}

export function resolverServers(specs: string[] | undefined): DnsServer[] {
  if (specs?.length) return specs.map((s) => parseUpstream(s));
  return systemResolvers().servers;
}

/** The validator's view of a DNS client: records asked with DO=1 and CD=1 (we validate). */
export function clientFetcher(client: DnsClient): Fetcher {
  return async (name, type) => {
    const r = await client.query(name, type, { cd: true, dnssecOk: true });
    return { rcode: r.rcode, answer: r.answer, authority: r.authority, ede: r.edns?.ede ?? [] };
  };
}

export function makeValidator(cfg: ResolverConfig): { validator: Validator; client: DnsClient } {
  const client = new DnsClient({ servers: resolverServers(cfg.resolvers), ...(cfg.timeoutMs ? { timeoutMs: cfg.timeoutMs } : {}) });
  const anchor = loadTrustAnchor(cfg.trustAnchor);
  const now = cfg.now;
  return { validator: new Validator(clientFetcher(client), anchor, now ? { now } : {}), client };
}
