// Endpoint discovery: every (host, port, address) a client or peer server would connect to for a
// domain's service, with the DNSSEC state of each lookup on the way, and the rules that decide
// whether DANE applies to it and where its TLSA records live:
//
//   XMPP (RFC 6120 §3.2, XEP-0368, RFC 7673): SRV at _xmpp-client/_xmpps-client/_xmpp-server/
//     _xmpps-server._tcp.DOMAIN, fallback to DOMAIN:5222/5269 when there are no SRV records;
//     a single SRV with target "." means "no service". DANE applies only if the SRV RRset and the
//     target's address records are both secure; TLSA is then at _PORT._tcp.TARGET.
//   SMTP (RFC 7672): MX, or the domain itself without MX; DANE only if the MX RRset and the
//     host's addresses are secure; TLSA at _25._tcp.MXHOST.
//   IMAP, POP3, HTTPS, tls:HOST:PORT: the domain (or HOST) on the service's ports.
//
// Every A and AAAA address is an endpoint of its own: the jabber.ru interceptor sat on some
// paths only, so each must be probed and compared.
import { nameToString, parseName } from '../dns/name.ts';
import { RRType } from '../dns/types.ts';
import { worseSecurity, type Security } from '../dns/dnssec/problems.ts';
import type { ValidationResult, Validator } from '../dns/dnssec/validator.ts';

export type ServiceKind = 'xmpp' | 'smtp' | 'imap' | 'pop3' | 'https' | 'tls';

/** How to talk to an endpoint: which STARTTLS dialect, or TLS from the first byte. */
export type Protocol = 'xmpp-c2s' | 'xmpp-s2s' | 'xmpps-c2s' | 'xmpps-s2s' | 'smtp' | 'imap' | 'imaps' | 'pop3' | 'pop3s' | 'https' | 'tls';

export interface Endpoint {
  /** e.g. `_xmpp-client._tcp`, `mx`, `imaps`. */
  service: string;
  protocol: Protocol;
  host: string;
  port: number;
  address: string;
  family: 4 | 6;
  /** Where the host/port came from. */
  source: 'srv' | 'fallback' | 'mx' | 'implicit-mx' | 'fixed';
  priority: number;
  weight: number;
  /** Whether DANE applies, and why not when it does not. */
  dane: { applies: true; tlsaName: string } | { applies: false; reason: string };
  /** Names the certificate must match for name-checked validation (RFC 6125, 7590, 7672, 7673). */
  referenceNames: string[];
  /** DNSSEC state of the lookups that led here. */
  dnssec: { service: Security; address: Security };
}

export interface DiscoveryNote {
  code: string;
  severity: 'critical' | 'error' | 'warning' | 'info';
  message: string;
  rfc: string;
}

export interface Discovery {
  domain: string;
  service: ServiceKind;
  endpoints: Endpoint[];
  notes: DiscoveryNote[];
  /** Every lookup made, for the report's DNSSEC section. */
  lookups: ValidationResult[];
}

interface Target {
  service: string;
  protocol: Protocol;
  host: string;
  port: number;
  source: Endpoint['source'];
  priority: number;
  weight: number;
  serviceSecurity: Security;
  /** Names a certificate must match, besides the host itself. */
  extraNames: string[];
}

const XMPP_SRV: Array<{ label: string; protocol: Protocol; fallbackPort?: number; prefix: string }> = [
  { label: '_xmpp-client._tcp', protocol: 'xmpp-c2s', fallbackPort: 5222, prefix: '_xmpp-client' },
  { label: '_xmpps-client._tcp', protocol: 'xmpps-c2s', prefix: '_xmpp-client' },
  { label: '_xmpp-server._tcp', protocol: 'xmpp-s2s', fallbackPort: 5269, prefix: '_xmpp-server' },
  { label: '_xmpps-server._tcp', protocol: 'xmpps-s2s', prefix: '_xmpp-server' },
];

const FIXED_PORTS: Record<'imap' | 'pop3' | 'https', Array<{ service: string; protocol: Protocol; port: number }>> = {
  imap: [
    { service: 'imap', protocol: 'imap', port: 143 },
    { service: 'imaps', protocol: 'imaps', port: 993 },
  ],
  pop3: [
    { service: 'pop3', protocol: 'pop3', port: 110 },
    { service: 'pop3s', protocol: 'pop3s', port: 995 },
  ],
  https: [{ service: 'https', protocol: 'https', port: 443 }],
};

const absolute = (name: string) => (name.endsWith('.') ? name : `${name}.`);
const bare = (name: string) => name.replace(/\.$/, '').toLowerCase();

/** RFC 2782 order: by priority, then higher weight first (a deterministic stand-in for the weighted draw). */
function srvOrder(a: Target, b: Target): number {
  return a.priority - b.priority || b.weight - a.weight || a.host.localeCompare(b.host);
}

export interface DiscoverOptions {
  /** For `tls`: the HOST:PORT to probe. */
  tlsTarget?: { host: string; port: number };
}

export async function discover(validator: Validator, domainIn: string, service: ServiceKind, opts: DiscoverOptions = {}): Promise<Discovery> {
  const domain = bare(nameToString(parseName(domainIn)));
  const notes: DiscoveryNote[] = [];
  const lookups: ValidationResult[] = [];
  const lookup = async (name: string, type: number) => {
    const r = await validator.lookup(absolute(name), type);
    lookups.push(r);
    return r;
  };
  const note = (code: string, severity: DiscoveryNote['severity'], message: string, rfc: string) => notes.push({ code, severity, message, rfc });

  const targets: Target[] = [];
  if (service === 'xmpp') {
    const answers = await Promise.all(XMPP_SRV.map((s) => lookup(`${s.label}.${domain}`, RRType.SRV)));
    XMPP_SRV.forEach((s, i) => {
      const r = answers[i]!;
      const owner = `${s.label}.${domain}`;
      if (r.security === 'bogus' || r.security === 'indeterminate') {
        // RFC 7673 §3.1: a bogus or failed SRV lookup must not fall back to anything.
        note('dns.srv-unusable', r.security === 'bogus' ? 'critical' : 'error', `${owner} SRV is ${r.security}: clients that validate cannot connect to this service`, 'RFC 7673 §3.1');
        return;
      }
      const srv = r.answer.find((a) => a.type === 'SRV' && bare(a.name) === bare(owner));
      const records = (srv?.records ?? []).map((t) => t.split(' ')).map(([p, w, port, target]) => ({ priority: Number(p), weight: Number(w), port: Number(port), target: bare(target ?? '') }));
      if (records.length === 1 && records[0]!.target === '') {
        note('xmpp.srv-no-service', 'info', `${owner} has the target "." : the domain says it offers no ${s.label} service`, 'RFC 2782, RFC 6120 §3.2.1');
        return;
      }
      if (records.length === 0) {
        if (s.fallbackPort) {
          targets.push({ service: s.label, protocol: s.protocol, host: domain, port: s.fallbackPort, source: 'fallback', priority: 0, weight: 0, serviceSecurity: r.security, extraNames: [] });
        }
        return;
      }
      for (const rec of records) {
        targets.push({
          service: s.label,
          protocol: s.protocol,
          host: rec.target,
          port: rec.port,
          source: 'srv',
          priority: rec.priority,
          weight: rec.weight,
          serviceSecurity: r.security,
          // RFC 7590 §3.2 / RFC 6125: the certificate names the service domain (DNS-ID, SRV-ID).
          extraNames: [domain],
        });
      }
    });
  } else if (service === 'smtp') {
    const r = await lookup(domain, RRType.MX);
    if (r.security === 'bogus' || r.security === 'indeterminate') {
      note('dns.mx-unusable', r.security === 'bogus' ? 'critical' : 'error', `${domain} MX is ${r.security}: validating senders will not deliver`, 'RFC 7672 §2.2.1');
    } else {
      const mx = r.answer.find((a) => a.type === 'MX');
      const records = (mx?.records ?? []).map((t) => t.split(' ')).map(([p, h]) => ({ priority: Number(p), host: bare(h ?? '') }));
      if (records.length === 1 && records[0]!.host === '') note('smtp.null-mx', 'info', `${domain} publishes a null MX: it accepts no mail`, 'RFC 7505');
      else if (records.length === 0) targets.push({ service: 'smtp', protocol: 'smtp', host: domain, port: 25, source: 'implicit-mx', priority: 0, weight: 0, serviceSecurity: r.security, extraNames: [] });
      else for (const m of records) targets.push({ service: 'smtp', protocol: 'smtp', host: m.host, port: 25, source: 'mx', priority: m.priority, weight: 0, serviceSecurity: r.security, extraNames: [] });
    }
  } else if (service === 'tls') {
    if (!opts.tlsTarget) throw new Error('service tls needs a HOST:PORT target');
    targets.push({ service: 'tls', protocol: 'tls', host: bare(opts.tlsTarget.host), port: opts.tlsTarget.port, source: 'fixed', priority: 0, weight: 0, serviceSecurity: 'secure', extraNames: [] });
  } else {
    for (const f of FIXED_PORTS[service]) {
      targets.push({ service: f.service, protocol: f.protocol, host: domain, port: f.port, source: 'fixed', priority: 0, weight: 0, serviceSecurity: 'secure', extraNames: [] });
    }
  }
  targets.sort(srvOrder);

  // Addresses of every distinct host, both families, looked up once each.
  const hosts = [...new Set(targets.map((t) => t.host))];
  const addressOf = new Map<string, { v4: ValidationResult; v6: ValidationResult }>();
  await Promise.all(
    hosts.map(async (h) => {
      const [v4, v6] = await Promise.all([lookup(h, RRType.A), lookup(h, RRType.AAAA)]);
      addressOf.set(h, { v4, v6 });
    }),
  );

  const endpoints: Endpoint[] = [];
  for (const t of targets) {
    const a = addressOf.get(t.host)!;
    const addressSecurity = worseSecurity(a.v4.security, a.v6.security);
    const list = [
      ...records(a.v4, 'A').map((address) => ({ address, family: 4 as const })),
      ...records(a.v6, 'AAAA').map((address) => ({ address, family: 6 as const })),
    ];
    if (list.length === 0) {
      note('dns.no-address', 'error', `${t.host} (for ${t.service} port ${t.port}) has no usable A or AAAA record (${a.v4.security}/${a.v6.security})`, 'RFC 1035');
      continue;
    }
    const dane = daneApplicability(t, addressSecurity);
    for (const { address, family } of list) {
      endpoints.push({
        service: t.service,
        protocol: t.protocol,
        host: t.host,
        port: t.port,
        address,
        family,
        source: t.source,
        priority: t.priority,
        weight: t.weight,
        dane,
        referenceNames: [...new Set([t.host, ...t.extraNames])],
        dnssec: { service: t.serviceSecurity, address: addressSecurity },
      });
    }
  }
  if (targets.length === 0 && !notes.some((n) => n.severity === 'critical' || n.severity === 'error')) {
    note('discovery.no-endpoints', 'warning', `no ${service} endpoints found for ${domain}`, 'RFC 6120 §3.2');
  }
  return { domain, service, endpoints, notes, lookups };
}

function records(r: ValidationResult, type: 'A' | 'AAAA'): string[] {
  if (r.security === 'bogus' || r.security === 'indeterminate') return [];
  return r.answer.filter((s) => s.type === type).flatMap((s) => s.records);
}


/** Where an endpoint's TLSA records live, or would live if DANE applied (to report ignored records). */
export function tlsaOwnerOf(e: Pick<Endpoint, 'dane' | 'port' | 'host'>): string {
  return e.dane.applies ? e.dane.tlsaName : `_${e.port}._tcp.${e.host}`;
}

/** RFC 7673 §3 (SRV) and RFC 7672 §2.2 (MX): DANE applies only along an all-secure path. */
function daneApplicability(t: Target, addressSecurity: Security): Endpoint['dane'] {
  if (t.serviceSecurity !== 'secure') {
    const what = t.source === 'mx' || t.source === 'implicit-mx' ? 'MX' : 'SRV';
    return { applies: false, reason: `the ${what} lookup is ${t.serviceSecurity}, so TLSA records must not be used (RFC ${what === 'MX' ? '7672 §2.2.1' : '7673 §3.1'})` };
  }
  if (addressSecurity !== 'secure') {
    return { applies: false, reason: `the address records of ${t.host} are ${addressSecurity}, so TLSA records there must not be used (RFC 7673 §3.2, RFC 7672 §2.2.2)` };
  }
  return { applies: true, tlsaName: `_${t.port}._tcp.${t.host}` };
}
