// What one check from one vantage saw, reduced to what the watch service compares over time and
// across vantages: per endpoint the presented key, the chain, the TLSA verdict and the SASL
// mechanisms; the worst DNSSEC state of the lookups. The full Report is kept beside it.
import { createHash } from 'node:crypto';
import type { Report } from '../audit/report.ts';
import type { Security } from '../dns/dnssec/problems.ts';

export type Vantage = 'direct' | 'tor';

export interface EndpointSeen {
  /** `host:port (address)`, as findings name it. */
  endpoint: string;
  protocol: string;
  /** SPKI SHA-256 of the leaf the endpoint presented; absent when no TLS handshake completed. */
  spkiSha256?: string;
  /** SHA-256 of each certificate sent, leaf first, hex. */
  chainSha256?: string[];
  /** TLSA verdict of the presented chain when DANE applies: match, mismatch, no-usable-records. */
  dane?: string;
  /** SASL mechanisms offered after TLS (XMPP c2s). */
  mechanisms?: string[];
  channelBindings?: string[];
  /** Why the probe failed, when it did. */
  error?: string;
  refused?: boolean;
}

export interface Observation {
  vantage: Vantage;
  report: Report;
  endpoints: EndpointSeen[];
  dnssec: Security;
}

const SECURITY_ORDER: Security[] = ['secure', 'insecure', 'indeterminate', 'bogus'];

export function worstSecurity(report: Report): Security {
  let worst: Security = 'secure';
  for (const d of report.dnssec) if (SECURITY_ORDER.indexOf(d.security) > SECURITY_ORDER.indexOf(worst)) worst = d.security;
  return worst;
}

const sha256Hex = (b64: string): string => createHash('sha256').update(Buffer.from(b64, 'base64')).digest('hex');

export function observe(vantage: Vantage, report: Report): Observation {
  const endpoints: EndpointSeen[] = [];
  for (const e of report.endpoints) {
    const tls = e.probe?.tls;
    const features = e.probe?.features;
    endpoints.push({
      endpoint: e.label,
      protocol: e.protocol,
      ...(tls ? { spkiSha256: tls.leaf.spkiSha256, chainSha256: tls.chain.map(sha256Hex) } : {}),
      ...(e.daneVerdict ? { dane: e.daneVerdict.verdict } : {}),
      ...(features ? { mechanisms: features.mechanisms, channelBindings: features.channelBindings } : {}),
      ...(e.probe && !e.probe.ok && e.probe.error ? { error: `${e.probe.stage ?? 'probe'}: ${e.probe.error.message}` } : {}),
      ...(e.refused ? { refused: true } : {}),
    });
  }
  return { vantage, report, endpoints, dnssec: worstSecurity(report) };
}
